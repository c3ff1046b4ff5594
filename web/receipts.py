"""Desk pages for bonded receipts: ASN, gate-in, tally progress, discrepancies, declaration,
customs decisions, deadlines.

Every write parses the form, calls one ``wms.inbound`` use case, commits once and redirects;
a domain error rolls back and shows the translated message at the field it blames (or on
top of the page), so a refused action never changes anything.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import (Blueprint, Response, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import func, select
from werkzeug.routing import BuildError
from wtforms import FieldList, Form, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from wms.catalog.models import Lot, Product
from wms.core.db import utcnow
from wms.core.errors import N_, DomainError, ValidationError
from wms.core.scoping import scope_to_owner
from wms.customs.models import CustomsCode, CustomsMessage
from wms.inbound import services as inbound
from wms.inbound.models import (RECEIPT_STATES, Discrepancy, EntryDeclaration, Receipt,
                                TallyScan)
from wms.inventory.models import Quant, Warehouse
from wms.partners.models import Enterprise

from .auth import blueprint_roles, roles_required
from .db import db
from .errors import translate_error

bp = Blueprint("receipts", __name__, url_prefix="/receipts")
PAGE_SIZE = 50
STAFF = ("supervisor", "customs_clerk", "operator", "dispatcher", "returns_clerk")
READERS = (*STAFF, "owner_viewer")              # admin passes every role check
EDITORS = ("supervisor", "customs_clerk")       # create, import, cancel
GATE_KEEPERS = ("supervisor", "customs_clerk", "operator")
TALLY_CLOSERS = ("supervisor",)
DECLARANTS = ("customs_clerk", "supervisor")    # declaration, filing, decisions
blueprint_roles(bp, *READERS)

STATE_TITLES = {
    "draft": _l("Draft"),
    "expected": _l("Expected"),
    "arrived": _l("Arrived"),
    "tallying": _l("Tallying"),
    "tallied": _l("Tallied"),
    "declared": _l("Declared"),
    "held": _l("Held by customs"),
    "released": _l("Released"),
    "rejected": _l("Rejected"),
    "stored": _l("Stored"),
    "cancelled": _l("Cancelled"),
}
KIND_TITLES = {
    "short": _l("Short"),
    "over": _l("Over"),
    "damaged": _l("Damaged"),
    "unexpected": _l("Unexpected"),
    "wrong_lot": _l("Wrong lot"),
}
DECISION_TITLES = {
    "pending": _l("Pending"),
    "released": _l("Released"),
    "held": _l("Held for inspection"),
    "rejected": _l("Rejected"),
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
PROBLEM_FIELD_TITLES = {
    "tally": _l("Tally"),
    "owner": _l("Owner"),
    "item_record_no": _l("Product registration number"),
    "hs_code": _l("HS code"),
    "legal_factor1": _l("Conversion to the first legal unit"),
    "legal_factor2": _l("Conversion to the second legal unit"),
    "declared_price": _l("Declared unit price"),
    "net_weight_kg": _l("Net weight"),
    "origin_country": _l("Country of origin"),
}
# States in which the gate-in deadline for the declaration runs.
DEADLINE_STATES = ("arrived", "tallying", "tallied")
LINE_FIELD = re.compile(r"^lines\[(\d+)\]\.(\w+)$")


# ---------------------------------------------------------------- helpers

def num(value) -> str:
    """A quantity without trailing zeros: 240, 0.5, 12.125."""
    if value is None:
        return ""
    return format(Decimal(value).normalize(), "f")


def deadline() -> timedelta:
    return timedelta(hours=current_app.config.get("DECLARATION_DEADLINE_HOURS", 72))


def is_overdue(receipt: Receipt, limit: timedelta, now: datetime | None = None) -> bool:
    return (receipt.state in DEADLINE_STATES and receipt.arrived_at is not None
            and receipt.arrived_at < (now or utcnow()) - limit)


def due_at(receipt: Receipt, limit: timedelta) -> datetime | None:
    if receipt.state in DEADLINE_STATES and receipt.arrived_at is not None:
        return receipt.arrived_at + limit
    return None


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")


def product_url(product_id: int | None) -> str | None:
    if product_id is None:
        return None
    try:
        return url_for("stock.product", product_id=product_id)
    except BuildError:
        return f"/stock/products/{product_id}"


def page_arg() -> int:
    return max(1, request.args.get("page", 1, type=int))


def paginate(stmt, page: int):
    total = db().scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db().scalars(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return rows, total, max(1, -(-total // PAGE_SIZE))


def visible_owners() -> list[Enterprise]:
    rows = db().scalars(scope_to_owner(select(Enterprise).order_by(Enterprise.customs_code),
                                       Enterprise.id)).all()
    return [e for e in rows if "owner" in e.roles]


def code_names(table: str) -> dict[str, str]:
    """Customs codes of one table with their names in the page's language."""
    zh = _get_lang() == "zh"
    rows = db().scalars(select(CustomsCode).where(CustomsCode.code_table == table)
                        .order_by(CustomsCode.code)).all()
    return {c.code: c.name_zh if zh else c.name_en for c in rows}


