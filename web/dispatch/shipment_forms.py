"""Shipments made and edited at the desk: a new shipment with its legs (rail, air, mail,
road, sea), its reference and note, a planned leg edited, a leg added or the last removed,
a draft booked or a shipment cancelled. Each form calls one door in ``wms.logistics``
(``shipments``, ``shipment_edits``) and shows the door's error beside the field it names,
``legs[1].from_node`` beside the second leg's origin."""
from __future__ import annotations

import re

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (BooleanField, DateTimeLocalField, FieldList, Form, FormField, SelectField,
                     StringField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from wms.core.errors import DomainError
from wms.core.parsing import ascii_id
from wms.inventory.models import Warehouse
from wms.logistics.models import CARRIAGE_MODES, MODES
from wms.logistics.network import list_nodes
from wms.logistics.shipment_edits import (LegEdit, append_leg, get_leg, remove_last_leg, update_leg,
                                          update_shipment)
from wms.logistics.shipments import (LegInput, book_shipment, cancel_shipment,
                                     create_shipment, get_shipment)
from wms.partners.models import Enterprise

from ..db import db
from ..errors import translate_error
from .access import EDITORS, bp, only
from .format import MODE_TITLES, local_zone

LEG_ROWS = 4
FIELD_PATH = re.compile(r"^legs\[(\d+)\]\.(\w+)$")


def _zoned(value):
    """A datetime-local value read in the warehouse's zone (what the dispatcher's clock
    says)."""
    return value.replace(tzinfo=local_zone()) if value is not None else None


class LegForm(Form):
    mode = SelectField(_l("Mode"), validate_choice=False)
    from_node = SelectField(_l("From"), validate_choice=False)
    to_node = SelectField(_l("To"), validate_choice=False)
    carriage_mode = SelectField(_l("Carried by (mail only)"), validate_choice=False)
    carrier_name = StringField(_l("Carrier"), validators=[Optional(), Length(max=120)])
    service_ref = StringField(_l("Train, flight or dispatch number"),
                              validators=[Optional(), Length(max=40)])
    transport_doc = StringField(_l("Consignment note or air waybill"),
                                validators=[Optional(), Length(max=40)])
    house_doc = StringField(_l("House waybill"), validators=[Optional(), Length(max=40)])
    planned_departure = DateTimeLocalField(_l("Planned departure"), validators=[Optional()])
    planned_arrival = DateTimeLocalField(_l("Planned arrival"), validators=[Optional()])

    def given(self) -> LegInput:
        return LegInput(mode=self.mode.data, from_node=self.from_node.data,
                        to_node=self.to_node.data, carrier_name=self.carrier_name.data or None,
                        service_ref=self.service_ref.data, transport_doc=self.transport_doc.data,
                        house_doc=self.house_doc.data,
                        planned_departure=_zoned(self.planned_departure.data),
                        planned_arrival=_zoned(self.planned_arrival.data),
                        carriage_mode=self.carriage_mode.data or None)


class ShipmentForm(FlaskForm):
    owner = SelectField(_l("Owner"), validate_choice=False)
    warehouse = SelectField(_l("Warehouse"), validate_choice=False)
    reference = StringField(_l("Your reference"), validators=[Optional(), Length(max=60)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    book = BooleanField(_l("Book now (name and estimates)"), default=True)
    legs = FieldList(FormField(LegForm), min_entries=LEG_ROWS, max_entries=12)


class ShipmentEditForm(FlaskForm):
    reference = StringField(_l("Your reference"), validators=[Optional(), Length(max=60)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class LegEditForm(FlaskForm):
    carrier_name = StringField(_l("Carrier"), validators=[Optional(), Length(max=120)])
    service_ref = StringField(_l("Train, flight or dispatch number"),
                              validators=[Optional(), Length(max=40)])
    transport_doc = StringField(_l("Consignment note or air waybill"),
                                validators=[Optional(), Length(max=40)])
    house_doc = StringField(_l("House waybill"), validators=[Optional(), Length(max=40)])
    planned_departure = DateTimeLocalField(_l("Planned departure"), validators=[Optional()])
    planned_arrival = DateTimeLocalField(_l("Planned arrival"), validators=[Optional()])


class NewLegForm(FlaskForm):
    leg = FormField(LegForm)


def _choices(leg: LegForm, nodes) -> None:
    none = SelectChoice("", "—")
    leg.mode.choices = [none] + [SelectChoice(m, MODE_TITLES[m]) for m in MODES]
    places = [none] + [SelectChoice(n.code, f"{n.code} · {n.name_zh or n.name}") for n in nodes]
    leg.from_node.choices = places
    leg.to_node.choices = places
    leg.carriage_mode.choices = [none] + [SelectChoice(m, MODE_TITLES[m])
                                          for m in CARRIAGE_MODES]


def show_error(form: FlaskForm, exc: DomainError) -> None:
    """The door's error beside its field: ``legs[i].name`` beside the i-th leg row's field,
    a bare name on the form (or, for a one-leg form, its leg)."""
    target = None
    match = FIELD_PATH.match(exc.field or "")
    if match and hasattr(form, "legs") and int(match[1]) < len(form.legs):
        target = getattr(form.legs[int(match[1])].form, match[2], None)
    elif exc.field:
        target = getattr(form, exc.field, None)
        if target is None and hasattr(form, "leg"):
            target = getattr(form.leg.form, exc.field, None)
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, translate_error(exc)]
    else:
        flash(translate_error(exc), "error")


def save_form(form: FlaskForm, door) -> int | None:
    """Validate, call the door, commit: None when saved, else the status to answer with
    (the door's error shown beside its field)."""
    if not form.validate_on_submit():
        return 422 if form.is_submitted() else 200
    session = db()
    try:
        door(session)
    except DomainError as exc:
        session.rollback()
        show_error(form, exc)
        return exc.status
    session.commit()
    return None


@bp.route("/shipments/new", methods=["GET", "POST"])
@only(*EDITORS)
def shipment_new():
    session = db()
    form = ShipmentForm()
    nodes = list_nodes(session)
    owners = session.scalars(select(Enterprise).where(Enterprise.active)
                             .order_by(Enterprise.customs_code)).all()
    warehouses = session.scalars(select(Warehouse).order_by(Warehouse.code)).all()
    form.owner.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(o.id), f"{o.customs_code} · {o.name}") for o in owners]
    form.warehouse.choices = [SelectChoice("", "—")] + [
        SelectChoice(w.code, f"{w.code} · {w.name}") for w in warehouses]
    for leg in form.legs:
        _choices(leg.form, nodes)
    status = 200
    if form.validate_on_submit():
        rows = [leg.form for leg in form.legs if leg.form.mode.data]
        try:
            shipment = create_shipment(
                session, owner_id=ascii_id(form.owner.data),
                warehouse_code=form.warehouse.data or None, reference=form.reference.data,
                note=form.note.data or None, legs=[row.given() for row in rows],
                book=bool(form.book.data), leg_fields="always")
        except DomainError as exc:
            session.rollback()
            if exc.field and (match := FIELD_PATH.match(exc.field)):
                # The door counts the filled rows; the form shows every row.
                real = [i for i, leg in enumerate(form.legs) if leg.form.mode.data]
                exc.field = f"legs[{real[int(match[1])]}].{match[2]}"
            show_error(form, exc)
            status = exc.status
        else:
            session.commit()
            flash(_("Shipment %(name)s created.", name=shipment.name or shipment.reference
                    or shipment.id), "ok")
            return redirect(url_for("dispatch.shipment", shipment_id=shipment.id))
    elif form.is_submitted():
        status = 422
    return render_template("dispatch/shipment_form.html", form=form), status


@bp.route("/shipments/<int:shipment_id>/edit", methods=["GET", "POST"])
@only(*EDITORS)
def shipment_edit(shipment_id: int):
    session = db()
    shipment = get_shipment(session, shipment_id)
    form = ShipmentEditForm(obj=shipment) if request.method == "GET" else ShipmentEditForm()
    status = save_form(form, lambda session: update_shipment(
        session, shipment, reference=form.reference.data or "", note=form.note.data or ""))
    if status is None:
        flash(_("Shipment saved."), "ok")
        return redirect(url_for("dispatch.shipment", shipment_id=shipment_id))
    return render_template("dispatch/shipment_edit.html", form=form, s=shipment), status


@bp.route("/shipments/<int:shipment_id>/legs/<int:seq>/edit", methods=["GET", "POST"])
@only(*EDITORS)
def leg_edit(shipment_id: int, seq: int):
    session = db()
    shipment = get_shipment(session, shipment_id)
    leg = get_leg(shipment, seq)
    form = LegEditForm()
    if request.method == "GET":
        form.process(obj=leg)
        zone = local_zone()
        for name in ("planned_departure", "planned_arrival"):
            value = getattr(leg, name)
            getattr(form, name).data = (value.astimezone(zone).replace(tzinfo=None)
                                        if value else None)
    status = save_form(form, lambda session: update_leg(session, shipment, seq, LegEdit(
        carrier_name=form.carrier_name.data or "", service_ref=form.service_ref.data or "",
        transport_doc=form.transport_doc.data or "", house_doc=form.house_doc.data or "",
        planned_departure=_zoned(form.planned_departure.data) or "",
        planned_arrival=_zoned(form.planned_arrival.data) or "")))
    if status is None:
        flash(_("Leg %(seq)s saved.", seq=seq), "ok")
        return redirect(url_for("dispatch.shipment", shipment_id=shipment_id))
    return render_template("dispatch/leg_form.html", form=form, s=shipment, leg=leg), status


@bp.route("/shipments/<int:shipment_id>/legs/new", methods=["GET", "POST"])
@only(*EDITORS)
def leg_new(shipment_id: int):
    session = db()
    shipment = get_shipment(session, shipment_id)
    form = NewLegForm()
    _choices(form.leg.form, list_nodes(session))
    if request.method == "GET" and shipment.legs:
        form.leg.form.from_node.data = shipment.legs[-1].to_node.code
    status = save_form(form, lambda session: append_leg(session, shipment, form.leg.form.given()))
    if status is None:
        flash(_("Leg added."), "ok")
        return redirect(url_for("dispatch.shipment", shipment_id=shipment_id))
    return render_template("dispatch/leg_form.html", form=form, s=shipment, leg=None), status


def _act(shipment_id: int, action, done: str):
    session = db()
    shipment = get_shipment(session, shipment_id)
    try:
        action(session, shipment)
    except DomainError as exc:
        session.rollback()
        flash(translate_error(exc), "error")
    else:
        session.commit()
        flash(done, "ok")
    return redirect(url_for("dispatch.shipment", shipment_id=shipment_id))


@bp.post("/shipments/<int:shipment_id>/legs/remove-last")
@only(*EDITORS)
def leg_remove(shipment_id: int):
    return _act(shipment_id, remove_last_leg, _("The last leg was removed."))


@bp.post("/shipments/<int:shipment_id>/book")
@only(*EDITORS)
def shipment_book(shipment_id: int):
    return _act(shipment_id, book_shipment, _("Shipment booked."))


@bp.post("/shipments/<int:shipment_id>/cancel")
@only(*EDITORS)
def shipment_cancel(shipment_id: int):
    reason = (request.form.get("reason") or "").strip()[:200] or None
    return _act(shipment_id, lambda session, s: cancel_shipment(session, s, reason),
                _("Shipment cancelled."))
