"""The order's customs messages: the three documents and the inventory list, built from the
stored order into the outbox, and the receipts that move it.

1210 (bonded import): CEB311 order, CEB411 payment, CEB511 waybill, CEB621 list.
9610 / 9710 / 9810 (export): CEB303 order, CEB505 waybill, CEB603 list.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.core.db import utcnow
from wms.core.errors import N_, Conflict
from wms.customs import ceb, inbox
from wms.customs.ceb_rules import export_classification
from wms.customs.declarant import base_transfer, declaring_agent
from wms.customs.models import CustomsMessage
from wms.customs.outbox import queue_message
from wms.partners.blacklist import refuse_held
from wms.partners.models import Enterprise
from wms.settings import Settings

from .models import InventoryList, SalesOrder
from .queries import resolve_order

# A receipt answers the message whose number is one lower (CEB622 answers CEB621).
ANSWERS = {"CEB312": "CEB311", "CEB412": "CEB411", "CEB512": "CEB511", "CEB622": "CEB621",
           "CEB626": "CEB625", "CEB304": "CEB303", "CEB506": "CEB505", "CEB604": "CEB603",
           "CEB702": "CEB701"}
LIST_TYPES = ("CEB621", "CEB603")


def _weights(order: SalesOrder) -> tuple[Decimal, Decimal]:
    net = sum((ln.qty * ln.product.net_weight_kg for ln in order.lines), Decimal(0))
    gross = sum((ln.qty * ln.product.gross_weight_kg for ln in order.lines), Decimal(0))
    return net, max(gross, net)


def _documents(order: SalesOrder, agent: Enterprise, now) -> list:
    warehouse, platform, owner, waybill = (order.warehouse, order.platform, order.owner,
                                           order.waybill)
    net, gross = _weights(order)
    area = warehouse.customs_area_code or ""
    if order.trade_mode == "1210":
        payment = order.payment
        return [
            ceb.Order(app_time=now, order_no=order.order_no, ebp_code=platform.customs_code,
                      ebp_name=platform.name, ebc_code=owner.customs_code, ebc_name=owner.name,
                      goods_value=order.goods_value, freight=order.freight,
                      discount=order.discount, tax_total=order.tax_total,
                      actural_paid=order.actual_paid, buyer_reg_no=order.buyer_reg_no,
                      buyer_name=order.buyer_name, buyer_telephone=order.buyer_phone,
                      buyer_id_number=order.buyer_id_number, pay_code=order.pay_code or "",
                      pay_name=order.pay_name or "",
                      pay_transaction_id=order.pay_transaction_id or "",
                      consignee=order.consignee, consignee_telephone=order.consignee_phone,
                      consignee_address=order.consignee_address,
                      consignee_district=order.consignee_district or "",
                      items=[ceb.OrderItem(gnum=ln.gnum, item_no=ln.product.sku,
                                           item_name=ln.product.name_zh,
                                           gmodel=ln.product.gmodel,
                                           bar_code=ln.product.gtin or "",
                                           unit=ln.product.customs_unit, qty=ln.qty,
                                           price=ln.price, total_price=ln.total_price,
                                           country=ln.product.origin_country)
                             for ln in order.lines]),
            ceb.Payment(app_time=now, pay_code=payment.pay_code, pay_name=payment.pay_name,
                        pay_transaction_id=payment.pay_transaction_id, order_no=order.order_no,
                        ebp_code=platform.customs_code, ebp_name=platform.name,
                        payer_id_number=payment.payer_id_number, payer_name=payment.payer_name,
                        telephone=payment.telephone, amount_paid=payment.amount_paid,
                        pay_time=payment.paid_at),
            ceb.Logistics(app_time=now, logistics_code=waybill.logistics_code,
                          logistics_name=waybill.logistics_name,
                          logistics_no=waybill.logistics_no, order_no=order.order_no,
                          freight=waybill.freight, weight=gross or waybill.weight_kg,
                          consignee=waybill.consignee,
                          consignee_address=waybill.consignee_address,
                          consignee_telephone=waybill.consignee_phone),
            ceb.Inventory(app_time=now, order_no=order.order_no, ebp_code=platform.customs_code,
                          ebp_name=platform.name, ebc_code=owner.customs_code,
                          ebc_name=owner.name, logistics_no=waybill.logistics_no,
                          logistics_code=waybill.logistics_code,
                          logistics_name=waybill.logistics_name, cop_no=order.name,
                          assure_code=owner.customs_code, ems_no=warehouse.ems_no or "",
                          decl_time=now, customs_code=area, port_code=area,
                          ie_date=now, buyer_id_number=order.buyer_id_number,
                          buyer_name=order.buyer_name, buyer_telephone=order.buyer_phone,
                          consignee_address=order.consignee_address,
                          agent_code=agent.customs_code, agent_name=agent.name,
                          area_code=agent.customs_code, area_name=agent.name,
                          trade_mode="1210", traf_mode="Y", country="142",
                          freight=order.freight, insured_fee=Decimal(0), gross_weight=gross,
                          net_weight=net,
                          items=[ceb.InventoryItem(
                              gnum=ln.gnum, item_record_no=ln.product.item_record_no or "",
                              item_no=ln.product.sku, item_name=ln.product.name_zh,
                              gcode=ln.product.hs_code, gname=ln.product.gname,
                              gmodel=ln.product.gmodel, bar_code=ln.product.gtin or "",
                              country=ln.product.origin_country,
                              trade_country=ln.product.origin_country, qty=ln.qty,
                              unit=ln.product.customs_unit,
                              qty1=(ln.qty * ln.product.legal_factor1).normalize(),
                              unit1=ln.product.legal_unit1,
                              qty2=(ln.qty * ln.product.legal_factor2).normalize()
                              if ln.product.legal_unit2 else None,
                              unit2=ln.product.legal_unit2 or None, price=ln.price,
                              total_price=ln.total_price) for ln in order.lines]),
        ]
    flag, gcodes = export_classification(order.trade_mode, [
        (ln.product.hs_code, ln.product.simplified_export, ln.total_price)
        for ln in order.lines])
    return [
        ceb.ExportOrder(app_time=now, order_no=order.order_no, ebp_code=platform.customs_code,
                        ebp_name=platform.name, ebc_code=owner.customs_code,
                        ebc_name=owner.name, goods_value=order.goods_value,
                        freight=order.freight,
                        items=[ceb.ExportOrderItem(gnum=ln.gnum, item_no=ln.product.sku,
                                                   item_name=ln.product.name_zh,
                                                   unit=ln.product.customs_unit, qty=ln.qty,
                                                   price=ln.price, total_price=ln.total_price)
                               for ln in order.lines]),
        ceb.ExportLogistics(app_time=now, logistics_code=waybill.logistics_code,
                            logistics_name=waybill.logistics_name,
                            logistics_no=waybill.logistics_no, freight=order.freight,
                            insured_fee=Decimal(0), gross_weight=gross,
                            goods_info=waybill.goods_info or order.lines[0].product.gname),
        ceb.ExportInventory(app_time=now, customs_code=area, ebp_code=platform.customs_code,
                            ebp_name=platform.name, order_no=order.order_no,
                            logistics_code=waybill.logistics_code,
                            logistics_name=waybill.logistics_name,
                            logistics_no=waybill.logistics_no, cop_no=order.name,
                            port_code=area, ie_date=now, statistics_flag=flag,
                            agent_code=agent.customs_code, agent_name=agent.name,
                            ebc_code=owner.customs_code, ebc_name=owner.name,
                            owner_code=owner.customs_code, owner_name=owner.name,
                            trade_mode=order.trade_mode, traf_mode="3", country=order.country,
                            pod=order.country, freight=order.freight, insured_fee=Decimal(0),
                            wrap_type="2", gross_weight=gross, net_weight=net,
                            items=[ceb.ExportInventoryItem(
                                gnum=ln.gnum, item_no=ln.product.sku,
                                item_record_no=ln.product.item_record_no or "",
                                item_name=ln.product.name_zh, gcode=gcode,
                                gname=ln.product.gname, gmodel=ln.product.gmodel,
                                country=order.country, qty=ln.qty,
                                qty1=(ln.qty * ln.product.legal_factor1).normalize(),
                                unit=ln.product.customs_unit, unit1=ln.product.legal_unit1,
                                price=ln.price, total_price=ln.total_price,
                                simplified_eligible=ln.product.simplified_export)
                                for ln, gcode in zip(order.lines, gcodes)]),
    ]


def declare_order(session: Session, order: SalesOrder, *,
                  settings: Settings | None = None) -> InventoryList:
    """Queue the order's documents and its inventory list in the outbox (checked against
    the business rules always, and the official XSD when the settings name its folder)."""
    settings = settings or Settings.from_env()
    if order.state != "received":
        raise Conflict(N_("Order %(name)s is %(state)s: it was declared already"),
                       field="order", name=order.name, state=order.state)
    refuse_held(session, "order", [order], "order")
    agent = declaring_agent(session, settings)
    transfer = base_transfer(agent, settings)
    now = utcnow()
    listing = InventoryList(order_id=order.id)
    session.add(listing)
    listing.assign_name(session, f"{order.warehouse.code}/INVT")
    for doc in _documents(order, agent, now):
        xml = ceb.build(doc, transfer, xsd_dir=settings.ceb_xsd_dir)
        message_type = ceb.MESSAGE_TYPE_BY_CLASS[type(doc)].code
        message = queue_message(session, message_type, xml.decode("utf-8"), guid=doc.guid,
                                business_key=order.order_no, owner_id=order.owner_id)
        if message_type in LIST_TYPES:
            listing.message_id = message.id
    listing.transition("sent")
    order.transition("declared", reason=listing.name)
    session.flush()
    return listing


def declare(session: Session, ref, *, settings: Settings | None = None
            ) -> tuple[SalesOrder, InventoryList]:
    """The door: the order named by id, number or name, locked, then declared."""
    order = resolve_order(session, ref, lock=True)
    return order, declare_order(session, order, settings=settings)


@inbox.handles(*LIST_TYPES)
def _list_receipt(session: Session, message: CustomsMessage, receipt) -> None:
    """A list's 800 releases the order, 500 holds it for inspection, 100 rejects it with
    customs' reason."""
    _drive_list(session, message, receipt.return_status, receipt.return_info,
                receipt.invt_no, receipt.pre_no)


