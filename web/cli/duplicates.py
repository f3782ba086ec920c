"""`duban duplicates`: the duplicate candidates (重复诉求, issue 19) found at intake, one pair a line."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from engine.clock import format_local, parse_instant
from web.cli.support import Add, add_database, engine_for
from workflows.argtypes import existing_file, positive_int

BENCH_DATABASE = "duban_bench19"


def add_commands(add: Add) -> None:
    p = add("duplicates", cmd_duplicates, "print the duplicate candidates (重复诉求) found at intake: the newer order, "
                                          "the earlier one, the score and the reasons")
    p.add_argument("--since", help="only orders dispatched at or after this time (ISO-8601 with offset)")
    p.add_argument("--format", choices=["text", "jsonl"], default="text",
                   help='jsonl: {"order", "candidate", "score", "reasons"} per line')
    add_database(p)

    p = add("duplicates-benchmark", cmd_benchmark, "measure duplicate candidate lookup at N orders of history on "
                                                   "PostgreSQL, and run the finder on the LA 311 requests (prints figures)")
    p.add_argument("--orders", type=positive_int, default=1_000_000, help="orders of history (1,000,000)")
    p.add_argument("--samples", type=positive_int, default=400, help="new orders looked up (400)")
    p.add_argument("--database", type=str, default=f"postgresql+psycopg://postgres@127.0.0.1:5432/{BENCH_DATABASE}",
                   metavar="URL", help="its own PostgreSQL database, emptied first (default: duban_bench19 on "
                                       "127.0.0.1); 'none' skips the PostgreSQL part")
    p.add_argument("--la311", type=existing_file, help="the LA 311 CSV (shared/data/la311/service_requests.csv)")
    p.add_argument("--keep-history", action="store_true", help="measure again on the history an earlier run "
                                                               "filled (same --orders), without refilling it")


def cmd_benchmark(args: argparse.Namespace) -> int:
    from workflows.bench.duplicates import main

    url = None if args.database == "none" else args.database
    return main(args.orders, args.samples, url, Path(args.la311) if args.la311 else None,
                out=lambda line: print(line, flush=True), progress=lambda line: print(line, file=sys.stderr, flush=True),
                keep_history=args.keep_history)


def cmd_duplicates(args: argparse.Namespace) -> int:
    since = parse_instant(args.since) if args.since else None  # ValueError: one line, exit 2
    engine = engine_for(args)
    for pair in engine.duplicate_pairs(since):
        if args.format == "jsonl":
            print(json.dumps({"order": pair["order_number"], "candidate": pair["candidate_number"],
                              "score": pair["score"], "reasons": pair["reasons"]}, ensure_ascii=False))
        else:
            print(f"{pair['order_number']}  {pair['candidate_number']}  {pair['score']:.2f}  "
                  f"{'；'.join(pair['reasons'])}  ({pair['status']}, {format_local(pair['dispatched_at'])})")
    return 0
