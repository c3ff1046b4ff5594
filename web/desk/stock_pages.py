"""Desk pages for locations and packages (on the ``stock`` blueprint; products: products.py).

Reads come from ``wms.inventory.queries`` (owner-scoped there); writes go through one door
each (``places.create_location``, ``places.archive_location``).
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from wtforms import DecimalField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from wms.core.errors import N_, DomainError, ValidationError
from wms.inventory import places, queries
from wms.inventory.resolve import ascii_id
from wms.inventory.models import LOCATION_USAGES, Location, Package, Warehouse
from wms.inventory.services import package_tree

from ..auth import roles_required
from ..db import db
from ..errors import translate_error
from .stock import (CUSTOMS_TITLES, LOCATION_EDITORS, PACKAGE_TITLES, PAGE_SIZE,
                    USAGE_TITLES, bp, form_error, int_arg, num, page_arg,
                    pages_for)

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
