"""Desk pages for stock: quants, the ledger, locations, products, packages.

Lists are built to stay fast on 100,000 quants: the filters are conditions on the quant
table alone (joined tables are reached through ``IN (subquery)``), so counting and totals
never join; a page first picks its 50 quant ids in the requested order, then loads the
details and the reservations of those 50 only. CSV exports stream from a server-side
cursor in chunks, so a full export never sits in memory.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Iterator

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import aliased
from wtforms import BooleanField, DecimalField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from wms.accounts.models import User
from wms.catalog import services as catalog
from wms.catalog.models import Lot, Product
from wms.core.context import current_actor
from wms.core.errors import N_, DomainError, ValidationError
from wms.core.scoping import scope_to_owner, visible_owner
from wms.inventory import places
from wms.inventory.models import (CUSTOMS_STATUSES, LOCATION_USAGES, STOCKED_USAGES, Location,
                                  Package, Quant, StockDocument, StockMove, Warehouse)
from wms.inventory.services import package_tree
from wms.partners.models import Enterprise

from .auth import blueprint_roles, roles_required
from .db import close_session, db
from .errors import translate_error

bp = Blueprint("stock", __name__, url_prefix="/stock")
PAGE_SIZE = 50
CSV_CHUNK = 2000
STAFF = ("supervisor", "customs_clerk", "operator", "dispatcher", "returns_clerk")
READERS = (*STAFF, "owner_viewer")          # admin passes every role check
LOCATION_EDITORS = ("supervisor",)
PRODUCT_EDITORS = ("supervisor", "customs_clerk")
blueprint_roles(bp, *READERS)

CUSTOMS_TITLES = {
    "arrived": _l("Arrived (not declared)"),
    "bonded": _l("Bonded"),
    "held": _l("Held by customs"),
    "released": _l("Released"),
    "export": _l("Export supervision"),
}
USAGE_TITLES = {
    "view": _l("View (groups locations)"),
    "internal": _l("Internal (stock)"),
    "supplier": _l("Supplier"),
    "customer": _l("Customer"),
    "inventory": _l("Inventory loss"),
    "transit": _l("Transit"),
    "customs": _l("Customs hold"),
    "scrap": _l("Scrap"),
}
PACKAGE_TITLES = {"pallet": _l("Pallet"), "carton": _l("Carton"), "bag": _l("Bag")}
SORTS = {
    "location": _l("Location"),
    "product": _l("Product"),
    "quantity": _l("Quantity, largest first"),
    "in_date": _l("Oldest first (in date)"),
}


# ---------------------------------------------------------------- small helpers

def num(value: Decimal | int | None) -> str:
    """A quantity without trailing zeros: 240, 0.5, 12.125."""
    if value is None:
        return ""
    return format(Decimal(value).normalize(), "f")


def int_arg(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    return int(value) if value.isdigit() else None


def page_arg() -> int:
    return max(1, request.args.get("page", 1, type=int))


def pages_for(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def wants_csv() -> bool:
    return request.args.get("format") == "csv"


def csv_response(filename: str, header: list[str], stmt: Select, to_row) -> Response:
    """UTF-8 with a BOM (so Excel reads Chinese right), streamed in chunks.

    The statement is built (and owner-scoped) before streaming starts; the rows are read
    through a session of the stream's own, from a server-side cursor ``CSV_CHUNK`` rows at
    a time, so neither the request's session nor its context must outlive the view.
    """
    close_session()
    sessions = current_app.extensions["wms.sessionmaker"]
    stmt = stmt.execution_options(yield_per=CSV_CHUNK)

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")
        writer.writerow(header)
        session = sessions()
        try:
            for i, row in enumerate(session.execute(stmt), 1):
                writer.writerow(to_row(row))
                if i % 500 == 0:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue()
        finally:
            session.close()
    response = Response(generate(), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def form_error(form: FlaskForm, exc: DomainError, aliases: dict[str, str] | None = None) -> None:
    """Show a domain error next to the field it blames, or on top of the form."""
    name = (aliases or {}).get(exc.field, exc.field) if exc.field else None
    field = getattr(form, name, None) if name else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, translate_error(exc)]
    else:
        flash(translate_error(exc), "error")


def visible_owners() -> list[Enterprise]:
    rows = db().scalars(scope_to_owner(select(Enterprise).order_by(Enterprise.customs_code),
                                       Enterprise.id)).all()
    return [e for e in rows if "owner" in e.roles]


def subtree(location: Location):
    """Ids of a location and every location under it, as a subquery."""
    return select(Location.id).where(or_(Location.id == location.id,
                                         Location.full_path.startswith(location.full_path + "/")))


# ---------------------------------------------------------------- stock: the query

@dataclass
class StockFilter:
    q: str | None = None
    product_id: int | None = None
    location: Location | None = None
    owner_id: int | None = None
    lot: str | None = None
    customs_status: str | None = None
    warehouse_id: int | None = None

    def conditions(self) -> list:
        """Conditions on ``quant`` only: counting and totals never need a join."""
        if self.warehouse_id is None and self.location is None:
            # the few virtual locations out, rather than hundreds of bins in: a plain scan
            where = Quant.location_id.not_in(select(Location.id).where(
                Location.usage.not_in(STOCKED_USAGES)))
        else:
            locations = select(Location.id).where(Location.usage.in_(STOCKED_USAGES))
            if self.warehouse_id is not None:
                locations = locations.where(Location.warehouse_id == self.warehouse_id)
            if self.location is not None:
                prefix = self.location.full_path + "/"
                locations = locations.where(or_(Location.id == self.location.id,
                                                Location.full_path.startswith(prefix)))
            where = Quant.location_id.in_(locations)
        conds = [Quant.quantity != 0, where]
        if self.product_id is not None:
            conds.append(Quant.product_id == self.product_id)
        if self.q:
            text = self.q.strip()
            like = f"%{text}%"
            conds.append(Quant.product_id.in_(select(Product.id).where(
                Product.sku.ilike(like) | Product.name_zh.ilike(like)
                | Product.name_en.ilike(like) | Product.gtin.in_({text, text.zfill(14)}))))
        if self.owner_id is not None:
            conds.append(Quant.owner_id == self.owner_id)
        if self.lot:
            conds.append(Quant.lot_id.in_(select(Lot.id).where(Lot.name == self.lot.strip())))
        if self.customs_status:
            conds.append(Quant.customs_status == self.customs_status)
        owners = current_actor().owner_ids
        if owners is not None:
            conds.append(Quant.owner_id.in_(owners) if owners else Quant.id.is_(None))
        return conds

    def args(self) -> dict:
        return {k: v for k, v in dict(
            q=self.q, product=self.product_id,
            location=self.location.id if self.location else None, owner=self.owner_id,
            lot=self.lot, customs_status=self.customs_status,
            warehouse=self.warehouse_id).items() if v not in (None, "")}


def stock_filter_from(args, *, location_by_barcode: bool = False) -> StockFilter:
    """Read the filters from query arguments; an unknown value is a 400, not a silent
    "show everything"."""
    status = args.get("customs_status") or None
    if status and status not in CUSTOMS_STATUSES:
        abort(400)
    location = None
    raw_location = (args.get("location") or "").strip()
    if raw_location:
        if raw_location.isdigit():
            location = db().get(Location, int(raw_location))
        if location is None and location_by_barcode:
            location = places.find_location_by_barcode(db(), raw_location)
        if location is None:
            abort(404)
    product_id = args.get("product", "").strip()
    return StockFilter(q=(args.get("q") or "").strip()[:100] or None,
                       product_id=int(product_id) if product_id.isdigit() else None,
                       location=location,
                       owner_id=int(args["owner"]) if args.get("owner", "").isdigit() else None,
                       lot=(args.get("lot") or "").strip()[:40] or None,
                       customs_status=status,
                       warehouse_id=int(args["warehouse"])
                       if args.get("warehouse", "").isdigit() else None)


def stock_order(sort: str) -> list:
    if sort == "product":
        return [Product.sku, Location.full_path, Quant.id]
    if sort == "quantity":
        return [Quant.quantity.desc(), Quant.id]
    if sort == "in_date":
        return [Quant.in_date, Quant.id]
    if sort == "id":
        return [Quant.id]
    return [Location.full_path, Product.sku, Quant.id]


def stock_ids(conds: list, sort: str) -> Select:
    """The quant ids in page order; joins only what the sort needs."""
    stmt = select(Quant.id).where(*conds)
    if sort in ("location", "product"):
        stmt = stmt.join(Location, Location.id == Quant.location_id) \
            .join(Product, Product.id == Quant.product_id)
    return stmt.order_by(*stock_order(sort))


def reserved_by_key(keys: list[str]) -> dict[str, Decimal]:
    if not keys:
        return {}
    return {k: Decimal(q) for k, q in db().execute(
        select(StockMove.source_key, func.sum(StockMove.quantity))
        .where(StockMove.state == "reserved", StockMove.source_key.in_(keys))
        .group_by(StockMove.source_key))}


STOCK_COLUMNS = (Quant.id, Quant.quant_key, Quant.product_id, Product.sku, Product.name_zh,
                 Product.name_en, Quant.location_id, Location.full_path, Location.barcode,
                 Lot.name.label("lot_name"), Lot.expiry_date, Quant.package_id, Package.sscc,
                 Quant.owner_id, Enterprise.customs_code, Enterprise.name.label("owner_name"),
                 Quant.customs_status, Quant.quantity, Quant.in_date)


def _with_details(stmt: Select) -> Select:
    return (stmt.join(Product, Product.id == Quant.product_id)
            .join(Location, Location.id == Quant.location_id)
            .join(Enterprise, Enterprise.id == Quant.owner_id)
            .outerjoin(Lot, Lot.id == Quant.lot_id)
            .outerjoin(Package, Package.id == Quant.package_id))


def _stock_row(r, reserved: Decimal) -> dict:
    quantity = Decimal(r.quantity)
    return dict(id=r.id, quant_key=r.quant_key, product_id=r.product_id, sku=r.sku,
                name=r.name_zh, name_en=r.name_en, location_id=r.location_id,
                location=r.full_path, location_barcode=r.barcode, lot=r.lot_name,
                expiry=r.expiry_date, package_id=r.package_id, sscc=r.sscc,
                owner_id=r.owner_id, owner=r.customs_code, owner_name=r.owner_name,
                customs_status=r.customs_status, quantity=quantity, reserved=reserved,
                available=quantity - reserved, in_date=r.in_date)


def stock_rows(ids: list[int]) -> list[dict]:
    """Details of these quants in the given order, with their reservations: 2 queries."""
    if not ids:
        return []
    found = {r.id: r for r in db().execute(
        _with_details(select(*STOCK_COLUMNS)).where(Quant.id.in_(ids)))}
    reserved = reserved_by_key([r.quant_key for r in found.values()])
    return [_stock_row(found[i], reserved.get(found[i].quant_key, Decimal(0)))
            for i in ids if i in found]


def stock_totals(conds: list) -> dict:
    count, quantity = db().execute(select(func.count(Quant.id),
                                          func.coalesce(func.sum(Quant.quantity), 0))
                                   .where(*conds)).one()
    reserved = db().scalar(select(func.coalesce(func.sum(StockMove.quantity), 0))
                           .join(Quant, Quant.quant_key == StockMove.source_key)
                           .where(StockMove.state == "reserved", *conds))
    quantity, reserved = Decimal(quantity), Decimal(reserved)
    return dict(count=count, quantity=quantity, reserved=reserved,
                available=quantity - reserved)


def stock_export(conds: list, sort: str) -> Select:
    """Every filtered quant in order; the reservations are joined from their (small)
    per-key aggregate. Rows go through ``stock_export_row``."""
    reserved = (select(StockMove.source_key.label("key"),
                       func.sum(StockMove.quantity).label("reserved_qty"))
                .where(StockMove.state == "reserved").group_by(StockMove.source_key)
                .subquery())
    return (_with_details(select(*STOCK_COLUMNS, reserved.c.reserved_qty))
            .outerjoin(reserved, reserved.c.key == Quant.quant_key)
            .where(*conds).order_by(*stock_order(sort)))


def stock_export_row(r) -> dict:
    return _stock_row(r, Decimal(r.reserved_qty or 0))


def stock_csv_header() -> list[str]:
    return [_("SKU"), _("Product"), _("Location"), _("Lot"), _("Expiry"), _("SSCC"),
            _("Owner"), _("Customs status"), _("Quantity"), _("Reserved"), _("Available")]


def stock_csv_row(r: dict) -> list:
    return [r["sku"], r["name"], r["location"], r["lot"] or "",
            r["expiry"].isoformat() if r["expiry"] else "", r["sscc"] or "", r["owner"],
            r["customs_status"], num(r["quantity"]), num(r["reserved"]), num(r["available"])]


@bp.get("/")
def stock():
    flt = stock_filter_from(request.args)
    sort = request.args.get("sort") or "location"
    if sort not in SORTS:
        abort(400)
    conds = flt.conditions()
    if wants_csv():
        return csv_response(f"stock-{date.today().isoformat()}.csv", stock_csv_header(),
                            stock_export(conds, sort),
                            lambda r: stock_csv_row(stock_export_row(r)))
    page = page_arg()
    totals = stock_totals(conds)
    ids = db().scalars(stock_ids(conds, sort).limit(PAGE_SIZE)
                       .offset((page - 1) * PAGE_SIZE)).all()
    warehouses = db().scalars(select(Warehouse).order_by(Warehouse.code)).all()
    product = db().get(Product, flt.product_id) if flt.product_id else None
    if product is not None and not visible_owner(product.owner_id):
        product = None
    return render_template(
        "stock/stock.html", rows=stock_rows(list(ids)), totals=totals, page=page,
        pages=pages_for(totals["count"]), total=totals["count"], flt=flt, sort=sort,
        sorts=SORTS, owners=visible_owners(), warehouses=warehouses, product=product,
        statuses=CUSTOMS_TITLES, num=num,
        csv_url=url_for("stock.stock", format="csv", sort=sort, **flt.args()))


# ---------------------------------------------------------------- the ledger

@dataclass
class LedgerScope:
    product: Product | None = None
    location: Location | None = None

    def conditions(self) -> list:
        conds = [StockMove.state == "done"]
        if self.product is not None:
            conds.append(StockMove.product_id == self.product.id)
        if self.location is not None:
            ids = subtree(self.location)
            conds.append(or_(StockMove.from_location_id.in_(ids),
                             StockMove.to_location_id.in_(ids)))
        owners = current_actor().owner_ids
        if owners is not None:
            conds.append(StockMove.owner_id.in_(owners) if owners else StockMove.id.is_(None))
        return conds


def ledger_scope_from(args) -> LedgerScope:
    scope = LedgerScope()
    product_id = (args.get("product") or "").strip()
    if product_id:
        if not product_id.isdigit():
            abort(404)
        scope.product = catalog.get_product(db(), int(product_id))  # 404 for other owners
    location = (args.get("location") or "").strip()
    if location:
        found = db().get(Location, int(location)) if location.isdigit() else None
        if found is None:
            found = places.find_location_by_barcode(db(), location)
        if found is None:
            abort(404)
        scope.location = found
    return scope


FromLoc = aliased(Location, name="from_loc")
ToLoc = aliased(Location, name="to_loc")
ToPackage = aliased(Package, name="to_package")
LEDGER_COLUMNS = (StockMove.id, StockMove.done_at, StockDocument.name.label("document"),
                  StockMove.document_id, StockMove.product_id, Product.sku,
                  Product.name_zh, FromLoc.id.label("from_id"),
                  FromLoc.full_path.label("from_path"), FromLoc.usage.label("from_usage"),
                  ToLoc.id.label("to_id"), ToLoc.full_path.label("to_path"),
                  ToLoc.usage.label("to_usage"), Lot.name.label("lot"),
                  Package.sscc.label("sscc"), ToPackage.sscc.label("to_sscc"),
                  Enterprise.customs_code.label("owner"), StockMove.customs_status,
                  StockMove.to_customs_status, StockMove.quantity, StockMove.reason,
                  User.login.label("user"))


def _ledger_details(stmt: Select) -> Select:
    return (stmt.join(Product, Product.id == StockMove.product_id)
            .join(FromLoc, FromLoc.id == StockMove.from_location_id)
            .join(ToLoc, ToLoc.id == StockMove.to_location_id)
            .join(Enterprise, Enterprise.id == StockMove.owner_id)
            .outerjoin(StockDocument, StockDocument.id == StockMove.document_id)
            .outerjoin(Lot, Lot.id == StockMove.lot_id)
            .outerjoin(Package, Package.id == StockMove.package_id)
            .outerjoin(ToPackage, ToPackage.id == StockMove.to_package_id)
            .outerjoin(User, User.id == StockMove.created_by_id))


def ledger_row(r, inside) -> dict:
    """A ledger line with quantity in/out seen from the scope: the location's subtree, or
    for a product the stocked (internal and customs) locations."""
    came_in, went_out = inside(r.to_id, r.to_usage), inside(r.from_id, r.from_usage)
    qty = Decimal(r.quantity)
    return dict(id=r.id, done_at=r.done_at, document=r.document, document_id=r.document_id,
                product_id=r.product_id, sku=r.sku, name=r.name_zh, from_id=r.from_id,
                from_path=r.from_path, to_id=r.to_id, to_path=r.to_path, lot=r.lot,
                sscc=r.sscc, to_sscc=r.to_sscc, owner=r.owner,
                customs_status=r.customs_status, to_customs_status=r.to_customs_status,
                quantity=qty, qty_in=qty if came_in else None,
                qty_out=qty if went_out else None, reason=r.reason, user=r.user)


def ledger_inside(scope: LedgerScope):
    if scope.location is not None:
        ids = set(db().scalars(subtree(scope.location)))
        return lambda loc_id, usage: loc_id in ids
    return lambda loc_id, usage: usage in STOCKED_USAGES


def ledger_page(scope: LedgerScope, page: int, size: int = PAGE_SIZE):
    conds = scope.conditions()
    total = db().scalar(select(func.count(StockMove.id)).where(*conds))
    ids = list(db().scalars(select(StockMove.id).where(*conds)
                            .order_by(StockMove.done_at.desc(), StockMove.id.desc())
                            .limit(size).offset((page - 1) * size)))
    inside = ledger_inside(scope)
    found = {r.id: r for r in db().execute(
        _ledger_details(select(*LEDGER_COLUMNS)).where(StockMove.id.in_(ids)))} if ids else {}
    return [ledger_row(found[i], inside) for i in ids if i in found], total


def ledger_export(scope: LedgerScope) -> Select:
    return (_ledger_details(select(*LEDGER_COLUMNS)).where(*scope.conditions())
            .order_by(StockMove.done_at.desc(), StockMove.id.desc()))


@bp.get("/ledger")
def ledger():
    scope = ledger_scope_from(request.args)
    if wants_csv():
        header = [_("Date"), _("Document"), _("SKU"), _("From"), _("To"), _("Lot"),
                  _("SSCC"), _("Owner"), _("Customs status"), _("In"), _("Out"),
                  _("Reason"), _("User")]

        inside = ledger_inside(scope)

        def to_row(row):
            r = ledger_row(row, inside)
            status = r["customs_status"] if r["customs_status"] == r["to_customs_status"] \
                else f"{r['customs_status']} -> {r['to_customs_status']}"
            return [r["done_at"].isoformat() if r["done_at"] else "", r["document"] or "",
                    r["sku"], r["from_path"], r["to_path"], r["lot"] or "",
                    r["to_sscc"] or r["sscc"] or "", r["owner"], status,
                    num(r["qty_in"]), num(r["qty_out"]), r["reason"] or "", r["user"] or ""]
        return csv_response(f"ledger-{date.today().isoformat()}.csv", header,
                            ledger_export(scope), to_row)
    page = page_arg()
    rows, total = ledger_page(scope, page)
    args = {k: v for k, v in (("product", scope.product.id if scope.product else None),
                              ("location", scope.location.id if scope.location else None))
            if v is not None}
    return render_template("stock/ledger.html", rows=rows, total=total, page=page,
                           pages=pages_for(total), scope=scope, num=num,
                           statuses=CUSTOMS_TITLES,
                           csv_url=url_for("stock.ledger", format="csv", **args))


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


def location_quantities(locations: list[Location]) -> dict[int, Decimal]:
    """On-hand per location on this page (a view: its whole subtree), owner-scoped."""
    ids = [loc.id for loc in locations if loc.usage != "view"]
    result: dict[int, Decimal] = {}
    if ids:
        result = {i: Decimal(q) for i, q in db().execute(scope_to_owner(
            select(Quant.location_id, func.sum(Quant.quantity))
            .where(Quant.location_id.in_(ids)).group_by(Quant.location_id), Quant.owner_id))}
    for loc in locations:
        if loc.usage == "view":
            result[loc.id] = Decimal(db().scalar(scope_to_owner(
                select(func.coalesce(func.sum(Quant.quantity), 0))
                .where(Quant.location_id.in_(subtree(loc))), Quant.owner_id)))
    return result


def can_print() -> bool:
    """Staff print labels; an enterprise's viewer only looks."""
    return current_user.has_role("supervisor", "operator", "customs_clerk", "returns_clerk",
                                 "dispatcher")


