"""Mail bag (receptacle) label: the UPU S9 receptacle id as Code128 with what it says
spelled out, as offices of exchange print it on a bag's label (CN 35 style)."""

import re
from dataclasses import dataclass

from labels.errors import LabelDataError
from labels.layout import Layout
from labels.records import _f
from labels.symbols import code128

M = 3.0
TITLE = 6.5
PATTERN = re.compile(r"^([A-Z]{5}[A-Z0-9])([A-Z]{5}[A-Z0-9])([A-D])([A-Z][A-Z0-9])([0-9])"
                     r"([0-9]{4})([0-9]{3})([019])([019])([0-9]{4})$")
CATEGORIES = {"A": "AIR / PRIORITY", "B": "S.A.L.", "C": "SURFACE", "D": "PRIORITY BY SURFACE"}


@dataclass
class ReceptacleLabel:
    """Mail bag label for one UPU receptacle (S9 id, 29 characters)."""

    receptacle_id: str = _f("UPU receptacle id, 29 characters (e.g. CNLHWADEFRAAAUN60001001000125)")
    origin_name: str = _f("optional name of the origin office of exchange", default="")
    destination_name: str = _f("optional name of the destination office of exchange",
                               default="")
    carriage: str = _f("optional carriage: flight or train number", default="")


def receptacle(rec: ReceptacleLabel, w: float, h: float) -> Layout:
    number = re.sub(r"\s+", "", str(rec.receptacle_id)).upper()
    match = PATTERN.match(number)
    if not match:
        raise LabelDataError("receptacle_id", "must be a 29-character UPU receptacle id")
    origin, dest, category, subclass, year, dispatch, serial, last, registered, weight = \
        match.groups()
    lay = Layout(w, h)
    inner, half = w - 2 * M, (w - 3 * M) / 2
    lay.text("receptacle_id", "MAIL 邮件总包", M, M, inner, 16, bold=True)
    lay.text("receptacle_id", CATEGORIES[category], M, M + 8, inner, 11, bold=True)
    lay.hline(22)
    y = lay.text("origin_name", "FROM 原寄互换局", M, 23, half, TITLE)
    lay.text("origin_name", origin, M, y, half, 20, bold=True)
    y = lay.text("destination_name", "TO 寄达互换局", 2 * M + half, 23, half, TITLE)
    lay.text("destination_name", dest, 2 * M + half, y, half, 20, bold=True)
    if rec.origin_name or rec.destination_name:
        lay.text("origin_name", rec.origin_name, M, 35, half, 8)
        lay.text("destination_name", rec.destination_name, 2 * M + half, 35, half, 8)
    lay.hline(41)
    cells = (("DISPATCH 总包号", f"{year}{dispatch}"), ("RECEPTACLE 袋号", serial),
             ("WEIGHT kg 重量", f"{int(weight) / 10:g}"), ("SUBCLASS 子类", subclass))
    for i, (title, value) in enumerate(cells):
        x, y = M + (i % 2) * (half + M), 42 + (i // 2) * 17
        y2 = lay.text("receptacle_id", title, x, y, half, TITLE)
        lay.text("receptacle_id", value, x, y2, half, 20, bold=True)
    lay.hline(76)
    flags = [t for t, on in (("LAST BAG 末袋", last == "9"),
                             ("REGISTERED 挂号", registered == "9")) if on]
    if flags or rec.carriage:
        lay.text("carriage", "  ".join(flags + ([rec.carriage] if rec.carriage else [])),
                 M, 78, inner, 12, bold=True)
    lay.barcode("receptacle_id", code128("receptacle_id", number), 0, 92, w, 28, 0.33, 9)
    return lay
