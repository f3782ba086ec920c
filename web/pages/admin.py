"""The admin's pages: users and roles, handling units and their SMS contacts, and the audit log."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from engine.accounts.passwords import check_strength
from engine.accounts.service import UserChange
from engine.accounts.users import ADMIN, ROLE_LABELS
from engine.domain.errors import DubanError, InvalidInput
from engine.persistence import admin_queries
from web.auth import accounts, current, roles
from web.context import duban
from web.pages.form_checks import MAX_PAGE, text

bp = Blueprint("admin", __name__, url_prefix="/admin")
AUDIT_PAGE = 100


def _units() -> list[tuple[str, str]]:
    with duban().store.reading() as tx:
        return tx.unit_names()


@bp.get("/users")
@roles(ADMIN)
def users(error: str | None = None, status: int = 200) -> Any:
    return render_template("admin_users.html", users=accounts().list(), units=_units(), error=error), status


@bp.post("/users")
@roles(ADMIN)
def create_user() -> Any:
    form = request.form
    try:
        if form.get("password", "") != form.get("repeat", ""):
            raise InvalidInput("两次输入的密码不一致")
        user = accounts().create(username=form.get("username", "").strip(), display_name=form.get("display_name", ""),
                                 role=form.get("role", ""), password=form.get("password", ""),
                                 unit_code=form.get("unit_code") or None, actor=current().username)
    except DubanError as exc:
        return users(error=str(exc), status=422)
    flash(f"已开设 {user.display_name}（{ROLE_LABELS[user.role]}）的账号。")
    return redirect(url_for("admin.users"))


@bp.post("/users/<username>")
@roles(ADMIN)
def change_user(username: str) -> Any:
    form = request.form
    password = form.get("password", "")
    try:
        if password:
            check_strength(password)  # before anything is saved: a refused form changes nothing
        accounts().change(username, UserChange(
            display_name=form.get("display_name") or None, role=form.get("role") or None,
            unit_code=form.get("unit_code") or None, active=form.get("active") == "1"), actor=current().username)
        if password:
            accounts().set_password(username, password, actor=current().username)
    except DubanError as exc:
        return users(error=str(exc), status=422)
    flash(f"已更新 {username}。")
    return redirect(url_for("admin.users"))


@bp.get("/units")
@roles(ADMIN)
def units(error: str | None = None, status: int = 200) -> Any:
    with duban().store.reading() as tx:
        found = admin_queries.units_with_contacts(tx.c)
    return render_template("admin_units.html", units=found, error=error), status


@bp.post("/units")
@roles(ADMIN)
def save_unit() -> Any:
    form = request.form
    try:
        code = text(form, "code", "单位代码", limit=32)
        name = text(form, "name", "单位名称", limit=200)
        phones = [p.strip() for p in form.get("phones", "").replace("，", ",").replace("\n", ",").split(",") if p.strip()]
        if not phones:
            raise InvalidInput("请至少填写一个接收短信的手机号码")
        duban().register_unit(code, name, phones, actor=current().username)
    except DubanError as exc:
        return units(error=str(exc), status=422)
    flash(f"已保存单位 {name}。")
    return redirect(url_for("admin.units"))


@bp.get("/audit")
@roles(ADMIN)
def audit() -> str:
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    order = (request.args.get("order") or "").strip()[:64] or None
    actor = (request.args.get("actor") or "").strip()[:64] or None
    with duban().store.reading() as tx:
        total, rows = admin_queries.audit_page(tx.c, order_number=order, actor=actor, limit=AUDIT_PAGE,
                                               offset=(page - 1) * AUDIT_PAGE)
    return render_template("admin_audit.html", rows=rows, total=total, page=page, order=order, actor=actor,
                           pages=(total + AUDIT_PAGE - 1) // AUDIT_PAGE)
