"""How much room text takes in a report cell: Times New Roman widths and the lines a text wraps to.

LibreOffice (7.4 here) does not grow rows for wrapped text in a file it did not write, so
app.spreadsheet.workbook gives a row that wraps an explicit height from this estimate of its lines,
the same in every reader. Pure: no Flask, no openpyxl.
"""

from __future__ import annotations

import math
import unicodedata
from functools import lru_cache

# Advance widths of Times New Roman (and of its metric twin Liberation Serif) for ASCII 32-126,
# in thousandths of an em. A Vietnamese letter takes the width of its base letter.
TIMES_WIDTHS = dict(
    zip(
        map(chr, range(32, 127)),
        (
            250, 333, 408, 500, 500, 833, 778, 180, 333, 333, 500, 564, 250, 333, 250, 278, 500, 500, 500,
            500, 500, 500, 500, 500, 500, 500, 278, 278, 564, 564, 564, 444, 921, 722, 667, 667, 722, 611,
            556, 722, 722, 333, 389, 722, 611, 889, 722, 722, 556, 722, 667, 556, 611, 722, 722, 944, 722,
            722, 611, 333, 278, 333, 469, 500, 333, 444, 500, 444, 500, 444, 333, 500, 500, 278, 278, 500,
            278, 778, 500, 500, 500, 500, 333, 389, 278, 500, 500, 722, 500, 500, 444, 480, 200, 480, 541,
        ),
        strict=True,
    )
)  # fmt: skip
SPACE_EM = 0.25
WIDEST_EM = 0.65  # no real text averages more per character (all capitals, bold: 0.62)


@lru_cache(maxsize=8_192)  # names and organisations repeat; a bounded cache keeps memory flat
def word_em(word: str) -> float:
    """The width of one word in ems of Times New Roman."""
    total = 0
    for char in word:
        width = TIMES_WIDTHS.get(char)
        if width is None:
            base = unicodedata.normalize("NFD", char)[0]
            width = TIMES_WIDTHS.get(base) or (1000 if unicodedata.east_asian_width(char) in "WF" else 600)
        total += width
    return total / 1000


def line_em(width: float, size: float = 11, bold: bool = False, indent: int = 0) -> float:
    """How many ems of text fit on one line of a column ``width`` Excel units wide."""
    pixels = width * 7 - 5 - 10 * indent  # a unit is the '0' of the 11 pt default font (7 px)
    return max(pixels, 1) / (size * 96 / 72 * (1.08 if bold else 1.0))


def wrapped_lines(text: str, ems: float) -> int:
    """Lines that ``text`` takes when wrapped at spaces into lines of ``ems`` ems."""
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        used = 0.0
        for word in paragraph.split():
            width = word_em(word)
            if used and used + SPACE_EM + width <= ems:
                used += SPACE_EM + width
                continue
            if used:
                lines += 1
            extra = max(math.ceil(width / ems) - 1, 0)  # a word longer than the line is broken
            lines += extra
            used = width - extra * ems
    return lines


def row_height(lines: int, size: float = 11) -> float:
    """The height in points of a row of `lines` lines of `size`-point text."""
    return round(lines * size * 1.32 + 3, 1)
