"""Document settings a city changes: the letterhead, document-number prefixes, leaders to notify, fonts."""
from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.documents.model import KIND_NAMES, Leader, Letterhead
from engine.domain.errors import RuleError
from engine.domain.phones import normalise_mobile

DEFAULT_FILE = Path(__file__).with_name("documents.toml")


@dataclass(frozen=True)
class DocxFonts:
    title: str = "方正小标宋简体"
    body: str = "仿宋_GB2312"
    heading: str = "黑体"
    mark: str = "方正小标宋简体"


@dataclass(frozen=True)
class DocumentSettings:
    letterhead: Letterhead
    font_dirs: tuple[Path, ...]
    docx_fonts: DocxFonts = field(default_factory=DocxFonts)


def load_document_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> DocumentSettings:
    env = os.environ if env is None else env
    path = path or Path(env.get("DUBAN_DOCUMENTS_FILE") or DEFAULT_FILE)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RuleError(f"{path}: {exc}") from None
    try:
        return _parse(data, env)
    except KeyError as exc:
        raise RuleError(f"{path}: missing setting {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise RuleError(f"{path}: {exc}") from None


def _table(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = data.get(name)
    if not isinstance(value, dict):
        raise ValueError(f"missing the [{name}] table" if value is None else f"[{name}] must be a table")
    return value


def _parse(data: dict[str, Any], env: Mapping[str, str]) -> DocumentSettings:
    head = _table(data, "letterhead")
    if not str(head.get("issuer") or "").strip():
        raise ValueError("missing letterhead.issuer (the issuing office, as it heads every document)")
    prefixes = {str(k): str(v) for k, v in _table(data, "numbering").items()}
    missing = set(KIND_NAMES) - set(prefixes)
    if missing:
        raise ValueError(f"[numbering] lacks a prefix for {', '.join(sorted(missing))}")
    for x in data.get("leaders", []):
        if not isinstance(x, dict) or not x.get("name") or not x.get("phone"):
            raise ValueError("each [[leaders]] needs name and phone")
    leaders = tuple(Leader(str(x["name"]), str(x.get("title", "")), normalise_mobile(f"leader {x['name']}", x["phone"]))
                    for x in data.get("leaders", []))
    days = int(data.get("supervision_letter", {}).get("reply_working_days", 5))
    urge_days = int(data.get("urge_notice", {}).get("handle_working_days", 2))
    if not 1 <= days <= 60 or not 1 <= urge_days <= 60:
        raise ValueError("reply_working_days and handle_working_days must be from 1 to 60")
    kinds = tuple(data.get("notify", {}).get("kinds", ()))
    unknown = set(kinds) - set(KIND_NAMES)
    if unknown:
        raise ValueError(f"[notify] kinds: unknown {', '.join(sorted(unknown))}")
    letterhead = Letterhead(issuer=str(head["issuer"]), mark=str(head.get("mark") or head["issuer"]),
                            prefixes=prefixes, report_addressee=str(head.get("report_addressee", "市委、市政府")),
                            contact=str(head.get("contact", "")), cc=tuple(head.get("cc", ())),
                            signer=str(head.get("signer", "")), printer=str(head.get("printer", "")),
                            basis=str(head.get("basis", "")), urge_working_days=urge_days,
                            reply_working_days=days, leaders=leaders, notify_kinds=kinds)
    fonts = data.get("fonts", {})
    dirs_text = env.get("DUBAN_FONT_DIRS")
    dirs = dirs_text.split(":") if dirs_text else fonts.get("dirs", ["/usr/share/fonts"])
    docx = DocxFonts(**{k[5:]: str(v) for k, v in fonts.items() if k.startswith("docx_")})
    return DocumentSettings(letterhead, tuple(Path(d).expanduser() for d in dirs), docx)
