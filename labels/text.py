"""Fonts and text fitting.

Label boxes are fixed in millimetres, data is not: a consignee address may be one line or
five. Text is shrunk to fit its box down to a minimum legible size; below that the label is
refused (LabelDataError naming the field) instead of printing clipped or overlapping text.
"""

import os
import re
from functools import lru_cache

import barcode
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

from labels.errors import LabelDataError

PT = 25.4 / 72  # millimetres per point
LATIN, LATIN_BOLD = "Helvetica", "Helvetica-Bold"
CJK = "STSong-Light"  # reportlab's CID font for Simplified Chinese, no embedding needed
EXTENDED = "DejaVuSansMono"  # ships with python-barcode; covers e.g. Polish "ł" of Małaszewicze
ASCENT = 0.8  # top of box to baseline, in font sizes, good enough for all three faces
LEADING = 1.15

_CJK_RANGES = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_CJK_CHAR = re.compile(f"[{_CJK_RANGES}]")
# Wrapping tokens: one CJK character (breakable anywhere), a Latin word, or a space run.
_TOKENS = re.compile(f"[{_CJK_RANGES}]|[^\\s{_CJK_RANGES}]+|\\s+")


@lru_cache(maxsize=None)
def register_fonts() -> None:
    """Register the CJK and extended-Latin fonts once per process (registration is slow)."""
    pdfmetrics.registerFont(UnicodeCIDFont(CJK))
    path = os.path.join(os.path.dirname(barcode.__file__), "fonts", "DejaVuSansMono.ttf")
    pdfmetrics.registerFont(TTFont(EXTENDED, path))


@lru_cache(maxsize=4096)
def font_for(text: str, bold: bool = False) -> str:
    """Pick a face that has the glyphs: Helvetica for cp1252 text, STSong for Chinese."""
    if _CJK_CHAR.search(text):
        return CJK
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return EXTENDED
    return LATIN_BOLD if bold else LATIN


def width_mm(text: str, font: str, size: float) -> float:
    """Advance width of the text in millimetres."""
    return pdfmetrics.stringWidth(text, font, size) * PT


def fit_line(field: str, text: str, width: float, size: float, min_size: float,
             bold: bool = False) -> tuple:
    """Largest size <= ``size`` (half-point steps) at which one line fits ``width`` mm."""
    register_fonts()
    font = font_for(text, bold)
    natural = width_mm(text, font, size)
    if natural > width:
        size = int(size * width / natural * 2) / 2
        if size < min_size:
            raise LabelDataError(
                field, f"text {text!r} does not fit {width:.0f} mm even at {min_size:g} pt"
            )
    return font, size


def _wrap(text: str, font: str, size: float, width: float) -> list:
    limit = width / PT
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for token in _TOKENS.findall(paragraph.strip()):
            candidate = line + token
            if pdfmetrics.stringWidth(candidate, font, size) <= limit:
                line = candidate
                continue
            if line.strip():
                lines.append(line.rstrip())
            line = "" if token.isspace() else token
            while pdfmetrics.stringWidth(line, font, size) > limit:
                cut = len(line) - 1
                while cut > 1 and pdfmetrics.stringWidth(line[:cut], font, size) > limit:
                    cut -= 1
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line.rstrip())
    return lines


def fit_block(field: str, text: str, width: float, height: float, size: float,
              min_size: float, bold: bool = False) -> tuple:
    """Wrap text into a width x height mm box; returns (font, size, lines) or refuses it."""
    register_fonts()
    font = font_for(text, bold)
    while size >= min_size:
        lines = _wrap(text, font, size, width)
        if len(lines) * size * LEADING * PT <= height + 0.01:
            return font, size, lines
        size -= 0.5
    raise LabelDataError(
        field, f"text does not fit {width:.0f} x {height:.0f} mm even at {min_size:g} pt"
    )
