"""Acceptance: every kind of document from a long run (400 orders over 200 days), checked on the rendered PDFs
as a records clerk would check them against GB/T 9704-2012, in millimetres. For each kind the document with
the most text is rendered (the hardest to lay out), and both quarterly reports. Page images go to
test-artifacts/, and the measured positions and render times to test-artifacts/gbt9704-layout.json."""
from __future__ import annotations

import dataclasses
import json
import re
import os
import shutil
import subprocess
import time

import pytest
import sqlalchemy as sa

from config.documents import load_document_settings
from config.settings import Settings
from engine.clock import VirtualClock
from engine.documents.linebreak import IDENTIFIER, NO_LINE_START
from engine.documents.model import Table, content_from_json, content_to_json
from engine.persistence.document_tables import documents
from tests.documents.helpers import ARTIFACTS
from tests.documents.long_run import START, long_run
from tests.documents.pdf_measure import horizontal_rules, ink_bands, lines
from workflows.bootstrap import build_engine
from workflows.documents import geometry as g
from workflows.documents.fonts import find_cjk_fonts
from workflows.documents.docx_render import render_docx
from workflows.documents.pdf_render import render_pdf_and_layout

PAGE_NUMBER = re.compile(r"^—(\d+)—$")
PUNCTUATION = set("，。、；：？！“”（）《》")
CJK_LINE = re.compile(r"^[\u4e00-\u9fff，。、；：？！“”（）《》〔〕—…]+$")


def _key(row) -> str:
    params = row["params"] or {}
    if row["kind"] == "quarterly_report":
        return f"quarterly_report-{params['quarter']}"
    return row["kind"] + ("-instructed" if params.get("instruction_id") else "")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("long-run")
    clock = VirtualClock(START.replace(day=1))
    settings = Settings(worker_id="layout")
    engine = build_engine(settings, clock=clock, database_url=f"sqlite:///{tmp}/duban.db")
    real = load_document_settings()
    (tmp / "no-fonts").mkdir()
    long_run(engine, clock, dataclasses.replace(real, font_dirs=(tmp / "no-fonts",)), settings)
    with engine.store.reading() as tx:
        rows = [dict(r) for r in tx.c.execute(sa.select(documents)).mappings()]
    return render_longest(rows, find_cjk_fonts(real.font_dirs), tmp)


def _page_images(pdf, stem: str) -> None:
    """test-artifacts/<stem>-N.png at 60 dpi, an earlier run's images of the same document removed first."""
    for old in ARTIFACTS.glob(f"{stem}-*.png"):
        if old.stem[len(stem) + 1:].isdigit():
            old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(ARTIFACTS / stem)], check=True)


def render_longest(rows: list[dict], fonts, tmp):
    """Render the PDF of each kind's longest document (and each quarterly report) from its snapshot."""
    longest: dict[str, dict] = {}
    for row in rows:
        key = _key(row)
        if key not in longest or len(json.dumps(row["content"])) > len(json.dumps(longest[key]["content"])):
            longest[key] = row
    ARTIFACTS.mkdir(exist_ok=True)
    out = {}
    for key, row in sorted(longest.items()):
        content = content_from_json(row["content"])
        started, cpu = time.perf_counter(), time.process_time()
        data, layout = render_pdf_and_layout(content, fonts)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        path = tmp / f"{key}.pdf"
        path.write_bytes(data)
        _page_images(path, f"gbt9704-{key}")
        out[key] = {"path": path, "content": content, "pages": lines(path), "seconds": seconds, "cpu": cpu,
                    "layout": layout}
    return rows, out, tmp


def test_the_long_run_issues_every_kind_and_loses_none(rendered):
    rows, out, _ = rendered
    kinds = {r["kind"] for r in rows}
    assert kinds == {"urge_notice", "supervision_letter", "special_report", "quarterly_report"}
    assert {r["state"] for r in rows} == {"issued"}
    assert {"quarterly_report-2026Q1", "quarterly_report-2026Q2", "supervision_letter-instructed"} <= set(out)
    by_kind: dict[str, list[int]] = {}
    for r in rows:
        by_kind.setdefault(f"{r['kind']}{r['year']}", []).append(r["serial"])
    assert all(sorted(s) == list(range(1, len(s) + 1)) for s in by_kind.values())  # no gap, no duplicate


