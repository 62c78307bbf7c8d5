"""Reading lists from .xlsx files and writing their blank templates — the second and last module
that imports openpyxl (workbook.py writes the reports; this one reads what organisers upload).

Pure: bytes in, plain values out; no Flask, no database.

``read_table(data, headers, *, max_rows=MAX_ROWS) -> list[SheetRow]``
    The first sheet's rows under a header row that must equal ``headers`` (case, spaces and
    diacritics must match after NFC; extra empty columns are ignored). Raises ``BadFile`` with a
    Vietnamese message for anything that is not a readable .xlsx (a renamed .exe, an .xls, an
    empty or truncated file, a zip bomb) and ``WrongTemplate`` when the headers differ. Blank rows
    are skipped; cell values come back as str (stripped, NFC), int/float, date/datetime or None.
``template_bytes(headers, *, examples=(), notes=(), choices=None, sheet="Danh sách") -> bytes``
    A one-header-row workbook to fill in: widths, frozen header, an optional drop-down list per
    column (``choices``: header → allowed values) and a "Hướng dẫn" sheet with the notes.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from app.spreadsheet.workbook import put_text
from app.text import tidy

MAX_BYTES = 5 * 1024 * 1024
MAX_UNPACKED = 60 * 1024 * 1024  # a real list of a few thousand rows unpacks to a few MB
MAX_ROWS = 5000


class BadFile(ValueError):
    """Not a readable .xlsx; the message is Vietnamese and says what to do."""


class WrongTemplate(ValueError):
    """The header row is not the template's."""


@dataclass(frozen=True)
class SheetRow:
    number: int  # the row number Excel shows, for messages ("Dòng 7: …")
    values: dict[str, Any]


def _text(value: Any) -> Any:
    return tidy(value) if isinstance(value, str) else value


def _header(value: Any) -> str:
    return tidy(str(value or ""), one_line=True).casefold()


def read_table(data: bytes, headers: Sequence[str], *, max_rows: int = MAX_ROWS) -> list[SheetRow]:
    if not data:
        raise BadFile("Tệp rỗng. Hãy chọn tệp Excel (.xlsx) đã điền theo mẫu.")
    if len(data) > MAX_BYTES:
        raise BadFile(f"Tệp quá lớn (tối đa {MAX_BYTES // (1024 * 1024)} MB).")
    if data[:2] == b"MZ":
        raise BadFile("Đây là một tệp chương trình, không phải bảng tính. Hãy chọn tệp .xlsx theo mẫu.")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise BadFile("Đây là tệp Excel cũ (.xls). Hãy mở trong Excel và lưu lại dưới dạng .xlsx.")
    if data[:4] != b"PK\x03\x04":
        raise BadFile("Tệp không phải là bảng tính Excel (.xlsx). Hãy tải mẫu về, điền và tải lên lại.")
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            names = archive.namelist()
            if "xl/workbook.xml" not in names:
                raise BadFile("Tệp nén này không phải bảng tính Excel (.xlsx).")
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED:
                raise BadFile("Tệp có nội dung quá lớn so với một danh sách. Hãy chia nhỏ danh sách.")
        workbook = load_workbook(BytesIO(data), read_only=True, data_only=True)
    except BadFile:
        raise
    except Exception as error:  # openpyxl raises many kinds on a broken file
        raise BadFile("Không đọc được tệp Excel (tệp hỏng hoặc không đúng định dạng .xlsx).") from error
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        first = next(rows, None)
        expected = [_header(h) for h in headers]
        found = [_header(v) for v in (first or ())]
        while found and not found[-1]:
            found.pop()
        if found != expected:
            shown = ", ".join(str(v) for v in (first or ()) if v not in (None, "")) or "(trống)"
            raise WrongTemplate(
                "Tệp không đúng mẫu: dòng đầu phải là các cột "
                + ", ".join(f"“{h}”" for h in headers)
                + f". Dòng đầu của tệp là: {shown}. Hãy tải mẫu về và điền vào đó."
            )
        result: list[SheetRow] = []
        for number, row in enumerate(rows, start=2):
            cells = list(row[: len(headers)]) + [None] * max(0, len(headers) - len(row))
            values = {h: _text(v) for h, v in zip(headers, cells, strict=True)}
            if all(v in (None, "") for v in values.values()):
                continue
            if len(result) >= max_rows:
                raise BadFile(
                    f"Danh sách có hơn {max_rows:,} dòng. Hãy chia thành nhiều tệp.".replace(",", ".")
                )
            result.append(SheetRow(number, values))
        return result
    except (BadFile, WrongTemplate):
        raise
    except Exception as error:
        raise BadFile("Không đọc được nội dung tệp Excel (tệp hỏng).") from error
    finally:
        workbook.close()


def template_bytes(
    headers: Sequence[str],
    *,
    examples: Sequence[Sequence[Any]] = (),
    notes: Sequence[str] = (),
    choices: Mapping[str, Sequence[str]] | None = None,
    widths: Mapping[str, float] | None = None,
    sheet: str = "Danh sách",
) -> bytes:
    workbook = Workbook()
    ws = workbook.worksheets[0]  # a new workbook's one sheet (`active`, typed as maybe None)
    ws.title = sheet
    for index, header in enumerate(headers, start=1):
        put_text(ws.cell(row=1, column=index), header)
    bold = Font(name="Times New Roman", bold=True, size=12)
    fill = PatternFill("solid", start_color="D9E2F3", end_color="D9E2F3")
    for index, header in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=index)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = (widths or {}).get(header, max(16, len(header) + 4))
        # Text columns stay text: a phone number typed as 0905… keeps its leading zero.
        for row in range(2, 1002):
            ws.cell(row=row, column=index).number_format = "@"
    for row, example in enumerate(examples, start=2):
        for index, value in enumerate(example, start=1):
            put_text(ws.cell(row=row, column=index), None if value is None else str(value))
    ws.freeze_panes = "A2"
    guide = workbook.create_sheet("Hướng dẫn")
    guide.column_dimensions["A"].width = 110
    put_text(guide["A1"], "Hướng dẫn điền danh sách")
    guide["A1"].font = bold
    for row, line in enumerate(notes, start=2):
        put_text(guide.cell(row=row, column=1), line)
    if choices:
        lists = workbook.create_sheet("Danh mục")
        for index, header in enumerate(headers, start=1):
            allowed = list((choices or {}).get(header, ()))
            if not allowed:
                continue
            col = get_column_letter(index)
            put_text(lists.cell(row=1, column=index), header)
            lists.cell(row=1, column=index).font = bold
            for offset, value in enumerate(allowed, start=2):
                put_text(lists.cell(row=offset, column=index), value)
            rule = DataValidation(
                type="list",
                formula1=f"{quote_sheetname(lists.title)}!${col}$2:${col}${len(allowed) + 1}",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="Giá trị không có trong danh mục",
                error="Hãy chọn một giá trị trong danh sách.",
            )
            ws.add_data_validation(rule)
            rule.add(f"{get_column_letter(index)}2:{get_column_letter(index)}1001")
    stream = BytesIO()
    workbook.save(stream)
    return stream.getvalue()
