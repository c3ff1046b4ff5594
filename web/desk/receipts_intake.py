"""Receipts come in at the desk: the ASN form and the CSV import (on the receipts blueprint).

Both parse what was typed or uploaded and call ``wms.inbound.receipts``: the form's fields
only bound the length, the door checks every line and names the field it blames.
"""
from __future__ import annotations

from datetime import datetime

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import FieldList, Form, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from wms.core.parsing import decode_text_upload as decode_upload
from wms.core.errors import DomainError
from wms.inbound import receipts
from wms.inventory.models import Warehouse

from ..csv_export import safe_writer
from ..auth import roles_required
from ..db import db
from ..errors import translate_error
from .receipts import (EDITORS, LINE_FIELD, STATE_TITLES, bp, code_choices, local_zone,
                       visible_owners)


# ---------------------------------------------------------------- desk form

class LineForm(Form):
    """One advised line; the service checks it, so the fields only bound the length."""
    product = StringField(_l("Product (SKU or GTIN)"), validators=[Optional(), Length(max=40)])
    quantity = StringField(_l("Quantity"), validators=[Optional(), Length(max=20)])
    lot = StringField(_l("Lot"), validators=[Optional(), Length(max=40)])
    expiry_date = StringField(_l("Expiry date"), validators=[Optional(), Length(max=10)])
    sscc = StringField(_l("SSCC"), validators=[Optional(), Length(max=20)])

    def is_blank(self) -> bool:
        return not any((f.data or "").strip() for f in self)


