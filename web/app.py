"""The Flask app (`from web import create_app`): supervisors', units' and leadership's pages, the unit acknowledgement
link, Twilio's webhooks and the integration API. Every page needs a signed-in user (web.auth); every form carries a
CSRF token."""
from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from config.settings import Settings
from engine.accounts.service import Accounts
from engine.accounts.users import ROLE_LABELS
from engine.clock import LOCAL_TZ
from engine.domain.work_order import STATUS_LABELS
from engine.persistence import queries
from engine.persistence.api_store import ApiRecords
from engine.services import Engine
from web import api as api_web
from web.hooks import aliyun as aliyun_hooks
from web.hooks import twilio as twilio_hooks
from web.pages import ack as ack_pages
from web.pages import admin, dashboard, duplicate_forms, leadership, objection_forms, order_forms, orders, workbench
from web.pages import assessment as assessment_web
from web.pages import documents as documents_web
from web.pages import hotspots as hotspots_web
from web.pages import push as push_pages
from web.pages import rules as rules_pages
from web.pages import sms as sms_pages
from web.pages import units as unit_pages
from web.api.problems import from_http
from web.auth import init_auth
from web.context import duban
from engine.domain.pending_steps import STEP_LABELS
from web.pages.labels import INSTANCE_STATUS_LABELS, KIND_LABELS, SUPERSEDED_LABELS, audit_label, card_reason, \
    template_label
from web.metrics import init_metrics
from web.pages.actors import actor_name, audit_details, unit_name
from web.security import init_security
from workflows.bootstrap import SmsServices, build_sms, secret_key

ERROR_MESSAGES = {400: "请求有误", 403: "无权访问此页面", 404: "页面或工单不存在", 405: "不支持的操作",
                  413: "提交的内容过大", 429: "操作过于频繁"}


def create_app(settings: Settings | None = None, *, engine: Engine | None = None,
               sms: SmsServices | None = None) -> Flask:
    settings = settings or Settings.from_env()
    if engine is None:
        from workflows.bootstrap import build_engine
        engine = build_engine(settings)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024  # forms and webhooks are small
    app.extensions["duban"] = engine
    app.extensions["duban.sms"] = sms or build_sms(settings, engine)
    csrf = init_security(app, settings, secret_key(settings))
    init_metrics(app, settings, engine)  # first, so that it times every request, also those auth turns away
    init_auth(app, Accounts(engine.store, engine.clock))
    for blueprint in (sms_pages.bp, push_pages.bp, ack_pages.bp, twilio_hooks.bp, aliyun_hooks.bp, orders.bp,
                      order_forms.bp, workbench.bp, unit_pages.bp, leadership.bp, admin.bp, rules_pages.bp,
                      dashboard.bp, objection_forms.bp, duplicate_forms.bp):
        app.register_blueprint(blueprint)
    documents_web.register(app)
    assessment_web.register(app)
    hotspots_web.register(app, settings)
    api_web.register(app)
    csrf.exempt(twilio_hooks.bp)  # Twilio signs its requests
    csrf.exempt(aliyun_hooks.bp)  # the push URLs carry a secret
    csrf.exempt(app.blueprints["api_v1"])  # bearer tokens, no cookies

    @app.template_filter("local")
    def local(value: Any) -> str:
        return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if value else "—"

    app.jinja_env.globals.update(STATUS_LABELS=STATUS_LABELS, KIND_LABELS=KIND_LABELS, ROLE_LABELS=ROLE_LABELS,
                                 INSTANCE_STATUS_LABELS=INSTANCE_STATUS_LABELS, card_reason=card_reason,
                                 template_label=template_label, STEP_LABELS=STEP_LABELS,
                                 SUPERSEDED_LABELS=SUPERSEDED_LABELS, audit_label=audit_label,
                                 actor_name=actor_name, audit_details=audit_details,
                                 unit_name=unit_name)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        """Problem+JSON under the API (also for unknown paths there), a Chinese page elsewhere."""
        if api_web.is_api_path(request.path):
            return from_http(error)
        if (error.code or 500) >= 500 or request.path.startswith(("/twilio/", "/aliyun/")):
            return error
        message = ERROR_MESSAGES.get(error.code or 400, error.name)
        return render_template("error.html", code=error.code, message=message, detail=error.description), error.code

    @app.get("/healthz")
    def health() -> Any:
        backlog = duban().backlog()
        with duban().store.reading() as tx:
            sms_backlog = queries.sms_backlog(tx.c, duban().clock.now())
            document_backlog = queries.document_backlog(tx.c)
            push_backlog = ApiRecords(tx).push_backlog()
        failing = document_backlog["failed"] > 0  # a document the rules asked for does not exist
        return jsonify(status="failing" if failing else "ok", sms_backlog=sms_backlog,
                       document_backlog=document_backlog, push_backlog=push_backlog,
                       timer_backlog={**backlog, "oldest_due_at": backlog["oldest_due_at"].isoformat()
                                      if backlog["oldest_due_at"] else None}), 503 if failing else 200

    return app

