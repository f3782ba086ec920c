"""A quarter (2026Q2) replayed through the engine; every figure of the quarterly 专报 is checked against counts
written out by hand below (orders, sign-for, replies, satisfaction, instructed case, weeks) or counted here
from the engine's action log (cards and documents)."""
from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest
import sqlalchemy as sa
from docx import Document

from engine.documents.quarterly import compute_figures
from engine.persistence.document_store import DocumentRecords
from engine.persistence.tables import actions
from tests.conftest import local
from tests.documents.helpers import ARTIFACTS, pdf_fonts, pdf_text, run_until, squeeze

UNITS = {"U01": "揭阳市生态环境局", "U02": "揭阳市住房和城乡建设局", "U03": "揭阳市交通运输局"}
# number, unit, urgency, dispatched: the 咨询 deadline is 23:59:59 of the 2nd working day after dispatch
ORDERS = [
    ("A6", "U03", "一般", local(2026, 3, 31, 10, 0)),  # 2026Q1: outside the quarter
    ("A1", "U01", "一般", local(2026, 4, 14, 10, 0)),
    ("A2", "U01", "一般", local(2026, 4, 14, 10, 0)),
    ("A8", "U03", "一般", local(2026, 4, 14, 10, 0)),
    ("A3", "U01", "一般", local(2026, 5, 12, 10, 0)),
    ("A7", "U03", "紧急", local(2026, 5, 12, 10, 0)),
    ("A4", "U02", "一般", local(2026, 6, 9, 10, 0)),
    ("A5", "U02", "一般", local(2026, 6, 29, 10, 0)),
]
EVENTS: list[tuple[datetime, str, str, object]] = [
    (local(2026, 4, 1, 10, 0), "A6", "signed", None), (local(2026, 4, 1, 11, 0), "A6", "replied", None),
    (local(2026, 4, 2, 10, 0), "A6", "callback", "满意"),
    (local(2026, 4, 14, 11, 0), "A8", "signed", None),
    (local(2026, 4, 14, 15, 0), "A1", "signed", None),  # on time
    (local(2026, 4, 15, 10, 0), "A1", "replied", None),  # deadline 04-16: on time
    (local(2026, 4, 16, 9, 0), "A2", "signed", None),  # sign-for window closed end of 04-15: late
    (local(2026, 4, 16, 10, 0), "A1", "closed", None), (local(2026, 4, 17, 10, 0), "A1", "callback", "满意"),
    (local(2026, 4, 20, 9, 30), "A8", "instruction", ("市长", "请生态环境部门牵头，限期解决")),
    (local(2026, 4, 20, 10, 0), "A2", "replied", None),  # deadline 04-16: late (urge notice on 04-17)
    (local(2026, 4, 22, 10, 0), "A2", "callback", "不满意"),
    (local(2026, 5, 12, 10, 30), "A7", "signed", None),
    (local(2026, 5, 13, 9, 0), "A7", "replied", None),  # 紧急: 24 h, on time
    (local(2026, 6, 9, 11, 0), "A4", "signed", None),
    (local(2026, 6, 10, 16, 0), "A4", "replied", None), (local(2026, 6, 12, 10, 0), "A4", "callback", "基本满意"),
    (local(2026, 6, 30, 9, 0), "A5", "signed", None),  # window: end of 06-30, on time; deadline 07-01: not due
]
# A3 is never signed nor replied; A8 is signed, instructed, never replied.
EXPECTED = {"received": 7, "dispatched": 7, "signed_on_time": 5, "due": 6, "replied_on_time": 3, "rated": 4,
            "satisfied": 3}
EXPECTED_UNITS = {  # code: (received, signed on time, due, replied on time)
    "U01": (3, 1, 3, 1), "U02": (2, 2, 1, 1), "U03": (2, 2, 2, 1)}
EXPECTED_WEEKS = {1: 3, 5: 2, 9: 1, 12: 1}  # week index from Wed 04-01 → orders received


