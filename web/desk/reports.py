"""Statistics (``/reports``): orders, lists, quantities, values and weights per period, trade
mode, owner, country and HS chapter (``wms.reports.statistics.aggregate``, one grouped
query), as a table, as CSV, and as two bar charts drawn here as SVG (no outside service, no
chart library); and the export summary application (CEB701) over released 9610 lists.

Owner users see their own owner's numbers only (the query is owner-scoped).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import (Blueprint, Response, flash, redirect, render_template, request, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select

from wms.core.errors import DomainError
from wms.customs.models import CustomsCode
from wms.outbound.models import TRADE_MODES
from wms.outbound.summary import build_summary, invt_nos_of, released_export_lists, \
    summary_messages
from wms.inventory.queries import goods_owners
from wms.partners.models import Enterprise
from wms.reports.statistics import DIMENSIONS, PERIODS, StatRow, aggregate

from ..auth import blueprint_roles, roles_required
from ..csv_export import safe_writer
from ..db import db
from ..errors import translate_error
from .orders import MESSAGE_STATE_TITLES, money, num, parse_day, xsd_dir

bp = Blueprint("reports", __name__, url_prefix="/reports")
READERS = ("supervisor", "customs_clerk", "owner_viewer")
CLERKS = ("supervisor", "customs_clerk")
blueprint_roles(bp, *READERS)

DIMENSION_TITLES = {"period": _l("Period"), "trade_mode": _l("Trade mode"),
                    "owner": _l("Owner"), "country": _l("Country"),
                    "hs_chapter": _l("HS chapter")}
PERIOD_TITLES = {"day": _l("Day"), "month": _l("Month"), "year": _l("Year")}
METRICS = {"value": _l("Value (CNY)"), "orders": _l("Orders"), "lists": _l("Released lists"),
           "quantity": _l("Quantity"), "net_weight_kg": _l("Net weight (kg)")}
# Colour per trade mode, readable on white and told apart by people with colour-blindness.
MODE_COLOURS = {"1210": "#0b5a8c", "9610": "#e08a00", "9710": "#2a9d5b", "9810": "#8e44ad"}
OTHER_COLOUR = "#7a8696"


@dataclass
class Filters:
    date_from: date | None
    date_to: date | None
    period: str
    trade_mode: str | None
    owner: str | None
    group_by: tuple[str, ...]
    metric: str
    breakdown: str

    def args(self) -> dict:
        out = {"period": self.period, "metric": self.metric, "breakdown": self.breakdown,
               "group": list(self.group_by)}
        if self.date_from:
            out["date_from"] = self.date_from.isoformat()
        if self.date_to:
            out["date_to"] = self.date_to.isoformat()
        if self.trade_mode:
            out["trade_mode"] = self.trade_mode
        if self.owner:
            out["owner"] = self.owner
        return out


def visible_owners() -> list[Enterprise]:
    return goods_owners(db())


def read_filters() -> Filters:
    args = request.args
    date_from = parse_day(args.get("date_from"), "date_from")
    date_to = parse_day(args.get("date_to"), "date_to")
    period = args.get("period") if args.get("period") in PERIODS else "month"
    mode = args.get("trade_mode") if args.get("trade_mode") in TRADE_MODES else None
    owners = {e.customs_code for e in visible_owners()}
    owner = args.get("owner") if args.get("owner") in owners else None
    group = tuple(d for d in DIMENSIONS if d in args.getlist("group")) or ("period",
                                                                            "trade_mode")
    metric = args.get("metric") if args.get("metric") in METRICS else "value"
    breakdown = args.get("breakdown") if args.get("breakdown") in (
        "hs_chapter", "country", "owner") else "hs_chapter"
    return Filters(date_from, date_to, period, mode, owner, group, metric, breakdown)


def owner_id(code: str | None) -> int | None:
    if not code:
        return None
    return db().scalar(select(Enterprise.id).where(Enterprise.customs_code == code))


def rows_for(f: Filters, group_by: tuple[str, ...]) -> list[StatRow]:
    return aggregate(db(), group_by=group_by, period=f.period, date_from=f.date_from,
                     date_to=f.date_to, trade_mode=f.trade_mode, owner_id=owner_id(f.owner))


def metric_of(row: StatRow, metric: str) -> Decimal:
    return Decimal(getattr(row, metric))


def country_names() -> dict[str, str]:
    from flask_babel import get_locale
    zh = (get_locale().language if get_locale() else "zh") == "zh"
    return {c.code: (c.name_zh if zh else c.name_en) for c in db().scalars(
        select(CustomsCode).where(CustomsCode.code_table == "country"))}


def key_label(dim: str, value, names: dict | None = None) -> str:
    if value is None:
        return "—"
    if dim == "country" and names:
        return f"{value} {names.get(value, '')}".strip()
    if dim == "hs_chapter":
        return _("Chapter %(n)s", n=value)
    return str(value)


# ---------------------------------------------------------------------------- the charts

def _fmt(value: Decimal) -> str:
    value = Decimal(value)
    if abs(value) >= 10000:
        return f"{value / 1000:,.0f}k"
    if value == value.to_integral():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _nice_max(value: Decimal) -> Decimal:
    """A round top for the axis: 1, 2, 2.5 or 5 times a power of ten."""
    value = Decimal(value)
    if value <= 0:
        return Decimal(1)
    exp = value.adjusted()
    base = Decimal(10) ** exp
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if value <= base * step:
            return base * step
    return base * 10


def period_chart(rows: list[StatRow], metric: str, title: str) -> str:
    """Stacked bars, one per period, a segment per trade mode."""
    periods = sorted({r.key["period"] for r in rows})
    modes = [m for m in TRADE_MODES if any(r.key.get("trade_mode") == m for r in rows)]
    values: dict[tuple[str, str], Decimal] = {}
    for r in rows:
        k = (r.key["period"], r.key.get("trade_mode"))
        values[k] = values.get(k, Decimal(0)) + metric_of(r, metric)
    totals = {p: sum((values.get((p, m), Decimal(0)) for m in modes), Decimal(0))
              for p in periods}
    width, height = 720, 320
    left, right, top, bottom = 70, 16, 48, 60
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max(totals.values(), default=Decimal(0)))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} '
           f'{height}" width="100%" role="img" aria-labelledby="chart-period-title">',
           f'<title id="chart-period-title">{escape(title)}</title>',
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>']
    for i in range(5):  # grid lines and axis values
        value = top_value * i / 4
        y = top + plot_h - plot_h * i / 4
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
                   f'stroke="#d6dbe3" stroke-width="1"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="13" '
                   f'fill="#5b6676">{escape(_fmt(value))}</text>')
    if not periods:
        out.append(f'<text x="{width / 2}" y="{top + plot_h / 2}" text-anchor="middle" '
                   f'font-size="14" fill="#5b6676">{escape(_("No data for these filters"))}'
                   '</text>')
    slot = plot_w / max(len(periods), 1)
    bar_w = min(64.0, slot * 0.7)
    label_every = max(1, int(len(periods) / 12) + (1 if len(periods) % 12 else 0)) \
        if len(periods) > 12 else 1
    for i, period in enumerate(periods):
        x = left + slot * i + (slot - bar_w) / 2
        y = top + plot_h
        out.append(f'<g class="bar" data-period="{escape(period)}" '
                   f'data-total="{totals[period]}">')
        out.append(f'<title>{escape(period)}: {escape(_fmt(totals[period]))}</title>')
        for mode in modes:
            value = values.get((period, mode), Decimal(0))
            if value <= 0:
                continue
            h = float(value / top_value) * plot_h
            y -= h
            out.append(f'<rect class="seg" data-mode="{mode}" x="{x:.1f}" y="{y:.1f}" '
                       f'width="{bar_w:.1f}" height="{max(h, 0.5):.1f}" '
                       f'fill="{MODE_COLOURS.get(mode, OTHER_COLOUR)}"><title>{escape(period)} '
                       f'{mode}: {escape(_fmt(value))}</title></rect>')
        out.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
                   f'font-size="13" fill="#1d2430">{escape(_fmt(totals[period]))}</text>')
        out.append('</g>')
        if i % label_every == 0:
            out.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" '
                       f'text-anchor="middle" font-size="13" fill="#1d2430">'
                       f'{escape(period)}</text>')
    out.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" '
               f'y2="{top + plot_h}" stroke="#1d2430" stroke-width="1"/>')
    x = left
    for mode in modes:  # legend
        out.append(f'<rect x="{x}" y="{height - 24}" width="14" height="14" '
                   f'fill="{MODE_COLOURS.get(mode, OTHER_COLOUR)}"/>')
        out.append(f'<text x="{x + 18}" y="{height - 12}" font-size="14" fill="#1d2430">'
                   f'{mode}</text>')
        x += 70
    out.append(f'<text x="{left}" y="22" font-size="16" font-weight="bold" fill="#1d2430">'
               f'{escape(title)}</text>')
    out.append('</svg>')
    return "".join(out)


def breakdown_chart(rows: list[StatRow], dim: str, metric: str, title: str,
                    names: dict | None = None) -> str:
    """Horizontal bars, largest first, one per HS chapter (or country, owner)."""
    totals: dict[str, Decimal] = {}
    for r in rows:
        k = r.key.get(dim)
        totals[k] = totals.get(k, Decimal(0)) + metric_of(r, metric)
    items = sorted(totals.items(), key=lambda kv: (-kv[1], str(kv[0])))[:15]
    width, row_h = 720, 32
    left, right, top = 190, 90, 40
    height = top + row_h * max(len(items), 1) + 12
    top_value = _nice_max(max((v for _k, v in items), default=Decimal(0)))
    plot_w = width - left - right
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} '
           f'{height}" width="100%" role="img" aria-labelledby="chart-{dim}-title">',
           f'<title id="chart-{dim}-title">{escape(title)}</title>',
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
           f'<text x="8" y="22" font-size="16" font-weight="bold" fill="#1d2430">'
           f'{escape(title)}</text>']
    if not items:
        out.append(f'<text x="{width / 2}" y="{top + 16}" text-anchor="middle" font-size="14" '
                   f'fill="#5b6676">{escape(_("No data for these filters"))}</text>')
    for i, (key, value) in enumerate(items):
        y = top + i * row_h
        w = float(value / top_value) * plot_w if top_value else 0
        label = key_label(dim, key, names)
        out.append(f'<g class="hbar" data-key="{escape(key or "")}">')
        out.append(f'<text x="{left - 8}" y="{y + 21}" text-anchor="end" font-size="14" '
                   f'fill="#1d2430">{escape(label[:24])}</text>')
        out.append(f'<rect x="{left}" y="{y + 4}" width="{max(w, 0.5):.1f}" '
                   f'height="{row_h - 8}" fill="#0b5a8c"><title>{escape(label)}: '
                   f'{escape(_fmt(value))}</title></rect>')
        out.append(f'<text x="{left + w + 6:.1f}" y="{y + 21}" font-size="14" '
                   f'fill="#1d2430">{escape(_fmt(value))}</text>')
        out.append('</g>')
    out.append('</svg>')
    return "".join(out)


def charts(f: Filters) -> tuple[str, str]:
    metric_title = str(METRICS[f.metric])
    period_rows = rows_for(f, ("period", "trade_mode"))
    first = period_chart(period_rows, f.metric, _("%(metric)s per %(period)s and trade mode",
                                                  metric=metric_title,
                                                  period=str(PERIOD_TITLES[f.period])))
    breakdown_rows = rows_for(f, (f.breakdown,))
    second = breakdown_chart(breakdown_rows, f.breakdown, f.metric,
                             _("%(metric)s by %(dimension)s", metric=metric_title,
                               dimension=str(DIMENSION_TITLES[f.breakdown])),
                             country_names())
    return first, second


# ---------------------------------------------------------------------------- pages

CSV_VALUES = ("orders", "lists", "quantity", "value_cny", "net_weight_kg")


def csv_export(f: Filters, rows: list[StatRow]) -> Response:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = safe_writer(buffer, lineterminator="\n")
    writer.writerow([*f.group_by, *CSV_VALUES])
    for r in rows:
        writer.writerow([*(r.key.get(d) or "" for d in f.group_by), r.orders, r.lists,
                         num(r.quantity), f"{r.value:.2f}", num(r.net_weight_kg)])
    name = f"statistics-{date.today().isoformat()}.csv"
    return Response(buffer.getvalue(), headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{name}"'})


def _filters_or_error():
    try:
        return read_filters(), None
    except DomainError as exc:
        return None, translate_error(exc)


@bp.get("/")
def index():
    f, error = _filters_or_error()
    if f is None:
        flash(error, "error")
        return redirect(url_for("reports.index"))
    rows = rows_for(f, f.group_by)
    if request.args.get("format") == "csv":
        return csv_export(f, rows)
    first, second = charts(f)
    totals = {"orders": sum(r.orders for r in rows), "lists": sum(r.lists for r in rows),
              "quantity": sum((r.quantity for r in rows), Decimal(0)),
              "value": sum((r.value for r in rows), Decimal(0)),
              "net_weight_kg": sum((r.net_weight_kg for r in rows), Decimal(0))}
    summary = summary_context(f)
    return render_template(
        "reports/index.html", f=f, rows=rows, totals=totals, chart_period=Markup(first),
        chart_breakdown=Markup(second), dimensions=DIMENSION_TITLES, periods=PERIOD_TITLES,
        metrics=METRICS, trade_modes=TRADE_MODES, owners=visible_owners(),
        names=country_names(), key_label=key_label, num=num, money=money,
        csv_url=url_for("reports.index", format="csv", **f.args()),
        svg_url=url_for("reports.chart_svg", **f.args()), **summary)


@bp.get("/chart.svg")
def chart_svg():
    """The charts as files: ``chart=period`` (default) or ``chart=breakdown``."""
    f, error = _filters_or_error()
    if f is None:
        return Response(error, status=422, mimetype="text/plain")
    first, second = charts(f)
    svg = second if request.args.get("chart") == "breakdown" else first
    return Response('<?xml version="1.0" encoding="UTF-8"?>\n' + svg,
                    mimetype="image/svg+xml")


# ---------------------------------------------------------------------------- CEB701

def summary_context(f: Filters) -> dict:
    if not current_user.has_role(*CLERKS):
        return {"can_summarise": False, "candidates": [], "summaries": [],
                "summary_owner": None}
    session = db()
    export_owners = [e for e in visible_owners()]
    owner_code = request.args.get("summary_owner") or f.owner
    owner = next((e for e in export_owners if e.customs_code == owner_code), None)
    candidates = released_export_lists(session, date_from=f.date_from, date_to=f.date_to,
                                       owner_id=owner.id if owner else None)
    summaries = [(m, invt_nos_of(m)) for m in summary_messages(session)[:10]]
    return {"can_summarise": True, "candidates": candidates, "summaries": summaries,
            "summary_owner": owner, "export_owners": export_owners,
            "message_titles": MESSAGE_STATE_TITLES}


@bp.post("/summary")
@roles_required(*CLERKS)
def summary():
    """Build and queue the CEB701 over the ticked released 9610 lists of the period."""
    form = request.form
    back = {k: v for k, v in (("date_from", form.get("date_from")),
                              ("date_to", form.get("date_to"))) if v}
    try:
        date_from = parse_day(form.get("date_from"), "date_from")
        date_to = parse_day(form.get("date_to"), "date_to")
        result = build_summary(db(), owner_code=form.get("owner") or "", date_from=date_from,
                               date_to=date_to, invt_nos=form.getlist("invt_no") or None,
                               xsd_dir=xsd_dir())
        db().flush()
    except DomainError as exc:
        db().rollback()
        flash(translate_error(exc), "error")
        return redirect(url_for("reports.index", **back) + "#summary")
    db().commit()
    flash(_("Summary application %(cop)s (CEB701) over %(n)s lists is in the customs outbox.",
            cop=result.doc.cop_no, n=len(result.lists)), "ok")
    return redirect(url_for("reports.index", **back) + "#summary")
