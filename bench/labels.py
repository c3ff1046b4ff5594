"""Benchmark: 1,000 SSCC logistic labels into one PDF, against a hand-drawn floor.

The floor draws exactly the same marks (the bars of the same module patterns as merged
rectangles, the same strings in the same fonts at the same places) straight onto a
reportlab canvas, with nothing computed per label. The ratio engine / floor is the price
of validation, layout and text fitting. Targets: >= 200 labels/s, ratio <= 1.5.

Run: .venv/bin/python bench/labels.py [count]
"""

import io
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from reportlab.lib.units import mm  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from labels import render_pdf  # noqa: E402
from labels.layout import Bars, QR, Rule, Text  # noqa: E402
from labels.identifiers import gs1_check_digit  # noqa: E402
from labels.layouts import sscc  # noqa: E402
from labels.registry import from_dict  # noqa: E402
from labels.text import ASCENT, LEADING, register_fonts  # noqa: E402

RECORD = {
    "sscc": "106141412345678908",
    "ship_from": "兰州保税物流中心\nLanzhou Bonded Logistics Centre\nLanzhou New Area, Gansu",
    "ship_to": "Duisburg Gateway Terminal\nHafen Duisburg\n47119 Duisburg, DE",
    "content_gtin": "06901234567892", "count": 24, "lot": "LOT7",
    "best_before": "2026-12-31", "gross_weight_kg": 412.5,
}


def floor_marks():
    """Pre-compute one label's marks once: (rects, texts) in PDF points."""
    items = sscc(from_dict("sscc", RECORD), 100, 150).items
    page_h = 150 * mm
    rects, texts = [], []
    for it in items:
        if isinstance(it, Rule):
            rects.append((it.x * mm, page_h - (it.y + it.h) * mm, it.w * mm, it.h * mm))
        elif isinstance(it, Text):
            base = page_h - it.y * mm - it.size * ASCENT
            for line in it.lines:
                texts.append((it.font, it.size, it.x * mm, base, line, False))
                base -= it.size * LEADING
        elif isinstance(it, Bars):
            x = (it.left + it.symbol.quiet[0] * it.module) * mm
            top = page_h - it.y * mm
            pos = 0
            for run in _runs(it.symbol.pattern):
                if run > 0:
                    rects.append((x + pos * it.module * mm, top - it.height * mm,
                                  run * it.module * mm, it.height * mm))
                pos += abs(run)
            if it.hri_size:
                texts.append(("Helvetica", it.hri_size, (it.left + it.width / 2) * mm,
                              top - (it.height + 0.7 + it.hri_size * 0.72 * 25.4 / 72) * mm,
                              it.symbol.hri, True))
        elif isinstance(it, QR):
            raise AssertionError("no QR on the SSCC label")
    return rects, texts


def _runs(pattern):
    out, prev, n = [], pattern[0], 0
    for ch in pattern:
        if ch == prev:
            n += 1
        else:
            out.append(n if prev != "0" else -n)
            prev, n = ch, 1
    out.append(n if prev != "0" else -n)
    return out


def floor(count: int) -> bytes:
    rects, texts = floor_marks()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(100 * mm, 150 * mm), pageCompression=1)
    for _ in range(count):
        for x, y, w, h in rects:
            c.rect(x, y, w, h, stroke=0, fill=1)
        for font, size, x, y, line, centred in texts:
            c.setFont(font, size)
            (c.drawCentredString if centred else c.drawString)(x, y, line)
        c.showPage()
    c.save()
    return buf.getvalue()


def records(count: int) -> list:
    """One pallet per label, each with its own SSCC (serial and check digit computed)."""
    out = []
    for i in range(count):
        body = f"10614141{i:09d}"
        out.append(dict(RECORD, sscc=body + gs1_check_digit(body)))
    return out


def engine(count: int) -> bytes:
    return render_pdf("sscc", records(count))


def best_of(fn, count: int, repeat: int = 3) -> tuple:
    best, size = None, 0
    for _ in range(repeat):
        start = time.perf_counter()
        size = len(fn(count))
        took = time.perf_counter() - start
        best = took if best is None else min(best, took)
    return best, size


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    register_fonts()
    engine(10)  # warm caches, as a long-running web worker would be
    floor(10)
    t_engine, size_engine = best_of(engine, count)
    t_floor, size_floor = best_of(floor, count)
    print(f"engine: {count} SSCC labels in {t_engine:.3f} s = {count / t_engine:.0f} labels/s "
          f"({size_engine / 1024:.0f} KiB)")
    print(f"floor:  {count} pages      in {t_floor:.3f} s = {count / t_floor:.0f} pages/s "
          f"({size_floor / 1024:.0f} KiB)")
    print(f"ratio engine/floor: {t_engine / t_floor:.2f} (target <= 1.5); "
          f"target >= 200 labels/s: {'met' if count / t_engine >= 200 else 'NOT met'}")


if __name__ == "__main__":
    main()