@pytest.fixture(scope="module")
def quarter(tmp_path_factory):
    import dataclasses

    from config.documents import load_document_settings
    from config.settings import Settings
    from engine.clock import VirtualClock
    from workflows.bootstrap import build_engine

    clock = VirtualClock(local(2026, 3, 31, 8, 0))
    engine = build_engine(Settings(worker_id="quarter"), clock=clock,
                          database_url=f"sqlite:///{tmp_path_factory.mktemp('quarter')}/duban.db")
    real = load_document_settings()
    empty = tmp_path_factory.mktemp("no-fonts")
    docx_only = dataclasses.replace(real, font_dirs=(empty,))
    engine.ensure_quarterly_report(local(2026, 4, 1, 0, 0))
    for code, name in UNITS.items():
        engine.register_unit(code, name, [f"+86138001380{code[-2:]}"])
    timeline = [(at, 0, number, "open", (unit, urgency)) for number, unit, urgency, at in ORDERS]
    timeline += [(at, 1, number, kind, arg) for at, number, kind, arg in EVENTS]
    for at, _, number, kind, arg in sorted(timeline, key=lambda item: (item[0], item[1])):
        run_until(engine, clock, at, settings=docx_only)
        if kind == "open":
            unit, urgency = arg
            engine.open_work_order(number=number, unit_code=unit, category="咨询", urgency=urgency, source="12345",
                                   at=at, title=f"{number}诉求")
        elif kind == "instruction":
            engine.add_instruction(number, leader=arg[0], text=arg[1], at=at)
        elif kind == "callback":
            with engine.store.transaction() as tx:  # the callback record the hotline keeps (回访)
                tx.add_event(number, "callback", at, "hotline", {"satisfaction": arg}, at)
        else:
            engine.record_event(number, kind, at=at)
    run_until(engine, clock, local(2026, 7, 1, 8, 0), settings=docx_only)
    run_until(engine, clock, local(2026, 7, 1, 10, 0), settings=real)
    with engine.store.reading() as tx:
        records = DocumentRecords(tx)
        _, rows = records.listing(kind="quarterly_report")
        assert len(rows) == 1
        document = records.get(rows[0]["id"])
        files = {f: records.file(document["id"], f)[0] for f in ("docx", "pdf")}
        figures = compute_figures(records.quarter_data("2026Q2"), engine.calendar)
        logged = [dict(r) for r in tx.c.execute(sa.select(actions.c.kind, actions.c.unit_code, actions.c.at,
                                                          actions.c.order_number, actions.c.details)).mappings()]
    return engine, document, files, figures, logged


def test_overall_figures(quarter):
    _, _, _, figures, _ = quarter
    assert {k: getattr(figures, k) for k in EXPECTED} == EXPECTED


def test_figures_by_unit(quarter):
    _, _, _, figures, logged = quarter
    got = {u.code: (u.received, u.signed_on_time, u.due, u.replied_on_time) for u in figures.units}
    assert got == EXPECTED_UNITS
    start, end = local(2026, 4, 1), local(2026, 7, 1)
    counted = Counter((a["unit_code"], a["kind"]) for a in logged if start <= a["at"] < end)
    for u in figures.units:
        assert (u.urge_notices, u.yellow_cards, u.red_cards, u.letters) == tuple(
            counted[(u.code, kind)] for kind in ("urge_notice", "yellow_card", "red_card", "supervision_letter"))
    assert counted[("U01", "urge_notice")] == 2  # A2 on 04-17, A3 on 05-15
    assert counted[("U03", "supervision_letter")] == 2  # A8: the ladder's letter and the instruction's letter


def test_weekly_series_and_instructed_case(quarter):
    _, _, _, figures, _ = quarter
    assert len(figures.weekly) == 13 and figures.weekly[0][0] == "04-01"
    assert {i: n for i, (_, n) in enumerate(figures.weekly) if n} == EXPECTED_WEEKS
    [case] = figures.cases
    assert (case.order_number, case.leader, case.instructed_on.isoformat(), case.status, case.days,
            case.letter_sent, case.report_sent) == ("A8", "市长", "2026-04-20", "办理中", 71, True, False)


