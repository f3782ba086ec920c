"""Finding a CJK font for the PDF. Without one the PDF cannot be made (DOCX still can)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from engine.domain.errors import DubanError

# Noto CJK collections: face 2 is Simplified Chinese (0 = Japanese glyph forms).
SC_FACE = 2
SERIF, SERIF_BOLD, SANS = "NotoSerifCJK-Regular.ttc", "NotoSerifCJK-Bold.ttc", "NotoSansCJK-Regular.ttc"


class CjkFontMissing(DubanError):
    def __init__(self, dirs: Iterable[Path]) -> None:
        super().__init__(
            "cannot produce the PDF: no CJK font (Noto Serif/Sans CJK) found in "
            f"{', '.join(str(d) for d in dirs)}; install the Debian package fonts-noto-cjk "
            "(apt-get install fonts-noto-cjk) or set DUBAN_FONT_DIRS. The DOCX is produced without it.")


@dataclass(frozen=True)
class CjkFonts:
    body: Path  # serif regular (仿宋 stand-in)
    title: Path  # serif bold (小标宋 stand-in)
    heading: Path  # sans (黑体 stand-in)
    face: int = SC_FACE


def find_cjk_fonts(dirs: Iterable[Path]) -> CjkFonts:
    dirs = tuple(dirs)
    found: dict[str, Path] = {}
    for directory in dirs:
        if not directory.is_dir():
            continue
        for path in directory.rglob("Noto*CJK*.ttc"):
            found.setdefault(path.name, path)
    any_face = found.get(SERIF) or found.get(SANS) or found.get(SERIF_BOLD)
    if any_face is None:
        raise CjkFontMissing(dirs)
    body = found.get(SERIF, any_face)
    return CjkFonts(body=body, title=found.get(SERIF_BOLD, body), heading=found.get(SANS, body))
