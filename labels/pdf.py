"""PDF backend: draws a list of layout primitives onto a reportlab canvas at real size."""

import io

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from labels.layout import QR, Bars, Rule, Text
from labels.symbols import ReportlabWriter
from labels.text import ASCENT, LEADING, register_fonts


class PdfBackend:
    """One PDF document; ``draw`` paints a label whose top-left corner is at (ox, oy) mm."""

    def __init__(self, page_w: float, page_h: float, title: str = "labels"):
        register_fonts()
        self.buffer = io.BytesIO()
        self.canvas = Canvas(self.buffer, pagesize=(page_w * mm, page_h * mm),
                             pageCompression=1)
        self.canvas.setTitle(title)
        self.canvas.setAuthor("wms labels")
        self.page_h = page_h * mm
        self.writer = ReportlabWriter()

    def draw(self, items: list, ox: float = 0.0, oy: float = 0.0) -> None:
        c = self.canvas
        x0, y0 = ox * mm, self.page_h - oy * mm
        for item in items:
            kind = type(item)
            if kind is Text:
                c.setFont(item.font, item.size)
                step = item.size * LEADING
                base = y0 - item.y * mm - item.size * ASCENT
                for line in item.lines:
                    if item.align == "center":
                        c.drawCentredString(x0 + (item.x + item.w / 2) * mm, base, line)
                    elif item.align == "right":
                        c.drawRightString(x0 + (item.x + item.w) * mm, base, line)
                    else:
                        c.drawString(x0 + item.x * mm, base, line)
                    base -= step
            elif kind is Bars:
                self.writer.draw(c, x0 + item.left * mm, y0 - item.y * mm, item.symbol,
                                 item.module, item.height, item.hri_size,
                                 item.symbol.hri if item.hri_size else "")
            elif kind is Rule:
                if item.fill:
                    c.rect(x0 + item.x * mm, y0 - (item.y + item.h) * mm, item.w * mm,
                           item.h * mm, stroke=0, fill=1)
                else:
                    c.setLineWidth(item.weight * mm)
                    c.rect(x0 + item.x * mm, y0 - (item.y + item.h) * mm, item.w * mm,
                           item.h * mm, stroke=1, fill=0)
            elif kind is QR:
                self._qr(item, x0, y0)

    def _qr(self, item: QR, x0: float, y0: float) -> None:
        """Each row's dark runs become one rectangle, like the linear bars."""
        size = len(item.matrix)
        module = item.size / size * mm
        left, top = x0 + item.x * mm, y0 - item.y * mm
        for r, row in enumerate(item.matrix):
            c = 0
            while c < size:
                if row[c]:
                    start = c
                    while c < size and row[c]:
                        c += 1
                    self.canvas.rect(left + start * module, top - (r + 1) * module,
                                     (c - start) * module, module, stroke=0, fill=1)
                else:
                    c += 1

    def next_page(self) -> None:
        self.canvas.showPage()

    def finish(self) -> bytes:
        self.canvas.save()
        return self.buffer.getvalue()