def _drive_list(session: Session, message: CustomsMessage, status: str, info: str | None,
                invt_no: str | None = None, pre_no: str | None = None) -> None:
    listing = session.scalar(select(InventoryList).where(InventoryList.message_id == message.id))
    if listing is None:
        return
    listing.invt_no = invt_no or listing.invt_no
    listing.pre_no = pre_no or listing.pre_no
    order = listing.order
    if status == "800" and listing.state in ("sent", "held"):
        list_released(session, order, listing, info)
    elif status.startswith("5") and listing.state == "sent":
        list_held(session, order, listing, info)
    elif status == "100" and listing.state in ("sent", "held"):
        list_rejected(session, order, listing, info)


def list_released(session: Session, order: SalesOrder, listing: InventoryList,
                  info: str | None = None) -> None:
    """800: customs released the list; the order may be picked."""
    listing.transition("released", reason=info)
    listing.released_at = utcnow()
    order.hold_reason = None
    order.transition("released", reason=info)


def list_held(session: Session, order: SalesOrder, listing: InventoryList,
              info: str | None = None) -> None:
    """500: held for inspection; nothing leaves until released."""
    listing.transition("held", reason=info)
    order.hold_reason = info
    order.transition("held", reason=info)


def list_rejected(session: Session, order: SalesOrder, listing: InventoryList,
                  info: str | None = None) -> None:
    """100: rejected with the reason shown; the buyer's quota is not used."""
    listing.transition("rejected", reason=info)
    order.hold_reason = info
    order.transition("rejected", reason=info)
