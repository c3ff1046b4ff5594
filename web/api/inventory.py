"""Stock over the API: scan anything, stock, moves, counts, locations (products: products.py).

Reads are owner-scoped like the desk pages (both answer from ``wms.inventory.queries``);
writes go through ``web.idempotency.write``, so an ``Idempotency-Key`` header (or an
``idempotency_key`` body field) makes a retried request change stock once and get the
same answer every time.
"""
from __future__ import annotations

from decimal import Decimal

from flask import current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.catalog import services as catalog
from wms.core.errors import N_, NotFound, ValidationError
from wms.core.scoping import visible_owner
from wms.inventory import counts as counting
from wms.inventory import places, queries
from wms.inventory.models import (CUSTOMS_STATUSES, LOCATION_USAGES, Location, StockDocument,
                                  Warehouse)
from wms.inventory.scan import explain
from wms.inventory.resolve import ascii_id
from wms.inventory.services import format_quantity
from wms.inventory.transfers import PostedLine, transfer_lines
from wms.partners.models import Enterprise

from ..db import db
from ..errors import translate_problems
from ..idempotency import write
from .core import operation, page_of, paging
from .schema import Field, Schema

PAGING = (("page", "integer", "page number, from 1"),
          ("per_page", "integer", "rows per page, at most 500"))
IDEMPOTENCY = Field("idempotency_key", "string", description="Same as the Idempotency-Key "
                    "header, for clients that cannot set headers", max_length=80)

SCAN = Schema("ScanResult", (
    Field("kind", "string", True, "sscc, gtin, gs1, s10, awb, container or text",
          enum=("sscc", "gtin", "gs1", "s10", "awb", "container", "text")),
    Field("valid", "boolean", True, "false when a check digit or a GS1 field is wrong"),
    Field("value", "string", True, "the code as normalised"),
    Field("parts", "object", True, "the parsed parts (GS1 application identifiers by name, "
          "S10 service and country...)"),
    Field("error", "string", True, "why the code is invalid", nullable=True),
    Field("problems", "array", True, "why the code is invalid, as stable codes with their "
          "parameters: {code, template, params}", items="object"),
    Field("matches", "array", True, "warehouse records the code names: location, product "
          "or package, each with its stock (owner-scoped)", items="object"),
    Field("found", "boolean", True),
), "What a scanned code is and what the warehouse knows about it.")

STOCK_LINE = Schema("StockLine", (
    Field("id", "integer", True),
    Field("product_id", "integer", True),
    Field("sku", "string", True),
    Field("name", "string", True),
    Field("location_id", "integer", True),
    Field("location", "string", True, "full path"),
    Field("location_barcode", "string", True),
    Field("lot", "string", True, nullable=True),
    Field("expiry", "string", True, "ISO date", nullable=True),
    Field("sscc", "string", True, nullable=True),
    Field("owner", "string", True, "owner's customs code"),
    Field("customs_status", "string", True, enum=CUSTOMS_STATUSES),
    Field("quantity", "string", True, "decimal as a string"),
    Field("reserved", "string", True, "held by open moves"),
    Field("available", "string", True, "quantity - reserved"),
), "On-hand stock of one key (product, location, lot, package, owner, customs status).")

LOCATION = Schema("Location", (
    Field("id", "integer", True),
    Field("warehouse", "string", True, "warehouse code; null for virtual locations",
          nullable=True),
    Field("path", "string", True),
    Field("name", "string", True),
    Field("usage", "string", True, enum=LOCATION_USAGES),
    Field("barcode", "string", True),
    Field("capacity", "string", True, nullable=True),
    Field("active", "boolean", True),
), "A place in the location tree.")

MOVE_LINE = Schema("MoveLineInput", (
    Field("product_id", "integer", description="the product; or give sku (and owner)"),
    Field("sku", "string", max_length=40),
    Field("owner", "string", description="owner's customs code: needed with sku when "
          "several owners use the SKU", max_length=10),
    Field("quantity", "number", True, "greater than zero, at most three decimals"),
    Field("from_location", "string", description="barcode (or id as digits)", max_length=40),
    Field("from_location_id", "integer"),
    Field("to_location", "string", description="barcode (or id as digits)", max_length=40),
    Field("to_location_id", "integer"),
    Field("lot", "string", description="lot name; required for lot-tracked products",
          max_length=40),
    Field("package", "string", description="SSCC of the package taken from", max_length=18),
    Field("to_package", "string", description="SSCC of the package put into; none: loose",
          max_length=18),
    Field("customs_status", "string", True, enum=CUSTOMS_STATUSES),
), "One line of a transfer.")
MOVE = Schema("TransferInput", (
    Field("lines", "array", True, items=MOVE_LINE),
    Field("origin", "string", description="your reference", max_length=80),
    Field("reason", "string", max_length=200),
    IDEMPOTENCY,
), "An internal transfer, posted at once.")
MOVE_OUT = Schema("Transfer", (
    Field("id", "integer", True),
    Field("name", "string", True, "document reference"),
    Field("state", "string", True),
    Field("done_at", "string", True, nullable=True),
    Field("origin", "string", True, nullable=True),
    Field("lines", "array", True, items="object"),
), "A posted transfer.")

