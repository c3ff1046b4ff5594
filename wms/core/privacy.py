"""Personal data minimised: buyers' ID numbers and phone numbers are masked for every role but
those whose work needs them (the customs clerk and the supervisor), as the personal information
protection rules ask. Shown in full only through an explicit, audited "show"."""
from __future__ import annotations

from typing import Iterable

SEES_PERSONAL_DATA = frozenset({"supervisor", "customs_clerk"})


def can_see_personal_data(roles: Iterable[str]) -> bool:
    """True when one of these roles may read a buyer's ID and phone number in full."""
    return not SEES_PERSONAL_DATA.isdisjoint(roles)


def mask_id_number(number: str | None) -> str:
    """620102199001011234 -> 620102********1234: the issuing county and the last four stay, so
    a clerk can match a buyer on the phone without the date of birth being shown."""
    if not number:
        return ""
    if len(number) <= 10:
        return number[:2] + "*" * max(len(number) - 4, 0) + number[-2:]
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(number: str | None) -> str:
    """13812345678 -> 138****5678; shorter or foreign numbers keep only their last four."""
    if not number:
        return ""
    digits = number.strip()
    if len(digits) >= 11:
        return digits[:len(digits) - 8] + "****" + digits[-4:]
    if len(digits) > 4:
        return "*" * (len(digits) - 4) + digits[-4:]
    return "*" * len(digits)
