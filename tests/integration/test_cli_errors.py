"""Every `duban` command answers bad input with one line on stderr and exit code 2, never a traceback.

Most cases run the CLI in-process (tests/cli_run.py: its own environment, folder, stdin and output, as a process
would have); the cases in REAL_PROCESS start the `duban` executable itself, so the process's own exit code and
stderr are proven too (an argument error, a database driver's error, a missing terminal, a configuration file,
a file too deeply nested to read)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.cli_run import run_duban
from tests.conftest import ROOT


def duban_process(argv, *, cwd, env=None, drop=(), timeout=120) -> subprocess.CompletedProcess:
    """The real `duban` process (python -m web.cli), stdin empty."""
    variables = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    for name in drop:
        variables.pop(name, None)
    return subprocess.run([sys.executable, "-m", "web.cli", *argv], capture_output=True, text=True, timeout=timeout,
                          cwd=cwd, env=variables, stdin=subprocess.DEVNULL)


def duban(argv, *, cwd, env=None, drop=(), real=False) -> subprocess.CompletedProcess:
    return duban_process(argv, cwd=cwd, env=env, drop=drop) if real else run_duban(argv, cwd=cwd, env=env, drop=drop)


CASES = [
    (["status", "--database", "bogus://x"], {}, "unusable database URL"),
    (["status", "--database", "postgresql+psycopg://nobody@127.0.0.1:1/x"], {}, "cannot use the database"),
    (["replay", "no-such-file.jsonl"], {}, "no such file"),
    (["replay", str(ROOT / "tests/data/replay-example.jsonl"), "--until", "yesterday"], {}, "not an ISO-8601 time"),
    (["demo", "--orders", "-5"], {}, "must be at least 1"),
    (["check-config"], {"DUBAN_RULES_FILE": "/nonexistent/rules.toml"}, "file not found"),
    (["check-config"], {"DUBAN_BPMN_DIR": "/nonexistent"}, "does not exist"),
    (["status"], {"DUBAN_TICK_SECONDS": "abc"}, "is not a number"),
    (["no-such-command"], {}, "invalid choice"),
    (["web", "--port", "99999"], {}, "port 99999 is out of range"),
    (["worker", "--health-port", "0"], {}, "port 0 is out of range"),
    (["status", "--database", "sqlite:////nonexistent/dir/x.db"], {}, "/nonexistent/dir: no such folder"),
    (["status"], {"DUBAN_DATABASE_URL": "sqlite:////nonexistent/dir/x.db"}, "/nonexistent/dir: no such folder"),
    (["status", "--database", "mysql://u@h/db"], {}, "use sqlite:///path/duban.db or postgresql://"),
    (["migrate", "--database", "postgresql://nobody:secret@127.0.0.1:1/x"], {}, "nobody:***@127.0.0.1:1/x"),
    (["check-config"], {"DUBAN_BPMN_DIR": "."}, "holds no process files"),
]


# One bad input for every command and action (tests/setup/test_command_reference.py checks the list is complete).
EVERY_COMMAND = [
    (["replay", "missing.jsonl"], "missing.jsonl: no such file"),
    (["worker", "--health-port", "70000"], "port 70000 is out of range"),
    (["web", "--port", "99999"], "port 99999 is out of range"),
    (["demo", "--orders", "0"], "must be at least 1"),
    (["migrate", "--database", "bogus://x"], "unusable database URL 'bogus://x'"),
    (["check-config", "--nonsense"], "unrecognized arguments: --nonsense"),
    (["recompute-deadlines", "--database", "sqlite:////nonexistent/x.db"], "/nonexistent: no such folder"),
    (["sms", "--limit", "0"], "must be at least 1"),
    (["status", "--database", "mysql://u@h/db"], "use sqlite:///path/duban.db or postgresql://"),
    (["backup", "/nonexistent/dir/x.dump"], "/nonexistent/dir does not exist"),
    (["restore", "missing.dump"], "missing.dump"),
    (["benchmark", "--tick-seconds", "abc"], "invalid float value: 'abc'"),
    (["web-benchmark", "--orders", "0"], "must be at least 1"),
    (["hotspots", "--themes", "2026-13"], "is not a month like 2026-11"),
    (["documents", "list", "--limit", "0"], "must be at least 1"),
    (["documents", "show", "99"], "document 99 not found"),
    (["documents", "export", "1", "--out", "/nonexistent/x.pdf"], "the folder /nonexistent does not exist"),
    (["documents", "issue", "--database", "sqlite:////nonexistent/x.db"], "/nonexistent: no such folder"),
    (["documents", "correct", "99", "--reason", "typo"], "document 99 not found"),
    (["assessment", "compute", "2026-13"], "no month 13"),
    (["assessment", "publish", "2026-06"], "required: --actor"),
    (["assessment", "verify", "2026-06"], "has not been published"),
    (["assessment", "show", "2026-06", "U99"], "no score for unit U99"),
    (["assessment", "callback", "GD1", "--satisfaction", "满意", "--at", "soon"], "required: --solved"),
    (["assessment", "exempt", "GD404", "--reason", "x", "--actor", "a"], "unknown work order 'GD404'"),
    (["assessment", "appeal", "2026-06", "--unit", "U01", "--item", "nonsense", "--order", "X", "--reason", "r",
      "--actor", "a"], "invalid choice: 'nonsense'"),
    (["assessment", "decide", "99", "accept", "--note", "n", "--actor", "a"], "no appeal 99"),
    (["assessment", "appeals", "--status", "nonsense"], "invalid choice: 'nonsense'"),
    (["assessment", "export", "2026-06", "--out", "/nonexistent/x.xlsx"], "the folder /nonexistent does not exist"),
    (["assessment", "benchmark", "--units", "0"], "must be at least 1"),
    (["api-client", "create"], "create needs NAME and --scopes"),
    (["import", "missing.csv"], "missing.csv"),
    (["push"], "no push target configured"),
    (["export", "verify", "/nonexistent"], "/nonexistent: no such folder"),
    (["api-benchmark", "--orders", "0"], "must be at least 1"),
    (["unit", "add", "U01", "揭阳市生态环境局", "--phone", "123"], "phone '123' rejected"),
    (["unit", "import", "missing.csv"], "missing.csv: no such file"),
    (["unit", "list", "--database", "sqlite:////nonexistent/x.db"], "/nonexistent: no such folder"),
    (["unit", "disable", "U99"], "unknown handling unit 'U99'"),
    (["user", "create", "bob", "--role", "nonsense"], "invalid choice: 'nonsense'"),
    (["user", "list", "--database", "postgresql://nobody:secret@127.0.0.1:1/x"], "nobody:***@127.0.0.1:1/x"),
    (["user", "passwd", "nobody", "--password-stdin"], "a password needs 10 to 128 characters"),
    (["user", "disable", "nobody"], "unknown user"),
    (["user", "enable", "nobody"], "unknown user"),
    (["create-admin", "root"], "no terminal to ask the password on"),
    (["duplicates", "--since", "last week"], "not an ISO-8601 time"),
    (["duplicates-benchmark", "--database", "postgresql://postgres@127.0.0.1:5432/test"], "not 'test'"),
]
CASES += [(argv, {}, message) for argv, message in EVERY_COMMAND]
# Run as the real executable: an argument error, a database driver's error, no terminal on stdin, a configuration
# file named by the environment, a command on the default database in DUBAN_HOME.
REAL_PROCESS = [(["no-such-command"], {}), (["status", "--database", "postgresql+psycopg://nobody@127.0.0.1:1/x"], {}),
                (["create-admin", "root"], {}), (["check-config"], {"DUBAN_RULES_FILE": "/nonexistent/rules.toml"}),
                (["documents", "show", "99"], {})]
assert all(any(real == case[:2] for case in CASES) for real in REAL_PROCESS)


@pytest.mark.parametrize(("argv", "env", "message"), CASES, ids=[" ".join(c[0])[:40] for c in CASES])
def test_bad_input_gets_one_clear_line(argv, env, message, tmp_path):
    result = duban(argv, cwd=tmp_path, env=env, real=(argv, env) in REAL_PROCESS)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_old_names_of_the_database_option_still_work_with_a_note(tmp_path):
    for old in ("--database-url", "--postgres-url"):
        result = run_duban(["status", old, f"sqlite:///{tmp_path}/old.db"], cwd=tmp_path)
        assert result.returncode == 0
        assert result.stderr == f"duban: note: {old} is an old name of --database; use --database\n"
        assert '"database": "sqlite:///' in result.stdout


def test_a_missing_folder_is_refused_but_duban_home_is_created(tmp_path):
    result = run_duban(["status"], cwd=tmp_path, env={"DUBAN_HOME": str(tmp_path / "data" / "home")},
                       drop=["DUBAN_DATABASE_URL"])
    assert result.returncode == 0
    assert (tmp_path / "data" / "home" / "duban.db").exists()
    assert not (tmp_path / "duban-data").exists()


def test_status_prints_local_times(tmp_path):
    from datetime import datetime, timedelta, timezone

    from config.settings import Settings
    from workflows.bootstrap import build_engine
    from workflows.dev.demo import demo_records

    url = f"sqlite:///{tmp_path}/s.db"
    engine = build_engine(Settings(database_url=url))
    unit = next(r for r in demo_records(datetime.now(timezone.utc), orders=1) if r.get("type") == "unit")
    engine.register_unit(unit["code"], unit["name"], unit["phones"])
    engine.open_work_order(number="T1", unit_code=unit["code"], category="投诉", urgency="一般", source="12345",
                           at=datetime.now(timezone.utc) - timedelta(days=30))
    result = run_duban(["status", "--database", url], cwd=tmp_path)
    shown = json.loads(result.stdout)
    assert shown["timer_backlog"]["oldest_due_at"].endswith("+08:00")


# Files whose reading used to end in a traceback (exit 1), and settings that used to be taken silently.
HEADER = "order_no,unit_code,category,urgency,dispatched_at,title\n"
ROW = "GD1,U1,咨询,一般,2026-06-01 10:00,"


def _zip_without_workbook_parts(path):
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")


FILE_CASES = [
    ("replay", "deep.jsonl", '{"type":"unit","x":' + "[" * 100_000 + "]" * 100_000 + "}\n",
     "line 1: JSON nested too deeply"),
    ("import", "big.csv", HEADER + ROW + '"' + "x" * 140_000 + '"\n', "row 2: a cell is longer than 131072 characters"),
    ("import", "not-zip.xlsx", "this is not a workbook", "not an Excel workbook (an .xlsx file is a zip archive"),
    ("import", "bare.xlsx", _zip_without_workbook_parts, "the archive has no [Content_Types].xml"),
    ("import", "twice.csv", "order_no,unit_code,title,title\nGD1,U1,a,b\n", "row 1: column title appears twice"),
    ("import", "alias.csv", "order_no,unit_code,title,工单标题\nGD1,U1,a,b\n", "row 1: column 工单标题 appears and title"),
    ("import", "open-quote.csv", HEADER + ROW + '"never closed\n' + ROW + "ok\n",
     "row 2: a quoted cell is never closed"),
    ("import", "stray-quote.csv", HEADER + ROW + "ok\n" + ROW + '"half"quoted\n',
     "row 3: a quote inside a cell must be written twice"),
]


@pytest.mark.parametrize(("command", "name", "content", "message"), FILE_CASES, ids=[c[1] for c in FILE_CASES])
def test_an_unreadable_file_gets_one_line_naming_the_problem(command, name, content, message, tmp_path):
    path = tmp_path / name
    content(path) if callable(content) else path.write_text(content, encoding="utf-8")
    argv = [command, str(path)] + (["--database", f"sqlite:///{tmp_path}/d.db"] if command == "import" else [])
    result = duban(argv, cwd=tmp_path, real=name == "deep.jsonl")  # the real process's own stack reads that one
    assert result.returncode == 2, result.stderr[-2000:]
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


def test_import_prints_its_bad_rows_on_stderr_and_exits_2(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "GD1,NOPE,咨询,一般,2026-06-01 10:00,路灯不亮\nGD2,U1,咨询,很急,2026-06-01 10:00,噪音\n",
                    encoding="utf-8")
    result = run_duban(["import", str(path), "--database", f"sqlite:///{tmp_path}/d.db"], cwd=tmp_path)
    assert result.returncode == 2
    assert "row 2: unit_code: unknown handling unit 'NOPE'" in result.stderr
    assert "row 3: urgency" in result.stderr and "nothing written" in result.stderr
    assert "row 2" not in result.stdout and "Traceback" not in result.stderr
    assert "2 row(s): 0 valid, 2 bad" in result.stdout


CONFIG_CASES = [
    ({"DUBAN_BATCH_SIZE": "0"}, "DUBAN_BATCH_SIZE=0: must be at least 1"),
    ({"DUBAN_BATCH_SIZE": "-5"}, "DUBAN_BATCH_SIZE must not be negative"),
    ({"DUBAN_CALENDAR_FILE": ('[years.2027]\nholidays = { "2027-10-08" = "国庆节" }\n'
                              'working_days = ["2027-10-08"]\n')},
     "2027-10-08 listed both as a holiday and as a working day"),
    ({"DUBAN_CALENDAR_FILE": '[years.1999]\nholidays = { "1999-10-01" = "国庆节" }\n'}, "from 2000 to 2100"),
    ({"DUBAN_CALENDAR_FILE": '[years.2101]\nworking_days = ["2101-01-08"]\n'}, "from 2000 to 2100"),
    ({"DUBAN_RULES_FILE": ("[ladder]", "[ladder]\nred_card_workingdays = 4")}, "unknown setting ladder.red_card_workingdays"),
    ({"DUBAN_RULES_FILE": ("[sms]", "[sms_rules]\nx = 1\n[sms]")}, "unknown table [sms_rules]"),
    ({"DUBAN_RULES_FILE": ('"举报" = 15', '"举报" = 15, "投拆" = 15')}, "handling.working_days: unknown 投拆"),
    ({"DUBAN_DOCUMENTS_FILE": ""}, "missing the [letterhead] table"),
    ({"DUBAN_DOCUMENTS_FILE": '[letterhead]\nmark = "揭阳12345"\n'}, "missing letterhead.issuer"),
    ({"DUBAN_DOCUMENTS_FILE": '[letterhead]\nissuer = "揭阳市12345热线服务中心"\n'}, "missing the [numbering] table"),
]


@pytest.mark.parametrize(("env", "message"), CONFIG_CASES, ids=[c[1][:40] for c in CONFIG_CASES])
def test_a_bad_setting_stops_the_start_with_one_line_naming_it(env, message, tmp_path):
    """`duban check-config` (and every command that starts a process) refuses, naming what to fix."""
    variables = {}
    for name, value in env.items():
        if name.endswith("_FILE"):  # a file's content, or (old, new) to change in the shipped rules.toml
            path = tmp_path / f"{name.lower()}.toml"
            if isinstance(value, tuple):
                shipped = (ROOT / "config" / "rules.toml").read_text(encoding="utf-8")
                assert shipped.count(value[0]) == 1
                value = shipped.replace(*value)
            path.write_text(value, encoding="utf-8")
            variables[name] = str(path)
        else:
            variables[name] = value
    result = run_duban(["check-config"], cwd=tmp_path, env=variables)
    assert result.returncode == 2, result.stdout[-1000:]
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_postgresql_without_its_driver_is_one_line(monkeypatch, capsys):
    from web.cli import main

    monkeypatch.setitem(sys.modules, "psycopg", None)  # as on an install without psycopg: `import psycopg` fails
    with pytest.raises(SystemExit) as caught:
        main(["status", "--database", "postgresql://duban@127.0.0.1/duban"])
    err = capsys.readouterr().err
    assert caught.value.code == 2 and err.count("\n") == 1
    assert "PostgreSQL needs the psycopg driver: pip install 'psycopg[binary]'" in err
