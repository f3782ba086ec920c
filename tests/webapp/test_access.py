"""Who may open what. Every route is read from the app's url_map, so a route added later is covered too:
anonymous visitors are sent to the login page, a unit user never learns anything about another unit's orders,
and each role gets 403 on the pages of the other roles."""
from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.web_login import post
from tests.webapp.conftest import TODAY, U01_ORDERS, U02_ORDERS, World, assert_nothing_saved, login_token, path_of
from tests.webapp.routes import Route, private_routes

# A form that every POST route would accept if it let the request through: so a route that forgets its
# check shows up as a change in the database, not only as a wrong status code.
FORM = {"reason": "越权测试", "note": "越权测试", "reply": "越权测试", "handled_on": TODAY, "working_days": "3",
        "unit_code": "U01", "leader": "王市长", "text": "越权测试", "instructed_on": TODAY, "color": "yellow",
        "outcome": "reached", "order": "GD201", "item": "on_time", "order_number": "GD201", "ref": "",
        "decision": "accept", "display_name": "越权", "role": "admin", "active": "1", "code": "U09",
        "name": "越权单位", "phones": "+8613800138009", "username": "intruder", "password": "Intruder-2026-pw",
        "repeat": "Intruder-2026-pw", "current": "x", "new": "Intruder-2026-pw"}
# Routes a unit user may never use, whatever they name: 403 (the same for an existing and a made-up id, so
# the answer confirms nothing). Every other route naming something of another unit answers 404.
UNIT_FORBIDDEN = frozenset({
    "order_forms.approve_extension", "order_forms.reject_extension", "order_forms.redispatch", "order_forms.close", "order_forms.instruction",
    "order_forms.issue_card", "order_forms.withdraw_card", "order_forms.task_done", "sms.message",
    "order_forms.send_back", "order_forms.callback", "admin.change_user", "assessment.decide", "objection_forms.decide_objection", "objection_forms.consultation",
    "objection_forms.objection_orders", "duplicate_forms.dismiss_duplicate", "duplicate_forms.merge_order",
    "duplicate_forms.unmerge_order"})
NOT_FOUND = {"number": "GD999", "card_id": 99999, "task_id": 99999, "document_id": 99999, "message_id": 99999,
             "code": "U99", "username": "nobody", "appeal_id": 99999, "label": "2026-06"}
OWN_ACCOUNT = frozenset({"auth.logout", "auth.change_password"})  # every role's own account


def identifiers(world: World, number: str) -> dict[str, Any]:
    """Values for every path argument, all belonging to `number`'s unit."""
    unit = world.order(number).unit_code
    card_order = "GD203" if unit == "U02" else number
    return {"number": number, "code": unit, "label": "2026-06", "appeal_id": 1,
            "username": "unit2" if unit == "U02" else "unit1",
            "card_id": world.cards_of(card_order)[0]["id"], "task_id": world.tasks_of(number)[0]["id"],
            "document_id": world.documents_of(number)[0]["id"], "message_id": world.sms_of(number)[0]["id"]}


def send(client: Any, route: Route, method: str, values: dict[str, Any]) -> Any:
    path = route.path(values)
    if method == "GET":
        return client.get(path)
    return post(client, path, FORM)


def mismatches(client: Any, selected: list[Route], values: dict[str, Any],
               expected: Any) -> list[str]:
    found = []
    for route in selected:
        for method in route.methods:
            want = expected(route)
            got = send(client, route, method, values).status_code
            if got != want:
                found.append(f"{method} {route.path(values)} ({route.endpoint}): {got}, expected {want}")
    return found


# ---------------------------------------------------------------------------------------- anonymous
def test_every_private_page_sends_an_anonymous_visitor_to_login(world: World) -> None:
    values = identifiers(world, "GD101")
    client = world.anonymous()
    before = world.fingerprint()
    checked, wrong = 0, []
    for route in private_routes(world.app):
        for method in route.methods:
            path = route.path(values)
            if method == "GET":
                response = client.get(path)
            else:  # a valid CSRF token, so only the login check can stop it
                response = client.post(path, data={**FORM, "csrf_token": login_token(client)})
            checked += 1
            location = response.headers.get("Location")
            if response.status_code != 302 or path_of(location) != "/login":
                wrong.append(f"{method} {path}: {response.status_code} {location}")
    assert not wrong
    assert checked >= 40
    assert_nothing_saved(world, before)


