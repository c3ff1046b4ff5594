from wms.core.privacy import can_see_personal_data, mask_id_number, mask_phone


def test_resident_id_keeps_county_and_last_four():
    assert mask_id_number("62010219900101123X") == "620102********123X"
    assert mask_id_number("") == ""


def test_phone_keeps_prefix_and_last_four():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+8613812345678") == "+86138****5678"
    assert mask_phone("5678") == "****"


def test_only_customs_clerk_and_supervisor_see_in_full():
    assert can_see_personal_data(["customs_clerk"])
    assert can_see_personal_data(["operator", "supervisor"])
    assert not can_see_personal_data(["operator", "returns_clerk", "owner_viewer", "admin"])
