"""Reads of stock that the desk pages, the handheld and the API share.

Stock lists stay fast on 100,000 quants: the filters are conditions on the quant table
alone (joined tables are reached through ``IN (subquery)``), so counting and totals never
join; a page first picks its quant ids in the requested order, then loads the details and
the reservations of those ids only. Every owner-scoped read goes through ``scope_to_owner``.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from wms.accounts.models import User
from wms.catalog.models import Lot, Product
from wms.core.context import current_actor
from wms.core.scoping import scope_to_owner, visible_owner
from wms.partners.models import Enterprise, EnterpriseRole

from .models import (STOCKED_USAGES, CountSession, Location, Package, Quant, StockDocument,
                     StockMove)
from .services import format_quantity


# ---------------------------------------------------------------- counts

def count_lines(session: Session, count: CountSession) -> list[dict]:
    """Each line of a count with what the books said, as the scanner and the desk show it."""
    products = {p.id: p for p in session.scalars(select(Product).where(
        Product.id.in_({ln.product_id for ln in count.lines})))} if count.lines else {}
    lots = {lot.id: lot.name for lot in session.scalars(select(Lot).where(
        Lot.id.in_({ln.lot_id for ln in count.lines if ln.lot_id})))}
    return [{"sku": products[ln.product_id].sku, "name": products[ln.product_id].name_zh,
             "lot": lots.get(ln.lot_id), "customs_status": ln.customs_status,
             "expected": format_quantity(ln.expected or Decimal(0)),
             "counted": format_quantity(ln.counted),
             "difference": format_quantity(ln.difference)} for ln in count.lines]


def counts_waiting(session: Session) -> list[CountSession]:
    """Counts whose differences wait for a supervisor, oldest first."""
    return list(session.scalars(select(CountSession).where(CountSession.state == "to_approve")
                                .order_by(CountSession.submitted_at, CountSession.id)))


# ---------------------------------------------------------------- stock with availability

def subtree(location: Location) -> Select:
    """Ids of a location and every location under it, as a subquery."""
    return select(Location.id).where(or_(Location.id == location.id,
                                         Location.full_path.startswith(location.full_path + "/")))


def stocked_locations() -> Select:
    return select(Location.id).where(Location.usage.in_(STOCKED_USAGES))


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
            locations = stocked_locations()
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
        return conds

    def scoped(self, stmt: Select) -> Select:
        """``stmt`` filtered, and narrowed to the acting user's owners."""
        return scope_to_owner(stmt.where(*self.conditions()), Quant.owner_id)

    def args(self) -> dict:
        return {k: v for k, v in dict(
            q=self.q, product=self.product_id,
            location=self.location.id if self.location else None, owner=self.owner_id,
            lot=self.lot, customs_status=self.customs_status,
            warehouse=self.warehouse_id).items() if v not in (None, "")}


STOCK_SORTS = ("location", "product", "quantity", "in_date", "id")


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


def stock_ids(flt: StockFilter, sort: str) -> Select:
    """The quant ids in page order; joins only what the sort needs."""
    stmt = flt.scoped(select(Quant.id))
    if sort in ("location", "product"):
        stmt = stmt.join(Location, Location.id == Quant.location_id) \
            .join(Product, Product.id == Quant.product_id)
    return stmt.order_by(*stock_order(sort))


