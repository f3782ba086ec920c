"""The unit register (`duban unit add|import|list|disable`): handling units with their contacts, short name and
assessment tier, kept where the admin page keeps them (handling_units, unit_contacts). Every entry is checked —
codes, names, mobile numbers (engine/domain/phones.py), the tier against config/units.toml — before anything is
written; an import writes all its units or none."""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from config.units_loader import load_units
from engine.domain.errors import DubanError, InvalidInput, UnknownUnit
from engine.domain.model import HandlingUnit
from engine.domain.phones import normalise_mobile
from engine.domain.unit_directory import UnitDirectory
from engine.persistence.tables import handling_units, unit_contacts
from engine.services import Engine

HEADERS = {"code": "code", "单位编码": "code", "name": "name", "单位名称": "name", "short_name": "short_name",
           "简称": "short_name", "tier": "tier", "档次": "tier", "contact": "contact", "联系人": "contact",
           "phone": "phone", "手机": "phone"}


@dataclass
class UnitEntry:
    code: str
    name: str
    phones: list[str]
    contacts: list[str]
    short_name: str | None = None
    tier: str | None = None


def checked(entry: UnitEntry, tiers: tuple[str, ...]) -> UnitEntry:
    """The entry with its numbers in E.164; InvalidInput (one line, naming the unit) when anything is wrong."""
    code, name = entry.code.strip(), entry.name.strip()
    HandlingUnit(code, name, ())  # the code and name rules of every unit
    if not entry.phones:
        raise InvalidInput(f"unit {code}: at least one mobile number is needed (SMS reach units on it)")
    phones = [normalise_mobile(code, p) for p in entry.phones]
    if len(set(phones)) != len(phones):
        raise InvalidInput(f"unit {code}: a phone number is listed twice")
    if any(len(c.strip()) > 50 for c in entry.contacts):
        raise InvalidInput(f"unit {code}: a contact's name has more than 50 characters")
    short = (entry.short_name or "").strip() or None
    if short is not None and len(short) > 12:
        raise InvalidInput(f"unit {code}: the short name {short!r} has more than 12 characters")
    tier = (entry.tier or "").strip() or None
    if tier is not None and tier not in tiers:
        raise InvalidInput(f"unit {code}: tier {tier!r} is not one of {', '.join(tiers)} (config/units.toml)")
    return UnitEntry(code, name, phones, [c.strip() for c in entry.contacts], short, tier)


def register(engine: Engine, entries: list[UnitEntry], actor: str) -> list[tuple[str, bool]]:
    """Write checked entries (a disabled unit registered again is enabled); (code, newly added) for each."""
    with engine.store.reading() as tx:
        known = {code for code, _ in tx.unit_names()}
    for e in entries:
        engine.register_unit(e.code, e.name, e.phones, actor=actor, contacts=e.contacts,
                             details={"short_name": e.short_name, "tier": e.tier, "disabled_at": None})
    return [(e.code, e.code not in known) for e in entries]


def tiers() -> tuple[str, ...]:
    return load_units().tier_order


def registered_directory(engine: Engine, configured: UnitDirectory) -> UnitDirectory:
    """config/units.toml's short names and tiers with the register's (`duban unit add|import`) over them."""
    with engine.store.reading() as tx:
        rows = tx.c.execute(sa.select(handling_units.c.code, handling_units.c.short_name, handling_units.c.tier)
                            .where(sa.or_(handling_units.c.short_name.is_not(None),
                                          handling_units.c.tier.is_not(None)))).all()
    if not rows:
        return configured
    return replace(configured, short_names={**configured.short_names, **{r.code: r.short_name for r in rows if r.short_name}},
                   tiers={**configured.tiers, **{r.code: r.tier for r in rows if r.tier}})


def entries_from_file(path: Path) -> tuple[list[UnitEntry], list[str]]:
    """Units from a .csv or .xlsx file, one row per contact (rows of one unit code form the unit; its name, short
    name and tier from the first); the problems as `row N: reason`, every row checked."""
    from workflows.intake.sheet import read_rows

    allowed, rows = tiers(), read_rows(path, HEADERS)
    units: dict[str, tuple[int, UnitEntry]] = {}
    problems: list[tuple[int, str]] = []
    spoilt: set[str] = set()  # units with a bad row: reported by that row, not checked again as a whole
    for number, raw in rows:
        cells = {HEADERS[h]: str(v).strip() for h, v in raw.items()}
        code = cells.get("code", "")
        first, entry = units.setdefault(code, (number, UnitEntry(code, cells.get("name", ""), [], [],
                                                                 cells.get("short_name"), cells.get("tier"))))
        entry.phones.append(cells.get("phone", ""))
        entry.contacts.append(cells.get("contact", ""))
        try:
            if not code:
                raise InvalidInput("the unit code is empty")
            if cells.get("name") and cells["name"] != entry.name:
                raise InvalidInput(f"unit {code} is named {entry.name!r} in row {first}")
            normalise_mobile(code, cells.get("phone", ""))
        except DubanError as exc:
            problems.append((number, str(exc)))
            spoilt.add(code)
    good = []
    for code, (first, entry) in units.items():
        if code in spoilt:
            continue
        try:
            good.append(checked(entry, allowed))
        except DubanError as exc:
            problems.append((first, str(exc)))
    if not rows:
        raise InvalidInput(f"{path}: no unit rows under the header")
    return good, [f"row {number}: {reason}" for number, reason in sorted(problems)]


def disable(engine: Engine, code: str, actor: str) -> bool:
    """Mark a unit disabled (its orders, messages and scores stay); False when it already was."""
    with engine.store.transaction() as tx:
        unit = tx.get_unit(code)
        if unit is None:
            raise UnknownUnit(code)
        if not unit.active:
            return False
        now = engine.clock.now()
        tx.c.execute(handling_units.update().where(handling_units.c.code == code).values(disabled_at=now))
        tx.audit(now, actor, "unit.disabled", None, {"code": code})
    return True


def listing(engine: Engine) -> list[dict[str, Any]]:
    """Every unit with its short name (registered, configured or derived), tier, state and contacts."""
    directory = load_units()
    with engine.store.reading() as tx:
        rows = tx.c.execute(
            sa.select(handling_units, unit_contacts.c.phone, unit_contacts.c.name.label("contact"))
            .outerjoin(unit_contacts, unit_contacts.c.unit_code == handling_units.c.code)
            .order_by(handling_units.c.code, unit_contacts.c.position)).mappings().all()
    units: dict[str, dict[str, Any]] = {}
    for r in rows:
        unit = units.setdefault(r["code"], {
            "code": r["code"], "name": r["name"], "active": r["disabled_at"] is None,
            "short_name": r["short_name"] or directory.short_name(r["code"], r["name"]),
            "tier": r["tier"] or directory.tier(r["code"]), "contacts": []})
        if r["phone"]:
            unit["contacts"].append((r["contact"] or "", r["phone"]))
    return list(units.values())
