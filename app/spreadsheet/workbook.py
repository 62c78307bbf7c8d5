"""Excel workbooks laid out like a Vietnamese government report (SPEC §6); with reader.py
the only openpyxl user.

Pure: plain data in, an .xlsx out; no Flask, no database. Rows are streamed with openpyxl's
write-only mode, so memory stays flat however many rows a sheet has.

Public API
----------
``Column(header, kind="text", width=None, number_format=None)``
    One table column. ``kind`` is one of ``"text"``, ``"int"``, ``"decimal"`` (2 places,
    "0.00" — scores), ``"percent"`` (a fraction: 0.25 shows as 25.00%), ``"date"``
    (dd/mm/yyyy) or ``"datetime"`` (dd/mm/yyyy hh:mm, Asia/Ho_Chi_Minh). ``width`` is in
    Excel character units (a default per kind otherwise); ``number_format`` overrides the
    kind's format.
``Sheet(name, title, columns, rows, subtitle=(), numbered=True, totals=None, signature=SIGNATURE)``
    A table sheet. ``name`` is the tab (cleaned to Excel's rules and made unique), ``title`` the
    printed title (written upper-case), ``subtitle`` the centred lines under it. ``rows`` is any
    iterable (a generator for big exports) of sequences with one value per column; the STT
    column is added and numbered automatically unless ``numbered=False``. ``totals`` is an
    optional bold row after the data (outside the autofilter). ``signature=None`` leaves out the
    place/date line and the signature block.
``NotesSheet(name, title, items, subtitle=(), signature=None)``
    A two-column sheet of (label, text) pairs, e.g. the "Phương pháp" sheet of a results export.
``Signature(left_title="Người lập biểu", right_title="Thủ trưởng đơn vị", left_name="",
right_name="", left_note="(Ký, ghi rõ họ tên)", right_note="(Ký, ghi rõ họ tên, đóng dấu)")``
    The block under the table. A ``"\\n"`` in a title makes several lines
    ("KT. GIÁM ĐỐC\\nPHÓ GIÁM ĐỐC").
``Letterhead(authority="UBND TỈNH QUẢNG NGÃI", agency="SỞ KHOA HỌC VÀ CÔNG NGHỆ", place="Quảng Ngãi")``
    The left header block and the place in the date line.
``write_workbook(target, sheets, *, letterhead=LETTERHEAD, report_date=None) -> list[SheetLayout]``
    Writes the sheets in order to ``target``: a path or a writable binary stream.
    ``report_date`` (default: today in Quảng Ngãi) goes into "Quảng Ngãi, ngày … tháng … năm …".
    Returns where things landed on each sheet (``SheetLayout``: name, header_row,
    first_data_row, last_data_row, data_rows, last_column) — handy for tests and logs.
``workbook_bytes(sheets, **kwargs) -> bytes``
    The same, in memory (for a web download).
``place_date_line(place, day) -> str``
    "Quảng Ngãi, ngày 05 tháng 3 năm 2024" (days below 10 and months 1–2 get a leading zero,
    as Decree 30/2020/NĐ-CP asks).

Layout: the government header block (UBND … / SỞ … on the left, the national motto on the right,
merged cells — the only ones), the upper-case title and subtitles, a blank row, the header row
(frozen, repeated on every printed page, autofilter over header + data), the data with STT, an
optional totals row, then the place/date line and the signature block (centred without merging),
"Trang n/N" in the page footer, A4 landscape fitted to one page wide. Fonts are Times New Roman.
Text cells wrap, and a row that wraps gets a height estimated from Times New Roman's metrics.
A4 landscape holds about 150 width units at 100 %; wider sheets are scaled down to fit, so keep the
sum of widths near that. Sort rows before passing them (``app.spreadsheet.collation.name_sort_key``
for people). If a row is bad, nothing is written to ``target``.

Cell rules: numbers are numbers, dates are dates (aware datetimes are converted to
Asia/Ho_Chi_Minh, naive ones are taken as UTC like everywhere in this project; Excel has no time
zones so the cell holds the local wall time), None is an empty cell. Text is NFC, loses the
control characters XML cannot carry, is cut at Excel's 32,767 characters, and is never a formula:
text starting with = + - @ (or a tab/CR/LF) is stored as a string with Excel's quote prefix, so
editing the cell does not turn it into one. "int" shows thousands separators (#,##0): give codes
and years as text. Decimals are stored as given (round in the caller if a rule says so). A value of the wrong type for its column
(a str in a "decimal" column, NaN …) raises ``ValueError`` naming the sheet, row and column.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from io import BytesIO
from typing import IO, Any, Literal, Protocol, cast

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.styles.fills import Fill
from openpyxl.styles.numbers import BUILTIN_FORMATS_MAX_SIZE, BUILTIN_FORMATS_REVERSE
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.cell_range import MultiCellRange
from openpyxl.worksheet.dimensions import ColumnDimension, DimensionHolder
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.page import PageMargins, PrintOptions, PrintPageSetup
from openpyxl.worksheet.properties import PageSetupProperties, WorksheetProperties

from app.localtime import LOCAL_TZ, format_long_date
from app.spreadsheet.metrics import WIDEST_EM, line_em, row_height, wrapped_lines
from app.text import tidy

ColumnKind = Literal["text", "int", "decimal", "percent", "date", "datetime"]

FONT_NAME = "Times New Roman"  # the font of Vietnamese administrative documents (Decree 30/2020)
MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")

NUMBER_FORMATS: dict[str, str] = {
    "text": "@",
    "int": "#,##0",
    "decimal": "0.00",
    "percent": "0.00%",
    "date": "dd/mm/yyyy",
    "datetime": "dd/mm/yyyy hh:mm",
}
DEFAULT_WIDTHS: dict[str, float] = {
    "text": 24,
    "int": 9,
    "decimal": 9,
    "percent": 9,
    "date": 12,
    "datetime": 17,
}
STT_WIDTH = 6
PAPER_A4 = "9"  # the paperSize code of A4 in SpreadsheetML
EXCEL_MAX_TEXT = 32_767
# Leading characters that make Excel (or LibreOffice) read typed text as a formula; the
# full-width forms are converted by East Asian input methods.
FORMULA_STARTS = frozenset("=+-@\t\r\n＝＋－＠")
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Column:
    header: str
    kind: ColumnKind = "text"
    width: float | None = None
    number_format: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in NUMBER_FORMATS:
            raise ValueError(f"Unknown column kind {self.kind!r} for column {self.header!r}")


@dataclass(frozen=True)
class Signature:
    left_title: str = "Người lập biểu"
    right_title: str = "Thủ trưởng đơn vị"
    left_name: str = ""
    right_name: str = ""
    left_note: str = "(Ký, ghi rõ họ tên)"
    right_note: str = "(Ký, ghi rõ họ tên, đóng dấu)"


SIGNATURE = Signature()


@dataclass(frozen=True)
class Letterhead:
    authority: str = "UBND TỈNH QUẢNG NGÃI"
    agency: str = "SỞ KHOA HỌC VÀ CÔNG NGHỆ"
    place: str = "Quảng Ngãi"


LETTERHEAD = Letterhead()


@dataclass
class Sheet:
    name: str
    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    subtitle: Sequence[str] = ()
    numbered: bool = True
    totals: Sequence[Any] | None = None
    signature: Signature | None = SIGNATURE


@dataclass
class NotesSheet:
    name: str
    title: str
    items: Sequence[tuple[str, str]]
    subtitle: Sequence[str] = ()
    signature: Signature | None = None


@dataclass(frozen=True)
class SheetLayout:
    name: str
    header_row: int
    first_data_row: int
    last_data_row: int  # == header_row when there are no data rows
    data_rows: int
    last_column: str


def place_date_line(place: str, day: date) -> str:
    """'Quảng Ngãi, ngày 05 tháng 3 năm 2024' (the date part is localtime.format_long_date)."""
    return f"{place}, {format_long_date(day)}"


def write_workbook(
    target: str | os.PathLike[str] | IO[bytes],
    sheets: Iterable[Sheet | NotesSheet],
    *,
    letterhead: Letterhead = LETTERHEAD,
    report_date: date | None = None,
) -> list[SheetLayout]:
    """Write the sheets, in order, as one .xlsx file to a path or a binary stream."""
    day = report_date or datetime.now(LOCAL_TZ).date()
    workbook = Workbook(write_only=True)
    internals = cast("_WorkbookInternals", workbook)
    # The default ("Normal") font sets the unit of column widths. Excel's default, Calibri, is
    # missing on most Linux machines, where LibreOffice then draws every column wider than Excel
    # does; Times New Roman has a metric twin everywhere (Liberation Serif).
    internals._fonts = IndexedList([Font(name=FONT_NAME, sz=11, family=1)])
    styles = _Styles(internals)
    layouts: list[SheetLayout] = []
    used_names: set[str] = set()
    written: list[_StreamingSheet] = []
    try:
        for sheet in sheets:
            worksheet = _StreamingSheet(parent=workbook, title=_sheet_name(sheet.name, used_names))
            internals._add_sheet(worksheet)
            written.append(worksheet)
            if isinstance(sheet, NotesSheet):
                layouts.append(_write_notes(worksheet, sheet, styles, letterhead, day))
            else:
                layouts.append(_write_table(worksheet, sheet, styles, letterhead, day))
        if not layouts:
            raise ValueError("A workbook needs at least one sheet")
    except BaseException:
        _discard(written)  # nothing has been written to the target yet
        raise
    workbook.save(target)
    return layouts


def _discard(worksheets: list[_StreamingSheet]) -> None:
    """Close the half-written sheet streams in order and delete their temporary files."""
    for worksheet in worksheets:
        writer = worksheet._writer
        if worksheet._rows is not None:
            worksheet._rows.close()
        if writer is not None:
            writer.close()
            writer.cleanup()


def workbook_bytes(sheets: Iterable[Sheet | NotesSheet], **kwargs: Any) -> bytes:
    """The workbook as bytes, for a download response."""
    stream = BytesIO()
    write_workbook(stream, sheets, **kwargs)
    return stream.getvalue()


# --- openpyxl plumbing ----------------------------------------------------------------------
# Styling cells through openpyxl's attribute setters hashes the style objects for every cell,
# which made a 50,000-row export 2.5x slower than an unstyled one. Instead each style is
# registered once per workbook and cells carry its precomputed StyleArray and xf id; one cell
# object per column is reused row after row (the writer serialises a row before the next one
# is built), and values are bound by column kind instead of openpyxl's type sniffing.


class _WorkbookInternals(Protocol):
    """The private parts of openpyxl's Workbook used here, which its type stubs leave out: the
    per-workbook style tables and the registration of a sheet made outside create_sheet."""

    _fonts: IndexedList[Font]
    _alignments: IndexedList[Alignment]
    _borders: IndexedList[Border]
    _fills: IndexedList[Fill]
    _number_formats: IndexedList[str]
    _cell_styles: IndexedList[StyleArray]

    def _add_sheet(self, sheet: WriteOnlyWorksheet) -> None: ...


class _StyledCell(Cell):
    __slots__ = ("_xf_id",)
    has_style = True  # always: every cell we write carries one of the registered styles

    def __init__(self, worksheet: WriteOnlyWorksheet, style: _Style, value: Any = None):
        super().__init__(worksheet, row=1, column=1)
        self.use(style)
        if value is not None:
            self._value = value
            self.data_type = "s" if isinstance(value, str) else "n"

    def use(self, style: _Style) -> None:
        self._style = style.array
        self._xf_id = style.xf_id

    @property
    def style_id(self) -> int:
        return self._xf_id


class _StreamingSheet(WriteOnlyWorksheet):
    """A write-only sheet whose rows are lists of ready cells (or None for a blank cell)."""

    # Set by openpyxl at run time (Worksheet._setup), missing from its stubs of the write-only sheet.
    column_dimensions: DimensionHolder[str, ColumnDimension]
    merged_cells: MultiCellRange
    page_setup: PrintPageSetup
    print_options: PrintOptions
    page_margins: PageMargins
    sheet_properties: WorksheetProperties
    auto_filter: AutoFilter
    _writer: WorksheetWriter | None
    _rows: Generator[None, Sequence[_StyledCell | None], None] | None

    def __init__(self, parent: Workbook, title: str):
        super().__init__(parent, title)
        # The writer reads `row_dimensions.get(row, {})` as the <row> attributes. A plain dict,
        # filled just for the row being written, avoids building a RowDimension per tall row.
        self.row_dimensions: dict[int, dict[str, str]] = {}

    def _values_to_row(self, values: Iterable[_StyledCell | None], row_idx: int) -> Iterator[_StyledCell]:
        for col_idx, cell in enumerate(values, 1):
            if cell is None:
                continue
            cell.row = row_idx
            cell.column = col_idx
            yield cell


@dataclass(frozen=True)
class _Style:
    array: StyleArray
    xf_id: int


@dataclass
class _Styles:
    """The workbook's styles, registered once."""

    workbook: _WorkbookInternals
    _cache: dict[tuple[object, ...], _Style] = field(default_factory=dict)

    def get(
        self,
        *,
        bold: bool = False,
        italic: bool = False,
        underline: bool = False,
        size: float = 12,
        horizontal: str = "left",
        vertical: str = "center",
        wrap: bool = False,
        indent: int = 0,
        border: bool = False,
        fill: str | None = None,
        number_format: str = "General",
        quote_prefix: bool = False,
    ) -> _Style:
        key: tuple[object, ...] = (bold, italic, underline, size, horizontal, vertical, wrap, indent)
        key += (border, fill, number_format, quote_prefix)
        style = self._cache.get(key)
        if style is None:
            wb = self.workbook
            array = StyleArray()
            array.fontId = wb._fonts.add(
                Font(
                    name=FONT_NAME,
                    size=size,
                    bold=bold,
                    italic=italic,
                    underline="single" if underline else None,
                )
            )
            array.alignmentId = wb._alignments.add(
                Alignment(horizontal=horizontal, vertical=vertical, wrap_text=wrap, indent=indent)
            )
            if border:
                thin = Side(style="thin")
                array.borderId = wb._borders.add(Border(left=thin, right=thin, top=thin, bottom=thin))
            if fill:
                array.fillId = wb._fills.add(PatternFill("solid", start_color=fill, end_color=fill))
            # Built-in formats keep their ids, as openpyxl's own number_format setter does.
            if number_format in BUILTIN_FORMATS_REVERSE:
                array.numFmtId = BUILTIN_FORMATS_REVERSE[number_format]
            else:
                array.numFmtId = BUILTIN_FORMATS_MAX_SIZE + wb._number_formats.add(number_format)
            array.quotePrefix = int(quote_prefix)
            style = _Style(array, wb._cell_styles.add(array))
            self._cache[key] = style
        return style


