"""The route network at the desk: nodes (list, add, edit) and lanes with their figures."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from wms.core.errors import DomainError
from wms.logistics.eta import DEFAULT_CONFIG
from wms.logistics.models import NODE_KINDS, RouteNode
from wms.logistics.network import (NodeFields, create_node, lane_figures, list_nodes,
                                   update_node)

from ..db import db
from ..errors import translate_error
from .access import EDITORS, bp, is_editor, only
from .format import NODE_KIND_TITLES


class NodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[Optional(), Length(max=20)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    name_zh = StringField(_l("Name in Chinese"), validators=[Optional(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, NODE_KIND_TITLES[k])
                                            for k in NODE_KINDS])
    country = StringField(_l("Country (2 letters)"), validators=[DataRequired(),
                                                                 Length(max=2)])
    unlocode = StringField(_l("UN/LOCODE"), validators=[Optional(), Length(max=5)])
    iata = StringField(_l("IATA airport code"), validators=[Optional(), Length(max=3)])
    latitude = StringField(_l("Latitude"), validators=[DataRequired(), Length(max=20)])
    longitude = StringField(_l("Longitude"), validators=[DataRequired(), Length(max=20)])
    border = BooleanField(_l("Border station"))
    gauge_change = BooleanField(_l("Gauge change"))
    dwell_hours = StringField(_l("Dwell at this node (hours)"), default="0",
                              validators=[Optional(), Length(max=10)])
    active = BooleanField(_l("Active"), default=True)

    def fields(self) -> NodeFields:
        return NodeFields(name=self.name.data or "", kind=self.kind.data,
                          country=self.country.data or "", latitude=self.latitude.data,
                          longitude=self.longitude.data, unlocode=self.unlocode.data,
                          iata=self.iata.data, border=bool(self.border.data),
                          gauge_change=bool(self.gauge_change.data),
                          dwell_hours=self.dwell_hours.data or "0",
                          name_zh=self.name_zh.data, active=bool(self.active.data))


def form_error(form: FlaskForm, exc: DomainError) -> None:
    """Show a domain error beside the field it names, or as a flash."""
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, translate_error(exc)]
    else:
        flash(translate_error(exc), "error")


@bp.get("/network/nodes")
def nodes():
    kind = request.args.get("kind") or None
    rows = list_nodes(db(), kind if kind in NODE_KINDS else None, inactive=True)
    return render_template("dispatch/nodes.html", rows=rows, kind=kind, kinds=NODE_KINDS,
                           can_edit=is_editor())


@bp.route("/network/nodes/new", methods=["GET", "POST"])
@only(*EDITORS)
def node_new():
    form = NodeForm()
    if form.validate_on_submit():
        session = db()
        given = form.fields()
        try:
            node = create_node(session, code=form.code.data or "", **vars(given))
        except DomainError as exc:
            session.rollback()
            form_error(form, exc)
            return render_template("dispatch/node_form.html", form=form, node=None), exc.status
        session.commit()
        flash(_("Node %(code)s added.", code=node.code), "ok")
        return redirect(url_for("dispatch.nodes"))
    status = 422 if form.is_submitted() else 200
    return render_template("dispatch/node_form.html", form=form, node=None), status


@bp.route("/network/nodes/<int:node_id>/edit", methods=["GET", "POST"])
@only(*EDITORS)
def node_edit(node_id: int):
    session = db()
    node = session.get(RouteNode, node_id)
    if node is None:
        abort(404)
    form = NodeForm(obj=node) if request.method == "GET" else NodeForm()
    if request.method == "GET":
        form.latitude.data = str(node.latitude)
        form.longitude.data = str(node.longitude)
        form.dwell_hours.data = f"{node.dwell_hours:g}"
    if form.validate_on_submit():
        try:
            update_node(session, node_id, form.fields())
        except DomainError as exc:
            session.rollback()
            form_error(form, exc)
            return render_template("dispatch/node_form.html", form=form, node=node), exc.status
        session.commit()
        flash(_("Node %(code)s saved.", code=node.code), "ok")
        return redirect(url_for("dispatch.nodes"))
    status = 422 if form.is_submitted() else 200
    return render_template("dispatch/node_form.html", form=form, node=node), status


@bp.get("/network/lanes")
def lanes():
    return render_template("dispatch/lanes.html", rows=lane_figures(db()),
                           config=DEFAULT_CONFIG, can_edit=is_editor())
