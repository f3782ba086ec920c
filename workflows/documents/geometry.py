"""GB/T 9704-2012 page geometry, in millimetres from the page's top-left corner, shared by the DOCX and PDF
renderers and by the tests that measure the PDFs.

A4; 版心 156 × 225 mm with 天头 37 mm and 订口 28 mm (§5.2.1, §5.2.2); 22 lines of 28 characters of 3号 text
(§5.2.3). 文件格式 (§7.2): 发文机关标志 35 mm below the 版心 top (§7.2.4), 发文字号 two lines below it (空二行),
the red separator 4 mm under the number (§7.2.6), the title two lines below the separator, the 主送机关 one line
below the title (§7.3.2). 信函格式 (§10.1): the mark 30 mm from the page top, a red double line (上粗下细) 4 mm under
it and another (上细下粗) 20 mm above the page foot, both 170 mm long and centred; 发文字号 flush right at the
版心 edge on the first line under the double line; no page number on the first page. Page numbers (§7.5): 4号,
in 一字线, 7 mm below the 版心; odd pages right, even pages left, 空一字.
"""
from __future__ import annotations

PT = 25.4 / 72  # mm per point

PAGE_W, PAGE_H = 210.0, 297.0
TOP, LEFT = 37.0, 28.0  # 天头, 订口
BODY_W, BODY_H = 156.0, 225.0  # 版心
RIGHT = PAGE_W - LEFT - BODY_W  # 26
BOTTOM = PAGE_H - TOP - BODY_H  # 35
BODY_BOTTOM = TOP + BODY_H  # 262

LINES, CHARS = 22, 28
LINE = BODY_H / LINES  # 10.227 mm: the line pitch of the grid
CHAR = BODY_W / CHARS  # 5.571 mm: the character pitch of the grid
SIZE_BODY, SIZE_TITLE, SIZE_SMALL, SIZE_TABLE = 16.0, 22.0, 14.0, 10.5  # 3号, 2号, 4号, 五号 (points)

FILE_MARK_TOP = TOP + 35.0  # 文件格式: top edge of the 发文机关标志
LETTER_MARK_TOP = 30.0  # 信函格式: from the page's top edge
RULE_BELOW_NUMBER = 4.0  # the red separator under the 发文字号
LETTER_RULE_GAP = 4.0  # the double line under the mark of a letter
LETTER_RULE_LENGTH = 170.0
LETTER_FOOT_RULE = PAGE_H - 20.0  # the letter's lower double line
PAGE_NUMBER_TOP = BODY_BOTTOM + 7.0  # 一字线 7 mm below the 版心
IMPRINT_ROW = 8.5  # one row of the 版记 (抄送; 印发机关 and 印发日期), between its rules
LETTER_FIRST_GAP = SIZE_BODY * PT * 7 / 8  # first element under a letter's double line (3号 height × 7/8)

# which 版式 each kind takes: 文件格式 (down to units), 文件格式 with 签发人 (up to 市委、市政府), 信函格式
FORMATS = {"urge_notice": "file", "special_report": "upward", "quarterly_report": "upward",
           "supervision_letter": "letter"}
RED = (230, 0, 18)


def format_of(kind: str) -> str:
    return FORMATS.get(kind, "file")