def code_choices(table: str, blank: bool = False) -> list[tuple[str, str]]:
    choices = [(code, f"{code} {name}") for code, name in code_names(table).items()]
    return ([("", "—")] if blank else []) + choices


def _get_lang() -> str:
    from flask_babel import get_locale
    locale = get_locale()
    return locale.language if locale else "zh"


def state_counts() -> dict[str, int]:
    stmt = scope_to_owner(select(Receipt.state, func.count()).group_by(Receipt.state),
                          Receipt.owner_id)
    return {state: count for state, count in db().execute(stmt)}


def load_receipt(receipt_id: int) -> Receipt:
    return inbound.get_receipt(db(), receipt_id)  # NotFound (404) for another owner's receipt


def declaration_of(receipt: Receipt) -> EntryDeclaration | None:
    return db().scalar(select(EntryDeclaration).where(EntryDeclaration.receipt_id == receipt.id))


def discrepancies_of(receipt: Receipt) -> list[Discrepancy]:
    return list(db().scalars(select(Discrepancy).where(Discrepancy.receipt_id == receipt.id)
                             .order_by(Discrepancy.id)))


# ---------------------------------------------------------------- list, overdue

@bp.get("/")
def index():
    state = request.args.get("state") or None
    if state not in (None, *RECEIPT_STATES):
        state = None
    rows, total, pages = paginate(inbound.receipts_query(state), page_arg())
    limit = deadline()
    now = utcnow()
    overdue = {r.id for r in rows if is_overdue(r, limit, now)}
    counts = state_counts()
    overdue_count = len(inbound.overdue_receipts(db(), limit)) \
        if current_user.has_role(*STAFF) else 0
    return render_template("receipts/index.html", rows=rows, total=total, pages=pages,
                           page=page_arg(), state=state, counts=counts,
                           all_count=sum(counts.values()), overdue=overdue,
                           overdue_count=overdue_count, states=RECEIPT_STATES,
                           state_titles=STATE_TITLES, limit=limit, due_at=due_at,
                           can_create=current_user.has_role(*EDITORS))