LEDGER_LINE = Schema("LedgerLine", (
    Field("id", "integer", True),
    Field("done_at", "string", True),
    Field("document", "string", True, nullable=True),
    Field("product_id", "integer", True),
    Field("sku", "string", True),
    Field("from_location", "string", True),
    Field("to_location", "string", True),
    Field("lot", "string", True, nullable=True),
    Field("sscc", "string", True, nullable=True),
    Field("to_sscc", "string", True, nullable=True),
    Field("owner", "string", True),
    Field("customs_status", "string", True, enum=CUSTOMS_STATUSES),
    Field("to_customs_status", "string", True, enum=CUSTOMS_STATUSES),
    Field("quantity", "string", True),
    Field("quantity_in", "string", True, "into the scope (location subtree, or the "
          "warehouse's stock for a product)", nullable=True),
    Field("quantity_out", "string", True, nullable=True),
    Field("reason", "string", True, nullable=True),
    Field("user", "string", True, nullable=True),
), "One done stock move.")


def _num(value: Decimal | None) -> str | None:
    return None if value is None else format_quantity(value)


def _opt_num(value) -> str | None:
    return None if value is None else format_quantity(value)


# ---------------------------------------------------------------- scan

@operation("/scan/<code>", summary="Scan anything", tag="inventory", response=SCAN)
def scan(code: str):
    """What a scanned code is (SSCC, GTIN, GS1 element string, S10, AWB, container, or
    text such as a location barcode or SKU), whether its check digits hold, its parsed
    parts, and the warehouse records it names. A wrong check digit answers 200 with
    ``valid: false``, so the scanner can say "misread, scan again"."""
    result = explain(db(), code)
    return jsonify({**result, "error": translate_problems(result["problems"])})


# ---------------------------------------------------------------- stock

def stock_json(r: dict) -> dict:
    return {"id": r["id"], "product_id": r["product_id"], "sku": r["sku"], "name": r["name"],
            "location_id": r["location_id"], "location": r["location"],
            "location_barcode": r["location_barcode"], "lot": r["lot"],
            "expiry": r["expiry"].isoformat() if r["expiry"] else None, "sscc": r["sscc"],
            "owner": r["owner"], "customs_status": r["customs_status"],
            "quantity": _num(r["quantity"]), "reserved": _num(r["reserved"]),
            "available": _num(r["available"])}


def _owner_id_arg(name: str = "owner") -> int | None:
    code = (request.args.get(name) or "").strip()
    if not code:
        return None
    owner = db().scalar(select(Enterprise.id).where(Enterprise.customs_code == code))
    if owner is None or not visible_owner(owner):
        raise NotFound(N_("Owner %(code)s not found"), field=name, code=code)
    return owner


def _warehouse_id_arg() -> int | None:
    code = (request.args.get("warehouse") or "").strip().upper()
    if not code:
        return None
    found = db().scalar(select(Warehouse.id).where(Warehouse.code == code))
    if found is None:
        raise NotFound(N_("Warehouse %(code)s not found"), field="warehouse", code=code)
    return found


def _location_arg(name: str = "location") -> Location | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    location = places.find_location_by_barcode(db(), raw)
    if location is None and ascii_id(raw) is not None:
        location = db().get(Location, ascii_id(raw))
    if location is None:
        raise NotFound(N_("Location %(path)s not found"), field=name, path=raw)
    return location


@operation("/stock", summary="On-hand stock", tag="inventory", response=STOCK_LINE, many=True,
           query=(("q", "string", "product SKU, GTIN or name contains"),
                  ("product", "integer", "product id"),
                  ("location", "string", "location barcode or id; a view location includes "
                   "the locations under it"),
                  ("warehouse", "string", "warehouse code"),
                  ("owner", "string", "owner's customs code"),
                  ("lot", "string", "lot name"),
                  ("customs_status", "string", "arrived, bonded, held, released or export"),
                  *PAGING))
