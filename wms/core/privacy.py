"""Personal data minimised: buyers' ID numbers and phone numbers are masked for every role but
those whose work needs them (the customs clerk and the supervisor), as the personal information
protection rules ask. Shown in full only through an explicit, audited "show"."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

SEES_PERSONAL_DATA = frozenset({"supervisor", "customs_clerk"})


def can_see_personal_data(roles: Iterable[str]) -> bool:
    """True when one of these roles may read a buyer's ID and phone number in full."""
    return not SEES_PERSONAL_DATA.isdisjoint(roles)


def actor_sees_personal_data(actor=None) -> bool:
    """The acting person (or token) may read buyers' numbers in full: a customs clerk, a
    supervisor, or an administrator."""
    from wms.core.context import current_actor
    actor = actor or current_actor()
    return can_see_personal_data(actor.roles) or "admin" in actor.roles


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


# Elements of CEB messages that carry a buyer's ID or phone number, and how each is masked.
XML_PERSONAL = {"buyerIdNumber": mask_id_number, "buyerTelephone": mask_phone,
                "consigneeTelephone": mask_phone, "telephone": mask_phone,
                "payerIdNumber": mask_id_number,
                "buyerRegNo": mask_phone}  # the platform account, often the phone number
_XML_ELEMENT = re.compile(r"<((?:[A-Za-z_][\w.-]*:)?(" + "|".join(XML_PERSONAL) + r"))>"
                          r"([^<]*)</\1>")


def mask_xml(xml: str) -> str:
    """A CEB message with its buyers' ID and phone numbers masked, for readers who may not
    see them; the rest of the message is byte for byte as it was sent."""
    return _XML_ELEMENT.sub(lambda m: f"<{m.group(1)}>{XML_PERSONAL[m.group(2)](m.group(3))}"
                                      f"</{m.group(1)}>", xml)


@dataclass(frozen=True)
class Buyer:
    """A buyer's numbers as one reader may see them: ``full`` says they are unmasked."""
    id_number: str
    phone: str
    consignee_phone: str
    full: bool


def buyer_view(order, full: bool) -> Buyer:
    """The order's buyer numbers, in full only when ``full`` (an audited show)."""
    if full:
        return Buyer(order.buyer_id_number or "", order.buyer_phone or "",
                     order.consignee_phone or "", True)
    return Buyer(mask_id_number(order.buyer_id_number), mask_phone(order.buyer_phone),
                 mask_phone(order.consignee_phone), False)


def record_shown(session, model: str, record_ids: Iterable[int], what: str,
                 note: str | None = None) -> int:
    """Write who looked at whose personal data into the audit trail (one row per record,
    one INSERT): the "show" of a page, a full export, an API read. Refused to readers whose
    roles may not see it. Answers the number of rows written."""
    from wms.core.audit import AuditEvent
    from wms.core.context import current_actor
    from wms.core.db import utcnow
    from wms.core.errors import N_, Forbidden
    actor = current_actor()
    if not actor_sees_personal_data(actor):
        raise Forbidden(N_("Only a customs clerk or a supervisor may see buyers' ID and "
                           "phone numbers"), field="personal_data")
    now = utcnow()
    rows = [dict(model=model, record_id=record_id, kind="show", field="personal_data",
                 old_value=None, new_value=what, note=note, user_id=actor.user_id,
                 user_login=actor.login, at=now) for record_id in sorted(set(record_ids))]
    if rows:
        session.execute(AuditEvent.__table__.insert(), rows)
    return len(rows)
