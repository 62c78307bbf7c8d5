"""The workbook module: every file is opened again with openpyxl (and once with LibreOffice)."""

import os
import re
import shutil
import subprocess
import tracemalloc
import unicodedata
import zipfile
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from app.spreadsheet.collation import name_sort_key
from app.spreadsheet.workbook import (
    Column,
    Letterhead,
    NotesSheet,
    Sheet,
    Signature,
    place_date_line,
    workbook_bytes,
    write_workbook,
)

REPORT_DAY = date(2024, 10, 7)
TITLE = "Kết quả chấm vòng sơ khảo cuộc thi ý tưởng khởi nghiệp đổi mới sáng tạo năm 2024"
RANKING_COLUMNS = [
    Column("Mã hồ sơ", width=13),
    Column("Tên ý tưởng", width=34),
    Column("Trưởng nhóm", width=22),
    Column("GK 1", "decimal", 7),
    Column("GK 2", "decimal", 7),
    Column("Điểm tổng hợp", "decimal"),
    Column("Xếp hạng", "int"),
    Column("Tỷ lệ đạt", "percent"),
    Column("Ngày nộp", "date"),
    Column("Nộp lúc", "datetime"),
    Column("Ghi chú", width=18),
]
LEADERS = ["Lê Văn Đức", "Trần Thị Bình", "Nguyễn Văn Anh", "Đặng Văn An", "Nguyễn Văn Ân"]


def ranking_rows():
    for index, leader in enumerate(sorted(LEADERS, key=name_sort_key)):
        yield [
            f"HS-{index + 1:03d}",
            "Ứng dụng chuyển đổi số cho hợp tác xã nông nghiệp huyện Tư Nghĩa"
            if index == 1
            else "Tỏi Lý Sơn",
            leader,
            7.5 + index,
            Decimal("8.25"),
            8.123456,
            index + 1,
            0.5,
            date(2024, 10, 5),
            datetime(2024, 10, 5, 1, 30, tzinfo=UTC),
            None,
        ]


def results_workbook(path, **kwargs):
    judge_columns = [
        Column("Mã hồ sơ"),
        Column("Giám khảo"),
        Column("Tính mới", "decimal"),
        Column("Tổng", "decimal"),
    ]
    sheets = [
        Sheet("Xếp hạng", TITLE, RANKING_COLUMNS, ranking_rows(), subtitle=["Bảng A — Vòng sơ khảo"]),
        Sheet(
            "Điểm chi tiết",
            "Điểm của từng giám khảo theo tiêu chí",
            judge_columns,
            [["HS-001", "Phạm Thị Hoa", 8.5, 85.0], ["HS-001", "Võ Minh Khang", 9.0, 90.0]],
        ),
        NotesSheet(
            "Phương pháp",
            "Phương pháp xếp hạng",
            [
                ("Phương pháp tổng hợp", "Trung bình cộng điểm của các giám khảo."),
                ("Khi bằng điểm", "Xét 'Tính mới'."),
            ],
        ),
    ]
    return write_workbook(path, sheets, report_date=REPORT_DAY, **kwargs)


@pytest.fixture
def results(tmp_path):
    path = tmp_path / "ket-qua.xlsx"
    layouts = results_workbook(path)
    return path, layouts, load_workbook(path)


def sheet_xml(path, index: int) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(f"xl/worksheets/sheet{index}.xml").decode()


def row_values(ws, row: int) -> list:
    return [cell.value for cell in ws[row]]


def texts(ws) -> list[str]:
    return [cell.value for row in ws.iter_rows() for cell in row if isinstance(cell.value, str)]


# --- structure -----------------------------------------------------------------------------------


def test_sheet_names_and_layouts(results):
    path, layouts, wb = results
    assert wb.sheetnames == ["Xếp hạng", "Điểm chi tiết", "Phương pháp"]
    ranking = layouts[0]
    # 2 header-block rows, a blank, title, one subtitle, a blank → the table header on row 7.
    assert (ranking.header_row, ranking.first_data_row, ranking.last_data_row) == (7, 8, 12)
    assert ranking.data_rows == 5 and ranking.last_column == "L"
    assert layouts[1].header_row == 6 and layouts[1].data_rows == 2  # no subtitle


