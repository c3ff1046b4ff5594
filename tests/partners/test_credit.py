"""Credit classes: the AEO certificate goes with advanced certification, and the class
decides how the tally treats packages (a sample opened; all of a dishonest owner's)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from wms.core.errors import ValidationError
from wms.demo import OWNER_MILK
from wms.inbound.receipts import LineInput, create_receipt, gate_in
from wms.inbound.tally import TallyInput, scan_tally
from wms.partners.credit import CreditRules, ItemCountRequired, InspectionPlan, inspection_plan
from wms.partners.services import get_enterprise_by_code, update_enterprise

SSCC = "106141412345678908"


def ssccs(n: int) -> list[str]:
    from stdnum import ean
    return [body + ean.calc_check_digit(body) for body in
            (f"3690612{i:010d}" for i in range(n))]


def test_sampling_opens_about_the_rate_of_packages_and_always_the_same_ones():
    codes = ssccs(20000)
    for rate in (Decimal("0.0057"), Decimal("0.0244")):
        plan = InspectionPlan("regular", rate, False)
        opened = [c for c in codes if plan.opens(c)]
        assert abs(len(opened) / len(codes) - float(rate)) < float(rate) * 0.35
        assert opened == [c for c in codes if plan.opens(c)]
    assert not any(InspectionPlan("advanced", Decimal(0), False).opens(c) for c in codes[:500])
    assert all(InspectionPlan("dishonest", Decimal(1), True).opens(c) for c in codes[:500])


def test_rates_per_class_come_from_the_settings():
    rules = CreditRules.from_env({"WMS_TALLY_SAMPLING": "advanced=0.001,regular=0.05"})
    assert rules.rate("advanced") == Decimal("0.001") and rules.rate("regular") == Decimal("0.05")
    assert rules.rate("general") == Decimal("0.0169")
    assert rules.rate("dishonest") == 1
    assert CreditRules.from_env({}).rate("advanced") < CreditRules.from_env({}).rate("regular")


def tallying_receipt(db, ref: str):
    receipt = create_receipt(db, owner_code=OWNER_MILK, warehouse_code="LZB",
                             supplier="Danone Nutricia GmbH", supplier_ref=ref,
                             lines=[LineInput("APT-PRE-800", 24, "L-CR-1", "2028-01-01",
                                              sscc=SSCC)])
    gate_in(db, receipt, vehicle_no="甘A·D2741")
    return receipt


def test_a_dishonest_owners_package_is_not_counted_as_advised(db, demo):
    owner = get_enterprise_by_code(db, OWNER_MILK)
    update_enterprise(db, owner, credit_class="dishonest")
    receipt = tallying_receipt(db, "CR-1")
    with pytest.raises(ItemCountRequired) as err:
        scan_tally(db, receipt, TallyInput(item=SSCC))
    assert err.value.field == "item" and SSCC in err.value.message
    # item by item is how a full count goes
    result = scan_tally(db, receipt, TallyInput(item="APT-PRE-800", quantity=24, lot="L-CR-1",
                                                expiry_date="2028-01-01"))
    assert result.scans[0].quantity == 24


def test_an_advanced_owners_package_not_in_the_sample_counts_as_advised(db, demo):
    owner = get_enterprise_by_code(db, OWNER_MILK)
    assert owner.credit_class == "advanced"
    assert not inspection_plan(owner).opens(SSCC)
    receipt = tallying_receipt(db, "CR-2")
    result = scan_tally(db, receipt, TallyInput(item=SSCC))
    assert result.package == SSCC and result.scans[0].quantity == 24


def test_the_aeo_certificate_goes_with_advanced_certification(db, demo):
    owner = get_enterprise_by_code(db, OWNER_MILK)
    update_enterprise(db, owner, aeo_certificate=f"aeocn{owner.customs_code}")
    assert owner.aeo_certificate == f"AEOCN{owner.customs_code}"
    assert owner.aeo_status == "certified"
    with pytest.raises(ValidationError) as err:
        update_enterprise(db, owner, aeo_certificate="AEOCN0000000000")
    assert err.value.field == "aeo_certificate"
    with pytest.raises(ValidationError) as err:
        update_enterprise(db, owner, credit_class="regular",
                          aeo_certificate=f"AEOCN{owner.customs_code}")
    assert err.value.field == "aeo_certificate"
    update_enterprise(db, owner, credit_class="regular")  # downgraded: the certificate goes
    assert owner.aeo_certificate is None and owner.aeo_status == "none"
    with pytest.raises(ValidationError) as err:
        update_enterprise(db, owner, credit_class="excellent")
    assert err.value.field == "credit_class"
    with pytest.raises(ValidationError) as err:
        update_enterprise(db, owner, customs_code="6201W69999")
    assert err.value.field == "customs_code"
