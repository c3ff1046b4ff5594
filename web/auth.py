"""Login, logout, language, and the role checks every blueprint uses."""
from __future__ import annotations

import time
from functools import wraps
from urllib.parse import urlsplit

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from wms.accounts import services as accounts
from wms.accounts.models import LOCALES, User
from wms.core.parsing import ascii_id
from wms.core.context import set_actor
from wms.core.db import run_in_transaction

from .db import close_session, db

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
# Seconds added to every failed login: slows guessing without locking anyone out.
FAILED_LOGIN_DELAY = 0.5
PUBLIC_ENDPOINTS = {"auth.login", "auth.set_language", "static", "healthz"}
# What the session cookie carries besides flask-login's user id: the user's session
# generation at login, when the login happened and when the session was last used.
GENERATION, LOGGED_IN_AT, SEEN_AT = "_wms_gen", "_wms_login_at", "_wms_seen_at"
SEEN_RESOLUTION = 60  # seconds: the cookie is rewritten at most once a minute


class LoginUser:
    """What flask-login keeps: the user row, plus its acting identity."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.id = user.id
        self.login = user.login
        self.display_name = user.display_name
        self.locale = user.locale
        self.roles = user.roles
        self.is_authenticated = True
        self.is_active = user.active
        self.is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles)) or "admin" in self.roles


@login_manager.user_loader
def load_user(user_id: str):
    """The session's user, unless the session has ended: the user logged out, changed the
    password or was locked since (the generation moved on), or the session outlived its
    idle or absolute lifetime. An ended session is emptied, its CSRF token with it."""
    uid = ascii_id(user_id)
    user = accounts.load_user(db(), uid) if uid else None
    if user is None or not user.active or not session_is_current(user):
        session.clear()
        return None
    return LoginUser(user)


def session_is_current(user: User) -> bool:
    now = time.time()
    if session.get(GENERATION) != user.session_generation:
        return False
    logged_in_at = session.get(LOGGED_IN_AT)
    seen_at = session.get(SEEN_AT)
    if not isinstance(logged_in_at, (int, float)) or not isinstance(seen_at, (int, float)):
        return False
    if now - logged_in_at > current_app.config["SESSION_MAX_HOURS"] * 3600:
        return False
    if now - seen_at > current_app.config["SESSION_IDLE_MINUTES"] * 60:
        return False
    if now - seen_at > SEEN_RESOLUTION:
        session[SEEN_AT] = now
    return True


def start_session(user: User) -> None:
    """A fresh session for ``user`` (nothing of the anonymous one carried over)."""
    session.clear()
    login_user(LoginUser(user))
    now = time.time()
    session[GENERATION] = user.session_generation
    session[LOGGED_IN_AT] = now
    session[SEEN_AT] = now
    session["locale"] = user.locale


def init_app(app) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.session_protection = "strong"

    @app.before_request
    def require_login_and_set_actor():
        # The API authenticates by token; the tracking blueprint serves only signed,
        # expiring, read-only links that customers open without an account.
        if request.blueprint in ("api", "tracking") or request.endpoint in PUBLIC_ENDPOINTS:
            return None
        if request.routing_exception is not None and request.path.startswith("/api/"):
            return None  # an unknown API route or method: its JSON 404/405, not the login page
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        g.actor_token = set_actor(accounts.actor_for(current_user.user))
        return None


def roles_required(*roles: str):
    """A view (or a whole blueprint via ``before_request``) only for these roles."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)
        return wrapper
    return decorator


def blueprint_roles(blueprint: Blueprint, *roles: str) -> None:
    @blueprint.before_request
    def check_roles():
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.has_role(*roles):
            abort(403)
        return None


def unit_of_work(use_case):
    """Run a write of the auth views in its own transaction, retried when another writer
    held the lock (SQLite) or a concurrent transaction conflicted; the request's reading
    session is ended first."""
    close_session()
    return run_in_transaction(current_app.extensions["wms.sessionmaker"], use_case)


class LoginForm(FlaskForm):
    login = StringField(_l("Login"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


def safe_next(target: str | None, default: str | None = None) -> str:
    """``target`` when it is a path on this site, else ``default`` (the home page).

    ``//evil.example`` and ``/\\evil.example`` are read by browsers as another host, and
    control characters let a header carry more than a path: all go to the default.
    """
    if target and target.startswith("/") and not target.startswith("//") \
            and target.isprintable() and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return default or url_for("office.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("office.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = unit_of_work(lambda s: accounts.authenticate(s, form.login.data,
                                                              form.password.data))
        if user is not None:
            start_session(user)
            # Staff on a phone start at the handheld's task list, not the desk's home.
            phone = request.headers.get("Sec-CH-UA-Mobile") == "?1" \
                or "Mobi" in request.headers.get("User-Agent", "")
            home = url_for("handheld.index") if phone and set(user.roles) & {
                "operator", "returns_clerk"} else None
            return redirect(safe_next(request.args.get("next"), home))
        time.sleep(FAILED_LOGIN_DELAY)
        flash(_("Login or password is wrong, or the account is locked."), "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    """Logging out ends every session of the user, on every device: a copy of the cookie
    kept from before opens nothing."""
    if current_user.is_authenticated:
        user_id = current_user.id
        unit_of_work(lambda s: accounts.end_sessions(s, s.get(User, user_id)))
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.post("/language")
def set_language():
    """Switch language: remembered on the user when logged in, in the session before."""
    locale = request.form.get("locale", "")
    if locale not in LOCALES:
        abort(400)
    session["locale"] = locale
    if current_user.is_authenticated:
        session_ = db()
        user = session_.get(User, current_user.id)
        accounts.set_locale(user, locale)
        session_.commit()
    return redirect(safe_next(request.form.get("next")))
