"""CSRF, security headers, session cookies, the login rate limit, ending sessions, redirects after login,
password storage, the login audit trail and the masking of the citizen's contact."""
from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit
from typing import Any

import pytest

from tests.web_login import PASSWORD, csrf_of, ensure_user, post, sign_in
from tests.webapp.conftest import (CITIZEN_MASKED, CITIZEN_PHONE, ROLES, World, assert_nothing_saved,
                                   login_token, path_of, text_of)
from web import create_app

NEW_PASSWORD = "Changed-password-2026"
HTTPS_URL = "https://duban.example.gov.cn"


def attempt(client: Any, username: str, password: str) -> Any:
    return client.post("/login", data={"username": username, "password": password, "csrf_token": login_token(client)})


def client_from(world: World, address: str) -> Any:
    client = world.anonymous()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def session_cookie(response: Any) -> str:
    found = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("duban_session=")]
    assert found, response.headers
    return found[0]


# ---------------------------------------------------------------------------------------- CSRF
CSRF_CASES = [
    ("unit1", "/orders/GD101/sign", {}),
    ("unit1", "/orders/GD102/progress", {"note": "已到现场"}),
    ("sup", "/orders/GD104/close", {"note": "同意"}),
    ("sup", "/orders/GD101/cards", {"color": "yellow", "reason": "拖延"}),
    ("sup", "/orders/GD101/citizen", {}),
    ("adm", "/admin/users", {"username": "csrfuser", "display_name": "跨站", "role": "leader",
                             "password": "Csrf-user-2026", "repeat": "Csrf-user-2026"}),
    ("unit1", "/account/password", {"current": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD}),
]


@pytest.mark.parametrize("forged", [None, "not-a-token"], ids=["no-token", "forged-token"])
@pytest.mark.parametrize("user,path,data", CSRF_CASES)
def test_a_form_without_its_token_is_refused_and_saves_nothing(world: World, user: str, path: str,
                                                               data: dict[str, str], forged: str | None) -> None:
    before = world.fingerprint()
    order = world.order("GD101").status
    response = world[user].post(path, data={**data, **({"csrf_token": forged} if forged else {})})
    assert response.status_code == 400
    assert "表单已过期或来源不明" in text_of(response)
    assert world.order("GD101").status == order
    assert_nothing_saved(world, before)


def test_logging_out_needs_the_token_too(world: World) -> None:
    client = world.user_client("csrf.logout", "supervisor")
    assert client.post("/logout").status_code == 400
    assert client.get("/workbench").status_code == 200
    assert post(client, "/logout").status_code == 302
    assert path_of(client.get("/workbench").headers["Location"]) == "/login"


# ---------------------------------------------------------------------------------------- headers and cookies
@pytest.mark.parametrize("user,path", [(None, "/login"), ("sup", "/workbench"), ("sup", "/orders"),
                                       ("sup", "/orders/GD101"), ("sup", "/orders/GD999"), ("unit1", "/orders/GD201"),
                                       ("sup", "/rules"), ("adm", "/admin/users")])
def test_every_page_carries_the_security_headers(world: World, user: str | None, path: str) -> None:
    client = world[user] if user else world.anonymous()
    headers = client.get(path).headers
    assert "script-src 'none'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"  # no-referrer broke every form over https (test_topology)
    assert "Strict-Transport-Security" not in headers  # plain http: no HSTS


@pytest.mark.parametrize("user,path", [("sup", "/orders"), ("sup", "/orders/GD101"), ("sup", "/orders/export.csv"),
                                       ("sup", "/orders/export.xlsx"), ("unit1", "/orders/GD101"),
                                       ("adm", "/admin/users"), ("adm", "/admin/audit")])
def test_pages_with_personal_data_are_not_cached(world: World, user: str, path: str) -> None:
    assert "no-store" in world[user].get(path).headers["Cache-Control"]


def test_the_session_cookie_is_http_only_and_same_site(world: World) -> None:
    cookie = session_cookie(world.anonymous().get("/login")).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie.replace("duban_session", "")  # plain http: a Secure cookie would be lost


