"""Page stocks: the physical media a label is printed on.

A thermal roll has one label per page; an A4 sheet of self-adhesive labels holds a grid of
cells printed by a laser printer. Layouts only ever see the label size (``label_w`` x
``label_h``); placing cells on the page is the stock's business.
"""

from dataclasses import dataclass

DOTS_PER_MM = 8  # Zebra 203 dpi printheads


@dataclass(frozen=True)
class Stock:
    """One page stock. All sizes in millimetres; a thermal stock is a 1x1 grid."""

    name: str
    description: str
    page_w: float
    page_h: float
    label_w: float
    label_h: float
    cols: int = 1
    rows: int = 1
    left: float = 0.0
    top: float = 0.0
    h_pitch: float = 0.0
    v_pitch: float = 0.0

    @property
    def per_page(self) -> int:
        return self.cols * self.rows

    @property
    def is_sheet(self) -> bool:
        return self.per_page > 1

    def cell_origin(self, index: int) -> tuple:
        """Top-left corner (mm from the page's top-left) of the index-th cell on a page."""
        row, col = divmod(index % self.per_page, self.cols)
        return self.left + col * self.h_pitch, self.top + row * self.v_pitch

    def dots(self) -> tuple:
        """Label width and length in printer dots (^PW, ^LL)."""
        return round(self.label_w * DOTS_PER_MM), round(self.label_h * DOTS_PER_MM)


THERMAL_100X150 = Stock("100x150", "thermal roll, 100 x 150 mm (4 x 6 in)", 100, 150, 100, 150)
THERMAL_100X50 = Stock("100x50", "thermal roll, 100 x 50 mm", 100, 50, 100, 50)
# Avery L7163 / J8163 layout: 2 x 7 cells of 99.1 x 38.1 mm, the common A4 shelf-label sheet.
A4_SHEET = Stock(
    "a4-sheet",
    "A4 sheet of 2 x 7 labels, 99.1 x 38.1 mm (Avery L7163)",
    210, 297, 99.1, 38.1, cols=2, rows=7, left=4.65, top=15.15, h_pitch=101.6, v_pitch=38.1,
)
A4_LANDSCAPE = Stock("a4-landscape", "A4 landscape, 297 x 210 mm", 297, 210, 297, 210)

STOCKS = {s.name: s for s in (THERMAL_100X150, THERMAL_100X50, A4_SHEET, A4_LANDSCAPE)}
