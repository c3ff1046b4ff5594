"""``/api/v1``: JSON for machines, bearer-token auth, one error shape, OpenAPI from the code."""
from .core import api
from . import (customs, enterprises, inventory, labels, meta, orders, receipts, returns,  # noqa: F401,E501
               tracking, tracking_registry)  # (importing registers the routes)
from . import jobs  # noqa: F401,E402

__all__ = ["api"]
