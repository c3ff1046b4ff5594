"""Customs' decisions on a filed entry declaration, per item, and customs' answer file.

Customs status changes here and nowhere else: release makes the counted goods ``bonded``
where they wait (the input area); inspection moves them to the customs hold area as
``held``; rejection sends them out of the zone. A held item is released or rejected later.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wms.accountbook.services import book_document
from wms.core.xml import parse_untrusted_xml
from wms.catalog.models import Product
from wms.core.db import utcnow
from wms.core.errors import N_, Conflict, NotFound, ValidationError
from wms.customs.models import CustomsMessage
from wms.customs.outbox import record_receipt
from wms.inventory.models import Quant
from wms.inventory.services import MoveLine, new_document, post_moves, virtual_location

from .declaration_xml import NS, schema
from .models import DeclarationLine, EntryDeclaration, Receipt, TallyScan
from .queries import hold_area, input_area

DECISION_BY_STATUS = {"800": "released", "500": "held", "100": "rejected"}
ALLOWED = {"pending": {"released", "held", "rejected"}, "held": {"released", "rejected"}}
REASONS = {"released": "released by customs {name}", "held": "held for inspection {name}",
           "rejected": "rejected by customs, returned abroad {name}"}


def _line_key(line: DeclarationLine) -> tuple:
    return (line.item_record_no, line.hs_code, line.origin_country, line.unit, line.unit1,
            line.unit2)


def _product_key(product: Product) -> tuple:
    """How ``build_declaration`` grouped the product into an item."""
    return (product.item_record_no, product.hs_code, product.origin_country,
            product.customs_unit, product.legal_unit1, product.legal_unit2)


def decide(session: Session, declaration: EntryDeclaration, decisions: dict[int, str],
           note: str | None = None) -> Receipt:
    """Apply customs' decision to declaration lines (by gnum); a fixed number of queries
    whatever the number of items."""
    receipt = declaration.receipt
    if declaration.state == "draft":
        raise Conflict(N_("Declaration %(name)s has not been filed"), field="declaration",
                       name=declaration.name)
    lines = {ln.gnum: ln for ln in declaration.lines}
    for gnum, decision in decisions.items():
        if gnum not in lines:
            raise ValidationError(N_("Declaration has no item %(gnum)s"), field="gnum",
                                  gnum=gnum)
        if decision not in ("released", "held", "rejected"):
            raise ValidationError(N_("Unknown decision %(decision)s"), field="decision",
                                  decision=decision)
        current = lines[gnum].decision
        if decision not in ALLOWED.get(current, set()):
            raise Conflict(N_("Item %(gnum)s is %(current)s: it cannot become %(decision)s"),
                           field="decision", gnum=gnum, current=current, decision=decision)
    warehouse = receipt.warehouse
    entry, hold = input_area(session, warehouse), hold_area(session, warehouse)
    out = virtual_location(session, "supplier")
    document = new_document(session, "customs", f"{warehouse.code}/CUS",
                            warehouse_id=warehouse.id, origin=declaration.name)
    goods = _counted_goods(session, receipt, entry.id, hold.id)
    moves: list[MoveLine] = []
    now = utcnow()
    for gnum, decision in sorted(decisions.items()):
        line = lines[gnum]
        source, status = (hold, "held") if line.decision == "held" else (entry, "arrived")
        target, new_status = {"released": (entry, "bonded"), "held": (hold, "held"),
                              "rejected": (out, status)}[decision]
        reason = REASONS[decision].format(name=declaration.name)
        for (product_id, lot_id), (qty, quants) in goods.get(_line_key(line), {}).items():
            left = qty
            for quant in quants.get((source.id, status), []):
                if left <= 0:
                    break
                take = min(quant.quantity, left)
                moves.append(MoveLine(product_id, take, source.id, target.id, receipt.owner_id,
                                      status, lot_id, quant.package_id,
                                      quant.package_id if target.usage != "supplier" else None,
                                      new_status, reason))
                left -= take
            if left > 0:
                raise Conflict(N_("Item %(gnum)s: %(left)s of the counted goods are no longer "
                                  "in %(place)s"), field="decision", gnum=line.gnum, left=left,
                               place=source.full_path)
        line.decision = decision
        line.decided_at = now
        line.decision_note = note
    if moves:
        post_moves(session, moves, document)
    document.transition("done")
    document.done_at = now
    # What customs released into bond enters the account book under this declaration.
    book_document(session, document, "receipt", declaration.name)
    _settle_receipt_state(receipt, declaration, note)
    session.flush()
    return receipt


def _counted_goods(session: Session, receipt: Receipt, entry_id: int, hold_id: int
                   ) -> dict[tuple, dict[tuple, tuple[Decimal, dict]]]:
    """The counted goods per declaration item key and (product, lot), with the quants that
    hold them now in the input and hold areas: three queries."""
    tallied = session.execute(select(TallyScan.product_id, TallyScan.lot_id,
                                     func.sum(TallyScan.quantity))
                              .where(TallyScan.receipt_id == receipt.id)
                              .group_by(TallyScan.product_id, TallyScan.lot_id)).all()
    tallied = [(pid, lot_id, Decimal(qty)) for pid, lot_id, qty in tallied if qty > 0]
    if not tallied:
        return {}
    product_ids = {pid for pid, _lot, _qty in tallied}
    products = {p.id: p for p in session.scalars(select(Product).where(
        Product.id.in_(product_ids)))}
    quants: dict[tuple, dict[tuple, list[Quant]]] = defaultdict(lambda: defaultdict(list))
    for quant in session.scalars(select(Quant).where(
            Quant.location_id.in_((entry_id, hold_id)), Quant.product_id.in_(product_ids),
            Quant.owner_id == receipt.owner_id, Quant.customs_status.in_(("arrived", "held")),
            Quant.quantity > 0).order_by(Quant.id)):
        quants[(quant.product_id, quant.lot_id)][(quant.location_id, quant.customs_status)] \
            .append(quant)
    goods: dict[tuple, dict] = defaultdict(dict)
    for pid, lot_id, qty in tallied:
        goods[_product_key(products[pid])][(pid, lot_id)] = (qty, quants[(pid, lot_id)])
    return goods


def _settle_receipt_state(receipt: Receipt, declaration: EntryDeclaration,
                          note: str | None) -> None:
    decisions = {ln.decision for ln in declaration.lines}
    if "pending" in decisions:
        target = "held" if "held" in decisions else None
    elif "held" in decisions:
        target = "held"
    else:
        target = "released" if "released" in decisions else "rejected"
        declaration.transition("decided")
    if target and target != receipt.state:
        receipt.transition(target, reason=note)


def import_entry_return(session: Session, content: bytes,
                        receipt_id: int | None = None) -> EntryDeclaration:
    """Apply customs' answer to an entry record list: 800 releases an item, 500 holds it for
    inspection, 100 rejects it. The receipt is kept in the message's outbox history."""
    root = parse_untrusted_xml(content, field="xml")
    if not schema().validate(root) or root.tag != f"{{{NS}}}EntryRecordListReturn":
        error = schema().error_log.last_error
        raise ValidationError(N_("Not an entry record list receipt: %(error)s"), field="xml",
                              error=error.message if error else root.tag)
    guid = root.findtext(f"{{{NS}}}guid")
    declaration = session.scalar(select(EntryDeclaration).where(EntryDeclaration.guid == guid))
    if declaration is None or (receipt_id is not None and declaration.receipt_id != receipt_id):
        raise NotFound(N_("No declaration with guid %(guid)s"), field="guid", guid=guid)
    decisions, infos = {}, []
    for item in root.iterfind(f"{{{NS}}}Item"):
        status = item.findtext(f"{{{NS}}}returnStatus")
        if status not in DECISION_BY_STATUS:
            raise ValidationError(N_("Unknown returnStatus %(status)s"), field="returnStatus",
                                  status=status)
        gnum = int(item.findtext(f"{{{NS}}}gnum"))
        decisions[gnum] = DECISION_BY_STATUS[status]
        infos.append(f"{gnum}:{status} {item.findtext(f'{{{NS}}}returnInfo') or ''}".strip())
    decide(session, declaration, decisions, note="; ".join(infos))
    if declaration.message_id:
        message = session.get(CustomsMessage, declaration.message_id)
        statuses = {ln.decision for ln in declaration.lines}
        overall = "800" if statuses == {"released"} else "500" if "held" in statuses else \
            "100" if statuses == {"rejected"} else "399"
        record_receipt(session, message, overall, "; ".join(infos), content.decode("utf-8"))
    return declaration
