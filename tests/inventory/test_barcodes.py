"""Scan anything: every identifier recognised in every form scanners send, misreads reported
with their kind, and anything else left to the caller as text."""
from __future__ import annotations

import dataclasses
import datetime
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import gs1_128

from wms.inventory.barcodes import KINDS, Problem, Scan, classify
from wms.logistics.identifiers import make_sscc

TODAY = datetime.date(2025, 11, 27)
GS = "\x1d"
SSCC = "106141412345678908"
GTIN = "06901234567892"
SSCC_PARTS = {"extension": "1", "reference": "0614141234567890", "check": "8"}


def scan(code: str) -> Scan:
    result = classify(code, today=TODAY)
    assert result.kind in KINDS
    json.dumps(result.as_dict())
    return result


@pytest.mark.parametrize("code, kind, value, parts", [
    ("RR123456785CN", "s10", "RR123456785CN",
     {"service": "RR", "serial": "12345678", "check": "5", "country": "CN"}),
    ("rr 123 456 785 cn\r\n", "s10", "RR123456785CN",
     {"service": "RR", "serial": "12345678", "check": "5", "country": "CN"}),
    ("176-12345675", "awb", "176-12345675", {"prefix": "176", "serial": "1234567", "check": "5"}),
    ("17612345675", "awb", "176-12345675", {"prefix": "176", "serial": "1234567", "check": "5"}),
    ("CSQU3054383", "container", "CSQU3054383",
     {"owner": "CSQ", "category": "U", "serial": "305438", "check": "3"}),
    ("CSQU 305438 3", "container", "CSQU3054383",
     {"owner": "CSQ", "category": "U", "serial": "305438", "check": "3"}),
    (SSCC, "sscc", SSCC, SSCC_PARTS),
    ("00" + SSCC, "sscc", SSCC, SSCC_PARTS),
    ("(00)" + SSCC, "sscc", SSCC, SSCC_PARTS),
    ("]C100" + SSCC, "sscc", SSCC, SSCC_PARTS),
    (GTIN, "gtin", GTIN, {"gtin14": GTIN, "check": "2"}),
    ("6901234567892", "gtin", "6901234567892", {"gtin14": GTIN, "check": "2"}),
    ("]E06901234567892", "gtin", "6901234567892", {"gtin14": GTIN, "check": "2"}),
    ("01" + GTIN, "gtin", GTIN, {"gtin14": GTIN, "check": "2"}),
])
def test_known_identifiers(code, kind, value, parts):
    result = scan(code)
    assert (result.kind, result.valid, result.value, result.parts, result.problems) == \
        (kind, True, value, parts, ())


GS1_PARTS = {"gtin": GTIN, "lot": "LOT7", "expiry": "2027-03-31", "count": 24}


@pytest.mark.parametrize("code", [
    f"(01){GTIN}(10)LOT7(37)24(17)270331",
    f"]C101{GTIN}{GS}10LOT7{GS}3724{GS}17270331",
    f"01{GTIN}{GS}10LOT7{GS}3724{GS}17270331",
    f"]C1{GS}01{GTIN}10LOT7{GS}3724{GS}17270331{GS}",
    f"01{GTIN}1727033110LOT7{GS}3724",
])
def test_gs1_element_string_in_every_scanner_form(code):
    result = scan(code)
    assert result.kind == "gs1" and result.valid, result.problems
    assert {k: v for k, v in result.parts.items() if k != "ai"} == GS1_PARTS
    assert result.parts["ai"] == {"01": GTIN, "10": "LOT7", "37": "24", "17": "270331"}


def test_gs1_raw_form_without_separators_when_only_fixed_length_ais_follow():
    result = scan(f"01{GTIN}1727033110LOT7")
    assert result.valid
    assert result.parts["lot"] == "LOT7" and result.parts["expiry"] == "2027-03-31"
    assert result.value == f"(01){GTIN}(17)270331(10)LOT7"