def test_record_tables_date_each_sms_when_it_left(rendered):
    """The run's SMS leave a minute after the rule step that asked for them (09:00 → 09:01), or at once when
    already due at a delivery pass: the tables show those times, and none is left waiting (the document's own
    SMS is not listed; a reminder whose digest was held back as a repeat within 24 hours is not listed)."""
    rows, _, _ = rendered
    sms = [row for r in rows for block in r["content"]["blocks"] if block["type"] == "table"
           for row in block["rows"] if row[1].startswith("短信提醒")]
    assert sms and not [row for row in sms if "待发送" in row[1] or "未能发出" in row[1]]
    assert [row for row in sms if row[0].endswith("09:01")], sms[:20]


def test_no_identifier_is_broken_across_lines(rendered):
    _, out, _ = rendered
    for key, doc in out.items():
        text_lines = [line.text for page in doc["pages"] for line in page]
        joined, owner = "", []
        for n, text in enumerate(text_lines):
            joined += text
            owner += [n] * len(text)
        wanted = {m.group() for block in json.dumps(content_to_json(doc["content"]), ensure_ascii=False).split('"')
                  for m in IDENTIFIER.finditer(block) if len(m.group()) >= 8}
        for identifier in wanted:
            for m in re.finditer(re.escape(identifier), joined):
                assert owner[m.start()] == owner[m.end() - 1], (key, identifier, text_lines[owner[m.start()]])


def test_full_body_lines_hold_28_characters(rendered):
    """A body line of Chinese text that is full holds 28 characters (29 when a closing mark hangs at its end);
    a line is not full when the identifier after it went down whole to the next line."""
    _, out, _ = rendered
    checked = 0
    for key, doc in out.items():
        flow = [line for page in doc["pages"] for line in page if abs(line.size - g.SIZE_BODY) < 0.3]
        full = [line for line, after in zip(flow, flow[1:])
                if abs(line.x0 - g.LEFT) < 0.5 and abs(line.x1 - (g.LEFT + g.BODY_W)) < 0.8
                and CJK_LINE.match(line.text) and not IDENTIFIER.match(after.text.lstrip("（《“「"))]
        checked += len(full)
        for line in full:
            expected = 29 if line.text[-1] in NO_LINE_START and len(line.text) == 29 else 28
            assert line.chars == expected, (key, line.text)
    assert checked >= 10


def test_page_numbers_sit_on_the_outer_side_7mm_under_the_body(rendered):
    _, out, _ = rendered
    one = g.SIZE_SMALL * g.PT
    for key, doc in out.items():
        letter = key.startswith("supervision_letter")
        for index, page in enumerate(doc["pages"], 1):
            numbers = [line for line in page if PAGE_NUMBER.match(line.text.replace(" ", ""))]
            if (letter and index == 1) or _blank_or_imprint_after_blank(doc["pages"], index, doc["content"]):
                assert not numbers, key  # 信函格式: no number on page 1; §7.5: a blank page, the 版记 page after it
                continue
            [number] = numbers
            assert int(PAGE_NUMBER.match(number.text.replace(" ", "")).group(1)) == index
            if index % 2:
                assert abs(number.x1 - (g.LEFT + g.BODY_W - one)) < 1.0, (key, index, number)
            else:
                assert abs(number.x0 - (g.LEFT + one)) < 1.0, (key, index, number)
            assert abs(number.top + number.size * g.PT / 2 - g.PAGE_NUMBER_TOP) < 1.0, (key, index, number)


def _is_imprint(line) -> bool:
    return line.text.startswith("抄送：") or line.text.endswith("印发")


def _blank_or_imprint_after_blank(pages, index: int, content) -> bool:
    """Page `index` (from 1) is blank, or holds only the 版记 after a blank page (its 印发机关 may come out as a line
    of its own, apart from the 印发日期)."""
    def empty(n: int) -> bool:
        return not [line for line in pages[n - 1] if not PAGE_NUMBER.match(line.text.replace(" ", ""))]

    printer = content.printer or content.issuer
    only_imprint = all(_is_imprint(line) or line.text == printer for line in pages[index - 1])
    return empty(index) or (index > 1 and only_imprint and empty(index - 1))


