"""Barcode symbols: python-barcode builds the module pattern, reportlab draws it as vectors.

python-barcode knows the symbologies (Code128 charset switching, the GS1-128 FNC1, EAN-13
parity); :class:`ReportlabWriter` plugs into its ``BaseWriter`` callbacks and paints each run
of dark modules as one filled rectangle at the exact module width, so the PDF stays sharp
at any printer resolution and never goes through a raster image.
"""

from dataclasses import dataclass
from functools import lru_cache
from decimal import Decimal

import qrcode
from barcode.charsets import code128 as c128
from barcode.codex import Code128, Gs1_128
from barcode.ean import EuropeanArticleNumber13
from barcode.writer import BaseWriter
from reportlab.lib.units import mm
from stdnum import gs1_128
from stdnum.exceptions import ValidationError

from labels.errors import LabelDataError
from labels.text import LATIN

FNC1 = "\xf1"  # python-barcode's FNC1 character; stdnum writes it between variable fields
_PRINTABLE = {chr(c) for c in range(32, 127)}
_VARIABLE_MAX = {"10": 20, "21": 20, "400": 30}


@dataclass(frozen=True)
class Symbol:
    """A linear barcode ready to draw: pattern plus what it says.

    ``pattern`` is python-barcode's module string ('1' bar, '0' space, 'G' guard bar);
    ``codewords`` are the Code128 symbol characters (start code first, no check/stop),
    which the ZPL writer turns into ^BC invocation codes so both outputs carry the same
    symbol. ``quiet`` is (left, right) in modules.
    """

    kind: str
    data: str
    hri: str
    pattern: str
    quiet: tuple
    codewords: tuple = ()

    @property
    def modules(self) -> int:
        return len(self.pattern) + self.quiet[0] + self.quiet[1]


def _pattern(codewords: list) -> str:
    """Module pattern of Code128 codewords: symbol characters, mod 103 check, stop."""
    check = (codewords[0] + sum(i * cw for i, cw in enumerate(codewords[1:], 1))) % 103
    return "".join(c128.CODES[cw] for cw in codewords) + c128.CODES[check] + c128.STOP + "11"


@lru_cache(maxsize=2048)
def _code128(cls: type, data: str) -> tuple:
    # python-barcode keeps charset state on the instance: one fresh instance per build,
    # and the result cached, since a selection prints the same lot or GTIN many times.
    codewords = cls(data).encoded
    return _pattern(codewords), tuple(codewords)


def code128(field: str, data: str) -> Symbol:
    """Plain Code128 (location barcodes, waybills, S10 numbers, AWB + piece)."""
    bad = sorted({ch for ch in data if ch not in _PRINTABLE})
    if not data or bad:
        raise LabelDataError(field, f"Code128 takes printable ASCII only, got {data!r}")
    pattern, codewords = _code128(Code128, data)
    return Symbol("code128", data, data, pattern, (10, 10), codewords)


# GS1 General Specifications, "predefined length" AIs: no FNC1 needed after these.
_PREDEFINED = {"00", "01", "02", "03", "04", "11", "12", "13", "14", "15", "16", "17", "18",
               "19", "20", "31", "32", "33", "34", "35", "36", "41"}


@lru_cache(maxsize=4096)
def _element(ai: str, value) -> str:
    return gs1_128.encode({ai: value})


def gs1_element(field: str, ai: str, value) -> tuple:
    """(AI, encoded element) validated by python-stdnum, errors naming ``field``."""
    if ai in _VARIABLE_MAX and len(str(value)) > _VARIABLE_MAX[ai]:
        raise LabelDataError(field, f"AI ({ai}) holds at most {_VARIABLE_MAX[ai]} characters")
    if isinstance(value, Decimal) and len(str(int(value))) > 5:
        raise LabelDataError(field, f"AI ({ai}) value {value} is too large")
    try:
        encoded = _element(ai, value)
    except ValidationError as exc:
        raise LabelDataError(field, f"AI ({ai}): {exc}") from None
    bad = sorted({ch for ch in encoded if ch not in _PRINTABLE})
    if bad:
        raise LabelDataError(field, f"GS1-128 takes printable ASCII only, got {bad!r}")
    return ai, encoded


def gs1_128_symbol(field: str, elements: dict) -> Symbol:
    """GS1-128 from {AI: value}: FNC1 first, FNC1 after each variable-length field but the last.

    Elements are encoded one by one by python-stdnum (``gs1_128.encode``, which validates
    formats and GTIN check digits); predefined-length elements go first, as stdnum orders
    them, so the fewest separators are needed.
    """
    return gs1_symbol([gs1_element(field, ai, v) for ai, v in elements.items()])


