"""`duban assessment compute|publish|verify|show|callback|exempt|appeal|decide|appeals|export|benchmark`."""
from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from engine.assessment.formula import DEDUCTION_ITEMS, ITEM_LABELS, RATE_ITEMS
from engine.assessment.ranking import Ranked
from engine.domain.errors import DubanError
from web.cli.support import Add, command_group, engine_for
from workflows.argtypes import existing_file, output_file, positive_int


def _service(args: argparse.Namespace) -> Any:
    from workflows.assessment.service import build_assessment

    return build_assessment(engine_for(args), Path(args.config) if getattr(args, "config", None) else None)


def _rate(yes: int, counted: int) -> str:
    return f"{100 * yes / counted:.2f}% ({yes}/{counted})" if counted else "不适用 (0)"


def cmd_compute(args: argparse.Namespace) -> int:
    service = _service(args)
    result = service.period(args.period)
    boards = service.boards(result)
    if result.provisional:
        print(f"（{'、'.join(result.provisional)}尚未结束，得分为暂定）")
    for tier in boards.tiers:
        print(f"{tier.tier}：")
        for r in tier.ranked:
            print(f"{r.rank:>3}  {r.unit_code:<10} {r.total:>7}  {r.unit_name}")
        print(f"  红榜：{'、'.join(r.unit_name for r in tier.top) or '空缺'}（{tier.top_note}）")
        print(f"  黑榜：{'、'.join(r.unit_name for r in tier.bottom) or '空缺'}（{tier.bottom_note}）")
    for u in boards.unranked:
        total = "—" if u.total is None else str(u.total)
        print(f"  {u.reason}  {u.unit_code:<10} {total:>7}  {u.unit_name}（应办结回复工单 {u.sample} 件）")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    service = _service(args)
    revision = service.publish(args.period, actor=args.actor)
    print(f"{args.period} published (revision id {revision})")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    diffs = _service(args).verify(args.period)
    for line in diffs:
        print(line)
    print(f"{args.period}: " + ("recomputed figures equal the published ones" if not diffs else
                                f"{len(diffs)} unit(s) differ from the published figures"))
    return 0 if not diffs else 1


def cmd_show(args: argparse.Namespace) -> int:
    service = _service(args)
    result = service.month(args.period, unit_code=args.unit)
    unit = result.unit(args.unit)
    if unit is None:
        raise DubanError(f"no score for unit {args.unit} in {args.period}")
    state = f"published revision {result.revision['revision']}" if result.revision else "live (not published)"
    total = "不适用" if unit.total is None else f"{unit.total} points"
    print(f"{unit.unit_name} ({unit.unit_code}) {args.period}: {total} — formula {result.formula.version}, {state}")
    place = service.boards(service.period(args.period)).place_of(unit.unit_code)
    if place is not None:
        print(f"  {place.tier}：" + (f"档内第 {place.rank} 名" if isinstance(place, Ranked) else
                                    f"{place.reason}（应办结回复工单 {place.sample} 件，不排名）"))
    print(f"  {unit.explanation()}")
    for i in unit.items:
        print(f"  {ITEM_LABELS[i.key]}: " + (f"{_rate(i.yes, i.counted)} → {i.points}" if i.applies
                                             else "不适用（本期无可考核工单）"))
    for k, n, p in unit.deductions:
        print(f"  {ITEM_LABELS[k]}: {n} → −{p}")
    for x in result.lines:
        if x.unit_code == unit.unit_code:
            flag = f"  [appeal #{x.excluded_by} accepted: not counted]" if x.excluded_by else ""
            ref = f" #{x.ref}" if x.ref else ""
            print(f"    {x.item:<20} {x.order_number or '—':<16}{ref:<6} {x.outcome:<7} {x.detail}{flag}")
    return 0


def cmd_callback(args: argparse.Namespace) -> int:
    at = datetime.fromisoformat(args.at)
    if at.tzinfo is None:
        raise DubanError("--at needs its UTC offset, e.g. 2026-06-15T10:00:00+08:00")
    outcome = _service(args).record_callback(args.order, satisfaction=args.satisfaction, solved=args.solved,
                                             attributed_to_unit=args.attributed, at=at, actor=args.actor)
    print(f"{outcome.order_number}: {outcome.satisfaction}; {'reopened' if outcome.reopened else 'not reopened'} — {outcome.note}")
    return 0


def cmd_exempt(args: argparse.Namespace) -> int:
    added = _service(args).exempt_order(args.order, reason=args.reason, actor=args.actor)
    print(f"{args.order}: " + ("accepted as an unreasonable request" if added else "already exempted"))
    return 0


