"""ZPL II backend: the same layout primitives as ZPL for Zebra printers at 203 dpi.

One ``^XA ... ^XZ`` block per label. Text is UTF-8 (``^CI28``) in the scalable font 0;
Chinese text needs a CJK font on the printer, named by :data:`CJK_FONT` (Zebra's optional
Simplified Chinese font; change it to whatever the printers carry). Code128 and GS1-128 are
written in ^BC mode N with explicit invocation codes derived from python-barcode's own
codewords (start code, subset switches, >8 for FNC1), so the printed symbol is the same one
the PDF shows. Human-readable lines are separate text fields, so GS1 AIs appear in
parentheses exactly as on the PDF.
"""

from labels.layout import QR, Bars, Rule, Text
from labels.stocks import DOTS_PER_MM
from labels.symbols import zpl_code128_data
from labels.text import CJK, LEADING, PT

CJK_FONT = "E:ANMDS.TTF"
_ESCAPE = {"^": "_5E", "~": "_7E", "_": "_5F"}


def dots(value_mm: float) -> int:
    return round(value_mm * DOTS_PER_MM)


def field_data(data: str) -> str:
    """^FD...^FS, switching on ^FH hex escapes when the data holds ^, ~ or _."""
    if any(ch in data for ch in _ESCAPE):
        return "^FH_^FD" + "".join(_ESCAPE.get(ch, ch) for ch in data) + "^FS"
    return "^FD" + data + "^FS"


def _font(font: str, size: float) -> str:
    h = max(10, dots(size * PT))
    if font == CJK:
        return f"^A@N,{h},{h},{CJK_FONT}"
    return f"^A0N,{h},{round(h * 0.9)}"


def _text_line(x: float, y: float, w: float, line: str, font: str, size: float,
               align: str) -> str:
    code = f"^FO{dots(x)},{dots(y)}{_font(font, size)}"
    if align != "left":
        code += f"^FB{dots(w)},1,0,{'C' if align == 'center' else 'R'},0"
    return code + field_data(line)


def label(items: list, width_mm: float, height_mm: float) -> str:
    """One complete ^XA...^XZ label."""
    out = ["^XA", "^CI28", f"^PW{dots(width_mm)}", f"^LL{dots(height_mm)}", "^LH0,0"]
    for item in items:
        kind = type(item)
        if kind is Text:
            step = item.size * LEADING * PT
            for i, line in enumerate(item.lines):
                out.append(_text_line(item.x, item.y + i * step, item.w, line, item.font,
                                      item.size, item.align))
        elif kind is Bars:
            out.append(_bars(item))
        elif kind is Rule:
            w, h = max(1, dots(item.w)), max(1, dots(item.h))
            thick = min(w, h) if item.fill else max(1, dots(item.weight))
            out.append(f"^FO{dots(item.x)},{dots(item.y)}^GB{w},{h},{thick}^FS")
        elif kind is QR:
            mag = max(1, min(10, int(item.size / len(item.matrix) * DOTS_PER_MM)))
            out.append(f"^FO{dots(item.x)},{dots(item.y)}^BQN,2,{mag}"
                       + field_data("MA," + item.data))
    out.append("^XZ")
    return "\n".join(out)


def _bars(item: Bars) -> str:
    s = item.symbol
    module = dots(item.module)
    h = dots(item.height)
    x = dots(item.left + s.quiet[0] * item.module)
    y = dots(item.y)
    if s.kind == "ean13":
        # ^BE prints its own digit line; the printer recomputes the check digit from the
        # first twelve digits.
        return f"^FO{x},{y}^BY{module}^BEN,{h},Y,N" + field_data(s.data[:12])
    code = f"^FO{x},{y}^BY{module}^BCN,{h},N,N,N,N" + field_data(zpl_code128_data(s))
    if item.hri_size:
        code += "\n" + _text_line(item.left, item.y + item.height + 0.7, item.width, s.hri,
                                  "Helvetica", item.hri_size, "center")
    return code