def test_government_header_block_and_title(results):
    _, _, wb = results
    ws = wb["Xếp hạng"]
    assert ws["A1"].value == "UBND TỈNH QUẢNG NGÃI" and not ws["A1"].font.b
    assert ws["A2"].value == "SỞ KHOA HỌC VÀ CÔNG NGHỆ"
    assert ws["A2"].font.b and ws["A2"].font.u == "single"
    right = [cell for cell in ws[1][1:] if cell.value]
    assert [cell.value for cell in right] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"] and right[0].font.b
    motto = ws.cell(row=2, column=right[0].column)
    assert motto.value == "Độc lập - Tự do - Hạnh phúc" and motto.font.b and motto.font.u == "single"
    assert (
        ws["A4"].value
        == TITLE.upper()
        == ("KẾT QUẢ CHẤM VÒNG SƠ KHẢO CUỘC THI Ý TƯỞNG KHỞI NGHIỆP ĐỔI MỚI SÁNG TẠO NĂM 2024")
    )
    assert ws["A4"].font.b and ws["A4"].font.sz == 14 and ws["A4"].alignment.horizontal == "center"
    assert ws["A5"].value == "Bảng A — Vòng sơ khảo" and ws["A5"].font.i
    assert ws["A1"].font.name == "Times New Roman"


def test_header_row_stt_and_column_widths(results):
    _, layouts, wb = results
    ws = wb["Xếp hạng"]
    header = layouts[0].header_row
    assert row_values(ws, header) == ["STT"] + [column.header for column in RANKING_COLUMNS]
    assert all(cell.font.b and cell.border.bottom.style == "thin" for cell in ws[header])
    assert [ws.cell(row=r, column=1).value for r in range(header + 1, header + 6)] == [1, 2, 3, 4, 5]
    assert ws.column_dimensions["A"].width == 6
    assert ws.column_dimensions["C"].width == 34
    assert ws.column_dimensions["J"].width == 12  # default for a date
    # A header word never has to break: "Điểm tổng hợp" keeps the decimal default, "Xếp hạng" too.
    assert ws.column_dimensions["G"].width >= len("Điểm") + 2


def test_cell_values_and_types(results):
    _, layouts, wb = results
    ws = wb["Xếp hạng"]
    first = layouts[0].first_data_row
    row = {ws.cell(row=layouts[0].header_row, column=c.column).value: c for c in ws[first]}
    assert row["Mã hồ sơ"].value == "HS-001" and row["Mã hồ sơ"].data_type == "s"
    assert row["Trưởng nhóm"].value == "Đặng Văn An"
    assert row["GK 1"].value == 7.5 and row["GK 1"].data_type == "n" and row["GK 1"].number_format == "0.00"
    assert row["GK 2"].value == 8.25 and row["GK 2"].data_type == "n"
    assert row["Điểm tổng hợp"].value == pytest.approx(8.123456)  # stored as given, shown with 2 places
    assert row["Xếp hạng"].value == 1 and isinstance(row["Xếp hạng"].value, int)
    assert row["Tỷ lệ đạt"].value == 0.5 and row["Tỷ lệ đạt"].number_format == "0.00%"
    assert row["Ngày nộp"].is_date and row["Ngày nộp"].number_format == "dd/mm/yyyy"
    assert row["Ngày nộp"].value == datetime(2024, 10, 5)
    # 01:30 UTC is 08:30 in Quảng Ngãi; Excel has no time zones, so the cell holds the local time.
    assert row["Nộp lúc"].is_date and row["Nộp lúc"].number_format == "dd/mm/yyyy hh:mm"
    assert row["Nộp lúc"].value == datetime(2024, 10, 5, 8, 30)
    assert row["Ghi chú"].value is None and row["Ghi chú"].border.left.style == "thin"  # empty but ruled
    assert row["STT"].value == 1


def test_people_listed_the_vietnamese_way(results):
    _, layouts, wb = results
    ws = wb["Xếp hạng"]
    leaders = [
        ws.cell(row=r, column=4).value for r in range(layouts[0].first_data_row, layouts[0].last_data_row + 1)
    ]
    assert leaders == ["Đặng Văn An", "Nguyễn Văn Anh", "Nguyễn Văn Ân", "Trần Thị Bình", "Lê Văn Đức"]