def cmd_appeal(args: argparse.Namespace) -> int:
    appeal_id = _service(args).file_appeal(args.period, unit_code=args.unit, item=args.item, order_number=args.order,
                                           ref=args.ref, reason=args.reason, actor=args.actor)
    print(f"appeal #{appeal_id} filed")
    return 0


def cmd_decide(args: argparse.Namespace) -> int:
    revision = _service(args).decide_appeal(args.id, accept=args.decision == "accept", note=args.note,
                                            actor=args.actor)
    print(f"appeal #{args.id} {args.decision}ed" + (f"; new published revision id {revision}" if revision else ""))
    return 0


def cmd_appeals(args: argparse.Namespace) -> int:
    for a in _service(args).appeals(period=args.period, status=args.status):
        print(json.dumps(a, ensure_ascii=False, default=str))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from workflows.assessment.exports import export_period

    Path(args.out).write_bytes(export_period(_service(args), args.period))
    print(f"wrote {args.out}")
    return 0


def cmd_benchmark(args: argparse.Namespace) -> int:
    from workflows.bench.assessment import run_benchmark

    run_benchmark(units=args.units, orders=args.orders, database=args.with_database)
    return 0


def add_commands(add: Add) -> None:
    """Define `duban assessment …` with the CLI's `add(name, fn, help)` helper."""
    group = command_group(add, "assessment", "performance assessment of handling units (绩效考核): scores, appeals, export")

    def action(name: str, fn: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        p = group(name, fn, help_text)
        p.add_argument("--config", type=existing_file, help="assessment formula file (default: config/assessment.toml)")
        return p

    p = action("compute", cmd_compute, "print the ranking of a month (2026-06), quarter (2026Q2) or year (2026)")
    p.add_argument("period")
    p = action("publish", cmd_publish, "publish a finished month: store its figures, lines and formula")
    p.add_argument("period")
    p.add_argument("--actor", required=True)
    p = action("verify", cmd_verify, "recompute a published month and compare with the stored figures (exit 1 if not equal)")
    p.add_argument("period")
    p = action("show", cmd_show, "a unit's score for a month, explained down to the order number")
    p.add_argument("period")
    p.add_argument("unit")
    p = action("callback", cmd_callback, "record a callback (回访); a dissatisfied one attributed to the unit reopens the order")
    p.add_argument("order")
    p.add_argument("--satisfaction", required=True, choices=["满意", "基本满意", "不满意"])
    p.add_argument("--solved", action=argparse.BooleanOptionalAction, required=True)
    p.add_argument("--attributed", action=argparse.BooleanOptionalAction, required=True,
                   help="the dissatisfaction is the unit's doing (主观原因)")
    p.add_argument("--at", required=True, help="ISO time with offset")
    p.add_argument("--actor", default="hotline")
    p = action("exempt", cmd_exempt, "accept an order as an unreasonable request (不合理诉求): no satisfaction assessed")
    p.add_argument("order")
    p.add_argument("--reason", required=True)
    p.add_argument("--actor", required=True)
    p = action("appeal", cmd_appeal, "file a unit's appeal against one line of a month's score")
    p.add_argument("period")
    p.add_argument("--unit", required=True)
    p.add_argument("--item", required=True, choices=[*RATE_ITEMS, *DEDUCTION_ITEMS])
    p.add_argument("--order", required=True)
    p.add_argument("--ref", default="", help="the card's or letter's id (deductions; see `show`)")
    p.add_argument("--reason", required=True)
    p.add_argument("--actor", required=True)
    p = action("decide", cmd_decide, "accept or reject an appeal (an accepted one on a published month adds a revision)")
    p.add_argument("id", type=int)
    p.add_argument("decision", choices=["accept", "reject"])
    p.add_argument("--note", required=True)
    p.add_argument("--actor", required=True)
    p = action("appeals", cmd_appeals, "list appeals as JSON lines")
    p.add_argument("--period")
    p.add_argument("--status", choices=["pending", "accepted", "rejected"])
    p = action("export", cmd_export, "write the XLSX for the annual departmental assessment (any period)")
    p.add_argument("period")
    p.add_argument("--out", required=True, type=output_file)
    p = action("benchmark", cmd_benchmark, "time a year's scores for many units and orders (prints figures)")
    p.add_argument("--units", type=positive_int, default=100)
    p.add_argument("--orders", type=positive_int, default=365_000)
    p.add_argument("--with-database", action="store_true", help="also load the orders into SQLite and time the read")
