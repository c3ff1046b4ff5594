"""Printable documents of a receipt: the discrepancy report and the entry declaration.

Drawn with reportlab's platypus tables on A4, Chinese in the ``STSong-Light`` CID font that
reportlab ships, so the PDF needs no font files from outside.
"""
from __future__ import annotations

import io
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from wms.core.messages import state_word

from .models import Discrepancy, EntryDeclaration, Receipt

FONT = "STSong-Light"
BEIJING = ZoneInfo("Asia/Shanghai")
KIND_TITLES = {"short": "短少 short", "over": "溢余 over", "damaged": "残损 damaged",
               "unexpected": "非预报 unexpected", "wrong_lot": "批次不符 wrong lot"}


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _styles():
    font = _font()
    return (ParagraphStyle("title", fontName=font, fontSize=15, leading=19, spaceAfter=4),
            ParagraphStyle("body", fontName=font, fontSize=9, leading=12),
            ParagraphStyle("cell", fontName=font, fontSize=8, leading=10))


def _when(value) -> str:
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if value else "—"


def _num(value) -> str:
    if value is None:
        return ""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _table(rows, widths, cell):
    data = [[Paragraph(str(v), cell) for v in row] for row in rows]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


def _head(receipt: Receipt, body, translate) -> list:
    facts = [
        f"收货单 Receipt: {receipt.name} · 状态 {translate(state_word(receipt.state))}",
        f"货主 Owner: {receipt.owner.name} ({receipt.owner.customs_code})",
        f"仓库 Warehouse: {receipt.warehouse.name} · 账册 {receipt.warehouse.ems_no or '—'}",
        f"供应商 Supplier: {receipt.supplier} · 贸易方式 {receipt.trade_mode}",
        f"车次/航班 {receipt.train_no or receipt.air_waybill or '—'} · 集装箱 "
        f"{receipt.container_no or '—'} · 封志 {receipt.seal_no or '—'}",
        f"到达 Arrived: {_when(receipt.arrived_at)} · 理货结束 Tally closed: "
        f"{_when(receipt.tally_closed_at)}",
    ]
    return [Paragraph(f, body) for f in facts]


def discrepancy_report_pdf(receipt: Receipt, discrepancies: list[Discrepancy],
                           translate=lambda template: template) -> bytes:
    """``translate`` renders the notes' codes in the reader's language (the edge's gettext)."""
    title, body, cell = _styles()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=15 * mm, bottomMargin=15 * mm,
                            title=f"Discrepancy report {receipt.name}")
    story = [Paragraph("理货差异报告 Tally discrepancy report", title),
             *_head(receipt, body, translate),
             Spacer(1, 6 * mm)]
    if discrepancies:
        rows = [["类型 Kind", "商品 Product", "批次 Lot", "预报 Advised", "理货 Tallied",
                 "差异 Diff.", "说明 Note"]]
        for d in discrepancies:
            rows.append([KIND_TITLES.get(d.kind, d.kind), f"{d.product.sku}<br/>{d.product.name_zh}",
                         d.lot_name or "—", _num(d.expected_qty), _num(d.tallied_qty),
                         _num(d.difference) if d.kind != "damaged" else "",
                         d.note(translate) or ""])
        story.append(_table(rows, [24 * mm, 48 * mm, 22 * mm, 18 * mm, 18 * mm, 16 * mm,
                                   34 * mm], cell))
    else:
        story.append(Paragraph("无差异 No discrepancies: the tally matched the advice.", body))
    story += [Spacer(1, 12 * mm), Paragraph("理货员 Tally clerk: ________    主管 Supervisor: "
                                            "________    日期 Date: ________", body)]
    doc.build(story)
    return buffer.getvalue()


def declaration_pdf(declaration: EntryDeclaration,
                    translate=lambda template: template) -> bytes:
    """``translate`` says the receipt's state and each item's decision in the reader's
    language (the edge's gettext)."""
    title, body, cell = _styles()
    receipt = declaration.receipt
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=12 * mm,
                            rightMargin=12 * mm, topMargin=12 * mm, bottomMargin=12 * mm,
                            title=f"Entry record list {declaration.name}")
    story = [Paragraph(f"进境备案清单 Entry record list {declaration.name}", title),
             Paragraph(f"GUID {declaration.guid} · 币制 CNY (142) · 总价 "
                       f"{_num(declaration.total_value)} · 净重 {_num(declaration.total_net_kg)} kg"
                       f" · 毛重 {_num(declaration.total_gross_kg)} kg", body),
             *_head(receipt, body, translate), Spacer(1, 5 * mm)]
    rows = [["项号", "备案序号 Record no.", "商品编码 HS", "商品名称 / 规格", "原产国",
             "数量/单位", "法定数量 1", "法定数量 2", "单价", "总价", "净重 kg", "毛重 kg", "放行"]]
    for ln in declaration.lines:
        rows.append([ln.gnum, ln.item_record_no, ln.hs_code, f"{ln.gname}<br/>{ln.gmodel}",
                     ln.origin_country, f"{_num(ln.qty)} / {ln.unit}",
                     f"{_num(ln.qty1)} / {ln.unit1}",
                     f"{_num(ln.qty2)} / {ln.unit2}" if ln.unit2 else "—", _num(ln.price),
                     _num(ln.total_price), _num(ln.net_kg), _num(ln.gross_kg),
                     translate(state_word(ln.decision))])
    story.append(_table(rows, [10 * mm, 30 * mm, 22 * mm, 52 * mm, 14 * mm, 22 * mm,
                               22 * mm, 20 * mm, 16 * mm, 20 * mm, 16 * mm, 16 * mm,
                               14 * mm], cell))
    doc.build(story)
    return buffer.getvalue()
