from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from config.documents import DocumentSettings, load_document_settings


@pytest.fixture
def doc_settings() -> DocumentSettings:
    return load_document_settings()


@pytest.fixture
def no_font_settings(tmp_path: Path, doc_settings: DocumentSettings) -> DocumentSettings:
    """Settings whose font lookup sees only an empty directory: as on a machine without fonts-noto-cjk."""
    empty = tmp_path / "no-fonts"
    empty.mkdir()
    return dataclasses.replace(doc_settings, font_dirs=(empty,))
