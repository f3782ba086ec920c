"""The Flask app: a minimal live view of work orders, their deadlines and escalations (issue 5 builds the full UI)."""
from __future__ import annotations

from typing import Any

from flask import Flask, abort, current_app, jsonify, render_template, request

from engine.clock import LOCAL_TZ
from engine.domain.work_order import STATUS_LABELS
from engine.persistence import queries
from engine.persistence.document_store import DocumentRecords
from engine.services import Engine
from config.settings import Settings
from web import api as api_web
from web import assessment as assessment_web
from web import documents as documents_web
from web import sms_pages, twilio_hooks
from workflows.bootstrap import SmsServices, build_sms

KIND_LABELS = {
    "sms": "短信", "phone_urge": "电话催办", "urge_notice": "催办通知书", "yellow_card": "黄牌", "red_card": "红牌",
    "supervision_letter": "督办函", "special_report": "专报", "quarterly_report": "季度专报",
    "sms_failed": "短信失败待处理",
}


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
    app.register_blueprint(sms_pages.bp)
    app.register_blueprint(twilio_hooks.bp)
    documents_web.register(app)
    assessment_web.register(app)
    api_web.register(app)

    @app.template_filter("local")
    def local(value: Any) -> str:
        return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if value else "—"

    app.jinja_env.globals.update(STATUS_LABELS=STATUS_LABELS, KIND_LABELS=KIND_LABELS)

    @app.get("/")
    def order_list() -> str:
        page = max(request.args.get("page", 1, type=int) or 1, 1)
        status = request.args.get("status") or None
        if status is not None and status not in STATUS_LABELS:
            abort(400, f"unknown status {status!r}")
        with _engine().store.reading() as tx:
            total, rows = queries.list_orders(tx.c, limit=50, offset=(page - 1) * 50, status=status)
            summary = queries.counts(tx.c)
        return render_template("orders.html", rows=rows, total=total, page=page, status=status, summary=summary,
                               backlog=_engine().backlog())

    @app.get("/orders/<number>")
    def order_view(number: str) -> str:
        with _engine().store.reading() as tx:
            detail = queries.order_detail(tx.c, number)
            documents = DocumentRecords(tx).listing(order_number=number, limit=100)[1] if detail else []
        if detail is None:
            abort(404)
        return render_template("order.html", documents=documents, **detail)

    @app.get("/healthz")
    def health() -> Any:
        backlog = _engine().backlog()
        with _engine().store.reading() as tx:
            sms_backlog = queries.sms_backlog(tx.c, _engine().clock.now())
            document_backlog = queries.document_backlog(tx.c)
        return jsonify(status="ok", sms_backlog=sms_backlog, document_backlog=document_backlog,
                       timer_backlog={**backlog, "oldest_due_at": backlog["oldest_due_at"].isoformat()
                                      if backlog["oldest_due_at"] else None})

    return app


def _engine() -> Engine:
    engine: Engine = current_app.extensions["duban"]
    return engine
