"""`duban user create|list|passwd|disable|enable` and `duban create-admin`: accounts from the command line.

The password is read from the terminal (asked twice), or from one line on stdin with --password-stdin, so it
never appears in the shell history or the process list."""
from __future__ import annotations

import argparse
import getpass
import sys

from engine.accounts.service import Accounts, UserChange
from engine.accounts.users import ADMIN, ROLE_LABELS
from engine.domain.errors import DubanError
from web.cli.support import Add, add_database, command_group, engine_for


def _accounts(args: argparse.Namespace) -> Accounts:
    engine = engine_for(args)
    return Accounts(engine.store, engine.clock)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise DubanError("no terminal to ask the password on: pass --password-stdin and pipe it in")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise DubanError("the two passwords differ")
    return first


def cmd_create(args: argparse.Namespace, role: str | None = None) -> int:
    role = role or args.role
    user = _accounts(args).create(username=args.username, display_name=args.name or args.username, role=role,
                                  unit_code=args.unit, password=_password(args), actor="cli")
    print(f"user {user.username} created: {ROLE_LABELS[user.role]}" + (f" of unit {user.unit_code}" if user.unit_code else ""))
    return 0


def cmd_create_admin(args: argparse.Namespace) -> int:
    args.unit = None
    return cmd_create(args, ADMIN)


def cmd_list(args: argparse.Namespace) -> int:
    for u in _accounts(args).list():
        state = "active" if u.active else "disabled"
        last = u.last_login_at.isoformat(timespec="minutes") if u.last_login_at else "never"
        print(f"{u.username:<20} {u.role:<10} {u.unit_code or '-':<10} {state:<8} last login {last}  {u.display_name}")
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    _accounts(args).set_password(args.username, _password(args), actor="cli")
    print(f"password of {args.username} changed; its sessions have ended")
    return 0


def _set_active(args: argparse.Namespace, active: bool) -> int:
    _accounts(args).change(args.username, UserChange(active=active), actor="cli")
    print(f"user {args.username} {'enabled' if active else 'disabled'}")
    return 0


def _with_password_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--password-stdin", action="store_true", help="read the password from one line on stdin")


def add_commands(add: Add) -> None:
    action = command_group(add, "user", "web users: create, list, change a password, disable or enable")
    p = action("create", cmd_create, "create a user (supervisor, unit, leader or admin)")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=sorted(ROLE_LABELS))
    p.add_argument("--name", help="display name (default: the username)")
    p.add_argument("--unit", help="the handling unit's code (unit users only)")
    _with_password_flag(p)
    action("list", cmd_list, "list users with their role, unit and last login")
    p = action("passwd", cmd_passwd, "set a user's password (ends the user's sessions)")
    p.add_argument("username")
    _with_password_flag(p)
    for name, active in (("disable", False), ("enable", True)):
        p = action(name, lambda args, active=active: _set_active(args, active), f"{name} a user")
        p.add_argument("username")

    p = add("create-admin", cmd_create_admin, "create the first administrator")
    p.add_argument("username")
    p.add_argument("--name", help="display name (default: the username)")
    add_database(p)
    _with_password_flag(p)
