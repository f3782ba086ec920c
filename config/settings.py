"""Deployment settings, read once from the environment at the edge (CLI, web, worker)."""
from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from engine.domain.errors import RuleError

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///duban-data/duban.db"
    bpmn_dir: Path = ROOT / "bpmn"
    rules_file: Path = ROOT / "config" / "rules.toml"
    calendar_file: Path = ROOT / "config" / "calendar.toml"
    tick_seconds: float = 5.0
    outbox_seconds: float = 10.0
    batch_size: int = 200
    worker_id: str = ""
    health_port: int = 0  # 0 = no health endpoint for the worker
    log_format: str = "json"  # json | text

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        defaults = cls()

        def number(name: str, default: float, kind: type = float) -> float:
            text = env.get(name)
            if text is None or text == "":
                return default
            try:
                value = kind(text)
            except ValueError:
                raise RuleError(f"{name}={text!r} is not a number") from None
            if value < 0:
                raise RuleError(f"{name} must not be negative")
            return value

        return cls(
            database_url=env.get("DUBAN_DATABASE_URL", defaults.database_url),
            bpmn_dir=Path(env.get("DUBAN_BPMN_DIR", defaults.bpmn_dir)),
            rules_file=Path(env.get("DUBAN_RULES_FILE", defaults.rules_file)),
            calendar_file=Path(env.get("DUBAN_CALENDAR_FILE", defaults.calendar_file)),
            tick_seconds=number("DUBAN_TICK_SECONDS", defaults.tick_seconds),
            outbox_seconds=number("DUBAN_OUTBOX_SECONDS", defaults.outbox_seconds),
            batch_size=int(number("DUBAN_BATCH_SIZE", defaults.batch_size, int)),
            worker_id=env.get("DUBAN_WORKER_ID") or f"{socket.gethostname()}-{os.getpid()}",
            health_port=int(number("DUBAN_HEALTH_PORT", defaults.health_port, int)),
            log_format=env.get("DUBAN_LOG_FORMAT", defaults.log_format),
        )
