"""``/api/v1``: JSON for machines, bearer-token auth, one error shape, OpenAPI from the code."""
from .core import api
from . import enterprises, meta  # noqa: F401  (register the routes)

__all__ = ["api"]