def test_a_variable_field_before_another_needs_gs():
    with_gs = scan(f"01{GTIN}10LOT7{GS}3724")
    assert with_gs.parts["lot"] == "LOT7" and with_gs.parts["count"] == 24
    without_gs = scan(f"01{GTIN}10LOT73724")
    assert without_gs.parts["lot"] == "LOT73724" and "count" not in without_gs.parts
    too_long = scan(f"01{GTIN}10LOT7LOT7LOT7LOT7LOT7X{GS}3724")
    assert too_long.kind == "gs1" and not too_long.valid
    assert too_long.problem.code == "gs1_too_long"
    assert too_long.problem.params == {"ai": "10", "length": 20}
    assert "GS separator" in too_long.problem.message


def test_gs1_pallet_label_fields():
    result = scan(f"(00){SSCC}(02){GTIN}(37)24(15)270400(11)250101(3301)004125"
                  "(400)PO-88(21)SN1(410)6901234567892(421)156730000")
    assert result.kind == "gs1" and result.valid, result.problems
    parts = result.parts
    assert parts["sscc"] == SSCC and parts["content_gtin"] == GTIN and parts["count"] == 24
    assert parts["best_before"] == "2027-04-30" and parts["production_date"] == "2025-01-01"
    assert parts["gross_weight_kg"] == "412.5"
    assert parts["order"] == "PO-88" and parts["serial"] == "SN1"
    assert parts["ship_to_gln"] == "6901234567892"
    assert parts["ship_to_country"] == "156" and parts["ship_to_postal"] == "730000"


@pytest.mark.parametrize("ai, digits, kg", [
    ("3300", "000412", "412"), ("3302", "041250", "412.50"), ("3305", "004125", "0.04125"),
])
def test_gross_weight_decimals(ai, digits, kg):
    assert scan(f"(01){GTIN}({ai}){digits}").parts["gross_weight_kg"] == kg


@pytest.mark.parametrize("yymmdd, iso", [
    ("270331", "2027-03-31"), ("270300", "2027-03-31"), ("280200", "2028-02-29"),
    ("270200", "2027-02-28"), ("271200", "2027-12-31"), ("991231", "1999-12-31"),
    ("750101", "2075-01-01"), ("760101", "1976-01-01"),
])
def test_gs1_dates(yymmdd, iso):
    assert scan(f"(01){GTIN}(17){yymmdd}").parts["expiry"] == iso


@pytest.mark.parametrize("code, kind, expected", [
    ("RR123456784CN", "s10", "5"),
    ("176-12345676", "awb", "5"),
    ("17612345670", "awb", "5"),
    ("CSQU3054384", "container", "3"),
    ("106141412345678907", "sscc", "8"),
    ("00106141412345678907", "sscc", "8"),
    ("06901234567893", "gtin", "2"),
    ("6901234567891", "gtin", "2"),
    ("(01)06901234567893(10)LOT7", "gs1", "2"),
    (f"]C10106901234567892{GS}10LOT7{GS}3724{GS}00106141412345678907", "gs1", "8"),
    (f"(02){GTIN}(37)24(410)6901234567891", "gs1", "2"),
    ("(402)12345678901234561(10)A", "gs1", "0"),
])
def test_one_digit_off_keeps_its_kind_and_names_the_expected_digit(code, kind, expected):
    result = scan(code)
    assert result.kind == kind and not result.valid
    assert result.problem.code == "bad_check_digit"
    assert result.problem.params["expected"] == expected
    assert f"should be {expected}" in result.problem.message


def test_gs1_invalid_date_is_reported():
    result = scan(f"(01){GTIN}(17)271301")
    assert result.kind == "gs1" and not result.valid
    assert (result.problem.code, result.problem.params["month"]) == ("gs1_bad_date", 13)
    assert "month 13" in result.problem.message
    february = scan(f"(01){GTIN}(17)270230").problem
    assert february.params == {"ai": "17", "value": "270230", "month": "2027-02", "days": 28}
    assert february.message.endswith("has 28 days")


