"""The XLSX export, laid out for the annual departmental assessment (年度部门绩效考核): a summary sheet (rank, unit,
monthly scores, the period score, rates, deductions, grade), a sheet of every explanation line down to the order
number, and the formula versions used."""
from __future__ import annotations

from datetime import datetime
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from engine.assessment.formula import DEDUCTION_ITEMS, ITEM_LABELS, NOT_APPLICABLE, RATE_ITEMS
from engine.assessment.ranking import Boards, Unranked, grade
from engine.assessment.scores import PeriodScore, combine
from engine.clock import LOCAL_TZ
from workflows.assessment.service import MonthResult, PeriodResult

OUTCOMES = {"yes": "是", "no": "否", "exempt": "免于考核", "deduct": "扣分"}
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD = PatternFill("solid", fgColor="EEEEEE")


def export_xlsx(result: PeriodResult, boards: Boards, months: list[MonthResult], *, as_of: datetime,
                issuer: str = "12345热线督办") -> bytes:
    """`boards`: the period's tiers and lists (AssessmentService.boards); `months`: each month with its lines;
    `as_of`: the moment the figures stand at (截至). Stored and served by workflows.assessment.exports."""
    wb = Workbook()
    _summary(wb.active, result, boards, issuer, as_of)
    _details(wb.create_sheet("考核明细"), months)
    _formulas(wb.create_sheet("考核办法"), months)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _header(ws: Any, row: int, titles: list[str], widths: list[int]) -> None:
    for col, (title, width) in enumerate(zip(titles, widths, strict=True), start=1):
        cell = ws.cell(row=row, column=col, value=title)
        cell.font, cell.fill, cell.border = Font(bold=True), HEAD, BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = ws.cell(row=row + 1, column=4)


def _summary(ws: Any, result: PeriodResult, boards: Boards, issuer: str, as_of: datetime) -> None:
    ws.title = "考核汇总"
    months = [m.label for m in result.period.months]  # every month of the period; blank until it has begun
    titles = (["档次", "档内排名", "单位代码", "承办单位"] + [f"{int(m[-2:])}月" for m in months]
              + [f"{result.period.title}得分", "参加考核月份"]
              + [ITEM_LABELS[k] for k in RATE_ITEMS] + [f"{ITEM_LABELS[k]}（次）" for k in DEDUCTION_ITEMS]
              + ["扣分合计", "等次", "说明"])
    ws.cell(row=1, column=1, value=f"{result.period.title}12345热线承办单位绩效考核汇总表").font = Font(bold=True, size=16)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(titles))
    provisional = f"；{'、'.join(result.provisional)}尚未结束，得分为暂定" if result.provisional else ""
    ws.cell(row=2, column=1, value=f"{issuer}；数据截至 {as_of.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}（as of）；得分为各单位参加考核月份得分的平均值，各月按当月适用的考核办法计分；"
                                   f"无可考核工单的项目为“不适用”，得分按适用项目折算为百分制；应办结回复工单少于"
                                   f"{boards.min_sample}件的单位为“样本不足”，不排名；各单位在本档内排名{provisional}。"
                                   "明细见“考核明细”，办法见“考核办法”。")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(titles))
    _header(ws, 3, titles, [10, 8, 10, 24] + [8] * len(months) + [12, 16] + [12] * 4 + [10] * 4 + [10, 8, 50])
    by_code = {s.unit_code: s for s in combine((m.label, m.scores) for m in result.months)}
    rows = [(r.tier, str(r.rank), r.unit_code, "") for r in boards.ranked]
    rows += [(u.tier, u.reason, u.unit_code, _unranked_note(u, boards.min_sample, by_code[u.unit_code]))
             for u in boards.unranked]
    for i, (tier, place, code, note) in enumerate(rows, start=4):
        s = by_code[code]
        monthly = dict(s.monthly)
        values: list[Any] = [tier, int(place) if place.isdigit() else place, s.unit_code, s.unit_name]
        values += [float(monthly[m]) if m in monthly else ("不适用" if m in s.not_assessed else None) for m in months]
        values += [float(s.total) if s.total is not None else "不适用", s.months_text]
        values += [f"{100 * s.yes[k] / s.counted[k]:.2f}%" if s.counted[k] else "不适用" for k in RATE_ITEMS]
        values += [s.deductions[k][0] for k in DEDUCTION_ITEMS]
        values += [float(sum(p for _, p in s.deductions.values())), grade(s.total), note or s.explanation()]
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=i, column=col, value=value)
            cell.border = BOX
            if isinstance(value, float):
                cell.number_format = "0.00"
    ws.print_title_rows = "3:3"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1


def _unranked_note(u: Unranked, min_sample: int, s: PeriodScore) -> str:
    if u.reason == "样本不足":
        return f"应办结回复工单 {u.sample} 件，少于最低样本 {min_sample} 件，不排名"
    return s.explanation()


def _details(ws: Any, months: list[MonthResult]) -> None:
    titles = ["月份", "单位代码", "承办单位", "考核项目", "工单编号", "引用", "结果", "说明", "申诉"]
    _header(ws, 1, titles, [9, 10, 24, 16, 18, 8, 10, 70, 14])
    row = 2
    for month in months:
        names = {s.unit_code: s.unit_name for s in month.scores}
        for x in month.lines:
            values = [month.period.label, x.unit_code, names.get(x.unit_code, x.unit_code), ITEM_LABELS[x.item],
                      x.order_number or "", x.ref, OUTCOMES.get(x.outcome, x.outcome), x.detail,
                      f"申诉#{x.excluded_by}成立，不计" if x.excluded_by else ""]
            for col, value in enumerate(values, start=1):
                ws.cell(row=row, column=col, value=value)
            row += 1
    ws.auto_filter.ref = f"A1:I{max(row - 1, 1)}"


def _formulas(ws: Any, months: list[MonthResult]) -> None:
    _header(ws, 1, ["月份", "办法版本", "生效日期", "发布", "项目", "参数"], [9, 10, 12, 22, 22, 60])
    row = 2
    for month in months:
        f = month.formula
        published = (f"第{month.revision['revision']}版 {month.revision['published_at']:%Y-%m-%d}"
                     if month.revision else "未发布（实时计算）")
        params = [(ITEM_LABELS[i.key], f"满分 {i.weight}，{'低于' if not i.lower_is_better else '高于'}或等于 "
                   f"{float(i.zero_at) * 100:g}% 得 0 分，线性计分") for i in f.items]
        params += [(ITEM_LABELS[k], f"每次扣 {v} 分") for k, v in f.deductions.items()]
        params.append(("无可考核工单的项目", "不适用，得分按适用项目折算为百分制" if f.no_data == NOT_APPLICABLE
                       else "按满分计（旧办法）"))
        for label, text in params:
            for col, value in enumerate([month.period.label, f.version, f.effective_from.isoformat(), published,
                                         label, text], start=1):
                ws.cell(row=row, column=col, value=value)
            row += 1