def test_the_login_redirect_remembers_the_page(world: World) -> None:
    response = world.anonymous().get("/orders/GD101")
    assert response.status_code == 302
    assert "next=%2Forders%2FGD101" in response.headers["Location"]


@pytest.mark.parametrize("path", ["/login", "/healthz"])
def test_public_pages_need_no_login(world: World, path: str) -> None:
    assert world.anonymous().get(path).status_code == 200


# ---------------------------------------------------------------------------------------- the other unit
def test_a_unit_user_gets_404_or_403_for_everything_of_another_unit(world: World) -> None:
    before = world.fingerprint()
    foreign = identifiers(world, "GD201")
    order_before, events_before = world.order("GD201"), len(world.events("GD201"))
    selected = [r for r in private_routes(world.app) if r.names_something]
    assert {"orders.order_view", "order_forms.sign", "order_forms.reveal_citizen", "documents.document_view",
            "assessment.unit_view", "order_forms.withdraw_card", "order_forms.task_done"} <= \
        {r.endpoint for r in selected}

    def expected(route: Route) -> int:
        return 403 if route.endpoint in UNIT_FORBIDDEN else 404

    assert not mismatches(world["unit1"], selected, foreign, expected)
    after = world.order("GD201")
    assert (after.status, after.signed_at, after.deadline_at, after.unit_code) == \
        (order_before.status, order_before.signed_at, order_before.deadline_at, order_before.unit_code)
    assert len(world.events("GD201")) == events_before
    assert_nothing_saved(world, before)


def test_a_made_up_identifier_gets_the_same_answer_as_another_units(world: World) -> None:
    """Neither 403 nor 404 tells a unit user whether another unit's order, card or document exists."""
    selected = [r for r in private_routes(world.app) if r.names_something]
    foreign = identifiers(world, "GD201")
    client, before = world["unit1"], world.fingerprint()
    differ = [str(r) for r in selected for m in r.methods
              if send(client, r, m, foreign).status_code != send(client, r, m, NOT_FOUND).status_code]
    assert not differ
    assert_nothing_saved(world, before)


def test_the_unit_still_reaches_its_own_order(world: World) -> None:
    """The 404s above come from the scope, not from a broken page."""
    client = world["unit1"]
    assert client.get("/orders/GD101").status_code == 200
    assert client.get(f"/documents/{world.documents_of('GD101')[0]['id']}").status_code == 200
    assert client.get("/assessment/2026-06/units/U01").status_code == 200


@pytest.mark.parametrize("query", ["", "?unit=U02", "?q=GD20", "?q=占道", "?unit=U02&status=dispatched",
                                   "?card=yellow", "?overdue=1&unit=U02", "?per_page=200"])
def test_a_units_list_never_shows_another_units_orders(world: World, query: str) -> None:
    page = world["unit1"].get(f"/orders{query}").get_data(as_text=True)
    assert not [n for n in U02_ORDERS if n in page]
    if "U02" not in query and "GD20" not in query and "占道" not in query:
        assert "GD101" in page


def _csv_numbers(content: bytes) -> set[str]:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    return {row[0] for row in rows[1:]}


def _xlsx_numbers(content: bytes) -> set[str]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    return {str(row[0]) for row in list(sheet.iter_rows(values_only=True))[1:]}


@pytest.mark.parametrize("fmt,numbers", [("csv", _csv_numbers), ("xlsx", _xlsx_numbers)])
@pytest.mark.parametrize("query,own", [("", U01_ORDERS), ("?unit=U02", set()), ("?q=GD2", set()),
                                       ("?unit=U01", U01_ORDERS)])
def test_a_units_export_holds_only_its_own_orders(world: World, fmt: str, numbers: Any, query: str,
                                                  own: set[str]) -> None:
    response = world["unit1"].get(f"/orders/export.{fmt}{query}")
    assert response.status_code == 200
    assert numbers(response.data) == own
    assert not [n for n in U02_ORDERS if n.encode() in response.data]