def test_the_imprint_is_on_the_last_page_and_that_page_is_even(rendered):
    """§7.4.1 and §8 (printed on both sides): the 版记 lies on the document's last 面, an even page."""
    _, out, _ = rendered
    for key, doc in out.items():
        holding = [n for n, page in enumerate(doc["pages"], 1) if any(_is_imprint(line) for line in page)]
        if not doc["content"].cc and g.format_of(doc["content"].kind) == "letter":
            continue  # a letter's 版记 is its 抄送 alone
        assert holding == [len(doc["pages"])], (key, holding)
        assert len(doc["pages"]) % 2 == 0, (key, len(doc["pages"]))


def _signature_not_alone(key: str, pages, content, body_size: float) -> None:
    """A page that holds the signature (in the body's size: the 版记's 印发机关, in 4号, may be the same words) holds
    at least two lines of the text too: two lines of a paragraph, or two rows of a closing table (its repeated
    header row does not count: one row carried over alone is what §7.3.5.5's spirit forbids)."""
    closing = {content.issuer, content.annotation, f"{content.issued_on.year}年{content.issued_on.month}月"
               f"{content.issued_on.day}日", f"抄送：{'，'.join(content.cc)}。", content.printer or content.issuer}
    pieces = sorted({piece for block in content.blocks if isinstance(block, Table) for cell in block.headers
                     for piece in (cell, *cell.split("\n"))}, key=len, reverse=True)
    header = re.compile("(?:" + "|".join(map(re.escape, pieces)) + ")+") if pieces else None
    for page in pages:
        texts = [line.text for line in page if not PAGE_NUMBER.match(line.text.replace(" ", ""))]
        if [line for line in page if line.text == content.issuer and abs(line.size - body_size) < 0.3]:
            others = [t for t in texts if t not in closing and not t.endswith("印发")
                      and not (header and header.fullmatch(t.replace(" ", "")))]
            assert len(others) >= 2, (key, texts)  # the text's last lines come with the signature


def test_no_last_page_holds_only_the_signature(rendered):
    _, out, _ = rendered
    for key, doc in out.items():
        _signature_not_alone(key, doc["pages"], doc["content"], g.SIZE_BODY)


def test_head_positions_are_within_1mm(rendered):
    _, out, _ = rendered
    measured = {}
    for key, doc in out.items():
        first = doc["pages"][0]
        content = doc["content"]
        mark = next(line for line in first if line.text == content.mark)
        number = next(line for line in first if content.number in line.text)
        title = [line for line in first if abs(line.size - g.SIZE_TITLE) < 0.3]
        body = [line for line in first if abs(line.size - g.SIZE_BODY) < 0.3 and line.top > title[-1].top]
        letter = g.format_of(content.kind) == "letter"
        assert abs(mark.top - (g.LETTER_MARK_TOP if letter else g.FILE_MARK_TOP)) <= 1.0, (key, mark)
        mark_bottom = mark.top + mark.size * g.PT
        if letter:
            assert abs(number.x1 - (g.LEFT + g.BODY_W)) < 0.5  # 顶格居版心右边缘
            expected_number = mark_bottom + g.LETTER_RULE_GAP + 1.45 + g.LETTER_FIRST_GAP
            expected_title = number.top + g.SIZE_BODY * g.PT + 2 * g.LINE + (g.LINE - g.SIZE_TITLE * g.PT) / 2
        else:
            expected_number = mark_bottom + 2 * g.LINE + (g.LINE - g.SIZE_BODY * g.PT) / 2  # 空二行
            rule = number.top + g.SIZE_BODY * g.PT + g.RULE_BELOW_NUMBER
            expected_title = rule + 2 * g.LINE + (g.LINE - g.SIZE_TITLE * g.PT) / 2  # 空二行
        assert abs(number.top - expected_number) <= 1.0, (key, number)
        assert abs(title[0].top - expected_title) <= 1.0, (key, title[0])
        if g.format_of(content.kind) == "upward":
            assert abs(number.x0 - (g.LEFT + g.CHAR)) < 0.5 and any(line.text.startswith("签发人：") for line in first)
        addressee, first_body = body[0], body[1]
        assert addressee.text == content.addressee and abs(addressee.x0 - g.LEFT) < 0.3  # 顶格
        assert abs(first_body.x0 - (g.LEFT + 2 * g.CHAR)) < 0.3  # 首行缩进二字
        last_page = doc["pages"][-1]
        page_number = next((line for line in last_page if PAGE_NUMBER.match(line.text.replace(" ", ""))), None)
        imprint = [line for line in last_page if _is_imprint(line)]
        measured[key] = {"mark": round(mark.top, 2), "number": round(number.top, 2), "title": round(title[0].top, 2),
                         "first_body_line": round(first_body.top, 2),
                         "page_number_x": round(page_number.x0, 2) if page_number else None,
                         "page_number_centre": round(page_number.top + page_number.size * g.PT / 2, 2)
                         if page_number else None,
                         "imprint_lines": [round(line.top, 2) for line in imprint],
                         "pages": len(doc["pages"]), "render_seconds": round(doc["seconds"], 2),
                         "render_cpu_seconds": round(doc["cpu"], 2)}
        assert imprint, key  # 版记 on the last page
        assert imprint[-1].bottom <= g.BODY_BOTTOM + 0.5, (key, imprint[-1])  # at the foot of the 版心
    (ARTIFACTS / "gbt9704-layout.json").write_text(json.dumps(measured, ensure_ascii=False, indent=1))


