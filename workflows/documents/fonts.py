"""Finding a CJK font for the PDF. Without one the PDF cannot be made (DOCX still can).

The body is set in a 仿宋 where one is installed: FandolFang (Debian texlive-lang-chinese, about 270 MB installed
with its TeX dependencies, so optional), with Noto Serif CJK SC as the fallback for the glyphs it lacks (it covers
GB 2312). Without it, Noto Serif CJK SC (fonts-noto-cjk) stands in for 仿宋_GB2312; `duban check-config` says
which."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from engine.domain.errors import DubanError

# Noto CJK collections: face 2 is Simplified Chinese (0 = Japanese glyph forms).
SC_FACE = 2
SERIF, SERIF_BOLD, SANS = "NotoSerifCJK-Regular.ttc", "NotoSerifCJK-Bold.ttc", "NotoSansCJK-Regular.ttc"
FANG = "FandolFang-Regular.otf"  # a 仿宋 for simplified Chinese (GB 2312), in texlive-lang-chinese


class CjkFontMissing(DubanError):
    def __init__(self, dirs: Iterable[Path]) -> None:
        super().__init__(
            "cannot produce the PDF: no CJK font (Noto Serif/Sans CJK) found in "
            f"{', '.join(str(d) for d in dirs)}; install the Debian package fonts-noto-cjk "
            "(apt-get install fonts-noto-cjk) or set DUBAN_FONT_DIRS. The DOCX is produced without it.")


@dataclass(frozen=True)
class CjkFonts:
    body: Path  # FandolFang (仿宋) when installed, else serif regular (仿宋 stand-in)
    title: Path  # serif bold (小标宋 stand-in)
    heading: Path  # sans (黑体 stand-in)
    face: int = SC_FACE  # the face of a .ttc collection (an .otf has one)
    fallback: Path | None = None  # for the glyphs the body font lacks (FandolFang covers GB 2312 only)

    def describe(self) -> str:
        """What `duban check-config` says of the body font."""
        if self.fallback is not None:
            return f"PDF body font {self.body.name} (仿宋), {self.fallback.name} for the characters it lacks"
        return (f"PDF body font {self.body.name} (face {self.face}): Noto Serif CJK SC stands in for 仿宋_GB2312 — "
                f"no {FANG} found (it comes with texlive-lang-chinese, about 270 MB installed with its TeX "
                "dependencies; install it, or put the file in a font directory, to set the body in 仿宋)")


def find_cjk_fonts(dirs: Iterable[Path]) -> CjkFonts:
    dirs = tuple(dirs)
    found: dict[str, Path] = {}
    for directory in dirs:
        if not directory.is_dir():
            continue
        for pattern in ("Noto*CJK*.ttc", FANG):
            for path in directory.rglob(pattern):
                found.setdefault(path.name, path)
    any_face = found.get(SERIF) or found.get(SANS) or found.get(SERIF_BOLD)
    if any_face is None:
        raise CjkFontMissing(dirs)
    serif = found.get(SERIF, any_face)
    fang = found.get(FANG)
    return CjkFonts(body=fang or serif, title=found.get(SERIF_BOLD, serif), heading=found.get(SANS, serif),
                    fallback=serif if fang else None)
