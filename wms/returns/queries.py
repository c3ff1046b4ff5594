"""What the returns desk, the scanners and the API read: requests, parcels, batches and the
declaration of a request, owner-scoped (an owner viewer sees the returns of their goods and
never a parcel nobody has identified yet)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from wms.core.context import current_actor
from wms.core.errors import N_, NotFound, ValidationError
from wms.core.parsing import ascii_id
from wms.core.scoping import scope_to_owner, visible_owner
from wms.customs.models import CustomsMessage
from wms.inventory.models import StockDocument, Warehouse
from wms.outbound.models import InventoryList, SalesOrder

from .messages import in_english
from .models import (ConsolidationBatch, ReturnDeclaration, ReturnLine, ReturnParcel,
                     ReturnRequest)

OPEN_STATES = ("requested", "received", "inspected")
DEFAULT_WAREHOUSE = "LZB"


def num(value: Decimal | None) -> str:
    """A quantity as people write it: no trailing zeros, no exponent."""
    if value is None:
        return ""
    value = Decimal(value)
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


def normalise_code(code: str | None) -> str:
    """A scanned code without spaces, upper-cased: how parcels and their labels are kept."""
    return "".join((code or "").split()).upper()


# ------------------------------------------------------------------------------ warehouse

def returns_warehouse(session: Session, code: str | None = None, *,
                      field_name: str = "warehouse") -> Warehouse:
    """The warehouse whose returns centre receives: the one named, else the first bonded."""
    wanted = (code or DEFAULT_WAREHOUSE).strip().upper()
    found = session.scalar(select(Warehouse).where(Warehouse.code == wanted))
    if found is None and code is None:
        found = session.scalars(select(Warehouse).where(Warehouse.kind == "bonded")
                                .order_by(Warehouse.id)).first()
    if found is None:
        raise ValidationError(N_("Unknown warehouse %(code)s"), field=field_name, code=wanted)
    return found


# ------------------------------------------------------------------------------ orders

def listing_of(session: Session, order: SalesOrder) -> InventoryList | None:
    return session.scalar(select(InventoryList).where(InventoryList.order_id == order.id))


def find_order(session: Session, ref: str, field_name: str = "order") -> SalesOrder:
    """An order by the platform's order number or its name, among the actor's owners."""
    ref = (ref or "").strip()
    if not ref:
        raise ValidationError(N_("This field is required"), field=field_name)
    stmt = select(SalesOrder).where(or_(SalesOrder.order_no == ref, SalesOrder.name == ref))
    order = session.scalars(scope_to_owner(stmt, SalesOrder.owner_id)
                            .order_by(SalesOrder.id)).first()
    if order is None:
        raise NotFound(N_("No order %(ref)s"), field=field_name, ref=ref)
    return order


# ------------------------------------------------------------------------------ requests

def requests_query(state: str | None = None):
    stmt = select(ReturnRequest).order_by(ReturnRequest.id.desc())
    if state:
        stmt = stmt.where(ReturnRequest.state == state)
    return scope_to_owner(stmt, ReturnRequest.owner_id)


def _request_names(ref: str) -> set[str]:
    names = {ref, ref.upper()}
    if "/" not in ref:
        names.add(ref.replace("-", "/").upper())
    return names


def find_request(session: Session, ref: Any, *, field_name: str = "return") -> ReturnRequest:
    """By id, name (slashes or hyphens) or the platform's return number; owner-scoped."""
    ref = str(ref or "").strip()
    request = None
    if ascii_id(ref) is not None:
        request = session.get(ReturnRequest, ascii_id(ref))
    if request is None and ref:
        request = session.scalars(select(ReturnRequest).where(or_(
            ReturnRequest.name.in_(_request_names(ref)),
            ReturnRequest.platform_return_no == ref))).first()
    if request is None or not visible_owner(request.owner_id):
        raise NotFound(N_("No return %(ref)s"), field=field_name, ref=ref)
    return request