def gs1_symbol(elements: list) -> Symbol:
    """GS1-128 from already validated (AI, encoded element) pairs."""
    ordered = sorted(elements, key=lambda e: e[0][:2] not in _PREDEFINED)
    data, hri = "", ""
    for i, (ai, encoded) in enumerate(ordered):
        data += encoded
        hri += f"({ai}){encoded[len(ai):]}"
        if ai[:2] not in _PREDEFINED and i < len(ordered) - 1:
            data += FNC1
    pattern, codewords = _code128(Gs1_128, data)
    return Symbol("gs1-128", data, hri, pattern, (10, 10), codewords)


def gs1_modules(elements: list) -> int:
    """Width in modules (with quiet zones) a GS1-128 symbol of these elements would take."""
    return gs1_symbol(elements).modules


def ean13(field: str, gtin13: str) -> Symbol:
    """EAN-13 with long guard bars; quiet zones 11 left / 7 right modules as GS1 requires."""
    pattern = EuropeanArticleNumber13(gtin13, guardbar=True).build()[0]
    hri = f"{gtin13[0]} {gtin13[1:7]} {gtin13[7:]}"
    return Symbol("ean13", gtin13, hri, pattern, (11, 7))


def qr_matrix(data: str) -> list:
    """QR module matrix (rows of booleans, no border) at error correction level M."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    qr.add_data(data)
    qr.make(fit=True)
    return qr.get_matrix()


def zpl_code128_data(symbol: Symbol) -> str:
    """Translate Code128 codewords into ZPL ^BC mode-N data with invocation codes.

    >9 >: >; start in subset A/B/C, >5 >6 >7 switch to C/B/A, >8 is FNC1, >< a literal '>'.
    """
    start = {103: "A", 104: "B", 105: "C"}[symbol.codewords[0]]
    out = [{"A": ">9", "B": ">:", "C": ">;"}[start]]
    subset = start
    for cw in symbol.codewords[1:]:
        if cw == 102:
            out.append(">8")
        elif cw in (99, 100, 101) and not (subset == "C" and cw == 99):
            target = {99: "C", 100: "B", 101: "A"}[cw]
            if subset != "C" and cw == {"A": 101, "B": 100}[subset]:
                raise LabelDataError("barcode", "FNC4 is not supported")
            out.append({"C": ">5", "B": ">6", "A": ">7"}[target])
            subset = target
        elif subset == "C":
            out.append(f"{cw:02d}")
        elif cw < 64 or subset == "B":
            ch = chr(cw + 32)
            out.append("><" if ch == ">" else ch)
        else:
            raise LabelDataError("barcode", "control characters are not supported")
    return "".join(out)


class ReportlabWriter(BaseWriter):
    """python-barcode writer painting onto a reportlab canvas, in millimetres.

    ``draw`` sets the origin (top-left of the left quiet zone, in PDF points) and runs
    python-barcode's own ``render`` loop, which already merges adjacent modules of one
    colour into runs: one rectangle per bar, no stroke, nothing for spaces.
    """

    def __init__(self):
        super().__init__(None, self._paint_module, self._paint_text, self._finish)
        self._canvas = None
        self._x0 = self._y0 = 0.0

    def draw(self, canvas, x_pt: float, y_top_pt: float, symbol: Symbol, module: float,
             height: float, font_size: float, text: str) -> None:
        self._canvas = canvas
        self._x0, self._y0 = x_pt, y_top_pt
        guard = symbol.kind == "ean13"
        self.module_width = module
        self.module_height = height
        self.quiet_zone = symbol.quiet[0] * module
        self.margin_top = 0.0
        self.font_size = font_size
        self.text = text
        # Code128: baseline one cap height plus a 0.7 mm gap under the bars. EAN-13: guard
        # bars reach half a character into the digit line, as on retail packs.
        self.text_distance = 0.7 + font_size * 0.72 * 25.4 / 72
        self.guard_height_factor = 1 + (font_size * 0.5 * 25.4 / 72) / height if guard else 1.0
        canvas.setFont(LATIN, font_size)
        self.render([symbol.pattern])

    def _paint_module(self, xpos: float, ypos: float, width: float, color) -> None:
        if color == self.background:
            return
        self._canvas.rect(self._x0 + xpos * mm, self._y0 - (ypos + self.module_height) * mm,
                          width * mm, self.module_height * mm, stroke=0, fill=1)

    def _paint_text(self, xpos: float, ypos: float) -> None:
        self._canvas.drawCentredString(self._x0 + xpos * mm, self._y0 - ypos * mm, self.text)

    def _finish(self) -> None:
        self._canvas = None