def list_stock():
    """Stock in internal and customs-hold locations, one item per quant, oldest first by id.
    Owner tokens see only their own owners' stock. ``total`` is counted up to 10,000 lines
    (or to the asked page): ``more`` is true when there are more."""
    status = request.args.get("customs_status") or None
    if status and status not in CUSTOMS_STATUSES:
        raise ValidationError(N_("Unknown customs status %(status)s"), field="customs_status",
                              status=status)
    product = request.args.get("product", "").strip()
    if product and ascii_id(product) is None:
        raise ValidationError(N_("Expected %(type)s"), field="product", type="integer")
    flt = queries.StockFilter(q=(request.args.get("q") or "").strip()[:100] or None,
                              product_id=ascii_id(product) if product else None,
                              location=_location_arg(), owner_id=_owner_id_arg(),
                              lot=(request.args.get("lot") or "").strip() or None,
                              customs_status=status, warehouse_id=_warehouse_id_arg())
    page = page_of(queries.stock_ids(flt, "id"), lambda quant_id: quant_id,
                   count_cap=queries.COUNT_CAP)
    page["items"] = [stock_json(r) for r in queries.stock_rows(db(), page["items"])]
    return jsonify(page)


# ---------------------------------------------------------------- locations

def location_json(loc: Location, codes: dict[int, str]) -> dict:
    return {"id": loc.id, "warehouse": codes.get(loc.warehouse_id), "path": loc.full_path,
            "name": loc.name, "usage": loc.usage, "barcode": loc.barcode,
            "capacity": _opt_num(loc.capacity), "active": loc.active}


@operation("/locations", summary="List locations", tag="inventory", response=LOCATION,
           many=True, query=(("warehouse", "string", "warehouse code"),
                             ("usage", "string", "internal, view, customs..."),
                             ("q", "string", "path contains, or barcode"),
                             ("archived", "boolean", "include archived locations"), *PAGING))
def list_locations():
    """The location tree in path order."""
    usage = request.args.get("usage") or None
    if usage and usage not in LOCATION_USAGES:
        raise ValidationError(N_("Unknown location usage: %(usage)s"), field="usage",
                              usage=usage)
    stmt = queries.locations_query(warehouse_id=_warehouse_id_arg(), usage=usage,
                                   search=(request.args.get("q") or "").strip() or None,
                                   archived=request.args.get("archived") in ("1", "true"))
    codes = dict(db().execute(select(Warehouse.id, Warehouse.code)).all())
    return jsonify(page_of(stmt, lambda loc: location_json(loc, codes)))


# ---------------------------------------------------------------- moves

def _posted_line(ln: PostedLine) -> dict:
    return {"product_id": ln.product.id, "sku": ln.product.sku,
            "owner": ln.product.owner.customs_code, "quantity": format_quantity(ln.quantity),
            "from_location": ln.source.full_path, "to_location": ln.target.full_path,
            "lot": ln.lot.name if ln.lot else None,
            "package": ln.package.sscc if ln.package else None,
            "to_package": ln.to_package.sscc if ln.to_package else None,
            "customs_status": ln.customs_status}


@operation("/moves", "POST", summary="Transfer stock", tag="inventory", body=MOVE,
           response=MOVE_OUT, status=201, roles=("operator", "supervisor"))
def create_move(payload: dict):
    """Post an internal transfer between internal locations (virtual ones such as suppliers,
    customers or inventory loss are refused): all lines or none. Send an ``Idempotency-Key`` header: a
    replay returns the stored answer (header ``Idempotent-Replayed: true``) and moves
    nothing again. Errors name the line and field, e.g. ``lines[3].quantity``."""
    def use_case(session: Session):
        posted = transfer_lines(session, payload["lines"], origin=payload.get("origin"),
                                reason=payload.get("reason"))
        document = posted.document
        return 201, {"id": document.id, "name": document.name, "state": document.state,
                     "done_at": document.done_at.isoformat() if document.done_at else None,
                     "origin": document.origin,
                     "lines": [_posted_line(ln) for ln in posted.lines]}
    return write(payload, use_case)


def ledger_json(r: dict) -> dict:
    return {"id": r["id"], "done_at": r["done_at"].isoformat() if r["done_at"] else None,
            "document": r["document"], "product_id": r["product_id"], "sku": r["sku"],
            "from_location": r["from_path"], "to_location": r["to_path"], "lot": r["lot"],
            "sscc": r["sscc"], "to_sscc": r["to_sscc"], "owner": r["owner"],
            "customs_status": r["customs_status"],
            "to_customs_status": r["to_customs_status"], "quantity": _num(r["quantity"]),
            "quantity_in": _num(r["qty_in"]), "quantity_out": _num(r["qty_out"]),
            "reason": r["reason"], "user": r["user"]}


@operation("/moves", summary="The ledger: done moves, newest first", tag="inventory",
           response=LEDGER_LINE, many=True,
           query=(("product", "integer", "product id"),
                  ("location", "string", "location barcode or id; a view location includes "
                   "the locations under it"), *PAGING))
