"""Webhook subscriptions at the desk, their delivery log, and "deliver now" with the real
HTTP poster (the background worker delivers the same way)."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from wms.core.db import utcnow
from wms.core.errors import DomainError
from wms.logistics.delivery_http import http_post
from wms.logistics.queries import (due_deliveries, enterprise_names, owners_to_subscribe,
                                   subscriptions)
from wms.logistics.webhooks import (create_subscription, deliver_due, delivery_log,
                                    set_subscription_active)

from ..db import db
from .access import EDITORS, bp, only
from .network import form_error


def poster():
    """The HTTP poster ``deliver_due`` uses (tests put a fake in app.config)."""
    if current_app.config.get("WEBHOOK_POST"):
        return current_app.config["WEBHOOK_POST"]
    allow = current_app.config.get("WEBHOOK_ALLOW_PRIVATE", False)
    return lambda url, body, headers: http_post(url, body, headers, allow_private=allow)


class SubscriptionForm(FlaskForm):
    url = StringField(_l("URL (https://…)"), validators=[DataRequired(), Length(max=500)])
    secret = StringField(_l("Secret (at least 16 characters)"),
                         validators=[DataRequired(), Length(max=200)])
    owner = SelectField(_l("Shipments of"), default="")
    description = StringField(_l("Description"), validators=[Optional(), Length(max=200)])


def subscription_form() -> SubscriptionForm:
    form = SubscriptionForm()
    form.owner.choices = [SelectChoice("", _("All owners"))] + [
        SelectChoice(str(e.id), f"{e.customs_code} {e.name}")
        for e in owners_to_subscribe(db())]
    return form


@bp.route("/webhooks", methods=["GET", "POST"])
@only(*EDITORS)
def webhooks():
    form = subscription_form()
    status = 200
    if form.validate_on_submit():
        session = db()
        try:
            subscription = create_subscription(
                session, url=form.url.data, secret=form.secret.data,
                owner_id=int(form.owner.data) if form.owner.data else None,
                description=(form.description.data or "").strip() or None,
                allow_private=current_app.config.get("WEBHOOK_ALLOW_PRIVATE", False))
        except DomainError as exc:
            session.rollback()
            form_error(form, exc)
            status = exc.status
        else:
            session.commit()
            flash(_("Subscription %(id)s created: %(url)s", id=subscription.id,
                    url=subscription.url), "ok")
            return redirect(url_for("dispatch.webhooks"))
    elif form.is_submitted():
        status = 422
    owners = enterprise_names(db())
    return render_template("dispatch/webhooks.html", form=form, rows=subscriptions(db()),
                           owners=owners), status


@bp.post("/webhooks/<int:subscription_id>/active")
@only(*EDITORS)
def webhook_active(subscription_id: int):
    session = db()
    active = request.form.get("active") == "1"
    set_subscription_active(session, subscription_id, active)
    session.commit()
    flash(_("Subscription %(id)s activated.", id=subscription_id) if active
          else _("Subscription %(id)s deactivated.", id=subscription_id), "ok")
    return redirect(url_for("dispatch.webhooks"))


@bp.get("/webhooks/deliveries")
@only(*EDITORS)
def deliveries():
    subscription_id = request.args.get("subscription", type=int)
    status = request.args.get("status") or None
    if status not in (None, "pending", "delivered", "failed"):
        status = None
    rows = delivery_log(db(), subscription_id=subscription_id, status=status, limit=200)
    due = due_deliveries(db(), utcnow())
    return render_template("dispatch/deliveries.html", rows=rows, status=status,
                           subscription_id=subscription_id, subscriptions=subscriptions(db()),
                           due=due)


@bp.post("/webhooks/deliver")
@only(*EDITORS)
def deliver_now():
    """Attempt every delivery that is due, now, with the real HTTP poster."""
    session = db()
    run = deliver_due(session, poster())
    session.commit()
    flash(_("Attempted %(attempted)s: %(delivered)s delivered, %(retrying)s to retry, "
            "%(failed)s failed.", attempted=run.attempted, delivered=run.delivered,
            retrying=run.retrying, failed=run.failed), "ok" if not run.failed else "error")
    return redirect(url_for("dispatch.deliveries"))
