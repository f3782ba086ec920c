"""Helpers for the role-by-role browser tests: a live server over a seeded SQLite engine, one browser context per
signed-in user, and a watch on every page for script requests and Content-Security-Policy complaints.

Launching Chromium, skipping without it and where screenshots go are shared with test_web_live."""
from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from waitress.server import create_server

from engine.clock import VirtualClock
from engine.services import Engine
from tests.web_login import PASSWORD

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"])


def need_browser():
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium")
        pytest.skip("chromium is not installed")
    ARTIFACTS.mkdir(exist_ok=True)
    return pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium for the module (skipped without it, except on CI)."""
    sync_api = need_browser()
    with sync_api.sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """The app on 127.0.0.1 at an ephemeral port, in a thread, for as long as the block runs."""
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=5)


@dataclass
class Live:
    """A running server, the engine behind it and its clock, and the browser contexts opened on it."""
    base: str
    engine: Engine
    clock: VirtualClock
    browser: Any
    contexts: list[Any] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    csp_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path

    def new_page(self, *, phone: bool = False) -> Any:
        """A page in a fresh context (its own cookies), watched for scripts and CSP errors."""
        options: dict[str, Any] = ({"viewport": PHONE, "is_mobile": True, "has_touch": True} if phone
                                   else {"viewport": DESKTOP})
        context = self.browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **options)
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        context.on("request", self._on_request)
        context.on("console", self._on_console)
        page = context.new_page()
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        return page

    def page_as(self, username: str, *, phone: bool = False) -> Any:
        page = self.new_page(phone=phone)
        log_in(page, self.base, username)
        return page

    def _on_request(self, request: Any) -> None:
        if request.resource_type == "script":
            self.scripts.append(request.url)

    def _on_console(self, message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.csp_errors.append(f"{message.type}: {text}")

    def assert_clean(self) -> None:
        assert self.scripts == [], f"pages requested scripts: {self.scripts}"
        assert self.csp_errors == [], f"CSP complaints in the console: {self.csp_errors}"
        assert self.page_errors == [], f"page errors: {self.page_errors}"

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts.clear()


@contextmanager
def live_server(browser: Any, app: Any, engine: Engine, clock: VirtualClock) -> Iterator[Live]:
    """The app served live with a `Live` over it; every page opened must stay clean (no scripts, no CSP errors)."""
    with serving(app) as base:
        session = Live(base=base, engine=engine, clock=clock, browser=browser)
        try:
            yield session
            session.assert_clean()
        finally:
            session.close()


def log_in(page: Any, base: str, username: str, password: str = PASSWORD) -> Any:
    """Through the login form, the way a person does it; returns the response of the page it lands on."""
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    return submit(page, page.get_by_role("button", name="登录"))


def submit(page: Any, button: Any) -> Any:
    """Click a form's button and wait for the page it leads to (after any redirect); returns that response."""
    with page.expect_navigation() as navigation:
        button.click()
    return navigation.value


def path_of(page: Any) -> str:
    """The path (and query) of the page's address, e.g. /login?next=%2Fworkbench."""
    parts = urlsplit(page.url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def nav_links(page: Any) -> set[str]:
    return {text.strip() for text in page.locator("header a").all_inner_texts()}


def main_text(page: Any) -> str:
    return str(page.inner_text("main"))


def order_status(page: Any) -> str:
    """The status shown in bold in the order page's facts panel (待签收 / 办理中 / 已回复 / 已办结)."""
    return str(page.locator("main > div.panel").first.locator("p").nth(1).locator("strong").inner_text())


def order_deadline(page: Any) -> str:
    return str(page.locator("main > div.panel p", has_text="办理时限").locator("strong").first.inner_text())


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def horizontal_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the viewport (0: nothing to scroll sideways)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    return int(width) - int(page.viewport_size["width"])