# --- values ---------------------------------------------------------------------------------


def put_text(cell: Any, value: Any) -> None:
    """Write user text into an ordinary (not write-only) openpyxl cell by the same rules as every
    export: cleaned, always a string, quote-prefixed when it looks like a formula (`=1+1` stays
    text). The guest-import template uses it; an organiser-typed category must never run."""
    if value is None:
        cell.value = None
        return
    text = _clean_text(value)
    cell.value = text
    cell.data_type = "s"
    if text and text[0] in FORMULA_STARTS:
        cell.quotePrefix = True


def _clean_text(value: Any) -> str:
    if isinstance(value, bool):
        text = "Có" if value else "Không"
    elif isinstance(value, str):
        text = value
    else:
        text = str(value)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if ILLEGAL_CHARACTERS_RE.search(text):
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if "\r" in text:  # Windows line ends from pasted text: Excel wants bare line feeds
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text[:EXCEL_MAX_TEXT]


def _to_local_naive(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LOCAL_TZ).replace(tzinfo=None)


def _number(value: Any, integer: bool) -> int | float | Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise TypeError(f"expected a number, got {type(value).__name__} {value!r}")
    number: int | float | Decimal = value
    if not isinstance(number, int) and not math.isfinite(number):
        raise TypeError(f"Excel cannot store {number!r}")
    if integer and not isinstance(number, int):
        if number != int(number):
            raise TypeError(f"expected a whole number, got {number!r}")
        number = int(number)
    return number