def test_the_issued_report_states_the_figures(quarter, tmp_path):
    _, document, files, _, _ = quarter
    assert document["number"] == "揭热线季〔2026〕1号" and document["quarter"] == "2026Q2"
    assert document["issued_at"] == local(2026, 7, 1, 9, 0) and document["order_numbers"] == ["A8"]
    path = tmp_path / "q.docx"
    path.write_bytes(files["docx"])
    doc = Document(str(path))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "2026年第二季度12345热线\n典型案例督办专报" in text  # the 2号 title on two lines, between phrases
    assert "2026年4月1日至2026年6月30日，12345热线共受理工单7件，派发承办单位7件。按时签收5件，按时签收率71.4%；" \
           "应办结回复6件，按时办结回复3件，按时办结回复率50.0%。" in text
    assert "回访4件，满意和基本满意3件，满意率75.0%。" in text
    unit_rows = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert unit_rows[1][:4] == ["揭阳市生态环境局", "3", "33.3%", "33.3%"]
    case_rows = [[c.text for c in row.cells] for row in doc.tables[1].rows]
    assert case_rows[1] == ["A8", "交通局", "市长", "2026年4月20日", "办理中", "71", "已发", "—"]
    assert len(doc.inline_shapes) == 2  # the two charts
    # a handful of orders per unit: every unit is below the quarter's minimum sample (30 due orders), so the report
    # ranks nobody, puts nobody on the 红榜 or 黑榜, and names each unit with the reason (the pages' rules)
    assert len(doc.tables) == 2
    from workflows.assessment.service import build_assessment
    assessment = build_assessment(quarter[0])
    boards = assessment.boards(assessment.period("2026Q2"))
    assert boards.ranked == [] and {u.reason for u in boards.unranked} == {"样本不足"}
    assert "红榜（得分达到良好）：无单位达到良好等次；黑榜（得分低于合格）：无单位低于合格。" in text
    assert "（4月、5月、6月）得分的平均值" in text
    for u in boards.unranked:
        assert f"{u.unit_name}（样本不足，应办结回复工单{u.sample}件）" in text
    pdf = tmp_path / "q.pdf"
    pdf.write_bytes(files["pdf"])
    assert any("CJK" in row[0] for row in pdf_fonts(pdf))
    flat = squeeze(pdf_text(pdf))
    assert "揭热线季〔2026〕1号" in flat and "共受理工单7件" in flat and "满意率75.0%" in flat


def test_the_report_speaks_chinese_and_tells_its_typical_cases(quarter):
    """第二季度, 4月, 较上季度 (no 2026Q1 / 2026-04 / 第2季度), charts in Chinese with the units' short names, and
    the 典型案例 section telling the instructed order A8 and the escalated order A3: the request, the unit, the
    instruction, what was done with dates and numbers, and how things stood at the quarter's end."""
    from engine.documents.model import Chart, Paragraph, Table, content_from_json

    engine, document, _, _, _ = quarter
    with engine.store.reading() as tx:
        content = content_from_json(DocumentRecords(tx).get(document["id"])["content"])
    everything = " ".join([content.title] + [b.text for b in content.blocks if isinstance(b, Paragraph)]
                          + [" ".join(b.headers) + " ".join(" ".join(r) for r in b.rows) + b.caption
                             for b in content.blocks if isinstance(b, Table)])
    for machine in ("2026Q", "第2季度", "2026-0", "U01", "U02", "U03", "received", "on time"):
        assert machine not in everything
    assert content.title == "2026年第二季度12345热线典型案例督办专报"
    charts = [b for b in content.blocks if isinstance(b, Chart)]
    assert charts[0].labels == ("生态环境局", "住建局", "交通局")  # config/units.toml
    assert [legend for legend, _ in charts[0].series] == ["受理量", "按时办结回复量"]
    assert charts[1].labels[:2] == ("4月1日", "4月8日") and charts[1].series[0][0] == "受理量"
    texts = [b.text for b in content.blocks if isinstance(b, Paragraph)]
    start = texts.index("三、典型案例")
    intro, a8, a3 = texts[start + 1:start + 4]
    assert intro.startswith("本季度在办的领导批示工单1件（见表2），因督办函逾期未书面答复提级督办的工单2件，共2件。")
    assert a8.startswith("（一）领导批示件。2026年4月14日10:00，12345热线将市民诉求（工单编号A8，咨询类，一般件）"
                         "派发揭阳市交通运输局办理，办理时限至2026年4月16日23:59。市民反映：A8诉求。")
    assert "4月20日，市长批示：“请生态环境部门牵头，限期解决”。" in a8
    assert "4月17日电话催办、发出催办通知书（揭热线催〔2026〕2号）；4月21日亮黄牌；4月23日亮红牌；" \
           "4月30日发出督办函（揭热线督〔2026〕1号）；5月12日提级督办" in a8
    assert a8.endswith("办理结果：揭阳市交通运输局已于2026年4月14日11:00签收，截至2026年6月30日尚未办结回复，"
                       "已超过办理时限50个工作日。")
    assert a3.startswith("（二）提级督办件。2026年5月12日10:00") and "派发揭阳市生态环境局办理" in a3
    assert "5月28日发出督办函（揭热线督〔2026〕3号）；6月5日提级督办" in a3
    assert a3.endswith("办理结果：该工单至今未签收，截至2026年6月30日尚未办结回复，已超过办理时限32个工作日。")


