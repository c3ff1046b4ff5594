"""Layout functions: record + label size -> :class:`Layout`, validating as they go.

Every function takes the record and the label size in mm and returns the filled layout;
identifiers are checked here (``labels.identifiers``) so nothing unchecked reaches a bar.
"""

from decimal import Decimal

from labels import identifiers as ids
from labels.errors import LabelDataError
from labels.layout import Layout
from labels.records import (CN22_CATEGORIES, AirCargoLabel, LocationLabel, ParcelLabel,
                            PlacardLabel, ProductLabel, ReturnLabel, SsccLabel)
from labels.symbols import (code128, ean13, gs1_128_symbol, gs1_element, gs1_modules,
                             gs1_symbol)

M = 3.0  # margin: thermal heads do not print to the very edge
TITLE = 6.5  # data titles (GS1 "data titles", IATA box captions)


def _titled(lay: Layout, field: str, title: str, value: str, x: float, y: float, w: float,
            size: float, bold: bool = True, align: str = "left",
            title_size: float = TITLE) -> float:
    """A small caption above a value, as logistic labels print them."""
    y = lay.text(field, title, x, y, w, title_size, align=align)
    return lay.text(field, value, x, y, w, size, min_size=7, bold=bold, align=align)


def location(rec: LocationLabel, w: float, h: float) -> Layout:
    lay = Layout(w, h)
    y = lay.text("path", rec.path, M, 2.5, w - 2 * M, 16, min_size=8, bold=True)
    if rec.name:
        y = lay.text("name", rec.name, M, y, w - 2 * M, 10, min_size=7)
    hri = 9
    bars = h - 2.5 - y - 1 - Layout.barcode_height(0, hri)
    lay.barcode("barcode", code128("barcode", rec.barcode), 0, y + 1, w, bars, 0.5, hri)
    return lay


def product(rec: ProductLabel, w: float, h: float) -> Layout:
    gtin = ids.gtin("gtin", rec.gtin)
    lay = Layout(w, h)
    y = lay.text("name_zh", rec.name_zh, M, M, w - 2 * M, 13, min_size=7)
    y = lay.text("name_en", rec.name_en, M, y, w - 2 * M, 10, min_size=6)
    y = lay.text("sku", f"SKU  {rec.sku}", M, y, w - 2 * M, 12, min_size=7, bold=True)
    if len(gtin) in (12, 13):
        symbol, hri = ean13("gtin", gtin.zfill(13)), 10
    else:
        symbol, hri = gs1_128_symbol("gtin", {"01": gtin.zfill(14)}), 9
    bars = h - M - y - 1 - Layout.barcode_height(0, hri) - (1.5 if symbol.kind == "ean13" else 0)
    lay.barcode("gtin", symbol, 0, y + 1, w, bars, 0.5, hri)
    return lay


SSCC_MODULE = 0.375  # 3 dots at 203 dpi: the X the content symbols are split to fit


def _sscc_elements(rec: SsccLabel) -> list:
    """(field, AI, value) triples of the content data, in the order they are tried."""
    out = []
    if rec.content_gtin:
        out.append(("content_gtin", "02", ids.gtin14("content_gtin", rec.content_gtin)))
    if rec.count is not None:
        if not 0 < rec.count < 10 ** 8:
            raise LabelDataError("count", "must be between 1 and 99999999")
        out.append(("count", "37", rec.count))
    if rec.lot:
        out.append(("lot", "10", rec.lot))
    if rec.best_before is not None:
        out.append(("best_before", "15", rec.best_before))
    if rec.gross_weight_kg is not None:
        if not 0 < rec.gross_weight_kg < 100000:
            raise LabelDataError("gross_weight_kg", "must be between 0 and 99999.9 kg")
        out.append(("gross_weight_kg", "3301", Decimal(f"{rec.gross_weight_kg:.1f}")))
    return out


def _split_symbols(elements: list, width: float) -> list:
    """Greedy split of GS1 elements into symbols that each fit ``width`` at SSCC_MODULE."""
    groups, current = [], []
    for field, ai, value in elements:
        element = gs1_element(field, ai, value)
        if current and gs1_modules(current + [element]) * SSCC_MODULE > width:
            groups.append(current)
            current = []
        current.append(element)
    if current:
        groups.append(current)
    return [gs1_symbol(g) for g in groups]


