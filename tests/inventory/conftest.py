"""A small bonded warehouse with two owners' products, for the ledger tests."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from wms.catalog.models import Product
from wms.catalog.services import lot_for, register_product
from wms.demo import demo_uscc
from wms.inventory.models import Location, Warehouse
from wms.inventory.places import create_location, create_warehouse, location_by_path
from wms.inventory.services import MoveLine, post_moves, virtual_location
from wms.partners.models import Enterprise
from wms.partners.services import register_enterprise


@dataclass
class Site:
    warehouse: Warehouse
    owner: Enterprise
    other_owner: Enterprise
    milk: Product      # lot and expiry tracked
    herbs: Product     # untracked
    foreign: Product   # belongs to the other owner
    shelf: Location
    shelf2: Location
    stock_view: Location
    supplier: Location
    customer: Location
    loss: Location

    def receive(self, session, product, qty, location=None, *, lot=None, status="bonded",
                package_id=None):
        line = MoveLine(product.id, Decimal(qty), self.supplier.id, (location or self.shelf).id,
                        product.owner_id, status, lot.id if lot else None, None, package_id)
        post_moves(session, [line])


def make_site(session) -> Site:
    owner = register_enterprise(session, customs_code="6201W70001",
                                uscc=demo_uscc("91620100MA71TX001"), name="测试货主",
                                roles=["owner"])
    other = register_enterprise(session, customs_code="6201W70002",
                                uscc=demo_uscc("91620100MA71TX002"), name="另一货主",
                                roles=["owner"])
    warehouse = create_warehouse(session, code="TST", name="测试保税仓", kind="bonded",
                                 customs_area_code="9602", ems_no="T9602W000099",
                                 gs1_company_prefix="6906125")
    view = location_by_path(session, "TST/Stock")
    shelf = create_location(session, warehouse, view, "S1", barcode="TST-S1")
    shelf2 = create_location(session, warehouse, view, "S2", barcode="TST-S2")
    common = dict(hs_code="1901101010", gname="婴儿配方奶粉", gmodel="800g/罐",
                  customs_unit="122", legal_unit1="035", legal_factor1="0.8",
                  origin_country="304", declared_price="198")
    milk = register_product(session, owner_code="6201W70001", sku="MILK", name_zh="奶粉",
                            gtin="4008746009123", track_lot=True, track_expiry=True, **common)
    herbs = register_product(session, owner_code="6201W70001", sku="HERB", name_zh="当归",
                             **common)
    foreign = register_product(session, owner_code="6201W70002", sku="OTHER",
                               name_zh="别人的", **common)
    return Site(warehouse, owner, other, milk, herbs, foreign, shelf, shelf2, view,
                virtual_location(session, "supplier"), virtual_location(session, "customer"),
                virtual_location(session, "inventory"))


@pytest.fixture
def site(db) -> Site:
    return make_site(db)


@pytest.fixture
def lots(db, site):
    return (lot_for(db, site.milk, "EARLY", date(2027, 1, 31)),
            lot_for(db, site.milk, "LATE", date(2027, 12, 31)))


def many_products(session, owner_id: int, n: int, location_id: int, *, prefix: str = "BULK",
                  quantity: int = 100) -> list[tuple[str, str]]:
    """``n`` lot-tracked products of one owner, each with one lot and ``quantity`` bonded
    units at a location, written in bulk: (sku, lot) of each. For statement counts over
    documents whose lines all name different things."""
    from sqlalchemy import insert, select

    from wms.catalog.models import Lot
    template = {"owner_id": owner_id, "name_zh": "批量", "hs_code": "1901101010",
                "gname": "婴儿配方奶粉", "gmodel": "800g/罐", "customs_unit": "122",
                "legal_unit1": "035", "legal_factor1": Decimal("0.8"), "origin_country": "304",
                "declared_price": Decimal(1), "net_weight_kg": Decimal(0),
                "gross_weight_kg": Decimal(0), "track_lot": True, "track_expiry": False,
                "vat_rate": Decimal("0.13"), "consumption_tax_rate": Decimal(0),
                "active": True}
    skus = [f"{prefix}-{i:05d}" for i in range(n)]
    session.execute(insert(Product), [{**template, "sku": sku} for sku in skus])
    ids = dict(session.execute(select(Product.sku, Product.id).where(Product.sku.in_(skus))).all())
    session.execute(insert(Lot), [{"product_id": ids[sku], "name": f"L-{sku}"} for sku in skus])
    lots = dict(session.execute(select(Lot.product_id, Lot.id).where(
        Lot.product_id.in_(list(ids.values())))).all())
    supplier = virtual_location(session, "supplier")
    post_moves(session, [MoveLine(ids[sku], Decimal(quantity), supplier.id, location_id,
                                  owner_id, "bonded", lots[ids[sku]]) for sku in skus])
    session.flush()
    return [(sku, f"L-{sku}") for sku in skus]
