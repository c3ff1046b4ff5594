"""Inspection: each returned item is graded (resell as new, resell as open box, damaged,
scrap) with what is wrong with it and a photo; a return whose items are all graded is
inspected and waits for its dispositions."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from wms.core.db import utcnow
from wms.core.errors import N_, Conflict, NotFound, ValidationError

from .models import GRADES, ReturnLine, ReturnRequest


def find_line(request: ReturnRequest, gnum: Any, field_name: str = "gnum") -> ReturnLine:
    try:
        gnum = int(gnum)
    except (TypeError, ValueError):
        gnum = None
    line = next((ln for ln in request.lines if ln.gnum == gnum), None)
    if line is None:
        raise NotFound(N_("Return %(name)s has no item %(gnum)s"), field=field_name,
                       name=request.name, gnum=gnum)
    return line


def grade_line(session: Session, request: ReturnRequest, gnum: Any, grade: str,
               reason: str | None = None, photo: str | None = None) -> ReturnLine:
    """Grade one item: the reason is required unless it is as new. When every item is
    graded the return is inspected."""
    if request.state not in ("received", "inspected"):
        raise Conflict(N_("Return %(name)s is %(state)s: grade it once its goods are in"),
                       field="return", name=request.name, state=request.state)
    line = find_line(request, gnum)
    if line.disposition_state in ("done", "to_approve"):
        raise Conflict(N_("Item %(gnum)s is disposed of already"), field="grade",
                       gnum=line.gnum)
    if grade not in GRADES:
        raise ValidationError(N_("Must be one of: %(values)s"), field="grade",
                              values=", ".join(GRADES))
    reason = (reason or "").strip()[:200] or None
    if grade != "new" and not reason:
        raise ValidationError(N_("Say what is wrong with it"), field="reason")
    line.grade, line.grade_reason, line.graded_at = grade, reason, utcnow()
    if photo:
        line.photo = photo[:200]
    if request.state == "received" and all(ln.grade for ln in request.lines):
        request.transition("inspected")
    session.flush()
    return line
