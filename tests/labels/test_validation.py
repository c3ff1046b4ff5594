"""Check digits are computed, never trusted; bad data is refused naming the field."""

import pytest

import labels
from labels import LabelDataError, identifiers as ids

from .conftest import SAMPLES


def refused(kind, **changes):
    rec = dict(SAMPLES[kind], **changes)
    with pytest.raises(LabelDataError) as info:
        labels.render_pdf(kind, [rec])
    return info.value


@pytest.mark.parametrize("kind,field,value,message", [
    ("product", "gtin", "6901234567891", "check digit should be 2"),
    ("sscc", "sscc", "106141412345678901", "check digit should be 8"),
    ("sscc", "content_gtin", "06901234567893", "check digit should be 2"),
    ("parcel", "tracking_number", "RR123456784CN", "check digit should be 5"),
    ("air_cargo", "awb", "784-12345674", "check digit should be 5"),
    ("placard", "container", "CSQU3054384", "check digit should be 3"),
])
def test_wrong_check_digit_is_refused_naming_the_field(kind, field, value, message):
    err = refused(kind, **{field: value})
    assert err.field == field
    assert str(err) == f"{field}: {message}"


def test_zpl_validates_too():
    with pytest.raises(LabelDataError, match="sscc: check digit should be 8"):
        labels.render_zpl("sscc", [dict(SAMPLES["sscc"], sscc="106141412345678900")])


@pytest.mark.parametrize("serial,check", [("12345678", "5"), ("00000000", "5"),
                                          ("47312482", "9"), ("99999999", "5")])
def test_s10_check_digit(serial, check):
    assert ids.s10_check_digit(serial) == check


def test_s10_ten_becomes_zero():
    # 8 x 7 = 56, 56 mod 11 = 1, 11 - 1 = 10 -> 0
    assert ids.s10_check_digit("00000008") == "0"


def test_identifier_normalisation():
    assert ids.awb("awb", "176-12345675") == "17612345675"
    assert ids.format_awb("17612345675") == "176-1234 5675"
    assert ids.s10("s", "rr 123 456 785 cn") == "RR123456785CN"
    assert ids.container("c", "CSQU 305438 3") == "CSQU3054383"
    assert ids.gtin14("g", "6901234567892") == "06901234567892"


def test_malformed_identifiers_name_the_field():
    assert refused("air_cargo", awb="78412345675X").field == "awb"
    assert refused("placard", container="CSQ3054383").field == "container"
    assert refused("air_cargo", destination="FRAN").field == "destination"
    assert refused("air_cargo", piece=13).field == "piece"


@pytest.mark.parametrize("kind,field,value", [
    ("location", "path", "LZ1 / Zone A / " * 20),
    ("sscc", "ship_to", "\n".join(["Duisburg Gateway Terminal, Hafen Duisburg"] * 12)),
    ("return", "reason", "The customer did not like the colour at all. " * 30),
    ("air_cargo", "airline", "A" * 120),
    ("parcel", "consignee", "Anna Kowalska ul. Prosta 51 " * 40),
])
def test_text_that_cannot_fit_is_refused(kind, field, value):
    err = refused(kind, **{field: value})
    assert err.field == field
    assert "does not fit" in err.message


def test_barcode_too_wide_is_refused():
    err = refused("location", barcode="LOCATION-" + "X" * 40)
    assert err.field == "barcode"
    assert "barcode needs" in err.message


def test_too_many_customs_items():
    item = SAMPLES["parcel"]["items"][0]
    err = refused("parcel", items=[item] * 30)
    assert err.field == "items"


def test_bad_customs_item_names_its_index():
    items = [dict(SAMPLES["parcel"]["items"][0]), dict(SAMPLES["parcel"]["items"][1],
                                                      hs_code="09.02")]
    assert refused("parcel", items=items).field == "items[1].hs_code"


def test_lot_longer_than_twenty_is_refused():
    assert refused("sscc", lot="L" * 21).field == "lot"


def test_selection_error_names_the_record():
    recs = [SAMPLES["air_cargo"], dict(SAMPLES["air_cargo"], awb="784-12345676")]
    with pytest.raises(LabelDataError) as info:
        labels.render_pdf("air_cargo", recs)
    assert info.value.field == "[1].awb"


def test_from_dict_unknown_missing_and_wrong_types():
    with pytest.raises(LabelDataError) as info:
        labels.from_dict("sscc", dict(SAMPLES["sscc"], colour="red"))
    assert (info.value.field, info.value.message) == ("colour", "unknown field")
    rec = dict(SAMPLES["sscc"])
    del rec["ship_to"]
    with pytest.raises(LabelDataError) as info:
        labels.from_dict("sscc", rec)
    assert (info.value.field, info.value.message) == ("ship_to", "missing required field")
    for field, value in (("count", "two dozen"), ("count", True), ("best_before", "31/12/2026"),
                         ("gross_weight_kg", "heavy"), ("sscc", 106141412345678908)):
        with pytest.raises(LabelDataError) as info:
            labels.from_dict("sscc", dict(SAMPLES["sscc"], **{field: value}))
        assert info.value.field == field
    bad_items = [dict(SAMPLES["parcel"]["items"][0], quantity="2x")]
    with pytest.raises(LabelDataError) as info:
        labels.from_dict("parcel", dict(SAMPLES["parcel"], items=bad_items))
    assert info.value.field == "items[0].quantity"


def test_from_dict_converts_types():
    rec = labels.from_dict("sscc", SAMPLES["sscc"])
    assert rec.best_before.isoformat() == "2026-12-31"
    assert rec.gross_weight_kg == 412.5
    parcel = labels.from_dict("parcel", SAMPLES["parcel"])
    assert parcel.items[1].hs_code == "090210"


def test_unknown_kind_and_wrong_stock():
    with pytest.raises(LabelDataError) as info:
        labels.render_pdf("pallet", [{}])
    assert info.value.field == "kind"
    with pytest.raises(LabelDataError) as info:
        labels.render_pdf("sscc", [SAMPLES["sscc"]], stock="a4-sheet")
    assert info.value.field == "stock"
