"""Desk pages for locations, products and packages (on the ``stock`` blueprint).

Reads come from ``wms.inventory.queries`` (owner-scoped there); writes go through one door
each (``places.create_location``, ``places.archive_location``, ``catalog.register_product``).
"""
from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from wtforms import BooleanField, DecimalField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from wms.catalog import services as catalog
from wms.core.errors import N_, DomainError, ValidationError
from wms.inventory import places, queries
from wms.inventory.resolve import ascii_id
from wms.inventory.models import LOCATION_USAGES, Location, Package, Warehouse
from wms.inventory.services import package_tree

from ..auth import roles_required
from ..db import db
from ..errors import translate_error
from .stock import (CUSTOMS_TITLES, LOCATION_EDITORS, PACKAGE_TITLES, PAGE_SIZE,
                    PRODUCT_EDITORS, USAGE_TITLES, bp, form_error, int_arg, num, page_arg,
                    pages_for, visible_owners)

# ---------------------------------------------------------------- locations

class LocationForm(FlaskForm):
    parent = SelectField(_l("Parent (a view location)"), coerce=int, validate_choice=False,
                         validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=60)])
    usage = SelectField(_l("Usage"), default="internal",
                        choices=[SelectChoice(u, USAGE_TITLES[u]) for u in LOCATION_USAGES])
    barcode = StringField(_l("Barcode (empty: made from the path)"),
                          validators=[Optional(), Length(max=40)])
    capacity = DecimalField(_l("Capacity"), validators=[Optional()])


def can_print() -> bool:
    """Staff print labels; an enterprise's viewer only looks."""
    return current_user.has_role("supervisor", "operator", "customs_clerk", "returns_clerk",
                                 "dispatcher")


@bp.get("/locations")
def locations():
    warehouses = db().scalars(select(Warehouse).order_by(Warehouse.id)).all()
    chosen = request.args.get("warehouse") or (str(warehouses[0].id) if warehouses else "virtual")
    archived = request.args.get("archived") == "1"
    if chosen != queries.VIRTUAL and ascii_id(chosen) is None:
        abort(400)
    q = (request.args.get("q") or "").strip()[:60]
    stmt = queries.locations_query(
        warehouse_id=chosen if chosen == queries.VIRTUAL else ascii_id(chosen),
        search=q or None, archived=archived)
    page = page_arg()
    total = db().scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db().scalars(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template("stock/locations.html", can_print=can_print(), rows=rows,
                           total=total, page=page, pages=pages_for(total),
                           warehouses=warehouses, chosen=chosen, archived=archived, q=q,
                           quantities=queries.location_quantities(db(), list(rows)),
                           usage_titles=USAGE_TITLES, num=num,
                           can_edit=current_user.has_role(*LOCATION_EDITORS))


def parent_choices() -> list[tuple[int, str]]:
    views = db().scalars(select(Location).where(Location.usage == "view", Location.active)
                         .order_by(Location.full_path)).all()
    return [SelectChoice(loc.id, loc.full_path) for loc in views]


@bp.route("/locations/new", methods=["GET", "POST"])
@roles_required(*LOCATION_EDITORS)
def location_new():
    form = LocationForm()
    form.parent.choices = parent_choices()
    if request.method == "GET" and int_arg("parent"):
        form.parent.data = int_arg("parent")
    if form.validate_on_submit():
        parent = db().get(Location, form.parent.data)
        try:
            if parent is None:
                raise ValidationError(N_("Choose a view location as parent"),
                                      field="parent")
            location = places.create_location(
                db(), parent.warehouse, parent, form.name.data, form.usage.data,
                barcode=form.barcode.data or None, capacity=form.capacity.data)
        except DomainError as exc:
            db().rollback()
            form_error(form, exc, {"warehouse": "parent"})
            return render_template("stock/location_form.html", form=form), \
                exc.status if exc.status >= 400 else 422
        db().commit()
        flash(_("Location %(path)s created.", path=location.full_path), "ok")
        return redirect(url_for("stock.locations", warehouse=location.warehouse_id or "virtual"))
    status = 422 if form.is_submitted() else 200
    return render_template("stock/location_form.html", form=form), status


@bp.post("/locations/<int:location_id>/archive")
@roles_required(*LOCATION_EDITORS)
def location_archive(location_id: int):
    """Archive an empty location."""
    try:
        location = places.archive_location(db(), location_id)
    except DomainError as exc:
        db().rollback()
        if exc.status == 404:
            abort(404)
        location = db().get(Location, location_id)
        flash(translate_error(exc), "error")
        return redirect(url_for("stock.locations", warehouse=location.warehouse_id or "virtual"))
    db().commit()
    flash(_("Location %(path)s archived.", path=location.full_path), "ok")
    return redirect(url_for("stock.locations", warehouse=location.warehouse_id or "virtual"))


# ---------------------------------------------------------------- products

class ProductForm(FlaskForm):
    owner = SelectField(_l("Owner"), validators=[DataRequired()])
    sku = StringField(_l("SKU"), validators=[DataRequired(), Length(max=40)])
    gtin = StringField(_l("GTIN (barcode)"), validators=[Optional(), Length(max=14)])
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=200)])
    category = StringField(_l("Category"), validators=[Optional(), Length(max=60)])
    hs_code = StringField(_l("HS code (10 digits)"), validators=[DataRequired(),
                                                                 Length(max=10)])
    gname = StringField(_l("Customs name"), validators=[DataRequired(), Length(max=250)])
    gmodel = StringField(_l("Customs model and specification"),
                         validators=[DataRequired(), Length(max=250)])
    customs_unit = StringField(_l("Declared unit (customs code)"),
                               validators=[DataRequired(), Length(max=3)])
    legal_unit1 = StringField(_l("First legal unit (customs code)"),
                              validators=[DataRequired(), Length(max=3)])
    legal_factor1 = StringField(_l("Legal quantity per declared unit"), default="1",
                                validators=[DataRequired(), Length(max=20)])
    legal_unit2 = StringField(_l("Second legal unit"), validators=[Optional(), Length(max=3)])
    legal_factor2 = StringField(_l("Second legal quantity per declared unit"),
                                validators=[Optional(), Length(max=20)])
    origin_country = StringField(_l("Country of origin (customs code)"),
                                 validators=[DataRequired(), Length(max=3)])
    declared_price = StringField(_l("Declared unit price"), default="0",
                                 validators=[Optional(), Length(max=20)])
    net_weight_kg = StringField(_l("Net weight, kg"), default="0",
                                validators=[Optional(), Length(max=20)])
    gross_weight_kg = StringField(_l("Gross weight, kg"), default="0",
                                  validators=[Optional(), Length(max=20)])
    track_lot = BooleanField(_l("Tracked by lot"))
    track_expiry = BooleanField(_l("Tracked by expiry date"))
    item_record_no = StringField(_l("Product registration number"),
                                 validators=[Optional(), Length(max=30)])