def list_moves():
    """Owner tokens see only their own owners' moves; another owner's product is 404."""
    scope = queries.LedgerScope()
    product = (request.args.get("product") or "").strip()
    if product:
        if ascii_id(product) is None:
            raise ValidationError(N_("Expected %(type)s"), field="product", type="integer")
        scope.product = catalog.get_product(db(), ascii_id(product))
    scope.location = _location_arg()
    page, size = paging()
    rows, total = queries.ledger_page(db(), scope, page, size)
    return jsonify({"items": [ledger_json(r) for r in rows], "total": total, "page": page,
                    "pages": max(1, -(-total // size))})


# ---------------------------------------------------------------- cycle counts

COUNT_SCAN = Schema("CountScanInput", (
    Field("code", "string", True, "what was scanned: GTIN, SKU or GS1 label", max_length=200),
    Field("quantity", "number", description="how many; default the label's count, else 1"),
    Field("lot", "string", description="lot name; default the label's, else the one lot on "
          "the books there", max_length=40),
), "One scan of a cycle count.")
COUNT_IN = Schema("CountInput", (
    Field("location", "string", True, "barcode of the location counted", max_length=60),
    Field("lines", "array", True, items=COUNT_SCAN),
    IDEMPOTENCY,
), "A whole cycle count: what was found at one location. Differences within the approval "
   "threshold are posted at once; above it the count waits for a supervisor.")
COUNT_LINE = Schema("CountLine", (
    Field("sku", "string", True),
    Field("name", "string", True),
    Field("lot", "string", True, nullable=True),
    Field("customs_status", "string", True, enum=CUSTOMS_STATUSES),
    Field("expected", "string", True, "on the books at submission"),
    Field("counted", "string", True),
    Field("difference", "string", True, "counted - expected"),
), "One stock key of a count.")
COUNT_OUT = Schema("Count", (
    Field("id", "integer", True),
    Field("name", "string", True, "count reference"),
    Field("state", "string", True, enum=("counting", "to_approve", "done", "cancelled")),
    Field("location", "string", True, "full path"),
    Field("document", "string", True, "the adjustment posted, if any", nullable=True),
    Field("lines", "array", True, items=COUNT_LINE),
), "A cycle count and its differences.")
DECISION = Schema("CountDecisionInput", (
    Field("reason", "string", True, "why (kept on the count and the adjustment)",
          max_length=200),
    IDEMPOTENCY,
), "A supervisor's decision on a count waiting for approval.")


def count_json(session: Session, count) -> dict:
    document = session.get(StockDocument, count.document_id) if count.document_id else None
    return {"id": count.id, "name": count.name, "state": count.state,
            "location": count.location.full_path,
            "document": document.name if document else None,
            "lines": queries.count_lines(session, count)}


def _count_id(raw: str) -> int:
    number = ascii_id(raw)
    if number is None:
        raise NotFound(N_("Count %(id)s not found"), field="count", id=raw)
    return number


def _threshold() -> Decimal:
    return Decimal(str(current_app.config.get("COUNT_APPROVAL_THRESHOLD",
                                              counting.DEFAULT_APPROVAL_THRESHOLD)))


@operation("/counts", "POST", summary="Record a cycle count", tag="inventory", body=COUNT_IN,
           response=COUNT_OUT, status=201, roles=("operator", "supervisor"))
def create_count(payload: dict):
    """The same door as the handheld's count: the location, each scan, then submit.
    Errors name the scan, e.g. ``lines[2].code``; with an ``Idempotency-Key`` a replay
    counts once."""
    threshold = _threshold()

    def use_case(session: Session):
        count = counting.count_scans(session, location=payload["location"],
                                     lines=payload["lines"], threshold=threshold)
        return 201, count_json(session, count)
    return write(payload, use_case)


@operation("/counts/<count_id>/approve", "POST", summary="Approve a count",
           tag="inventory", body=DECISION, response=COUNT_OUT, roles=("supervisor",))
def approve_count(payload: dict, count_id: str):
    """Post the differences of a count waiting for approval, with the reason."""
    number = _count_id(count_id)

    def use_case(session: Session):
        return 200, count_json(session, counting.approve(session, number, payload["reason"]))
    return write(payload, use_case)


@operation("/counts/<count_id>/reject", "POST", summary="Reject a count",
           tag="inventory", body=DECISION, response=COUNT_OUT, roles=("supervisor",))
def reject_count(payload: dict, count_id: str):
    """Throw a count away, saying why; stock stays as it was."""
    number = _count_id(count_id)

    def use_case(session: Session):
        return 200, count_json(session, counting.reject(session, number, payload["reason"]))
    return write(payload, use_case)
