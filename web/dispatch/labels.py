"""Labels printed from where the work is: IATA cargo labels from a shipment's air leg (one
per piece), the placard of a container, the label of a mail bag. The page fills in what the
records already say (air waybill, airports, train, destination, the wagon a container is on);
the dispatcher adds what only the yard knows (seal, pieces) and the ``labels`` package draws
one PDF."""
from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from sqlalchemy import select

from wms.core.errors import N_, DomainError, ValidationError
from wms.logistics.models import TransportUnit
from wms.logistics.registry import get_unit
from wms.logistics.shipment_edits import get_leg
from wms.logistics.shipments import get_shipment

from ..api.labels import label_response
from ..db import db
from .access import EDITORS, bp, only
from .network import form_error

PIECE_KINDS = ("parcel", "pallet", "bag", "uld")


class AirLabelForm(FlaskForm):
    airline = StringField(_l("Airline"), validators=[DataRequired(), Length(max=60)])
    pieces = IntegerField(_l("Number of pieces"), validators=[DataRequired(),
                                                               NumberRange(1, 999)])
    weight_kg = IntegerField(_l("Total weight (kg, optional)"),
                             validators=[Optional(), NumberRange(1, 999999)])


class PlacardForm(FlaskForm):
    train_number = StringField(_l("Train number"), validators=[DataRequired(), Length(max=20)])
    destination = StringField(_l("Destination"), validators=[DataRequired(), Length(max=60)])
    seal = StringField(_l("Seal number"), validators=[DataRequired(), Length(max=30)])
    origin = StringField(_l("Origin"), validators=[Optional(), Length(max=60)])
    wagon = StringField(_l("Wagon number"), validators=[Optional(), Length(max=20)])
    departure = DateField(_l("Departure date"), validators=[Optional()])


class BagLabelForm(FlaskForm):
    origin_name = StringField(_l("Origin office of exchange"),
                              validators=[Optional(), Length(max=40)])
    destination_name = StringField(_l("Destination office of exchange"),
                                   validators=[Optional(), Length(max=40)])
    carriage = StringField(_l("Flight or train"), validators=[Optional(), Length(max=20)])


def _render(kind: str, records: list, filename: str, form: FlaskForm, template: str,
            **context):
    try:
        return label_response(kind, records, "pdf", None, filename)
    except DomainError as exc:
        form_error(form, exc)
        return render_template(template, form=form, **context), exc.status


@bp.route("/shipments/<int:shipment_id>/legs/<int:seq>/air-labels", methods=["GET", "POST"])
@only(*EDITORS)
def air_labels(shipment_id: int, seq: int):
    """One IATA cargo label per piece of the leg's air waybill."""
    session = db()
    shipment = get_shipment(session, shipment_id)
    leg = get_leg(shipment, seq)
    context = dict(s=shipment, leg=leg)
    if leg.mode != "air":
        raise ValidationError(N_("Leg %(seq)s is not an air leg"), field="leg", seq=seq)
    form = AirLabelForm()
    if not form.is_submitted():
        form.airline.data = leg.carrier_name or ""
        form.pieces.data = len([u for u in _units(session, shipment.id)
                                if u.kind in PIECE_KINDS and u.parent_id is None]) or 1
    if not form.validate_on_submit():
        return render_template("dispatch/air_labels.html", form=form, **context), \
            422 if form.is_submitted() else 200
    if not leg.transport_doc:
        form_error(form, ValidationError(N_("The leg has no air waybill: edit the leg first"),
                                         field="awb"))
        return render_template("dispatch/air_labels.html", form=form, **context), 422
    total = form.pieces.data
    weight = form.weight_kg.data
    records = [{"airline": form.airline.data, "awb": leg.transport_doc,
                "origin": leg.from_node.iata or "", "destination": leg.to_node.iata or "",
                "piece": piece, "total_pieces": total, "hawb": leg.house_doc or "",
                "weight_kg": round(weight / total, 1) if weight else None}
               for piece in range(1, total + 1)]
    return _render("air_cargo", records, f"awb-{leg.transport_doc}", form,
                   "dispatch/air_labels.html", **context)


def _units(session, shipment_id: int):
    return session.scalars(select(TransportUnit).where(
        TransportUnit.shipment_id == shipment_id)).all()


def _placard_defaults(form: PlacardForm, unit) -> None:
    shipment = unit.shipment
    legs = shipment.legs if shipment else []
    rail = next((leg for leg in legs if leg.mode == "rail"), None)
    carrier = unit.parent
    while carrier is not None and carrier.kind not in ("train", "wagon"):
        carrier = carrier.parent
    if rail is not None:
        form.train_number.data = rail.service_ref or ""
        form.origin.data = rail.from_node.name
        form.departure.data = rail.planned_departure.date() if rail.planned_departure else None
    if legs:
        form.destination.data = legs[-1].to_node.name
    if carrier is not None and carrier.kind == "wagon":
        form.wagon.data = carrier.identifier
    elif carrier is not None and not form.train_number.data:
        form.train_number.data = carrier.identifier.split("/")[0]


@bp.route("/units/<int:unit_id>/label", methods=["GET", "POST"])
@only(*EDITORS)
def unit_label(unit_id: int):
    """A container's placard or a mail bag's label."""
    session = db()
    unit = get_unit(session, unit_id)
    if unit.kind not in ("container", "bag"):
        raise ValidationError(N_("Only containers and mail bags have a label here"),
                              field="kind")
    if unit.kind == "container":
        form = PlacardForm()
        if not form.is_submitted():
            _placard_defaults(form, unit)
        if not form.validate_on_submit():
            return render_template("dispatch/unit_label.html", form=form, unit=unit), \
                422 if form.is_submitted() else 200
        record = {"container": unit.identifier, "train_number": form.train_number.data,
                  "destination": form.destination.data, "seal": form.seal.data,
                  "origin": form.origin.data or "", "wagon": form.wagon.data or "",
                  "departure": form.departure.data}
        return _render("placard", [record], f"placard-{unit.identifier}", form,
                       "dispatch/unit_label.html", unit=unit)
    form = BagLabelForm()
    if not form.is_submitted() and unit.shipment:
        legs = unit.shipment.legs
        if legs:
            form.origin_name.data = legs[0].from_node.name
            form.destination_name.data = legs[-1].to_node.name
            form.carriage.data = legs[0].service_ref or ""
    if not form.validate_on_submit():
        return render_template("dispatch/unit_label.html", form=form, unit=unit), \
            422 if form.is_submitted() else 200
    record = {"receptacle_id": unit.identifier, "origin_name": form.origin_name.data or "",
              "destination_name": form.destination_name.data or "",
              "carriage": form.carriage.data or ""}
    return _render("receptacle", [record], f"bag-{unit.identifier}", form,
                   "dispatch/unit_label.html", unit=unit)