def test_behind_https_the_cookie_is_secure_and_hsts_is_sent(world: World) -> None:
    app = create_app(replace(world.settings, public_url=HTTPS_URL), engine=world.engine)
    client = app.test_client()
    page = client.get("/login", base_url=HTTPS_URL)
    assert "; secure" in session_cookie(page).lower()
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    token = csrf_of(page.get_data(as_text=True))
    response = client.post("/login", base_url=HTTPS_URL, headers={"Referer": f"{HTTPS_URL}/login"},
                           data={"username": "sup", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert "; secure" in session_cookie(response).lower()


# ---------------------------------------------------------------------------------------- the rate limit
def test_five_wrong_passwords_lock_the_name_for_fifteen_minutes(world: World) -> None:
    ensure_user(world.engine, "throttled", "supervisor")
    client = client_from(world, "10.1.0.1")
    for _ in range(5):
        wrong = attempt(client, "throttled", "Wrong-password-1")
        assert wrong.status_code == 401 and "用户名或密码错误" in text_of(wrong)
    refused = attempt(client, "throttled", PASSWORD)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "登录失败次数过多" in text_of(refused)
    assert attempt(client_from(world, "10.1.0.2"), "throttled", PASSWORD).status_code == 429  # any address
    assert len(world.audit("login.failed", actor="throttled")) == 5
    assert len(world.audit("login.throttled", actor="throttled")) == 2
    world.clock.advance(minutes=16)
    assert attempt(client, "throttled", PASSWORD).status_code == 302
    assert client.get("/workbench").status_code == 200
    assert len(world.audit("login.succeeded", actor="throttled")) == 1


def test_twenty_failures_from_one_address_lock_that_address(world: World) -> None:
    ensure_user(world.engine, "bystander", "leader")
    client = client_from(world, "10.2.0.1")
    for i in range(20):
        assert attempt(client, f"guess{i}", "Wrong-password-1").status_code == 401
    assert attempt(client, "bystander", PASSWORD).status_code == 429
    assert attempt(client_from(world, "10.2.0.2"), "bystander", PASSWORD).status_code == 302


def test_a_successful_login_is_in_the_audit_log(world: World) -> None:
    ensure_user(world.engine, "audited.ok", "leader")
    assert attempt(client_from(world, "10.3.0.1"), "audited.ok", PASSWORD).status_code == 302
    row = audited_logins(world, "audited.ok")[-1]
    assert row["action"] == "login.succeeded" and row["details"]["address"] == "10.3.0.1"


def test_failed_logins_are_in_the_audit_log(world: World) -> None:
    ensure_user(world.engine, "audited.ko", "leader")
    client = client_from(world, "10.3.0.2")
    unknown, wrong = attempt(client, "no.such.user", "Wrong-password-1"), attempt(client, "audited.ko", "Wrong-pw-123")
    assert unknown.status_code == wrong.status_code == 401
    assert text_of(unknown).count("用户名或密码错误") == text_of(wrong).count("用户名或密码错误") == 1  # no hint
    assert [r["action"] for r in audited_logins(world, "audited.ko")] == ["login.failed"]
    assert [r["details"]["address"] for r in audited_logins(world, "no.such.user")] == ["10.3.0.2"]


def audited_logins(world: World, username: str) -> list[dict[str, Any]]:
    return [r for r in world.audit(actor=username) if r["action"].startswith("login.")]


# ---------------------------------------------------------------------------------------- ending sessions
def test_changing_the_password_ends_every_session_of_the_user(world: World) -> None:
    ensure_user(world.engine, "changer", "supervisor")
    mine, other = sign_in(world.anonymous(), "changer"), sign_in(world.anonymous(), "changer")
    response = post(mine, "/account/password", {"current": PASSWORD, "new": NEW_PASSWORD,
                                                     "repeat": NEW_PASSWORD})
    assert response.status_code == 302 and path_of(response.headers["Location"]) == "/login"
    for client in (mine, other):
        assert path_of(client.get("/workbench").headers["Location"]) == "/login"
    assert attempt(world.anonymous(), "changer", PASSWORD).status_code == 401
    assert attempt(world.anonymous(), "changer", NEW_PASSWORD).status_code == 302
    assert world.audit("user.password_set", actor="changer")


@pytest.mark.parametrize("form,message", [
    ({"current": "Wrong-password-9", "new": NEW_PASSWORD, "repeat": NEW_PASSWORD}, "用户名或密码错误"),
    ({"current": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD + "x"}, "两次输入的新密码不一致"),
    ({"current": PASSWORD, "new": "onlyletters", "repeat": "onlyletters"}, "密码需同时包含字母和数字"),
    ({"current": PASSWORD, "new": "short1", "repeat": "short1"}, "密码需 10"),
])
def test_a_refused_password_change_keeps_the_password_and_the_sessions(world: World, form: dict[str, str],
                                                                       message: str) -> None:
    ensure_user(world.engine, "keeper", "supervisor")
    client = sign_in(world.anonymous(), "keeper")
    stored = world.user_row("keeper")
    response = post(client, "/account/password", form)
    assert response.status_code == 422 and message in text_of(response)
    after = world.user_row("keeper")
    assert (after["password_hash"], after["session_version"]) == (stored["password_hash"], stored["session_version"])
    assert client.get("/workbench").status_code == 200


@pytest.mark.parametrize("username,role,change", [
    ("leaving", "unit", {"display_name": "离职人员", "role": "unit", "unit_code": "U01"}),  # no "active": disabled
    ("moving", "unit", {"display_name": "调岗人员", "role": "leader", "active": "1"}),
])
def test_disabling_a_user_or_changing_the_role_ends_its_session(world: World, username: str, role: str,
                                                                change: dict[str, str]) -> None:
    client = world.user_client(username, role, "U01")
    assert client.get("/unit").status_code == 200
    assert post(world["adm"], f"/admin/users/{username}", change).status_code == 302
    assert path_of(client.get("/unit").headers["Location"]) == "/login"
    assert world.audit("user.changed", actor="adm")[-1]["details"]["username"] == username
    again = attempt(world.anonymous(), username, PASSWORD)
    assert again.status_code == (401 if "active" not in change else 302)


# ---------------------------------------------------------------------------------------- after login
@pytest.mark.parametrize("target", ["https://evil.example", "//evil.example", "http://evil.example/orders",
                                    "/\\evil.example", "///evil.example", "javascript:alert(1)", "https:/evil.example"])
def test_login_never_redirects_to_another_site(world: World, target: str) -> None:
    client = world.anonymous()
    response = client.post("/login", query_string={"next": target},
                           data={"username": "lead", "password": PASSWORD, "csrf_token": login_token(client)})
    assert response.status_code == 302
    location = response.headers["Location"]
    # a browser reads "//host", "/\\host" and "///host" as another site: only a plain path may come back
    assert location.startswith("/") and location[1:2] not in ("/", "\\") and not urlsplit(location).netloc
    if urlsplit(target).scheme or urlsplit(target).netloc:
        assert location == "/leader"


def test_login_returns_to_the_page_asked_for(world: World) -> None:
    client = world.anonymous()
    response = client.post("/login", query_string={"next": "/orders?status=signed"},
                           data={"username": "lead", "password": PASSWORD, "csrf_token": login_token(client)})
    assert response.headers["Location"] == "/orders?status=signed"


def test_passwords_are_stored_as_salted_scrypt_hashes(world: World) -> None:
    hashes = [world.user_row(name)["password_hash"] for name in ROLES]
    assert all(h.startswith("scrypt$") and PASSWORD not in h for h in hashes)
    assert len(set(hashes)) == len(hashes)  # the same password, a different salt each


# ---------------------------------------------------------------------------------------- the citizen's contact
@pytest.mark.parametrize("user", ["lead", "adm"])
def test_leadership_and_admins_see_the_citizen_masked(world: World, user: str) -> None:
    page = text_of(world[user].get("/orders/GD101"))
    assert CITIZEN_MASKED in page
    assert CITIZEN_PHONE not in page
    assert "查看完整号码" not in page


@pytest.mark.parametrize("user", ["lead", "adm"])
def test_leadership_and_admins_do_not_see_the_citizens_full_name(world: World, user: str) -> None:
    """The integration API masks the name for clients without personal_data (engine/intake/export.py)."""
    page = text_of(world[user].get("/orders/GD101"))
    assert "张三丰" not in page


def test_a_supervisor_sees_the_full_number_only_by_asking_and_the_look_is_audited(world: World) -> None:
    client = world["sup"]
    page = text_of(client.get("/orders/GD101"))
    assert CITIZEN_MASKED in page and CITIZEN_PHONE not in page and "查看完整号码" in page
    looks = len(world.audit("citizen.revealed", number="GD101"))
    revealed = post(client, "/orders/GD101/citizen")
    assert revealed.status_code == 200 and CITIZEN_PHONE in text_of(revealed)
    rows = world.audit("citizen.revealed", number="GD101")
    assert len(rows) == looks + 1 and rows[-1]["actor"] == "sup"
    assert CITIZEN_PHONE not in text_of(client.get("/orders/GD101"))  # once, not from now on


def test_the_handling_unit_may_reveal_its_citizen_but_leadership_may_not(world: World) -> None:
    assert CITIZEN_PHONE in text_of(post(world["unit1"], "/orders/GD101/citizen"))
    assert world.audit("citizen.revealed", actor="unit1", number="GD101")
    before = world.fingerprint()
    assert post(world["lead"], "/orders/GD101/citizen").status_code == 403
    assert_nothing_saved(world, before)


def test_signing_out_makes_a_copied_session_cookie_worthless(world: World) -> None:
    ensure_user(world.engine, "leaver", "supervisor")
    browser = sign_in(world.anonymous(), "leaver")
    stolen = world.anonymous()
    stolen.set_cookie("duban_session", browser.get_cookie("duban_session").value)
    assert stolen.get("/workbench").status_code == 200
    assert post(browser, "/logout").status_code == 302
    assert path_of(stolen.get("/workbench").headers["Location"]) == "/login"
    assert world.audit("logout", actor="leaver")


