"""Printable outbound documents: the wave's pick list.

Drawn with reportlab's platypus tables on A4, Chinese in the ``STSong-Light`` CID font that
reportlab ships (as ``wms.inbound.documents``), so the PDF needs no font files.
"""
from __future__ import annotations

import io
from decimal import Decimal
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .models import Wave
from .queries import PickRow

FONT = "STSong-Light"
BEIJING = ZoneInfo("Asia/Shanghai")
STATE_TITLES = {"reserved": "待拣 open", "done": "已拣 picked", "cancelled": "未拣 not picked"}


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _num(value) -> str:
    if value is None:
        return ""
    text = format(Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def pick_list_pdf(wave: Wave, rows: list[PickRow], *, warehouse_name: str = "",
                  orders: list[str] | None = None) -> bytes:
    """A4 pick list: the wave, its orders, then one row per pick in walking order with a
    box to tick and room to write what was found."""
    font = _font()
    title = ParagraphStyle("title", fontName=font, fontSize=15, leading=19, spaceAfter=4)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12)
    cell = ParagraphStyle("cell", fontName=font, fontSize=8, leading=10)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=14 * mm, bottomMargin=14 * mm,
                            title=f"Pick list {wave.name}", author="Lanzhou WMS")
    created = wave.created_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") \
        if wave.created_at else ""
    story = [Paragraph(f"拣货单 Pick list {wave.name}", title),
             Paragraph(f"仓库 Warehouse: {warehouse_name} · 状态 State: {wave.state} · "
                       f"创建 Created: {created}", body)]
    if orders:
        story.append(Paragraph("订单 Orders: " + ", ".join(orders), body))
    story.append(Spacer(1, 4 * mm))
    head = ["#", "库位 Location", "商品 Product", "批次 Lot / 效期 Expiry", "应拣 Qty",
            "实拣 Picked", "订单 Order", "✓"]
    data = [[Paragraph(h, cell) for h in head]]
    for i, r in enumerate(rows, start=1):
        product = r.product
        lot = r.lot.name if r.lot else "—"
        if r.lot is not None and r.lot.expiry_date:
            lot += f" / {r.lot.expiry_date.isoformat()}"
        picked = _num(r.picked) if r.picked is not None else ""
        if r.short is not None:
            picked += f" (短拣 short: {r.short.reason or ''})"
        data.append([Paragraph(str(i), cell),
                     Paragraph(f"{r.location.full_path}<br/>{r.location.barcode or ''}", cell),
                     Paragraph(f"{product.sku}<br/>{product.name_zh}", cell),
                     Paragraph(lot, cell), Paragraph(_num(r.expected), cell),
                     Paragraph(picked, cell), Paragraph(f"{r.order_name} #{r.gnum}", cell),
                     Paragraph("□" if r.move.state == "reserved" else "■", cell)])
    table = Table(data, colWidths=[8 * mm, 34 * mm, 50 * mm, 30 * mm, 14 * mm, 20 * mm,
                                   24 * mm, 6 * mm], repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    story.append(table)
    story.append(Spacer(1, 8 * mm))
    story.append(Paragraph("拣货员 Picker: ____________ 复核 Checked: ____________ "
                           "日期 Date: ____________", body))
    doc.build(story)
    return buffer.getvalue()
