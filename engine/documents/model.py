"""Plain values a document is made of: the letterhead a city configures, the facts, the content blocks."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Union

KIND_NAMES = {
    "urge_notice": "催办通知书",
    "supervision_letter": "督办函",
    "special_report": "专报",
    "quarterly_report": "季度典型案例专报",
}


@dataclass(frozen=True)
class Leader:
    name: str
    title: str
    phone: str  # E.164; the leader gets an SMS with the link when a document of a notified kind is issued


@dataclass(frozen=True)
class Letterhead:
    """What a city changes in `config/documents/documents.toml`."""

    issuer: str  # 发文机关署名, e.g. 揭阳市12345政务服务便民热线管理办公室
    mark: str  # 发文机关标志 printed in red at the top
    prefixes: dict[str, str]  # kind -> 发文字号 prefix, e.g. supervision_letter -> 揭热线督
    report_addressee: str = "市委、市政府"
    contact: str = ""  # 附注 under the date: a named person and a telephone number
    signer: str = ""  # 签发人 of the reports sent up (专报)
    printer: str = ""  # 印发机关 in the 版记 (the issuer when empty)
    basis: str = ""  # the rules a letter cites (the city's 12345 rules, 国办发〔2020〕53号)
    cc: tuple[str, ...] = ()
    reply_working_days: int = 5
    urge_working_days: int = 2  # 催办通知书: 请于…前办结, the Nth working day after the day of issue
    leaders: tuple[Leader, ...] = ()
    notify_kinds: tuple[str, ...] = ("supervision_letter", "special_report", "quarterly_report")


@dataclass(frozen=True)
class Paragraph:
    text: str
    style: str = "body"  # body | heading | subheading | note


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""


@dataclass(frozen=True)
class Chart:
    """A column chart, drawn by the pages' chart code (`workflows/documents/charts.py`): labels (unit short names,
    dates) and legends in Chinese; the caption, printed under it, says what the columns are; `unit` is the values'
    unit on the y axis (件)."""

    caption: str
    labels: tuple[str, ...]
    series: tuple[tuple[str, tuple[float, ...]], ...]  # (legend, one value per label)
    unit: str = ""


Block = Union[Paragraph, Table, Chart]


@dataclass(frozen=True)
class DocumentContent:
    kind: str
    number: str
    title: str
    addressee: str
    blocks: tuple[Block, ...]
    issuer: str
    mark: str
    issued_on: date
    cc: tuple[str, ...] = ()
    title_parts: tuple[str, ...] = ()  # the title's phrases: a title breaks only between them
    signer: str = ""  # 签发人 (reports sent up)
    annotation: str = ""  # 附注, e.g. （联系人：…，电话：…）
    printer: str = ""  # 印发机关 of the 版记

    @property
    def kind_name(self) -> str:
        return KIND_NAMES[self.kind]


def content_to_json(content: DocumentContent) -> dict[str, Any]:
    """The snapshot stored with the document number: everything the rendered files state, as JSON."""
    def block(b: Block) -> dict[str, Any]:
        if isinstance(b, Paragraph):
            return {"type": "paragraph", "text": b.text, "style": b.style}
        if isinstance(b, Table):
            return {"type": "table", "headers": list(b.headers), "rows": [list(r) for r in b.rows],
                    "caption": b.caption}
        return {"type": "chart", "caption": b.caption, "labels": list(b.labels),
                "series": [[legend, list(values)] for legend, values in b.series], "unit": b.unit}

    return {"kind": content.kind, "number": content.number, "title": content.title, "addressee": content.addressee,
            "blocks": [block(b) for b in content.blocks], "issuer": content.issuer, "mark": content.mark,
            "issued_on": content.issued_on.isoformat(), "cc": list(content.cc),
            "title_parts": list(content.title_parts), "signer": content.signer, "annotation": content.annotation,
            "printer": content.printer}


def content_from_json(data: dict[str, Any]) -> DocumentContent:
    """The inverse of `content_to_json`: `content_from_json(content_to_json(c)) == c`."""
    def block(b: dict[str, Any]) -> Block:
        if b["type"] == "paragraph":
            return Paragraph(b["text"], b["style"])
        if b["type"] == "table":
            return Table(tuple(b["headers"]), tuple(tuple(r) for r in b["rows"]), b["caption"])
        if b["type"] == "chart":
            return Chart(b["caption"], tuple(b["labels"]),
                         tuple((legend, tuple(float(v) for v in values)) for legend, values in b["series"]),
                         b.get("unit", ""))
        raise ValueError(f"unknown block type {b['type']!r}")

    return DocumentContent(kind=data["kind"], number=data["number"], title=data["title"],
                           addressee=data["addressee"], blocks=tuple(block(b) for b in data["blocks"]),
                           issuer=data["issuer"], mark=data["mark"], issued_on=date.fromisoformat(data["issued_on"]),
                           cc=tuple(data["cc"]), title_parts=tuple(data.get("title_parts", ())),
                           signer=data.get("signer", ""), annotation=data.get("annotation", ""),
                           printer=data.get("printer", ""))


@dataclass(frozen=True)
class EventFact:
    type: str
    at: datetime
    actor: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ActionFact:
    kind: str
    at: datetime
    step: str | None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InstructionFact:
    id: int
    leader: str
    text: str
    instructed_at: datetime


@dataclass(frozen=True)
class IssuedRef:
    kind: str
    number: str
    issued_at: datetime


@dataclass(frozen=True)
class OrderFacts:
    """Everything a document about one work order may state, read from the order's rows and history."""

    number: str
    title: str  # what the citizen asked, in short (the intake's title)
    category: str
    urgency: str
    source: str
    status: str
    unit_code: str
    unit_name: str
    dispatched_at: datetime
    deadline_at: datetime | None
    deadline_provisional: bool
    signed_at: datetime | None
    replied_at: datetime | None
    closed_at: datetime | None
    events: tuple[EventFact, ...] = ()
    actions: tuple[ActionFact, ...] = ()
    instructions: tuple[InstructionFact, ...] = ()
    documents: tuple[IssuedRef, ...] = ()
    request: str = ""  # the citizen's request in full, when the order carries it
    address: str = ""  # where, when the order carries it
