"""Desk pages for stock: quants with availability and the ledger (locations, products and
packages are in ``web.stock_pages``, on the same blueprint).

The reads are ``wms.inventory.queries``, the same the API answers from. CSV exports stream
from a server-side cursor in chunks, so a full export never sits in memory.
"""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Iterator

from flask import Blueprint, Response, abort, current_app, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import Select, select

from wms.catalog import services as catalog
from wms.core.errors import DomainError, NotFound
from wms.inventory import places, queries
from wms.inventory.resolve import ascii_id
from wms.inventory.models import CUSTOMS_STATUSES, Location, Warehouse

from ..paging import page_arg
from ..csv_export import safe_writer
from ..auth import blueprint_roles
from ..db import close_session, db
from ..errors import translate_error

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


def int_arg(name: str, args=None) -> int | None:
    """An id from the query string in ASCII digits; anything else is no filter."""
    return ascii_id((args or request.args).get(name, ""))


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
        writer = safe_writer(buffer)
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


def visible_owners() -> list:
    return queries.goods_owners(db())


# ---------------------------------------------------------------- stock: the query

def stock_filter_from(args, *, location_by_barcode: bool = False) -> queries.StockFilter:
    """Read the filters from query arguments; an unknown value is a 400, not a silent
    "show everything"."""
    status = args.get("customs_status") or None
    if status and status not in CUSTOMS_STATUSES:
        abort(400)
    location = None
    raw_location = (args.get("location") or "").strip()
    if raw_location:
        if ascii_id(raw_location) is not None:
            location = db().get(Location, ascii_id(raw_location))
        if location is None and location_by_barcode:
            location = places.find_location_by_barcode(db(), raw_location)
        if location is None:
            abort(404)
    return queries.StockFilter(q=(args.get("q") or "").strip()[:100] or None,
                               product_id=int_arg("product", args), location=location,
                               owner_id=int_arg("owner", args),
                               lot=(args.get("lot") or "").strip()[:40] or None,
                               customs_status=status, warehouse_id=int_arg("warehouse", args))


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
    if wants_csv():
        return csv_response(f"stock-{date.today().isoformat()}.csv", stock_csv_header(),
                            queries.stock_export(flt, sort),
                            lambda r: stock_csv_row(queries.stock_export_row(r)))
    page = page_arg()
    totals = queries.stock_totals(db(), flt,
                                  cap=max(queries.COUNT_CAP, (page - 1) * PAGE_SIZE + 1))
    ids = db().scalars(queries.stock_ids(flt, sort).limit(PAGE_SIZE)
                       .offset((page - 1) * PAGE_SIZE)).all()
    warehouses = db().scalars(select(Warehouse).order_by(Warehouse.code)).all()
    product = None
    if flt.product_id:
        try:
            product = catalog.get_product(db(), flt.product_id)
        except NotFound:  # another owner's product filters to nothing, it is not named
            product = None
    return render_template(
        "stock/stock.html", rows=queries.stock_rows(db(), list(ids)), totals=totals, page=page,
        pages=pages_for(totals["count"]) + (1 if totals["more"] else 0),
        total=totals["count"], more=totals["more"], flt=flt, sort=sort,
        sorts=SORTS, owners=visible_owners(), warehouses=warehouses, product=product,
        statuses=CUSTOMS_TITLES, num=num,
        csv_url=url_for("stock.stock", format="csv", sort=sort, **flt.args()))


# ---------------------------------------------------------------- the ledger

def ledger_scope_from(args) -> queries.LedgerScope:
    scope = queries.LedgerScope()
    product_id = (args.get("product") or "").strip()
    if product_id:
        if ascii_id(product_id) is None:
            abort(404)
        scope.product = catalog.get_product(db(), ascii_id(product_id))  # 404: other owners
    location = (args.get("location") or "").strip()
    if location:
        found = db().get(Location, ascii_id(location)) if ascii_id(location) is not None \
            else None
        if found is None:
            found = places.find_location_by_barcode(db(), location)
        if found is None:
            abort(404)
        scope.location = found
    return scope


@bp.get("/ledger")
def ledger():
    scope = ledger_scope_from(request.args)
    if wants_csv():
        header = [_("Date"), _("Document"), _("SKU"), _("From"), _("To"), _("Lot"),
                  _("SSCC"), _("Owner"), _("Customs status"), _("In"), _("Out"),
                  _("Reason"), _("User")]

        inside = queries.ledger_inside(db(), scope)

        def to_row(row):
            r = queries.ledger_row(row, inside)
            status = r["customs_status"] if r["customs_status"] == r["to_customs_status"] \
                else f"{r['customs_status']} -> {r['to_customs_status']}"
            return [r["done_at"].isoformat() if r["done_at"] else "", r["document"] or "",
                    r["sku"], r["from_path"], r["to_path"], r["lot"] or "",
                    r["to_sscc"] or r["sscc"] or "", r["owner"], status,
                    num(r["qty_in"]), num(r["qty_out"]), r["reason"] or "", r["user"] or ""]
        return csv_response(f"ledger-{date.today().isoformat()}.csv", header,
                            queries.ledger_export(scope), to_row)
    page = page_arg()
    rows, total = queries.ledger_page(db(), scope, page, PAGE_SIZE)
    args = {k: v for k, v in (("product", scope.product.id if scope.product else None),
                              ("location", scope.location.id if scope.location else None))
            if v is not None}
    return render_template("stock/ledger.html", rows=rows, total=total, page=page,
                           pages=pages_for(total), scope=scope, num=num,
                           statuses=CUSTOMS_TITLES,
                           csv_url=url_for("stock.ledger", format="csv", **args))


from . import stock_pages  # noqa: E402,F401  (registers locations and packages on ``bp``)
from . import products  # noqa: E402,F401  (registers the product pages on ``bp``)
from . import order_tax  # noqa: E402,F401  (the order page's tax calculation, a template global)
