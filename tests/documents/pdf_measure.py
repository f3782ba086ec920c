"""Measuring a rendered PDF as a records clerk would, in millimetres: text lines from `pdftotext -bbox-layout`,
rules from the page image (`pdftoppm`).

poppler boxes a line of Noto CJK text from 1.150 em above the baseline to 0.287 em below it (the faces'
ascent and descent); the em square's top, which the layout places, lies 0.880 em above the baseline, so
`em_top = yMin + (1.150 - 0.880) / 1.437 × height`.
"""
from __future__ import annotations

import html
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

MM = 25.4 / 72
EM_TOP_SHARE = (1.150 - 0.880) / 1.437
_PAGE = re.compile(r"<page width=\"([\d.]+)\" height=\"([\d.]+)\">(.*?)</page>", re.S)
_LINE = re.compile(r"<line xMin=\"([\d.]+)\" yMin=\"([\d.]+)\" xMax=\"([\d.]+)\" yMax=\"([\d.]+)\">(.*?)</line>", re.S)
_WORD = re.compile(r"<word [^>]*>(.*?)</word>")


@dataclass(frozen=True)
class Line:
    text: str
    x0: float  # mm
    top: float  # em-square top, mm
    x1: float
    bottom: float  # poppler's box bottom, mm
    size: float  # type size, pt

    @property
    def chars(self) -> int:
        return len(self.text)


def lines(pdf: Path) -> list[list[Line]]:
    out = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], check=True, capture_output=True,
                         text=True).stdout
    pages = []
    for _, _, body in _PAGE.findall(out):
        found = []
        for x0, y0, x1, y1, inner in _LINE.findall(body):
            text = "".join(html.unescape(w) for w in _WORD.findall(inner))
            height = float(y1) - float(y0)
            found.append(Line(text, float(x0) * MM, (float(y0) + EM_TOP_SHARE * height) * MM, float(x1) * MM,
                              float(y1) * MM, height / 1.437))
        pages.append(sorted(found, key=lambda line: (round(line.top, 1), line.x0)))
    return pages


def _page_image(pdf: Path, page: int, tmp: Path, from_mm: float = 0.0):
    """The page at 10 px/mm, as an array of RGB pixels (rows × columns × 3); from `from_mm` below its top edge
    down when given (an A4 page: less to rasterise)."""
    import numpy
    from PIL import Image

    stem = tmp / f"rules-{pdf.stem}-{page}"
    crop = ["-x", "0", "-y", str(round(from_mm * 10)), "-W", "2100", "-H", str(2970 - round(from_mm * 10))]
    subprocess.run(["pdftoppm", "-png", "-r", "254", "-f", str(page), "-l", str(page), "-singlefile",
                    *(crop if from_mm else []), str(pdf), str(stem)], check=True)
    with Image.open(f"{stem}.png") as image:
        return numpy.asarray(image.convert("RGB")).astype(numpy.int16)


def _mask(pixels, colour: str):
    """Where the pixels are black (each channel under 90) or red (red over 180, green and blue under 80)."""
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    if colour == "black":
        return (r < 90) & (g < 90) & (b < 90)
    return (r > 180) & (g < 80) & (b < 80)


def horizontal_rules(pdf: Path, page: int, tmp: Path, *, min_length_mm: float = 120.0,
                     from_mm: float = 0.0) -> list[tuple[float, str]]:
    """(y in mm, colour 'black'|'red') of each horizontal rule at least `min_length_mm` long on a page (A4; only
    from `from_mm` below its top edge down when given), from a 10 px/mm image: a run of rows each holding that
    much ink of the colour is one rule, at its first row."""
    pixels = _page_image(pdf, page, tmp, from_mm)
    rules: list[tuple[float, str]] = []
    for colour in ("black", "red"):
        long = _mask(pixels[:, ::2], colour).sum(axis=1) * 2 / 10 >= min_length_mm  # every other column
        rules += [(round(from_mm + int(y) / 10, 1), colour) for y in _starts(long)]
    return sorted(rules)


def _starts(rows) -> list[int]:
    """The first row of each run of true rows."""
    return [y for y in range(len(rows)) if rows[y] and (y == 0 or not rows[y - 1])]


def ink_bands(pdf: Path, page: int, tmp: Path, colour: str) -> list[tuple[float, float]]:
    """(top, bottom) in mm of each band of rows holding ink of `colour` ('black'|'red'): a line of text, a rule.
    Measures what is printed, whatever font a converter put in (its metrics may not be Noto's)."""
    inked = _mask(_page_image(pdf, page, tmp)[:, ::3], colour).any(axis=1)  # every third column
    bands: list[list[int]] = []
    for y in _starts(inked):
        end = y
        while end + 1 < len(inked) and inked[end + 1]:
            end += 1
        bands.append([y, end])
    return [(top / 10, bottom / 10) for top, bottom in bands]
