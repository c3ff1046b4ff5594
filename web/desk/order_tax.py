"""``order_tax_lines(order)`` for templates: the comprehensive tax of a retail import order,
line by line (``wms.customs.tax``), for the order page's ``orders/_tax.html``.

A template global, so the order page includes the partial with one line and its view stays
as it is.
"""
from __future__ import annotations

from wms.customs.tax import order_tax_lines as _order_tax_lines

from ..settings import settings
from .stock import bp


@bp.app_template_global("order_tax_lines")
def order_tax_lines(order):
    return _order_tax_lines(order, settings().retail_limits.tax_share)
