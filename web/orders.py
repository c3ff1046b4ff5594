"""Desk pages for cross-border orders (``/orders``): the list by trade mode and state, one
order with its three documents, inventory list, outbox messages and customs receipts; declare,
cancel, receipt upload, CSV upload; the customs message outbox.

Every write parses the form, calls one ``wms.outbound`` use case, commits once and redirects;
a domain error rolls back and shows the translated message, so a refused action changes
nothing. Owner users see only their own owner's orders and messages (and may not write).

The helpers here (order lookup, the order CSV, the remaining quota) are shared with the API
in ``web.api.orders``.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask import (Blueprint, Response, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from wms.core.errors import N_, DomainError, NotFound, ValidationError
from wms.core.scoping import scope_to_owner
from wms.customs.models import MESSAGE_STATES, CustomsMessage
from wms.customs.outbox import get_message, messages_query
from wms.customs.rules import RetailLimits
from wms.inventory.models import StockMove, Warehouse
from wms.outbound import services as outbound
from wms.customs.inbox import apply_receipt_file
from wms.outbound.declare import declare_order
from wms.outbound.models import (ORDER_STATES, InventoryList, Parcel, SalesOrder, ShortPick,
                                 Wave, WaveOrder)
from wms.outbound.summary import list_numbers

from .auth import blueprint_roles, roles_required
from .db import db
from .errors import translate_error

bp = Blueprint("orders", __name__, url_prefix="/orders")
PAGE_SIZE = 50
STAFF = ("supervisor", "customs_clerk", "operator", "dispatcher", "returns_clerk")
READERS = (*STAFF, "owner_viewer")
EDITORS = ("supervisor", "customs_clerk")
blueprint_roles(bp, *READERS)

STATE_TITLES = {
    "received": _l("Received"),
    "declared": _l("Declared"),
    "released": _l("Released"),
    "held": _l("Held for inspection"),
    "rejected": _l("Rejected"),
    "picking": _l("Picking"),
    "picked": _l("Picked"),
    "packed": _l("Packed"),
    "shipped": _l("Shipped"),
    "cancelled": _l("Cancelled"),
}
LIST_STATE_TITLES = {
    "draft": _l("Draft"), "sent": _l("Sent"), "released": _l("Released"),
    "held": _l("Held for inspection"), "rejected": _l("Rejected"),
    "cancelled": _l("Cancelled"),
}
MESSAGE_STATE_TITLES = {
    "draft": _l("In the outbox, not sent"),
    "sent": _l("Sent"),
    "accepted": _l("Accepted"),
    "released": _l("Released"),
    "held": _l("Held"),
    "rejected": _l("Rejected"),
    "failed": _l("Failed"),
}
TRADE_MODE_TITLES = {
    "1210": _l("Bonded e-commerce import"),
    "9610": _l("B2C export"),
    "9710": _l("B2B direct export"),
    "9810": _l("B2B export to an overseas warehouse"),
}
# The list's tabs: retail import, B2C export, and B2B export kept apart from both.
KINDS = {"import": ("1210",), "b2c": ("9610",), "b2b": ("9710", "9810")}
KIND_TITLES = {"import": _l("Retail import (1210)"), "b2c": _l("B2C export (9610)"),
               "b2b": _l("B2B export (9710 / 9810)")}
MESSAGE_TYPE_TITLES = {
    "CEB311": _l("Order"), "CEB411": _l("Payment"), "CEB511": _l("Waybill"),
    "CEB621": _l("Import list"), "CEB625": _l("Return application"),
    "CEB303": _l("Export order"), "CEB505": _l("Export waybill"),
    "CEB603": _l("Export list"), "CEB701": _l("Export summary application"),
}


# ---------------------------------------------------------------- shared helpers

def num(value) -> str:
    """A quantity or amount without trailing zeros: 240, 0.5, 12.13."""
    if value is None:
        return ""
    return format(Decimal(value).normalize(), "f")


def money(value) -> str:
    return f"{Decimal(value):,.2f}" if value is not None else ""


def resolve_order(session: Session, ref) -> SalesOrder:
    """An order by id, by the platform's order number or by its name (slashes may be
    written as hyphens); another owner's order is not found."""
    ref = str(ref or "").strip()
    if ref.isdigit():
        try:
            return outbound.get_order(session, int(ref))
        except NotFound:
            pass
    names = {ref, ref.replace("-", "/")}
    order = session.scalars(outbound.orders_query().where(
        or_(SalesOrder.order_no == ref, SalesOrder.name.in_(names)))).first()
    if order is None:
        raise NotFound(N_("Order %(id)s not found"), field="order", id=ref)
    return order


