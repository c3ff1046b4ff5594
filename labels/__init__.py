"""Label rendering for the bonded warehouse: barcodes as vectors, PDF and ZPL.

Pure by design: takes small dataclasses (or their JSON form), knows no database, imports
neither Flask nor ``wms``. See docs/labels.md.
"""

from labels.errors import LabelDataError
from labels.registry import KINDS, describe_kinds, from_dict, render_pdf, render_zpl
from labels.stocks import STOCKS

__all__ = ["KINDS", "STOCKS", "LabelDataError", "describe_kinds", "from_dict", "render_pdf",
           "render_zpl"]
