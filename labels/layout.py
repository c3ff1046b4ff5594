"""Device-independent label layout: what goes where, in millimetres from the top-left.

A layout function fills a :class:`Layout` with a handful of primitives; the PDF backend
(``labels.pdf``) and the ZPL backend (``labels.zpl``) both draw the same list, so the two
outputs of one label cannot drift apart. Everything that can fail (text too long, barcode
too wide) fails here, while building, with a LabelDataError naming the field.
"""

from dataclasses import dataclass

from labels.errors import LabelDataError
from labels.stocks import DOTS_PER_MM
from labels.symbols import Symbol, qr_matrix
from labels.text import PT, fit_block, fit_line

DOT = 1 / DOTS_PER_MM  # module widths snap to whole 203 dpi dots so PDF and ZPL agree
MIN_MODULE = 0.25


@dataclass(slots=True)
class Text:
    """Lines of text; ``y`` is the top of the first line, ``w`` the box width for alignment."""

    x: float
    y: float
    w: float
    lines: list
    font: str
    size: float
    align: str = "left"


@dataclass(slots=True)
class Bars:
    """A linear symbol centred in a box of width ``w``; ``hri_size`` 0 means no text line."""

    x: float
    y: float
    w: float
    symbol: Symbol
    module: float
    height: float
    hri_size: float

    @property
    def width(self) -> float:
        return self.symbol.modules * self.module

    @property
    def left(self) -> float:
        return self.x + (self.w - self.width) / 2


@dataclass(slots=True)
class QR:
    """A QR code, ``size`` mm square without its quiet zone."""

    x: float
    y: float
    size: float
    data: str
    matrix: list


@dataclass(slots=True)
class Rule:
    """A filled rectangle: separators (thin) and boxes; ``fill`` False draws an outline."""

    x: float
    y: float
    w: float
    h: float
    fill: bool = True
    weight: float = 0.3


class Layout:
    """A label under construction, ``w`` x ``h`` mm."""

    def __init__(self, w: float, h: float):
        self.w, self.h = w, h
        self.items = []

    def text(self, field: str, text: str, x: float, y: float, w: float, size: float,
             min_size: float = 6, bold: bool = False, align: str = "left") -> float:
        """One line, shrunk to fit ``w``; returns the y just below it."""
        text = " ".join(str(text).split())
        if not text:
            return y
        font, size = fit_line(field, text, w, size, min_size, bold)
        self.items.append(Text(x, y, w, [text], font, size, align))
        return y + size * PT * 1.15

    def block(self, field: str, text: str, x: float, y: float, w: float, h: float,
              size: float, min_size: float = 6, bold: bool = False) -> float:
        """Wrapped text in a w x h box, shrunk to fit; returns the y below the last line."""
        text = str(text).strip()
        if not text:
            return y
        font, size, lines = fit_block(field, text, w, h, size, min_size, bold)
        self.items.append(Text(x, y, w, lines, font, size))
        return y + len(lines) * size * PT * 1.15

    def barcode(self, field: str, symbol: Symbol, x: float, y: float, w: float,
                height: float, max_module: float = 0.5, hri_size: float = 8) -> float:
        """Place a symbol with the widest module (whole dots, 0.25 mm minimum) that fits."""
        dots = int(w / symbol.modules / DOT + 1e-9)
        module = min(dots * DOT, max_module)
        if module < MIN_MODULE:
            raise LabelDataError(
                field, f"barcode needs {symbol.modules * MIN_MODULE:.0f} mm at "
                       f"{MIN_MODULE} mm per module, only {w:.0f} mm available")
        bars = Bars(x, y, w, symbol, module, height, 0)
        if hri_size:
            _, bars.hri_size = fit_line(field, symbol.hri, min(w, bars.width), hri_size, 5)
        self.items.append(bars)
        return y + self.barcode_height(height, bars.hri_size)

    @staticmethod
    def barcode_height(height: float, hri_size: float) -> float:
        """Height a barcode occupies: bars, gap, and the human-readable line."""
        return height + (0.7 + hri_size * PT * 1.0 if hri_size else 0)

    def qr(self, data: str, x: float, y: float, size: float) -> None:
        self.items.append(QR(x, y, size, data, qr_matrix(data)))

    def rule(self, x: float, y: float, w: float, h: float, fill: bool = True,
             weight: float = 0.3) -> None:
        self.items.append(Rule(x, y, w, h, fill, weight))

    def hline(self, y: float, x: float = 0, w: float = None, weight: float = 0.4) -> None:
        self.rule(x, y - weight / 2, self.w - x if w is None else w, weight)

    def vline(self, x: float, y: float, h: float, weight: float = 0.4) -> None:
        self.rule(x - weight / 2, y, weight, h)
