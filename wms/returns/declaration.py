"""The return application (退货申请单, CEB625) and customs' answer (CEB626).

A return is declared only when the order, its released inventory list, the waybill and the
returned items agree; each disagreement names the document and the field. The CEB626 comes
in through the customs inbox (``wms.customs.inbox``), which hands receipts for CEB625
messages to the handler registered here: 800 approves (the refund goes back to the buyer's
annual quota), 100 rejects (non-bonded handling only).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.core.db import utcnow
from wms.core.errors import N_, Conflict, ValidationError
from wms.customs import ceb, inbox
from wms.customs.declarant import base_transfer, declaring_agent
from wms.customs.models import CustomsMessage, CustomsReceipt
from wms.customs.outbox import queue_message
from wms.outbound.models import InventoryList
from wms.settings import Settings

from .models import ReturnDeclaration, ReturnRequest
from .queries import OPEN_STATES, declaration_of, listing_of, num
from .rules import PastDeadline

CEB_NS = "{http://www.chinaport.gov.cn/ceb}"
APPROVED, REJECTED = ("800", "899"), ("100", "700")


class DocumentsDisagree(ValidationError):
    """The return does not match the order, list or waybill; ``problems`` says which, each
    as ``{document, field, template, params, detail}`` (detail: the English words)."""
    code = "documents_disagree"

    def __init__(self, problems: list[dict]) -> None:
        first = problems[0]
        super().__init__(first["template"], field=first["field"], **first["params"])
        self.problems = problems
        self.extra = {"problems": [{"document": p["document"], "field": p["field"],
                                    "detail": p["detail"]} for p in problems]}


def list_number(session: Session, listing: InventoryList) -> str | None:
    """Customs' list number (invtNo): from the list, else from the CEB622 that released it
    (the customs inbox does not copy it onto the list)."""
    if listing.invt_no:
        return listing.invt_no
    if listing.message_id is None:
        return None
    for raw in session.scalars(select(CustomsReceipt.raw).where(
            CustomsReceipt.message_id == listing.message_id).order_by(CustomsReceipt.id.desc())):
        try:
            for receipt in ceb.parse_receipts(raw.encode("utf-8")):
                if receipt.invt_no:
                    return receipt.invt_no
        except Exception:  # a receipt we cannot read names no number
            continue
    return None


def _list_items(session: Session, listing: InventoryList) -> tuple[dict, dict[int, dict]]:
    """The head and items of the list as it was sent to customs."""
    from lxml import etree
    message = session.get(CustomsMessage, listing.message_id)
    root = etree.fromstring(message.xml.encode("utf-8"))
    head = root.find(f".//{CEB_NS}InventoryHead")
    head_values = {el.tag.replace(CEB_NS, ""): (el.text or "") for el in head} \
        if head is not None else {}
    items = {}
    for el in root.iter(f"{CEB_NS}InventoryList"):
        values = {c.tag.replace(CEB_NS, ""): (c.text or "") for c in el}
        try:
            items[int(values.get("gnum", "0"))] = values
        except ValueError:
            continue
    return head_values, items


def check_documents(session: Session, request: ReturnRequest) -> list[dict]:
    """Everything the return application needs to agree on; each problem names the document
    that disagrees (order, inventory list, waybill, return) and the field."""
    from decimal import Decimal
    problems: list[dict] = []

    def add(document: str, field_name: str, detail: str, **params) -> None:
        problems.append({"document": document, "field": field_name,
                         "detail": detail % params if params else detail,
                         "template": detail, "params": params})
    order = request.order
    listing = listing_of(session, order)
    if order.state != "shipped":
        add(N_("order"), "order", N_("order %(order)s is %(state)s, not shipped"),
            order=order.order_no, state=order.state)
    if listing is None or listing.state != "released":
        add(N_("inventory list"), "order", N_("the list of order %(order)s is not released"),
            order=order.order_no)
        return problems
    invt_no = list_number(session, listing)
    if not invt_no:
        add(N_("inventory list"), "invt_no", N_("customs gave no list number (invtNo) for "
                                                "%(name)s"), name=listing.name)
    head, items = _list_items(session, listing)
    if head.get("orderNo") != order.order_no:
        add(N_("inventory list"), "order_no", N_("the list names order %(listed)s, the order is "
                                                 "%(order)s"), listed=head.get("orderNo"),
            order=order.order_no)
    waybill = order.waybill
    if waybill is None:
        add(N_("waybill"), "waybill", N_("order %(order)s has no waybill"),
            order=order.order_no)
    elif head.get("logisticsNo") != waybill.logistics_no:
        add(N_("waybill"), "logistics_no", N_("waybill %(waybill)s is not the list's "
                                              "%(listed)s"), waybill=waybill.logistics_no,
            listed=head.get("logisticsNo"))
    by_gnum = {ln.gnum: ln for ln in order.lines}
    for i, line in enumerate(request.lines):
        where = f"lines[{i}]"
        order_line = by_gnum.get(line.gnum)
        item = items.get(line.gnum)
        if order_line is None or order_line.product_id != line.product_id:
            add(N_("order"), f"{where}.gnum", N_("item %(gnum)s of the return is not that "
                                                 "product on the order"), gnum=line.gnum)
            continue
        if item is None:
            add(N_("inventory list"), f"{where}.gnum", N_("the list has no item %(gnum)s"),
                gnum=line.gnum)
            continue
        if item.get("itemNo") and item.get("itemNo") != line.product.sku:
            add(N_("inventory list"), f"{where}.gnum", N_("item %(gnum)s is %(listed)s on the "
                                                          "list, %(sku)s on the return"),
                gnum=line.gnum, listed=item.get("itemNo"), sku=line.product.sku)
        released = Decimal(item.get("qty") or 0)
        already = order_line.returned_qty - (line.qty if request.state != "requested" else 0)
        if line.qty > released - already:
            add(N_("return"), f"{where}.qty", N_("item %(gnum)s: %(qty)s returned but "
                                                 "%(released)s released and %(already)s "
                                                 "returned already"), gnum=line.gnum,
                qty=num(line.qty), released=num(released), already=num(already))
    return problems


def declarable_problems(session: Session, request: ReturnRequest) -> list[dict]:
    """What the desk shows before the clerk declares: the documents' disagreements, for an
    open return in time that has no declaration waiting or approved."""
    if request.state not in OPEN_STATES or request.late:
        return []
    declaration = declaration_of(session, request)
    if declaration is not None and declaration.state != "rejected":
        return []
    return check_documents(session, request)


def declare_return(session: Session, request: ReturnRequest, *,
                   settings: Settings | None = None) -> ReturnDeclaration:
    """Generate the CEB625 return application into the customs outbox when order, list,
    waybill and items agree; its CEB626 receipt decides. The request is locked, so a
    second click cannot queue a second CEB625."""
    request = session.scalars(select(ReturnRequest).where(ReturnRequest.id == request.id)
                              .with_for_update(of=ReturnRequest)
                              .execution_options(populate_existing=True)).one()
    if request.late:
        raise PastDeadline(N_("Return %(name)s is past its deadline: it cannot be declared as "
                              "a bonded return and goes to non-bonded handling"),
                           field="return", name=request.name)
    if request.state not in OPEN_STATES:
        raise Conflict(N_("Return %(name)s is %(state)s: it cannot be declared"),
                       field="return", name=request.name, state=request.state)
    current = declaration_of(session, request)
    if current is not None and current.state in ("sent", "approved"):
        raise Conflict(N_("Return %(name)s was declared already (%(state)s)"), field="return",
                       name=request.name, state=current.state)
    problems = check_documents(session, request)
    if problems:
        raise DocumentsDisagree(problems)
    order, now = request.order, utcnow()
    listing = listing_of(session, order)
    settings = settings or Settings.from_env()
    agent = declaring_agent(session, settings)
    doc = ceb.InvtRefund(
        app_time=now, customs_code=order.warehouse.customs_area_code or "",
        order_no=order.order_no, ebp_code=order.platform.customs_code,
        ebp_name=order.platform.name, ebc_code=order.owner.customs_code,
        ebc_name=order.owner.name, logistics_no=order.waybill.logistics_no,
        logistics_code=order.waybill.logistics_code,
        logistics_name=order.waybill.logistics_name, cop_no=request.name.replace("/", ""),
        invt_no=list_number(session, listing), buyer_id_type=order.buyer_id_type,
        buyer_id_number=order.buyer_id_number, buyer_name=order.buyer_name,
        buyer_telephone=order.buyer_phone, agent_code=agent.customs_code,
        agent_name=agent.name, reason=request.reason[:500],
        items=[ceb.InvtRefundItem(gnum=ln.gnum, gcode=ln.product.hs_code,
                                  gname=ln.product.gname, qty=ln.qty,
                                  unit=ln.product.customs_unit) for ln in request.lines])
    xml = ceb.build(doc, base_transfer(agent, settings), xsd_dir=settings.ceb_xsd_dir)
    message = queue_message(session, "CEB625", xml.decode("utf-8"), guid=doc.guid,
                            business_key=request.name, owner_id=request.owner_id)
    declaration = ReturnDeclaration(request_id=request.id, message_id=message.id,
                                    invt_no=doc.invt_no, declared_at=now)
    session.add(declaration)
    session.flush()
    return declaration


@inbox.handles("CEB625")
def return_receipt(session: Session, message: CustomsMessage, receipt) -> None:
    """Customs' CEB626 for one CEB625: 800/899 approve, 100/700 reject; others only inform."""
    declaration = session.scalar(select(ReturnDeclaration).where(
        ReturnDeclaration.message_id == message.id))
    if declaration is not None and declaration.state == "sent" and \
            receipt.return_status in APPROVED + REJECTED:
        decide(session, declaration, receipt.return_status, receipt.return_info)


def decide(session: Session, declaration: ReturnDeclaration, status: str,
           info: str | None) -> None:
    declaration.decided_at = utcnow()
    declaration.return_info = (info or status)[:300]
    request = declaration.request
    if status in APPROVED:
        declaration.transition("approved", reason=info)
        # The returned purchase gives its amount back to the buyer's annual quota.
        request.order.refunded = min(request.order.actual_paid,
                                     request.order.refunded + request.refund_amount)
    else:
        declaration.transition("rejected", reason=info)
    session.flush()
