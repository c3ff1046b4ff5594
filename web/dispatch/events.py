"""Tracking events uploaded at the desk as CSV (the same rules as the API's batch)."""
from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from wms.core.errors import N_, DomainError, ValidationError
from wms.logistics.events import CSV_COLUMNS, CSV_REQUIRED, ingest_csv

from ..db import db
from ..errors import translate_error
from .access import EDITORS, bp, only


class UploadForm(FlaskForm):
    source = StringField(_l("Source"), default="rail:",
                         validators=[DataRequired(), Length(max=40)])
    file = FileField(_l("CSV file"))
    text = TextAreaField(_l("…or paste the CSV here"), validators=[Optional(),
                                                                  Length(max=2_000_000)])


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


@bp.route("/events/upload", methods=["GET", "POST"])
@only(*EDITORS)
def upload():
    form = UploadForm()
    result = error = error_field = None
    status = 200
    if form.validate_on_submit():
        session = db()
        try:
            text = _csv_text(form)
            if not text.strip():
                raise ValidationError(N_("Choose a file or paste the CSV"), field="file")
            result = ingest_csv(session, form.source.data.strip(), text)
        except DomainError as exc:
            session.rollback()
            error, error_field, status = translate_error(exc), exc.field, exc.status
        else:
            session.commit()
    elif form.is_submitted():
        status = 422
    return render_template("dispatch/upload.html", form=form, result=result, error=error,
                           error_field=error_field, columns=CSV_COLUMNS,
                           required=CSV_REQUIRED), status