@bp.get("/overdue")
def overdue():
    """The supervisor's list: arrived receipts still undeclared after the deadline."""
    limit = deadline()
    rows = inbound.overdue_receipts(db(), limit)
    now = utcnow()
    return render_template("receipts/overdue.html", rows=rows, limit=limit, now=now,
                           hours=int(limit.total_seconds() // 3600), due_at=due_at,
                           state_titles=STATE_TITLES)


# ---------------------------------------------------------------- desk form

class LineForm(Form):
    """One advised line; the service checks it, so the fields only bound the length."""
    product = StringField(_l("Product (SKU or GTIN)"), validators=[Optional(), Length(max=40)])
    quantity = StringField(_l("Quantity"), validators=[Optional(), Length(max=20)])
    lot = StringField(_l("Lot"), validators=[Optional(), Length(max=40)])
    expiry_date = StringField(_l("Expiry date"), validators=[Optional(), Length(max=10)])
    sscc = StringField(_l("SSCC"), validators=[Optional(), Length(max=20)])

    def is_blank(self) -> bool:
        return not any((f.data or "").strip() for f in self)


class ReceiptForm(FlaskForm):
    owner = SelectField(_l("Owner"))
    warehouse = SelectField(_l("Warehouse"))
    supplier = StringField(_l("Supplier"), validators=[Optional(), Length(max=200)])
    supplier_ref = StringField(_l("Supplier reference"), validators=[Optional(), Length(max=60)])
    trade_mode = SelectField(_l("Trade mode"), default="1210")
    transport_mode = SelectField(_l("Transport mode"), default="")
    expected_arrival = StringField(_l("Expected arrival"), validators=[Optional(),
                                                                       Length(max=32)])
    bill_of_lading = StringField(_l("Bill of lading"), validators=[Optional(), Length(max=40)])
    air_waybill = StringField(_l("Air waybill"), validators=[Optional(), Length(max=14)])
    train_no = StringField(_l("Train number"), validators=[Optional(), Length(max=20)])
    container_no = StringField(_l("Container number (ISO 6346)"),
                               validators=[Optional(), Length(max=13)])
    rail_note_no = StringField(_l("CIM/SMGS consignment note"),
                               validators=[Optional(), Length(max=40)])
    mail_dispatch_no = StringField(_l("Mail dispatch number"),
                                   validators=[Optional(), Length(max=40)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    lines = FieldList(FormField(LineForm), min_entries=5, max_entries=500)


def receipt_form() -> ReceiptForm:
    form = ReceiptForm()
    form.owner.choices = [(e.customs_code, f"{e.customs_code} {e.name}")
                          for e in visible_owners()]
    warehouses = db().scalars(select(Warehouse).order_by(Warehouse.code)).all()
    # Bonded warehouses first: receipts here are first-line entries into the zone.
    warehouses = sorted(warehouses, key=lambda w: (w.kind != "bonded", w.code))
    form.warehouse.choices = [(w.code, f"{w.code} {w.name}") for w in warehouses]
    form.trade_mode.choices = code_choices("trade_mode")
    form.transport_mode.choices = code_choices("transport_mode", blank=True)
    return form


def _arrival(value: str | None):
    """A datetime-local value gets the warehouse's time zone; anything else goes to the
    service as typed, which says what is wrong with it."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=local_zone())


def row_index(row) -> int:
    """The index a line row was posted with (``lines-2-...``): errors name it."""
    return int(row.name.rsplit("-", 1)[1])


def show_form_error(form: FlaskForm, exc: DomainError) -> None:
    """The error next to the field (or the line's cell) it blames, else on top."""
    message = translate_error(exc)
    target = None
    match = LINE_FIELD.match(exc.field or "")
    if match:
        index, name = int(match.group(1)), match.group(2)
        row = next((r for r in form.lines.entries if row_index(r) == index), None)
        if row is not None:
            target = getattr(row.form, name, None)
    elif exc.field and exc.field not in ("lines", "csrf_token"):
        target = getattr(form, exc.field, None)
        if not hasattr(target, "errors"):
            target = None
    if target is not None:
        target.errors = [*target.errors, message]
    else:
        flash(message, "error")


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def new():
    form = receipt_form()
    if request.method == "POST" and "more_lines" in request.form:
        for _i in range(5):
            form.lines.append_entry()
        return render_template("receipts/form.html", form=form)
    if form.validate_on_submit():
        lines = [inbound.LineInput(product=row.form.product.data or "",
                                   quantity=row.form.quantity.data,
                                   lot=row.form.lot.data or None,
                                   expiry_date=row.form.expiry_date.data or None,
                                   sscc=(row.form.sscc.data or "").strip() or None,
                                   where=f"lines[{row_index(row)}].")
                 for row in form.lines.entries if not row.form.is_blank()]
        try:
            receipt = inbound.create_receipt(
                db(), owner_code=form.owner.data, warehouse_code=form.warehouse.data,
                supplier=form.supplier.data or "", lines=lines,
                supplier_ref=(form.supplier_ref.data or "").strip() or None,
                trade_mode=form.trade_mode.data or "1210",
                transport_mode=form.transport_mode.data or None,
                bill_of_lading=(form.bill_of_lading.data or "").strip() or None,
                air_waybill=(form.air_waybill.data or "").strip() or None,
                train_no=(form.train_no.data or "").strip() or None,
                container_no=(form.container_no.data or "").strip() or None,
                rail_note_no=(form.rail_note_no.data or "").strip() or None,
                mail_dispatch_no=(form.mail_dispatch_no.data or "").strip() or None,
                expected_arrival=_arrival(form.expected_arrival.data),
                note=(form.note.data or "").strip() or None)
        except DomainError as exc:
            db().rollback()
            show_form_error(form, exc)
            return render_template("receipts/form.html", form=form), \
                exc.status if exc.status >= 400 else 422
        db().commit()
        flash(_("Receipt %(name)s created: expected.", name=receipt.name), "ok")
        return redirect(url_for("receipts.detail", receipt_id=receipt.id))
    status = 422 if form.is_submitted() else 200
    return render_template("receipts/form.html", form=form), status


# ---------------------------------------------------------------- CSV import

class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired()])


SAMPLE_ROWS = [
    ("DE-7781", "6201W60012", "LZB", "Danone Nutricia GmbH, Fulda", "1210", "3", "", "",
     "X8024", "CSQU3054383", "SMGS 24-0091", "", "2026-12-01T08:00:00+08:00", "APT-PRE-800",
     "600", "L2026-1201", "2027-12-01", ""),
    ("DE-7781", "6201W60012", "LZB", "Danone Nutricia GmbH, Fulda", "1210", "3", "", "",
     "X8024", "CSQU3054383", "SMGS 24-0091", "", "2026-12-01T08:00:00+08:00", "4902000001703",
     "240", "MJ261201", "2027-12-01", ""),
]


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


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*EDITORS)
def import_csv():
    form = ImportForm()
    context = dict(form=form, columns=inbound.CSV_COLUMNS, required=inbound.REQUIRED_CSV)
    if form.validate_on_submit():
        try:
            text = decode_upload(form.file.data.read())
            created = inbound.import_receipts_csv(db(), text)
        except DomainError as exc:
            db().rollback()
            return render_template("receipts/import.html", error=translate_error(exc),
                                   error_field=exc.field, **context), \
                exc.status if exc.status >= 400 else 422
        db().commit()
        flash(ngettext_receipts(len(created)), "ok")
        return render_template("receipts/import.html", created=created,
                               state_titles=STATE_TITLES, **context)
    status = 422 if form.is_submitted() else 200
    return render_template("receipts/import.html", **context), status


def ngettext_receipts(count: int) -> str:
    from flask_babel import ngettext
    return ngettext("%(num)s receipt imported.", "%(num)s receipts imported.", count)


@bp.get("/import/sample.csv")
@roles_required(*EDITORS)
def sample_csv():
    import csv
    import io
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(inbound.CSV_COLUMNS)
    writer.writerows(SAMPLE_ROWS)
    return Response(buffer.getvalue(), headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": 'attachment; filename="receipts-sample.csv"'})


# ---------------------------------------------------------------- detail

@dataclass
class PutawayRow:
    product: Product
    lot_name: str | None
    quantity: Decimal
    location: object | None


def putaway_suggestions(receipt: Receipt) -> list[PutawayRow]:
    """Released (bonded) goods of the receipt still in the input area, and where they go."""
    if receipt.state not in ("released", "held"):
        return []
    session = db()
    try:
        source = inbound.input_area(session, receipt.warehouse)
    except DomainError:
        return []
    keys = session.execute(select(TallyScan.product_id, TallyScan.lot_id)
                           .where(TallyScan.receipt_id == receipt.id).distinct()).all()
    rows = []
    for product_id, lot_id in keys:
        qty = session.scalar(select(func.coalesce(func.sum(Quant.quantity), 0)).where(
            Quant.location_id == source.id, Quant.product_id == product_id,
            Quant.owner_id == receipt.owner_id, Quant.customs_status == "bonded",
            Quant.lot_id.is_(None) if lot_id is None else Quant.lot_id == lot_id))
        qty = Decimal(qty)
        if qty <= 0:
            continue
        product = session.get(Product, product_id)
        lot = session.get(Lot, lot_id) if lot_id else None
        rows.append(PutawayRow(product, lot.name if lot else None, qty,
                               inbound.suggest_location(session, receipt.warehouse, product,
                                                        qty)))
    return sorted(rows, key=lambda r: (r.product.sku, r.lot_name or ""))


def problem_products(receipt: Receipt, problems) -> dict[str, int]:
    skus = {p.sku for p in problems}
    return {p.sku: p.id for p in db().scalars(select(Product).where(
        Product.owner_id == receipt.owner_id, Product.sku.in_(skus or {""})))}


def render_detail(receipt: Receipt, status: int = 200, *, errors: dict | None = None,
                  problems=None, values: dict | None = None):
    declaration = declaration_of(receipt)
    message = db().get(CustomsMessage, declaration.message_id) \
        if declaration is not None and declaration.message_id else None
    if problems is None and receipt.state == "tallied" and declaration is None \
            and current_user.has_role(*DECLARANTS):
        problems = inbound.check_declaration(db(), receipt)
    limit = deadline()
    progress = inbound.tally_progress(db(), receipt) \
        if receipt.state not in ("draft", "expected", "cancelled") else []
    return render_template(
        "receipts/detail.html", receipt=receipt, lines=receipt.lines, progress=progress,
        discrepancies=discrepancies_of(receipt), declaration=declaration, message=message,
        problems=problems or [],
        problem_links={sku: product_url(pid) for sku, pid in
                       problem_products(receipt, problems or []).items()},
        putaway=putaway_suggestions(receipt), overdue=is_overdue(receipt, limit),
        due=due_at(receipt, limit), errors=errors or {}, values=values or {},
        state_titles=STATE_TITLES, kind_titles=KIND_TITLES, decision_titles=DECISION_TITLES,
        message_titles=MESSAGE_STATE_TITLES, product_url=product_url,
        problem_titles=PROBLEM_FIELD_TITLES, units=code_names("unit"),
        trade_modes=code_names("trade_mode"), transport_modes=code_names("transport_mode"),
        can=permissions(receipt, declaration), num=num), status


def permissions(receipt: Receipt, declaration: EntryDeclaration | None) -> dict[str, bool]:
    state = receipt.state
    has = current_user.has_role
    declared = declaration is not None and declaration.state != "draft"
    return {
        "cancel": has(*EDITORS) and receipt.can_transition("cancelled"),
        "gate_in": has(*GATE_KEEPERS) and state == "expected",
        "close_tally": has(*TALLY_CLOSERS) and state == "tallying",
        "build": has(*DECLARANTS) and state == "tallied" and declaration is None,
        "file": has(*DECLARANTS) and state == "tallied" and declaration is not None
        and declaration.state == "draft",
        "decide": has(*DECLARANTS) and declared and state in ("declared", "held"),
        "upload": has(*DECLARANTS) and declared and state in ("declared", "held"),
        "store": has("supervisor", "operator") and state == "released",
    }


@bp.get("/<int:receipt_id>")
def detail(receipt_id: int):
    return render_detail(load_receipt(receipt_id))


def _refused(receipt_id: int, exc: DomainError, *, errors_key: str | None = None,
             values: dict | None = None, problems=None):
    """Roll back and show the page again with the error; nothing was changed."""
    db().rollback()
    message = translate_error(exc)
    errors = {}
    if errors_key and exc.field:
        errors[f"{errors_key}.{exc.field}"] = message
    else:
        flash(message, "error")
    status = exc.status if exc.status >= 400 else 422
    return render_detail(load_receipt(receipt_id), status, errors=errors, values=values,
                         problems=problems)


def _done(receipt_id: int, message: str):
    db().commit()
    flash(message, "ok")
    return redirect(url_for("receipts.detail", receipt_id=receipt_id))


@bp.post("/<int:receipt_id>/cancel")
@roles_required(*EDITORS)
def cancel(receipt_id: int):
    receipt = load_receipt(receipt_id)
    reason = (request.form.get("reason") or "").strip()[:300]
    try:
        inbound.cancel_receipt(db(), receipt, reason)
        db().flush()
    except DomainError as exc:
        return _refused(receipt_id, exc)
    return _done(receipt_id, _("Receipt %(name)s cancelled.", name=receipt.name))


@bp.post("/<int:receipt_id>/gate-in")
@roles_required(*GATE_KEEPERS)
def gate_in(receipt_id: int):
    receipt = load_receipt(receipt_id)
    values = {k: (request.form.get(k) or "").strip()[:20]
              for k in ("vehicle_no", "container_no", "seal_no")}
    try:
        inbound.gate_in(db(), receipt, vehicle_no=values["vehicle_no"] or None,
                        container_no=values["container_no"] or None,
                        seal_no=values["seal_no"] or None)
    except DomainError as exc:
        return _refused(receipt_id, exc, errors_key="gate", values=values)
    return _done(receipt_id, _("Receipt %(name)s arrived: the goods are in the input area, "
                               "not declared.", name=receipt.name))


@bp.post("/<int:receipt_id>/close-tally")
@roles_required(*TALLY_CLOSERS)
def close_tally(receipt_id: int):
    receipt = load_receipt(receipt_id)
    try:
        found = inbound.close_tally(db(), receipt)
    except DomainError as exc:
        return _refused(receipt_id, exc)
    return _done(receipt_id, _("Tally of %(name)s closed with %(count)s discrepancies.",
                               name=receipt.name, count=len(found)))


@bp.post("/<int:receipt_id>/declaration")
@roles_required(*DECLARANTS)
def build_declaration(receipt_id: int):
    receipt = load_receipt(receipt_id)
    try:
        declaration = inbound.build_declaration(db(), receipt)
    except inbound.DeclarationNotReady as exc:
        return _refused(receipt_id, exc, problems=exc.problems)
    except DomainError as exc:
        return _refused(receipt_id, exc)
    return _done(receipt_id, _("Declaration %(name)s built from the tally: check it, then "
                               "file it.", name=declaration.name))


@bp.post("/<int:receipt_id>/declaration/file")
@roles_required(*DECLARANTS)
def file_declaration(receipt_id: int):
    receipt = load_receipt(receipt_id)
    declaration = declaration_of(receipt)
    try:
        if declaration is None:
            raise ValidationError(N_("Build the declaration before filing it"),
                                  field="declaration")
        inbound.file_declaration(db(), declaration)
    except DomainError as exc:
        return _refused(receipt_id, exc)
    return _done(receipt_id, _("Declaration %(name)s filed: the message is in the customs "
                               "outbox.", name=declaration.name))


@bp.post("/<int:receipt_id>/decisions")
@roles_required(*DECLARANTS)
def decisions(receipt_id: int):
    receipt = load_receipt(receipt_id)
    declaration = declaration_of(receipt)
    note = (request.form.get("note") or "").strip()[:300] or None
    chosen: dict[int, str] = {}
    for key, value in request.form.items():
        if key.startswith("decision-") and key[9:].isdigit() and value:
            chosen[int(key[9:])] = value
    try:
        if declaration is None:
            raise ValidationError(N_("Releasing needs a filed declaration"),
                                  field="declaration")
        if not chosen:
            raise ValidationError(N_("Choose a decision for at least one item"),
                                  field="decision")
        inbound.decide(db(), declaration, chosen, note=note)
    except DomainError as exc:
        return _refused(receipt_id, exc)
    return _done(receipt_id, _("Customs decision recorded: receipt %(name)s is %(state)s.",
                               name=receipt.name, state=STATE_TITLES[receipt.state]))


@bp.post("/<int:receipt_id>/customs-receipt")
@roles_required(*DECLARANTS)
def customs_receipt(receipt_id: int):
    """Customs' answer to the entry record list, uploaded as the XML file it came in."""
    from wms.inbound.declaration_xml import import_entry_return
    receipt = load_receipt(receipt_id)
    upload = request.files.get("xml")
    try:
        content = upload.read() if upload else b""
        if not content.strip():
            raise ValidationError(N_("Choose the receipt XML file"), field="xml")
        declaration = import_entry_return(db(), content)
        if declaration.receipt_id != receipt.id:
            raise ValidationError(N_("This message answers declaration %(name)s of another "
                                     "receipt"), field="xml", name=declaration.name)
    except DomainError as exc:
        return _refused(receipt_id, exc)
    return _done(receipt_id, _("Customs receipt imported: receipt %(name)s is %(state)s.",
                               name=receipt.name, state=STATE_TITLES[receipt.state]))


@bp.post("/<int:receipt_id>/stored")
@roles_required("supervisor", "operator")
def mark_stored(receipt_id: int):
    """Putaway happens on the handheld; this closes the receipt once nothing released is
    left in the input area."""
    receipt = load_receipt(receipt_id)
    try:
        if not inbound.mark_stored_if_done(db(), receipt):
            raise ValidationError(N_("Released goods of this receipt are still in the input "
                                     "area: put them away first"), field="putaway")
        db().flush()
    except DomainError as exc:
        return _refused(receipt_id, exc)
    return _done(receipt_id, _("Receipt %(name)s stored.", name=receipt.name))


# ---------------------------------------------------------------- documents

@bp.get("/<int:receipt_id>/discrepancies")
def discrepancies(receipt_id: int):
    receipt = load_receipt(receipt_id)
    return render_template("receipts/discrepancies.html", receipt=receipt,
                           rows=discrepancies_of(receipt), kind_titles=KIND_TITLES,
                           state_titles=STATE_TITLES, num=num, product_url=product_url)


def _file_name(receipt: Receipt, suffix: str) -> str:
    return receipt.name.replace("/", "-") + suffix


@bp.get("/<int:receipt_id>/discrepancies.pdf")
def discrepancies_pdf(receipt_id: int):
    from wms.inbound.documents import discrepancy_report_pdf
    receipt = load_receipt(receipt_id)
    if receipt.tally_closed_at is None:
        raise ValidationError(N_("The tally of receipt %(name)s is not closed yet"),
                              field="receipt", name=receipt.name)
    pdf = discrepancy_report_pdf(receipt, discrepancies_of(receipt))
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition":
            f'inline; filename="{_file_name(receipt, "-discrepancies.pdf")}"'})