def find_requests(session: Session, refs: list[Any], field_name: str = "lines"
                  ) -> dict[str, ReturnRequest]:
    """Many requests by id, name or platform number in one query, their items loaded;
    ``{ref: request}``; the first ref that names nothing visible is refused."""
    wanted = {str(r or "").strip() for r in refs}
    ids = {n for n in map(ascii_id, wanted) if n}
    names = set().union(*(_request_names(r) for r in wanted if r)) if wanted else set()
    rows = session.scalars(select(ReturnRequest).options(selectinload(ReturnRequest.lines))
                           .where(or_(ReturnRequest.id.in_(ids),
                                      ReturnRequest.name.in_(names),
                                      ReturnRequest.platform_return_no.in_(wanted)))).all()
    by_key: dict[str, ReturnRequest] = {}
    for r in rows:
        by_key.setdefault(f"no:{r.platform_return_no}", r)
        by_key[f"name:{r.name}"] = r
        by_key[f"id:{r.id}"] = r
    found: dict[str, ReturnRequest] = {}
    for i, ref in enumerate(str(r or "").strip() for r in refs):
        match = by_key.get(f"id:{ref}") or next(
            (by_key[f"name:{n}"] for n in _request_names(ref) if f"name:{n}" in by_key),
            None) or by_key.get(f"no:{ref}")
        if match is None or not visible_owner(match.owner_id):
            raise NotFound(N_("No return %(ref)s"), field=f"{field_name}[{i}].return", ref=ref)
        found[ref] = match
    return found


def declaration_of(session: Session, request: ReturnRequest) -> ReturnDeclaration | None:
    return declarations_of(session, [request.id]).get(request.id)


def declarations_of(session: Session, request_ids) -> dict[int, ReturnDeclaration]:
    """The latest declaration of each request, in one query."""
    latest: dict[int, ReturnDeclaration] = {}
    ids = list(request_ids)
    if not ids:
        return latest
    for declaration in session.scalars(select(ReturnDeclaration).where(
            ReturnDeclaration.request_id.in_(ids)).order_by(ReturnDeclaration.id)):
        latest[declaration.request_id] = declaration
    return latest


def lookup_return(session: Session, code: Any) -> ReturnRequest:
    """What the inspection scanner shows for a scanned return number, platform number or
    the code of a parcel received for it."""
    code = normalise_code(code)
    try:
        return find_request(session, code, field_name="code")
    except NotFound:
        parcel = session.scalar(select(ReturnParcel).where(ReturnParcel.code == code))
        if parcel is None or parcel.request is None or \
                not visible_owner(parcel.request.owner_id):
            raise ValidationError(N_("%(code)s names no return"), field="code",
                                  code=code) from None
        return parcel.request


# ------------------------------------------------------------------------------ parcels

def parcels_query(state: str | None = None):
    stmt = select(ReturnParcel).order_by(ReturnParcel.id.desc())
    if state:
        stmt = stmt.where(ReturnParcel.state == state)
    owners = current_actor().owner_ids
    if owners is not None:  # owners see their own matched parcels, never unidentified ones
        stmt = stmt.join(ReturnRequest, ReturnRequest.id == ReturnParcel.request_id)
        stmt = scope_to_owner(stmt, ReturnRequest.owner_id)
    return stmt


def open_parcels(session: Session) -> list[ReturnParcel]:
    """Parcels whose goods are not in yet: matched in an open batch, or unidentified."""
    return session.scalars(parcels_query().where(
        ReturnParcel.state.in_(("matched", "unidentified")))
        .options(selectinload(ReturnParcel.batch), selectinload(ReturnParcel.request))
        .order_by(None).order_by(ReturnParcel.scanned_at)).all()


def parcels_of(session: Session, request: ReturnRequest) -> list[ReturnParcel]:
    return session.scalars(select(ReturnParcel).where(ReturnParcel.request_id == request.id)
                           .order_by(ReturnParcel.id)).all()