def test_freeze_panes_autofilter_and_print_setup(results):
    _, layouts, wb = results
    for ws, layout in zip(wb.worksheets[:2], layouts[:2], strict=True):
        header = layout.header_row
        assert ws.freeze_panes == f"A{header + 1}"
        assert ws.auto_filter.ref == f"A{header}:{layout.last_column}{layout.last_data_row}"
        assert ws.print_title_rows == f"${header}:${header}"
        assert ws.page_setup.orientation == "landscape"
        assert int(ws.page_setup.paperSize) == 9  # A4
        assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text


def test_merged_cells_only_in_the_header_block(results):
    _, layouts, wb = results
    for ws, layout in zip(wb.worksheets, layouts, strict=True):
        ranges = list(ws.merged_cells.ranges)
        assert ranges, ws.title
        assert all(r.max_row < layout.header_row for r in ranges), ws.title
        assert all(r.min_row == r.max_row for r in ranges)  # one row each
    title_merge = [str(r) for r in wb["Xếp hạng"].merged_cells.ranges if r.min_row == 4]
    assert title_merge == ["A4:L4"]


def test_footer_with_place_date_and_signature_block(results):
    _, layouts, wb = results
    ws = wb["Xếp hạng"]
    after = [
        (cell.row, cell.column, cell.value)
        for row in ws.iter_rows(min_row=layouts[0].last_data_row + 1)
        for cell in row
        if cell.value
    ]
    values = [value for _, _, value in after]
    assert values[:5] == [
        "Quảng Ngãi, ngày 07 tháng 10 năm 2024",
        "Người lập biểu",
        "Thủ trưởng đơn vị",
        "(Ký, ghi rõ họ tên)",
        "(Ký, ghi rõ họ tên, đóng dấu)",
    ]
    place_col = after[0][1]
    left_col, right_col = after[1][1], after[2][1]
    assert left_col < right_col and place_col == right_col
    assert ws.cell(row=after[1][0], column=left_col).font.b


def test_place_date_line_follows_decree_30():
    assert place_date_line("Quảng Ngãi", date(2024, 3, 5)) == "Quảng Ngãi, ngày 05 tháng 3 năm 2024"
    assert place_date_line("Quảng Ngãi", date(2025, 1, 9)) == "Quảng Ngãi, ngày 09 tháng 01 năm 2025"
    assert place_date_line("Quảng Ngãi", date(2025, 2, 28)) == "Quảng Ngãi, ngày 28 tháng 02 năm 2025"
    assert place_date_line("Quảng Ngãi", date(2025, 12, 10)) == "Quảng Ngãi, ngày 10 tháng 12 năm 2025"


def test_configurable_signature_letterhead_and_no_footer(tmp_path):
    path = tmp_path / "a.xlsx"
    signature = Signature(
        right_title="KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC", left_name="Lê Thị Hoa", right_name="Trần Văn Nam"
    )
    sheets = [
        Sheet("Có ký", "Danh sách", [Column("Họ và tên")], [["Võ Thị Sáu"]], signature=signature),
        Sheet("Không ký", "Danh sách", [Column("Họ và tên")], [["Võ Thị Sáu"]], signature=None),
    ]
    letterhead = Letterhead(
        authority="UBND tỉnh Quảng Ngãi", agency="Trung tâm Đổi mới sáng tạo", place="Quảng Ngãi"
    )
    write_workbook(path, sheets, letterhead=letterhead, report_date=date(2026, 1, 2))
    wb = load_workbook(path)
    signed, unsigned = (texts(ws) for ws in wb.worksheets)
    assert signed[0] == "UBND TỈNH QUẢNG NGÃI" and "TRUNG TÂM ĐỔI MỚI SÁNG TẠO" in signed
    tail = signed[signed.index("Võ Thị Sáu") + 1 :]
    assert tail == [
        "Quảng Ngãi, ngày 02 tháng 01 năm 2026",
        "Người lập biểu",
        "KT. GIÁM ĐỐC",
        "PHÓ GIÁM ĐỐC",
        "(Ký, ghi rõ họ tên)",
        "(Ký, ghi rõ họ tên, đóng dấu)",
        "Lê Thị Hoa",
        "Trần Văn Nam",
    ]
    assert unsigned[-1] == "Võ Thị Sáu"


