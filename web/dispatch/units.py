"""Transport units at the desk (``/dispatch/units``): the list, registering a train, wagon,
container, ULD, flight, mail bag, pallet or postal item, correcting it, retiring it. The
doors are in ``wms.logistics.registry``; the labels a unit prints are in ``labels``."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from wms.core.errors import DomainError
from wms.logistics.models import TransportUnit
from wms.logistics.registry import (REGISTERED_KINDS, UnitInput, get_unit, list_units,
                                    register_units, retire_units, update_unit)

from ..db import db
from ..errors import translate_error
from ..paging import page_arg
from .access import EDITORS, bp, is_editor, only
from .format import UNIT_TITLES
from .network import form_error

PAGE_SIZE = 50
# What the kind is called where the form offers it: a mail bag, a postal item.
KIND_CHOICES = {"train": _l("Train"), "wagon": _l("Wagon"),
                "container": _l("Container (ISO 6346)"), "uld": _l("ULD (air container)"),
                "flight": _l("Flight"), "bag": _l("Mail bag (UPU receptacle)"),
                "pallet": _l("Pallet (SSCC)"), "parcel": _l("Postal item or parcel (S10)")}
PLACEHOLDERS = {"train": "X8025/20261202", "wagon": "318054540014", "container": "CSQU3054383",
                "uld": "AKE12345CA", "flight": "CK263/20261202",
                "bag": "CNLHWADEFRAAAUN60001001000125", "pallet": "069061230000000017",
                "parcel": "RR123456785CN"}


class UnitForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, KIND_CHOICES[k])
                                            for k in REGISTERED_KINDS])
    identifier = StringField(_l("Number"), validators=[DataRequired(), Length(max=40)])
    shipment = StringField(_l("Shipment (name or reference, optional)"),
                           validators=[Optional(), Length(max=60)])


class UnitEditForm(FlaskForm):
    identifier = StringField(_l("Number"), validators=[DataRequired(), Length(max=40)])
    shipment = StringField(_l("Shipment (name or reference, empty: none)"),
                           validators=[Optional(), Length(max=60)])


def _page(form: UnitForm, status: int = 200):
    session = db()
    kind = request.args.get("kind") or None
    kind = kind if kind in REGISTERED_KINDS else None
    q = (request.args.get("q") or "").strip()[:40]
    retired = request.args.get("retired") == "1"
    stmt = list_units(session, kind=kind, q=q or None, retired=retired)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    page = page_arg()
    rows = session.scalars(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template("dispatch/units.html", form=form, rows=rows, kind=kind, q=q,
                           retired=retired, kinds=REGISTERED_KINDS, kind_choices=KIND_CHOICES,
                           placeholders=PLACEHOLDERS, total=total, page=page,
                           pages=max(1, -(-total // PAGE_SIZE)), can_edit=is_editor()), status


@bp.get("/units")
def units():
    return _page(UnitForm(formdata=None))


@bp.post("/units")
@only(*EDITORS)
def unit_new():
    form = UnitForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    session = db()
    try:
        unit, = register_units(session, [UnitInput(form.kind.data, form.identifier.data,
                                                   form.shipment.data or None)])
    except DomainError as exc:
        session.rollback()
        form_error(form, exc)
        return _page(form, exc.status)
    session.commit()
    flash(_("%(kind)s %(identifier)s registered.", kind=UNIT_TITLES[unit.kind],
            identifier=unit.identifier), "ok")
    return redirect(url_for("dispatch.units", kind=unit.kind))


@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@only(*EDITORS)
def unit_edit(unit_id: int):
    session = db()
    unit = get_unit(session, unit_id)
    form = UnitEditForm()
    if request.method == "GET":
        form.identifier.data = unit.identifier
        form.shipment.data = unit.shipment.name if unit.shipment else ""
    status = 200
    if form.validate_on_submit():
        try:
            update_unit(session, unit_id, identifier=form.identifier.data,
                        shipment=form.shipment.data or "")
        except DomainError as exc:
            session.rollback()
            form_error(form, exc)
            status = exc.status
        else:
            session.commit()
            flash(_("%(kind)s %(identifier)s saved.", kind=UNIT_TITLES[unit.kind],
                    identifier=unit.identifier), "ok")
            return redirect(url_for("dispatch.units", kind=unit.kind))
    elif form.is_submitted():
        status = 422
    unit = session.get(TransportUnit, unit_id)
    return render_template("dispatch/unit_form.html", form=form, unit=unit), status


@bp.post("/units/<int:unit_id>/retire")
@only(*EDITORS)
def unit_retire(unit_id: int):
    session = db()
    unit = get_unit(session, unit_id)
    identifier, kind = unit.identifier, unit.kind
    try:
        retire_units(session, [unit_id])
    except DomainError as exc:
        session.rollback()
        flash(translate_error(exc), "error")
    else:
        session.commit()
        flash(_("%(kind)s %(identifier)s retired.", kind=UNIT_TITLES[kind],
                identifier=identifier), "ok")
    return redirect(url_for("dispatch.units", kind=kind))
