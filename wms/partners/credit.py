"""What an enterprise's customs credit class allows: how often the tally opens a package.

Customs inspects goods of better-rated enterprises less (2019 published actuals: advanced
0.57 %, general 1.69 %, regular 2.44 %, dishonest 84.76 %). The warehouse follows the same
grading at the tally: an advised package is accepted as advised unless it is chosen for
inspection, at the sampling rate of its owner's class; a dishonest owner's packages are all
opened (a mandatory full count). The choice is a hash of the SSCC, so every scanner, the
desk and a retried scan agree on which packages to open.
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from wms.core.errors import N_, ValidationError

DEFAULT_SAMPLING = {"advanced": Decimal("0.0057"), "general": Decimal("0.0169"),
                    "regular": Decimal("0.0244"), "dishonest": Decimal("1")}
DEFAULT_FULL_COUNT = ("dishonest",)
CREDIT_CLASS_NAMES = {
    "advanced": N_("Advanced certified (AEO)"),
    "general": N_("General certified"),
    "regular": N_("Regular"),
    "dishonest": N_("Dishonest"),
}


class ItemCountRequired(ValidationError):
    code = "item_count_required"


def _rates(text: str | None) -> dict[str, Decimal]:
    """``advanced=0.0057,regular=0.03`` over the defaults."""
    rates = dict(DEFAULT_SAMPLING)
    for part in (text or "").split(","):
        if "=" in part:
            name, value = part.split("=", 1)
            rates[name.strip()] = min(max(Decimal(value.strip()), Decimal(0)), Decimal(1))
    return rates


@dataclass(frozen=True)
class CreditRules:
    # Share of advised packages the tally opens, per credit class.
    sampling: dict[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_SAMPLING))
    # Classes whose every package is opened and counted item by item.
    full_count: tuple[str, ...] = DEFAULT_FULL_COUNT

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CreditRules:
        env = os.environ if env is None else env
        full = tuple(c.strip() for c in env.get("WMS_FULL_COUNT_CLASSES", "dishonest")
                     .split(",") if c.strip())
        return cls(sampling=_rates(env.get("WMS_TALLY_SAMPLING")), full_count=full)

    def rate(self, credit_class: str) -> Decimal:
        if credit_class in self.full_count:
            return Decimal(1)
        return self.sampling.get(credit_class, DEFAULT_SAMPLING["regular"])


@dataclass(frozen=True)
class InspectionPlan:
    """How the tally treats one owner's packages."""
    credit_class: str
    rate: Decimal
    full_count: bool

    def opens(self, sscc: str) -> bool:
        """Whether the package with this SSCC is to be opened and counted item by item."""
        if self.full_count or self.rate >= 1:
            return True
        if self.rate <= 0:
            return False
        draw = int.from_bytes(hashlib.sha256(sscc.encode()).digest()[:8], "big") / 2 ** 64
        return Decimal(str(draw)) < self.rate


def inspection_plan(enterprise, rules: CreditRules | None = None) -> InspectionPlan:
    rules = rules or CreditRules.from_env()
    return InspectionPlan(enterprise.credit_class, rules.rate(enterprise.credit_class),
                          enterprise.credit_class in rules.full_count)


def require_item_count(receipt, sscc: str, rules: CreditRules | None = None) -> None:
    """The tally door asks before it counts an advised package as advised: a package chosen
    for inspection (all of a dishonest owner's) is refused as a whole, to be opened and
    its items scanned one by one."""
    plan = inspection_plan(receipt.owner, rules)
    if plan.full_count:
        raise ItemCountRequired(
            N_("Owner %(owner)s is rated dishonest: full count. Open package %(sscc)s and "
               "scan every item"), field="item", owner=receipt.owner.customs_code, sscc=sscc)
    if plan.opens(sscc):
        raise ItemCountRequired(
            N_("Package %(sscc)s is chosen for inspection (%(rate)s %% of this owner's "
               "packages): open it and scan every item"), field="item", sscc=sscc,
            rate=format((plan.rate * 100).normalize(), "f"))