def _check_rules(key: str, pdf, content, pages: int, tmp) -> None:
    """文件格式: the 版记's rules at the foot of the last page (thick, thin between the rows, thick on the 版心's
    lower edge); 信函格式: no 版记 rules, the red double lines under the mark and 20 mm above the page's foot."""
    letter = g.format_of(content.kind) == "letter"
    rules = horizontal_rules(pdf, pages, tmp, from_mm=g.BODY_BOTTOM - 40)  # the foot of the last page
    rows = bool(content.cc) + (not letter)
    black = [y for y, colour in rules if colour == "black" and y > g.BODY_BOTTOM - rows * 8.5 - 1]
    if letter:
        first = horizontal_rules(pdf, 1, tmp)
        red = [y for y, colour in first if colour == "red"]
        assert len(red) == 4, (key, red)  # 上粗下细 under the mark, 上细下粗 20 mm above the foot
        assert abs(red[-2] - g.LETTER_FOOT_RULE) < 1.0, (key, red)
        assert not black, (key, rules)  # 信函格式: 版记 without rules
    else:
        assert len(black) == rows + 1, (key, rules)  # thick above, thin between, thick below
        assert abs(black[-1] - g.BODY_BOTTOM) < 1.0, (key, black)
        assert all(abs(b - a - 8.5) < 1.0 for a, b in zip(black, black[1:])), (key, black)


def test_imprint_rules_and_letter_double_lines(rendered):
    _, out, tmp = rendered
    for key, doc in out.items():
        _check_rules(key, doc["path"], doc["content"], len(doc["pages"]), tmp)


@pytest.mark.skipif(shutil.which("soffice") is None or not os.environ.get("DUBAN_TEST_LIBREOFFICE"),
                    reason="LibreOffice (libreoffice-writer-nogui) not installed, or DUBAN_TEST_LIBREOFFICE unset: "
                           "printing every DOCX takes about a minute, kept out of the CI budget")