@pytest.mark.parametrize("code", [
    f"(01){GTIN}(99)", f"(01){GTIN}(17)2703", f"(01){GTIN}(37)2A", f"01{GTIN}XYZ",
    f"]C101{GTIN}{GS}10LOT 7", "]C1", f"(01){GTIN}(01)06901234567908", "(421)CN730000",
])
def test_unreadable_gs1_is_gs1_invalid(code):
    result = scan(code)
    assert result.kind == "gs1" and not result.valid
    assert result.problem.code.startswith("gs1_"), result.problem


def test_ais_outside_our_table_are_skipped_by_length():
    result = scan(f"01{GTIN}3103000412{GS}39221234{GS}10LOT7")
    assert result.valid and result.parts["lot"] == "LOT7"
    assert result.parts["ai"]["3103"] == "000412" and result.parts["ai"]["3922"] == "1234"


@pytest.mark.parametrize("code", ["A-01-02-03", "SKU-88", "1234567", "123456789",
                                  "RR12345678CN", "CSQU305438", "兰州保税仓-A区", "1061414123456789"])
def test_anything_else_is_text(code):
    result = scan(code)
    assert (result.kind, result.valid, result.value, result.problems) == ("text", True, code, ())


def test_text_keeps_case_and_inner_spaces_but_not_the_scanner_suffix():
    assert scan("  Shelf b 3\r\n").value == "Shelf b 3"


def test_nothing_scanned():
    result = scan(" \r\n")
    assert result.kind == "text" and not result.valid
    assert result.problem.code == "nothing_scanned"


def test_scan_is_frozen_and_hashable():
    result = scan(SSCC)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.kind = "text"  # type: ignore[misc]
    assert hash(result) == hash(scan(SSCC))


@given(st.text())
def test_classify_never_raises(code):
    scan(code)


@given(extension=st.integers(0, 9), serial=st.integers(0, 10 ** 9 - 1),
       lot=st.from_regex(r"[A-Za-z0-9\-./]{1,20}", fullmatch=True),
       count=st.integers(1, 10 ** 8 - 1),
       expiry=st.dates(datetime.date(2000, 1, 1), datetime.date(2074, 12, 31)))
def test_stdnum_encoded_strings_read_back_in_every_form(extension, serial, lot, count, expiry):
    sscc = make_sscc(extension, "0614141", serial)
    data = {"00": sscc, "10": lot, "37": count, "17": expiry}
    expected = {"sscc": sscc, "lot": lot, "count": count, "expiry": expiry.isoformat()}
    forms = [gs1_128.encode(data, separator=GS), "]C1" + gs1_128.encode(data, separator=GS),
             gs1_128.encode(data, parentheses=True, separator=GS).replace(GS, "")]
    for code in forms:
        result = scan(code)
        assert result.kind == "gs1" and result.valid, (code, result.problems)
        assert {k: v for k, v in result.parts.items() if k != "ai"} == expected


def test_problems_are_codes_and_templates_not_sentences():
    """The page translates the template; nothing in the result is English prose filled in."""
    result = scan("CSQU3054384")
    assert result.problems == (Problem("bad_check_digit",
                                       "Wrong check digit in %(value)s: it should be "
                                       "%(expected)s",
                                       {"value": "CSQU3054384", "expected": "3", "actual": "4"}),)
    answer = result.as_dict()
    assert "error" not in answer
    assert answer["problems"] == [{"code": "bad_check_digit",
                                   "template": result.problem.template,
                                   "params": result.problem.params}]
    assert result.problem.message == "Wrong check digit in CSQU3054384: it should be 3"


def test_a_bad_check_digit_inside_a_gs1_string_names_its_ai():
    problem = scan("(01)06901234567893(10)LOT7").problem
    assert (problem.code, problem.params["ai"], problem.params["expected"]) == \
        ("bad_check_digit", "01", "2")
