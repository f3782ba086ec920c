"""Deployment settings, read once from the environment at the edge (CLI, web, worker)."""
from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from engine.domain.errors import RuleError

ROOT = Path(__file__).resolve().parent.parent
HOME = Path("duban-data")  # DUBAN_HOME's default, relative to the folder duban runs in


@dataclass(frozen=True)
class Settings:
    # the data folder (DUBAN_HOME): the default SQLite database, its secret key file and the documents kept in it
    home: Path = HOME
    database_url: str = f"sqlite:///{HOME}/duban.db"  # DUBAN_DATABASE_URL; default: duban.db in DUBAN_HOME
    bpmn_dir: Path = ROOT / "bpmn"
    rules_file: Path = ROOT / "config" / "rules.toml"
    calendar_file: Path = ROOT / "config" / "calendar.toml"
    catalogue_file: Path = ROOT / "config" / "dispatch_catalogue.toml"
    hotspots_file: Path = ROOT / "config" / "hotspots.toml"
    tick_seconds: float = 5.0
    outbox_seconds: float = 10.0
    batch_size: int = 200
    worker_id: str = ""
    health_port: int = 0  # 0 = no health endpoint for the worker
    log_format: str = "json"  # json | text
    sms_templates_file: Path = ROOT / "config" / "sms_templates.toml"
    sms_gateway: str = "outbox"  # outbox | twilio | aliyun (DUBAN_SMS_PROVIDER; DUBAN_SMS_GATEWAY is its old name)
    public_url: str = "http://127.0.0.1:8000"  # as units and Twilio reach the web app (behind the TLS proxy)
    secret_key: str = ""  # signs acknowledgement links; empty: a key kept beside the SQLite database
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from: str = ""  # a sender number, or
    twilio_messaging_service_sid: str = ""  # a Messaging Service
    twilio_api_url: str = ""  # empty: Twilio itself; a local fake Twilio in tests and `duban demo --fake-twilio`
    twilio_timeout: float = 10.0
    aliyun_access_key_id: str = ""
    aliyun_access_key_secret: str = ""
    aliyun_api_url: str = ""  # empty: https://dysmsapi.aliyuncs.com; a local fake in tests and `duban demo --fake-aliyun`
    aliyun_timeout: float = 10.0
    aliyun_push_token: str = ""  # the secret in the report/reply push URLs; empty: no push, delivery is polled
    aliyun_poll_seconds: float = 60.0  # how often a worker asks QuerySendDetails for reports when push is off
    # session cookies only over HTTPS; default: when DUBAN_PUBLIC_URL is https (set 0 only for a plain-HTTP test rig)
    cookie_secure: bool | None = None
    trusted_proxies: int = 0  # reverse proxies in front of `duban web` whose X-Forwarded-For/-Proto to believe
    metrics_token: str = ""  # /metrics needs `Authorization: Bearer <it>`; empty: /metrics only from this machine
    proxy_address: str = "127.0.0.1"  # the address the nearest of them connects from; nobody else is believed

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

        home = Path(env.get("DUBAN_HOME") or defaults.home)
        return cls(
            home=home,
            database_url=env.get("DUBAN_DATABASE_URL") or default_database(home),
            bpmn_dir=Path(env.get("DUBAN_BPMN_DIR", defaults.bpmn_dir)),
            rules_file=Path(env.get("DUBAN_RULES_FILE", defaults.rules_file)),
            calendar_file=Path(env.get("DUBAN_CALENDAR_FILE", defaults.calendar_file)),
            catalogue_file=Path(env.get("DUBAN_CATALOGUE_FILE", defaults.catalogue_file)),
            hotspots_file=Path(env.get("DUBAN_HOTSPOTS_FILE", defaults.hotspots_file)),
            tick_seconds=number("DUBAN_TICK_SECONDS", defaults.tick_seconds),
            outbox_seconds=number("DUBAN_OUTBOX_SECONDS", defaults.outbox_seconds),
            batch_size=int(number("DUBAN_BATCH_SIZE", defaults.batch_size, int)),
            worker_id=env.get("DUBAN_WORKER_ID") or f"{socket.gethostname()}-{os.getpid()}",
            health_port=int(number("DUBAN_HEALTH_PORT", defaults.health_port, int)),
            log_format=env.get("DUBAN_LOG_FORMAT", defaults.log_format),
            sms_templates_file=Path(env.get("DUBAN_SMS_TEMPLATES", defaults.sms_templates_file)),
            sms_gateway=_provider(env, defaults.sms_gateway),
            public_url=env.get("DUBAN_PUBLIC_URL", defaults.public_url),
            secret_key=env.get("DUBAN_SECRET_KEY", defaults.secret_key),
            twilio_account_sid=env.get("TWILIO_ACCOUNT_SID", ""),
            twilio_auth_token=env.get("TWILIO_AUTH_TOKEN", ""),
            twilio_from=env.get("TWILIO_FROM", ""),
            twilio_messaging_service_sid=env.get("TWILIO_MESSAGING_SERVICE_SID", ""),
            twilio_api_url=env.get("DUBAN_TWILIO_API_URL", ""),
            twilio_timeout=number("DUBAN_TWILIO_TIMEOUT", defaults.twilio_timeout),
            aliyun_access_key_id=env.get("ALIBABA_CLOUD_ACCESS_KEY_ID", ""),
            aliyun_access_key_secret=env.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ""),
            aliyun_api_url=env.get("DUBAN_ALIYUN_API_URL", ""),
            aliyun_timeout=number("DUBAN_ALIYUN_TIMEOUT", defaults.aliyun_timeout),
            aliyun_push_token=env.get("DUBAN_ALIYUN_PUSH_TOKEN", ""),
            aliyun_poll_seconds=number("DUBAN_ALIYUN_POLL_SECONDS", defaults.aliyun_poll_seconds),
            cookie_secure=_flag(env.get("DUBAN_COOKIE_SECURE")),
            trusted_proxies=int(number("DUBAN_TRUSTED_PROXIES", defaults.trusted_proxies, int)),
            metrics_token=env.get("DUBAN_METRICS_TOKEN", ""),
            proxy_address=env.get("DUBAN_PROXY_ADDRESS") or defaults.proxy_address,
        ).checked()

    def checked(self) -> Settings:
        """Refuse settings that cannot work together, naming the variable to fix."""
        if self.sms_gateway not in PROVIDERS:
            raise RuleError(f"DUBAN_SMS_PROVIDER={self.sms_gateway!r}: use {', '.join(PROVIDERS)}")
        url = urlsplit(self.public_url)
        if url.scheme not in ("http", "https") or not url.netloc or url.query or url.fragment:
            raise RuleError(f"DUBAN_PUBLIC_URL={self.public_url!r}: give the address units open, like https://12345.example.gov.cn")
        if self.batch_size < 1:
            raise RuleError(f"DUBAN_BATCH_SIZE={self.batch_size}: must be at least 1 (timers fired per tick)")
        try:
            ipaddress.ip_address(self.proxy_address)
        except ValueError:
            raise RuleError(f"DUBAN_PROXY_ADDRESS={self.proxy_address!r}: give the proxy's IP address, like "
                            f"127.0.0.1") from None
        if self.secret_key and len(self.secret_key) < 16:
            raise RuleError("DUBAN_SECRET_KEY must be at least 16 characters")
        if self.sms_gateway == "twilio":
            if not self.twilio_account_sid.startswith("AC") or not self.twilio_auth_token:
                raise RuleError("DUBAN_SMS_GATEWAY=twilio needs TWILIO_ACCOUNT_SID (AC…) and TWILIO_AUTH_TOKEN")
            if bool(self.twilio_from) == bool(self.twilio_messaging_service_sid):
                raise RuleError("DUBAN_SMS_GATEWAY=twilio needs exactly one of TWILIO_FROM and "
                                "TWILIO_MESSAGING_SERVICE_SID")
        if self.sms_gateway == "aliyun":
            self._check_aliyun()
        return self

    def _check_aliyun(self) -> None:
        if not self.aliyun_access_key_id or not self.aliyun_access_key_secret:
            raise RuleError("DUBAN_SMS_PROVIDER=aliyun needs ALIBABA_CLOUD_ACCESS_KEY_ID and "
                            "ALIBABA_CLOUD_ACCESS_KEY_SECRET (a RAM user allowed dysms:SendSms and dysms:QuerySendDetails)")
        api = urlsplit(self.aliyun_api_url)
        if self.aliyun_api_url and (api.scheme not in ("http", "https") or not api.netloc or api.path.strip("/")):
            raise RuleError(f"DUBAN_ALIYUN_API_URL={self.aliyun_api_url!r}: give scheme://host[:port] only")
        if self.aliyun_push_token and (len(self.aliyun_push_token) < 16 or not self.aliyun_push_token.isalnum()):
            raise RuleError("DUBAN_ALIYUN_PUSH_TOKEN must be at least 16 letters and digits (it is part of the "
                            "push URLs you register in the SMS console)")
        if self.aliyun_timeout <= 0 or self.aliyun_poll_seconds < 5:
            raise RuleError("DUBAN_ALIYUN_TIMEOUT must be positive and DUBAN_ALIYUN_POLL_SECONDS at least 5")