class ReceiptForm(FlaskForm):
    owner = SelectField(_l("Owner"))
    warehouse = SelectField(_l("Warehouse"))
    supplier = StringField(_l("Supplier"), validators=[Optional(), Length(max=200)])
    supplier_ref = StringField(_l("Supplier reference"), validators=[Optional(), Length(max=60)])
    trade_mode = SelectField(_l("Trade mode"), default="1210")
    transport_mode = SelectField(_l("Transport mode"), default="")
    expected_arrival = StringField(_l("Expected arrival"), validators=[Optional(),
                                                                       Length(max=32)])
    bill_of_lading = StringField(_l("Bill of lading"), validators=[Optional(), Length(max=40)])
    air_waybill = StringField(_l("Air waybill"), validators=[Optional(), Length(max=14)])
    train_no = StringField(_l("Train number"), validators=[Optional(), Length(max=20)])
    container_no = StringField(_l("Container number (ISO 6346)"),
                               validators=[Optional(), Length(max=13)])
    rail_note_no = StringField(_l("CIM/SMGS consignment note"),
                               validators=[Optional(), Length(max=40)])
    mail_dispatch_no = StringField(_l("Mail dispatch number"),
                                   validators=[Optional(), Length(max=40)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    lines = FieldList(FormField(LineForm), min_entries=5, max_entries=500)


def receipt_form() -> ReceiptForm:
    form = ReceiptForm()
    form.owner.choices = [(e.customs_code, f"{e.customs_code} {e.name}")
                          for e in visible_owners()]
    warehouses = db().scalars(select(Warehouse).order_by(Warehouse.code)).all()
    # Bonded warehouses first: receipts here are first-line entries into the zone.
    warehouses = sorted(warehouses, key=lambda w: (w.kind != "bonded", w.code))
    form.warehouse.choices = [(w.code, f"{w.code} {w.name}") for w in warehouses]
    form.trade_mode.choices = code_choices("trade_mode")
    form.transport_mode.choices = code_choices("transport_mode", blank=True)
    return form


def _arrival(value: str | None):
    """A datetime-local value gets the warehouse's time zone; anything else goes to the
    service as typed, which says what is wrong with it."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=local_zone())


def row_index(row) -> int:
    """The index a line row was posted with (``lines-2-...``): errors name it."""
    return int(row.name.rsplit("-", 1)[1])


def show_form_error(form: FlaskForm, exc: DomainError) -> None:
    """The error next to the field (or the line's cell) it blames, else on top."""
    message = translate_error(exc)
    target = None
    match = LINE_FIELD.match(exc.field or "")
    if match:
        index, name = int(match.group(1)), match.group(2)
        row = next((r for r in form.lines.entries if row_index(r) == index), None)
        if row is not None:
            target = getattr(row.form, name, None)
    elif exc.field and exc.field not in ("lines", "csrf_token"):
        target = getattr(form, exc.field, None)
        if not hasattr(target, "errors"):
            target = None
    if target is not None:
        target.errors = [*target.errors, message]
    else:
        flash(message, "error")


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def new():
    form = receipt_form()
    if request.method == "POST" and "more_lines" in request.form:
        for _i in range(5):
            form.lines.append_entry()
        return render_template("receipts/form.html", form=form)
    if form.validate_on_submit():
        lines = [receipts.LineInput(product=row.form.product.data or "",
                                   quantity=row.form.quantity.data,
                                   lot=row.form.lot.data or None,
                                   expiry_date=row.form.expiry_date.data or None,
                                   sscc=(row.form.sscc.data or "").strip() or None,
                                   where=f"lines[{row_index(row)}].")
                 for row in form.lines.entries if not row.form.is_blank()]
        try:
            receipt = receipts.create_receipt(
                db(), owner_code=form.owner.data, warehouse_code=form.warehouse.data,
                supplier=form.supplier.data or "", lines=lines,
                supplier_ref=(form.supplier_ref.data or "").strip() or None,
                trade_mode=form.trade_mode.data or "1210",
                transport_mode=form.transport_mode.data or None,
                bill_of_lading=(form.bill_of_lading.data or "").strip() or None,
                air_waybill=(form.air_waybill.data or "").strip() or None,
                train_no=(form.train_no.data or "").strip() or None,
                container_no=(form.container_no.data or "").strip() or None,
                rail_note_no=(form.rail_note_no.data or "").strip() or None,
                mail_dispatch_no=(form.mail_dispatch_no.data or "").strip() or None,
                expected_arrival=_arrival(form.expected_arrival.data),
                note=(form.note.data or "").strip() or None)
        except DomainError as exc:
            db().rollback()
            show_form_error(form, exc)
            return render_template("receipts/form.html", form=form), \
                exc.status if exc.status >= 400 else 422
        db().commit()
        flash(_("Receipt %(name)s created: expected.", name=receipt.name), "ok")
        return redirect(url_for("receipts.detail", receipt_id=receipt.id))
    status = 422 if form.is_submitted() else 200
    return render_template("receipts/form.html", form=form), status


# ---------------------------------------------------------------- CSV import

class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired()])


SAMPLE_ROWS = [
    ("DE-7781", "6201W60012", "LZB", "Danone Nutricia GmbH, Fulda", "1210", "3", "", "",
     "X8024", "CSQU3054383", "SMGS 24-0091", "", "2026-12-01T08:00:00+08:00", "APT-PRE-800",
     "600", "L2026-1201", "2027-12-01", ""),
    ("DE-7781", "6201W60012", "LZB", "Danone Nutricia GmbH, Fulda", "1210", "3", "", "",
     "X8024", "CSQU3054383", "SMGS 24-0091", "", "2026-12-01T08:00:00+08:00", "4902000001703",
     "240", "MJ261201", "2027-12-01", ""),
]


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*EDITORS)
def import_csv():
    form = ImportForm()
    context = dict(form=form, columns=receipts.CSV_COLUMNS, required=receipts.REQUIRED_CSV)
    if form.validate_on_submit():
        try:
            text = decode_upload(form.file.data.read())
            created = receipts.import_receipts_csv(db(), text)
        except DomainError as exc:
            db().rollback()
            return render_template("receipts/import.html", error=translate_error(exc),
                                   error_field=exc.field, **context), \
                exc.status if exc.status >= 400 else 422
        db().commit()
        flash(ngettext_receipts(len(created)), "ok")
        return render_template("receipts/import.html", created=created,
                               state_titles=STATE_TITLES, **context)
    status = 422 if form.is_submitted() else 200
    return render_template("receipts/import.html", **context), status


def ngettext_receipts(count: int) -> str:
    from flask_babel import ngettext
    return ngettext("%(num)s receipt imported.", "%(num)s receipts imported.", count)


@bp.get("/import/sample.csv")
@roles_required(*EDITORS)
def sample_csv():
    import io
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = safe_writer(buffer, lineterminator="\n")
    writer.writerow(receipts.CSV_COLUMNS)
    writer.writerows(SAMPLE_ROWS)
    return Response(buffer.getvalue(), headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": 'attachment; filename="receipts-sample.csv"'})
