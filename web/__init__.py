"""The web side of Duban: the Flask app (web/app.py), its pages, hooks and API, and the `duban` command (web/cli).

The package itself imports nothing: `duban` and its sub-commands start without loading Flask, the pages and the SMS
SDKs (about 1.5 s of imports a process); `from web import create_app` loads the app on first use."""
from __future__ import annotations

from typing import Any

__all__ = ["create_app", "ERROR_MESSAGES"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from web import app

        return getattr(app, name)
    raise AttributeError(f"module 'web' has no attribute {name!r}")
