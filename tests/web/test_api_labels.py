"""Labels through the API: a real PDF that scans back, ZPL, and errors naming the field."""
from __future__ import annotations


import pypdfium2 as pdfium
import pytest
import zxingcpp

from tests.web.test_api import assert_error, bearer

pytestmark = pytest.mark.usefixtures("demo")

SSCC = {"sscc": "106141412345678908", "ship_from": "兰州新区综保区仓储物流有限公司\n兰州新区",
        "ship_to": "Duisburg Hub\nDuisburg, DE", "content_gtin": "04008746009123",
        "count": 24, "lot": "L2026-0312", "best_before": "2027-09-11",
        "gross_weight_kg": 412.5}


def decoded(pdf: bytes) -> set[str]:
    texts = set()
    document = pdfium.PdfDocument(pdf)
    for page in document:
        image = page.render(scale=300 / 72).to_pil()
        texts |= {r.text for r in zxingcpp.read_barcodes(image)}
    return texts


def test_sscc_label_pdf_scans_back(client, db):
    response = client.post("/api/v1/labels/sscc", json=SSCC, headers=bearer(db, "operator"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "(00)106141412345678908" in decoded(response.data)


def test_a_selection_gives_one_document_and_zpl_works(client, db):
    headers = bearer(db, "operator")
    locations = [{"barcode": f"LZB-A-0{i}-01", "path": f"LZB/Stock/A/A-0{i}-01"}
                 for i in range(1, 4)]
    pdf = client.post("/api/v1/labels/location", json=locations, headers=headers)
    assert len(pdfium.PdfDocument(pdf.data)) == 3
    zpl = client.post("/api/v1/labels/location?format=zpl", json=locations, headers=headers)
    assert zpl.get_data(as_text=True).count("^XA") == 3


def test_wrong_check_digit_and_unknown_kind(client, db):
    headers = bearer(db, "operator")
    assert_error(client.post("/api/v1/labels/sscc", json={**SSCC, "sscc": "106141412345678909"},
                             headers=headers), 422, "validation_error", "sscc")
    assert_error(client.post("/api/v1/labels/pallet", json={}, headers=headers),
                 404, "not_found", "kind")
    assert_error(client.post("/api/v1/labels/sscc", json=[], headers=headers),
                 422, "validation_error")
