"""``/api/v1``: JSON for machines, bearer-token auth, one error shape, OpenAPI from the code."""
from .core import api
from . import (customs, enterprises, inventory, labels, meta, orders, receipts, returns,  # noqa: F401,E501
               trace, tracking, tracking_registry)  # (importing registers the routes)
from . import jobs  # noqa: F401,E402
from . import codes, products  # noqa: F401,E402
from . import risks  # noqa: F401,E402

__all__ = ["api"]
