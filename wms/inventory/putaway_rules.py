"""Putaway rules made, edited and retired at the desk (``inbound.putaway`` reads them).

A rule sends goods of one product, one category, one owner, or anything, to a place: a
storage location of the warehouse (its barcode or its path), where a location under it with
room is suggested. It names at most one of product, category and owner; the most specific
rule wins, then the lower sequence. Retiring deletes the rule, and the audit trail keeps
what it said.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from wms.catalog.models import Product
from wms.core.errors import N_, NotFound, ValidationError
from wms.core.parsing import parse_int
from wms.core.scoping import scope_to_owner
from wms.inbound.models import PutawayRule

from .models import Location, Warehouse
from .resolve import owner_by_code


@dataclass
class RuleFields:
    """A rule as the form or a caller gives it: codes, not ids."""

    warehouse: str
    location: str
    product: str | None = None
    category: str | None = None
    owner: str | None = None
    sequence: Any = 10


def _checked(session: Session, given: RuleFields) -> dict:
    warehouse = session.scalar(select(Warehouse).where(
        Warehouse.code == (given.warehouse or "").strip()))
    if warehouse is None:
        raise NotFound(N_("No warehouse %(code)s"), field="warehouse", code=given.warehouse)
    place = (given.location or "").strip()
    if not place:
        raise ValidationError(N_("This field is required"), field="location")
    location = session.scalars(select(Location).where(
        Location.warehouse_id == warehouse.id, Location.active,
        or_(func.upper(Location.barcode) == place.upper(), Location.full_path == place))
        .order_by(Location.id)).first()
    if location is None:
        raise NotFound(N_("%(code)s is not a location of warehouse %(warehouse)s"),
                       field="location", code=place, warehouse=warehouse.code)
    if location.usage not in ("internal", "view"):
        raise ValidationError(N_("Goods are put away into storage: %(path)s is not a storage "
                                 "location"), field="location", path=location.full_path)
    named = [(n, v.strip()) for n, v in (("product", given.product or ""),
                                         ("category", given.category or ""),
                                         ("owner", given.owner or "")) if v.strip()]
    if len(named) > 1:
        raise ValidationError(N_("A rule names one of product, category or owner, or none "
                                 "(any goods)"), field=named[1][0])
    product_id = owner_id = category = None
    if named and named[0][0] == "product":
        product = session.scalar(scope_to_owner(select(Product).where(
            Product.sku == named[0][1]), Product.owner_id))
        if product is None:
            raise NotFound(N_("No product %(sku)s"), field="product", sku=named[0][1])
        product_id = product.id
    elif named and named[0][0] == "category":
        category = named[0][1]
        if len(category) > 60:
            raise ValidationError(N_("At most %(n)s characters"), field="category", n=60)
    elif named:
        owner_id = owner_by_code(session, named[0][1], "owner").id
    sequence = parse_int(given.sequence if given.sequence not in (None, "") else 10,
                         "sequence", minimum=0, maximum=9999)
    return dict(warehouse_id=warehouse.id, location_id=location.id, product_id=product_id,
                category=category, owner_id=owner_id, sequence=sequence)


def create_rule(session: Session, given: RuleFields) -> PutawayRule:
    rule = PutawayRule(**_checked(session, given))
    session.add(rule)
    session.flush()
    return rule


def get_rule(session: Session, rule_id: int) -> PutawayRule:
    rule = session.get(PutawayRule, rule_id)
    if rule is None:
        raise NotFound(N_("No putaway rule %(id)s"), field="rule", id=rule_id)
    return rule


def update_rule(session: Session, rule_id: int, given: RuleFields) -> PutawayRule:
    rule = get_rule(session, rule_id)
    for name, value in _checked(session, given).items():
        setattr(rule, name, value)
    session.flush()
    session.expire(rule, ["location"])  # set by id: the loaded place is the old one
    return rule


def retire_rule(session: Session, rule_id: int) -> None:
    session.delete(get_rule(session, rule_id))
    session.flush()


def list_rules(session: Session, warehouse_id: int | None = None) -> list[PutawayRule]:
    """The rules in the order putaway tries them (per warehouse: sequence, then id)."""
    stmt = select(PutawayRule).order_by(PutawayRule.warehouse_id, PutawayRule.sequence,
                                        PutawayRule.id)
    if warehouse_id is not None:
        stmt = stmt.where(PutawayRule.warehouse_id == warehouse_id)
    return list(session.scalars(stmt))
