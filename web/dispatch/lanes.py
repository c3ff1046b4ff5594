"""Lanes made, edited and retired at the desk, and route nodes retired (the node form is in
``network``). The doors are in ``wms.logistics.lanes``."""
from __future__ import annotations

import re

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from wms.core.errors import DomainError
from wms.logistics.lanes import (LaneFields, create_lane, get_lane, retire_lanes,
                                 retire_nodes, update_lane)
from wms.logistics.models import CARRIAGE_MODES, MODES, RouteNode

from ..db import db
from ..errors import translate_error
from .access import EDITORS, bp, only
from .format import MODE_TITLES
from .network import form_error

STOP_SEPARATORS = re.compile(r"[\s,;>→]+")


class LaneForm(FlaskForm):
    code = StringField(_l("Code"), validators=[Optional(), Length(max=30)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    mode = SelectField(_l("Mode"), choices=[SelectChoice(m, MODE_TITLES[m]) for m in MODES])
    carriage_mode = SelectField(_l("Carried by (mail only)"), validate_choice=False, choices=[
        SelectChoice("", "—")] + [
        SelectChoice(m, MODE_TITLES[m]) for m in CARRIAGE_MODES])
    stops = TextAreaField(_l("Stops (node codes in order, one per line)"),
                          validators=[DataRequired(), Length(max=2000)])
    active = BooleanField(_l("Active"), default=True)

    def fields(self) -> LaneFields:
        return LaneFields(name=self.name.data or "", mode=self.mode.data,
                          carriage_mode=self.carriage_mode.data or None,
                          stops=[s for s in STOP_SEPARATORS.split(self.stops.data or "") if s],
                          active=bool(self.active.data))


def _form_page(form: LaneForm, lane, status: int):
    nodes = db().query(RouteNode).filter(RouteNode.active.is_(True)).order_by(RouteNode.code)
    return render_template("dispatch/lane_form.html", form=form, lane=lane,
                           nodes=nodes.all()), status


@bp.route("/network/lanes/new", methods=["GET", "POST"])
@only(*EDITORS)
def lane_new():
    form = LaneForm()
    if form.validate_on_submit():
        session = db()
        try:
            lane = create_lane(session, form.code.data or "", form.fields())
        except DomainError as exc:
            session.rollback()
            form_error(form, exc)
            return _form_page(form, None, exc.status)
        session.commit()
        flash(_("Lane %(code)s added.", code=lane.code), "ok")
        return redirect(url_for("dispatch.lanes") + f"#lane-{lane.code}")
    return _form_page(form, None, 422 if form.is_submitted() else 200)


@bp.route("/network/lanes/<int:lane_id>/edit", methods=["GET", "POST"])
@only(*EDITORS)
def lane_edit(lane_id: int):
    session = db()
    lane = get_lane(session, lane_id)
    form = LaneForm()
    if request.method == "GET":
        form.process(obj=lane)
        form.carriage_mode.data = lane.carriage_mode or ""
        form.stops.data = "\n".join(s.node.code for s in lane.stops)
    if form.validate_on_submit():
        try:
            update_lane(session, lane_id, form.fields())
        except DomainError as exc:
            session.rollback()
            form_error(form, exc)
            return _form_page(form, lane, exc.status)
        session.commit()
        flash(_("Lane %(code)s saved.", code=lane.code), "ok")
        return redirect(url_for("dispatch.lanes") + f"#lane-{lane.code}")
    return _form_page(form, lane, 422 if form.is_submitted() else 200)


@bp.post("/network/lanes/<int:lane_id>/retire")
@only(*EDITORS)
def lane_retire(lane_id: int):
    session = db()
    lane = get_lane(session, lane_id)
    code = lane.code
    retire_lanes(session, [lane_id])
    session.commit()
    flash(_("Lane %(code)s retired.", code=code), "ok")
    return redirect(url_for("dispatch.lanes"))


@bp.post("/network/nodes/<int:node_id>/retire")
@only(*EDITORS)
def node_retire(node_id: int):
    session = db()
    try:
        retire_nodes(session, [node_id])
    except DomainError as exc:
        session.rollback()
        if exc.status == 404:
            raise
        flash(translate_error(exc), "error")
    else:
        session.commit()
        flash(_("Node retired."), "ok")
    return redirect(url_for("dispatch.nodes"))