def listing_of(session: Session, order: SalesOrder) -> InventoryList | None:
    return session.scalar(select(InventoryList).where(InventoryList.order_id == order.id))


def messages_of(session: Session, order: SalesOrder) -> list[CustomsMessage]:
    return list(session.scalars(select(CustomsMessage).where(
        CustomsMessage.business_key == order.order_no,
        CustomsMessage.owner_id == order.owner_id).order_by(CustomsMessage.id)))


def parcels_of(session: Session, order: SalesOrder) -> list[Parcel]:
    return list(session.scalars(select(Parcel).where(Parcel.order_id == order.id)
                                .order_by(Parcel.id)))


def wave_of(session: Session, order: SalesOrder) -> Wave | None:
    """The order's latest wave (one picked short joins a later wave too)."""
    return session.scalars(select(Wave).join(WaveOrder, WaveOrder.wave_id == Wave.id)
                           .where(WaveOrder.order_id == order.id)
                           .order_by(Wave.id.desc())).first()


def remaining_quota(session: Session, buyer_id: str, year: int) -> Decimal:
    """What the buyer may still spend on retail imports this calendar year."""
    limits = RetailLimits.from_env()
    left = limits.per_year - outbound.buyer_year_total(session, buyer_id, year)
    return max(left, Decimal(0))


def order_quota(session: Session, order: SalesOrder) -> Decimal | None:
    if order.trade_mode != "1210":
        return None
    return remaining_quota(session, order.buyer_id_number, order.ordered_at.year)


def xsd_dir() -> str | None:
    return current_app.config.get("CEB_XSD_DIR") or None


# ---------------------------------------------------------------- the order CSV

ORDER_CSV_COLUMNS = (
    "order_no", "platform", "owner", "warehouse", "trade_mode", "ordered_at", "buyer_name",
    "buyer_id_number", "buyer_phone", "consignee", "consignee_phone", "consignee_address",
    "consignee_district", "country", "destination_warehouse", "goods_value", "freight",
    "discount", "tax_total", "actual_paid", "pay_code", "pay_name", "pay_transaction_id",
    "amount_paid", "logistics_code", "logistics_no", "weight_kg", "product", "qty", "price",
    "total_price")
REQUIRED_ORDER_CSV = ("order_no", "platform", "owner", "warehouse", "buyer_name",
                      "buyer_id_number", "buyer_phone", "consignee", "consignee_phone",
                      "consignee_address", "actual_paid", "pay_code", "pay_name",
                      "pay_transaction_id", "amount_paid", "logistics_code", "logistics_no",
                      "product", "qty", "price")
LINE_COLUMNS = ("product", "qty", "price", "total_price")
PAYMENT_COLUMNS = {"pay_code": "pay_code", "pay_name": "pay_name",
                   "pay_transaction_id": "pay_transaction_id", "amount_paid": "amount_paid"}
WAYBILL_COLUMNS = {"logistics_code": "logistics_code", "logistics_no": "logistics_no",
                   "weight_kg": "weight_kg"}
ORDER_FIELD = re.compile(r"^orders\[(\d+)\]\.(.+)$")
LINE_FIELD = re.compile(r"^lines\[(\d+)\]\.(\w+)$")


class CsvError(ValidationError):
    """An error in an uploaded order file, naming the line: ``line 4: qty``."""


@dataclass
class OrderCsv:
    orders: list[dict]
    lines: list[list[int]]  # per order, the file line of each order line

    def line_of(self, field: str | None) -> tuple[int | None, str | None]:
        """The file line and column an ``orders[i].lines[j].qty`` error points at."""
        match = ORDER_FIELD.match(field or "")
        if not match:
            return None, field
        index, rest = int(match.group(1)), match.group(2)
        rows = self.lines[index] if index < len(self.lines) else []
        line = LINE_FIELD.match(rest)
        if line:
            j = int(line.group(1))
            return (rows[j] if j < len(rows) else rows[0] if rows else None), line.group(2)
        column = rest.split(".")[-1]
        return (rows[0] if rows else None), column


