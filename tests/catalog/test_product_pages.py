"""The desk product pages: codes offered by name in a searchable select, the customs and
tax data shown, edited with field-level errors."""
from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from tests.web.test_stock_pages import as_user, fresh, product_form, text
from wms.catalog.models import Product

pytestmark = pytest.mark.usefixtures("demo")


def test_the_form_offers_codes_by_name_with_a_search_box(client):
    as_user(client, "customs")
    page = client.get("/stock/products/new").get_data(as_text=True)
    assert 'src="/static/code_select.js"' in page
    country = page[page.index('id="origin_country"') - 200:page.index('id="origin_country"')
                   + 40000]
    assert "data-filter" in country and '<option value="145">145 哈萨克斯坦</option>' in country
    assert '<option value="609">609 新西兰</option>' in country
    assert client.get("/static/code_select.js").status_code == 200


def test_register_with_tax_data_then_edit_and_see_it(client, db):
    as_user(client, "customs")
    response = client.post("/stock/products/new", data=product_form(
        sku="NZ-MILK-900", origin_country="609", item_record_no="LZB2026IR000401",
        vat_rate="0.13", consumption_tax_rate="0", consumption_tax_basis="ad_valorem"))
    assert response.status_code == 302
    fresh(db)
    product = db.scalar(select(Product).where(Product.sku == "NZ-MILK-900"))
    assert product.origin_country == "609" and product.positive_list is False
    edit = f"/stock/products/{product.id}/edit"
    assert client.get(edit).status_code == 200
    refused = client.post(edit, data=product_form(origin_country="888", positive_list="y"))
    assert refused.status_code == 422
    page = html.unescape(refused.get_data(as_text=True))
    assert 'id="origin_country-error">' in page and "888" in page
    saved = client.post(edit, data=product_form(
        origin_country="601", positive_list="y", simplified_export="y",
        consumption_tax_rate="0.15", consumption_tax_basis="cosmetics_threshold"))
    assert saved.status_code == 302, saved.get_data(as_text=True)
    fresh(db)
    product = db.get(Product, product.id)
    assert (product.origin_country, product.positive_list, product.consumption_tax_basis,
            product.sku) == ("601", True, "cosmetics_threshold", "NZ-MILK-900")
    page = text(client.get(f"/stock/products/{product.id}"))
    assert "澳大利亚" in page and "15 %" in page and edit in page


def test_an_operator_sees_the_page_but_not_the_edit(client, db):
    as_user(client, "operator")
    product = db.scalar(select(Product).where(Product.sku == "APT-PRE-800"))
    page = text(client.get(f"/stock/products/{product.id}"))
    assert "德国" in page and "/edit" not in page
    assert client.get(f"/stock/products/{product.id}/edit").status_code == 403
