"""Every form of the order page and the admin pages: a refused form shows its message (422) and saves nothing;
an accepted one changes the order as the user expects and leaves an audit row in the user's name."""
from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import local
from tests.web_login import post, sign_in
from tests.webapp.conftest import TODAY, World, assert_nothing_saved, path_of, rows_with, text_of

LONG = "长" * 2001
REASON_LONG = "长" * 501
USER = {"username": "new.user", "display_name": "新用户", "role": "supervisor", "unit_code": "",
        "password": "Good-password-1", "repeat": "Good-password-1"}
UNIT = {"code": "U03", "name": "区水务局", "phones": "+8613800138003"}


@pytest.fixture(scope="module")
def targets(world: World) -> dict[str, Any]:
    """What the refused forms are aimed at: a fresh open order (dispatched today, signed), one with an open
    extension request, an overdue one, a returned, a replied and a closed one, an active card and an open task."""
    fresh, asked = world.new_order("U01", signed=True), world.new_order("U01", signed=True)
    world.engine.record_event(asked, "extension_requested", at=world.clock.now(), actor="seed", working_days=5,
                              details={"reason": "需要勘查"})
    return {"open": fresh, "overdue": "GD102", "returned": "GD103", "replied": "GD104", "closed": "GD105",
            "card": world.engine.issue_card(fresh, color="yellow", reason="测试用", actor="seed"),
            "task": world.tasks_of("GD101")[0]["id"], "asked": asked, "request": world.events(asked)[-1]["id"]}


def case(user: str, path: str, form: dict[str, str], message: str, id: str) -> Any:
    return pytest.param(user, path, form, message, id=id)


