"""The entry record list (进境备案清单), built from the closed tally and filed with customs.

Quantities come from what was counted, never from the supplier's advice; everything customs
would reject is found before filing and named per product.
"""
from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wms.catalog.models import Product
from wms.core.db import utcnow
from wms.core.errors import N_, Conflict, ValidationError
from wms.customs.outbox import queue_message
from wms.partners.blacklist import refuse_held

from .declaration_xml import entry_record_list_xml
from .models import DeclarationLine, EntryDeclaration, Receipt, TallyScan
from .receipts import insert_rows


@dataclass(frozen=True)
class Problem:
    """A reason a declaration cannot be filed, pointing at the product to fix."""

    sku: str
    field: str
    message: str  # an N_-marked English sentence: the web layer translates it


class DeclarationNotReady(ValidationError):
    code = "declaration_not_ready"

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        first = problems[0]
        super().__init__(N_("%(count)s problem(s) before filing; first: product %(sku)s: "
                            "%(problem)s"), field=f"product {first.sku}: {first.field}",
                         count=len(problems), sku=first.sku, problem=first.message)


def _declared_goods(session: Session, receipt: Receipt) -> list[tuple[Product, Decimal]]:
    """What was counted, per product: the declaration's quantities come from here."""
    rows = session.execute(select(TallyScan.product_id, func.sum(TallyScan.quantity))
                           .where(TallyScan.receipt_id == receipt.id)
                           .group_by(TallyScan.product_id)).all()
    products = {p.id: p for p in session.scalars(select(Product).where(
        Product.id.in_({r[0] for r in rows} or {0})))}
    return [(products[pid], Decimal(qty)) for pid, qty in rows if qty > 0]


def check_declaration(session: Session, receipt: Receipt) -> list[Problem]:
    """Everything customs would reject, found before filing."""
    problems: list[Problem] = []
    goods = _declared_goods(session, receipt)
    if not goods:
        problems.append(Problem("-", "tally", N_("nothing was counted")))
    for product, _qty in goods:
        def add(field: str, message: str) -> None:
            problems.append(Problem(product.sku, field, message))
        if product.owner_id != receipt.owner_id:
            add("owner", N_("belongs to another owner"))
        if not product.item_record_no:
            add("item_record_no", N_("not registered with customs for this owner "
                "(no product registration number)"))
        if not (product.hs_code or "").isdigit() or len(product.hs_code) != 10:
            add("hs_code", N_("HS code must have 10 digits"))
        if not product.legal_unit1 or not product.legal_factor1:
            add("legal_factor1", N_("no conversion to the first legal unit"))
        if product.legal_unit2 and not product.legal_factor2:
            add("legal_factor2", N_("no conversion to the second legal unit"))
        if not product.declared_price or product.declared_price <= 0:
            add("declared_price", N_("no declared price"))
        if not product.net_weight_kg or product.net_weight_kg <= 0:
            add("net_weight_kg", N_("no net weight"))
        if not product.origin_country:
            add("origin_country", N_("no origin country"))
    return problems


def build_declaration(session: Session, receipt: Receipt) -> EntryDeclaration:
    """Group the tallied goods by registration number, HS code and origin, with quantities in
    the declared and legal units, weights and values in CNY."""
    if receipt.state != "tallied":
        raise Conflict(N_("Receipt %(name)s is %(state)s: close the tally before declaring"),
                       field="receipt", name=receipt.name, state=receipt.state)
    existing = session.scalar(select(EntryDeclaration).where(
        EntryDeclaration.receipt_id == receipt.id))
    if existing is not None:
        return existing
    problems = check_declaration(session, receipt)
    if problems:
        raise DeclarationNotReady(problems)
    groups: dict[tuple, list[tuple[Product, Decimal]]] = defaultdict(list)
    for product, qty in sorted(_declared_goods(session, receipt), key=lambda g: g[0].sku):
        groups[(product.item_record_no, product.hs_code, product.origin_country,
                product.customs_unit, product.legal_unit1, product.legal_unit2)].append(
            (product, qty))
    declaration = EntryDeclaration(receipt_id=receipt.id,
                                   guid=str(uuid.uuid4()).upper(), total_value=Decimal(0),
                                   total_net_kg=Decimal(0), total_gross_kg=Decimal(0))
    cents = Decimal("0.01")
    lines: list[dict] = []
    for gnum, (key, items) in enumerate(groups.items(), start=1):
        first = items[0][0]
        qty = sum((q for _, q in items), Decimal(0))
        qty1 = sum((q * p.legal_factor1 for p, q in items), Decimal(0))
        qty2 = sum((q * p.legal_factor2 for p, q in items), Decimal(0)) \
            if first.legal_unit2 else None
        total = sum((q * p.declared_price for p, q in items), Decimal(0)).quantize(cents)
        net = sum((q * p.net_weight_kg for p, q in items), Decimal(0))
        gross = sum((q * p.gross_weight_kg for p, q in items), Decimal(0))
        lines.append(dict(
            gnum=gnum, product_id=first.id, item_record_no=first.item_record_no,
            hs_code=first.hs_code, gname=first.gname, gmodel=first.gmodel,
            origin_country=first.origin_country, qty=qty, unit=first.customs_unit,
            qty1=qty1.quantize(Decimal("0.001")), unit1=first.legal_unit1,
            qty2=qty2.quantize(Decimal("0.001")) if qty2 is not None else None,
            unit2=first.legal_unit2, price=(total / qty).quantize(Decimal("0.0001")),
            total_price=total, net_kg=net, gross_kg=gross, decision="pending"))
        declaration.total_value += total
        declaration.total_net_kg += net
        declaration.total_gross_kg += gross
    if sum((ln["total_price"] for ln in lines), Decimal(0)) != declaration.total_value:
        raise ValidationError(N_("Declaration totals do not add up"), field="total_value")
    session.add(declaration)
    declaration.assign_name(session, f"{receipt.warehouse.code}/ENT")
    session.flush()
    insert_rows(session, DeclarationLine, [{**ln, "declaration_id": declaration.id}
                                           for ln in lines])
    session.expire(declaration, ["lines"])
    return declaration


def file_declaration(session: Session, declaration: EntryDeclaration, *,
                     xsd_dir: str | None = None) -> EntryDeclaration:
    """Put the declaration's XML into the customs outbox; the receipt is now declared."""
    receipt = declaration.receipt
    if receipt.state != "tallied":
        raise Conflict(N_("Receipt %(name)s is %(state)s: it cannot be declared now"),
                       field="receipt", name=receipt.name, state=receipt.state)
    refuse_held(session, "receipt", [receipt], "receipt")
    xml = entry_record_list_xml(declaration)
    message = queue_message(session, "ENTRY", xml, guid=declaration.guid,
                            business_key=receipt.name, owner_id=receipt.owner_id)
    declaration.message_id = message.id
    declaration.filed_at = utcnow()
    declaration.transition("filed")
    receipt.declared_at = declaration.filed_at
    receipt.transition("declared", reason=declaration.name)
    session.flush()
    return declaration