def decode_upload(content: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030, as Excel saves CSV on Chinese Windows."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return content.decode("gb18030")
        except UnicodeDecodeError:
            raise ValidationError(N_("The file is neither UTF-8 nor GB18030 text"),
                                  field="file") from None


def _csv_error(line: int, column: str, template: str, **params) -> CsvError:
    return CsvError(N_("line %(line)s: %(column)s: %(detail)s"), field=f"line {line}: {column}",
                    line=line, column=column, detail=template % params if params else template)


def parse_orders_csv(text: str) -> OrderCsv:
    """One row per order line; rows with the same order_no form one order, whose order,
    payment and waybill columns must agree (or stay empty) on its later rows."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise CsvError(N_("The file is empty"), field="file")
    reader.fieldnames = header
    unknown = [h for h in header if h not in ORDER_CSV_COLUMNS]
    if unknown:
        raise _csv_error(1, unknown[0], N_("unknown column"))
    missing = [c for c in REQUIRED_ORDER_CSV if c not in header]
    if missing:
        raise _csv_error(1, missing[0], N_("column missing"))
    orders: dict[str, dict] = {}
    lines: dict[str, list[int]] = {}
    for row in reader:
        line = reader.line_num
        row = {k: (v or "").strip() for k, v in row.items() if k}
        if not any(row.values()):
            continue
        for column in REQUIRED_ORDER_CSV:
            if not row.get(column) and (column in LINE_COLUMNS or row["order_no"] not in orders):
                raise _csv_error(line, column, N_("this field is required"))
        no = row["order_no"]
        order = orders.get(no)
        if order is None:
            order = {k: row[k] for k in ORDER_CSV_COLUMNS
                     if k not in LINE_COLUMNS and k not in PAYMENT_COLUMNS
                     and k not in WAYBILL_COLUMNS and row.get(k)}
            order["payment"] = {v: row[k] for k, v in PAYMENT_COLUMNS.items() if row.get(k)}
            order["waybill"] = {v: row[k] for k, v in WAYBILL_COLUMNS.items() if row.get(k)}
            for name in ("consignee", "consignee_phone", "consignee_address"):
                order["waybill"][name] = row.get(name, "")
            order["lines"] = []
            orders[no], lines[no] = order, []
        else:
            for column in ORDER_CSV_COLUMNS:
                if column in LINE_COLUMNS or not row.get(column):
                    continue
                first = order["payment"].get(PAYMENT_COLUMNS[column]) \
                    if column in PAYMENT_COLUMNS else order["waybill"].get(
                        WAYBILL_COLUMNS[column]) if column in WAYBILL_COLUMNS \
                    else order.get(column)
                if first != row[column]:
                    raise _csv_error(line, column, N_("differs from the first line of order "
                                                      "%(no)s"), no=no)
        item = {"product": row["product"], "qty": row["qty"], "price": row["price"]}
        if row.get("total_price"):
            item["total_price"] = row["total_price"]
        order["lines"].append(item)
        lines[no].append(line)
    if not orders:
        raise CsvError(N_("The file has no order lines"), field="file")
    return OrderCsv(list(orders.values()), list(lines.values()))


def receive_csv(session: Session, text: str) -> list[outbound.OrderResult]:
    """All or nothing: the first error names the file line and column."""
    parsed = parse_orders_csv(text)
    try:
        return outbound.receive_orders(session, parsed.orders)
    except DomainError as exc:
        line, column = parsed.line_of(exc.field)
        if line is None:
            raise
        error = CsvError(N_("line %(line)s: %(column)s: %(detail)s"),
                         field=f"line {line}: {column}", line=line, column=column,
                         detail=translate_error(exc))
        error.code = exc.code
        error.status = exc.status
        raise error from exc


SAMPLE_ORDER_ROWS = [
    dict(order_no="SLX2026120100001", platform="6201W60045", owner="6201W60012",
         warehouse="LZB", trade_mode="1210", ordered_at="2026-12-01T10:00:00+08:00",
         buyer_name="王小兰", buyer_id_number="620102199003071520", buyer_phone="13909310001",
         consignee="王小兰", consignee_phone="13909310001",
         consignee_address="甘肃省兰州市城关区庆阳路 88 号", goods_value="384.00",
         freight="10.00", discount="0", tax_total="34.95", actual_paid="428.95",
         pay_code="6201960101", pay_name="兰州银行网上支付",
         pay_transaction_id="PAY2026120100001", amount_paid="428.95",
         logistics_code="6201980056", logistics_no="EMS2026120100001", weight_kg="2.1",
         product="APT-PRE-800", qty="1", price="198.00", total_price="198.00"),
    dict(order_no="SLX2026120100001", product="MEIJI-STEP-800", qty="1", price="186.00",
         total_price="186.00"),
]


# ---------------------------------------------------------------- list and detail

def page_arg() -> int:
    return max(1, request.args.get("page", 1, type=int))


def paginate(stmt, page: int):
    total = db().scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db().scalars(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return rows, total, max(1, -(-total // PAGE_SIZE))


def _counts(column, stmt_filter=None) -> dict[str, int]:
    stmt = select(column, func.count()).group_by(column)
    if stmt_filter is not None:
        stmt = stmt.where(stmt_filter)
    stmt = scope_to_owner(stmt, SalesOrder.owner_id)
    return {key: n for key, n in db().execute(stmt)}


@bp.get("/")
def index():
    kind = request.args.get("kind") or None
    kind = kind if kind in KINDS else None
    state = request.args.get("state") or None
    state = state if state in ORDER_STATES else None
    trade_mode = request.args.get("trade_mode") or None
    trade_mode = trade_mode if trade_mode in TRADE_MODE_TITLES else None
    q = (request.args.get("q") or "").strip()[:60]
    stmt = outbound.orders_query(state, trade_mode)
    modes = KINDS.get(kind)
    if modes:
        stmt = stmt.where(SalesOrder.trade_mode.in_(modes))
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(SalesOrder.order_no.ilike(like), SalesOrder.name.ilike(like),
                              SalesOrder.buyer_name.ilike(like),
                              SalesOrder.consignee.ilike(like)))
    rows, total, pages = paginate(stmt, page_arg())
    by_mode = _counts(SalesOrder.trade_mode)
    kind_counts = {k: sum(by_mode.get(m, 0) for m in ms) for k, ms in KINDS.items()}
    counts = _counts(SalesOrder.state, SalesOrder.trade_mode.in_(modes) if modes else None)
    return render_template(
        "orders/index.html", rows=rows, total=total, pages=pages, page=page_arg(),
        kind=kind, state=state, trade_mode=trade_mode, q=q, counts=counts,
        kind_counts=kind_counts, all_count=sum(by_mode.values()), kinds=KIND_TITLES,
        states=ORDER_STATES, state_titles=STATE_TITLES, trade_modes=TRADE_MODE_TITLES,
        kind_modes=KINDS, can_edit=current_user.has_role(*EDITORS), money=money)


def render_detail(order: SalesOrder, status: int = 200):
    session = db()
    listing = listing_of(session, order)
    numbers = list_numbers(session, listing) if listing else (None, None)
    messages = messages_of(session, order)
    wave = wave_of(session, order)
    shorts = []
    if wave is not None:
        shorts = session.execute(select(ShortPick, StockMove).join(
            StockMove, StockMove.id == ShortPick.move_id).where(
            ShortPick.wave_id == wave.id,
            StockMove.reason.like(f"{order.name}#%")).order_by(ShortPick.id)).all()
    destination = session.get(Warehouse, order.destination_warehouse_id) \
        if order.destination_warehouse_id else None
    has = current_user.has_role
    can = {
        "declare": has(*EDITORS) and order.state == "received",
        "cancel": has(*EDITORS) and order.can_transition("cancelled"),
        "upload": has(*EDITORS) and order.state in ("declared", "held"),
        "pack": has("operator", "supervisor") and order.state in ("picked", "packed",
                                                                  "shipped"),
    }
    return render_template(
        "orders/detail.html", order=order, listing=listing, pre_no=numbers[0],
        invt_no=numbers[1], messages=messages, parcels=parcels_of(session, order),
        wave=wave, shorts=shorts, destination=destination,
        quota=order_quota(session, order), limits=RetailLimits.from_env(), can=can,
        state_titles=STATE_TITLES, list_titles=LIST_STATE_TITLES,
        message_titles=MESSAGE_STATE_TITLES, trade_modes=TRADE_MODE_TITLES,
        type_titles=MESSAGE_TYPE_TITLES, num=num, money=money), status


@bp.get("/<int:order_id>")
def detail(order_id: int):
    return render_detail(outbound.get_order(db(), order_id))


def _refused(order_id: int, exc: DomainError):
    db().rollback()
    flash(translate_error(exc), "error")
    return render_detail(outbound.get_order(db(), order_id),
                         exc.status if exc.status >= 400 else 422)


def _done(order_id: int, message: str):
    db().commit()
    flash(message, "ok")
    return redirect(url_for("orders.detail", order_id=order_id))


@bp.post("/<int:order_id>/declare")
@roles_required(*EDITORS)
def declare(order_id: int):
    order = outbound.get_order(db(), order_id)
    try:
        listing = declare_order(db(), order, xsd_dir=xsd_dir())
    except DomainError as exc:
        return _refused(order_id, exc)
    return _done(order_id, _("Order %(name)s declared: its documents and list %(list)s are in "
                             "the customs outbox.", name=order.name, list=listing.name))


@bp.post("/<int:order_id>/cancel")
@roles_required(*EDITORS)
def cancel(order_id: int):
    order = outbound.get_order(db(), order_id)
    reason = (request.form.get("reason") or "").strip()[:300]
    try:
        if not reason:
            raise ValidationError(N_("Give a reason"), field="reason")
        outbound.cancel_order(db(), order, reason)
        db().flush()
    except DomainError as exc:
        return _refused(order_id, exc)
    return _done(order_id, _("Order %(name)s cancelled.", name=order.name))


# ---------------------------------------------------------------- receipts, CSV

def _safe_back(default: str) -> str:
    target = request.form.get("next") or ""
    return target if target.startswith("/") and not target.startswith("//") else default


@bp.post("/receipts")
@roles_required(*EDITORS)
def upload_receipts():
    """Customs' receipts (CEB312/412/512/622/..., CEB900) as the XML file they came in: all
    of the file applies, or none of it."""
    back = _safe_back(url_for("orders.messages"))
    upload = request.files.get("xml")
    try:
        content = upload.read() if upload else b""
        if not content.strip():
            raise ValidationError(N_("Choose the receipt XML file"), field="xml")
        touched = apply_receipt_file(db(), content)
        db().flush()
    except DomainError as exc:
        db().rollback()
        flash(translate_error(exc), "error")
        return redirect(back)
    db().commit()
    flash(ngettext("%(num)s receipt imported.", "%(num)s receipts imported.", len(touched)),
          "ok")
    return redirect(back)


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*EDITORS)
def import_csv():
    context = dict(columns=ORDER_CSV_COLUMNS, required=REQUIRED_ORDER_CSV)
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            content = upload.read() if upload else b""
            if not content.strip():
                raise ValidationError(N_("Choose a CSV file"), field="file")
            results = receive_csv(db(), decode_upload(content))
        except DomainError as exc:
            db().rollback()
            return render_template("orders/import.html", error=translate_error(exc),
                                   **context), exc.status if exc.status >= 400 else 422
        rows = [(r.order, r.created) for r in results]
        db().commit()
        created = sum(1 for r in results if r.created)
        flash(ngettext("%(num)s order received.", "%(num)s orders received.", created), "ok")
        return render_template("orders/import.html", results=rows,
                               state_titles=STATE_TITLES, **context)
    return render_template("orders/import.html", **context)


@bp.get("/import/sample.csv")
@roles_required(*EDITORS)
def sample_csv():
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.DictWriter(buffer, ORDER_CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(SAMPLE_ORDER_ROWS)
    return Response(buffer.getvalue(), headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": 'attachment; filename="orders-sample.csv"'})


# ---------------------------------------------------------------- the outbox

MESSAGE_TYPES = tuple(MESSAGE_TYPE_TITLES)


@bp.get("/messages")
def messages():
    message_type = request.args.get("type") or None
    message_type = message_type if message_type in MESSAGE_TYPES or (
        message_type or "").startswith("CEB") else None
    state = request.args.get("state") or None
    state = state if state in MESSAGE_STATES else None
    rows, total, pages = paginate(messages_query(message_type, state), page_arg())
    type_counts = {t: n for t, n in db().execute(scope_to_owner(
        select(CustomsMessage.message_type, func.count())
        .group_by(CustomsMessage.message_type), CustomsMessage.owner_id))}
    state_counts = {s: n for s, n in db().execute(scope_to_owner(
        select(CustomsMessage.state, func.count()).where(
            CustomsMessage.message_type == message_type if message_type else True)
        .group_by(CustomsMessage.state), CustomsMessage.owner_id))}
    orders = {o.order_no: o for o in db().scalars(scope_to_owner(select(SalesOrder).where(
        SalesOrder.order_no.in_({m.business_key for m in rows} or {""})),
        SalesOrder.owner_id))}
    return render_template(
        "orders/messages.html", rows=rows, total=total, pages=pages, page=page_arg(),
        message_type=message_type, state=state, type_counts=type_counts,
        state_counts=state_counts, all_count=sum(type_counts.values()),
        types=MESSAGE_TYPE_TITLES, states=MESSAGE_STATES, message_titles=MESSAGE_STATE_TITLES,
        orders=orders, can_upload=current_user.has_role(*EDITORS))


@bp.get("/messages/<guid>.xml")
def message_xml(guid: str):
    """One message exactly as it sits in the outbox."""
    message = get_message(db(), guid)
    return Response(message.xml.encode("utf-8"), headers={
        "Content-Type": "application/xml; charset=utf-8",
        "Content-Disposition": f'inline; filename="{message.message_type}_{message.guid}.xml"'})


def parse_day(value: str | None, field: str):
    value = (value or "").strip()
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise ValidationError(N_("Date must be YYYY-MM-DD"), field=field) from None