REFUSED = [
    # the handling unit
    case("unit1", "/orders/{open}/return", {"reason": ""}, "请填写退单理由", "return-empty"),
    case("unit1", "/orders/{open}/return", {"reason": LONG}, "退单理由不能超过 2000 个字符", "return-long"),
    case("unit1", "/orders/{open}/progress", {"note": " "}, "请填写办理进展", "progress-empty"),
    case("unit1", "/orders/{open}/progress", {"note": LONG}, "办理进展不能超过 2000 个字符", "progress-long"),
    case("unit1", "/orders/{open}/reply", {"reply": "", "handled_on": TODAY}, "请填写答复内容", "reply-empty"),
    case("unit1", "/orders/{open}/reply", {"reply": LONG, "handled_on": TODAY}, "答复内容不能超过 2000 个字符",
         "reply-long"),
    case("unit1", "/orders/{open}/reply", {"reply": "已办", "handled_on": ""}, "办结日期格式应为", "reply-no-date"),
    case("unit1", "/orders/{open}/reply", {"reply": "已办", "handled_on": "2026-06-29"}, "早于派单日期 2026-06-30",
         "reply-before-dispatch"),
    case("unit1", "/orders/{open}/reply", {"reply": "已办", "handled_on": "2026-07-01"}, "晚于今天",
         "reply-future"),
    case("unit1", "/orders/{closed}/reply", {"reply": "再答复", "handled_on": TODAY}, "已办结，不能再提交",
         "reply-closed"),
    case("unit1", "/orders/{closed}/progress", {"note": "进展"}, "已办结，不能再提交", "progress-closed"),
    case("unit1", "/orders/{open}/sign", {}, "already signed", "sign-twice"),
    *[case("unit1", "/orders/{open}/extension-request", {"working_days": days, "reason": "需要勘查"},
           "延期天数须为 1 至 180 之间的整数", f"extension-days-{days or 'empty'}") for days in ("", "0", "181", "2.5")],
    case("unit1", "/orders/{open}/extension-request", {"working_days": "5", "reason": ""}, "请填写延期理由",
         "extension-reason-empty"),
    case("unit1", "/orders/{open}/extension-request", {"working_days": "5", "reason": LONG},
         "延期理由不能超过 2000 个字符", "extension-reason-long"),
    case("unit1", "/orders/{overdue}/extension-request", {"working_days": "5", "reason": "需要勘查"},
         "已超过办理时限，不能再申请延期", "extension-after-deadline"),
    # the supervisor
    case("sup", "/orders/{asked}/extension-approve", {"working_days": "", "request": "{request}"},
         "延期天数须为 1 至 180", "approve-no-days"),
    case("sup", "/orders/{asked}/extension-approve", {"working_days": "²", "request": "{request}"},
         "延期天数须为 1 至 180", "approve-superscript-days"),
    case("sup", "/orders/{asked}/extension-approve", {"working_days": "5", "note": LONG, "request": "{request}"},
         "审批意见不能超过 2000", "approve-note-long"),
    case("sup", "/orders/{open}/extension-approve", {"working_days": "180"}, "没有待审批的延期申请",
         "approve-without-request"),
    case("sup", "/orders/{open}/extension-reject", {"reason": "不同意"}, "没有待审批的延期申请",
         "reject-without-request"),
    case("sup", "/orders/{open}/close", {}, "只有承办单位已回复的工单才能审核办结", "close-unreplied"),
    case("sup", "/orders/{returned}/redispatch", {"unit_code": ""}, "请填写承办单位", "redispatch-no-unit"),
    case("sup", "/orders/{returned}/redispatch", {"unit_code": "U" * 33}, "承办单位不能超过 32 个字符",
         "redispatch-unit-long"),
    case("sup", "/orders/{returned}/redispatch", {"unit_code": "U02", "note": LONG}, "派发说明不能超过 2000",
         "redispatch-note-long"),
    case("sup", "/orders/{returned}/redispatch", {"unit_code": "U99"}, "unknown handling unit 'U99'",
         "redispatch-unknown-unit"),
    case("sup", "/orders/{overdue}/redispatch", {"unit_code": "U02"}, "only be re-dispatched after its unit returned",
         "redispatch-not-returned"),
    case("sup", "/orders/{replied}/close", {"note": LONG}, "办结意见不能超过 2000", "close-note-long"),
    case("sup", "/orders/{closed}/close", {}, "该工单已办结", "close-closed"),
    case("sup", "/orders/{open}/instruction", {"leader": "", "text": "限期", "instructed_on": TODAY},
         "请填写批示领导", "instruction-no-leader"),
    case("sup", "/orders/{open}/instruction", {"leader": "长" * 101, "text": "限期", "instructed_on": TODAY},
         "批示领导不能超过 100 个字符", "instruction-leader-long"),
    case("sup", "/orders/{open}/instruction", {"leader": "王市长", "text": "", "instructed_on": TODAY},
         "请填写批示内容", "instruction-no-text"),
    case("sup", "/orders/{open}/instruction", {"leader": "王市长", "text": LONG, "instructed_on": TODAY},
         "批示内容不能超过 2000 个字符", "instruction-text-long"),
    case("sup", "/orders/{open}/instruction", {"leader": "王市长", "text": "限期", "instructed_on": "2026-06-29"},
         "批示日期（2026-06-29）早于派单日期 2026-06-30", "instruction-before-dispatch"),
    case("sup", "/orders/{open}/instruction", {"leader": "王市长", "text": "限期", "instructed_on": "2026-07-01"},
         "批示日期（2026-07-01）晚于今天", "instruction-future"),
    case("sup", "/orders/{closed}/instruction", {"leader": "王市长", "text": "限期", "instructed_on": TODAY},
         "已办结，不能再提交", "instruction-closed"),
    case("sup", "/orders/{open}/cards", {"color": "yellow", "reason": ""}, "请填写亮牌理由", "card-no-reason"),
    case("sup", "/orders/{open}/cards", {"color": "yellow", "reason": REASON_LONG}, "亮牌理由不能超过 500 个字符",
         "card-reason-long"),
    case("sup", "/orders/{open}/cards", {"color": "green", "reason": "拖延"}, "牌色须为黄牌或红牌", "card-colour"),
    case("sup", "/orders/{closed}/cards", {"color": "red", "reason": "拖延"}, "已办结，不能再亮牌", "card-closed"),
    case("sup", "/cards/{card}/withdraw", {"reason": ""}, "请填写撤销理由", "withdraw-no-reason"),
    case("sup", "/cards/{card}/withdraw", {"reason": REASON_LONG}, "撤销理由不能超过 500 个字符",
         "withdraw-reason-long"),
    case("sup", "/tasks/{task}/done", {"outcome": ""}, "请选择通话结果", "task-no-outcome"),
    case("sup", "/tasks/{task}/done", {"outcome": "reached", "note": REASON_LONG}, "备注不能超过 500 个字符",
         "task-note-long"),
    # the admin: new users
    *[case("adm", "/admin/users", {**USER, **change}, message, name) for change, message, name in [
        ({"username": ""}, "用户名需 3–64 个字母", "user-no-name"),
        ({"username": "u" * 65}, "用户名需 3–64 个字母", "user-name-long"),
        ({"username": "有 空格"}, "用户名需 3–64 个字母", "user-name-chars"),
        ({"display_name": ""}, "姓名不能为空", "user-no-display-name"),
        ({"display_name": "长" * 101}, "不超过 100 个字符", "user-display-name-long"),
        ({"role": "boss"}, "角色须为", "user-role"),
        ({"role": "unit"}, "承办单位用户须绑定一个单位", "user-unit-without-unit"),
        ({"role": "leader", "unit_code": "U01"}, "只有承办单位用户绑定单位", "user-leader-with-unit"),
        ({"role": "unit", "unit_code": "U99"}, "unknown handling unit", "user-unknown-unit"),
        ({"password": "abcdefghijkl", "repeat": "abcdefghijkl"}, "密码需同时包含字母和数字或符号", "user-weak"),
        ({"password": "Short-1", "repeat": "Short-1"}, "密码需 10–128 个字符", "user-short"),
        ({"password": "Ab1" * 43, "repeat": "Ab1" * 43}, "密码需 10–128 个字符", "user-password-long"),
        ({"repeat": "Other-password-1"}, "两次输入的密码不一致", "user-repeat"),
        ({"username": "unit1"}, "用户名 unit1 已存在", "user-duplicate"),
    ]],
    # the admin: changing users
    case("adm", "/admin/users/unit1", {"display_name": "长" * 101, "role": "unit", "unit_code": "U01", "active": "1"},
         "不超过 100 个字符", "change-display-name-long"),
    case("adm", "/admin/users/unit1", {"display_name": "单位一", "role": "unit", "active": "1"},
         "承办单位用户须绑定一个单位", "change-unit-without-unit"),
    case("adm", "/admin/users/unit1", {"display_name": "单位一", "role": "unit", "unit_code": "U99", "active": "1"},
         "unknown handling unit", "change-unknown-unit"),
    case("adm", "/admin/users/unit1", {"display_name": "单位一", "role": "unit", "unit_code": "U01", "active": "1",
                                       "password": "abcdefghijkl"}, "密码需同时包含字母和数字", "change-weak-password"),
    case("adm", "/admin/users/nobody", {"display_name": "无此人", "role": "leader", "active": "1"}, "没有用户",
         "change-unknown-user"),
    case("adm", "/admin/users/adm", {"display_name": "管理员", "role": "admin"}, "不能停用或降级最后一个管理员",
         "change-disable-last-admin"),
    case("adm", "/admin/users/adm", {"display_name": "管理员", "role": "leader", "active": "1"},
         "不能停用或降级最后一个管理员", "change-demote-last-admin"),
    # the admin: units
    *[case("adm", "/admin/units", {**UNIT, **change}, message, name) for change, message, name in [
        ({"code": ""}, "请填写单位代码", "unit-no-code"),
        ({"code": "U" * 33}, "单位代码不能超过 32 个字符", "unit-code-long"),
        ({"name": ""}, "请填写单位名称", "unit-no-name"),
        ({"name": "长" * 201}, "单位名称不能超过 200 个字符", "unit-name-long"),
        ({"phones": " , "}, "请至少填写一个接收短信的手机号码", "unit-no-phone"),
        ({"phones": "12345"}, "phone '12345' rejected", "unit-bad-phone"),
    ]],
]