def test_the_charts_are_the_pages_charts_drawn_in_chinese(quarter, tmp_path):
    """Each chart of the 专报 is the dashboard's column chart (workflows.charts.column_chart) rasterised: the PNG in
    the DOCX and the picture in the PDF are exactly that drawing, whose text is the Chinese legends, the units'
    short names, every count over its column (0 too) and the axis' unit."""
    import subprocess
    import xml.etree.ElementTree as ET
    from io import BytesIO

    from PIL import Image

    from engine.documents.model import Chart, content_from_json
    from workflows.charts import column_chart
    from workflows.documents.charts import chart_svg, render_chart

    engine, document, files, figures, _ = quarter
    with engine.store.reading() as tx:
        content = content_from_json(DocumentRecords(tx).get(document["id"])["content"])
    units, weeks = [b for b in content.blocks if isinstance(b, Chart)]
    drawing = chart_svg(units)
    assert drawing == column_chart(["生态环境局", "住建局", "交通局"], [("受理量", [3, 2, 2]), ("按时办结回复量", [1, 1, 1])],
                                   title="图1 各承办单位受理量和按时办结回复量（件）", unit="件", titled=False)
    words = ["".join(t.itertext()) for t in ET.fromstring(drawing).iter("{http://www.w3.org/2000/svg}text")]
    assert words[:3] == ["受理量", "按时办结回复量", "单位：件"]
    assert {"生态环境局", "住建局", "交通局", "3", "2", "1"} <= set(words)
    week_texts = list(ET.fromstring(chart_svg(weeks)).iter("{http://www.w3.org/2000/svg}text"))
    assert "4月1日" in ["".join(t.itertext()) for t in week_texts]
    counts = ["".join(t.itertext()) for t in week_texts if t.get("class") == "dbc-value"]
    assert counts == [str(figures.weekly[i][1]) for i in range(13)] and counts.count("0") == 9  # weeks without orders
    pngs = [render_chart(units), render_chart(weeks)]
    path = tmp_path / "q.docx"
    path.write_bytes(files["docx"])
    doc = Document(str(path))
    embedded = [doc.part.related_parts[s._inline.graphic.graphicData.pic.blipFill.blip.embed].blob
                for s in doc.inline_shapes]
    assert embedded == pngs
    pdf = tmp_path / "q.pdf"
    pdf.write_bytes(files["pdf"])
    subprocess.run(["pdfimages", "-png", str(pdf), str(tmp_path / "img")], check=True, capture_output=True)
    pictures = [Image.open(p).convert("RGB") for p in sorted(tmp_path.glob("img-*.png"))
                if Image.open(p).mode != "L"]  # the pictures, not their transparency masks
    assert [p.tobytes() for p in pictures] == [Image.open(BytesIO(png)).convert("RGB").tobytes() for png in pngs]
    for page, text in enumerate(pdf_text(pdf).split("\f"), start=1):
        if "图1" in text or "图2" in text:  # the chart pages as a reader sees them, in test-artifacts/
            ARTIFACTS.mkdir(exist_ok=True)
            subprocess.run(["pdftoppm", "-r", "110", "-png", "-singlefile", "-f", str(page), "-l", str(page), str(pdf),
                            str(ARTIFACTS / f"quarterly-report-charts-p{page}")], check=True)
