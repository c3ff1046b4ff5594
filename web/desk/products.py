"""Desk pages for products (on the ``stock`` blueprint): list, register, edit, one product.

The customs codes are offered by name from the code tables (a select with a search box,
``static/code_select.js``), never a free 3-digit box. Writes go through one door each
(``catalog.register_product``, ``catalog.update_product``), which check the customs data as
a whole and audit each changed field.
"""
from __future__ import annotations

from decimal import Decimal

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from wms.catalog import services as catalog
from wms.core.errors import DomainError
from wms.inventory import queries

from ..auth import roles_required
from ..db import db
from .receipts import code_choices, code_names
from .stock import (CUSTOMS_TITLES, PAGE_SIZE, PRODUCT_EDITORS, bp, form_error, int_arg, num,
                    page_arg, pages_for, visible_owners)
from .stock_pages import can_print

TAX_BASIS_TITLES = {"ad_valorem": _l("Ad valorem"),
                    "cosmetics_threshold": _l("Cosmetics threshold (10 RMB per ml/g, 15 per "
                                              "piece)")}
OPTIONAL_TEXT = ("gtin", "name_en", "category", "legal_unit2", "legal_factor2",
                 "item_record_no")


class ProductForm(FlaskForm):
    owner = SelectField(_l("Owner"), validators=[DataRequired()])
    sku = StringField(_l("SKU"), validators=[DataRequired(), Length(max=40)])
    gtin = StringField(_l("GTIN (barcode)"), validators=[Optional(), Length(max=14)])
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=200)])
    category = StringField(_l("Category"), validators=[Optional(), Length(max=60)])
    hs_code = StringField(_l("HS code (10 digits)"), validators=[DataRequired(),
                                                                 Length(max=10)])
    gname = StringField(_l("Customs name"), validators=[DataRequired(), Length(max=250)])
    gmodel = StringField(_l("Customs model and specification"),
                         validators=[DataRequired(), Length(max=250)])
    # validate_choice off: the code table check in the domain names the table in its error
    customs_unit = SelectField(_l("Declared unit"), validate_choice=False,
                               validators=[DataRequired()])
    legal_unit1 = SelectField(_l("First legal unit"), validate_choice=False,
                              validators=[DataRequired()])
    legal_factor1 = StringField(_l("Legal quantity per declared unit"), default="1",
                                validators=[DataRequired(), Length(max=20)])
    legal_unit2 = SelectField(_l("Second legal unit"), validate_choice=False,
                              validators=[Optional()])
    legal_factor2 = StringField(_l("Second legal quantity per declared unit"),
                                validators=[Optional(), Length(max=20)])
    origin_country = SelectField(_l("Country of origin"), validate_choice=False,
                                 validators=[DataRequired()])
    declared_price = StringField(_l("Declared unit price"), default="0",
                                 validators=[Optional(), Length(max=20)])
    item_record_no = StringField(_l("Product registration number"),
                                 validators=[Optional(), Length(max=30)])
    vat_rate = StringField(_l("VAT rate (fraction, e.g. 0.13)"), default="0.13",
                           validators=[DataRequired(), Length(max=10)])
    consumption_tax_rate = StringField(_l("Consumption-tax rate (fraction)"), default="0",
                                       validators=[DataRequired(), Length(max=10)])
    consumption_tax_basis = SelectField(_l("Consumption-tax basis"), default="ad_valorem",
                                        choices=[SelectChoice(k, v) for k, v
                                                 in TAX_BASIS_TITLES.items()])
    positive_list = BooleanField(_l("On the retail import positive list"))
    simplified_export = BooleanField(_l("Needs no export tax, refund or licence (short HS "
                                        "code on export lists)"))
    net_weight_kg = StringField(_l("Net weight, kg"), default="0",
                                validators=[Optional(), Length(max=20)])
    gross_weight_kg = StringField(_l("Gross weight, kg"), default="0",
                                  validators=[Optional(), Length(max=20)])
    track_lot = BooleanField(_l("Tracked by lot"))
    track_expiry = BooleanField(_l("Tracked by expiry date"))


def _choices(table: str, blank: bool = False) -> list[SelectChoice]:
    return [SelectChoice(code, label) for code, label in code_choices(table, blank)]


