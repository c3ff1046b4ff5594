"""``/api/v1/risks``: the risk warnings feed, and acknowledging one."""
from __future__ import annotations

from flask import jsonify, request

from wms.core.parsing import parse_id
from wms.risk import queries, services
from wms.risk.models import RISK_CATEGORIES, RISK_STATES, RiskWarning
from wms.risk.rules import RULES

from ..db import db
from ..risk_text import warning_text
from .core import operation, page_of
from .schema import Field, Schema

RISK = Schema("RiskWarning", (
    Field("id", "integer", True),
    Field("rule", "string", True, enum=tuple(RULES)),
    Field("level", "integer", True, "1 notice, 2 warning, 3 serious", minimum=1, maximum=3),
    Field("category", "string", True, enum=RISK_CATEGORIES),
    Field("text", "string", True, "the warning in the caller's language"),
    Field("owner", "string", True, "customs code of the owner concerned", nullable=True),
    Field("document", "string", True, "receipt, order, lot, shipment, return or enterprise"),
    Field("document_id", "integer", True, nullable=True),
    Field("reference", "string", True, nullable=True),
    Field("facts", "object", True, "what the rule found"),
    Field("state", "string", True, enum=RISK_STATES),
    Field("raised_at", "string", True),
    Field("last_seen_at", "string", True, "the last run that found it still true"),
    Field("note", "string", True, nullable=True),
    Field("acknowledged_at", "string", True, nullable=True),
    Field("acknowledged_by", "string", True, nullable=True),
), "A graded risk warning against a document; webhooks send it as event risk.raised.")
ACKNOWLEDGE = Schema("RiskAcknowledge", (
    Field("note", "string", True, "what was done about it", max_length=2000),))


def risk_json(w: RiskWarning) -> dict:
    return {"id": w.id, "rule": w.rule, "level": w.level, "category": w.category,
            "text": warning_text(w), "owner": w.owner.customs_code if w.owner else None,
            "document": w.document, "document_id": w.document_id, "reference": w.reference,
            "facts": w.facts, "state": w.state, "raised_at": w.raised_at.isoformat(),
            "last_seen_at": w.last_seen_at.isoformat(), "note": w.note,
            "acknowledged_at": w.acknowledged_at.isoformat() if w.acknowledged_at else None,
            "acknowledged_by": w.acknowledged_by_login}


@operation("/risks", summary="Risk warnings, highest level first", tag="risks",
           response=RISK, many=True, query=(
               ("level", "integer", "1, 2 or 3"),
               ("category", "string", "market, transaction, product_quality, logistics or "
                "customs"),
               ("owner", "integer", "enterprise id of the owner"),
               ("state", "string", "open or acknowledged"),
               ("rule", "string", "a rule code"),
               ("page", "integer", "page number, from 1"),
               ("per_page", "integer", "rows per page, at most 500")))
def risks_feed():
    """Owner users see the warnings about their own documents only."""
    return jsonify(page_of(queries.warnings_query(queries.parse_filter(request.args)),
                           risk_json))


@operation("/risks/<warning_id>/acknowledge", "POST", summary="Acknowledge a risk warning "
           "with a note", tag="risks", body=ACKNOWLEDGE, response=RISK,
           roles=("supervisor", "customs_clerk"))
def acknowledge_risk(warning_id: str, payload: dict):
    warning = services.acknowledge(db(), parse_id(warning_id, "warning"), payload["note"])
    db().commit()
    return jsonify(risk_json(warning))
