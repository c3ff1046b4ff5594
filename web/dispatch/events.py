"""Tracking events at the desk: one event by hand (a unit or a shipment, a code from the
mapped lists, the place, the time, planned/estimated/actual), or many uploaded as CSV (the
same rules as the API's batch). A CSV error names the row as a spreadsheet numbers it and
the column by its header."""
from __future__ import annotations

import csv
import io
import re
import uuid

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from wms.core.errors import N_, DomainError, ValidationError
from wms.logistics.events import CSV_COLUMNS, CSV_REQUIRED, ingest_csv, ingest_events
from wms.logistics.models import CLASSIFIERS
from wms.logistics.network import list_nodes
from wms.logistics.vocabulary import SCHEMES

from ..db import db
from ..errors import translate_error
from .access import EDITORS, bp, only
from .format import CLASSIFIER_TITLES, MILESTONE_TITLES, local_zone
from .units import KIND_CHOICES

CSV_WHERE = re.compile(r"^line (\d+)(?:: (\w+))?$")
SCHEME_TITLES = {"wms": _l("Warehouse (milestones)"), "rail": _l("Rail (DCSA and border)"),
                 "iata": _l("Air (IATA FSU)"), "upu": _l("Post (UPU EMSEVT)")}
# Other spellings the vocabulary accepts (DEPART for DEPA, LOAD for LOADED): not offered
# twice. Rail's LOAD is DCSA's own code and stays.
ALIASES = {"rail": {"DEPART", "ARRIVE", "BORDER_CROSSING", "GAUGE_CHANGE", "DISCHARGE"},
           "wms": {"LOAD", "UNLOAD", "DEPART", "ARRIVE"}}


class UploadForm(FlaskForm):
    source = StringField(_l("Source"), default="rail:",
                         validators=[DataRequired(), Length(max=40)])
    file = FileField(_l("CSV file"))
    text = TextAreaField(_l("…or paste the CSV here"), validators=[Optional(),
                                                                  Length(max=2_000_000)])


def code_choices() -> list[SelectChoice]:
    """The mapped codes in groups by scheme: ``rail:DEPA`` → "DEPA · Departed"."""
    choices = []
    for scheme in ("wms", "rail", "iata", "upu"):
        group = str(SCHEME_TITLES[scheme])
        choices += [SelectChoice(f"{scheme}:{code}", str(MILESTONE_TITLES.get(milestone, milestone))
                                 if scheme == "wms" else
                                 f"{code} · {MILESTONE_TITLES.get(milestone, milestone)}",
                                 optgroup=group)
                    for code, milestone in SCHEMES[scheme].items()
                    if code not in ALIASES.get(scheme, ())]
    return choices


class EventForm(FlaskForm):
    code = SelectField(_l("Event"), validators=[DataRequired()])
    unit = StringField(_l("Unit (number)"), validators=[Optional(), Length(max=40)])
    unit_kind = SelectField(_l("Unit kind (if the number is ambiguous)"),
                            validators=[Optional()])
    shipment = StringField(_l("…or shipment (name or reference)"),
                           validators=[Optional(), Length(max=60)])
    parent = StringField(_l("Loaded into / unloaded from (for load and unload)"),
                         validators=[Optional(), Length(max=40)])
    node = SelectField(_l("Place"), validators=[Optional()])
    time = DateTimeLocalField(_l("Time"), validators=[DataRequired()])
    classifier = SelectField(_l("Planned, estimated or actual"), default="ACT",
                             choices=[SelectChoice(c, CLASSIFIER_TITLES[c])
                                      for c in CLASSIFIERS])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


def _event_form() -> EventForm:
    form = EventForm()
    form.code.choices = code_choices()
    form.unit_kind.choices = [SelectChoice("", "—")] + [SelectChoice(k, str(v))
                                                        for k, v in KIND_CHOICES.items()]
    form.node.choices = [SelectChoice("", "—")] + [
        SelectChoice(n.code, f"{n.code} · {n.name_zh or n.name}") for n in list_nodes(db())]
    return form


@bp.route("/events/new", methods=["GET", "POST"])
@only(*EDITORS)
def event_new():
    """One event by hand, through the same door as a feed's batch (source ``<scheme>:desk``,
    a fresh event id, so it is never taken for a duplicate)."""
    form = _event_form()
    status = 200
    if form.validate_on_submit():
        scheme, _sep, code = form.code.data.partition(":")
        event = {"id": f"desk-{uuid.uuid4().hex}", "code": code,
                 "time": form.time.data.replace(tzinfo=local_zone()).isoformat(),
                 "classifier": form.classifier.data, "node": form.node.data or None,
                 "unit": form.unit.data or None, "unit_kind": form.unit_kind.data or None,
                 "shipment": form.shipment.data or None, "parent": form.parent.data or None,
                 "note": form.note.data or None}
        session = db()
        try:
            if not (event["unit"] or event["shipment"]):
                raise ValidationError(N_("Name the unit or the shipment"), field="unit")
            result = ingest_events(session, f"{scheme}:desk",
                                   [{k: v for k, v in event.items() if v is not None}])
        except DomainError as exc:
            session.rollback()
            name = (exc.field or "").removeprefix("events[0].")
            target = getattr(form, name, None) if name else None
            if target is not None and hasattr(target, "errors"):
                target.errors = [*target.errors, translate_error(exc)]
            else:
                flash(translate_error(exc), "error")
            status = exc.status
        else:
            session.commit()
            if result.flagged:
                flash(_("Recorded, but nobody mapped this code: it does not move the status."),
                      "error")
            else:
                flash(_("Event recorded."), "ok")
            return redirect(url_for("dispatch.event_new"))
    elif form.is_submitted():
        status = 422
    return render_template("dispatch/event_form.html", form=form), status


def _csv_text(form: UploadForm) -> str:
    upload = form.file.data
    if upload is not None and getattr(upload, "filename", ""):
        raw = upload.read()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise ValidationError(N_("The file is not UTF-8 or GB18030 text"), field="file")
    return form.text.data or ""


def csv_place(field: str | None, text: str) -> dict | None:
    """Where a CSV error is, for people: the row (as a spreadsheet numbers it, the header
    being row 1), the column's header and the row's values."""
    match = CSV_WHERE.match(field or "")
    if not match:
        return None
    line, column = int(match[1]), match[2]
    row_number, physical = None, []
    reader = csv.reader(io.StringIO(text))
    for number, values in enumerate(reader, start=1):
        if reader.line_num >= line:
            row_number, physical = number, values
            break
    header = next(csv.reader(io.StringIO(text)), [])
    return {"row": row_number or line, "column": column, "header": header,
            "cells": physical, "index": header.index(column) if column in header else None}


@bp.route("/events/upload", methods=["GET", "POST"])
@only(*EDITORS)
def upload():
    form = UploadForm()
    result = error = error_field = where = None
    status = 200
    if form.validate_on_submit():
        session = db()
        text = ""
        try:
            text = _csv_text(form)
            if not text.strip():
                raise ValidationError(N_("Choose a file or paste the CSV"), field="file")
            result = ingest_csv(session, form.source.data.strip(), text)
        except DomainError as exc:
            session.rollback()
            error, error_field, status = translate_error(exc), exc.field, exc.status
            where = csv_place(exc.field, text)
        else:
            session.commit()
    elif form.is_submitted():
        status = 422
    return render_template("dispatch/upload.html", form=form, result=result, error=error,
                           error_field=error_field, where=where, columns=CSV_COLUMNS,
                           required=CSV_REQUIRED), status
