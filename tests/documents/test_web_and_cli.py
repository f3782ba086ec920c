"""The documents blueprint (list, record, download with sha256) and `duban documents …`."""
from __future__ import annotations

import hashlib
import json

import pytest

from tests.conftest import local
from tests.web_login import client_as
from web import create_app
from web.cli import main as duban
from workflows.documents.issuing import issue_all_pending


@pytest.fixture
def issued(engine, clock, doc_settings, sqlite_url):
    engine.register_unit("U01", "揭阳市生态环境局", ["+8613800138000"])
    engine.open_work_order(number="GD9", unit_code="U01", category="咨询", urgency="一般", source="12345",
                           at=local(2026, 6, 1, 10, 0), title="噪音扰民")
    clock.set(local(2026, 6, 4, 9, 30))
    engine.fire_due_timers()
    assert issue_all_pending(engine, doc_settings) == 1
    return engine


def test_list_record_and_download(issued, settings):
    client = client_as(create_app(settings, engine=issued), issued, "supervisor1", "supervisor")
    page = client.get("/documents").get_data(as_text=True)
    assert "揭热线催〔2026〕1号" in page and "GD9" in page
    assert "揭热线催〔2026〕1号" in client.get("/documents/1").get_data(as_text=True)
    for fmt, magic in (("pdf", b"%PDF"), ("docx", b"PK")):
        response = client.get(f"/documents/1/{fmt}")
        assert response.status_code == 200 and response.data.startswith(magic)
        assert response.headers["X-Content-SHA256"] == hashlib.sha256(response.data).hexdigest()
        assert "attachment" in response.headers["Content-Disposition"]
    assert client.get("/documents/2").status_code == 404
    assert client.get("/documents/1/exe").status_code == 404
    assert client.get("/documents?kind=bogus").status_code == 400


def test_a_unit_downloads_its_own_letters_and_nothing_addressed_to_another_unit(issued, settings):
    issued.register_unit("U02", "揭阳市城市管理局", ["+8613800138001"])
    app = create_app(settings, engine=issued)
    own = client_as(app, issued, "unit-u01", "unit", "U01")
    assert own.get("/documents/1/pdf").status_code == 200
    other = client_as(app, issued, "unit-u02", "unit", "U02")
    assert [other.get(p).status_code for p in ("/documents/1", "/documents/1/pdf", "/documents/1/docx")] == [404] * 3
    assert other.get("/documents").status_code == 403


def test_the_order_page_lists_its_documents_and_sms(issued, settings):
    client = client_as(create_app(settings, engine=issued), issued, "supervisor1", "supervisor")
    page = client.get("/orders/GD9").get_data(as_text=True)
    assert '<a href="/documents/1">揭热线催〔2026〕1号</a>' in page and "/documents/1/pdf" in page
    assert "+86138****8000" in page and "+8613800138000" not in page  # the number is masked


def test_cli_lists_shows_and_exports(issued, sqlite_url, capsys, tmp_path):
    assert duban(["documents", "list", "--database", sqlite_url]) == 0
    out = capsys.readouterr().out
    assert "揭热线催〔2026〕1号" in out and "催办通知书" in out and "GD9" in out
    assert duban(["documents", "show", "1", "--database", sqlite_url]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["number"] == "揭热线催〔2026〕1号" and {f["format"] for f in shown["files"]} == {"docx", "pdf"}
    target = tmp_path / "n.pdf"
    assert duban(["documents", "export", "1", "--format", "pdf", "--out", str(target), "--database", sqlite_url]) == 0
    assert hashlib.sha256(target.read_bytes()).hexdigest() in capsys.readouterr().out


def test_health_reports_documents_not_yet_issued(engine, clock, doc_settings, settings):
    engine.register_unit("U01", "揭阳市生态环境局", ["+8613800138000"])
    engine.open_work_order(number="GD10", unit_code="U01", category="咨询", urgency="一般", source="12345",
                           at=local(2026, 6, 1, 10, 0))
    clock.set(local(2026, 6, 4, 9, 30))
    engine.fire_due_timers()  # the ladder asks for a 催办通知书
    client = create_app(settings, engine=engine).test_client()
    assert client.get("/healthz").get_json()["document_backlog"] == {"pending": 1, "rendering": 0, "failed": 0,
                                                                       "failures": []}
    issue_all_pending(engine, doc_settings)
    assert client.get("/healthz").get_json()["document_backlog"] == {"pending": 0, "rendering": 0, "failed": 0,
                                                                       "failures": []}
