"""The application factory."""
from __future__ import annotations

from flask import Flask, g, request, session
from flask_babel import Babel, get_locale
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect

from wms.core.context import reset_actor
from wms.core.db import make_engine, make_session_factory

from . import guards
from .config import load_config
from .db import close_session

csrf = CSRFProtect()
babel = Babel()

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(), microphone=(), camera=(self)",
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data: blob:; "
                                "style-src 'self'; script-src 'self'; object-src 'none'; "
                                "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"),
}


def select_locale() -> str:
    from wms.accounts.models import LOCALES
    if g.get("api_locale"):
        return g.api_locale
    if not g.get("database_unavailable") and current_user and current_user.is_authenticated:
        return current_user.locale
    chosen = session.get("locale")
    return chosen if chosen in LOCALES else None  # None: BABEL_DEFAULT_LOCALE (zh_CN)


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    guards.init_app(app)  # bounded <int:...> and JSON, before any route is added
    app.config.update(load_config(config))
    session_factory = app.config.get("SESSION_FACTORY")
    if session_factory is None:
        session_factory = make_session_factory(make_engine(app.config["DATABASE_URL"]))
    app.extensions["wms.sessionmaker"] = session_factory
    from wms.jobs.queue import ensure_configured
    ensure_configured()  # commits that record work enqueue it (wms.jobs.queue)

    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories="translations")

    from . import auth, dispatch, errors
    from .api import api
    from .desk import jobs, office, orders, printing, receipts, reports, returns, stock
    from .desk import risks
    from .dispatch import public as tracking
    from .scanner import handheld, picking
    auth.init_app(app)
    errors.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(office.bp)
    app.register_blueprint(handheld.bp)
    app.register_blueprint(stock.bp)
    app.register_blueprint(receipts.bp)
    for module in (orders, picking, reports, dispatch, tracking, printing,
                   returns, jobs, risks):
        app.register_blueprint(module.bp)
    from .desk import accountbook, trace
    app.register_blueprint(trace.bp)
    app.register_blueprint(accountbook.bp)
    app.register_blueprint(api)
    csrf.exempt(api)

    @app.context_processor
    def template_helpers():
        return {"get_locale": get_locale, "stored_text": errors.stored_text}

    @app.after_request
    def security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.teardown_request
    def end_request(exc=None):
        token = g.pop("actor_token", None)
        if token is not None:
            reset_actor(token)
        close_session(exc)

    from .health import healthz
    app.add_url_rule("/healthz", "healthz", healthz)

    return app