class _ColumnWriter:
    """Binds values of one column to its reused cell, by the column's kind."""

    def __init__(self, worksheet: WriteOnlyWorksheet, column: Column, styles: _Styles, *, bold: bool = False):
        self.column = column
        fmt = column.number_format or NUMBER_FORMATS[column.kind]
        horizontal = {"text": "left", "date": "center", "datetime": "center"}.get(column.kind, "right")
        indent = 1 if horizontal == "right" else 0  # keeps a number off the text to its right
        common: dict[str, Any] = dict(
            size=11, bold=bold, border=True, vertical="center", number_format=fmt, indent=indent
        )
        self.style = styles.get(horizontal=horizontal, wrap=column.kind == "text", **common)
        if column.kind == "text":
            self.quoted = styles.get(horizontal=horizontal, wrap=True, quote_prefix=True, **common)
        self.cell = _StyledCell(worksheet, self.style)
        self.bind = getattr(self, "_bind_" + column.kind)

    def __call__(self, value: Any) -> _StyledCell:
        cell = self.cell
        if value is None:
            cell._value = None
            cell.data_type = "n"
            if cell._style is not self.style.array:
                cell.use(self.style)
        else:
            self.bind(cell, value)
        return cell

    def _bind_text(self, cell: _StyledCell, value: Any) -> None:
        text = _clean_text(value)
        cell._value = text
        cell.data_type = "s"
        style = self.quoted if text and text[0] in FORMULA_STARTS else self.style
        if cell._style is not style.array:
            cell.use(style)

    def _bind_int(self, cell: _StyledCell, value: Any) -> None:
        cell._value = value if type(value) is int else _number(value, integer=True)
        cell.data_type = "n"

    def _bind_decimal(self, cell: _StyledCell, value: Any) -> None:
        # A plain finite float is the common case (scores); anything else takes the full check.
        cell._value = (
            value if type(value) is float and math.isfinite(value) else _number(value, integer=False)
        )
        cell.data_type = "n"

    _bind_percent = _bind_decimal

    def _bind_date(self, cell: _StyledCell, value: Any) -> None:
        if isinstance(value, datetime):
            value = _to_local_naive(value).date()
        elif not isinstance(value, date):
            raise TypeError(f"expected a date, got {type(value).__name__} {value!r}")
        cell._value = value
        cell.data_type = "d"

    def _bind_datetime(self, cell: _StyledCell, value: Any) -> None:
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__} {value!r}")
        cell._value = _to_local_naive(value)
        cell.data_type = "d"


