"""Inspection: each returned item is graded (resell as new, resell as open box, damaged,
scrap) with what is wrong with it and a photo; a return whose items are all graded is
inspected and waits for its dispositions."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from wms.core.db import utcnow
from wms.core.errors import N_, Conflict, NotFound, ValidationError

from .models import GRADES, ReturnLine, ReturnRequest, ReturnUnit


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


def unit_numbers(line: ReturnLine, units: Any, field_name: str = "units") -> list[int]:
    """Which units of the item are graded: None or empty for every unit, else unit numbers
    (1 .. quantity) as a list or a text such as ``"1, 2"``."""
    count = int(line.qty)
    if units is None or units == "" or units == []:
        return list(range(1, count + 1))
    if isinstance(units, (int, str)):
        units = [u for u in str(units).replace(" ", "").split(",") if u]
    numbers = []
    for unit in units:
        try:
            number = int(unit)
        except (TypeError, ValueError):
            number = 0
        if not 1 <= number <= count:
            raise ValidationError(N_("Item %(gnum)s has units 1 to %(count)s"),
                                  field=field_name, gnum=line.gnum, count=count)
        numbers.append(number)
    return sorted(set(numbers))


def grade_line(session: Session, request: ReturnRequest, gnum: Any, grade: str,
               reason: str | None = None, photo: str | None = None, units: Any = None
               ) -> ReturnLine:
    """Grade units of one item (all of them unless ``units`` names some): the reason is
    required unless they are as new. Two units may be graded differently; the item's grade
    is the worst of its units once every unit is graded, and when every item is graded the
    return is inspected."""
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
    numbers = unit_numbers(line, units)
    now = utcnow()
    by_no = {u.unit_no: u for u in line.units}
    for number in numbers:
        unit = by_no.get(number)
        if unit is None:
            unit = ReturnUnit(unit_no=number, grade=grade, graded_at=now)
            line.units.append(unit)
        unit.grade, unit.grade_reason, unit.graded_at = grade, reason, now
        if photo:
            unit.photo = photo[:200]
    graded = {u.unit_no: u.grade for u in line.units}
    whole = len(graded) >= int(line.qty)
    line.grade = max(graded.values(), key=GRADES.index) if whole else None
    line.grade_reason = "; ".join(sorted({u.grade_reason for u in line.units
                                          if u.grade_reason}))[:200] or None
    line.graded_at = now
    if photo:
        line.photo = photo[:200]
    if request.state == "received" and all(ln.grade for ln in request.lines):
        request.transition("inspected")
    session.flush()
    return line


def unit_grades(line: ReturnLine) -> list[str | None]:
    """The grade of each unit, unit 1 first (None for a unit not graded yet)."""
    graded = {u.unit_no: u.grade for u in line.units}
    return [graded.get(n) for n in range(1, int(line.qty) + 1)]