@bp.get("/products")
def products():
    owner_id = int_arg("owner")
    q = (request.args.get("q") or "").strip()[:100]
    stmt = catalog.products_query(owner_id, q or None)
    page = page_arg()
    total = db().scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db().scalars(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    on_hand = queries.products_on_hand(db(), [r.id for r in rows])
    return render_template("stock/products.html", can_print=can_print(), rows=rows, total=total, page=page,
                           pages=pages_for(total), q=q, owner_id=owner_id,
                           owners=visible_owners(), on_hand=on_hand, num=num,
                           can_edit=current_user.has_role(*PRODUCT_EDITORS))


@bp.route("/products/new", methods=["GET", "POST"])
@roles_required(*PRODUCT_EDITORS)
def product_new():
    form = ProductForm()
    form.owner.choices = [SelectChoice(e.customs_code, f"{e.customs_code} {e.name}")
                          for e in visible_owners()]
    if form.validate_on_submit():
        data = {name: (field.data.strip() if isinstance(field.data, str) else field.data)
                for name, field in form._fields.items()
                if name not in ("csrf_token", "owner")}
        for name in ("gtin", "name_en", "category", "legal_unit2", "legal_factor2",
                     "item_record_no"):
            data[name] = data[name] or None
        for name in ("declared_price", "net_weight_kg", "gross_weight_kg"):
            data[name] = data[name] or 0
        try:
            product = catalog.register_product(db(), owner_code=form.owner.data, **data)
        except DomainError as exc:
            db().rollback()
            form_error(form, exc)
            return render_template("stock/product_form.html", form=form), \
                exc.status if exc.status >= 400 else 422
        db().commit()
        flash(_("Product %(sku)s registered.", sku=product.sku), "ok")
        return redirect(url_for("stock.product", product_id=product.id))
    status = 422 if form.is_submitted() else 200
    return render_template("stock/product_form.html", form=form), status


@bp.get("/products/<int:product_id>")
def product(product_id: int):
    product = catalog.get_product(db(), product_id)  # NotFound (404) for other owners
    rows = queries.product_stock(db(), product)
    total = sum((Decimal(r.quantity) for r in rows), Decimal(0))
    return render_template("stock/product.html", can_print=can_print(), product=product, rows=rows, total=total,
                           num=num, statuses=CUSTOMS_TITLES)


# ---------------------------------------------------------------- packages

Parent = aliased(Package, name="parent_package")


@bp.get("/packages")
def packages():
    q = (request.args.get("q") or "").strip()[:20]
    stmt = queries.visible_packages(select(Package).order_by(Package.sscc))
    if q:
        stmt = stmt.where(Package.sscc.startswith(q[4:] if q.startswith("(00)") else q))
    page = page_arg()
    total = db().scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db().execute(
        stmt.add_columns(Location.full_path, Parent.sscc.label("parent_sscc"))
        .outerjoin(Location, Location.id == Package.location_id)
        .outerjoin(Parent, Parent.id == Package.parent_id)
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    contents, children = queries.package_summaries(db(), [r[0].id for r in rows])
    return render_template("stock/packages.html", can_print=can_print(), rows=rows, total=total, page=page,
                           pages=pages_for(total), q=q, contents=contents,
                           children=children, kinds=PACKAGE_TITLES, num=num)


@bp.get("/packages/<int:package_id>")
def package(package_id: int):
    package = db().get(Package, package_id)
    if package is None:
        abort(404)
    tree = package_tree(db(), package)
    if not queries.package_visible(db(), package, tree):
        abort(404)
    members = {p.id: p for p in db().scalars(select(Package).where(Package.id.in_(tree)))}
    kids: dict[int | None, list[Package]] = {}
    for p in sorted(members.values(), key=lambda p: p.sscc):
        kids.setdefault(p.parent_id, []).append(p)
    nested: list[tuple[int, Package]] = []

    def walk(p: Package, depth: int) -> None:
        nested.append((depth, p))
        for child in kids.get(p.id, []):
            walk(child, depth + 1)
    walk(package, 0)
    contents = queries.package_contents(db(), tree)
    return render_template("stock/package.html", can_print=can_print(), package=package, nested=nested,
                           contents=contents, kinds=PACKAGE_TITLES, num=num,
                           statuses=CUSTOMS_TITLES)


from . import stock_packing  # noqa: E402,F401  (new packages, nesting, putaway rules)