# --- layout ---------------------------------------------------------------------------------
# Rows that wrap get an explicit height (app.spreadsheet.metrics estimates their lines).


def _sheet_name(raw: str, used: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, not quoted, unique (any case)."""
    base = tidy(_SHEET_NAME_BAD.sub(" ", raw or ""), one_line=True).strip("'") or "Trang tính"
    name, counter = base[:31], 1
    while name.casefold() in used:
        counter += 1
        suffix = f" ({counter})"
        name = base[: 31 - len(suffix)] + suffix
    used.add(name.casefold())
    return name


def _column_width(column: Column) -> float:
    width = column.width or DEFAULT_WIDTHS[column.kind]
    longest_word = max((len(word) for word in column.header.split()), default=0)
    return max(width, longest_word + 2)


def _split_blocks(widths: Sequence[float]) -> tuple[tuple[int, int], tuple[int, int]]:
    """Columns (1-based, inclusive) of the left and right header blocks: about 40/60 by width."""
    if len(widths) == 1:
        return (1, 1), (1, 1)
    total, running = sum(widths), 0.0
    for index, width in enumerate(widths[:-1], 1):
        running += width
        if running >= 0.4 * total:
            return (1, index), (index + 1, len(widths))
    return (1, len(widths) - 1), (len(widths), len(widths))


def _anchor(block: tuple[int, int], widths: Sequence[float]) -> int:
    """The column whose centre is nearest the block's centre: centred text there spills evenly
    over its empty neighbours, which centres it on the block without merging cells."""
    first, last = block
    middle = sum(widths[first - 1 : last]) / 2
    best, best_distance, running = first, float("inf"), 0.0
    for column in range(first, last + 1):
        width = widths[column - 1]
        distance = abs(running + width / 2 - middle)
        if distance < best_distance:
            best, best_distance = column, distance
        running += width
    return best


class _Layout:
    """Writes the rows around the data: header block, title, footer, page setup."""

    def __init__(self, ws: _StreamingSheet, widths: Sequence[float], styles: _Styles):
        self.ws = ws
        self.widths = list(widths)
        self.styles = styles
        self.ncols = len(widths)
        self.left, self.right = _split_blocks(widths)
        self.row = 0
        for index, width in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(index)].width = width

    def append(self, cells: Sequence[_StyledCell | None], height: float | None = None) -> None:
        self.row += 1
        _append(self.ws, self.row, cells, height)

    def blank(self) -> None:
        self.append([])

    def text(self, value: str, **style: Any) -> _StyledCell:
        text = _clean_text(value)
        quoted = bool(text) and text[0] in FORMULA_STARTS
        return _StyledCell(self.ws, self.styles.get(quote_prefix=quoted, **style), text)

    def merged_line(
        self, pairs: Sequence[tuple[tuple[int, int], _StyledCell | None]], height: float | None = None
    ) -> None:
        """One header row: each (block, cell) fills the block, merged when wider than a column."""
        cells: list[_StyledCell | None] = [None] * self.ncols
        for (first, last), cell in pairs:
            if cell is None:
                continue
            cells[first - 1] = cell
            if last > first:
                self.ws.merged_cells.add(
                    f"{get_column_letter(first)}{self.row + 1}:{get_column_letter(last)}{self.row + 1}"
                )
        self.append(cells, height)

    def header_block_rows(self, subtitle: Sequence[str]) -> int:
        """Rows taken by header_block: letterhead (stacked on a one-column sheet), blank, title,
        subtitle lines, blank."""
        return (4 if self.left == self.right else 2) + 1 + 1 + len(subtitle) + 1

    def header_block(self, letterhead: Letterhead, title: str, subtitle: Sequence[str]) -> None:
        center = dict(horizontal="center", size=12)
        blocks = [
            (self.text(letterhead.authority.upper(), **center), self.text(MOTTO[0], bold=True, **center)),
            (
                self.text(letterhead.agency.upper(), bold=True, underline=True, **center),
                self.text(MOTTO[1], bold=True, underline=True, **center),
            ),
        ]
        if self.left == self.right:  # a one-column sheet: stack the two blocks
            for cells in (*(left for left, _ in blocks), *(right for _, right in blocks)):
                self.merged_line([(self.left, cells)])
        else:
            for left, right in blocks:
                self.merged_line([(self.left, left), (self.right, right)])
        self.blank()
        full, total = (1, self.ncols), sum(self.widths)
        title = title.upper()
        lines = wrapped_lines(title, line_em(total, 14, bold=True))
        cell = self.text(title, bold=True, horizontal="center", size=14, wrap=True)
        self.merged_line([(full, cell)], row_height(lines, 14) + 4)
        for line in subtitle:
            lines = wrapped_lines(line, line_em(total, 12))
            cell = self.text(line, italic=True, horizontal="center", size=12, wrap=True)
            self.merged_line([(full, cell)], row_height(lines, 12) if lines > 1 else None)
        self.blank()

    def footer_block(self, letterhead: Letterhead, day: date, signature: Signature) -> None:
        left_col, right_col = _anchor(self.left, self.widths), _anchor(self.right, self.widths)
        center = dict(horizontal="center", size=12)

        def line(left: str, right: str, **style: Any) -> None:
            cells: list[_StyledCell | None] = [None] * self.ncols
            if left:
                cells[left_col - 1] = self.text(left, **style, **center)
            if right:
                cells[right_col - 1] = self.text(right, **style, **center)
            self.append(cells)

        self.blank()
        line("", place_date_line(letterhead.place, day), italic=True)
        left_titles = signature.left_title.split("\n")
        right_titles = signature.right_title.split("\n")
        for index in range(max(len(left_titles), len(right_titles))):
            left = left_titles[index] if index < len(left_titles) else ""
            right = right_titles[index] if index < len(right_titles) else ""
            line(left, right, bold=True)
        line(signature.left_note, signature.right_note, italic=True)
        for _ in range(4):  # room to sign
            self.blank()
        if signature.left_name or signature.right_name:
            line(signature.left_name, signature.right_name, bold=True)

    def page_setup(self, header_row: int | None) -> None:
        ws = self.ws
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = PAPER_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0  # as many pages tall as needed
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.print_options.horizontalCentered = True
        ws.page_margins = PageMargins(left=0.6, right=0.5, top=0.6, bottom=0.7, header=0.3, footer=0.3)
        footer = ws.oddFooter
        if footer is not None:  # always set by openpyxl; its stubs allow None
            footer.center.text = "Trang &P/&N"
            footer.center.size = 10
            footer.center.font = FONT_NAME
        if header_row is not None:
            ws.print_title_rows = f"{header_row}:{header_row}"


def _write_table(
    ws: _StreamingSheet, sheet: Sheet, styles: _Styles, letterhead: Letterhead, day: date
) -> SheetLayout:
    columns = list(sheet.columns)
    if not columns:
        raise ValueError(f"Sheet {sheet.name!r} has no columns")
    all_columns = ([Column("STT", "int", STT_WIDTH)] if sheet.numbered else []) + columns
    widths = [STT_WIDTH if sheet.numbered and i == 0 else _column_width(c) for i, c in enumerate(all_columns)]
    layout = _Layout(ws, widths, styles)
    last_column = get_column_letter(len(all_columns))

    # Everything written before the rows (views, column widths) must be set before the first append.
    header_row = layout.header_block_rows(sheet.subtitle) + 1
    ws.freeze_panes = f"A{header_row + 1}"
    layout.page_setup(header_row)
    layout.header_block(letterhead, sheet.title, sheet.subtitle)
    if layout.row + 1 != header_row:  # the frozen pane above must match what was written
        raise RuntimeError(f"header block wrote {layout.row} rows, expected {header_row - 1}")

    header_style = dict(bold=True, size=11, horizontal="center", wrap=True, border=True, fill="D9E2F3")
    lines = max(
        wrapped_lines(column.header, line_em(w, bold=True))
        for column, w in zip(all_columns, widths, strict=True)
    )
    layout.append([layout.text(column.header, **header_style) for column in all_columns], row_height(lines))

    offset = 1 if sheet.numbered else 0
    writers = [_ColumnWriter(ws, column, styles) for column in columns]
    # (index, ems per line, length below which no text can wrap) of each text column
    wrapping = [
        (index, ems, ems / WIDEST_EM)
        for index, column in enumerate(columns)
        if column.kind == "text"
        for ems in [line_em(widths[index + offset])]
    ]
    stt = _StyledCell(ws, styles.get(size=11, border=True, horizontal="center", number_format="0"))
    width = len(columns)
    count = 0
    for count, values in enumerate(sheet.rows, 1):
        if len(values) != width:
            raise ValueError(
                f"Sheet {sheet.name!r}, data row {count}: {len(values)} values for {width} columns"
            )
        try:
            cells = [writer(value) for writer, value in zip(writers, values, strict=True)]
        except TypeError as error:
            column = next(w.column.header for w, v in zip(writers, values, strict=True) if _fails(w, v))
            raise ValueError(f"Sheet {sheet.name!r}, data row {count}, column {column!r}: {error}") from error
        lines = 1
        for index, ems, short in wrapping:
            text = cells[index]._value
            if text is not None and (len(text) > short or "\n" in text):
                lines = max(lines, wrapped_lines(text, ems))
        if offset:
            stt._value = count
            cells.insert(0, stt)
        _append(ws, header_row + count, cells, row_height(lines) if lines > 1 else None)
    layout.row += count
    last_data_row = header_row + count

    if sheet.totals is not None:
        if len(sheet.totals) != width:
            raise ValueError(f"Sheet {sheet.name!r}, totals: {len(sheet.totals)} values for {width} columns")
        bold_writers = [_ColumnWriter(ws, column, styles, bold=True) for column in columns]
        cells = [writer(value) for writer, value in zip(bold_writers, sheet.totals, strict=True)]
        if sheet.numbered:
            cells.insert(0, _StyledCell(ws, styles.get(size=11, bold=True, border=True, horizontal="center")))
        layout.append(cells)

    ws.auto_filter.ref = f"A{header_row}:{last_column}{last_data_row}"
    if sheet.signature is not None:
        layout.footer_block(letterhead, day, sheet.signature)
    return SheetLayout(ws.title, header_row, header_row + 1, last_data_row, count, last_column)


def _append(ws: _StreamingSheet, row: int, cells: Sequence[_StyledCell | None], height: float | None) -> None:
    """Append a row; a height is given to the writer through row_dimensions just for this row."""
    if height is None:
        ws.append(cells)
    else:
        ws.row_dimensions[row] = _height_attributes(height)
        ws.append(cells)
        del ws.row_dimensions[row]  # keeps memory flat on long sheets


@lru_cache(maxsize=64)
def _height_attributes(height: float) -> dict[str, str]:
    return {"ht": f"{height:g}", "customHeight": "1"}


def _fails(writer: _ColumnWriter, value: Any) -> bool:
    try:
        writer(value)
    except TypeError:
        return True
    return False


def _write_notes(
    ws: _StreamingSheet, sheet: NotesSheet, styles: _Styles, letterhead: Letterhead, day: date
) -> SheetLayout:
    widths = [40.0, 90.0]
    layout = _Layout(ws, widths, styles)
    layout.page_setup(None)
    layout.header_block(letterhead, sheet.title, sheet.subtitle)
    first = layout.row + 1
    label_style = dict(bold=True, size=12, vertical="top", wrap=True, border=True, indent=1)
    text_style = dict(size=12, vertical="top", wrap=True, border=True, indent=1)
    for label, text in sheet.items:
        lines = max(
            wrapped_lines(_clean_text(label), line_em(widths[0], 12, bold=True, indent=1)),
            wrapped_lines(_clean_text(text), line_em(widths[1], 12, indent=1)),
        )
        layout.append(
            [layout.text(label, **label_style), layout.text(text, **text_style)], row_height(lines, 12)
        )
    if sheet.signature is not None:
        layout.footer_block(letterhead, day, sheet.signature)
    count = len(sheet.items)
    return SheetLayout(ws.title, first - 1, first, first + count - 1, count, "B")
