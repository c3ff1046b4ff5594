"""The recall notice list as a PDF: the recall, the stock it blocks, and every order and
buyer to tell. A4 landscape, Chinese in reportlab's own ``STSong-Light`` CID font (as
``wms.outbound.documents``), so no font file is needed. Headings are bilingual: the notice
goes to customs and to the owner alike."""
from __future__ import annotations

import io
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from xml.sax.saxutils import escape

from wms.outbound.documents import _font, _num

from .models import Recall
from .recall import BlockedStock, NoticeLine

BEIJING = ZoneInfo("Asia/Shanghai")
STAGES = {"reserved": "库内已拦截 stopped in the warehouse", "picked": "已拣未发 picked, not shipped",
          "shipped": "已发出 shipped: tell the buyer"}


def _when(value) -> str:
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if value else ""


def notice_pdf(recall: Recall, notices: list[NoticeLine], stock: list[BlockedStock],
               lots: list[str]) -> bytes:
    font = _font()
    title = ParagraphStyle("title", fontName=font, fontSize=15, leading=19, spaceAfter=4)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12)
    cell = ParagraphStyle("cell", fontName=font, fontSize=7.5, leading=9.5)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=10 * mm,
                            rightMargin=10 * mm, topMargin=12 * mm, bottomMargin=12 * mm,
                            title=f"Recall notice list {recall.name}", author="Lanzhou WMS")
    product = recall.product
    story = [
        Paragraph(escape(f"召回通知清单 Recall notice list {recall.name}"), title),
        Paragraph(escape(f"商品 Product: {product.sku} {product.name_zh} · 批次 Lots: "
                         f"{', '.join(lots)} · 状态 State: {recall.state}"), body),
        Paragraph(escape(f"原因 Reason: {recall.reason}"
                         + (f" · 依据 Authority: {recall.authority}" if recall.authority
                            else "")), body),
        Paragraph(escape(f"发起 Started: {_when(recall.started_at)}"
                         + (f" · 关闭 Closed: {_when(recall.closed_at)} {recall.close_note or ''}"
                            if recall.closed_at else "")), body),
        Spacer(1, 3 * mm),
        Paragraph("冻结库存 Blocked stock", body),
    ]
    style = TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP")])
    rows = [[Paragraph(h, cell) for h in ("库位 Location", "批次 Lot", "海关状态 Status",
                                          "数量 Qty")]]
    rows += [[Paragraph(escape(s.location), cell), Paragraph(escape(s.lot), cell),
              Paragraph(s.status, cell), Paragraph(_num(s.quantity), cell)] for s in stock]
    table = Table(rows, colWidths=(90 * mm, 50 * mm, 40 * mm, 30 * mm), repeatRows=1)
    table.setStyle(style)
    story += [table, Spacer(1, 4 * mm),
              Paragraph(escape(f"通知对象 Orders and buyers to tell: {len(notices)}"), body)]
    head = ("订单 Order", "平台单号 Order no", "买家 Buyer", "证件 ID", "电话 Phone",
            "收货地址 Address", "批次 Lot", "数量 Qty", "阶段 Stage", "运单 Parcel", "发出 Shipped")
    rows = [[Paragraph(h, cell) for h in head]]
    for n in notices:
        rows.append([Paragraph(escape(str(v)), cell) for v in (
            n.order, n.order_no, n.buyer_name, n.buyer_id, n.buyer_phone,
            f"{n.consignee} {n.address}", n.lot, _num(n.quantity), STAGES[n.stage],
            n.parcels, _when(n.shipped_at))])
    widths = (30, 30, 18, 30, 22, 52, 22, 12, 26, 26, 22)
    table = Table(rows, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(style)
    story.append(table)
    doc.build(story)
    return buffer.getvalue()
