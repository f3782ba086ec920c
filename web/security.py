"""What every response and every form gets: session cookie settings, CSRF tokens, security headers."""
from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from flask import Flask, Response, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect

from config.settings import Settings

# No script anywhere: pages and the SVG drawings work without JavaScript. Inline <style> blocks are used.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
                           "object-src 'none'")
SESSION_HOURS = 8  # one working day


def session_key(secret: bytes) -> bytes:
    """The Flask session key, derived from the one Duban secret (the SMS links use another derivation)."""
    return hmac.new(secret, b"duban-web-session", hashlib.sha256).digest()


def init_security(app: Flask, settings: Settings, secret: bytes) -> CSRFProtect:
    secure = settings.secure_cookies
    app.config.update(
        SECRET_KEY=session_key(secret),
        SESSION_COOKIE_NAME="duban_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
        WTF_CSRF_TIME_LIMIT=SESSION_HOURS * 3600,
        WTF_CSRF_SSL_STRICT=secure,
    )
    csrf = CSRFProtect(app)

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError) -> tuple[str, int]:
        return render_template("error.html", code=400, message="表单已过期或来源不明，请返回刷新页面后重试。"
                               "(The form's security token is missing or expired.)"), 400

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        # acknowledgement links carry their token: never send a page's address to another site; to our own forms
        # the browser must send it, since over https Flask-WTF refuses a form without a same-site Referer
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if secure:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if response.mimetype == "text/html" or request.path.startswith(("/orders", "/admin")):
            response.headers.setdefault("Cache-Control", "no-store")  # pages hold personal data
        return response

    return csrf
