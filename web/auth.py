"""Logging in and out, the signed-in user on every request, and the role checks on every route.

Pages need a signed-in user unless they are in PUBLIC: the login page, the health check, the unit's
acknowledgement link (its signed token is the credential), Twilio's webhooks (Twilio's signature) and the
integration API (its bearer tokens)."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, session,
                   url_for)
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from engine.accounts.service import Accounts, LoginRefused
from engine.accounts.users import ADMIN, LEADER, SUPERVISOR, UNIT, User
from engine.domain.errors import InvalidInput

bp = Blueprint("auth", __name__)
PUBLIC_ENDPOINTS = {"auth.login", "health", "metrics", "static"}  # /metrics: its own check (web/metrics.py)
PUBLIC_BLUEPRINTS = {"api_v1", "twilio", "aliyun", "ack"}
PUBLIC_PREFIXES = ("/api/", "/twilio/", "/aliyun/")  # their own authentication answers there, also for unknown paths
HOME_OF_ROLE = {SUPERVISOR: "workbench.today", ADMIN: "workbench.today", UNIT: "unit.home", LEADER: "leadership.home"}
F = TypeVar("F", bound=Callable[..., Any])


class SessionUser(UserMixin):  # type: ignore[misc]
    """Flask-Login's view of a Duban user. The id carries the session version, so a password or role change
    (which bumps it) ends every session made before."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return f"{self.user.id}:{self.user.session_version}"

    @property
    def is_active(self) -> bool:
        return self.user.active


def accounts() -> Accounts:
    found: Accounts = current_app.extensions["duban.accounts"]
    return found


def current() -> User:
    """The signed-in user (routes run only after the login check)."""
    return current_user.user  # type: ignore[no-any-return]


def client_address() -> str:
    return request.remote_addr or "-"


def roles(*allowed: str) -> Callable[[F], F]:
    """Only these roles may use the route; others get 403 (a unit user asking for another unit's order gets
    404 from `web.context.order_or_404`, not 403, so that numbers of other units' orders are not confirmed)."""
    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if current().role not in allowed:
                abort(403)
            return view(*args, **kwargs)
        return guarded  # type: ignore[return-value]
    return decorate


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") else None


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = None
    status = 200
    if request.method == "POST":
        try:
            user = accounts().authenticate(request.form.get("username", ""), request.form.get("password", ""),
                                           address=client_address())
        except LoginRefused as refused:
            error, status = str(refused), (429 if refused.retry_after else 401)
        else:
            session.clear()
            login_user(SessionUser(user))
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")) or url_for(HOME_OF_ROLE[user.role]))
    response = current_app.make_response((render_template("login.html", error=error), status))
    if status == 429:
        response.headers["Retry-After"] = "900"
    return response


@bp.post("/logout")
def logout() -> Any:
    if current_user.is_authenticated:
        accounts().logged_out(current(), address=client_address())
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password() -> Any:
    if request.method == "POST":
        form = request.form
        try:
            accounts().authenticate(current().username, form.get("current", ""), address=client_address())
            if form.get("new", "") != form.get("repeat", ""):
                raise InvalidInput("两次输入的新密码不一致 (the new passwords differ)")
            accounts().set_password(current().username, form.get("new", ""), actor=current().username)
        except (LoginRefused, InvalidInput) as exc:
            return render_template("password.html", error=str(exc)), 422
        logout_user()
        session.clear()
        flash("密码已修改，请用新密码登录。")
        return redirect(url_for("auth.login"))
    return render_template("password.html", error=None)


def init_auth(app: Flask, found: Accounts) -> None:
    app.extensions["duban.accounts"] = found
    manager = LoginManager()
    manager.login_view = "auth.login"
    manager.login_message = "请先登录。"
    manager.session_protection = "strong"
    manager.init_app(app)

    @manager.user_loader
    def load(session_id: str) -> SessionUser | None:
        user_id, _, version = session_id.partition(":")
        if not user_id.isdigit():
            return None
        user = found.get(int(user_id))
        if user is None or not user.active or str(user.session_version) != version:
            return None
        return SessionUser(user)

    @app.before_request
    def require_login() -> Any:
        endpoint = request.endpoint or ""
        if endpoint in PUBLIC_ENDPOINTS or request.blueprint in PUBLIC_BLUEPRINTS \
                or request.path.startswith(PUBLIC_PREFIXES):
            return None
        if not current_user.is_authenticated:
            return manager.unauthorized()
        return None

    @app.context_processor
    def user_context() -> dict[str, Any]:
        return {"me": current() if current_user.is_authenticated else None}

    app.register_blueprint(bp)
