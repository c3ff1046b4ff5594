"""The order page shows the comprehensive tax line by line (orders/_tax.html)."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from tests.web.test_stock_pages import as_user
from wms.outbound.models import SalesOrder

pytestmark = pytest.mark.usefixtures("demo")


def _page(client, db, order_no: str) -> str:
    order_id = db.scalar(select(SalesOrder.id).where(SalesOrder.order_no == order_no))
    response = client.get(f"/orders/{order_id}")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def test_a_retail_import_order_shows_each_step_of_its_tax(client, db):
    as_user(client, "admin")
    page = _page(client, db, "SLX2026112700007")     # 2 x Aptamil at 198.00, VAT 13 %
    section = page[page.index('id="tax"'):]
    section = section[:section.index("</section>")]
    cells = re.findall(r'<td class="num">([^<]*)', section)
    # value 396.00, duty 0, consumption tax 0, VAT 51.48; due 51.48 x 70 % = 36.04
    assert cells[:2] == ["1", "396.00"] and "0.00" in cells
    assert "51.48" in section and "36.04" in section and "13 %" in section
    assert "rates changed" not in section             # the stored tax agrees


def test_an_export_order_has_no_tax_section(client, db):
    as_user(client, "admin")
    assert 'id="tax"' not in _page(client, db, "SLX2026112700010")
