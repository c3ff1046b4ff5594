"""The transfer before an onward leg, planned at the desk: air to air (空空联运) or rail to air
at a hub, with its minimum connection time and an optional transit customs step. The form
calls ``wms.logistics.transfers.plan_transfer``, the door the API and ``wms transfer`` call;
blank times take the defaults for the two legs' modes."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, StringField
from wtforms.validators import Length, Optional

from wms.logistics.shipment_edits import get_leg
from wms.logistics.shipments import get_shipment
from wms.logistics.transfers import LegTransfer, plan_transfer

from ..db import db
from .access import EDITORS, bp, only
from .shipment_forms import save_form


class TransferForm(FlaskForm):
    min_connection_minutes = StringField(
        _l("Minimum connection time (minutes)"), validators=[Optional(), Length(max=6)],
        description=_l("Blank: the default for the two legs' modes"))
    transit_customs = BooleanField(_l("Transit customs at the hub"))
    customs_minutes = StringField(
        _l("Transit customs time (minutes)"), validators=[Optional(), Length(max=6)],
        description=_l("Blank: 240 minutes when there is transit customs"))


@bp.route("/shipments/<int:shipment_id>/legs/<int:seq>/transfer", methods=["GET", "POST"])
@only(*EDITORS)
def leg_transfer(shipment_id: int, seq: int):
    session = db()
    shipment = get_shipment(session, shipment_id)
    leg = get_leg(shipment, seq)
    form = TransferForm()
    planned = session.scalar(select(LegTransfer).where(LegTransfer.leg_id == leg.id))
    if request.method == "GET" and planned is not None:
        form.min_connection_minutes.data = str(planned.min_connection_minutes)
        form.transit_customs.data = planned.transit_customs
        form.customs_minutes.data = str(planned.customs_minutes) if planned.transit_customs \
            else ""
    status = save_form(form, lambda session: plan_transfer(
        session, shipment, seq, min_connection_minutes=form.min_connection_minutes.data,
        transit_customs=bool(form.transit_customs.data),
        customs_minutes=form.customs_minutes.data))
    if status is None:
        flash(_("Transfer before leg %(seq)s planned.", seq=seq), "ok")
        return redirect(url_for("dispatch.shipment", shipment_id=shipment_id))
    return render_template("dispatch/transfer_form.html", form=form, s=shipment, leg=leg,
                           planned=planned), status
