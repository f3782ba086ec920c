"""`duban unit add|import|list|disable` through the real command line on SQLite and PostgreSQL: a fresh database
gets its units and contacts (phones checked), so `duban user create --unit` works; files are checked row by row,
all or nothing; a disabled unit takes no new orders and keeps its history."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from config.settings import Settings
from web.cli import main
from workflows.assessment.service import build_assessment
from workflows.bootstrap import build_engine


@pytest.fixture(params=["sqlite", "postgres"])
def db(request, tmp_path):
    return f"sqlite:///{tmp_path}/units.db" if request.param == "sqlite" else request.getfixturevalue("pg_url")


def duban(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_fresh_database_gets_its_units_and_then_its_unit_users(db, capsys, monkeypatch):
    code, out, _ = duban(capsys, "unit", "add", "U01", "揭阳市生态环境局", "--phone", "13800138000", "--contact", "陈晓燕",
                         "--phone", "+86 139-0013-9000", "--short-name", "环境局", "--tier", "市直部门", "--database", db)
    assert (code, out) == (0, "unit U01 added: 揭阳市生态环境局, 2 phone(s)\n")
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("a-long-password-2026\n"))
    code, out, _ = duban(capsys, "user", "create", "u01", "--role", "unit", "--unit", "U01", "--password-stdin",
                         "--database", db)
    assert code == 0 and "of unit U01" in out
    code, out, _ = duban(capsys, "unit", "list", "--database", db)
    assert out.split() == ["U01", "环境局", "市直部门", "揭阳市生态环境局", "—", "陈晓燕", "+8613800138000,",
                           "+8613900139000"]
    engine = build_engine(Settings(database_url=db, secret_key="test-secret-key-0123456789"))
    with engine.store.reading() as tx:  # the store the admin page and the intake read
        assert tx.get_unit("U01").phones == ("+8613800138000", "+8613900139000")
    assert build_assessment(engine).config.units.short_name("U01", "揭阳市生态环境局") == "环境局"


def test_a_landline_is_refused_in_one_line(db, capsys):
    code, out, err = duban(capsys, "unit", "add", "U02", "揭阳市住建局", "--phone", "0663-8212345", "--database", db)
    assert code == 2 and out == ""
    assert err == "duban unit add: error: unit U02: phone '0663-8212345' rejected: a landline: it cannot receive SMS\n"


def test_an_import_with_bad_rows_writes_nothing_and_names_each_row(db, capsys, tmp_path):
    bad = tmp_path / "units.csv"
    bad.write_text("code,name,short_name,tier,contact,phone\n"
                   "U03,揭阳市交通运输局,交通局,市直部门,李明,13800138003\n"
                   "U03,揭阳市交通运输局,,,王芳,13800138004\n"
                   "U04,揭阳市某局,,区县X,张三,13800138005\n"
                   ",无编码,,,,13800138006\n"
                   "U05,榕城区人民政府,,区县,赵,0663-8212345\n", encoding="utf-8")
    code, out, err = duban(capsys, "unit", "import", str(bad), "--database", db)
    assert code == 2 and out == ""
    assert err.splitlines() == [
        "duban unit import: row 4: unit U04: tier '区县X' is not one of 区县, 市直部门, 公共企业 (config/units.toml)",
        "duban unit import: row 5: the unit code is empty",
        "duban unit import: row 6: unit U05: phone '0663-8212345' rejected: a landline: it cannot receive SMS",
        "duban unit import: nothing written (3 problem(s) above)"]
    assert duban(capsys, "unit", "list", "--all", "--database", db)[1] == ""


def test_an_xlsx_import_registers_every_unit_with_its_contacts(db, capsys, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["单位编码", "单位名称", "简称", "档次", "联系人", "手机"])
    sheet.append(["U03", "揭阳市交通运输局", "交通局", "市直部门", "李明", "13800138003"])
    sheet.append(["U03", "揭阳市交通运输局", None, None, "王芳", 13800138004])
    sheet.append(["U09", "榕城区人民政府", None, "区县", "赵敏", "13800138009"])
    book.save(tmp_path / "units.xlsx")
    code, out, err = duban(capsys, "unit", "import", str(tmp_path / "units.xlsx"), "--database", db)
    assert (code, out, err) == (0, "2 unit(s) written: 2 added, 0 updated\n", "")
    listed = duban(capsys, "unit", "list", "--database", db)[1].splitlines()
    assert [line.split()[:3] for line in listed] == [["U03", "交通局", "市直部门"], ["U09", "榕城区", "区县"]]
    assert "李明 +8613800138003, 王芳 +8613800138004" in listed[0]


def test_a_disabled_unit_takes_no_new_orders_and_keeps_its_history(db, capsys):
    assert duban(capsys, "unit", "add", "U01", "揭阳市生态环境局", "--phone", "13800138000", "--database", db)[0] == 0
    engine = build_engine(Settings(database_url=db, secret_key="test-secret-key-0123456789"))
    order = dict(unit_code="U01", category="投诉", urgency="一般", source="12345", at=datetime.now(timezone.utc))
    engine.open_work_order(number="WO-1", **order)
    assert duban(capsys, "unit", "disable", "U01", "--database", db)[0] == 0
    with pytest.raises(Exception, match="unit U01 is disabled"):
        engine.open_work_order(number="WO-2", **order)
    with engine.store.reading() as tx:
        assert tx.get_order("WO-1") is not None
    assert duban(capsys, "unit", "list", "--database", db)[1] == ""
    assert duban(capsys, "unit", "list", "--all", "--database", db)[1].rstrip().endswith("[disabled]")
    assert duban(capsys, "unit", "add", "U01", "揭阳市生态环境局", "--phone", "13800138000", "--database", db)[1] \
        == "unit U01 updated: 揭阳市生态环境局, 1 phone(s)\n"
    engine.open_work_order(number="WO-2", **order)  # registered again: enabled
