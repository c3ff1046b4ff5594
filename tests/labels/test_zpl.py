"""ZPL structure: balanced ^XA/^XZ and ^FD/^FS, sizes from the stock, exact barcode data."""

import re

import pytest

import labels

from .conftest import SAMPLES

GS = "\x1d"


def split_labels(zpl: str) -> list:
    assert zpl.count("^XA") == zpl.count("^XZ")
    blocks = re.findall(r"\^XA(.*?)\^XZ", zpl, flags=re.S)
    assert re.sub(r"\^XA.*?\^XZ", "", zpl, flags=re.S).strip() == ""
    return blocks


def fields(block: str) -> list:
    """(commands before ^FD, data) for every field; fails if a ^FD is not closed by ^FS."""
    out = []
    segments = block.split("^FS")
    assert "^FD" not in segments[-1], f"unclosed field: {segments[-1][:40]!r}"
    for segment in segments[:-1]:
        if "^FD" not in segment:
            continue
        assert segment.count("^FD") == 1, f"two ^FD in one field: {segment!r}"
        command, data = segment.split("^FD")
        assert "^" not in data and "~" not in data
        out.append((command, data))
    return out


def decode_mode_n(data: str) -> str:
    """Read ^BC mode-N data back: invocation codes to text, FNC1 as GS, ']C1' if leading."""
    text, subset, i = "", None, 0
    starts = {">9": "A", ">:": "B", ">;": "C"}
    subset = starts[data[:2]]
    i = 2
    while i < len(data):
        pair = data[i:i + 2]
        if pair == ">8":
            text += GS
            i += 2
        elif pair in (">5", ">6", ">7"):
            subset = {">5": "C", ">6": "B", ">7": "A"}[pair]
            i += 2
        elif pair == "><":
            text += ">"
            i += 2
        elif subset == "C":
            assert pair.isdigit(), pair
            text += pair
            i += 2
        else:
            text += data[i]
            i += 1
    if text.startswith(GS):
        return "]C1" + text[1:]
    return text


def barcodes(block: str) -> list:
    out = []
    for command, data in fields(block):
        if "^BC" in command:
            assert re.search(r"\^BCN,\d+,N,N,N,N(\^FH_)?$", command)
            assert re.search(r"\^BY[2-9]", command), "module of at least 2 dots (0.25 mm)"
            out.append(decode_mode_n(data))
        elif "^BE" in command:
            out.append("EAN13:" + data)
        elif "^BQ" in command:
            out.append("QR:" + data)
    return out


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_structure_and_size(kind):
    zpl = labels.render_zpl(kind, [SAMPLES[kind], SAMPLES[kind]])
    blocks = split_labels(zpl)
    assert len(blocks) == 2
    stock = labels.STOCKS[labels.KINDS[kind].stock]
    for block in blocks:
        assert "^CI28" in block
        assert f"^PW{round(stock.label_w * 8)}" in block
        assert f"^LL{round(stock.label_h * 8)}" in block
        assert block.count("^FD") == block.count("^FS") - block.count("^GB")
        fields(block)


@pytest.mark.parametrize("kind,expected", [
    ("sscc", ["]C1" + "0206901234567892" + "3724", "]C1" + "15261231" + "3301004125" + "10LOT7",
              "]C1" + "00106141412345678908"]),
    ("location", ["LZ1-A-01-02-3"]),
    ("product", ["EAN13:690123456789"]),
    ("parcel", ["RR123456785CN", "QR:MA,https://track.example.cn/RR123456785CN"]),
    ("air_cargo", ["7841234567500003"]),
    ("return", ["RMA-2024-000731"]),
    ("placard", ["CSQU3054383"]),
])
def test_barcode_data(kind, expected):
    (block,) = split_labels(labels.render_zpl(kind, [SAMPLES[kind]]))
    assert barcodes(block) == expected


def test_gs1_separator_between_variable_fields():
    rec = dict(SAMPLES["sscc"], best_before=None, gross_weight_kg=None, lot="AB12",
               content_gtin="")
    (block,) = split_labels(labels.render_zpl("sscc", [rec]))
    assert barcodes(block) == ["]C1" + "3724" + GS + "10AB12", "]C1" + "00106141412345678908"]


def test_gs1_hri_lines_match_pdf():
    (block,) = split_labels(labels.render_zpl("sscc", [SAMPLES["sscc"]]))
    texts = [data for _, data in fields(block)]
    assert "(00)106141412345678908" in texts
    assert "(02)06901234567892(37)24" in texts


def test_special_characters_are_hex_escaped():
    rec = dict(SAMPLES["return"], reason="size ^ wrong ~ _x")
    (block,) = split_labels(labels.render_zpl("return", [rec]))
    assert "^FH_^FDsize _5E wrong _7E _5Fx^FS" in block


def test_sheet_stock_writes_one_label_per_cell():
    zpl = labels.render_zpl("location", [SAMPLES["location"]] * 3, "a4-sheet")
    blocks = split_labels(zpl)
    assert len(blocks) == 3
    assert "^PW793" in blocks[0] and "^LL305" in blocks[0]


def test_chinese_goes_to_the_cjk_font():
    (block,) = split_labels(labels.render_zpl("product", [SAMPLES["product"]]))
    assert "^A@N,37,37,E:ANMDS.TTF^FD兰州牛肉面调料包^FS" in block
