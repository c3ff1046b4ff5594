"""One set-based evaluation per risk rule: a fixed number of queries over the recent
window, whatever the amount of business. Each returns what it found as ``Finding``s whose
``subject`` names the thing found, the same on every run."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from wms.core.privacy import mask_id_number, mask_phone


@dataclass
class Finding:
    subject: str
    document: str
    document_id: int | None
    reference: str | None
    owner_id: int | None
    facts: dict


def _num(value) -> str:
    value = Decimal(value)
    return format(value.normalize(), "f") if value == value.to_integral() else \
        format(value.quantize(Decimal("0.01")), "f")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _since(settings, now: datetime) -> datetime:
    return now - timedelta(days=settings.risk.window_days)


def tally_difference(session: Session, settings, now: datetime) -> list[Finding]:
    """Receipts whose closed tally is short or over by more than the threshold share."""
    from wms.inbound.models import Discrepancy, Receipt, ReceiptLine
    advised = (select(ReceiptLine.receipt_id, func.sum(ReceiptLine.expected_qty).label("qty"))
               .group_by(ReceiptLine.receipt_id).subquery())
    differing = (select(Discrepancy.receipt_id,
                        func.sum(func.abs(Discrepancy.tallied_qty - Discrepancy.expected_qty))
                        .label("qty"))
                 .where(Discrepancy.kind.in_(("short", "over")))
                 .group_by(Discrepancy.receipt_id).subquery())
    found = []
    for rid, name, owner_id, total, diff in session.execute(
            select(Receipt.id, Receipt.name, Receipt.owner_id, advised.c.qty, differing.c.qty)
            .join(advised, advised.c.receipt_id == Receipt.id)
            .join(differing, differing.c.receipt_id == Receipt.id)
            .where(Receipt.tally_closed_at >= _since(settings, now))
            .order_by(Receipt.id)):
        if not total:
            continue
        percent = Decimal(diff) * 100 / Decimal(total)
        if percent > settings.risk.tally_difference_percent:
            found.append(Finding(f"receipt:{rid}", "receipt", rid, name, owner_id, dict(
                percent=_num(percent), difference=_num(diff), advised=_num(total),
                threshold=_num(settings.risk.tally_difference_percent))))
    return found


def unadvised_goods(session: Session, settings, now: datetime) -> list[Finding]:
    """Receipts whose tally found products that were not on the advice."""
    from wms.catalog.models import Product
    from wms.inbound.models import Discrepancy, Receipt
    rows = session.execute(
        select(Receipt.id, Receipt.name, Receipt.owner_id, Product.sku,
               Discrepancy.tallied_qty)
        .join(Discrepancy, Discrepancy.receipt_id == Receipt.id)
        .join(Product, Product.id == Discrepancy.product_id)
        .where(Discrepancy.kind == "unexpected",
               Receipt.tally_closed_at >= _since(settings, now))
        .order_by(Receipt.id, Product.sku))
    by_receipt: dict[int, Finding] = {}
    for rid, name, owner_id, sku, qty in rows:
        finding = by_receipt.setdefault(rid, Finding(
            f"receipt:{rid}", "receipt", rid, name, owner_id, dict(quantity="0", products="")))
        finding.facts["quantity"] = _num(Decimal(finding.facts["quantity"]) + qty)
        finding.facts["products"] = ", ".join(filter(None, (finding.facts["products"], sku)))
    return list(by_receipt.values())


def buyer_near_limit(session: Session, settings, now: datetime) -> list[Finding]:
    """Buyers with a retail order in the window whose spending this calendar year (Beijing
    time) reached the threshold share of the annual limit."""
    from wms.outbound.models import SalesOrder
    from wms.outbound.queries import BEIJING, COUNTED_STATES
    limit = settings.retail_limits.per_year
    year_start = datetime(now.astimezone(BEIJING).year, 1, 1, tzinfo=BEIJING)
    spent = func.sum(SalesOrder.actual_paid - SalesOrder.refunded)
    found = []
    for buyer, used, last_id, owner_id in session.execute(
            select(SalesOrder.buyer_id_number, spent, func.max(SalesOrder.id),
                   func.min(SalesOrder.owner_id))
            .where(SalesOrder.trade_mode == "1210", SalesOrder.state.in_(COUNTED_STATES),
                   SalesOrder.ordered_at >= year_start)
            .group_by(SalesOrder.buyer_id_number)
            .having(and_(spent >= limit * settings.risk.near_limit_share,
                         func.max(SalesOrder.ordered_at) >= _since(settings, now)))
            .order_by(SalesOrder.buyer_id_number)):
        found.append(Finding(f"buyer:{_digest(buyer)}:{year_start.year}", "order", last_id,
                             None, owner_id, dict(buyer=mask_id_number(buyer),
                                                  used=_num(used), limit=_num(limit))))
    return _with_order_names(session, found)


def _with_order_names(session: Session, found: list[Finding]) -> list[Finding]:
    from wms.outbound.models import SalesOrder
    ids = {f.document_id for f in found if f.document_id}
    names = dict(session.execute(select(SalesOrder.id, SalesOrder.name)
                                 .where(SalesOrder.id.in_(ids))).all()) if ids else {}
    for f in found:
        f.reference = names.get(f.document_id)
        f.facts["reference"] = f.reference
    return found


def shared_contact(session: Session, settings, now: datetime) -> list[Finding]:
    """So many different buyers to one consignee address or phone within the period: the
    mark of an order split over borrowed identities to stay under the limits."""
    from wms.outbound.models import SalesOrder
    since = now - timedelta(days=settings.risk.shared_contact_days)
    found = []
    for contact, column in (("address", SalesOrder.consignee_address),
                            ("phone", SalesOrder.consignee_phone)):
        key = func.upper(func.trim(column))
        for value, buyers, orders, last_id, owner_id in session.execute(
                select(key, func.count(SalesOrder.buyer_id_number.distinct()),
                       func.count(SalesOrder.id), func.max(SalesOrder.id),
                       func.min(SalesOrder.owner_id))
                .where(SalesOrder.ordered_at >= since, SalesOrder.state != "cancelled")
                .group_by(key)
                .having(func.count(SalesOrder.buyer_id_number.distinct())
                        >= settings.risk.shared_contact_buyers)
                .order_by(key)):
            shown = mask_phone(value) if contact == "phone" else value
            found.append(Finding(f"{contact}:{_digest(value)}", "order", last_id, None,
                                 owner_id, dict(contact=contact, value=shown, buyers=buyers,
                                                orders=orders,
                                                days=settings.risk.shared_contact_days)))
    return _with_order_names(session, found)


def buyer_id_names(session: Session, settings, now: datetime) -> list[Finding]:
    """One buyer ID number under different buyer names, among buyers ordering lately."""
    from wms.outbound.models import SalesOrder
    recent = select(SalesOrder.buyer_id_number).where(
        SalesOrder.ordered_at >= _since(settings, now)).scalar_subquery()
    names = func.count(func.trim(SalesOrder.buyer_name).distinct())
    found = []
    for buyer, count, last_id, owner_id in session.execute(
            select(SalesOrder.buyer_id_number, names, func.max(SalesOrder.id),
                   func.min(SalesOrder.owner_id))
            .where(SalesOrder.buyer_id_number.in_(recent))
            .group_by(SalesOrder.buyer_id_number).having(names > 1)
            .order_by(SalesOrder.buyer_id_number)):
        found.append(Finding(f"buyer:{_digest(buyer)}", "order", last_id, None, owner_id,
                             dict(buyer=mask_id_number(buyer), count=count)))
    return _with_order_names(session, found)


def short_shelf_life(session: Session, settings, now: datetime) -> list[Finding]:
    """Lots in stock (bonded or any other status in the warehouse's stocked locations) that
    expire within the minimum remaining shelf life."""
    from wms.catalog.models import Lot, Product
    from wms.inventory.models import STOCKED_USAGES, Location, Quant
    days = settings.risk.min_shelf_life_days
    horizon = (now + timedelta(days=days)).date()
    found = []
    for lot_id, lot, expiry, sku, owner_id, qty in session.execute(
            select(Lot.id, Lot.name, Lot.expiry_date, Product.sku, Quant.owner_id,
                   func.sum(Quant.quantity))
            .join(Quant, Quant.lot_id == Lot.id)
            .join(Product, Product.id == Lot.product_id)
            .join(Location, Location.id == Quant.location_id)
            .where(Lot.expiry_date.is_not(None), Lot.expiry_date <= horizon,
                   Location.usage.in_(STOCKED_USAGES), Quant.quantity > 0)
            .group_by(Lot.id, Lot.name, Lot.expiry_date, Product.sku, Quant.owner_id)
            .order_by(Lot.id, Quant.owner_id)):
        found.append(Finding(f"lot:{lot_id}:{owner_id}", "lot", lot_id, lot, owner_id, dict(
            sku=sku, quantity=_num(qty), expiry=expiry.isoformat(), days=days)))
    return found


def declaration_stopped(session: Session, settings, now: datetime) -> list[Finding]:
    """Receipts and orders whose declaration customs holds or rejected."""
    from wms.inbound.models import Receipt
    from wms.outbound.models import SalesOrder
    found = []
    for document, model in (("receipt", Receipt), ("order", SalesOrder)):
        for rid, name, owner_id, state in session.execute(
                select(model.id, model.name, model.owner_id, model.state)
                .where(model.state.in_(("held", "rejected")),
                       model.updated_at >= _since(settings, now)).order_by(model.id)):
            found.append(Finding(f"{document}:{rid}:{state}", document, rid, name, owner_id,
                                 dict(decision=state)))
    return found


def train_silent(session: Session, settings, now: datetime) -> list[Finding]:
    """Shipments whose open rail leg has been under way without a report for longer than the
    threshold (its last actual event, or its departure if none)."""
    from wms.jobs.sweeps import last_reports
    from wms.logistics.models import Shipment, ShipmentLeg
    legs = session.execute(
        select(Shipment.id, Shipment.name, Shipment.owner_id, ShipmentLeg.id,
               ShipmentLeg.service_ref,
               func.coalesce(ShipmentLeg.actual_departure, ShipmentLeg.planned_departure))
        .join(ShipmentLeg, ShipmentLeg.shipment_id == Shipment.id)
        .where(Shipment.state.in_(("booked", "in_transit")), ShipmentLeg.mode == "rail",
               ShipmentLeg.state == "in_transit", ShipmentLeg.actual_arrival.is_(None))
        .order_by(Shipment.id, ShipmentLeg.seq)).all()
    reported = last_reports(session, [row[0] for row in legs]) if legs else {}
    limit = timedelta(hours=settings.risk.train_silent_hours)
    found = []
    for sid, name, owner_id, leg_id, train, started in legs:
        known = [t for t in (reported.get(sid), started) if t is not None]
        since = max(known) if known else None
        if since is not None and now - since > limit:
            hours = int((now - since).total_seconds() // 3600)
            found.append(Finding(f"leg:{leg_id}:{since.isoformat()}", "shipment", sid, name,
                                 owner_id, dict(train=train or "-", hours=hours)))
    return found


def return_late(session: Session, settings, now: datetime) -> list[Finding]:
    """Returns received after their deadline, or still awaited past it."""
    from wms.returns.models import ReturnRequest
    found = []
    for rid, name, owner_id, late, apply_by, arrive_by in session.execute(
            select(ReturnRequest.id, ReturnRequest.name, ReturnRequest.owner_id,
                   ReturnRequest.late, ReturnRequest.apply_by, ReturnRequest.arrive_by)
            .where(ReturnRequest.state != "cancelled", ReturnRequest.created_at
                   >= _since(settings, now),
                   or_(ReturnRequest.late.is_(True),
                       and_(ReturnRequest.received_at.is_(None),
                            ReturnRequest.state == "requested",
                            ReturnRequest.arrive_by < now)))
            .order_by(ReturnRequest.id)):
        deadline = arrive_by if not late and arrive_by else (apply_by or arrive_by)
        found.append(Finding(f"return:{rid}", "return", rid, name, owner_id, dict(
            deadline=deadline.date().isoformat() if deadline else "-")))
    return found


def blacklisted_party(session: Session, settings, now: datetime) -> list[Finding]:
    """Every refused attempt of a blacklisted enterprise in the window, and every document
    of one that is held."""
    from wms.partners.models import DocumentHold, Enterprise, EnterpriseRefusal
    found = []
    for rid, document, reference, name, code, eid in session.execute(
            select(EnterpriseRefusal.id, EnterpriseRefusal.document,
                   EnterpriseRefusal.reference, Enterprise.name, Enterprise.customs_code,
                   Enterprise.id)
            .join(Enterprise, Enterprise.id == EnterpriseRefusal.enterprise_id)
            .where(EnterpriseRefusal.refused_at >= _since(settings, now))
            .order_by(EnterpriseRefusal.id)):
        found.append(Finding(f"refusal:{rid}", "enterprise", eid, reference, eid, dict(
            enterprise=f"{name} ({code})", what="refused", document=document)))
    for hid, document, doc_id, reference, name, code, eid in session.execute(
            select(DocumentHold.id, DocumentHold.document, DocumentHold.document_id,
                   DocumentHold.reference, Enterprise.name, Enterprise.customs_code,
                   Enterprise.id)
            .join(Enterprise, Enterprise.id == DocumentHold.enterprise_id)
            .where(DocumentHold.released_at.is_(None)).order_by(DocumentHold.id)):
        found.append(Finding(f"hold:{hid}", document, doc_id, reference, eid, dict(
            enterprise=f"{name} ({code})", what="on_hold", document=document)))
    return found
