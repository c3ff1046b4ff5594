"""Check digits of S10 items, air waybills, containers and GS1 keys: good numbers pass, a
one-digit misread is caught and the error names the digit that was expected."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wms.core.errors import ValidationError
from wms.logistics.identifiers import (
    awb_check_digit, gs1_check_digit, make_awb, make_s10, make_sscc, s10_check_digit,
    validate_awb, validate_container, validate_gln, validate_gsin, validate_gtin, validate_s10,
    validate_sscc)


def s10_residue(serial8: str) -> int:
    """Independent oracle: the weighted sum mod 11 from the UPU S10 standard."""
    return sum(int(d) * w for d, w in zip(serial8, (8, 6, 4, 2, 3, 5, 9, 7))) % 11


def other_digits(digit: str) -> list[str]:
    return [d for d in "0123456789" if d != digit]


@pytest.mark.parametrize("validate, raw, normalised", [
    (validate_s10, "RR123456785CN", "RR123456785CN"),
    (validate_s10, " rr 1234 5678 5 cn\n", "RR123456785CN"),
    (validate_s10, "ＲＲ１２３４５６７８５ＣＮ", "RR123456785CN"),
    (validate_awb, "176-12345675", "176-12345675"),
    (validate_awb, "17612345675", "176-12345675"),
    (validate_awb, "176 1234 5675", "176-12345675"),
    (validate_container, "CSQU3054383", "CSQU3054383"),
    (validate_container, "csqu 305438 3", "CSQU3054383"),
    (validate_sscc, "106141412345678908", "106141412345678908"),
    (validate_sscc, "00106141412345678908", "106141412345678908"),
    (validate_sscc, "(00)106141412345678908", "106141412345678908"),
    (validate_gtin, "06901234567892", "06901234567892"),
    (validate_gtin, "6901234567892", "6901234567892"),
    (validate_gtin, "96385074", "96385074"),
    (validate_gln, "6901234567892", "6901234567892"),
])
def test_good_numbers_are_normalised(validate, raw, normalised):
    assert validate(raw) == normalised


def test_check_digit_functions_match_published_examples():
    assert s10_check_digit("12345678") == "5"
    assert awb_check_digit("1234567") == "5"
    assert gs1_check_digit("10614141234567890") == "8"
    assert gs1_check_digit("0690123456789") == "2"


@pytest.mark.parametrize("validate, wrong, field, expected", [
    (validate_s10, "RR123456784CN", "s10", "5"),
    (validate_awb, "176-12345676", "awb", "5"),
    (validate_awb, "17612345670", "awb", "5"),
    (validate_container, "CSQU3054384", "container", "3"),
    (validate_sscc, "106141412345678907", "sscc", "8"),
    (validate_gtin, "06901234567893", "gtin", "2"),
    (validate_gln, "6901234567891", "gln", "2"),
    (validate_gsin, "12345678901234561", "gsin", "0"),
])
def test_wrong_check_digit_names_the_expected_digit(validate, wrong, field, expected):
    with pytest.raises(ValidationError) as caught:
        validate(wrong)
    assert caught.value.field == field
    assert caught.value.params["expected"] == expected
    assert caught.value.message.endswith(f"it should be {expected}")


def test_field_name_can_be_chosen():
    with pytest.raises(ValidationError) as caught:
        validate_s10("RR123456784CN", field="tracking_no")
    assert caught.value.field == "tracking_no"


@pytest.mark.parametrize("validate, bad", [
    (validate_s10, "RR12345678CN"),
    (validate_s10, "R1123456785CN"),
    (validate_s10, ""),
    (validate_awb, "176-1234567"),
    (validate_awb, "ABC-12345675"),
    (validate_awb, "176--12345675"),
    (validate_container, "CSQX3054383"),
    (validate_container, "CS1U3054383"),
    (validate_container, "CSQU305438"),
    (validate_sscc, "10614141234567890"),
    (validate_sscc, "01106141412345678908"),
    (validate_gtin, "0690123456789A"),
    (validate_gtin, "12345678901"),
    (validate_gtin, "٠٦٩٠١٢٣٤٥٦٧٨٩٢"),
    (validate_gln, "06901234567892"),
])
def test_malformed_numbers_are_refused(validate, bad):
    with pytest.raises(ValidationError) as caught:
        validate(bad)
    assert caught.value.field
    assert "should be" not in caught.value.message


def test_makers_refuse_what_does_not_fit():
    with pytest.raises(ValidationError) as caught:
        make_sscc(1, "0614141", 10 ** 9)
    assert caught.value.field == "serial"
    assert make_sscc(1, "0614141", 10 ** 9 - 1) == "106141419999999991"
    for args, field in [((10, "0614141", 1), "extension"), ((1, "061", 1), "company_prefix"),
                        ((1, "0614141234567", 1), "company_prefix"),
                        ((1, "06141A1", 1), "company_prefix")]:
        with pytest.raises(ValidationError) as caught:
            make_sscc(*args)
        assert caught.value.field == field
    with pytest.raises(ValidationError):
        make_s10("R", 1, "CN")
    with pytest.raises(ValidationError):
        make_s10("RR", 10 ** 8, "CN")
    with pytest.raises(ValidationError):
        make_awb("17", 1)
    with pytest.raises(ValidationError):
        make_awb("176", -1)


def test_makers_build_the_published_examples():
    assert make_s10("rr", 12345678, "cn") == "RR123456785CN"
    assert make_awb("176", 1234567) == "176-12345675"
    assert make_sscc(1, "0614141", 234567890) == "106141412345678908"


def test_s10_mod_11_maps_two_residues_to_5():
    """Residues 0 and 6 both give check digit 5, so some one-digit misreads go unnoticed."""
    assert s10_residue("00000000") == 0 and s10_check_digit("00000000") == "5"
    collision = next(f"{n}0000000" for n in range(10) if s10_residue(f"{n}0000000") == 6)
    assert s10_check_digit(collision) == "5"
    assert validate_s10(f"RR{collision}5CN")


@given(service=st.from_regex(r"[A-Z]{2}", fullmatch=True), serial=st.integers(0, 10 ** 8 - 1),
       country=st.from_regex(r"[A-Z]{2}", fullmatch=True), position=st.integers(2, 10),
       data=st.data())
def test_s10_made_numbers_validate_and_misreads_are_caught_unless_residues_collide(
        service, serial, country, position, data):
    number = make_s10(service, serial, country)
    assert validate_s10(number) == number
    digit = data.draw(st.sampled_from(other_digits(number[position])))
    misread = number[:position] + digit + number[position + 1:]
    if position == 10:
        caught = True
    else:
        collide = {s10_residue(number[2:10]), s10_residue(misread[2:10])} == {0, 6}
        caught = not collide
    if caught:
        with pytest.raises(ValidationError):
            validate_s10(misread)
    else:
        assert validate_s10(misread) == misread


@given(prefix=st.from_regex(r"[0-9]{3}", fullmatch=True), serial=st.integers(0, 10 ** 7 - 1),
       position=st.integers(0, 10), data=st.data())
def test_awb_made_numbers_validate_and_mod_7_blind_spots_are_as_documented(
        prefix, serial, position, data):
    number = make_awb(prefix, serial)
    assert validate_awb(number) == number
    digits = number.replace("-", "")
    digit = data.draw(st.sampled_from(other_digits(digits[position])))
    misread = digits[:position] + digit + digits[position + 1:]
    # the prefix is not covered, and a serial digit off by 7 leaves serial mod 7 unchanged
    undetected = position < 3 or (position < 10 and abs(int(digit) - int(digits[position])) == 7)
    if undetected:
        assert validate_awb(misread) == f"{misread[:3]}-{misread[3:]}"
    else:
        with pytest.raises(ValidationError):
            validate_awb(misread)


@given(extension=st.integers(0, 9), company_prefix=st.from_regex(r"[0-9]{4,12}", fullmatch=True),
       data=st.data())
def test_sscc_made_numbers_validate_and_every_single_digit_misread_is_caught(
        extension, company_prefix, data):
    serial = data.draw(st.integers(0, 10 ** (16 - len(company_prefix)) - 1))
    number = make_sscc(extension, company_prefix, serial)
    assert len(number) == 18 and validate_sscc(number) == number
    assert number.startswith(f"{extension}{company_prefix}")
    position = data.draw(st.integers(0, 17))
    digit = data.draw(st.sampled_from(other_digits(number[position])))
    with pytest.raises(ValidationError):
        validate_sscc(number[:position] + digit + number[position + 1:])
