"""`duban hotspots`: the hotspot flags (热点预警) of the windows ending on a day, or a month's candidate themes
(每月一题), computed from the database without storing anything (the worker stores them)."""
from __future__ import annotations

import argparse
import json
import re
from datetime import date, datetime, time

from engine.clock import LOCAL_TZ
from web.cli.support import Add, add_database, settings_for


def moment(text: str) -> datetime:
    """2026-06-17, 2026-06-17T06:30 or 2026-06-17T06:30+08:00; without an offset, Asia/Shanghai."""
    try:
        value = datetime.fromisoformat(text) if "T" in text or " " in text else datetime.combine(
            date.fromisoformat(text), time())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date or time like 2026-06-17 or "
                                         f"2026-06-17T06:30+08:00") from None
    return value if value.tzinfo else value.replace(tzinfo=LOCAL_TZ)


def month(text: str) -> str:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a month like 2026-11")
    return text


def cmd_hotspots(args: argparse.Namespace) -> int:
    from config.hotspot_loader import load_hotspots
    from workflows.hotspots import compute, severity_words, themes

    from workflows.bootstrap import build_engine

    settings = settings_for(args)
    config = load_hotspots(settings.hotspots_file)
    engine = build_engine(settings)
    if args.themes:
        for rank, t in enumerate(themes(engine, config, args.themes), start=1):
            f = t.figures
            print(json.dumps({"category": f.category, "area": f.area, "month": args.themes, "volume": f.volume,
                              "previous": f.previous, "dissatisfied": f.dissatisfied, "rated": f.rated,
                              "score": t.score}, ensure_ascii=False) if args.format == "jsonl"
                  else f"{rank:>2}. {f.category} {f.area}  {t.score:5.1f}分  {t.reasons}")
        return 0
    for scan in compute(engine, config, args.at):
        if args.format == "jsonl":
            for h in scan.hotspots:
                print(json.dumps(h.as_line(), ensure_ascii=False))
            continue
        w = scan.window
        print(f"窗口 {w.first:%Y-%m-%d}–{w.last:%Y-%m-%d}（{w.days}天）：检验{scan.tested}个类别×区域，"
              f"p ≤ {scan.threshold:.2g} 且超出常态{config.rules.min_ratio:g}倍为预警，共{len(scan.hotspots)}个")
        for h in scan.hotspots:
            print(f"  {severity_words(h.severity)}  {h.category}  {h.area}  {h.count}件  常态{h.expected:.1f}件  "
                  f"{h.ratio:.1f}倍  p={h.p_value:.1e}  基线{h.baseline}")
    return 0


def add_commands(add: Add) -> None:
    p = add("hotspots", cmd_hotspots, "print the hotspot flags (热点预警) of the windows ending on the day of --at "
            "(default now), or with --themes MONTH that month's candidate themes (每月一题); nothing is stored")
    add_database(p)
    p.add_argument("--at", type=moment, help="a date or ISO time (default: now); windows end at the start of its day")
    p.add_argument("--format", choices=["text", "jsonl"], default="text",
                   help="jsonl: one {category, area, window, count, expected, score} object a line")
    p.add_argument("--themes", type=month, metavar="MONTH", help="list the candidate themes of MONTH (2026-11)")
