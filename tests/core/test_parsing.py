"""The one parser for ids, pages, quantities and text at the edges, and the safe XML parser."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wms.core.errors import ValidationError
from wms.core.parsing import (INT_MAX, check_json_text, check_text, decimal_bounds, parse_decimal,
                              parse_id, parse_page, parse_text)
from wms.core.xml import parse_untrusted_xml

NOT_IDS = ["", " ", "abc", "1.5", "1e3", "²", "¹²", "٣", "٣٤", "۵", "१", "0x10", "--1",
           str(2**31), str(2**63), "9" * 5000, "1\x00", True, False, None, 1.0, [], {}]


@pytest.mark.parametrize("value", NOT_IDS, ids=repr)
def test_an_id_is_ascii_digits_within_the_column(value):
    with pytest.raises(ValidationError) as err:
        parse_id(value, "receipt")
    assert err.value.field == "receipt"


@pytest.mark.parametrize("value, expected", [("1", 1), (" 42 ", 42), (7, 7),
                                             (str(INT_MAX), INT_MAX), (INT_MAX, INT_MAX)])
def test_good_ids_are_read(value, expected):
    assert parse_id(value) == expected


def test_an_id_of_zero_or_below_is_refused():
    for value in (0, "0", -1, "-5"):
        with pytest.raises(ValidationError):
            parse_id(value)


def test_pages_default_and_bound():
    assert parse_page(None) == 1 and parse_page("") == 1 and parse_page("3") == 3
    for value in ("0", "-1", "²", "٣", str(2**63), "null", "1.5"):
        with pytest.raises(ValidationError) as err:
            parse_page(value)
        assert err.value.field == "page"


@pytest.mark.parametrize("value", ["1e25", "1E3", "NaN", "nan", "Infinity", "-inf", "sNaN",
                                   "1e13", "10000000000", "12345678901234", "²", "٣", "1,5",
                                   "", "0.00001", float("nan"), float("inf"), 1e25, True, None])
def test_quantities_refused(value):
    with pytest.raises(ValidationError) as err:
        parse_decimal(value, "quantity", precision=14, scale=4)
    assert err.value.field == "quantity"


def test_quantities_read_exactly_and_bounded_by_the_column():
    assert parse_decimal("2.5", "q") == Decimal("2.5")
    assert parse_decimal(0.1, "q") == Decimal("0.1")
    assert parse_decimal(3, "q", minimum=1) == 3
    assert parse_decimal("9999999999.9999", "q") == decimal_bounds(14, 4)
    with pytest.raises(ValidationError):
        parse_decimal("0", "q", minimum=Decimal("0.0001"))
    with pytest.raises(ValidationError):
        parse_decimal("6", "q", maximum=5)


@given(st.decimals(allow_nan=False, allow_infinity=False, places=4,
                   min_value=-decimal_bounds(14, 4), max_value=decimal_bounds(14, 4)))
def test_every_value_of_the_column_round_trips(value):
    assert parse_decimal(str(value), "q") == value


@given(st.text(max_size=40))
def test_integer_parsing_never_fails_with_anything_but_a_validation_error(text):
    try:
        number = parse_id(text)
    except ValidationError:
        return
    assert 1 <= number <= INT_MAX and text.strip().isascii()


@pytest.mark.parametrize("value", ["a\x00b", "\ud800", "x\udfff", "\ud83d"])
def test_text_the_database_cannot_store_is_refused(value):
    with pytest.raises(ValidationError) as err:
        check_text(value, "reason")
    assert err.value.field == "reason"


def test_text_is_trimmed_and_bounded():
    assert parse_text("  兰州  ", "name") == "兰州"
    assert parse_text("   ", "name") is None
    with pytest.raises(ValidationError):
        parse_text("", "name", required=True)
    with pytest.raises(ValidationError):
        parse_text("x" * 11, "name", max_length=10)
    assert check_text("😀 emoji is fine", "note")


def test_json_text_is_checked_at_any_depth_keys_included():
    check_json_text({"a": [{"b": "ok"}]})
    for bad in ({"a": [{"b": "x\x00"}]}, {"k\x00": 1}, ["\ud800"]):
        with pytest.raises(ValidationError):
            check_json_text(bad)
    deep: list = []
    node = deep
    for _ in range(50_000):
        node.append([])
        node = node[0]
    node.append("\x00")
    with pytest.raises(ValidationError):
        check_json_text(deep)


@pytest.mark.parametrize("document", [
    b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>',
    b'<!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>',
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY l2 "&lol;&lol;">]>'
    b'<lolz>&l2;</lolz>',
    '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a><a/>'.encode("utf-16"),
    b"", b"   ", b"<a", b"\x00", b"not xml at all",
], ids=range(9))
def test_untrusted_xml_with_a_doctype_or_malformed_is_refused(document):
    with pytest.raises(ValidationError) as err:
        parse_untrusted_xml(document, field="receipt_xml")
    assert err.value.field == "receipt_xml"


def test_untrusted_xml_parses_plain_documents():
    root = parse_untrusted_xml('<?xml version="1.0" encoding="UTF-8"?><a><b>兰州</b></a>')
    assert root.findtext("b") == "兰州"