@pytest.mark.parametrize("user,path,form,message", REFUSED)
def test_a_refused_form_shows_why_and_saves_nothing(world: World, targets: dict[str, Any], user: str, path: str,
                                                    form: dict[str, str], message: str) -> None:
    before = world.fingerprint()
    response = post(world[user], path.format(**targets), {k: v.format(**targets) for k, v in form.items()})
    assert response.status_code == 422
    page = text_of(response)
    assert message in page
    assert 'role="alert"' in page  # shown as the page's error, not lost in a log
    assert_nothing_saved(world, before)


def test_a_refused_form_gives_back_what_was_typed_in_it_only(world: World, targets: dict[str, Any]) -> None:
    """A long reply refused for its date is not lost: the reply box shows it again, the other boxes stay empty."""
    typed = "已联系施工单位，夜间停止施工，并安排城管巡查。"
    response = post(world["unit1"], f"/orders/{targets['open']}/reply", {"reply": typed, "handled_on": "2026-06-29"})
    page = text_of(response)
    assert response.status_code == 422 and page.count(typed) == 1
    assert f'name="reply" maxlength="2000" required>{typed}</textarea>' in page
    assert 'value="2026-06-29"' in page


def test_a_form_that_changes_a_user_and_fails_keeps_the_password(world: World) -> None:
    """The admin's user form is one change: a refused role change must not leave a new password behind."""
    client = world.user_client("pw.kept", "unit", "U02")
    before = world.user_row("pw.kept")
    response = post(world["adm"], "/admin/users/pw.kept", {"display_name": "单位二", "role": "unit",
                                                                "active": "1", "password": "Brand-new-pass-1"})
    assert response.status_code == 422 and "承办单位用户须绑定一个单位" in text_of(response)
    after = world.user_row("pw.kept")
    assert (after["password_hash"], after["session_version"]) == (before["password_hash"], before["session_version"])
    assert client.get("/unit").status_code == 200


