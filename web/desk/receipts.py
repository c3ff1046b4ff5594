"""Desk pages for bonded receipts: ASN, gate-in, tally progress, discrepancies, declaration,
customs decisions, deadlines.

Every write parses the form, calls one ``wms.inbound`` use case, commits once and redirects;
a domain error rolls back and shows the translated message at the field it blames (or on
top of the page), so a refused action never changes anything.
"""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import (Blueprint, Response, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.routing import BuildError

from wms.catalog.models import Product
from wms.core.db import utcnow
from wms.core.errors import N_, DomainError, ValidationError
from wms.core.parsing import ascii_id
from wms.customs.models import CustomsCode, CustomsMessage
from wms.inbound import declaration as declarations
from wms.inbound import decisions as customs_decisions
from wms.inbound import putaway as putaways
from wms.inbound import queries, receipts, tally
from wms.inbound.models import RECEIPT_STATES, Discrepancy, EntryDeclaration, Receipt
from wms.inventory.queries import goods_owners
from wms.partners.models import Enterprise

from ..paging import page_arg
from .confirm import Confirmation, confirm_page, confirmed
from ..auth import blueprint_roles, roles_required
from ..db import db
from ..errors import translate_error

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
LINE_FIELD = re.compile(r"^lines\[(\d+)\]\.(\w+)$")


# ---------------------------------------------------------------- helpers

def num(value) -> str:
    """A quantity without trailing zeros: 240, 0.5, 12.125."""
    if value is None:
        return ""
    return format(Decimal(value).normalize(), "f")


def deadline() -> timedelta:
    return timedelta(hours=current_app.config.get("DECLARATION_DEADLINE_HOURS", 72))


is_overdue, due_at = queries.is_overdue, queries.due_at


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")


def product_url(product_id: int | None) -> str | None:
    if product_id is None:
        return None
    try:
        return url_for("stock.product", product_id=product_id)
    except BuildError:
        return f"/stock/products/{product_id}"


def paginate(stmt, page: int):
    total = db().scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db().scalars(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return rows, total, max(1, -(-total // PAGE_SIZE))


def visible_owners() -> list[Enterprise]:
    return goods_owners(db())


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


def load_receipt(receipt_id: int) -> Receipt:
    return queries.get_receipt(db(), receipt_id)  # NotFound (404) for another owner's receipt


def declaration_of(receipt: Receipt) -> EntryDeclaration | None:
    return queries.declaration_of(db(), receipt)


def discrepancies_of(receipt: Receipt) -> list[Discrepancy]:
    return queries.discrepancies_of(db(), receipt)


def discrepancy_note(d: Discrepancy) -> str:
    """The stored note code in the reader's language."""
    return d.note(_) or ""


# ---------------------------------------------------------------- list, overdue

@bp.get("/")
def index():
    state = request.args.get("state") or None
    if state not in (None, *RECEIPT_STATES):
        state = None
    rows, total, pages = paginate(queries.receipts_query(state), page_arg())
    limit = deadline()
    now = utcnow()
    overdue = {r.id for r in rows if is_overdue(r, limit, now)}
    counts = queries.state_counts(db())
    overdue_count = len(queries.overdue_receipts(db(), limit)) \
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
    rows = queries.overdue_receipts(db(), limit)
    now = utcnow()
    return render_template("receipts/overdue.html", rows=rows, limit=limit, now=now,
                           hours=int(limit.total_seconds() // 3600), due_at=due_at,
                           state_titles=STATE_TITLES)


# ---------------------------------------------------------------- detail

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
        problems = declarations.check_declaration(db(), receipt)
    limit = deadline()
    progress = queries.tally_progress(db(), receipt) \
        if receipt.state not in ("draft", "expected", "cancelled") else []
    return render_template(
        "receipts/detail.html", receipt=receipt, lines=receipt.lines, progress=progress,
        discrepancies=discrepancies_of(receipt), declaration=declaration, message=message,
        problems=problems or [],
        problem_links={sku: product_url(pid) for sku, pid in
                       problem_products(receipt, problems or []).items()},
        putaway=queries.released_in_input(db(), receipt), overdue=is_overdue(receipt, limit),
        due=due_at(receipt, limit), errors=errors or {}, values=values or {},
        state_titles=STATE_TITLES, kind_titles=KIND_TITLES, decision_titles=DECISION_TITLES,
        message_titles=MESSAGE_STATE_TITLES, product_url=product_url,
        problem_titles=PROBLEM_FIELD_TITLES, units=code_names("unit"),
        note_of=discrepancy_note,
        trade_modes=code_names("trade_mode"), transport_modes=code_names("transport_mode"),
        can=permissions(receipt, declaration), num=num), status


def permissions(receipt: Receipt, declaration: EntryDeclaration | None) -> dict[str, bool]:
    state = receipt.state
    has = current_user.has_role
    declared = declaration is not None and declaration.state != "draft"
    return {
        "cancel": has(*EDITORS) and receipt.can_transition("cancelled"),
        "gate_in": has(*GATE_KEEPERS) and state == "expected",
        "close_tally": has(*TALLY_CLOSERS) and state in queries.TALLY_OPEN,
        "build": has(*DECLARANTS) and state == "tallied" and declaration is None,
        "file": has(*DECLARANTS) and state == "tallied" and declaration is not None
        and declaration.state == "draft",
        "decide": has(*DECLARANTS) and declared and state in ("declared", "held"),
        "upload": has(*DECLARANTS) and declared and state in ("declared", "held"),
        "store": has("supervisor", "operator") and state == "released",
        "put_away": has("supervisor", "operator") and state in ("released", "held"),
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
        receipts.cancel_receipt(db(), receipt, reason)
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
        receipts.gate_in(db(), receipt, vehicle_no=values["vehicle_no"] or None,
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
        found = tally.close_tally(db(), receipt)
    except DomainError as exc:
        return _refused(receipt_id, exc)
    return _done(receipt_id, _("Tally of %(name)s closed with %(count)s discrepancies.",
                               name=receipt.name, count=len(found)))


@bp.post("/<int:receipt_id>/declaration")
@roles_required(*DECLARANTS)
def build_declaration(receipt_id: int):
    receipt = load_receipt(receipt_id)
    try:
        declaration = declarations.build_declaration(db(), receipt)
    except declarations.DeclarationNotReady as exc:
        return _refused(receipt_id, exc, problems=exc.problems)
    except DomainError as exc:
        return _refused(receipt_id, exc)
    return _done(receipt_id, _("Declaration %(name)s built from the tally: check it, then "
                               "file it.", name=declaration.name))


def _units(lines) -> str:
    return num(sum((ln.qty for ln in lines), Decimal(0)))


def file_confirmation(receipt: Receipt, declaration: EntryDeclaration) -> Confirmation:
    return Confirmation(
        title=_("File entry list %(name)s with customs?", name=declaration.name),
        action=url_for("receipts.file_declaration", receipt_id=receipt.id),
        back=url_for("receipts.detail", receipt_id=receipt.id),
        message_types=[("ENTRY", _("Entry record list (bonded goods into the zone)"))],
        document=declaration.name, lines=len(declaration.lines),
        items=_units(declaration.lines), total=num(declaration.total_value),
        button=_("File with customs"),
        facts=[(_("Receipt"), receipt.name),
               (_("Net weight"), f"{num(declaration.total_net_kg)} kg")])


def release_confirmation(receipt: Receipt, declaration: EntryDeclaration,
                         chosen: dict[int, str], note: str | None) -> Confirmation:
    by_gnum = {ln.gnum: ln for ln in declaration.lines}
    picked = [by_gnum[gnum] for gnum in chosen if gnum in by_gnum]
    counts = {d: sum(1 for v in chosen.values() if v == d) for d in set(chosen.values())}
    return Confirmation(
        title=_("Record customs' decision on %(name)s?", name=declaration.name),
        action=url_for("receipts.decisions", receipt_id=receipt.id),
        back=url_for("receipts.detail", receipt_id=receipt.id),
        message_types=[("ENTRY", _("Entry record list: customs' decision per item"))],
        document=declaration.name, lines=len(picked), items=_units(picked),
        total=num(sum((ln.total_price for ln in picked), Decimal(0))),
        warning=_("Released goods become bonded stock and can be put away; this cannot be "
                  "undone."),
        button=_("Record the decision"),
        facts=[(str(DECISION_TITLES.get(d, d)), str(n)) for d, n in sorted(counts.items())],
        hidden=[(f"decision-{gnum}", v) for gnum, v in chosen.items()] +
        ([("note", note)] if note else []))


@bp.post("/<int:receipt_id>/declaration/file")
@roles_required(*DECLARANTS)
def file_declaration(receipt_id: int):
    receipt = load_receipt(receipt_id)
    declaration = declaration_of(receipt)
    if not confirmed() and declaration is not None and declaration.state == "draft":
        return confirm_page(file_confirmation(receipt, declaration))
    try:
        if declaration is None:
            raise ValidationError(N_("Build the declaration before filing it"),
                                  field="declaration")
        declarations.file_declaration(db(), declaration)
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
        if key.startswith("decision-") and ascii_id(key[9:]) and value:
            chosen[ascii_id(key[9:])] = value
    try:
        if declaration is None:
            raise ValidationError(N_("Releasing needs a filed declaration"),
                                  field="declaration")
        if not chosen:
            raise ValidationError(N_("Choose a decision for at least one item"),
                                  field="decision")
        if not confirmed() and set(chosen.values()) & {"released", "rejected"}:
            # a hold can be lifted later; a release or a rejection cannot
            return confirm_page(release_confirmation(receipt, declaration, chosen, note))
        customs_decisions.decide(db(), declaration, chosen, note=note)
    except DomainError as exc:
        return _refused(receipt_id, exc)
    return _done(receipt_id, _("Customs decision recorded: receipt %(name)s is %(state)s.",
                               name=receipt.name, state=STATE_TITLES[receipt.state]))


@bp.post("/<int:receipt_id>/customs-receipt")
@roles_required(*DECLARANTS)
def customs_receipt(receipt_id: int):
    """Customs' answer to the entry record list, uploaded as the XML file it came in."""
    receipt = load_receipt(receipt_id)
    upload = request.files.get("xml")
    try:
        content = upload.read() if upload else b""
        if not content.strip():
            raise ValidationError(N_("Choose the receipt XML file"), field="xml")
        declaration = customs_decisions.import_entry_return(db(), content)
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
        if not putaways.mark_stored_if_done(db(), receipt):
            raise ValidationError(N_("Released goods of this receipt are still in the input "
                                     "area: put them away first"), field="putaway")
        db().flush()
    except DomainError as exc:
        return _refused(receipt_id, exc)
    return _done(receipt_id, _("Receipt %(name)s stored.", name=receipt.name))


@bp.post("/<int:receipt_id>/putaway")
@roles_required("supervisor", "operator")
def put_away(receipt_id: int):
    """Everything released that waits in the input area, each to its suggested place."""
    receipt = load_receipt(receipt_id)
    try:
        done = putaways.putaway_receipt(db(), receipt)
    except DomainError as exc:
        return _refused(receipt_id, exc)
    message = _("Put away with %(document)s.", document=done.document.name)
    if done.stored:
        message += " " + _("Receipt %(name)s stored.", name=receipt.name)
    return _done(receipt_id, message)


# ---------------------------------------------------------------- documents

@bp.get("/<int:receipt_id>/discrepancies")
def discrepancies(receipt_id: int):
    receipt = load_receipt(receipt_id)
    return render_template("receipts/discrepancies.html", receipt=receipt,
                           rows=discrepancies_of(receipt), kind_titles=KIND_TITLES,
                           note_of=discrepancy_note,
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
    pdf = discrepancy_report_pdf(receipt, discrepancies_of(receipt), translate=_)
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
    pdf = render_pdf(_declaration_or_404(receipt), translate=_)
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


from . import receipts_intake  # noqa: E402,F401  (the ASN form and the CSV import, on this bp)