def test_notes_sheet(results):
    _, _, wb = results
    ws = wb["Phương pháp"]
    assert ws["A4"].value == "PHƯƠNG PHÁP XẾP HẠNG"
    assert row_values(ws, 6) == ["Phương pháp tổng hợp", "Trung bình cộng điểm của các giám khảo."]
    assert row_values(ws, 7) == ["Khi bằng điểm", "Xét 'Tính mới'."]
    assert ws["A6"].font.b and ws.page_setup.orientation == "landscape"


def test_totals_row_is_bold_and_outside_the_filter(tmp_path):
    path = tmp_path / "t.xlsx"
    columns = [Column("Xã/phường"), Column("Số hồ sơ", "int")]
    sheet = Sheet(
        "Tổng hợp", "Số hồ sơ theo xã", columns, [["Tịnh Hà", 3], ["Nghĩa Lộ", 5]], totals=["Tổng cộng", 8]
    )
    (layout,) = write_workbook(path, [sheet], report_date=REPORT_DAY)
    ws = load_workbook(path).active
    totals = ws[layout.last_data_row + 1]
    assert [cell.value for cell in totals] == [None, "Tổng cộng", 8]
    assert all(cell.font.b for cell in totals)
    assert ws.auto_filter.ref == f"A{layout.header_row}:C{layout.last_data_row}"


# --- text safety ---------------------------------------------------------------------------------

FORMULA_LIKE = [
    "=1+2",
    '=HYPERLINK("http://x.vn","bấm")',
    "+84912345678",
    "-5",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "＝1",
]


def test_formula_looking_text_is_stored_as_text_never_as_a_formula(tmp_path):
    path = tmp_path / "f.xlsx"
    rows = [[text, text] for text in FORMULA_LIKE]
    notes = NotesSheet("Ghi chú", "=cmd|' /C calc'!A0", [("=1+1", "-2+3")])
    write_workbook(path, [Sheet("=SUM(A1)", "=1+1", [Column("Nội dung"), Column("Khác")], rows), notes])
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    assert ws.title == "=SUM(A1)"
    assert ws["A4"].value == "=1+1" and ws["A4"].data_type == "s"
    stored = [ws.cell(row=r, column=2) for r in range(7, 7 + len(FORMULA_LIKE))]
    assert [cell.value for cell in stored] == [text.replace("\r", "\n") for text in FORMULA_LIKE]
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in stored)
    assert all(cell.data_type == "s" for row in wb.worksheets[1].iter_rows() for cell in row if cell.value)
    for index in (1, 2):
        xml = sheet_xml(path, index)
        assert "<f>" not in xml and "<f " not in xml
    # An ordinary text cell does not get the quote prefix.
    write_workbook(path, [Sheet("S", "T", [Column("Tên")], [["Nguyễn Văn An"]])])
    assert not load_workbook(path).active["B7"].quotePrefix


def test_vietnamese_text_round_trips_in_nfc(tmp_path):
    path = tmp_path / "vi.xlsx"
    pangram = "Ăn quả nhớ kẻ trồng cây — Đặng Thị Ngọc Hưởng, Ủy ban nhân dân xã Tịnh Ấn Tây, ỹ ự ẫ ỡ"
    rows = [[pangram], [unicodedata.normalize("NFD", pangram)]]
    write_workbook(path, [Sheet("Tiếng Việt", "Tiêu đề có dấu", [Column("Nội dung", width=60)], rows)])
    ws = load_workbook(path)["Tiếng Việt"]
    assert ws["B7"].value == pangram and ws["B8"].value == pangram  # NFD input comes out NFC


def test_control_characters_removed_and_long_text_cut(tmp_path):
    path = tmp_path / "c.xlsx"
    rows = [["Dòng\x00một\x07\x1b"], ["tab\tvà\r\nxuống dòng"], ["x" * 40_000], [True], [12345]]
    write_workbook(path, [Sheet("S", "T", [Column("Nội dung")], rows)])
    ws = load_workbook(path).active
    assert [ws.cell(row=r, column=2).value for r in (7, 8)] == ["Dòngmột", "tab\tvà\nxuống dòng"]
    assert len(ws["B9"].value) == 32_767
    assert ws["B10"].value == "Có" and ws["B11"].value == "12345" and ws["B11"].data_type == "s"


