"""Print labels for ticked rows: one PDF whose barcodes scan back to the records."""
from __future__ import annotations

import pypdfium2 as pdfium
import pytest
import zxingcpp
from sqlalchemy import select

from tests.conftest import login
from wms.catalog.models import Product
from wms.inventory.models import Location, Package

pytestmark = pytest.mark.usefixtures("demo")


def decoded(pdf: bytes) -> list[set[str]]:
    pages = []
    for page in pdfium.PdfDocument(pdf):
        image = page.render(scale=300 / 72).to_pil()
        pages.append({r.text for r in zxingcpp.read_barcodes(image)})
    return pages


def test_location_labels_for_the_ticked_rows(client, db):
    login(client, "supervisor")
    page = client.get("/stock/locations").get_data(as_text=True)
    assert 'id="print-form"' in page and 'form="print-form"' in page
    shelves = db.scalars(select(Location).where(Location.barcode.in_(
        ["LZB-A-01-01", "LZB-A-01-02", "LZB-B-01-01"]))).all()
    response = client.post("/print/locations", data={"ids": [s.id for s in shelves]})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages = decoded(response.data)
    assert [p & {"LZB-A-01-01", "LZB-A-01-02", "LZB-B-01-01"} for p in pages] == [
        {"LZB-A-01-01"}, {"LZB-A-01-02"}, {"LZB-B-01-01"}]
    sheet = client.post("/print/locations", data={"ids": [s.id for s in shelves],
                                                   "stock": "a4-sheet"})
    assert len(pdfium.PdfDocument(sheet.data)) == 1


def test_product_and_pallet_labels(client, db):
    login(client, "operator")
    product = db.scalar(select(Product).where(Product.sku == "APT-PRE-800"))
    response = client.post("/print/products", data={"ids": [product.id]})
    assert any("4008746009123" in text for text in decoded(response.data)[0])
    pallet = db.scalars(select(Package).where(Package.owner_id.is_not(None))
                        .order_by(Package.id)).first()
    response = client.post("/print/packages", data={"ids": [pallet.id]})
    texts = decoded(response.data)[0]
    assert f"(00){pallet.sscc}" in texts
    assert any(t.startswith("(02)04008746009123(37)") for t in texts)


def test_nothing_ticked_and_roles(client):
    login(client, "supervisor")
    assert client.post("/print/locations", data={}).status_code == 422
    client.post("/logout")
    login(client, "owner")
    assert client.post("/print/products", data={"ids": ["1"]}).status_code == 403
