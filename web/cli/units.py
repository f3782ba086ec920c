"""`duban unit add|import|list|disable`: the handling units, their contacts, short names and tiers (workflows/units.py).
Units registered here are the ones `duban user create --unit`, the intake and the admin page know."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.domain.errors import DubanError
from web.cli.support import Add, command_group, engine_for
from workflows.argtypes import existing_file


def cmd_add(args: argparse.Namespace) -> int:
    from workflows.units import UnitEntry, checked, register, tiers

    if len(args.contact) > len(args.phone):
        raise DubanError("more --contact than --phone: give one contact name per phone, in the same order")
    entry = checked(UnitEntry(args.code, args.name, args.phone, args.contact, args.short_name, args.tier), tiers())
    [(code, added)] = register(engine_for(args), [entry], actor="cli")
    print(f"unit {code} {'added' if added else 'updated'}: {entry.name}, {len(entry.phones)} phone(s)")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from workflows.units import entries_from_file, register

    entries, problems = entries_from_file(Path(args.file))
    for problem in problems:
        print(f"duban unit import: {problem}", file=sys.stderr)
    if problems:
        print(f"duban unit import: nothing written ({len(problems)} problem(s) above)", file=sys.stderr)
        return 2
    if args.dry_run:
        print(f"{len(entries)} unit(s) valid; dry run: nothing written")
        return 0
    done = register(engine_for(args), entries, actor="cli")
    added = sum(1 for _, new in done if new)
    print(f"{len(done)} unit(s) written: {added} added, {len(done) - added} updated")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from workflows.units import listing

    for u in listing(engine_for(args)):
        if u["active"] or args.all:
            contacts = ", ".join(f"{name} {phone}".strip() for name, phone in u["contacts"]) or "no phone"
            state = "" if u["active"] else "  [disabled]"
            print(f"{u['code']:<10} {u['short_name']:<8} {u['tier']:<6} {u['name']}  —  {contacts}{state}")
    return 0


def cmd_disable(args: argparse.Namespace) -> int:
    from workflows.units import disable

    changed = disable(engine_for(args), args.code, actor="cli")
    print(f"unit {args.code} " + ("disabled: no new work orders; its orders and scores stay" if changed
                                 else "was already disabled"))
    return 0


def add_commands(add: Add) -> None:
    action = command_group(add, "unit", "handling units: add or update, import a file, list, disable")
    p = action("add", cmd_add, "register a handling unit with its SMS contacts (or update it; enables a disabled one)")
    p.add_argument("code", help="the unit's code, e.g. U01")
    p.add_argument("name", help="the full name, e.g. 揭阳市生态环境局")
    p.add_argument("--phone", action="append", required=True, help="a mobile number for SMS (repeat for several)")
    p.add_argument("--contact", action="append", default=[], help="the person at each --phone, in the same order")
    p.add_argument("--short-name", help="at most 12 characters, for charts and reports (default: from the name)")
    p.add_argument("--tier", help="the assessment tier, one of config/units.toml's tiers (default: its default_tier)")
    p = action("import", cmd_import, "register units from a .csv or .xlsx file: columns code, name, short_name, "
                                     "tier, contact, phone, one row per contact; all or nothing")
    p.add_argument("file", type=existing_file, help="FILE.csv or FILE.xlsx")
    p.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
    p = action("list", cmd_list, "list the units: code, short name, tier, name, contacts")
    p.add_argument("--all", action="store_true", help="include disabled units")
    p = action("disable", cmd_disable, "disable a unit: it takes no new work orders; its history stays")
    p.add_argument("code")