def sscc(rec: SsccLabel, w: float, h: float) -> Layout:
    number = ids.sscc("sscc", rec.sscc)
    lay = Layout(w, h)
    half = (w - 3 * M) / 2
    _titled(lay, "ship_from", "FROM 发货人", "", M, M, half, 8)
    lay.block("ship_from", rec.ship_from, M, M + 3, half, 23, 9, 6)
    lay.text("ship_to", "TO 收货人", 2 * M + half, M, half, TITLE)
    lay.block("ship_to", rec.ship_to, 2 * M + half, M + 3, half, 23, 10, 6, bold=True)
    lay.vline(M + half + M / 2, M, 26)
    lay.hline(30.5)

    y = _titled(lay, "sscc", "SSCC", number, M, 31.5, w - 2 * M, 15)
    col = 2 * M + half
    elements = _sscc_elements(rec)
    values = {f: v for f, _, v in elements}
    rows = [("CONTENT (GTIN)", values.get("content_gtin", ""), "COUNT",
             "" if rec.count is None else str(rec.count)),
            ("BATCH/LOT", rec.lot, "BEST BEFORE (dd.mm.yyyy)",
             rec.best_before.strftime("%d.%m.%Y") if rec.best_before else ""),
            ("GROSS WEIGHT", f"{rec.gross_weight_kg:.1f} kg"
             if rec.gross_weight_kg is not None else "", "", "")]
    fields = [("content_gtin", "count"), ("lot", "best_before"), ("gross_weight_kg", "")]
    for (t1, v1, t2, v2), (f1, f2) in zip(rows, fields):
        if v1:
            _titled(lay, f1, t1, v1, M, y, half, 12)
        if v2:
            _titled(lay, f2, t2, v2, col, y, half, 12)
        if v1 or v2:
            y += 8.2
    lay.hline(y + 0.5)

    hri = 8
    sscc_symbol = gs1_128_symbol("sscc", {"00": number})
    content = _split_symbols(elements, w - 2 * M)
    module = min(0.5, min(int((w - 2 * M) / s.modules * 8) / 8 for s in content + [sscc_symbol]))
    sscc_h = 25.0
    sscc_top = h - M - Layout.barcode_height(sscc_h, hri)
    if content:
        gap = 2.0
        space = sscc_top - gap - (y + 2)
        each = space / len(content) - gap
        bars = each - Layout.barcode_height(0, hri)
        if bars < 10:
            raise LabelDataError("barcodes", f"{len(content)} GS1-128 symbols do not fit "
                                             "above the SSCC; shorten the lot or drop data")
        top = y + 2 + gap
        for symbol in content:
            top = lay.barcode("barcodes", symbol, M, top, w - 2 * M, min(bars, 25), module, hri)
            top += gap + max(0, bars - 25)
    lay.barcode("sscc", sscc_symbol, M, sscc_top, w - 2 * M, sscc_h, module, hri)
    return lay


def parcel(rec: ParcelLabel, w: float, h: float) -> Layout:
    tracking = str(rec.tracking_number).strip().upper()
    if ids.is_s10(tracking) or tracking[:2].isalpha() and tracking[-2:].isalpha() \
            and len(tracking) == 13:
        tracking = ids.s10("tracking_number", tracking)
    if rec.category not in CN22_CATEGORIES:
        raise LabelDataError("category", f"must be one of {', '.join(CN22_CATEGORIES)}")
    if not 0 < rec.weight_kg < 1000:
        raise LabelDataError("weight_kg", "must be between 0 and 1000 kg")
    lay = Layout(w, h)
    inner = w - 2 * M
    lay.text("carrier", rec.carrier, M, M, inner - 32, 14, min_size=8, bold=True)
    lay.text("weight_kg", f"{rec.weight_kg:.2f} kg", w - M - 30, M, 30, 14, bold=True,
             align="right")
    y = M + 6
    if rec.order_number:
        lay.text("order_number", f"Order {rec.order_number}", M, y, inner, 8)
    lay.hline(y + 4)
    lay.barcode("tracking_number", code128("tracking_number", tracking), 0, y + 5.5, w,
                20, 0.5, 12)
    lay.hline(41)
    lay.text("sender", "FROM 寄件人", M, 42, inner, TITLE)
    lay.block("sender", rec.sender, M, 44.8, inner, 14, 8, 6)
    lay.hline(60)
    qr = 24 if rec.tracking_url else 0
    lay.text("consignee", "TO 收件人", M, 61, inner, TITLE)
    lay.block("consignee", rec.consignee, M, 63.8, inner - qr - (2 if qr else 0), 26, 12, 7,
              bold=True)
    if qr:
        lay.qr(rec.tracking_url, w - M - qr + 1, 63, qr - 2)
    lay.hline(91)
    _cn22(lay, rec, 92)
    return lay


