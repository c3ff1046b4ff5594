"""Demo credit data: AEO certificates of the advanced certified enterprises, and a trader
on Lanzhou Customs' blacklist whose next advance notice was refused (the refusal kept)."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .blacklist import EnterpriseBlacklisted, blacklist_enterprise, record_refusals
from .models import BlacklistEntry, Enterprise, EnterpriseRefusal
from .services import register_enterprise

DISHONEST_OWNER = "6201W60089"
DISHONEST = dict(customs_code=DISHONEST_OWNER, uscc_body="91620100MA71JC009",
                 name="兰州金城优品进出口贸易有限公司",
                 name_en="Lanzhou Jincheng Youpin Import & Export Trading Co., Ltd.",
                 address="甘肃省兰州市七里河区西津西路 16 号")
LISTING = dict(reason="销售假冒进口婴幼儿配方奶粉, 经兰州海关缉私局查实 (2026 年第 17 号公告)",
               authority="兰州海关")


TRADER_SKU = "JC-FORMULA-900"


def _advance_notice_before_listing(session: Session) -> int:
    """The trader's product and an advance notice sent before it was listed: the listing
    holds it for a supervisor."""
    from wms.catalog.models import Product
    from wms.catalog.services import register_product
    from wms.inbound.receipts import LineInput, create_receipt
    if session.scalar(select(Product.id).where(Product.sku == TRADER_SKU)):
        return 0
    register_product(session, owner_code=DISHONEST_OWNER, sku=TRADER_SKU,
                     name_zh="金城优品婴儿配方奶粉 1段 900g", name_en="Jincheng infant formula 900 g",
                     hs_code="1901101010", gname="婴儿配方奶粉", gmodel="0-6月龄|900g/罐",
                     customs_unit="122", legal_unit1="035", legal_factor1="0.9",
                     origin_country="304", declared_price="168.00", net_weight_kg="0.9",
                     gross_weight_kg="1.1", track_lot=True, track_expiry=True,
                     category="milk powder")
    create_receipt(session, owner_code=DISHONEST_OWNER, warehouse_code="LZB",
                   supplier="Rotterdam Dairy Trading B.V.", supplier_ref="JC-ASN-2610",
                   train_no="X8024", transport_mode="3",
                   lines=[LineInput(TRADER_SKU, 480, "JC-2610", "2027-09-01")])
    return 2


def load_credit_demo(session: Session) -> int:
    """Idempotent; returns how many records it added."""
    from wms.demo import demo_uscc
    from wms.inbound.receipts import LineInput, create_receipt
    added = 0
    for enterprise in session.scalars(select(Enterprise).where(
            Enterprise.credit_class == "advanced", Enterprise.aeo_certificate.is_(None))):
        enterprise.aeo_certificate = f"AEOCN{enterprise.customs_code}"
        added += 1
    trader = session.scalar(select(Enterprise).where(
        Enterprise.customs_code == DISHONEST_OWNER))
    if trader is None:
        trader = register_enterprise(
            session, customs_code=DISHONEST_OWNER, uscc=demo_uscc(DISHONEST["uscc_body"]),
            name=DISHONEST["name"], name_en=DISHONEST["name_en"], roles=["owner"],
            credit_class="dishonest", address=DISHONEST["address"])
        added += 1
    if not session.scalar(select(BlacklistEntry.id).where(
            BlacklistEntry.enterprise_id == trader.id)):
        added += _advance_notice_before_listing(session)
        blacklist_enterprise(session, trader, listed_from=date.today() - timedelta(days=12),
                             listed_until=date.today() + timedelta(days=353), **LISTING)
        added += 1
    if not session.scalar(select(EnterpriseRefusal.id).where(
            EnterpriseRefusal.enterprise_id == trader.id)):
        attempt = session.begin_nested()
        try:
            create_receipt(session, owner_code=DISHONEST_OWNER, warehouse_code="LZB",
                           supplier="Rotterdam Dairy Trading B.V.", supplier_ref="JC-ASN-2611",
                           train_no="X8024", transport_mode="3",
                           lines=[LineInput(TRADER_SKU, 600, "FAKE-2611", "2027-10-01")])
        except EnterpriseBlacklisted:
            attempt.rollback()
            added += record_refusals(session)
        else:
            raise AssertionError("the blacklisted trader's receipt was accepted")
    session.flush()
    return added
