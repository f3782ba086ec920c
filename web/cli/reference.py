"""The README's command table, generated from the `duban` parser so the two cannot drift.

`python -m web.cli.reference` rewrites the table between the markers in README.md;
tests/setup/test_command_reference.py fails when README.md and the parser differ."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from config.settings import ROOT

START, END = "<!-- duban-commands:start -->", "<!-- duban-commands:end -->"
README = ROOT / "README.md"


def _sub_commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _option(action: argparse.Action) -> str:
    if action.choices is not None and not isinstance(action, argparse._SubParsersAction):
        value = "|".join(str(c) for c in action.choices)
    else:
        value = action.metavar or action.dest.upper()
    if not action.option_strings:
        return str(value)
    name = action.option_strings[-1] if isinstance(action, argparse.BooleanOptionalAction) else action.option_strings[0]
    if isinstance(action, argparse.BooleanOptionalAction):
        return f"[--{name.removeprefix('--no-')} | --no-{name.removeprefix('--no-')}]"
    text = name if action.nargs == 0 else f"{name} {value}"
    if isinstance(action, argparse._AppendAction):
        text += " …"
    return text if action.required else f"[{text}]"


def synopsis(path: str, parser: argparse.ArgumentParser) -> str:
    shown = [_option(a) for a in parser._actions
             if a.help != argparse.SUPPRESS and not isinstance(a, (argparse._HelpAction, argparse._SubParsersAction))]
    return " ".join([f"duban {path}", *shown])


def rows(parser: argparse.ArgumentParser) -> list[tuple[str, str]]:
    """(synopsis, what it does) for every command and every action of a command group, in the parser's order."""
    found = []
    for name, command in _sub_commands(parser).items():
        actions = _sub_commands(command)
        for action_name, action in (actions.items() if actions else [("", command)]):
            path = f"{name} {action_name}".strip()
            found.append((synopsis(path, action), (action.description or "").strip()))
    return found


def table(parser: argparse.ArgumentParser | None = None) -> str:
    from web.cli import build_parser

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| command | what it does |", "|---|---|"]
    lines += [f"| `{cell(usage)}` | {cell(what)} |" for usage, what in rows(parser or build_parser())]
    return "\n".join(lines)


def with_table(readme: str, generated: str) -> str:
    """README text with the block between the markers replaced by `generated`."""
    before, start, rest = readme.partition(START)
    _, end, after = rest.partition(END)
    if not start or not end:
        raise ValueError(f"README.md lacks the markers {START} … {END}")
    return f"{before}{START}\n{generated}\n{END}{after}"


def main(path: Path = README) -> int:
    text = path.read_text(encoding="utf-8")
    updated = with_table(text, table())
    if updated != text:
        path.write_text(updated, encoding="utf-8")
        print(f"{path}: command table rewritten", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