def test_sheet_names_are_cleaned_and_unique(tmp_path):
    path = tmp_path / "n.xlsx"
    names = ["Kết quả: vòng 1/2", "kết quả  vòng 1 2", "A" * 40, "A" * 40, "'Trích'", "?*[]"]
    write_workbook(path, [Sheet(name, "T", [Column("X")], []) for name in names])
    assert load_workbook(path).sheetnames == [
        "Kết quả vòng 1 2",
        "kết quả vòng 1 2 (2)",
        "A" * 31,
        "A" * 27 + " (2)",
        "Trích",
        "Trang tính",
    ]


# --- wrong input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        (Column("Điểm", "decimal"), "7.5"),
        (Column("Điểm", "decimal"), float("nan")),
        (Column("Điểm", "decimal"), Decimal("Infinity")),
        (Column("Điểm", "decimal"), True),
        (Column("Số", "int"), 2.5),
        (Column("Số", "int"), "3"),
        (Column("Ngày", "date"), "05/10/2024"),
        (Column("Lúc", "datetime"), date(2024, 10, 5)),
    ],
)
def test_a_value_of_the_wrong_type_names_sheet_row_and_column(tmp_path, column, value):
    rows = [[1, None], [2, value]]
    with pytest.raises(ValueError, match=rf"'Điểm danh', data row 2, column '{column.header}'"):
        write_workbook(
            tmp_path / "x.xlsx", [Sheet("Điểm danh", "T", [Column("STT gốc", "int"), column], rows)]
        )


def test_rows_of_the_wrong_length_and_other_misuse(tmp_path):
    with pytest.raises(ValueError, match="data row 2: 1 values for 2 columns"):
        write_workbook(
            tmp_path / "x.xlsx", [Sheet("S", "T", [Column("A"), Column("B")], [["a", "b"], ["a"]])]
        )
    with pytest.raises(ValueError, match="no columns"):
        write_workbook(tmp_path / "x.xlsx", [Sheet("S", "T", [], [])])
    with pytest.raises(ValueError, match="at least one sheet"):
        write_workbook(tmp_path / "x.xlsx", [])
    with pytest.raises(ValueError, match="Unknown column kind"):
        Column("A", "money")


def test_whole_numbers_in_other_types_and_naive_datetimes(tmp_path):
    path = tmp_path / "x.xlsx"
    columns = [Column("Số", "int"), Column("Lúc", "datetime"), Column("Ngày", "date")]
    plus_two = timezone(timedelta(hours=2))
    rows = [
        [3.0, datetime(2024, 1, 1, 17, 30), datetime(2024, 1, 1, 17, 30, tzinfo=UTC)],  # naive = UTC
        [Decimal("4"), datetime(2024, 1, 1, 12, 0, tzinfo=plus_two), None],
    ]
    write_workbook(path, [Sheet("S", "T", columns, rows)])
    ws = load_workbook(path).active
    assert ws["B7"].value == 3 and ws["B8"].value == 4
    assert ws["C7"].value == datetime(2024, 1, 2, 0, 30) and ws["C8"].value == datetime(2024, 1, 1, 17, 0)
    assert ws["D7"].value == datetime(2024, 1, 2)  # the local date of 17:30 UTC


# --- output targets, sizes, streaming -------------------------------------------------------------


def test_bytes_and_streams(tmp_path):
    data = workbook_bytes([Sheet("S", "T", [Column("X")], [["một"]])], report_date=REPORT_DAY)
    assert data[:2] == b"PK"
    assert load_workbook(BytesIO(data)).active["B7"].value == "một"
    with open(tmp_path / "s.xlsx", "wb") as stream:
        write_workbook(stream, [Sheet("S", "T", [Column("X")], [["hai"]])])
    assert load_workbook(tmp_path / "s.xlsx").active["B7"].value == "hai"


