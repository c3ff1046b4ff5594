"""What a code names, as the starting point of a trace: lots, receipts or orders.

A lot number, an SSCC, a GTIN (or a GS1 label with its lot), a receipt (its reference or the
supplier's ASN number), an order (its reference or the platform's number), a parcel (S10 or
waybill number) or a buyer's ID number. Each shape is tried in a fixed order, one or two
queries each, so resolving costs a bounded number of statements whatever the data. Owner
scoping is applied where the chain is read (``wms.trace.queries``), once for every start.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from wms.catalog.models import Lot, Product
from wms.core.scoping import scope_to_owner
from wms.inbound.models import Receipt, TallyScan
from wms.inventory.barcodes import classify
from wms.inventory.models import Package, Quant
from wms.outbound.models import Parcel, SalesOrder, Waybill

# The most lots a GTIN or a lot name shared by several products follows; more is reported
# as truncated (narrow the search with a GS1 label: GTIN and lot).
MAX_LOTS = 50
ID_NUMBER = re.compile(r"^[0-9]{17}[0-9X]$")
KINDS = ("lot", "sscc", "gtin", "receipt", "order", "parcel", "buyer")


@dataclass
class Start:
    """The seeds a code gave: what it was, and the lots, receipts and orders it names."""
    code: str
    kind: str | None = None
    lot_ids: set[int] = field(default_factory=set)
    receipt_ids: set[int] = field(default_factory=set)
    order_ids: set[int] = field(default_factory=set)
    product_ids: set[int] = field(default_factory=set)
    truncated: bool = False

    @property
    def found(self) -> bool:
        return bool(self.lot_ids or self.receipt_ids or self.order_ids or self.product_ids)


def _products(session: Session, codes: set[str]) -> list[int]:
    return list(session.scalars(scope_to_owner(
        select(Product.id).where(or_(Product.gtin.in_(codes), Product.sku.in_(codes))),
        Product.owner_id)))


def _lots_of_products(session: Session, product_ids, lot_name: str | None = None):
    stmt = select(Lot.id).where(Lot.product_id.in_(product_ids or [0]))
    if lot_name:
        stmt = stmt.where(Lot.name == lot_name)
    return list(session.scalars(stmt.order_by(Lot.id.desc()).limit(MAX_LOTS + 1)))


def _by_gtin(session: Session, start: Start, codes: set[str], lot: str | None) -> bool:
    products = _products(session, codes)
    if not products:
        return False
    lots = _lots_of_products(session, products, lot)
    start.kind = "gtin" if not lot else "lot"
    start.product_ids.update(products)
    start.truncated = len(lots) > MAX_LOTS
    start.lot_ids.update(lots[:MAX_LOTS])
    return True


def _by_sscc(session: Session, start: Start, sscc: str) -> bool:
    package = session.scalar(select(Package).where(Package.sscc == sscc))
    if package is None:
        return False
    start.kind = "sscc"
    start.lot_ids.update(i for i in session.scalars(
        select(TallyScan.lot_id).where(TallyScan.package_id == package.id).distinct()) if i)
    start.receipt_ids.update(session.scalars(
        select(TallyScan.receipt_id).where(TallyScan.package_id == package.id).distinct()))
    start.lot_ids.update(i for i in session.scalars(
        select(Quant.lot_id).where(Quant.package_id == package.id).distinct()) if i)
    return True


def _by_parcel(session: Session, start: Start, number: str) -> bool:
    orders = set(session.scalars(select(Parcel.order_id).where(Parcel.tracking_no == number)))
    orders |= set(session.scalars(select(Waybill.order_id).where(
        Waybill.logistics_no == number)))
    if not orders:
        return False
    start.kind = "parcel"
    start.order_ids.update(orders)
    return True


def _by_buyer(session: Session, start: Start, number: str) -> bool:
    orders = list(session.scalars(select(SalesOrder.id).where(
        SalesOrder.buyer_id_number == number).limit(MAX_LOTS)))
    if not orders:
        return False
    start.kind = "buyer"
    start.order_ids.update(orders)
    return True


def _by_text(session: Session, start: Start, text: str) -> bool:
    receipts = list(session.scalars(select(Receipt.id).where(
        or_(Receipt.name == text, Receipt.supplier_ref == text))))
    if receipts:
        start.kind = "receipt"
        start.receipt_ids.update(receipts)
        return True
    orders = list(session.scalars(select(SalesOrder.id).where(
        or_(SalesOrder.name == text, SalesOrder.order_no == text))))
    if orders:
        start.kind = "order"
        start.order_ids.update(orders)
        return True
    lots = list(session.scalars(select(Lot.id).where(Lot.name == text).order_by(Lot.id)
                                .limit(MAX_LOTS + 1)))
    if lots:
        start.kind = "lot"
        start.truncated = len(lots) > MAX_LOTS
        start.lot_ids.update(lots[:MAX_LOTS])
        return True
    return _by_parcel(session, start, text.upper())


def resolve_start(session: Session, code: str) -> Start:
    """The seeds of a trace from any code; ``found`` is False when nothing matches."""
    text = (code or "").strip()
    start = Start(text)
    if not text:
        return start
    scan = classify(text)
    if scan.kind == "gs1" and scan.valid and scan.parts.get("sscc"):
        _by_sscc(session, start, scan.parts["sscc"])
    elif scan.kind == "gs1" and scan.valid:
        gtin = scan.parts.get("gtin") or scan.parts.get("content_gtin") or ""
        _by_gtin(session, start, {gtin, gtin.lstrip("0").zfill(13)}, scan.parts.get("lot"))
    elif scan.kind == "sscc" and scan.valid and _by_sscc(session, start, scan.value):
        pass
    elif scan.kind == "gtin" and scan.valid and _by_gtin(
            session, start, {scan.value, scan.value.zfill(14), scan.value.lstrip("0").zfill(13)},
            None):
        pass
    elif scan.kind == "s10" and _by_parcel(session, start, scan.value):
        pass
    elif ID_NUMBER.match(text.upper()) and _by_buyer(session, start, text.upper()):
        pass
    elif not start.found:
        _by_text(session, start, text)
    return start