def _offer_codes(form: ProductForm) -> None:
    form.customs_unit.choices = form.legal_unit1.choices = _choices("unit")
    form.legal_unit2.choices = _choices("unit", blank=True)
    form.origin_country.choices = _choices("country")
    form.owner.choices = [SelectChoice(e.customs_code, f"{e.customs_code} {e.name}")
                          for e in visible_owners()]


def _data(form: ProductForm, skip: tuple[str, ...]) -> dict:
    data = {name: (field.data.strip() if isinstance(field.data, str) else field.data)
            for name, field in form._fields.items() if name not in ("csrf_token", *skip)}
    for name in OPTIONAL_TEXT:
        if name in data:
            data[name] = data[name] or None
    for name in ("declared_price", "net_weight_kg", "gross_weight_kg"):
        data[name] = data[name] or 0
    return data


def _render_form(form: ProductForm, product=None, status: int = 200):
    return render_template("stock/product_form.html", form=form, product=product), status


@bp.get("/products")
def products():
    owner_id = int_arg("owner")
    q = (request.args.get("q") or "").strip()[:100]
    stmt = catalog.products_query(owner_id, q or None)
    page = page_arg()
    total = db().scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db().scalars(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    on_hand = queries.products_on_hand(db(), [r.id for r in rows])
    return render_template("stock/products.html", can_print=can_print(), rows=rows,
                           total=total, page=page, pages=pages_for(total), q=q,
                           owner_id=owner_id, owners=visible_owners(), on_hand=on_hand,
                           num=num, can_edit=current_user.has_role(*PRODUCT_EDITORS))


@bp.route("/products/new", methods=["GET", "POST"])
@roles_required(*PRODUCT_EDITORS)
def product_new():
    form = ProductForm()
    _offer_codes(form)
    if form.validate_on_submit():
        try:
            product = catalog.register_product(db(), owner_code=form.owner.data,
                                               **_data(form, ("owner",)))
        except DomainError as exc:
            db().rollback()
            form_error(form, exc)
            return _render_form(form, status=exc.status if exc.status >= 400 else 422)
        db().commit()
        flash(_("Product %(sku)s registered.", sku=product.sku), "ok")
        return redirect(url_for("stock.product", product_id=product.id))
    return _render_form(form, status=422 if form.is_submitted() else 200)


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
@roles_required(*PRODUCT_EDITORS)
def product_edit(product_id: int):
    product = catalog.get_product(db(), product_id)  # NotFound (404) for other owners
    form = ProductForm() if request.method == "POST" else ProductForm(obj=product)
    _offer_codes(form)
    form.owner.choices = [SelectChoice(product.owner.customs_code,
                                       f"{product.owner.customs_code} {product.owner.name}")]
    form.owner.data, form.sku.data = product.owner.customs_code, product.sku
    if not form.is_submitted():
        for name in ("legal_factor1", "legal_factor2", "declared_price", "net_weight_kg",
                     "gross_weight_kg", "vat_rate", "consumption_tax_rate"):
            value = getattr(product, name)
            getattr(form, name).data = "" if value is None else num(value)
        form.legal_unit2.data = product.legal_unit2 or ""
    if form.validate_on_submit():
        try:
            catalog.update_product(db(), product.id, _data(form, ("owner", "sku")))
        except DomainError as exc:
            db().rollback()
            form_error(form, exc)
            return _render_form(form, product, exc.status if exc.status >= 400 else 422)
        db().commit()
        flash(_("Product %(sku)s saved.", sku=product.sku), "ok")
        return redirect(url_for("stock.product", product_id=product.id))
    return _render_form(form, product, 422 if form.is_submitted() else 200)


@bp.get("/products/<int:product_id>")
def product(product_id: int):
    product = catalog.get_product(db(), product_id)  # NotFound (404) for other owners
    rows = queries.product_stock(db(), product)
    total = sum((Decimal(r.quantity) for r in rows), Decimal(0))
    return render_template("stock/product.html", can_print=can_print(), product=product,
                           rows=rows, total=total, num=num, statuses=CUSTOMS_TITLES,
                           units=code_names("unit"), countries=code_names("country"),
                           tax_bases=TAX_BASIS_TITLES,
                           can_edit=current_user.has_role(*PRODUCT_EDITORS))