def test_withdrawing_a_withdrawn_card_is_refused(world: World) -> None:
    number = world.new_order("U01")
    card = world.engine.issue_card(number, color="red", reason="拖延", actor="sup")
    world.casework().withdraw_card(card, reason="误判", actor="sup")
    before = world.fingerprint()
    response = post(world["sup"], f"/cards/{card}/withdraw", {"reason": "再撤一次"})
    assert response.status_code == 422 and "该红牌已于此前撤销" in text_of(response)
    assert_nothing_saved(world, before)


@pytest.mark.parametrize("back", [False, True], ids=["from-order-page", "from-workbench"])
def test_completing_a_completed_task_is_refused(world: World, back: bool) -> None:
    task = world.tasks_of("GD106")[0]["id"] if back else world.tasks_of("GD102")[0]["id"]
    world.casework().complete_task(task, outcome="no_answer", note="", actor="colleague")
    before = world.fingerprint()
    response = post(world["sup"], f"/tasks/{task}/done", {"outcome": "reached",
                                                                **({"back": "workbench"} if back else {})})
    if back:
        assert response.status_code == 302 and path_of(response.headers["Location"]) == "/workbench"
        response = world["sup"].get("/workbench")
    else:
        assert response.status_code == 422
    assert f"任务 {task} 已由 colleague 完成" in text_of(response)
    assert_nothing_saved(world, before)


# ---------------------------------------------------------------------------------------- accepted forms
def act(client: Any, path: str, form: dict[str, str] | None = None) -> str:
    """Submit a form that must be accepted; the page it leads to."""
    response = post(client, path, form)
    assert response.status_code == 302, text_of(response)[:2000]
    return text_of(client.get(response.headers["Location"]))


def audited(world: World, action: str, actor: str, number: str | None = None) -> dict[str, Any]:
    rows = world.audit(action, actor=actor, number=number)
    assert rows, f"no {action} by {actor} in the audit log"
    return rows[-1]


def order_row(world: World, user: str, path: str, number: str) -> list[str]:
    """The rows of a page (as `user` sees it) that link to the order."""
    return rows_with(world[user].get(path).get_data(as_text=True), f"/orders/{number}")


def request_of(page: str) -> str:
    """The open extension request the supervisor's forms answer."""
    found = re.search(r'name="request" value="(\d+)"', page)
    assert found, "no open extension request on the page"
    return found.group(1)


def pending_steps(page: str) -> str:
    return page.split("<h2>待触发的督办节点</h2>")[1].split("<h2>流程图</h2>")[0]


