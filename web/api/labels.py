"""Labels over the API: the same JSON as ``wms labels render``, answered with PDF or ZPL."""
from __future__ import annotations

from flask import Response, request

from labels import KINDS, LabelDataError, render_pdf, render_zpl
from wms.core.errors import N_, NotFound, ValidationError

from .core import operation

LABEL_BODY = {
    "description": "One label's fields, or a list of them; the fields of each kind are "
                   "listed by `wms labels render --help` and in docs/labels.md.",
    "oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"},
                                   "minItems": 1, "maxItems": 5000}],
}


def label_response(kind: str, records: list, fmt: str, stock: str | None,
                   filename: str) -> Response:
    """Render a selection into one document; bad label data becomes a ValidationError
    naming the field (with the record's index when there are several)."""
    if kind not in KINDS:
        raise NotFound(N_("Unknown label kind %(kind)s"), field="kind", kind=kind)
    if fmt not in ("pdf", "zpl"):
        raise ValidationError(N_("Format must be pdf or zpl"), field="format")
    try:
        if fmt == "pdf":
            return Response(render_pdf(kind, records, stock), mimetype="application/pdf",
                            headers={"Content-Disposition":
                                     f'inline; filename="{filename}.pdf"'})
        return Response(render_zpl(kind, records, stock), mimetype="text/plain",
                        headers={"Content-Disposition":
                                 f'attachment; filename="{filename}.zpl"'})
    except LabelDataError as exc:
        raise ValidationError(N_("Label data: %(problem)s"), field=exc.field,
                              problem=exc.message) from exc


@operation("/labels/<kind>", "POST", summary="Render labels as PDF or ZPL", tag="labels",
           body_spec=LABEL_BODY, produces=("application/pdf", "text/plain"),
           query=(("format", "string", "pdf (default) or zpl"),
                  ("stock", "string", "page stock, e.g. 100x150, 100x50, a4-sheet")))
def render_labels(kind: str):
    """Kinds: location, product, sscc, parcel, air_cargo, return, placard, receptacle. Check
    digits are computed, never trusted: a wrong one is refused naming the field."""
    data = request.get_json(silent=True)
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not data or not all(isinstance(x, dict) for x in data):
        raise ValidationError(N_("Send a JSON object or a non-empty list of objects"))
    return label_response(kind, data, request.args.get("format", "pdf"),
                          request.args.get("stock") or None, kind)
