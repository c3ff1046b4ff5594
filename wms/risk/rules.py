"""The rule set: each rule a code, a level (1 notice, 2 warning, 3 serious), a category and
a text in the reader's language, and one set-based query over the recent business.

A rule returns ``Finding``s; ``wms.risk.services.run_rules`` turns them into warnings (one
per rule and subject). The evaluations live in ``checks.py``, one function per rule, so that
this list reads as the catalogue people ask for.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from wms.core.errors import N_

from . import checks

LEVEL_TITLES = {1: N_("Level 1: notice"), 2: N_("Level 2: warning"), 3: N_("Level 3: serious")}
CATEGORY_TITLES = {
    "market": N_("Market risk"),
    "transaction": N_("Transaction risk"),
    "product_quality": N_("Product quality risk"),
    "logistics": N_("Logistics risk"),
    "customs": N_("Customs risk"),
}


@dataclass(frozen=True)
class Rule:
    code: str
    level: int
    category: str
    title: str
    # The warning as a sentence; its parameters are the finding's facts.
    text: str
    check: Callable[..., list[checks.Finding]] = field(compare=False)


RULES: dict[str, Rule] = {rule.code: rule for rule in (
    Rule("tally_difference", 2, "logistics", N_("Tally differs from the advice"),
         N_("Receipt %(reference)s: the tally differs from the advice by %(percent)s %% "
            "(%(difference)s of %(advised)s)"), checks.tally_difference),
    Rule("unadvised_goods", 2, "customs", N_("Goods arrived that were not advised"),
         N_("Receipt %(reference)s: %(quantity)s not advised (%(products)s)"),
         checks.unadvised_goods),
    Rule("buyer_near_limit", 1, "transaction", N_("Buyer near the annual limit"),
         N_("Buyer %(buyer)s has used %(used)s of the %(limit)s annual retail limit "
            "(latest order %(reference)s)"), checks.buyer_near_limit),
    Rule("shared_contact", 3, "transaction", N_("Many buyers share one address or phone"),
         N_("%(buyers)s buyers ordered to one %(contact)s within %(days)s days (%(orders)s "
            "orders, latest %(reference)s): orders may be split to stay under the limits"),
         checks.shared_contact),
    Rule("buyer_id_names", 2, "transaction", N_("One buyer ID under different names"),
         N_("Buyer ID %(buyer)s ordered under %(count)s names (latest order %(reference)s)"),
         checks.buyer_id_names),
    Rule("short_shelf_life", 2, "product_quality", N_("Expiry within the minimum shelf life"),
         N_("Lot %(reference)s of %(sku)s (%(quantity)s in stock) expires on %(expiry)s, "
            "within %(days)s days"), checks.short_shelf_life),
    Rule("declaration_stopped", 3, "customs", N_("Declaration held or rejected by customs"),
         N_("%(reference)s: customs %(decision)s the declaration"),
         checks.declaration_stopped),
    Rule("train_silent", 2, "logistics", N_("Train without reports"),
         N_("Shipment %(reference)s (train %(train)s): no report for %(hours)s hours"),
         checks.train_silent),
    Rule("return_late", 1, "customs", N_("Return outside its deadline"),
         N_("Return %(reference)s is outside its deadline (%(deadline)s)"),
         checks.return_late),
    Rule("blacklisted_party", 3, "market", N_("Blacklisted enterprise"),
         N_("%(enterprise)s is on the blacklist: %(what)s %(reference)s"),
         checks.blacklisted_party),
)}

# Facts that are words, said in the reader's language where the warning is shown.
WORDS = {"held": N_("held"), "rejected": N_("rejected"), "address": N_("address"),
         "phone": N_("phone"), "refused": N_("attempt refused"),
         "on_hold": N_("document held")}


def rules_to_run(settings) -> list[Rule]:
    return [rule for code, rule in RULES.items() if code not in settings.off]


def evaluate(rule: Rule, session, settings, now: datetime) -> list[checks.Finding]:
    return rule.check(session, settings, now)