def test_empty_sheet_still_has_header_filter_and_footer(tmp_path):
    path = tmp_path / "e.xlsx"
    (layout,) = write_workbook(
        path, [Sheet("Trống", "Không có dữ liệu", [Column("A"), Column("B")], iter([]))]
    )
    ws = load_workbook(path).active
    assert layout.data_rows == 0 and ws.auto_filter.ref == "A6:C6"
    assert "Người lập biểu" in texts(ws)


def test_single_column_sheet_stacks_the_header_block(tmp_path):
    path = tmp_path / "one.xlsx"
    write_workbook(path, [Sheet("Một cột", "Danh sách", [Column("Họ và tên")], [["An"]], numbered=False)])
    ws = load_workbook(path).active
    assert [ws.cell(row=r, column=1).value for r in range(1, 5)] == [
        "UBND TỈNH QUẢNG NGÃI",
        "SỞ KHOA HỌC VÀ CÔNG NGHỆ",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
    ]
    assert ws["A8"].value == "Họ và tên" and ws["A9"].value == "An" and not ws.merged_cells.ranges


def test_wrapped_rows_get_a_height_and_short_ones_do_not(results):
    _, layouts, wb = results
    ws = wb["Xếp hạng"]
    first = layouts[0].first_data_row
    assert ws.row_dimensions[first + 1].height > 2 * 11  # the long idea title wraps to two lines
    assert ws.row_dimensions[first].height is None


def test_rows_are_streamed_so_memory_stays_flat(tmp_path):
    columns = [Column("Họ và tên"), Column("Email"), Column("Điểm", "decimal"), Column("Lúc", "datetime")]
    moment = datetime(2024, 10, 5, 1, 30, tzinfo=UTC)

    def rows(count):
        for index in range(count):
            yield [f"Nguyễn Văn An {index}", f"an{index}@example.vn", index / 7, moment]

    def peak(count):
        tracemalloc.start()
        write_workbook(tmp_path / f"{count}.xlsx", [Sheet("S", "T", columns, rows(count))])
        peak_bytes = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak_bytes

    small, large = peak(1_000), peak(20_000)
    # Twenty times the rows, about the same memory (a normal-mode workbook would grow ~20x).
    assert large < small + 2_000_000, (small, large)
    ws = load_workbook(tmp_path / "20000.xlsx", read_only=True).active
    assert sum(1 for row in ws.iter_rows(min_row=7, max_col=2, values_only=True) if row[0]) == 20_000


# --- LibreOffice ---------------------------------------------------------------------------------


def test_libreoffice_opens_the_workbook_and_prints_it_on_a4_landscape(tmp_path):
    soffice, pdftotext = shutil.which("soffice"), shutil.which("pdftotext")
    assert soffice and pdftotext, "LibreOffice and poppler-utils are missing: run `make libreoffice`"
    path = tmp_path / "ket-qua.xlsx"
    results_workbook(path)
    profile = tmp_path / "lo-profile"  # a private profile: parallel runs do not share a lock
    completed = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf"]
        + ["--outdir", str(tmp_path), str(path)],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    pdf = tmp_path / "ket-qua.pdf"
    assert completed.returncode == 0 and pdf.exists(), completed.stderr
    first_page = subprocess.run(
        [pdftotext, "-layout", "-f", "1", "-l", "1", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "KẾT QUẢ CHẤM VÒNG SƠ KHẢO CUỘC THI Ý TƯỞNG KHỞI NGHIỆP ĐỔI MỚI SÁNG TẠO NĂM 2024" in first_page
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in first_page and "SỞ KHOA HỌC VÀ CÔNG NGHỆ" in first_page
    assert "Nguyễn Văn Ân" in first_page and "Lê Văn Đức" in first_page
    assert "05/10/2024 08:30" in first_page and "8.12" in first_page and "50.00%" in first_page
    assert "Quảng Ngãi, ngày 07 tháng 10 năm 2024" in first_page and "Trang 1/3" in first_page
    # Fit to width: the last column is on the first page, not pushed to a page of its own.
    assert "Ghi chú" in first_page
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+3$", info, re.M)  # one page per sheet
    width, height = map(
        float, re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts \(A4\)", info, re.M).groups()
    )
    assert width > height  # landscape
