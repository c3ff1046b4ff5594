"""Desk pages for packing by hand and for putaway rules (on the ``stock`` blueprint): a new
pallet, carton or bag (its SSCC issued or taken from the label), a package nested into
another or taken out, and the rules that say where goods are put away. The doors are in
``wms.inventory.packages`` and ``wms.inventory.putaway_rules``."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from wms.catalog.models import Product
from wms.core.errors import DomainError
from wms.inventory.models import PACKAGE_KINDS, Package, Warehouse
from wms.inventory.packages import make_package, nest_by_sscc, unnest_package
from wms.inventory.putaway_rules import (RuleFields, create_rule, get_rule, list_rules,
                                         retire_rule, update_rule)
from wms.inventory import queries
from wms.partners.models import Enterprise

from ..auth import roles_required
from ..db import db
from ..errors import translate_error
from .stock import LOCATION_EDITORS, PACKAGE_TITLES, bp, form_error

PACKERS = ("supervisor", "operator")


def _warehouses() -> list[SelectChoice]:
    return [SelectChoice(w.code, f"{w.code} · {w.name}")
            for w in db().scalars(select(Warehouse).order_by(Warehouse.code))]


# ---------------------------------------------------------------- packages

class PackageForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, PACKAGE_TITLES[k])
                                            for k in PACKAGE_KINDS])
    warehouse = SelectField(_l("Warehouse"), validate_choice=False,
                            validators=[DataRequired()])
    location = StringField(_l("Location barcode (optional)"),
                           validators=[Optional(), Length(max=40)])
    sscc = StringField(_l("SSCC from the label (empty: issue one)"),
                       validators=[Optional(), Length(max=22)])
    owner = StringField(_l("Owner's customs code (optional)"),
                        validators=[Optional(), Length(max=10)])
    parent = StringField(_l("Into package (SSCC, optional)"),
                         validators=[Optional(), Length(max=22)])


class NestForm(FlaskForm):
    parent = StringField(_l("Into package (SSCC)"), validators=[DataRequired(),
                                                                 Length(max=22)])


@bp.route("/packages/new", methods=["GET", "POST"])
@roles_required(*PACKERS)
def package_new():
    form = PackageForm()
    form.warehouse.choices = _warehouses()
    status = 200
    if form.validate_on_submit():
        session = db()
        try:
            package = make_package(session, warehouse=form.warehouse.data, kind=form.kind.data,
                                   location=form.location.data or None,
                                   sscc=form.sscc.data or None, owner=form.owner.data or None,
                                   parent=form.parent.data or None)
        except DomainError as exc:
            session.rollback()
            form_error(form, exc)
            status = exc.status
        else:
            session.commit()
            flash(_("%(kind)s %(sscc)s created.", kind=PACKAGE_TITLES[package.kind],
                    sscc=package.sscc), "ok")
            return redirect(url_for("stock.package", package_id=package.id))
    elif form.is_submitted():
        status = 422
    return render_template("stock/package_form.html", form=form), status


def _visible(package_id: int) -> Package:
    package = db().get(Package, package_id)
    if package is None or not queries.package_visible(db(), package, [package.id]):
        abort(404)
    return package


@bp.post("/packages/<int:package_id>/nest")
@roles_required(*PACKERS)
def package_nest(package_id: int):
    session = db()
    package = _visible(package_id)
    form = NestForm()
    if not form.validate_on_submit():
        flash(_("Scan or type the SSCC of the package it goes into."), "error")
        return redirect(url_for("stock.package", package_id=package_id))
    try:
        nest_by_sscc(session, package.sscc, form.parent.data)
    except DomainError as exc:
        session.rollback()
        flash(translate_error(exc), "error")
    else:
        session.commit()
        flash(_("%(sscc)s packed into %(parent)s.", sscc=package.sscc,
                parent=package.parent.sscc), "ok")
    return redirect(url_for("stock.package", package_id=package_id))


@bp.post("/packages/<int:package_id>/unnest")
@roles_required(*PACKERS)
def package_unnest(package_id: int):
    session = db()
    package = _visible(package_id)
    try:
        parent = unnest_package(session, package)
    except DomainError as exc:
        session.rollback()
        flash(translate_error(exc), "error")
    else:
        session.commit()
        flash(_("%(sscc)s taken out of %(parent)s.", sscc=package.sscc, parent=parent.sscc),
              "ok")
    return redirect(url_for("stock.package", package_id=package_id))


# ---------------------------------------------------------------- putaway rules

class RuleForm(FlaskForm):
    warehouse = SelectField(_l("Warehouse"), validate_choice=False,
                            validators=[DataRequired()])
    location = StringField(_l("Put away under (location barcode or path)"),
                           validators=[DataRequired(), Length(max=400)])
    product = StringField(_l("Product (SKU)"), validators=[Optional(), Length(max=40)])
    category = StringField(_l("…or category"), validators=[Optional(), Length(max=60)])
    owner = StringField(_l("…or owner (customs code)"), validators=[Optional(), Length(max=10)])
    sequence = StringField(_l("Sequence (lower first)"), default="10",
                           validators=[Optional(), Length(max=5)])

    def fields(self) -> RuleFields:
        return RuleFields(warehouse=self.warehouse.data, location=self.location.data or "",
                          product=self.product.data, category=self.category.data,
                          owner=self.owner.data, sequence=self.sequence.data or "10")


@bp.get("/putaway-rules")
@roles_required(*LOCATION_EDITORS, "operator")
def putaway_rules():
    session = db()
    rules = list_rules(session)
    warehouses = {w.id: w for w in session.scalars(select(Warehouse))}
    skus = dict(session.execute(select(Product.id, Product.sku).where(
        Product.id.in_({r.product_id for r in rules if r.product_id}))).all())
    owners = dict(session.execute(select(Enterprise.id, Enterprise.customs_code).where(
        Enterprise.id.in_({r.owner_id for r in rules if r.owner_id}))).all())
    return render_template("stock/putaway_rules.html", rules=rules, warehouses=warehouses,
                           skus=skus, owners=owners, can_edit=_can_edit())


def _can_edit() -> bool:
    return current_user.has_role(*LOCATION_EDITORS)


def _rule_page(form: RuleForm, rule, status: int):
    return render_template("stock/putaway_rule_form.html", form=form, rule=rule), status


@bp.route("/putaway-rules/new", methods=["GET", "POST"])
@roles_required(*LOCATION_EDITORS)
def putaway_rule_new():
    form = RuleForm()
    form.warehouse.choices = _warehouses()
    if form.validate_on_submit():
        session = db()
        try:
            create_rule(session, form.fields())
        except DomainError as exc:
            session.rollback()
            form_error(form, exc)
            return _rule_page(form, None, exc.status)
        session.commit()
        flash(_("Putaway rule added."), "ok")
        return redirect(url_for("stock.putaway_rules"))
    return _rule_page(form, None, 422 if form.is_submitted() else 200)


@bp.route("/putaway-rules/<int:rule_id>/edit", methods=["GET", "POST"])
@roles_required(*LOCATION_EDITORS)
def putaway_rule_edit(rule_id: int):
    session = db()
    try:
        rule = get_rule(session, rule_id)
    except DomainError:
        abort(404)
    form = RuleForm()
    form.warehouse.choices = _warehouses()
    if request.method == "GET":
        form.warehouse.data = session.get(Warehouse, rule.warehouse_id).code
        form.location.data = rule.location.full_path
        form.category.data = rule.category or ""
        form.sequence.data = str(rule.sequence)
        if rule.product_id:
            form.product.data = session.get(Product, rule.product_id).sku
        if rule.owner_id:
            form.owner.data = session.get(Enterprise, rule.owner_id).customs_code
    if form.validate_on_submit():
        try:
            update_rule(session, rule_id, form.fields())
        except DomainError as exc:
            session.rollback()
            form_error(form, exc)
            return _rule_page(form, rule, exc.status)
        session.commit()
        flash(_("Putaway rule saved."), "ok")
        return redirect(url_for("stock.putaway_rules"))
    return _rule_page(form, rule, 422 if form.is_submitted() else 200)


@bp.post("/putaway-rules/<int:rule_id>/retire")
@roles_required(*LOCATION_EDITORS)
def putaway_rule_retire(rule_id: int):
    session = db()
    try:
        retire_rule(session, rule_id)
    except DomainError:
        abort(404)
    session.commit()
    flash(_("Putaway rule retired."), "ok")
    return redirect(url_for("stock.putaway_rules"))
