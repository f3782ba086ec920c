"""Deployment settings, read once from the environment at the edge (CLI, web, worker)."""
from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

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
    sms_templates_file: Path = ROOT / "config" / "sms_templates.toml"
    sms_gateway: str = "outbox"  # outbox | twilio
    public_url: str = "http://127.0.0.1:8000"  # as units and Twilio reach the web app (behind the TLS proxy)
    secret_key: str = ""  # signs acknowledgement links; empty: a key kept beside the SQLite database
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from: str = ""  # a sender number, or
    twilio_messaging_service_sid: str = ""  # a Messaging Service
    twilio_api_url: str = ""  # empty: Twilio itself; a local fake Twilio in tests and `duban demo --fake-twilio`
    twilio_timeout: float = 10.0
    # session cookies only over HTTPS; default: when DUBAN_PUBLIC_URL is https (set 0 only for a plain-HTTP test rig)
    cookie_secure: bool | None = None
    trusted_proxies: int = 0  # reverse proxies in front of `duban web` whose X-Forwarded-For/-Proto to believe

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://") if self.cookie_secure is None else self.cookie_secure

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
            sms_templates_file=Path(env.get("DUBAN_SMS_TEMPLATES", defaults.sms_templates_file)),
            sms_gateway=env.get("DUBAN_SMS_GATEWAY", defaults.sms_gateway),
            public_url=env.get("DUBAN_PUBLIC_URL", defaults.public_url),
            secret_key=env.get("DUBAN_SECRET_KEY", defaults.secret_key),
            twilio_account_sid=env.get("TWILIO_ACCOUNT_SID", ""),
            twilio_auth_token=env.get("TWILIO_AUTH_TOKEN", ""),
            twilio_from=env.get("TWILIO_FROM", ""),
            twilio_messaging_service_sid=env.get("TWILIO_MESSAGING_SERVICE_SID", ""),
            twilio_api_url=env.get("DUBAN_TWILIO_API_URL", ""),
            twilio_timeout=number("DUBAN_TWILIO_TIMEOUT", defaults.twilio_timeout),
            cookie_secure=_flag(env.get("DUBAN_COOKIE_SECURE")),
            trusted_proxies=int(number("DUBAN_TRUSTED_PROXIES", defaults.trusted_proxies, int)),
        ).checked()

    def checked(self) -> Settings:
        """Refuse settings that cannot work together, naming the variable to fix."""
        if self.sms_gateway not in ("outbox", "twilio"):
            raise RuleError(f"DUBAN_SMS_GATEWAY={self.sms_gateway!r}: use outbox or twilio")
        url = urlsplit(self.public_url)
        if url.scheme not in ("http", "https") or not url.netloc or url.query or url.fragment:
            raise RuleError(f"DUBAN_PUBLIC_URL={self.public_url!r}: give the address units open, like https://12345.example.gov.cn")
        if self.secret_key and len(self.secret_key) < 16:
            raise RuleError("DUBAN_SECRET_KEY must be at least 16 characters")
        if self.sms_gateway == "twilio":
            if not self.twilio_account_sid.startswith("AC") or not self.twilio_auth_token:
                raise RuleError("DUBAN_SMS_GATEWAY=twilio needs TWILIO_ACCOUNT_SID (AC…) and TWILIO_AUTH_TOKEN")
            if bool(self.twilio_from) == bool(self.twilio_messaging_service_sid):
                raise RuleError("DUBAN_SMS_GATEWAY=twilio needs exactly one of TWILIO_FROM and "
                                "TWILIO_MESSAGING_SERVICE_SID")
        return self


def _flag(text: str | None) -> bool | None:
    if text is None or text == "":
        return None
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise RuleError(f"DUBAN_COOKIE_SECURE={text!r}: use 1 or 0")