def test_the_unit_signs_reports_progress_and_replies(world: World) -> None:
    number, client = world.new_order("U01"), world["unit1"]
    assert "已签收" in act(client, f"/orders/{number}/sign")
    assert world.order(number).status == "signed"
    page = act(client, f"/orders/{number}/progress", {"note": "已联系物业，周五前整改"})
    assert "已联系物业，周五前整改" in page and "报告办理进展" in page
    act(client, f"/orders/{number}/reply", {"reply": "已整改完毕", "handled_on": TODAY})
    order = world.order(number)
    assert order.status == "replied" and order.replied_at == world.clock.now()
    assert [e["type"] for e in world.events(number)][-3:] == ["signed", "progress_reported", "replied"]
    assert world.events(number)[-1]["details"]["handled_on"] == TODAY
    for action in ("order.signed", "order.progress_reported", "order.replied"):
        audited(world, action, "unit1", number)


def test_an_approved_extension_moves_the_deadline_and_the_steps(world: World) -> None:
    number = world.new_order("U01", signed=True)
    act(world["unit1"], f"/orders/{number}/extension-request", {"working_days": "5", "reason": "需要多部门会商"})
    audited(world, "order.extension_requested", "unit1", number)
    page = text_of(world["sup"].get(f"/orders/{number}"))
    assert "申请延期 5 个工作日：需要多部门会商" in page and f"/orders/{number}/extension-approve" in page
    deadline, steps = world.order(number).deadline_at, pending_steps(page)
    form = {"working_days": "5", "note": "同意", "request": request_of(page)}
    page = act(world["sup"], f"/orders/{number}/extension-approve", form)
    assert world.order(number).deadline_at > deadline
    moved = world.order(number).deadline_at
    again = post(world["sup"], f"/orders/{number}/extension-approve", form)  # a second click: not 10 days
    assert again.status_code == 422 and world.order(number).deadline_at == moved
    assert (world.order(number).deadline_at - deadline).days >= 7  # 5 working days
    assert pending_steps(page) != steps
    assert f"/orders/{number}/extension-approve" not in page
    audited(world, "order.extension_approved", "sup", number)


def test_a_refused_extension_keeps_the_deadline_and_leaves_the_workbench(world: World) -> None:
    number = world.new_order("U01", signed=True)
    act(world["unit1"], f"/orders/{number}/extension-request", {"working_days": "5", "reason": "需要多部门会商"})
    assert order_row(world, "sup", "/workbench", number)  # waiting for the supervisor
    deadline = world.order(number).deadline_at
    request = request_of(text_of(world["sup"].get(f"/orders/{number}")))
    refused = post(world["sup"], f"/orders/{number}/extension-reject", {"reason": "", "request": request})
    assert refused.status_code == 422 and "请填写不予延期的理由" in text_of(refused)
    page = act(world["sup"], f"/orders/{number}/extension-reject", {"reason": "属本单位职责，可按期办结",
                                                                    "request": request})
    assert "不予延期" in page and "属本单位职责，可按期办结" in page
    assert world.order(number).deadline_at == deadline
    assert f"/orders/{number}/extension-approve" not in page and not order_row(world, "sup", "/workbench", number)
    audited(world, "order.extension_rejected", "sup", number)


def test_a_returned_order_goes_to_the_unit_it_is_redispatched_to(world: World) -> None:
    number = world.new_order("U01")
    act(world["unit1"], f"/orders/{number}/return", {"reason": "属城管职责"})
    assert world.order(number).returned_at is not None
    audited(world, "order.returned", "unit1", number)
    act(world["sup"], f"/orders/{number}/redispatch", {"unit_code": "U02", "note": "改派城管"})
    order = world.order(number)
    assert order.unit_code == "U02" and order.returned_at is None
    assert world["unit1"].get(f"/orders/{number}").status_code == 404
    assert world["unit2"].get(f"/orders/{number}").status_code == 200
    assert number not in world["unit1"].get("/orders").get_data(as_text=True)
    assert number in world["unit2"].get("/orders").get_data(as_text=True)
    audited(world, "order.redispatched", "sup", number)


def test_a_replied_order_is_closed(world: World) -> None:
    number = world.new_order("U01", signed=True)
    world.engine.record_event(number, "replied", at=world.clock.now(), actor="unit1", note="已办")
    page = act(world["sup"], f"/orders/{number}/close", {"note": "办理到位"})
    assert world.order(number).status == "closed" and "工单已办结" in page
    audited(world, "order.closed", "sup", number)


