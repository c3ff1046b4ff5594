"""Products (per owner) and lots."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.core.audit import Audited
from wms.core.db import Base
from wms.partners.models import Enterprise


class Product(Audited, Base):
    """A product as one owner stores and declares it.

    Two owners may store the same GTIN (both import the same milk powder), so SKU and GTIN
    are unique per owner. The customs fields are what an entry declaration and an inventory
    list need: HS code, customs name and model, declared and legal units with conversion
    factors (legal quantity = declared quantity x factor), origin, price, weights and the
    product registration number.
    """

    __tablename__ = "product"
    __tracked__ = ("sku", "gtin", "hs_code", "gname", "gmodel", "customs_unit", "legal_unit1",
                   "legal_factor1", "legal_unit2", "legal_factor2", "origin_country",
                   "declared_price", "item_record_no", "vat_rate", "consumption_tax_rate",
                   "consumption_tax_basis", "positive_list", "simplified_export", "active")
    __table_args__ = (
        UniqueConstraint("owner_id", "sku"),
        Index("ix_product_sku", "sku"),  # the stock list sorted by product
        UniqueConstraint("owner_id", "gtin"),
        CheckConstraint("declared_price >= 0", name="declared_price"),
        CheckConstraint("net_weight_kg >= 0 AND gross_weight_kg >= net_weight_kg",
                        name="weights"),
        CheckConstraint("legal_factor1 > 0", name="legal_factor1"),
        CheckConstraint("legal_factor2 IS NULL OR legal_factor2 > 0", name="legal_factor2"),
        CheckConstraint("vat_rate >= 0 AND vat_rate < 1 AND consumption_tax_rate >= 0 AND "
                        "consumption_tax_rate < 1", name="tax_rates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    sku: Mapped[str] = mapped_column(String(40))
    gtin: Mapped[str | None] = mapped_column(String(14), index=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(60))
    hs_code: Mapped[str] = mapped_column(String(10))
    gname: Mapped[str] = mapped_column(String(250))
    gmodel: Mapped[str] = mapped_column(String(250))
    customs_unit: Mapped[str] = mapped_column(String(3))
    legal_unit1: Mapped[str] = mapped_column(String(3))
    legal_factor1: Mapped[Decimal] = mapped_column(Numeric(14, 6), default=Decimal(1))
    legal_unit2: Mapped[str | None] = mapped_column(String(3))
    legal_factor2: Mapped[Decimal | None] = mapped_column(Numeric(14, 6))
    origin_country: Mapped[str] = mapped_column(String(3))
    declared_price: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    net_weight_kg: Mapped[Decimal] = mapped_column(Numeric(12, 4), default=Decimal(0))
    gross_weight_kg: Mapped[Decimal] = mapped_column(Numeric(12, 4), default=Decimal(0))
    track_lot: Mapped[bool] = mapped_column(default=False)
    track_expiry: Mapped[bool] = mapped_column(default=False)
    # Goods expiring sooner than this after arrival cannot be sold on: the tally warns.
    min_shelf_life_days: Mapped[int | None] = mapped_column()
    item_record_no: Mapped[str | None] = mapped_column(String(30))
    # Statutory rates for the comprehensive tax on retail imports (VAT 13 % by default).
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(6, 4), default=Decimal("0.13"),
                                              server_default="0.13")
    consumption_tax_rate: Mapped[Decimal] = mapped_column(Numeric(6, 4), default=Decimal(0),
                                                          server_default="0")
    # ad_valorem: the rate applies to every sale; cosmetics_threshold: only at or above
    # 10 RMB per ml/g or 15 RMB per piece/sheet (high-end cosmetics, wms.customs.tax).
    consumption_tax_basis: Mapped[str] = mapped_column(String(20), default="ad_valorem",
                                                       server_default="ad_valorem")
    # On the list of goods a retail import may bring in (跨境电商零售进口商品清单).
    positive_list: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # Needs no export tax, tax refund or licence: an export list may use a short HS code.
    simplified_export: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    active: Mapped[bool] = mapped_column(default=True)

    owner: Mapped[Enterprise] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Product {self.sku}>"


class Lot(Base):
    __tablename__ = "lot"
    __table_args__ = (UniqueConstraint("product_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    name: Mapped[str] = mapped_column(String(40))
    expiry_date: Mapped[date | None]

    product: Mapped[Product] = relationship()
