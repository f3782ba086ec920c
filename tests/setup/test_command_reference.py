"""The README is the user's manual: its command table is the parser's (every command, every option), and its
worked replay example prints what the example's expected file holds."""
from __future__ import annotations

import re
import shlex
import subprocess
import sys

from tests.conftest import ROOT
from web.cli import build_parser
from web.cli.reference import END, START, rows, table, with_table

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_command_table_is_the_parsers():
    shown = README.partition(START)[2].partition(END)[0].strip()
    assert shown == table(), "README.md's command table differs from the parser: run python -m web.cli.reference"


def test_every_command_and_action_has_a_row_that_says_what_it_does():
    listed = [usage.split(" [")[0] for usage, _ in rows(build_parser())]
    for command in ("duban unit add", "duban unit import", "duban recompute-deadlines", "duban status",
                    "duban demo", "duban check-config", "duban user create", "duban documents export"):
        assert any(line.startswith(command) for line in listed), command
    assert all(what for _, what in rows(build_parser()))


def test_the_bad_input_test_covers_every_command_and_action():
    from tests.integration.test_cli_errors import EVERY_COMMAND
    from web.cli.reference import _sub_commands

    commands = _sub_commands(build_parser())
    wanted = {f"{name} {action}" if _sub_commands(parser) else name
              for name, parser in commands.items() for action in (_sub_commands(parser) or [""])}
    covered = {" ".join(argv[:2]) if _sub_commands(commands[argv[0]]) else argv[0] for argv, _ in EVERY_COMMAND}
    assert wanted - covered == set(), "no bad-input case in tests/integration/test_cli_errors.py"


def test_a_changed_option_makes_the_table_differ():
    parser = build_parser()
    for action in parser._actions:
        if getattr(action, "choices", None) and "status" in action.choices:
            action.choices["status"].add_argument("--since", help="a new option")
    assert table(parser) != table()
    assert with_table(f"a\n{START}\nold\n{END}\nb", "new") == f"a\n{START}\nnew\n{END}\nb"


def test_the_worked_replay_example_prints_the_expected_lines():
    command = re.search(r"^duban (replay tests/data/replay-example\.jsonl .*)$", README, re.MULTILINE).group(1)
    result = subprocess.run([sys.executable, "-m", "web.cli", *shlex.split(command)], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    expected = (ROOT / "tests/data/replay-example.expected.jsonl").read_text(encoding="utf-8")
    assert result.returncode == 0 and result.stdout == expected
    assert f"exactly the {len(expected.splitlines())} lines" in README