def test_a_units_own_pages_show_nothing_of_another_unit(world: World) -> None:
    client = world["unit1"]
    for path in ("/unit", "/unit/cards"):
        page = client.get(path).get_data(as_text=True)
        assert not [n for n in U02_ORDERS if n in page], path
    assert "GD101" in client.get("/unit/cards").get_data(as_text=True)


# ---------------------------------------------------------------------------------------- the role matrix
def test_leadership_may_use_no_form(world: World) -> None:
    before = world.fingerprint()
    own = identifiers(world, "GD101")
    posts = [r for r in private_routes(world.app) if "POST" in r.methods and r.endpoint not in OWN_ACCOUNT]
    assert len(posts) >= 15
    assert not mismatches(world["lead"], [Route(r.endpoint, r.rule, ("POST",), r.arguments) for r in posts], own,
                          lambda route: 403)
    assert_nothing_saved(world, before)


ROLE_FORBIDDEN_PAGES = {
    "lead": ["/sms", "/sms/{message_id}", "/admin/users", "/admin/units", "/admin/audit", "/workbench", "/unit",
             "/unit/cards"],
    "unit1": ["/workbench", "/dashboard", "/admin/users", "/admin/units", "/admin/audit", "/sms",
              "/sms/{message_id}", "/rules", "/rules/calendar", "/leader", "/leader/cards", "/leader/reports",
              "/documents", "/assessment", "/assessment/appeals", "/assessment/trend",
              "/assessment/2026-06/export.xlsx"],
    "sup": ["/admin/users", "/admin/units", "/admin/audit", "/unit", "/unit/cards"],
}
ROLE_PAGES = {
    "sup": ["/workbench", "/orders", "/orders/GD201", "/dashboard", "/sms", "/sms/{message_id}", "/rules",
            "/rules/calendar", "/leader", "/leader/cards", "/documents", "/assessment"],
    "lead": ["/leader", "/leader/cards", "/leader/reports", "/dashboard", "/orders", "/orders/GD201", "/rules",
             "/assessment", "/documents"],
    "unit1": ["/unit", "/unit/cards", "/orders", "/orders/GD101", "/account/password"],
    "adm": ["/admin/users", "/admin/units", "/admin/audit", "/workbench", "/orders"],
}


@pytest.mark.parametrize("user,path", [(u, p) for u, paths in ROLE_FORBIDDEN_PAGES.items() for p in paths])
def test_a_role_gets_403_on_the_pages_of_other_roles(world: World, user: str, path: str) -> None:
    path = path.format(message_id=world.sms_of("GD101")[0]["id"])
    assert world[user].get(path).status_code == 403


@pytest.mark.parametrize("user,path", [(u, p) for u, paths in ROLE_PAGES.items() for p in paths])
def test_a_role_opens_its_own_pages(world: World, user: str, path: str) -> None:
    path = path.format(message_id=world.sms_of("GD101")[0]["id"])
    assert world[user].get(path).status_code == 200


@pytest.mark.parametrize("path,data", [
    ("/admin/users", {"username": "sneaky", "display_name": "偷建", "role": "admin", "password": "Sneaky-2026-pw",
                      "repeat": "Sneaky-2026-pw"}),
    ("/admin/users/unit1", {"display_name": "改名", "role": "admin", "active": "1"}),
    ("/admin/units", {"code": "U09", "name": "偷建单位", "phones": "+8613800138009"}),
])
def test_a_supervisor_may_not_use_the_admin_forms(world: World, path: str, data: dict[str, str]) -> None:
    before = world.fingerprint()
    assert post(world["sup"], path, data).status_code == 403
    assert_nothing_saved(world, before)


@pytest.mark.parametrize("user,home", [("sup", "/workbench"), ("adm", "/workbench"), ("unit1", "/unit"),
                                       ("lead", "/leader")])
def test_the_home_page_leads_each_role_to_its_start(world: World, user: str, home: str) -> None:
    response = world[user].get("/")
    assert response.status_code == 302 and path_of(response.headers["Location"]) == home


def test_admin_sees_users_units_and_the_audit_log(world: World) -> None:
    client = world["adm"]
    assert "unit2" in client.get("/admin/users").get_data(as_text=True)
    assert "区城管局" in client.get("/admin/units").get_data(as_text=True)
    assert "login.succeeded" in client.get("/admin/audit").get_data(as_text=True)