def get_parcel(session: Session, parcel_id: Any) -> ReturnParcel:
    ref = str(parcel_id or "").strip()
    parcel = session.get(ReturnParcel, ascii_id(ref)) if ascii_id(ref) else None
    if parcel is None or (parcel.request is None and current_actor().owner_ids is not None) \
            or (parcel.request is not None and not visible_owner(parcel.request.owner_id)):
        raise NotFound(N_("No parcel %(id)s"), field="parcel", id=ref)
    return parcel


# ------------------------------------------------------------------------------ batches

def find_batch(session: Session, ref: Any) -> ConsolidationBatch:
    ref = str(ref or "").strip()
    batch = session.get(ConsolidationBatch, ascii_id(ref)) if ascii_id(ref) else session.scalar(
        select(ConsolidationBatch).where(ConsolidationBatch.name.in_(
            {ref, ref.replace("-", "/")})))
    if batch is None:
        raise NotFound(N_("No batch %(ref)s"), field="batch", ref=ref)
    return batch


def open_batches(session: Session, warehouse: Warehouse | None = None
                 ) -> list[ConsolidationBatch]:
    stmt = select(ConsolidationBatch).where(ConsolidationBatch.state == "open")
    if warehouse is not None:
        stmt = stmt.where(ConsolidationBatch.warehouse_id == warehouse.id)
    return session.scalars(stmt.order_by(ConsolidationBatch.id)).all()


@dataclass(frozen=True)
class BatchFigures:
    batch: ConsolidationBatch
    parcels: int
    arrived: int
    unidentified: int
    document: str | None


def batch_figures(session: Session, batch: ConsolidationBatch) -> BatchFigures:
    """How many of the batch's parcels came in, and the stock document that moved them."""
    counts = dict(session.execute(select(ReturnParcel.state, func.count()).where(
        ReturnParcel.batch_id == batch.id).group_by(ReturnParcel.state)).all())
    document = session.get(StockDocument, batch.document_id) if batch.document_id else None
    return BatchFigures(batch, sum(counts.values()), counts.get("arrived", 0),
                        counts.get("unidentified", 0), document.name if document else None)


# ------------------------------------------------------------------------------ desk

def requests_page(session: Session, state: str | None, page: int, size: int
                  ) -> tuple[list[ReturnRequest], int]:
    """One page of requests, newest first, and how many there are in all."""
    stmt = requests_query(state)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = session.scalars(stmt.options(selectinload(ReturnRequest.lines))
                           .limit(size).offset((max(page, 1) - 1) * size)).all()
    return list(rows), total


def declaration_message(session: Session, declaration: ReturnDeclaration | None
                        ) -> CustomsMessage | None:
    return session.get(CustomsMessage, declaration.message_id) if declaration else None


EXPORT_HEADER = ("return", "platform_return_no", "order", "state", "reason", "buyer_choice",
                 "requested_at", "apply_by", "arrive_by", "received_at", "late", "declaration",
                 "gnum", "sku", "qty", "grade", "disposition", "disposition_state",
                 "disposition_reason", "exchange_order")


def export_rows(session: Session) -> list[list[str]]:
    """Every item of every visible return, one row each, for the CSV export."""
    def iso(value) -> str:
        return value.isoformat() if value is not None else ""
    requests = session.scalars(requests_query().order_by(None).order_by(ReturnRequest.id)
                               .options(selectinload(ReturnRequest.lines)
                                        .selectinload(ReturnLine.exchange_order))).all()
    declarations = declarations_of(session, [r.id for r in requests])
    rows = []
    for r in requests:
        d = declarations.get(r.id)
        for ln in r.lines:
            rows.append([r.name, r.platform_return_no or "", r.order.order_no, r.state,
                         r.reason, r.buyer_choice, iso(r.requested_at), iso(r.apply_by),
                         iso(r.arrive_by), iso(r.received_at), "yes" if r.late else "no",
                         d.state if d else "", str(ln.gnum), ln.product.sku, num(ln.qty),
                         ln.grade or "", ln.disposition or "", ln.disposition_state,
                         in_english(ln.disposition_reason),
                         ln.exchange_order.order_no if ln.exchange_order else ""])
    return rows
