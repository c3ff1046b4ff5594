"""The public entry points: kinds, JSON -> record, whole selections -> one PDF or ZPL.

A print run is a *selection* (all locations of an aisle, all pallets of a receipt), so the
renderers take a list and return one document: one page per label on thermal stocks, a
grid of cells on A4 sheets.
"""

import dataclasses
import types
import typing
from dataclasses import dataclass
from datetime import date

from labels import layouts, receptacle, records, zpl
from labels.errors import LabelDataError
from labels.pdf import PdfBackend
from labels.stocks import STOCKS, Stock


@dataclass(frozen=True)
class Kind:
    """A label kind: its record type, layout function, default and allowed stocks."""

    name: str
    record: type
    layout: typing.Callable
    stock: str
    stocks: tuple


KINDS = {k.name: k for k in (
    Kind("location", records.LocationLabel, layouts.location, "100x50", ("100x50", "a4-sheet")),
    Kind("product", records.ProductLabel, layouts.product, "100x50", ("100x50",)),
    Kind("sscc", records.SsccLabel, layouts.sscc, "100x150", ("100x150",)),
    Kind("parcel", records.ParcelLabel, layouts.parcel, "100x150", ("100x150",)),
    Kind("air_cargo", records.AirCargoLabel, layouts.air_cargo, "100x150", ("100x150",)),
    Kind("return", records.ReturnLabel, layouts.return_label, "100x150", ("100x150",)),
    Kind("placard", records.PlacardLabel, layouts.placard, "a4-landscape", ("a4-landscape",)),
    Kind("receptacle", receptacle.ReceptacleLabel, receptacle.receptacle, "100x150",
         ("100x150",)),
)}


def _kind(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise LabelDataError("kind", f"unknown label kind {name!r}; "
                                     f"one of {', '.join(KINDS)}") from None


def _stock(kind: Kind, stock) -> Stock:
    name = kind.stock if stock is None else getattr(stock, "name", stock)
    if name not in kind.stocks:
        raise LabelDataError("stock", f"{kind.name} labels print on {', '.join(kind.stocks)}, "
                                      f"not {name!r}")
    return STOCKS[name]


def _convert(path: str, hint, value):
    """Coerce one JSON value to the annotated type, or say which field is wrong."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    if hint is str:
        if isinstance(value, str):
            return value
        raise LabelDataError(path, f"must be a string, got {type(value).__name__}")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        raise LabelDataError(path, f"must be an integer, got {value!r}")
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        try:
            return float(value)
        except (TypeError, ValueError):
            raise LabelDataError(path, f"must be a number, got {value!r}") from None
    if hint is date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            raise LabelDataError(path, f"must be a date YYYY-MM-DD, got {value!r}") from None
    if hint is list:
        if not isinstance(value, list):
            raise LabelDataError(path, "must be a list")
        return [_build(records.CustomsItem, v, f"{path}[{i}]") for i, v in enumerate(value)]
    raise LabelDataError(path, f"unsupported type {hint!r}")


def _build(cls: type, data, prefix: str = ""):
    if isinstance(data, cls):
        return data
    if not isinstance(data, dict):
        raise LabelDataError(prefix or cls.__name__, "must be an object")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    dot = f"{prefix}." if prefix else ""
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise LabelDataError(dot + unknown[0], "unknown field")
    values = {}
    for name, f in fields.items():
        if name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise LabelDataError(dot + name, "missing required field")
            continue
        values[name] = _convert(dot + name, hints[name], data[name])
    return cls(**values)


def from_dict(kind: str, data: dict):
    """Turn one JSON object into the kind's record; LabelDataError(field) if it is wrong."""
    return _build(_kind(kind).record, data)


def _layouts(kind: Kind, items: list, stock: Stock) -> list:
    out = []
    for i, item in enumerate(items):
        record = _build(kind.record, item)
        try:
            out.append(kind.layout(record, stock.label_w, stock.label_h))
        except LabelDataError as exc:
            if len(items) > 1:
                raise LabelDataError(f"[{i}].{exc.field}", exc.message) from None
            raise
    return out


def render_pdf(kind: str, items: list, stock=None) -> bytes:
    """One PDF for a whole selection of records (dicts or the kind's dataclasses)."""
    k = _kind(kind)
    s = _stock(k, stock)
    if not items:
        raise LabelDataError("records", "nothing to print")
    pdf = PdfBackend(s.page_w, s.page_h, title=f"{kind} labels")
    for i, lay in enumerate(_layouts(k, items, s)):
        if i and i % s.per_page == 0:
            pdf.next_page()
        ox, oy = s.cell_origin(i)
        pdf.draw(lay.items, ox, oy)
    return pdf.finish()


def render_zpl(kind: str, items: list, stock=None) -> str:
    """The same selection as ZPL II, one ^XA...^XZ per label (sheet stocks: per cell)."""
    k = _kind(kind)
    s = _stock(k, stock)
    if not items:
        raise LabelDataError("records", "nothing to print")
    return "\n".join(zpl.label(lay.items, s.label_w, s.label_h)
                     for lay in _layouts(k, items, s)) + "\n"


def _type_name(hint) -> str:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    return {str: "text", int: "integer", float: "number", date: "date", list: "list"}[hint]


def describe_kinds() -> str:
    """Plain-text list of kinds, stocks and fields, for a CLI ``--help``."""
    lines = []
    for k in KINDS.values():
        doc = (k.record.__doc__ or "").strip().splitlines()[0]
        lines.append(f"{k.name}: {doc}")
        lines.append(f"  stocks: {', '.join(k.stocks)} (default {k.stock})")
        hints = typing.get_type_hints(k.record)
        for f in dataclasses.fields(k.record):
            required = (f.default is dataclasses.MISSING
                        and f.default_factory is dataclasses.MISSING)
            flag = "required" if required else "optional"
            lines.append(f"  {f.name:<16} {_type_name(hints[f.name]):<8} {flag:<9} "
                         f"{f.metadata.get('help', '')}")
        lines.append("")
    lines.append("stocks:")
    lines.extend(f"  {s.name:<13} {s.description}" for s in STOCKS.values())
    return "\n".join(lines)