def reserved_by_key(session: Session, keys: list[str]) -> dict[str, Decimal]:
    """What open moves hold of each quant key."""
    if not keys:
        return {}
    return {k: Decimal(q) for k, q in session.execute(
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


def stock_rows(session: Session, ids: list[int]) -> list[dict]:
    """Details of these quants in the given order, with their reservations: 2 queries."""
    if not ids:
        return []
    found = {r.id: r for r in session.execute(scope_to_owner(
        _with_details(select(*STOCK_COLUMNS)).where(Quant.id.in_(ids)), Quant.owner_id))}
    reserved = reserved_by_key(session, [r.quant_key for r in found.values()])
    return [_stock_row(found[i], reserved.get(found[i].quant_key, Decimal(0)))
            for i in ids if i in found]


# Lists count (and the desk sums) at most this many stock lines: past it, a page says
# "more than" instead of scanning a million rows for an exact figure nobody reads.
COUNT_CAP = 10_000


def stock_totals(session: Session, flt: StockFilter, cap: int | None = COUNT_CAP) -> dict:
    """Lines, on hand, reserved and available of the filtered stock; past ``cap`` lines
    only ``count=cap, more=True`` (the sums would read every row)."""
    if cap is not None:
        capped = flt.scoped(select(Quant.id)).limit(cap + 1).subquery()
        if session.scalar(select(func.count()).select_from(capped)) > cap:
            return dict(count=cap, more=True, quantity=None, reserved=None, available=None)
    count, quantity = session.execute(flt.scoped(select(
        func.count(Quant.id), func.coalesce(func.sum(Quant.quantity), 0)))).one()
    reserved = session.scalar(flt.scoped(
        select(func.coalesce(func.sum(StockMove.quantity), 0))
        .join(Quant, Quant.quant_key == StockMove.source_key)
        .where(StockMove.state == "reserved")))
    quantity, reserved = Decimal(quantity), Decimal(reserved)
    return dict(count=count, more=False, quantity=quantity, reserved=reserved,
                available=quantity - reserved)


def stock_export(flt: StockFilter, sort: str) -> Select:
    """Every filtered quant in order; the reservations are joined from their (small)
    per-key aggregate. Rows go through ``stock_export_row``."""
    reserved = (select(StockMove.source_key.label("key"),
                       func.sum(StockMove.quantity).label("reserved_qty"))
                .where(StockMove.state == "reserved").group_by(StockMove.source_key)
                .subquery())
    return flt.scoped(_with_details(select(*STOCK_COLUMNS, reserved.c.reserved_qty))
                      .outerjoin(reserved, reserved.c.key == Quant.quant_key)
                      ).order_by(*stock_order(sort))


def stock_export_row(r) -> dict:
    return _stock_row(r, Decimal(r.reserved_qty or 0))


def location_quantities(session: Session, locations: list[Location]) -> dict[int, Decimal]:
    """On-hand per location (a view: its whole subtree), owner-scoped."""
    ids = [loc.id for loc in locations if loc.usage != "view"]
    result: dict[int, Decimal] = {}
    if ids:
        result = {i: Decimal(q) for i, q in session.execute(scope_to_owner(
            select(Quant.location_id, func.sum(Quant.quantity))
            .where(Quant.location_id.in_(ids)).group_by(Quant.location_id), Quant.owner_id))}
    for loc in locations:
        if loc.usage == "view":
            result[loc.id] = Decimal(session.scalar(scope_to_owner(
                select(func.coalesce(func.sum(Quant.quantity), 0))
                .where(Quant.location_id.in_(subtree(loc))), Quant.owner_id)))
    return result


def products_on_hand(session: Session, product_ids: list[int]) -> dict[int, Decimal]:
    """Stocked quantity of each product, owner-scoped."""
    if not product_ids:
        return {}
    return {p: Decimal(q) for p, q in session.execute(scope_to_owner(
        select(Quant.product_id, func.sum(Quant.quantity))
        .where(Quant.product_id.in_(product_ids), Quant.location_id.in_(stocked_locations()))
        .group_by(Quant.product_id), Quant.owner_id))}


def product_stock(session: Session, product: Product, limit: int = 500) -> list:
    """A product's stock by place, lot and customs status, owner-scoped."""
    return session.execute(scope_to_owner(
        select(Location.id, Location.full_path, Lot.name, Lot.expiry_date,
               Quant.customs_status, func.sum(Quant.quantity).label("quantity"))
        .join(Location, Location.id == Quant.location_id)
        .outerjoin(Lot, Lot.id == Quant.lot_id)
        .where(Quant.product_id == product.id, Quant.quantity != 0,
               Location.usage.in_(STOCKED_USAGES))
        .group_by(Location.id, Location.full_path, Lot.name, Lot.expiry_date,
                  Quant.customs_status)
        .order_by(Location.full_path, Lot.expiry_date, Lot.name), Quant.owner_id)
        .limit(limit)).all()


# ---------------------------------------------------------------- the ledger

@dataclass
class LedgerScope:
    product: Product | None = None
    location: Location | None = None

    def scoped(self, stmt: Select) -> Select:
        stmt = stmt.where(StockMove.state == "done")
        if self.product is not None:
            stmt = stmt.where(StockMove.product_id == self.product.id)
        if self.location is not None:
            ids = subtree(self.location)
            stmt = stmt.where(or_(StockMove.from_location_id.in_(ids),
                                  StockMove.to_location_id.in_(ids)))
        return scope_to_owner(stmt, StockMove.owner_id)


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


Inside = Callable[[int, str], bool]


def ledger_row(r, inside: Inside) -> dict:
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


def ledger_inside(session: Session, scope: LedgerScope) -> Inside:
    if scope.location is not None:
        ids = set(session.scalars(subtree(scope.location)))
        return lambda loc_id, usage: loc_id in ids
    return lambda loc_id, usage: usage in STOCKED_USAGES


def ledger_page(session: Session, scope: LedgerScope, page: int, size: int):
    """One page of done moves, newest first, and how many there are in all."""
    total = session.scalar(scope.scoped(select(func.count(StockMove.id))))
    ids = list(session.scalars(scope.scoped(select(StockMove.id))
                               .order_by(StockMove.done_at.desc(), StockMove.id.desc())
                               .limit(size).offset((page - 1) * size)))
    inside = ledger_inside(session, scope)
    found = {r.id: r for r in session.execute(
        _ledger_details(select(*LEDGER_COLUMNS)).where(StockMove.id.in_(ids)))} if ids else {}
    return [ledger_row(found[i], inside) for i in ids if i in found], total


def ledger_export(scope: LedgerScope) -> Select:
    return scope.scoped(_ledger_details(select(*LEDGER_COLUMNS))) \
        .order_by(StockMove.done_at.desc(), StockMove.id.desc())


# ---------------------------------------------------------------- packages

def visible_packages(stmt: Select) -> Select:
    """Owner users see packages of their own, and packages holding their goods."""
    if current_actor().owner_ids is None:
        return stmt
    own = scope_to_owner(select(Package.id), Package.owner_id)
    holding = scope_to_owner(select(Quant.package_id).where(Quant.package_id.is_not(None)),
                             Quant.owner_id)
    return stmt.where(or_(Package.id.in_(own), Package.id.in_(holding)))


def package_visible(session: Session, package: Package, tree: list[int]) -> bool:
    if current_actor().owner_ids is None:
        return True
    return package.owner_id is not None and visible_owner(package.owner_id) or \
        session.scalar(scope_to_owner(select(Quant.id).where(Quant.package_id.in_(tree)),
                                      Quant.owner_id).limit(1)) is not None


def package_summaries(session: Session, ids: list[int]) -> tuple[dict, dict]:
    """Per package on a page: (products, quantity) of the visible contents, and how many
    packages are nested in it."""
    if not ids:
        return {}, {}
    contents = {pid: (n, Decimal(qty)) for pid, n, qty in session.execute(scope_to_owner(
        select(Quant.package_id, func.count(func.distinct(Quant.product_id)),
               func.sum(Quant.quantity))
        .where(Quant.package_id.in_(ids), Quant.quantity > 0)
        .group_by(Quant.package_id), Quant.owner_id))}
    children = dict(session.execute(select(Package.parent_id, func.count(Package.id))
                                    .where(Package.parent_id.in_(ids))
                                    .group_by(Package.parent_id)).all())
    return contents, children


def package_contents(session: Session, tree: list[int]) -> dict[int, list]:
    """The visible goods in each package of a tree, by product and lot."""
    contents: dict[int, list] = {}
    for r in session.execute(scope_to_owner(
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
    return contents


# ---------------------------------------------------------------- locations and owners

VIRTUAL = "virtual"


def locations_query(*, warehouse_id: int | str | None = None, usage: str | None = None,
                    search: str | None = None, archived: bool = False) -> Select:
    """The location tree in path order: of one warehouse (``VIRTUAL``: the shared virtual
    locations), of one usage, whose path contains or barcode is ``search``."""
    stmt = select(Location).order_by(Location.full_path)
    if warehouse_id == VIRTUAL:
        stmt = stmt.where(Location.warehouse_id.is_(None))
    elif warehouse_id is not None:
        stmt = stmt.where(Location.warehouse_id == warehouse_id)
    if usage:
        stmt = stmt.where(Location.usage == usage)
    if search:
        stmt = stmt.where(Location.full_path.ilike(f"%{search}%") | (Location.barcode == search))
    if not archived:
        stmt = stmt.where(Location.active)
    return stmt


def goods_owners(session: Session) -> list[Enterprise]:
    """The enterprises that store goods here, as far as the acting user may see them."""
    return list(session.scalars(scope_to_owner(
        select(Enterprise).where(Enterprise.role_rows.any(EnterpriseRole.role == "owner"))
        .order_by(Enterprise.customs_code), Enterprise.id)))