def _declaration_or_404(receipt: Receipt) -> EntryDeclaration:
    from wms.core.errors import NotFound
    declaration = declaration_of(receipt)
    if declaration is None:
        raise NotFound(N_("Receipt %(name)s has no declaration yet"), field="declaration",
                       name=receipt.name)
    return declaration


@bp.get("/<int:receipt_id>/declaration.pdf")
def declaration_pdf(receipt_id: int):
    from wms.inbound.documents import declaration_pdf as render_pdf
    receipt = load_receipt(receipt_id)
    pdf = render_pdf(_declaration_or_404(receipt))
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{_file_name(receipt, "-declaration.pdf")}"'})


@bp.get("/<int:receipt_id>/declaration.xml")
def declaration_xml(receipt_id: int):
    """The entry record list exactly as it sits in the customs outbox."""
    from wms.core.errors import NotFound
    receipt = load_receipt(receipt_id)
    declaration = _declaration_or_404(receipt)
    message = db().get(CustomsMessage, declaration.message_id) \
        if declaration.message_id else None
    if message is None:
        raise NotFound(N_("Declaration %(name)s has not been filed"), field="declaration",
                       name=declaration.name)
    return Response(message.xml.encode("utf-8"), headers={
        "Content-Type": "application/xml; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{_file_name(receipt, "-entry.xml")}"'})