def test_the_docx_as_libreoffice_prints_it(rendered):
    """Each kind's DOCX converted by LibreOffice (Debian's fonts standing in for the official ones): page images in
    test-artifacts/gbt9704-docx-*, the mark where the standard puts it and the number and title where the PDF has
    them (±1 mm), 28 characters a full line of text, the title broken between phrases only, page numbers on the
    outer side, the 版记 on the last page, an even one, with its rules (thick, thin, thick), a letter's lower double
    line."""
    _, out, tmp = rendered
    settings = load_document_settings()
    folder = tmp / "docx"
    folder.mkdir(exist_ok=True)
    for key, doc in out.items():
        (folder / f"{key}.docx").write_bytes(render_docx(doc["content"], settings.docx_fonts,
                                                         layout=doc["layout"]))  # as issuing does
    # the blank pages a section starting on an even page brings are printed, and so exported
    keep_blank = 'pdf:writer_pdf_Export:{"IsSkipEmptyPages":{"type":"boolean","value":"false"}}'
    subprocess.run(["soffice", "--headless", "--convert-to", keep_blank, "--outdir", str(folder),
                    *sorted(map(str, folder.glob("*.docx")))], check=True, capture_output=True, timeout=600)
    measured = {}
    for key, doc in out.items():
        pdf, content = folder / f"{key}.pdf", doc["content"]
        _page_images(pdf, f"gbt9704-docx-{key}")
        pages = lines(pdf)
        letter = g.format_of(content.kind) == "letter"
        # by the ink (LibreOffice's stand-in fonts have other metrics than Noto): the mark where the standard puts
        # it, the number and the title's first line where the PDF has them
        mark = ink_bands(pdf, 1, tmp, "red")[0][0]
        assert abs(mark - (g.LETTER_MARK_TOP if letter else g.FILE_MARK_TOP)) <= 1.0, (key, mark)
        black, direct = (ink_bands(path, 1, tmp, "black")[:2] for path in (pdf, doc["path"]))
        assert all(abs(a[0] - b[0]) <= 1.0 for a, b in zip(black, direct)), (key, black, direct)
        _check_rules(key, pdf, content, len(lines(pdf)), tmp)
        # sizes read back from LibreOffice's fonts are not Noto's: lines are told by place and by the 主送机关's size
        number = next(line for line in pages[0] if content.number in line.text)
        addressee = next(line for line in pages[0] if line.text == content.addressee)
        titles = [line.text for line in pages[0] if number.bottom < line.top < addressee.top]
        parts = content.title_parts or (content.title,)
        assert "".join(titles) == content.title and all(
            any("".join(parts[:n]) == "".join(titles[:k]) for n in range(len(parts) + 1)) for k in range(len(titles))
        ), (key, titles)  # each line ends between two phrases
        flow = [line for page in pages for line in page if abs(line.size - addressee.size) < 0.3]
        full = [line for line in flow if abs(line.x0 - g.LEFT) < 0.8 and line.x1 > g.LEFT + g.BODY_W - 1.5
                and CJK_LINE.match(line.text)]
        # 28 a line; LibreOffice squeezes or widens a line's punctuation (标点挤压) by up to a character
        assert full and all(line.chars == 28 or (27 <= line.chars <= 29 and PUNCTUATION & set(line.text))
                            for line in full), (key, [x.text for x in full if x.chars != 28])
        for index, page in enumerate(pages, 1):
            numbers = [line for line in page if PAGE_NUMBER.match(line.text.replace(" ", ""))]
            if numbers:
                outer = numbers[0].x1 > g.LEFT + g.BODY_W / 2
                assert outer == bool(index % 2), (key, index)
        holding = [n for n, page in enumerate(pages, 1) if any(_is_imprint(line) for line in page)]
        assert holding == [len(pages)] and len(pages) % 2 == 0, (key, holding, len(pages))  # the last 面, even
        text_pages = [n for n, page in enumerate(pages, 1)
                      if [line for line in page if not _is_imprint(line) and not PAGE_NUMBER.match(
                          line.text.replace(" ", "")) and line.text != (content.printer or content.issuer)]]
        _signature_not_alone(key, pages, content, addressee.size)
        # the text fills as many pages as in the PDF (charts at the PDF's scale); after a text ending on an even
        # page, a blank page, and neither it nor the 版记's page numbered (§7.5)
        assert len(text_pages) == doc["layout"].text_pages, (key, len(text_pages), doc["layout"])
        if len(pages) - len(text_pages) == 2:
            assert not [line for page in pages[-2:] for line in page
                        if PAGE_NUMBER.match(line.text.replace(" ", ""))], key
        foot = horizontal_rules(pdf, len(pages), tmp, from_mm=g.BODY_BOTTOM - 40)
        measured[key] = {"mark_ink": round(mark, 2), "number_ink": black[0][0], "title_ink": black[1][0],
                         "pdf_number_ink": direct[0][0], "pdf_title_ink": direct[1][0],
                         "imprint_rules": [y for y, colour in foot if colour == "black" and y > g.BODY_BOTTOM - 20],
                         "pages": len(pages), "text_pages": len(text_pages)}
    (ARTIFACTS / "gbt9704-docx-layout.json").write_text(json.dumps(measured, ensure_ascii=False, indent=1))
