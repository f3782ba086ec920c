"""Issued documents in the web UI: the list, one document's record, and its DOCX/PDF download."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Flask, Response, abort, render_template, request

from engine.accounts.users import ADMIN, LEADER, SUPERVISOR, UNIT
from engine.documents.model import KIND_NAMES
from engine.persistence.document_store import DocumentRecords
from web.auth import current, roles
from web.context import duban
from web.pages.form_checks import MAX_PAGE

bp = Blueprint("documents", __name__)
MEDIA_TYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               "pdf": "application/pdf"}
PAGE = 50



def _visible_or_404(document: dict[str, Any] | None) -> dict[str, Any]:
    """Unit users see only the documents addressed to their unit (their notices and letters)."""
    if document is None or (current().role == UNIT and document.get("unit_code") != current().unit_code):
        abort(404)
    return document


@bp.get("/documents")
@roles(SUPERVISOR, LEADER, ADMIN)
def document_list() -> str:
    kind = request.args.get("kind") or None
    if kind is not None and kind not in KIND_NAMES:
        abort(400, f"unknown document kind {kind!r}")
    order = request.args.get("order") or None
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    with duban().store.reading() as tx:
        total, rows = DocumentRecords(tx).listing(kind=kind, order_number=order, limit=PAGE, offset=(page - 1) * PAGE)
    return render_template("documents.html", rows=rows, total=total, kind=kind, order=order, page=page,
                           page_size=PAGE, DOCUMENT_KINDS=KIND_NAMES)


@bp.get("/documents/<int(max=2147483647):document_id>")
def document_view(document_id: int) -> str:
    with duban().store.reading() as tx:
        document = _visible_or_404(DocumentRecords(tx).get(document_id))
    return render_template("document.html", d=document, DOCUMENT_KINDS=KIND_NAMES)


@bp.get("/documents/<int(max=2147483647):document_id>/<fmt>")
def document_download(document_id: int, fmt: str) -> Any:
    if fmt not in MEDIA_TYPES:
        abort(404)
    with duban().store.reading() as tx:
        records = DocumentRecords(tx)
        document = _visible_or_404(records.get(document_id))
        found = records.file(document_id, fmt)
    if found is None:
        abort(404)
    content, sha256 = found
    name = f"{document['number']}{document['title']}.{fmt}"
    return Response(content, mimetype=MEDIA_TYPES[fmt], headers={
        "Content-Disposition": f"attachment; filename=\"document-{document_id}.{fmt}\"; filename*=UTF-8''{quote(name)}",
        "ETag": f'"{sha256}"', "X-Content-SHA256": sha256, "Cache-Control": "private, max-age=31536000, immutable"})


def register(app: Flask) -> None:
    app.register_blueprint(bp)