PROVIDERS = ("outbox", "twilio", "aliyun")


def default_database(home: Path) -> str:
    """The SQLite database every command uses when neither --database nor DUBAN_DATABASE_URL names one."""
    return f"sqlite:///{home / 'duban.db'}"


def _provider(env: Mapping[str, str], default: str) -> str:
    """DUBAN_SMS_PROVIDER, or its older name DUBAN_SMS_GATEWAY; both set must agree."""
    provider, gateway = env.get("DUBAN_SMS_PROVIDER", ""), env.get("DUBAN_SMS_GATEWAY", "")
    if provider and gateway and provider != gateway:
        raise RuleError(f"DUBAN_SMS_PROVIDER={provider!r} and DUBAN_SMS_GATEWAY={gateway!r} disagree: set only "
                        f"DUBAN_SMS_PROVIDER")
    name, value = ("DUBAN_SMS_PROVIDER", provider) if provider else ("DUBAN_SMS_GATEWAY", gateway)
    if value and value not in PROVIDERS:
        raise RuleError(f"{name}={value!r}: use {', '.join(PROVIDERS)}")
    return value or default


def _flag(text: str | None) -> bool | None:
    if text is None or text == "":
        return None
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise RuleError(f"DUBAN_COOKIE_SECURE={text!r}: use 1 or 0")