@pytest.mark.parametrize("dispatched,day,letter,report", [
    (None, TODAY, "2026-07-30 10:00", "2026-09-30 10:00"),
    (local(2026, 6, 10, 9, 0), "2026-06-15", "2026-07-15 12:00", "2026-09-15 12:00"),
])
def test_an_instruction_reaches_leadership_with_its_one_and_three_month_dates(
        world: World, dispatched: Any, day: str, letter: str, report: str) -> None:
    number = world.new_order("U01", at=dispatched)
    act(world["sup"], f"/orders/{number}/instruction", {"leader": "李书记", "text": f"{number}尽快办结",
                                                        "instructed_on": day})
    row = order_row(world, "lead", "/leader", number)
    assert row and "李书记" in row[0] and f"{number}尽快办结" in row[0]
    assert letter in row[0] and report in row[0]
    assert number in world["sup"].get("/orders?instructed=1").get_data(as_text=True)
    audited(world, "order.instruction", "sup", number)


def test_a_yellow_card_is_seen_by_leadership_and_the_unit_until_withdrawn(world: World) -> None:
    number = world.new_order("U01")
    act(world["sup"], f"/orders/{number}/cards", {"color": "yellow", "reason": f"{number}拖延办理"})
    card = world.cards_of(number)[-1]
    assert (card["color"], card["source"], card["issued_by"]) == ("yellow", "manual", "sup")
    assert f"{number}拖延办理" in order_row(world, "lead", "/leader/cards", number)[0]
    assert "区住建局" in order_row(world, "lead", "/leader/cards", number)[0]
    assert "在督" in order_row(world, "unit1", "/unit/cards", number)[0]
    assert not order_row(world, "unit2", "/unit/cards", number)
    audited(world, "card.issued", "sup", number)
    act(world["sup"], f"/cards/{card['id']}/withdraw", {"reason": "情况已核实"})
    assert "已撤销：情况已核实" in order_row(world, "unit1", "/unit/cards", number)[0]
    assert "（已撤销）" in order_row(world, "lead", "/leader/cards", number)[0]
    audited(world, "card.withdrawn", "sup", number)


def test_a_phone_task_done_on_the_workbench_leaves_it_for_the_timeline(world: World) -> None:
    task = world.tasks_of("GD101")[-1]["id"]
    form_action = f'action="/tasks/{task}/done"'
    assert form_action in world["sup"].get("/workbench").get_data(as_text=True)
    response = post(world["sup"], f"/tasks/{task}/done", {"outcome": "reached", "note": "王科长承诺本周办结",
                                                               "back": "workbench"})
    assert response.status_code == 302 and path_of(response.headers["Location"]) == "/workbench"
    workbench = text_of(world["sup"].get("/workbench"))
    assert form_action not in workbench and "电话催办已记录" in workbench
    timeline = text_of(world["sup"].get("/orders/GD101")).split("<h2>时间线</h2>")[1]
    assert "完成督办任务" in timeline and "王科长承诺本周办结" in timeline
    done = [t for t in world.tasks_of("GD101", status=None) if t["id"] == task][0]
    assert done["status"] == "done" and done["completed_by"] == "sup" and "已接通" in done["outcome"]
    audited(world, "task.done", "sup", "GD101")


def test_the_admin_opens_an_account_that_can_sign_in(world: World) -> None:
    page = act(world["adm"], "/admin/users", {**USER, "username": "new.unit", "role": "unit", "unit_code": "U02"})
    assert "new.unit" in page
    client = sign_in(world.anonymous(), "new.unit", USER["password"])
    assert "GD201" in client.get("/orders").get_data(as_text=True)
    assert audited(world, "user.created", "adm")["details"]["username"] == "new.unit"


def test_the_admin_registers_a_unit(world: World) -> None:
    page = act(world["adm"], "/admin/units", {"code": "U04", "name": "区交通局", "phones": "+8613800138004，+8613800138005"})
    assert "区交通局" in page and "+8613800138005" in page
    assert audited(world, "unit.registered", "adm")["details"]["code"] == "U04"