CN22_COLUMNS = (("Description 内件", "description", 40), ("Qty", "quantity", 8),
                ("kg", "weight_kg", 11), ("Value", "value", 13), ("HS code", "hs_code", 14),
                ("Origin", "origin", 8))


def _cn22(lay: Layout, rec: ParcelLabel, y: float) -> None:
    """The CN22 block: category, one row per item, totals."""
    x0, inner = M, lay.w - 2 * M
    lay.text("items", "CUSTOMS DECLARATION CN22 海关申报  May be opened officially", x0, y,
             inner, 7.5, bold=True)
    boxes = "  ".join(("[X] " if c == rec.category else "[ ] ") + c for c in CN22_CATEGORIES)
    lay.text("category", boxes, x0, y + 3.6, inner, 6.5, min_size=5)
    top = y + 7.4
    x = x0
    for title, _, cw in CN22_COLUMNS:
        lay.text("items", title, x, top, cw - 1, 6.5, min_size=5, bold=True)
        x += cw
    lay.hline(top + 3)
    row_h, bottom = 3.3, lay.h - M - 7.5
    rows = int((bottom - top - 3.5) // row_h)
    if len(rec.items) > rows:
        raise LabelDataError("items", f"at most {rows} customs items fit on the label, "
                                      f"got {len(rec.items)}; use a CN23 form")
    total_w = total_v = 0.0
    for i, item in enumerate(rec.items):
        field = f"items[{i}]"
        if not str(item.hs_code).isdigit() or not 6 <= len(str(item.hs_code)) <= 10:
            raise LabelDataError(f"{field}.hs_code", "HS code must be 6 to 10 digits")
        if len(item.origin) != 2 or not item.origin.isalpha():
            raise LabelDataError(f"{field}.origin", "origin must be an ISO 3166 alpha-2 code")
        cells = (item.description, str(item.quantity), f"{item.weight_kg:.3f}",
                 f"{item.value:.2f}", item.hs_code, item.origin.upper())
        yy, x = top + 3.5 + i * row_h, x0
        for (_, name, cw), cell in zip(CN22_COLUMNS, cells):
            lay.text(f"{field}.{name}", cell, x, yy, cw - 1, 7.5, min_size=5)
            x += cw
        total_w += item.weight_kg
        total_v += item.value
    lay.hline(bottom)
    lay.text("items", f"Total weight {total_w:.3f} kg     Total value {total_v:.2f} "
                      f"{rec.currency}", x0, bottom + 0.8, inner, 8, bold=True)
    lay.text("items", "I certify that the particulars given in this declaration are correct.",
             x0, bottom + 4.4, inner, 6, min_size=5)


def air_cargo(rec: AirCargoLabel, w: float, h: float) -> Layout:
    awb = ids.awb("awb", rec.awb)
    origin, dest = ids.airport("origin", rec.origin), ids.airport("destination", rec.destination)
    if not 0 < rec.total_pieces < 100000:
        raise LabelDataError("total_pieces", "must be between 1 and 99999")
    if not 0 < rec.piece <= rec.total_pieces:
        raise LabelDataError("piece", f"must be between 1 and {rec.total_pieces}")
    lay = Layout(w, h)
    inner, half = w - 2 * M, (w - 3 * M) / 2
    lay.text("airline", rec.airline, M, M, inner, 18, min_size=9, bold=True)
    lay.hline(12)
    _titled(lay, "awb", "AIR WAYBILL No.", ids.format_awb(awb), M, 13, inner, 26)
    barcode = code128("awb", f"{awb}{rec.piece:05d}")
    lay.barcode("awb", barcode, 0, 26, w, 20, 0.5, 9)
    lay.hline(51)
    lay.text("destination", "DESTINATION", M, 52, inner, TITLE)
    lay.text("destination", dest, M, 54, inner, 90, bold=True, align="center")
    lay.hline(87)
    col = 2 * M + half
    for y, left, right in ((88, ("origin", "ORIGIN", origin, 28),
                            ("total_pieces", "TOTAL No. OF PIECES", str(rec.total_pieces), 28)),
                           (106, ("piece", "PIECE", f"{rec.piece} / {rec.total_pieces}", 22),
                            ("weight_kg", "WEIGHT (kg)", "" if rec.weight_kg is None
                             else f"{rec.weight_kg:g}", 22))):
        for x, (field, title, value, size) in ((M, left), (col, right)):
            if value:
                _titled(lay, field, title, value, x, y, half, size)
        lay.vline(col - M / 2, y - 1, 18)
        lay.hline(y + 17)
    if rec.hawb:
        _titled(lay, "hawb", "HOUSE WAYBILL No.", rec.hawb, M, 124, inner, 18)
    return lay


def return_label(rec: ReturnLabel, w: float, h: float) -> Layout:
    lay = Layout(w, h)
    inner = w - 2 * M
    lay.text("return_number", "RETURN 退货", M, M, inner, 20, bold=True)
    lay.barcode("return_number", code128("return_number", rec.return_number), 0, 13, w, 20,
                0.5, 12)
    lay.hline(40)
    _titled(lay, "order_number", "ORIGINAL ORDER 原订单号", rec.order_number, M, 41, inner, 14)
    lay.text("reason", "REASON 退货原因", M, 52, inner, TITLE)
    lay.block("reason", rec.reason, M, 54.8, inner, 12, 10, 6)
    lay.hline(68)
    y = 69
    if rec.sender:
        lay.text("sender", "FROM 寄件人", M, y, inner, TITLE)
        lay.block("sender", rec.sender, M, y + 2.8, inner, 16, 9, 6)
        lay.hline(y + 20)
        y += 21
    lay.text("returns_centre", "TO: RETURNS CENTRE 退货中心", M, y, inner, TITLE)
    lay.block("returns_centre", rec.returns_centre, M, y + 2.8, inner, h - M - y - 2.8, 14, 7,
              bold=True)
    return lay


def placard(rec: PlacardLabel, w: float, h: float) -> Layout:
    number = ids.container("container", rec.container)
    lay = Layout(w, h)
    m, inner = 10.0, w - 20
    lay.rule(m - 2, m - 2, inner + 4, h - 2 * m + 4, fill=False, weight=0.8)
    lay.text("container", "CONTAINER 集装箱", m, m, inner / 2, 16, bold=True)
    lay.text("train_number", f"TRAIN {rec.train_number}", m + inner / 2, m, inner / 2, 16,
             bold=True, align="right")
    lay.text("container", ids.format_container(number), m, m + 10, inner, 110, min_size=40,
             bold=True, align="center")
    lay.barcode("container", code128("container", number), m, 63, inner, 35, 1.0, 14)
    lay.hline(110, m, inner, 0.8)
    third = inner / 3
    cells = (("train_number", "TRAIN No. 班列号", rec.train_number),
             ("destination", "DESTINATION 目的地", rec.destination),
             ("seal", "SEAL No. 封号", rec.seal))
    for i, (field, title, value) in enumerate(cells):
        x = m + i * third
        _titled(lay, field, title, value, x + 2, 112, third - 4, 36, title_size=11)
        if i:
            lay.vline(x, 110, 30, 0.8)
    lay.hline(140, m, inner, 0.8)
    extra = (("wagon", "WAGON No. 车皮号", rec.wagon), ("origin", "ORIGIN 始发站", rec.origin),
             ("departure", "DEPARTURE 发车日期",
              rec.departure.isoformat() if rec.departure else ""))
    for i, (field, title, value) in enumerate(extra):
        x = m + i * third
        if value:
            _titled(lay, field, title, value, x + 2, 142, third - 4, 30, title_size=11)
        if i:
            lay.vline(x, 140, h - m + 2 - 140, 0.8)
    return lay
