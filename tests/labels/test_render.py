"""Render every layout, rasterise at 300 dpi, and read every barcode back with zxing-cpp."""

import pypdfium2 as pdfium
import pytest
from barcode.codex import Code128, Gs1_128
from reportlab.lib.units import mm

import labels
from labels import symbols

from .conftest import EXPECTED, SAMPLES, decode, page_text, rasterise


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_every_barcode_reads_back(kind):
    pdf = labels.render_pdf(kind, [SAMPLES[kind]])
    (page,) = rasterise(pdf)
    found = decode(page)
    expected = EXPECTED[kind] if kind != "sscc" else [
        "(00)106141412345678908", "(02)06901234567892(37)24",
        "(15)261231(3301)004125(10)LOT7"]
    assert found == sorted(expected)


def test_sscc_is_the_lowest_symbol():
    pdf = labels.render_pdf("sscc", [SAMPLES["sscc"]])
    (page,) = rasterise(pdf)
    found = sorted(zxing_positions(page), key=lambda b: b[1])
    assert found[-1][0] == "(00)106141412345678908"


def zxing_positions(image):
    import zxingcpp
    return [(b.text, b.position.top_left.y) for b in zxingcpp.read_barcodes(image)]


def test_gs1_raw_bytes_carry_gs_separators():
    import zxingcpp
    pdf = labels.render_pdf("sscc", [SAMPLES["sscc"]])
    (page,) = rasterise(pdf)
    raw = {b.text: (b.bytes, b.symbology_identifier) for b in zxingcpp.read_barcodes(page)}
    assert raw["(15)261231(3301)004125(10)LOT7"] == (b"15261231330100412510LOT7", "]C1")
    assert raw["(00)106141412345678908"] == (b"00106141412345678908", "]C1")


def test_variable_field_followed_by_another_gets_fnc1():
    sym = symbols.gs1_128_symbol("x", {"10": "LOT7", "37": 24, "02": "06901234567892"})
    assert sym.data == "020690123456789210LOT7\xf13724"
    assert sym.hri == "(02)06901234567892(10)LOT7(37)24"
    assert sym.codewords[:2] == (105, 102)  # start C, then FNC1
    pdf = _single_symbol_pdf(sym)
    assert decode(rasterise(pdf)[0]) == ["(02)06901234567892(10)LOT7(37)24"]


def _single_symbol_pdf(sym):
    from labels.layout import Layout
    from labels.pdf import PdfBackend
    lay = Layout(100, 50)
    lay.barcode("x", sym, 0, 5, 100, 20, 0.5, 8)
    backend = PdfBackend(100, 50)
    backend.draw(lay.items)
    return backend.finish()


@pytest.mark.parametrize("data", ["LZ1-A-01-02-3", "RR123456785CN", "1761234567500001",
                                  "abc>def^x", "A1"])
def test_code128_pattern_matches_python_barcode(data):
    assert symbols.code128("x", data).pattern == Code128(data).build()[0]


def test_gs1_pattern_matches_python_barcode():
    data = "020690123456789210LOT7\xf13724"
    assert symbols.gs1_symbol([("02", "0206901234567892"), ("10", "10LOT7"),
                               ("37", "3724")]).pattern == Gs1_128(data).build()[0]


def test_gtin14_product_is_gs1_128_with_ai_01():
    rec = dict(SAMPLES["product"], gtin="16901234567899")
    pdf = labels.render_pdf("product", [rec])
    assert decode(rasterise(pdf)[0]) == ["(01)16901234567899"]


def test_a4_sheet_holds_fourteen_location_labels_per_page():
    recs = [dict(SAMPLES["location"], barcode=f"LZ1-A-{i:02d}-01-1") for i in range(16)]
    pdf = labels.render_pdf("location", recs, "a4-sheet")
    doc = pdfium.PdfDocument(pdf)
    assert len(doc) == 2
    pages = rasterise(pdf)
    stock = labels.STOCKS["a4-sheet"]
    px = 300 / 25.4
    found = []
    for page_no, page in enumerate(pages):
        for cell in range(14 if page_no == 0 else 2):
            x, y = stock.cell_origin(cell)
            box = (round(x * px), round(y * px), round((x + stock.label_w) * px),
                   round((y + stock.label_h) * px))
            found += decode(page.crop(box))
    assert found == [f"LZ1-A-{i:02d}-01-1" for i in range(16)]


@pytest.mark.parametrize("kind,size", [("sscc", (100, 150)), ("product", (100, 50)),
                                       ("placard", (297, 210)), ("parcel", (100, 150))])
def test_pages_are_real_size(kind, size):
    doc = pdfium.PdfDocument(labels.render_pdf(kind, [SAMPLES[kind]]))
    w, h = doc[0].get_size()
    assert (round(w / mm, 1), round(h / mm, 1)) == size


def test_thermal_selection_is_one_page_per_label():
    pdf = labels.render_pdf("air_cargo", [dict(SAMPLES["air_cargo"], piece=i)
                                          for i in range(1, 13)])
    doc = pdfium.PdfDocument(pdf)
    assert len(doc) == 12
    assert decode(rasterise(pdf, 300)[11]) == ["7841234567500012"]


def test_bars_are_vectors_not_images():
    pdf = labels.render_pdf("sscc", [SAMPLES["sscc"]])
    assert b"/Subtype /Image" not in pdf
    doc = pdfium.PdfDocument(pdf)
    kinds = [obj.type for obj in doc[0].get_objects()]
    assert pdfium.raw.FPDF_PAGEOBJ_IMAGE not in kinds
    assert kinds.count(pdfium.raw.FPDF_PAGEOBJ_PATH) > 100  # one rectangle per bar


@pytest.mark.parametrize("kind,text", [("sscc", "兰州保税物流中心"), ("product", "兰州牛肉面调料包"),
                                       ("return", "退货中心"), ("parcel", "丝巾")])
def test_chinese_text_is_in_the_pdf(kind, text):
    pdf = labels.render_pdf(kind, [SAMPLES[kind]])
    assert text in page_text(pdf)
    assert b"STSong-Light" in pdf


def test_human_readable_gs1_line_is_printed():
    text = page_text(labels.render_pdf("sscc", [SAMPLES["sscc"]]))
    assert "(00)106141412345678908" in text
    assert "31.12.2026" in text


def test_dataclass_records_are_accepted():
    rec = labels.from_dict("location", SAMPLES["location"])
    pdf = labels.render_pdf("location", [rec])
    assert decode(rasterise(pdf)[0]) == ["LZ1-A-01-02-3"]


def test_describe_kinds_lists_every_field():
    text = labels.describe_kinds()
    for kind in labels.KINDS.values():
        assert f"{kind.name}:" in text
        for name in kind.record.__dataclass_fields__:
            assert f"  {name} " in text


def test_package_is_pure():
    import subprocess
    import sys
    code = ("import sys, labels; bad = [m for m in sys.modules if m.split('.')[0] in "
            "('flask', 'wms', 'sqlalchemy')]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
