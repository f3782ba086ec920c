"""Composition root: settings in, a wired Engine out. The only place adapters are chosen."""
from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

from engine.clock import Clock, SystemClock
from engine.domain.errors import RuleError
from engine.persistence.database import create_db_engine, upgrade
from engine.persistence.store import SqlStore
from engine.ports import SmsGateway
from engine.runtime.definitions import ProcessDefinition, load_directory, sms_templates_used
from engine.services import Engine
from engine.sms.delivery import DIGEST, DeliveryPolicy, SmsDelivery
from engine.sms.links import AckLinks, link_width
from engine.sms.receipts import ReceiptBook
from engine.sms.replies import UnitReplies
from engine.sms.templates import SmsTemplates
from config.aliyun_templates import check_against, load_aliyun_templates
from config.loader import load_calendar, load_catalogue, load_rules, load_sms_config
from config.settings import Settings
from workflows.adapters.outbox_sms import OutboxOnlySmsGateway
from workflows.operations import OPERATIONS


def build_engine(settings: Settings, *, clock: Clock | None = None, database_url: str | None = None,
                 migrate: bool = True) -> Engine:
    rules = load_rules(settings.rules_file)
    calendar = load_calendar(settings.calendar_file)
    definitions = load_directory(settings.bpmn_dir, frozenset(OPERATIONS))
    db = create_db_engine(database_url or settings.database_url)
    if migrate:
        upgrade(db)
    return Engine(store=SqlStore(db), clock=clock or SystemClock(), rules=rules, calendar=calendar,
                  definitions=definitions, operations=OPERATIONS, worker_id=settings.worker_id or "engine",
                  catalogue=load_catalogue(settings.catalogue_file))


def required_processes() -> tuple[str, ...]:
    """The processes the engine starts by name: each needs its `<id>.bpmn` in the BPMN folder."""
    from engine.escalation import LETTER_REPLY
    from engine.merging import MERGE
    from engine.objection_cases import CO_UNIT, HARD_CASE, OBJECTION
    from engine.services import INSTRUCTION, WORK_ORDER
    from engine.timer_firing import QUARTERLY

    return (WORK_ORDER, INSTRUCTION, LETTER_REPLY, QUARTERLY, OBJECTION, CO_UNIT, HARD_CASE, MERGE)


def check_processes(bpmn_dir: Path, definitions: Mapping[str, ProcessDefinition]) -> None:
    """RuleError naming the folder when it holds no process file, or the first files the engine needs and lacks."""
    if not definitions:
        raise RuleError(f"BPMN folder {bpmn_dir} holds no process files (*.bpmn)")
    missing = [f"{key}.bpmn" for key in required_processes() if key not in definitions]
    if missing:
        raise RuleError(f"BPMN folder {bpmn_dir} lacks {', '.join(missing)}: the engine starts these processes")


SENT_OUTSIDE_THE_RULES = frozenset({"document_issued", "hotspot"})  # by document issuing and the hotspot job, not by BPMN


@dataclass(frozen=True)
class SmsServices:
    """Everything that sends SMS and hears back: built once per process from the settings."""

    gateway: SmsGateway
    delivery: SmsDelivery
    receipts: ReceiptBook
    replies: UnitReplies
    links: AckLinks
    templates: SmsTemplates


def build_sms(settings: Settings, engine: Engine, *, gateway: SmsGateway | None = None) -> SmsServices:
    """Templates are checked against the BPMN rules here: a missing or over-long template stops the start-up."""
    templates, policy, link_lifetime = load_sms_settings(settings, engine.definitions)
    links = AckLinks(secret_key(settings), settings.public_url, link_lifetime)
    delivery = SmsDelivery(store=engine.store, clock=engine.clock, rules=engine.rules, templates=templates,
                           links=links, policy=policy, worker_id=engine.worker_id)
    return SmsServices(gateway=gateway or build_gateway(settings, templates, engine.clock), delivery=delivery,
                       receipts=ReceiptBook(store=engine.store, clock=engine.clock, delivery=delivery),
                       replies=UnitReplies(engine, links), links=links, templates=templates)


def load_sms_settings(settings: Settings, definitions: Mapping[str, ProcessDefinition]
                      ) -> tuple[SmsTemplates, DeliveryPolicy, timedelta]:
    """The SMS templates checked against the templates the BPMN rules name, the delivery policy, the link lifetime.
    With Aliyun, also against the approved template codes; values are then no wider than Aliyun takes them."""
    required = sms_templates_used(definitions) | {DIGEST}
    templates, policy, link_lifetime = load_sms_config(settings.sms_templates_file,
                                                       link_width=link_width(settings.public_url), required=required)
    approved = load_aliyun_templates(settings.sms_templates_file)
    if settings.sms_gateway == "aliyun" or approved is not None:
        approved = check_against(approved, templates, required | SENT_OUTSIDE_THE_RULES, settings.sms_templates_file)
    if settings.sms_gateway == "aliyun":
        templates = templates.narrowed(approved.limits())
    return templates, policy, link_lifetime


def build_gateway(settings: Settings, templates: SmsTemplates, clock: Clock) -> SmsGateway:
    if settings.sms_gateway == "aliyun":
        from workflows.adapters.aliyun_sms import AliyunSmsGateway

        approved = load_aliyun_templates(settings.sms_templates_file)
        assert approved is not None  # checked by load_sms_settings
        return AliyunSmsGateway(access_key_id=settings.aliyun_access_key_id,
                                access_key_secret=settings.aliyun_access_key_secret, templates=templates,
                                approved=approved, clock=clock.now, api_url=settings.aliyun_api_url,
                                timeout=settings.aliyun_timeout, push_token=settings.aliyun_push_token)
    if settings.sms_gateway == "twilio":
        from workflows.adapters.twilio_sms import TwilioSmsGateway

        return TwilioSmsGateway(account_sid=settings.twilio_account_sid, auth_token=settings.twilio_auth_token,
                                public_url=settings.public_url, from_number=settings.twilio_from,
                                messaging_service_sid=settings.twilio_messaging_service_sid,
                                api_url=settings.twilio_api_url, timeout=settings.twilio_timeout)
    return OutboxOnlySmsGateway()


def secret_key(settings: Settings) -> bytes:
    """DUBAN_SECRET_KEY, or for the embedded SQLite database a random key kept in a file beside it."""
    if settings.secret_key:
        return settings.secret_key.encode()
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise RuleError("set DUBAN_SECRET_KEY (the same on every web and worker process): it signs the links in SMS")
    path = Path(url.database).with_name("secret.key")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x", encoding="ascii") as fresh:
            fresh.write(secrets.token_urlsafe(32))
        path.chmod(0o600)
    except FileExistsError:
        pass
    return path.read_text(encoding="ascii").strip().encode()
