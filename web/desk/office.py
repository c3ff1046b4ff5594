"""Desk pages: the home page per role, enterprises, users, account, record history."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from wms.accounts import services as accounts
from wms.accounts.models import ApiToken, User
from wms.core.audit import AuditEvent
from wms.core.context import current_actor
from wms.core.db import Base
from wms.core.errors import DomainError
from wms.jobs import queries as job_queries
from wms.partners import blacklist
from wms.partners import services as partners
from wms.partners.credit import inspection_plan
from wms.partners.models import (CREDIT_CLASSES, ENTERPRISE_ROLES, DocumentHold, Enterprise,
                                 EnterpriseRefusal)
from wms.risk.queries import open_counts

from ..paging import page_arg
from ..auth import roles_required, safe_next
from ..db import db
from ..errors import translate_error
from ..settings import settings
from .jobs import OPERATORS, notice_json

bp = Blueprint("office", __name__)
PAGE_SIZE = 50

ROLE_TITLES = {
    "admin": _l("Administrator"),
    "supervisor": _l("Supervisor"),
    "operator": _l("Warehouse operator"),
    "dispatcher": _l("Dispatcher"),
    "returns_clerk": _l("Returns clerk"),
    "customs_clerk": _l("Customs clerk"),
    "owner_viewer": _l("Enterprise (goods owner)"),
}
ENTERPRISE_ROLE_TITLES = {
    "owner": _l("Goods owner / e-commerce enterprise"),
    "platform": _l("E-commerce platform"),
    "logistics": _l("Logistics company"),
    "agent": _l("Customs agent"),
    "carrier": _l("Carrier"),
}
CREDIT_CLASS_TITLES = {
    "advanced": _l("Advanced certified (AEO)"),
    "general": _l("General certified"),
    "regular": _l("Regular"),
    "dishonest": _l("Dishonest"),
}


@dataclass(frozen=True)
class Card:
    endpoint: str
    title: object
    text: object
    roles: frozenset[str]


STAFF = frozenset({"supervisor", "customs_clerk", "operator", "dispatcher", "returns_clerk"})
CARDS = [
    Card("handheld.index", _l("Handheld"),
         _l("Scan anything, putaway, transfer and cycle count on the scanner."),
         frozenset({"operator", "supervisor"})),
    Card("receipts.index", _l("Receipts"),
         _l("Bonded inbound: advice, gate-in, tally, entry declaration, customs decision."),
         STAFF | {"owner_viewer"}),
    Card("orders.index", _l("Orders"),
         _l("Cross-border orders, their three documents, lists and customs receipts."),
         STAFF | {"owner_viewer"}),
    Card("picking.index", _l("Picking and packing"),
         _l("Waves, picking on the scanner, the packing station."),
         frozenset({"operator", "supervisor"})),
    Card("reports.index", _l("Statistics"),
         _l("Aggregated statistics by period, trade mode, owner, country and HS chapter."),
         frozenset({"supervisor", "customs_clerk", "owner_viewer"})),
    Card("dispatch.index", _l("Dispatch board"),
         _l("Trains, flights and mail dispatches in transit, ETAs and alerts."),
         frozenset({"dispatcher", "supervisor"})),
    Card("returns.index", _l("Returns centre"),
         _l("Receive return parcels in bulk, match them, declare returns (CEB625), grade, "
            "restock, exchange or scrap."),
         frozenset({"returns_clerk", "supervisor", "owner_viewer"})),
    Card("trace.index", _l("Trace and recall"),
         _l("Any lot, SSCC, GTIN, receipt, order, parcel or buyer to the whole chain; recalls."),
         STAFF | {"owner_viewer"}),
    Card("accountbook.reconciliation", _l("Account book"),
         _l("The bonded account book against bonded stock, each difference explained."),
         frozenset({"supervisor", "customs_clerk", "owner_viewer"})),
    Card("stock.stock", _l("Stock"),
         _l("Stock by product, location, owner, lot and customs status; the ledger."),
         STAFF | {"owner_viewer"}),
    Card("office.enterprises", _l("Enterprises"),
         _l("Owners, platforms, logistics companies and agents registered with customs."),
         STAFF | {"owner_viewer"}),
    Card("risks.index", _l("Risk warnings"),
         _l("Graded warnings by level and category: tallies, buyers, expiry, customs, "
            "trains, returns, blacklisted enterprises."),
         STAFF | {"owner_viewer"}),
    Card("office.users", _l("Users"), _l("Who may log in, their roles and owners."),
         frozenset({"admin"})),
    Card("jobs.index", _l("Background jobs"),
         _l("Customs outbox and receipts, webhooks, alerts and deadlines: last runs and "
            "failures."),
         frozenset({"supervisor"})),
    Card("office.account", _l("My account"), _l("Language and API tokens for your systems."),
         STAFF | {"owner_viewer"}),
]


def cards_for(user) -> list[Card]:
    return [c for c in CARDS if user.has_role(*c.roles)]


def paginate(stmt, page: int):
    total = db().scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db().scalars(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    pages = max(1, -(-total // PAGE_SIZE))
    return rows, total, pages


@bp.get("/")
def home():
    roles = sorted(current_user.roles)
    failures = (job_queries.open_failures(db(), limit=10)
                if current_user.has_role(*OPERATORS) else [])
    notices = [notice_json(n) for n in job_queries.notices_for(db(), current_user.roles, limit=10)]
    return render_template("office/home.html", cards=cards_for(current_user),
                           role_titles=[ROLE_TITLES[r] for r in roles], failures=failures,
                           notices=notices, risk_counts=open_counts(db()))


class EnterpriseForm(FlaskForm):
    customs_code = StringField(_l("Customs code (10 characters)"),
                               validators=[DataRequired(), Length(min=10, max=10)])
    uscc = StringField(_l("Unified social credit code"),
                       validators=[DataRequired(), Length(min=18, max=18)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=200)])
    roles = SelectMultipleField(_l("Roles"), choices=[SelectChoice(r, ENTERPRISE_ROLE_TITLES[r])
                                                     for r in ENTERPRISE_ROLES],
                                validators=[DataRequired()])
    credit_class = SelectField(_l("Credit class"), choices=[SelectChoice(c, CREDIT_CLASS_TITLES[c])
                                                            for c in CREDIT_CLASSES],
                               default="regular")
    aeo_certificate = StringField(_l("AEO certificate"), validators=[Optional(), Length(max=20)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    contact_phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])


@bp.get("/enterprises")
def enterprises():
    if not current_user.has_role(*STAFF, "owner_viewer"):
        abort(403)
    role = request.args.get("role") or None
    if role and role not in ENTERPRISE_ROLES:
        abort(400)
    from sqlalchemy.orm import selectinload
    rows, total, pages = paginate(partners.enterprises_query(role).options(
        selectinload(Enterprise.blacklist_entries)), page_arg())
    return render_template("office/enterprises.html", rows=rows, total=total, pages=pages,
                           page=page_arg(), role=role, role_titles=ENTERPRISE_ROLE_TITLES,
                           credit_titles=CREDIT_CLASS_TITLES,
                           can_edit=current_user.has_role("supervisor", "customs_clerk"))


@bp.route("/enterprises/new", methods=["GET", "POST"])
@roles_required("supervisor", "customs_clerk")
def enterprise_new():
    form = EnterpriseForm()
    if form.validate_on_submit():
        try:
            enterprise = partners.register_enterprise(
                db(), customs_code=form.customs_code.data, uscc=form.uscc.data,
                name=form.name.data, name_en=form.name_en.data or None,
                roles=form.roles.data, credit_class=form.credit_class.data,
                aeo_certificate=form.aeo_certificate.data or None,
                address=form.address.data or None, contact_phone=form.contact_phone.data or None)
        except DomainError as exc:
            db().rollback()
            field = getattr(form, exc.field, None) if exc.field else None
            if field is not None:
                field.errors = [*field.errors, translate_error(exc)]
            else:
                flash(translate_error(exc), "error")
            return render_template("office/enterprise_form.html", form=form), exc.status
        db().commit()
        flash(_("Enterprise %(name)s registered.", name=enterprise.name), "ok")
        return redirect(url_for("office.enterprise", code=enterprise.customs_code))
    status = 422 if form.is_submitted() else 200
    return render_template("office/enterprise_form.html", form=form), status


CREDIT_EDITORS = ("supervisor", "customs_clerk")


def _visible_enterprise(code: str) -> Enterprise:
    if not current_user.has_role(*STAFF, "owner_viewer"):
        abort(403)
    try:
        return partners.get_enterprise_by_code(db(), code)
    except DomainError:
        abort(404)


@bp.get("/enterprises/<code>")
def enterprise(code: str):
    """Credit class, AEO, the tally's sampling, the blacklist history, refused attempts
    and held documents of one enterprise."""
    found = _visible_enterprise(code)
    refusals = db().scalars(select(EnterpriseRefusal).where(
        EnterpriseRefusal.enterprise_id == found.id)
        .order_by(EnterpriseRefusal.id.desc()).limit(20)).all()
    holds = db().scalars(select(DocumentHold).where(
        DocumentHold.enterprise_id == found.id)
        .order_by(DocumentHold.released_at.is_not(None), DocumentHold.id.desc())
        .limit(50)).all()
    return render_template(
        "office/enterprise.html", e=found, plan=inspection_plan(found, settings().credit),
        refusals=refusals, holds=holds, role_titles=ENTERPRISE_ROLE_TITLES,
        credit_titles=CREDIT_CLASS_TITLES, today=date.today(),
        can_edit=current_user.has_role(*CREDIT_EDITORS),
        can_list=current_user.has_role("supervisor"))


def _back(code: str):
    return redirect(url_for("office.enterprise", code=code))


def _refused(code: str, exc: DomainError):
    db().rollback()
    flash(translate_error(exc), "error")
    return _back(code)


@bp.post("/enterprises/<code>/credit")
@roles_required(*CREDIT_EDITORS)
def enterprise_credit(code: str):
    found = _visible_enterprise(code)
    try:
        partners.update_enterprise(db(), found, credit_class=request.form.get("credit_class"),
                                   aeo_certificate=request.form.get("aeo_certificate"))
    except DomainError as exc:
        return _refused(code, exc)
    db().commit()
    flash(_("Credit class of %(name)s saved.", name=found.name), "ok")
    return _back(code)


@bp.post("/enterprises/<code>/blacklist")
@roles_required("supervisor")
def enterprise_blacklist(code: str):
    found = _visible_enterprise(code)
    try:
        blacklist.blacklist_enterprise(
            db(), found, reason=request.form.get("reason"),
            authority=request.form.get("authority"),
            listed_from=request.form.get("listed_from"),
            listed_until=request.form.get("listed_until"))
    except DomainError as exc:
        return _refused(code, exc)
    db().commit()
    flash(_("%(name)s is on the blacklist: new receipts and orders are refused, pending ones "
            "held.", name=found.name), "ok")
    return _back(code)


@bp.post("/enterprises/<code>/blacklist/<int:entry_id>/lift")
@roles_required("supervisor")
def enterprise_lift(code: str, entry_id: int):
    found = _visible_enterprise(code)
    try:
        entry = blacklist.get_entry(db(), entry_id)
        if entry.enterprise_id != found.id:
            abort(404)
        blacklist.lift_blacklisting(db(), entry, reason=request.form.get("reason"))
    except DomainError as exc:
        return _refused(code, exc)
    db().commit()
    flash(_("%(name)s is off the blacklist.", name=found.name), "ok")
    return _back(code)


@bp.post("/holds/<int:hold_id>/release")
@roles_required("supervisor")
def hold_release(hold_id: int):
    back = safe_next(request.form.get("next"), url_for("office.home"))
    try:
        hold = blacklist.release_hold(db(), hold_id, note=request.form.get("note"))
    except DomainError as exc:
        db().rollback()
        flash(translate_error(exc), "error")
        return redirect(back)
    db().commit()
    flash(_("%(reference)s released.", reference=hold.reference), "ok")
    return redirect(back)


@bp.get("/users")
@roles_required("admin")
def users():
    rows, total, pages = paginate(select(User).order_by(User.login), page_arg())
    return render_template("office/users.html", rows=rows, total=total, pages=pages,
                           page=page_arg(), role_titles=ROLE_TITLES)


@bp.get("/account")
def account():
    tokens = db().scalars(select(ApiToken).where(ApiToken.user_id == current_user.id)
                          .order_by(ApiToken.created_at.desc())).all()
    return render_template("office/account.html", tokens=tokens)


@bp.post("/account/tokens")
def token_create():
    """A new API token, shown once on the page that answers this post."""
    label = (request.form.get("label") or "").strip()[:120] or None
    user = db().get(User, current_user.id)
    token = accounts.create_token(db(), user, label)
    db().commit()
    tokens = db().scalars(select(ApiToken).where(ApiToken.user_id == current_user.id)
                          .order_by(ApiToken.created_at.desc())).all()
    return render_template("office/account.html", tokens=tokens, new_token=token)


@bp.post("/account/tokens/<int:token_id>/revoke")
def token_revoke(token_id: int):
    token = db().get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    accounts.revoke_token(db(), token_id)
    db().commit()
    flash(_("Token revoked."), "ok")
    return redirect(url_for("office.account"))


def tracked_models() -> dict[str, type]:
    return {m.class_.__tablename__: m.class_ for m in Base.registry.mappers
            if getattr(m.class_, "__tracked__", None) is not None}


def record_visible(record) -> bool:
    """Owner users see the history of their own records; staff see everything."""
    owners = current_actor().owner_ids
    if owners is None:
        return True
    if isinstance(record, Enterprise):
        return record.id in owners
    owner_id = getattr(record, "owner_id", None)
    return owner_id is not None and owner_id in owners


@bp.get("/history/<model>/<int:record_id>")
def history(model: str, record_id: int):
    cls = tracked_models().get(model)
    if cls is None:
        abort(404)
    record = db().get(cls, record_id)
    if record is None or not record_visible(record):
        abort(404)
    if isinstance(record, User) and not current_user.has_role("admin") \
            and record.id != current_user.id:
        abort(404)
    events, total, pages = paginate(
        select(AuditEvent).where(AuditEvent.model == model, AuditEvent.record_id == record_id)
        .order_by(AuditEvent.id.desc()), page_arg())
    return render_template("office/history.html", record=record, model=model, events=events,
                           total=total, pages=pages, page=page_arg())