@bp.get("/locations")
def locations():
    warehouses = db().scalars(select(Warehouse).order_by(Warehouse.id)).all()
    chosen = request.args.get("warehouse") or (str(warehouses[0].id) if warehouses else "virtual")
    archived = request.args.get("archived") == "1"
    stmt = select(Location).order_by(Location.full_path)
    if chosen == "virtual":
        stmt = stmt.where(Location.warehouse_id.is_(None))
    elif chosen.isdigit():
        stmt = stmt.where(Location.warehouse_id == int(chosen))
    else:
        abort(400)
    q = (request.args.get("q") or "").strip()[:60]
    if q:
        stmt = stmt.where(Location.full_path.ilike(f"%{q}%") | (Location.barcode == q))
    if not archived:
        stmt = stmt.where(Location.active)
    page = page_arg()
    total = db().scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db().scalars(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template("stock/locations.html", can_print=can_print(), rows=rows, total=total, page=page,
                           pages=pages_for(total), warehouses=warehouses, chosen=chosen,
                           archived=archived, q=q, quantities=location_quantities(list(rows)),
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
    if request.method == "GET" and request.args.get("parent", "").isdigit():
        form.parent.data = int(request.args["parent"])
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
    """Archive an empty location. NOTE: a service (``places.archive_location``) should own
    this write; until it exists the rule lives here."""
    location = db().get(Location, location_id)
    if location is None:
        abort(404)
    back = url_for("stock.locations", warehouse=location.warehouse_id or "virtual")
    on_hand = db().scalar(select(func.count(Quant.id)).where(
        Quant.location_id.in_(subtree(location)), Quant.quantity != 0))
    children = db().scalar(select(func.count(Location.id)).where(
        Location.parent_id == location.id, Location.active))
    if on_hand or children:
        flash(_("%(path)s is not empty: move its stock and archive its children first.",
                path=location.full_path), "error")
        return redirect(back)
    location.active = False
    db().commit()
    flash(_("Location %(path)s archived.", path=location.full_path), "ok")
    return redirect(back)


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
    on_hand = {}
    if rows:
        on_hand = {p: Decimal(q) for p, q in db().execute(scope_to_owner(
            select(Quant.product_id, func.sum(Quant.quantity))
            .where(Quant.product_id.in_([r.id for r in rows]),
                   Quant.location_id.in_(select(Location.id).where(
                       Location.usage.in_(STOCKED_USAGES))))
            .group_by(Quant.product_id), Quant.owner_id))}
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
    rows = db().execute(scope_to_owner(
        select(Location.id, Location.full_path, Lot.name, Lot.expiry_date,
               Quant.customs_status, func.sum(Quant.quantity).label("quantity"))
        .join(Location, Location.id == Quant.location_id)
        .outerjoin(Lot, Lot.id == Quant.lot_id)
        .where(Quant.product_id == product.id, Quant.quantity != 0,
               Location.usage.in_(STOCKED_USAGES))
        .group_by(Location.id, Location.full_path, Lot.name, Lot.expiry_date,
                  Quant.customs_status)
        .order_by(Location.full_path, Lot.expiry_date, Lot.name), Quant.owner_id)
        .limit(500)).all()
    total = sum((Decimal(r.quantity) for r in rows), Decimal(0))
    return render_template("stock/product.html", can_print=can_print(), product=product, rows=rows, total=total,
                           num=num, statuses=CUSTOMS_TITLES)


# ---------------------------------------------------------------- packages

def package_scope(stmt: Select) -> Select:
    """Owner users see packages of their own, and packages holding their goods."""
    owners = current_actor().owner_ids
    if owners is None:
        return stmt
    if not owners:
        return stmt.where(Package.id.is_(None))
    return stmt.where(or_(Package.owner_id.in_(owners), Package.id.in_(
        select(Quant.package_id).where(Quant.owner_id.in_(owners),
                                       Quant.package_id.is_not(None)))))


Parent = aliased(Package, name="parent_package")


@bp.get("/packages")
def packages():
    q = (request.args.get("q") or "").strip()[:20]
    stmt = package_scope(select(Package).order_by(Package.sscc))
    if q:
        stmt = stmt.where(Package.sscc.startswith(q[4:] if q.startswith("(00)") else q))
    page = page_arg()
    total = db().scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db().execute(
        stmt.add_columns(Location.full_path, Parent.sscc.label("parent_sscc"))
        .outerjoin(Location, Location.id == Package.location_id)
        .outerjoin(Parent, Parent.id == Package.parent_id)
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    ids = [r[0].id for r in rows]
    contents, children = {}, {}
    if ids:
        contents = {pid: (n, Decimal(qty)) for pid, n, qty in db().execute(scope_to_owner(
            select(Quant.package_id, func.count(func.distinct(Quant.product_id)),
                   func.sum(Quant.quantity))
            .where(Quant.package_id.in_(ids), Quant.quantity > 0)
            .group_by(Quant.package_id), Quant.owner_id))}
        children = dict(db().execute(select(Package.parent_id, func.count(Package.id))
                                     .where(Package.parent_id.in_(ids))
                                     .group_by(Package.parent_id)).all())
    return render_template("stock/packages.html", can_print=can_print(), rows=rows, total=total, page=page,
                           pages=pages_for(total), q=q, contents=contents,
                           children=children, kinds=PACKAGE_TITLES, num=num)


@bp.get("/packages/<int:package_id>")
def package(package_id: int):
    package = db().get(Package, package_id)
    if package is None:
        abort(404)
    tree = package_tree(db(), package)
    owners = current_actor().owner_ids
    if owners is not None:
        held = set(db().scalars(select(Quant.owner_id).where(Quant.package_id.in_(tree))))
        if package.owner_id:
            held.add(package.owner_id)
        if not held & set(owners):
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
    contents: dict[int, list] = {}
    for r in db().execute(scope_to_owner(
            select(Quant.package_id, Product.id, Product.sku, Product.name_zh, Lot.name,
                   Lot.expiry_date, Quant.customs_status, Quant.quantity, Location.full_path,
                   Enterprise.customs_code)
            .join(Product, Product.id == Quant.product_id)
            .join(Location, Location.id == Quant.location_id)
            .join(Enterprise, Enterprise.id == Quant.owner_id)
            .outerjoin(Lot, Lot.id == Quant.lot_id)
            .where(Quant.package_id.in_(tree), Quant.quantity > 0)
            .order_by(Product.sku, Lot.name), Quant.owner_id)):
        contents.setdefault(r.package_id, []).append(r)
    return render_template("stock/package.html", can_print=can_print(), package=package, nested=nested,
                           contents=contents, kinds=PACKAGE_TITLES, num=num,
                           statuses=CUSTOMS_TITLES)


