"""Exports opened with openpyxl: sheets, headers, values and types, panes, filters, Vietnamese order,
formula-looking text; the annual report's aggregates and consent rules; the guest import."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.events import guests
from app.events.models import Attendee
from app.exports import annual_report, dashboard, downloads, permissions
from app.extensions import db
from app.privacy.models import Consent


def open_export(export, tmp_path):
    path = tmp_path / export.filename
    downloads.write_export(export, path)
    return load_workbook(path)


def table(ws) -> tuple[int, list, list[list]]:
    """(header row number, header values, data rows up to the first empty STT) of a table sheet."""
    header_row = next(r for r in range(1, 20) if ws.cell(r, 1).value == "STT")
    headers = [c.value for c in ws[header_row]]
    rows = []
    for row in ws.iter_rows(min_row=header_row + 1, values_only=True):
        if not isinstance(row[0], int):
            break
        rows.append(list(row))
    return header_row, headers, rows


def assert_table_layout(ws, header_row: int, count: int) -> None:
    assert ws.freeze_panes == f"A{header_row + 1}"
    assert ws.auto_filter.ref.startswith(f"A{header_row}:")
    assert ws.auto_filter.ref.endswith(str(header_row + count))


# --- results ---------------------------------------------------------------------------------------


def test_results_workbook_ranking_judges_and_method(world, tmp_path):
    wb = open_export(downloads.results_export(world.round), tmp_path)
    assert wb.sheetnames == ["Xếp hạng", "Điểm từng giám khảo", "Phương pháp"]
    ws = wb["Xếp hạng"]
    header_row, headers, rows = table(ws)
    # Judges' columns in Vietnamese order: Lan < Nam < Tuấn (by tên).
    assert headers == [
        "STT",
        "Mã hồ sơ",
        "Tên ý tưởng",
        "Bảng",
        "Trưởng nhóm",
        "GK Phan Thị Lan",
        "GK Lê Hoàng Nam",
        "GK Nguyễn Minh Tuấn",
        "Điểm tổng hợp",
        "Hạng",
        "Đi tiếp",
        "Giải",
        "Ô điểm giám khảo để trống",
    ]
    assert_table_layout(ws, header_row, 6)
    assert [r[1] for r in rows] == [
        "YT24-0001",
        "YT24-0003",
        "YT24-0005",
        "YT24-0002",
        "YT24-0004",
        "YT24-0006",
    ]
    first = rows[0]
    assert first[0] == 1 and first[3] == "Bảng Ý tưởng" and first[4] == "Lê Văn Đức"
    assert all(isinstance(v, (int, float)) for v in first[5:9]) and isinstance(first[9], int)
    assert first[8] == pytest.approx(94.0) and first[9] == 1 and first[10] == "Đi tiếp"
    assert rows[2][10] == "Dừng"  # top 2 per track advance
    score_cell = ws.cell(header_row + 1, 9)
    assert score_cell.data_type == "n" and score_cell.number_format == "0.00"
    # The unsubmitted sheet leaves that judge's cell empty; the aggregate uses submitted sheets.
    last = rows[-1]
    assert last[1] == "YT24-0006" and last[5] is None and isinstance(last[8], (int, float))
    # Formula-looking titles are text, never formulas.
    title_cell = next(
        ws.cell(r, 3) for r in range(header_row + 1, header_row + 7) if ws.cell(r, 2).value == "YT24-0002"
    )
    assert title_cell.value == "=1+1 Tỏi đen Lý Sơn" and title_cell.data_type == "s"

    detail = wb["Điểm từng giám khảo"]
    d_row, d_headers, d_rows = table(detail)
    assert d_headers[:5] == ["STT", "Mã hồ sơ", "Tên ý tưởng", "Giám khảo", "Phiếu"]
    assert d_headers[-2:] == ["Tổng", "Nộp lúc"] and len(d_headers) == 5 + 6 + 2
    assert len(d_rows) == 18
    assert [r[3] for r in d_rows[:3]] == ["Phan Thị Lan", "Lê Hoàng Nam", "Nguyễn Minh Tuấn"]
    assert isinstance(d_rows[0][-1], datetime) and isinstance(d_rows[0][5], (int, float))
    assert d_rows[0][-2] == pytest.approx(sum(d_rows[0][5:11]))
    unsubmitted = [r for r in d_rows if r[1] == "YT24-0006" and r[3] == "Phan Thị Lan"][0]
    assert unsubmitted[5] is None and unsubmitted[-1] is None and unsubmitted[4] != "Đã nộp"
    assert_table_layout(detail, d_row, 18)

    notes = {row[0]: row[1] for row in wb["Phương pháp"].iter_rows(values_only=True) if row[0] and row[1]}
    assert notes["Phương pháp tổng hợp điểm"] == "Trung bình cộng"
    assert "2 hồ sơ điểm cao nhất mỗi bảng" in notes["Điều kiện đi tiếp"]
    assert "Còn 1 phiếu chấm chưa nộp" in notes["Lưu ý"]


def test_round_lookup_by_number_and_permissions(world, make_user):
    assert permissions.round_of(world.contest, 1).id == world.round.id
    with pytest.raises(NotFound, match="không có vòng 2"):
        permissions.round_of(world.contest, 2)
    with pytest.raises(PermissionDenied):
        permissions.round_for_user(world.co_organiser, world.round.id)
    with pytest.raises(PermissionDenied):
        permissions.contest_for_user(world.co_organiser, world.contest.slug)
    assert (
        permissions.contest_for_user(world.co_organiser, world.other_contest.slug).id
        == world.other_contest.id
    )
    with pytest.raises(NotFound):
        permissions.contest_for_user(world.organiser, "khong-co")
    with pytest.raises(PermissionDenied):
        permissions.require_report_access(world.co_organiser)
    applicant = make_user("ts@example.vn", roles=("applicant",))
    with pytest.raises(PermissionDenied):
        permissions.event_for_user(applicant, world.event.slug)


# --- entries ---------------------------------------------------------------------------------------


def test_entries_workbook_has_one_row_per_entry_and_members_in_vietnamese_order(world, tmp_path):
    wb = open_export(downloads.entries_export(world.contest), tmp_path)
    assert wb.sheetnames == ["Hồ sơ", "Thành viên"]
    ws = wb["Hồ sơ"]
    header_row, headers, rows = table(ws)
    assert headers[:6] == ["STT", "Mã hồ sơ", "Tên ý tưởng", "Bảng", "Lĩnh vực", "Trưởng nhóm"]
    assert [r[1] for r in rows] == [f"YT24-{i:04d}" for i in range(1, 7)]  # the draft is left out
    assert_table_layout(ws, header_row, 6)
    assert rows[0][10] == 2 and isinstance(rows[0][10], int)  # members
    assert isinstance(rows[0][13], datetime) and rows[0][13].date() == date(2024, 5, 21)
    assert ws.cell(header_row + 1, 14).number_format == "dd/mm/yyyy"
    assert rows[5][12] == "Hồ sơ giấy"
    at_sign = next(
        ws.cell(r, 3) for r in range(header_row + 1, header_row + 7) if ws.cell(r, 2).value == "YT24-0004"
    )
    assert at_sign.value.startswith("@SUM") and at_sign.data_type == "s"

    members = wb["Thành viên"]
    m_row, m_headers, m_rows = table(members)
    assert m_headers[:4] == ["STT", "Họ và tên", "Ngày sinh", "Giới tính"]
    assert len(m_rows) == 12
    leaders = [r[1] for r in m_rows if r[9] == "Trưởng nhóm"]
    # By tên, Vietnamese letters: Anh < Ánh (tone) < Ân (a < â) < Bình < Dũng < Đức (d < đ).
    assert leaders == [
        "Nguyễn Văn Anh",
        "Hồ Thị Ánh",
        "Phạm Thị Ân",
        "Trần Thị Bình",
        "Võ Minh Dũng",
        "Lê Văn Đức",
    ]
    assert isinstance(m_rows[0][2], datetime)
    assert_table_layout(members, m_row, 12)


# --- judges' progress ------------------------------------------------------------------------------


def test_judges_progress_workbook(world, tmp_path):
    wb = open_export(downloads.judges_export(world.round), tmp_path)
    ws = wb["Tiến độ chấm"]
    header_row, headers, rows = table(ws)
    assert headers == [
        "STT",
        "Giám khảo",
        "Email",
        "Được giao",
        "Đã nộp",
        "Bản nháp",
        "Còn thiếu",
        "Tỷ lệ hoàn thành",
        "Hồ sơ chưa nộp",
    ]
    assert [r[1] for r in rows] == ["Phan Thị Lan", "Lê Hoàng Nam", "Nguyễn Minh Tuấn"]
    lan = rows[0]
    assert lan[3:7] == [6, 5, 0, 1] and lan[7] == pytest.approx(5 / 6) and lan[8] == "YT24-0006"
    assert ws.cell(header_row + 1, 8).number_format == "0.00%"
    totals = [c.value for c in ws[header_row + 4]]
    assert totals[1] == "Tổng cộng" and totals[3] == 18 and totals[4] == 17
    assert_table_layout(ws, header_row, 3)


# --- attendance ------------------------------------------------------------------------------------


def test_attendance_workbook_registrations_and_checkins(world, tmp_path):
    wb = open_export(downloads.attendance_export(world.event), tmp_path)
    assert wb.sheetnames == ["Đăng ký", "Theo giờ và cổng", "Check-in"]
    ws = wb["Đăng ký"]
    header_row, headers, rows = table(ws)
    assert headers[1:6] == ["Họ và tên", "Điện thoại", "Email", "Đơn vị", "Loại khách"]
    assert [r[1] for r in rows] == [
        "Nguyễn Văn Anh",
        "Hồ Thị Ánh",
        "Phạm Thị Ân",
        "Trần Thị Bình",
        "Lê Văn Đức",
    ]
    assert rows[0][2] == "0912 000 003"
    bình = next(r for r in rows if r[1] == "Trần Thị Bình")
    assert isinstance(bình[10], datetime) and bình[11] == "Cổng A"
    assert not next(r for r in rows if r[1] == "Hồ Thị Ánh")[10]
    org = next(
        ws.cell(r, 5) for r in range(header_row + 1, header_row + 6) if ws.cell(r, 2).value == "Lê Văn Đức"
    )
    assert org.value == "-Sở KH&CN" and org.data_type == "s"
    assert_table_layout(ws, header_row, 5)

    log = wb["Check-in"]
    l_row, l_headers, l_rows = table(log)
    assert l_headers == [
        "STT",
        "Thời gian",
        "Họ và tên",
        "Loại khách",
        "Đơn vị",
        "Cổng",
        "Người quét",
        "Trạng thái",
        "Lý do huỷ",
    ]
    assert len(l_rows) == 3
    times = [r[1] for r in l_rows]
    assert times == sorted(times)
    # 01:10 UTC is 08:10 in Quảng Ngãi: the cell holds the local wall time.
    assert times[0] == datetime(2024, 5, 18, 8, 10)
    assert {r[5] for r in l_rows} == {"Cổng A", "Cổng B"} and l_rows[0][6] == "Trần Thị Thu Hà"
    assert log.cell(l_row + 1, 2).number_format == "dd/mm/yyyy hh:mm"

    hourly = wb["Theo giờ và cổng"]
    h_row, h_headers, h_rows = table(hourly)
    assert h_headers == ["STT", "Ngày", "Khung giờ", "Cổng A", "Cổng B", "Tổng"]
    # 3 check-ins: 08:10 (A), 09:20 (B), 09:30 (A) local time.
    assert [r[1:] for r in h_rows] == [
        [datetime(2024, 5, 18), "08:00–09:00", 1, 0, 1],
        [datetime(2024, 5, 18), "09:00–10:00", 1, 1, 2],
    ]
    totals = [c.value for c in hourly[h_row + 3]]
    assert totals[2:] == ["Tổng cộng", 2, 1, 3]
    assert_table_layout(hourly, h_row, 2)


def test_requests_workbook_keeps_formula_text_as_text(world, tmp_path):
    wb = open_export(downloads.requests_export(), tmp_path)
    ws = wb["Yêu cầu dữ liệu"]
    header_row, headers, rows = table(ws)
    assert headers[1:4] == ["Người yêu cầu", "Email", "Loại yêu cầu"]
    assert rows[0][4] == "=cmd|' /C calc'!A0" and rows[0][8] == "Quá hạn"
    cell = ws.cell(header_row + 1, 5)
    assert cell.data_type == "s" and cell.quotePrefix
    with pytest.raises(Invalid):
        downloads.requests_export("bogus")
    assert table(open_export(downloads.requests_export("done"), tmp_path)["Yêu cầu dữ liệu"])[2] == []


# --- annual report ---------------------------------------------------------------------------------


def sheet_rows(ws) -> dict[str, list]:
    _, _, rows = table(ws)
    return {r[1]: r for r in rows}


def test_annual_report_sheets_and_aggregates(world, tmp_path):
    wb = open_export(annual_report.report_export(2024), tmp_path)
    assert wb.sheetnames == [
        "Theo cuộc thi",
        "Theo bảng",
        "Theo lĩnh vực",
        "Theo giới tính",
        "Theo độ tuổi",
        "Theo loại đơn vị",
        "Theo xã phường",
        "Theo huyện (cũ)",
        "Theo dân tộc",
        "Sự kiện",
        "Người dự theo đơn vị",
        "Chỉ tiêu kế hoạch",
    ]
    contests = sheet_rows(wb["Theo cuộc thi"])
    row = contests["Cuộc thi tìm kiếm ý tưởng KNĐMST năm 2024"]
    assert row[2:9] == [6, 6, 0, 0, 12, 1, 0]  # the draft is not counted; 12 distinct people; one paper entry
    sex = sheet_rows(wb["Theo giới tính"])
    assert sex["Nam"][3] == 9 and sex["Nữ"][3] == 3 and sex["Nam"][4] == pytest.approx(0.75)
    ages = sheet_rows(wb["Theo độ tuổi"])
    assert ages["Dưới 18 tuổi"][3] == 1  # born 2008, 16 on the closing date
    assert list(ages) == ["Dưới 18 tuổi", "18–24 tuổi", "25–30 tuổi", "31–35 tuổi", "36–45 tuổi"]
    orgs = sheet_rows(wb["Theo loại đơn vị"])
    assert orgs["Doanh nghiệp"][2] == 1 and orgs["Trường học, viện, cơ sở đào tạo"][2] == 1
    assert orgs["Không ghi đơn vị"][3] == 2
    fields = sheet_rows(wb["Theo lĩnh vực"])
    assert fields["Nông nghiệp"][2] == 3 and isinstance(fields["Nông nghiệp"][4], float)
    assert "Huyện Bình Sơn" in sheet_rows(wb["Theo huyện (cũ)"])
    events = sheet_rows(wb["Sự kiện"])
    ev = events["Ngày hội KNĐMST tỉnh Quảng Ngãi năm 2024"]
    assert isinstance(ev[2], datetime) and ev[5:8] == [5, 3, pytest.approx(0.6)]
    by_org = sheet_rows(wb["Người dự theo đơn vị"])
    assert by_org["Doanh nghiệp"][2:4] == [3, 2]  # registered, checked in


def test_ethnicity_counts_only_consenting_people_and_hides_small_cells(world, tmp_path):
    wb = open_export(annual_report.report_export(2024), tmp_path)
    ws = wb["Theo dân tộc"]
    header_row, headers, rows = table(ws)
    assert headers == ["STT", "Dân tộc", "Người tham gia", "Ghi chú"]
    # 5 leaders consented (4 Kinh, 1 Hrê): both cells are under 5 people, so both are hidden.
    by_name = {r[1]: r for r in rows}
    assert set(by_name) == {"Hrê", "Kinh"}
    assert by_name["Kinh"][2] is None and "Ẩn" in by_name["Kinh"][3]
    assert by_name["Hrê"][2] is None
    total = [c.value for c in ws[header_row + len(rows) + 1]]
    assert total[2] == 5  # aggregate only; members without consent are not in it

    # A withdrawn consent takes the person out of the statistics.
    leader = world.entries[0].members[0]
    consent = db.session.scalar(
        select(Consent).where(Consent.subject_kind == "team_member", Consent.subject_id == leader.id)
    )
    consent.withdrawn_at = datetime(2026, 1, 2, tzinfo=UTC)
    db.session.commit()
    members = [m for e in world.entries for m in e.members]
    assert len(annual_report.consenting_members(members)) == 4


def test_small_cell_suppression_hides_a_second_cell_when_one_would_be_derivable():
    assert annual_report.suppress_small({"Kinh": 40, "Hrê": 12, "Ca Dong": 2}) == {
        "Kinh": 40,
        "Hrê": None,
        "Ca Dong": None,
    }
    assert annual_report.suppress_small({"Kinh": 40, "Hrê": 3, "Co": 2}) == {
        "Kinh": 40,
        "Hrê": None,
        "Co": None,
    }
    assert annual_report.suppress_small({"Kinh": 40, "Hrê": 12}) == {"Kinh": 40, "Hrê": 12}


def test_organisation_types_and_age_bands():
    assert annual_report.organisation_type("Trường THPT Lê Khiết") == "Trường học, viện, cơ sở đào tạo"
    assert annual_report.organisation_type("Công ty TNHH Mía Việt") == "Doanh nghiệp"
    assert annual_report.organisation_type("HTX nông nghiệp Nghĩa Hà") == "Hợp tác xã, tổ hợp tác"
    assert annual_report.organisation_type("Hội LHPN xã Bình Sơn") == "Đoàn thể, hội"
    assert annual_report.organisation_type("UBND xã Tịnh Khê") == "Cơ quan nhà nước, đơn vị sự nghiệp"
    assert annual_report.organisation_type("Hộ kinh doanh Bà Ba") == "Khác (hộ kinh doanh, cá nhân…)"
    assert annual_report.organisation_type("  ") == "Không ghi đơn vị"
    assert annual_report.age_band(date(2006, 6, 1), date(2024, 5, 31)) == "Dưới 18 tuổi"
    assert annual_report.age_band(date(2006, 5, 31), date(2024, 5, 31)) == "18–24 tuổi"
    assert annual_report.age_band(None, date(2024, 5, 31)) == "Không rõ"


def test_plan_targets_saved_and_reported(world, tmp_path):
    annual_report.save_targets(
        world.organiser,
        2024,
        {
            "ideas": {"target": 4, "override": None, "note": ""},
            "projects": {"target": 10, "override": 7, "note": "Gồm 4 dự án hỗ trợ qua vườn ươm"},
            "startups": {"target": None, "override": None, "note": ""},
        },
    )
    rows = {t["kind"]: t for t in annual_report.target_rows(2024, annual_report.year_data(2024))}
    assert rows["ideas"]["actual"] == 3 and rows["ideas"]["share"] == pytest.approx(0.75)
    assert rows["projects"]["actual"] == 7 and "vườn ươm" in rows["projects"]["source"]
    assert rows["startups"]["actual"] == 1 and rows["startups"]["share"] is None
    ws = open_export(annual_report.report_export(2024), tmp_path)["Chỉ tiêu kế hoạch"]
    _, headers, data = table(ws)
    assert headers == ["STT", "Chỉ tiêu", "Kế hoạch", "Thực hiện", "Tỷ lệ hoàn thành", "Nguồn số liệu"]
    assert data[0][2:5] == [4, 3, pytest.approx(0.75)]
    with pytest.raises(Invalid):
        annual_report.save_targets(world.organiser, 2024, {"ideas": {"target": -1}})
    with pytest.raises(PermissionDenied):
        annual_report.save_targets(world.co_organiser, 2024, {"ideas": {"target": 1}})


# --- guest import ----------------------------------------------------------------------------------


def guest_file(rows, headers=guests.GUEST_HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    stream = io.BytesIO()
    wb.save(stream)
    return stream.getvalue()


GOOD = [
    (
        "Nguyễn Thị Hoa",
        "0905111222",
        "hoa@example.vn",
        "UBND xã Tịnh Khê",
        "Khách mời/đại biểu",
        "Đoàn xã Tịnh Khê",
    ),
    ("Trần Văn Nam", 905333444, "", "Báo Quảng Ngãi", "Báo chí", ""),
]


def attendee_count(event) -> int:
    return db.session.scalar(select(func.count(Attendee.id)).where(Attendee.event_id == event.id))


def test_template_has_the_headers_the_import_expects(world):
    wb = load_workbook(io.BytesIO(guests.guest_template(world.event)))
    assert wb.sheetnames[:2] == ["Danh sách", "Hướng dẫn"]
    assert [c.value for c in wb["Danh sách"][1]] == list(guests.GUEST_HEADERS)
    assert wb["Danh sách"].freeze_panes == "A2"


def test_import_checks_every_row_with_vietnamese_messages(world):
    data = guest_file(
        GOOD
        + [
            ("", "0905999888", "", "", "Báo chí", ""),
            ("Lê Văn Tám", "12345", "", "", "Báo chí", ""),
            ("Phạm Thị Mai", "0905111222", "", "", "Báo chí", ""),
            ("Võ Văn Sáu", "0905777666", "", "", "Khách VIP", ""),
            ("Trần Thị Bình", "0912000001", "", "", "Báo chí", ""),
            ("Hồ Văn Bảy", "", "khong-phai-email", "", "Báo chí", ""),
        ]
    )
    check = guests.check_guest_file(world.event, data)
    assert [r.number for r in check.valid] == [2, 3]
    messages = {r.number: " ".join(r.errors) for r in check.rejected}
    assert messages[4].startswith("Họ và tên:")
    assert messages[5].startswith("Số điện thoại:")
    assert "trùng với dòng 2" in messages[6]
    assert messages[7].startswith("Loại khách:")
    assert "đã đăng ký sự kiện này từ trước" in messages[8]
    assert messages[9].startswith("Email:")
    assert check.valid[1].clean["phone"] == "+84905333444"  # the lost leading zero is restored
    assert attendee_count(world.event) == 5  # checking writes nothing


def test_import_saves_valid_rows_in_one_go(world, outbox):
    data = guest_file(GOOD + [("Lê Văn Tám", "12345", "", "", "Báo chí", "")])
    result = guests.import_guests(
        world.organiser, world.event, data, all_or_nothing=False, consent_confirmed=True, send_tickets=True
    )
    assert len(result.imported) == 2 and [r.number for r in result.rejected] == [4]
    assert attendee_count(world.event) == 7 and result.emailed == 1
    hoa = db.session.scalar(select(Attendee).where(Attendee.full_name == "Nguyễn Thị Hoa"))
    assert (
        hoa.source == "organiser" and hoa.group_name == "Đoàn xã Tịnh Khê" and hoa.active_ticket is not None
    )


def test_all_or_nothing_imports_nothing_when_a_row_is_bad(world):
    data = guest_file(GOOD + [("Lê Văn Tám", "12345", "", "", "Báo chí", "")])
    with pytest.raises(Invalid, match="Không nhập dòng nào"):
        guests.import_guests(world.organiser, world.event, data, all_or_nothing=True, consent_confirmed=True)
    assert attendee_count(world.event) == 5
    with pytest.raises(Invalid, match="đồng ý"):
        guests.import_guests(
            world.organiser, world.event, guest_file(GOOD), all_or_nothing=True, consent_confirmed=False
        )


def test_a_failure_half_way_leaves_nothing_saved(app, world, is_postgres):
    """A real database failure in the middle of an import rolls back the rows written before it.

    Another connection (a second app server, a desk laptop) is registering the phone of the file's
    third row and has not committed yet. The import checks the file (the uncommitted row is invisible),
    writes rows 1 and 2, then its INSERT of row 3 waits on the unique index for the other transaction.
    That one commits, the database refuses row 3 (IntegrityError) and the import must leave nothing.
    Needs PostgreSQL: SQLite has one writer at a time, so the two writes can never interleave like this.
    """
    if not is_postgres:
        pytest.skip("a genuinely concurrent write halfway through the import needs PostgreSQL")
    import threading
    import time

    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.orm import Session

    from app.accounts.models import User
    from app.events.models import Event, Ticket

    event_id, organiser_id = world.event.id, world.organiser.id
    before = (attendee_count(world.event), world.event.registered_count)
    tickets_before = db.session.scalar(select(func.count(Ticket.id)))
    consents_before = db.session.scalar(select(func.count(Consent.id)))
    rows = GOOD + [
        ("Phạm Thị Hiền", "0912000777", "", "", "Báo chí", ""),
        ("Đinh Văn Chín", "0905000999", "", "", "Báo chí", ""),
    ]
    data = guest_file(rows)
    db.session.remove()  # the test's own session holds no transaction while the two writers meet

    other = Session(db.engine)  # the other registration, left uncommitted
    watcher = db.engine.connect()
    outcome: dict = {}

    def run_import():
        with app.app_context():
            try:
                # Outwait the app's 5 s lock_timeout while blocked (this transaction only; the import
                # runs in one transaction, begun here).
                db.session.execute(text("SET LOCAL lock_timeout = '120s'"))
                guests.import_guests(
                    db.session.get(User, organiser_id),
                    db.session.get(Event, event_id),
                    data,
                    all_or_nothing=True,
                    consent_confirmed=True,
                )
                outcome["result"] = "imported"
            except Exception as error:  # judged below
                outcome["error"] = error
            finally:
                db.session.remove()

    importer = threading.Thread(target=run_import)
    try:
        other.add(
            Attendee(
                event_id=event_id,
                full_name="Phạm Thị Hiền",
                phone="+84912000777",
                category="Báo chí",
                source="organiser",
            )
        )
        other.flush()
        other_id = other.scalars(select(Attendee.id).where(Attendee.phone == "+84912000777")).one()
        other_pid = other.execute(text("SELECT pg_backend_pid()")).scalar()
        importer.start()
        # Wait (no time limit is asserted) until the import is blocked by the other transaction.
        blocked_query = None
        deadline = time.monotonic() + 60
        while importer.is_alive() and time.monotonic() < deadline:
            blocked_query = watcher.execute(
                text("SELECT query FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"),
                {"pid": other_pid},
            ).scalar()
            watcher.rollback()
            if blocked_query is not None:
                break
            time.sleep(0.02)
        other.commit()
    finally:
        other.close()
        watcher.close()
        importer.join(timeout=120)

    assert blocked_query is not None and blocked_query.lstrip().startswith("INSERT INTO event_attendees")
    error = outcome.get("error")
    assert isinstance(error, Conflict), outcome
    assert "chưa có dòng nào được lưu" in error.message and "đã đăng ký sự kiện" in error.message
    assert isinstance(error.__cause__.__cause__, IntegrityError)  # refused by the database itself
    db.session.expire_all()
    event = db.session.get(Event, event_id)
    # Only the other connection's row is new; rows 1 and 2 (written before the failure) are gone.
    assert (attendee_count(event), event.registered_count) == (before[0] + 1, before[1])
    phones = set(db.session.scalars(select(Attendee.phone).where(Attendee.event_id == event_id)))
    assert "+84912000777" in phones
    assert phones.isdisjoint({"+84905111222", "+84905333444", "+84905000999"})
    assert db.session.scalar(select(func.count(Ticket.id))) == tickets_before
    assert db.session.scalar(select(func.count(Consent.id))) == consents_before
    # Rows 1, 2 and 3 really were written in the import's transaction: each took an id (sequences are
    # not rolled back) after the other connection's row.
    last_id = db.session.scalar(
        text("SELECT pg_sequence_last_value(pg_get_serial_sequence('event_attendees', 'id')::regclass)")
    )
    assert last_id == other_id + 3


def test_capacity_rejects_the_rows_beyond_the_places_left(world):
    world.event.capacity = 6
    db.session.commit()
    check = guests.check_guest_file(world.event, guest_file(GOOD))
    assert [r.number for r in check.valid] == [2]
    assert "chỉ còn 1 chỗ" in check.rejected[0].errors[0]


def _zip(files: dict[str, bytes]) -> bytes:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return stream.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Tệp rỗng"),
        (b"MZ\x90\x00\x03" + b"\x00" * 200, "tệp chương trình"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200, ".xls"),
        ("Họ và tên,Số điện thoại\nAn,0905\n".encode(), "không phải là bảng tính"),
        (_zip({"word/document.xml": b"<w/>"}), "không phải bảng tính"),
        (_zip({"xl/workbook.xml": b"<not really>"}), "Không đọc được"),
        (b"PK\x03\x04" + b"\x00" * 100, "Không đọc được"),
    ],
)
def test_malformed_files_are_refused(world, data, message):
    with pytest.raises(Invalid, match=message) as info:
        guests.check_guest_file(world.event, data)
    assert info.value.field == "file"


def test_wrong_template_and_empty_list_are_refused(world):
    with pytest.raises(Invalid, match="không đúng mẫu") as info:
        guests.check_guest_file(
            world.event, guest_file(GOOD, headers=("Tên", "SĐT", "Email", "Đơn vị", "Loại", "Đoàn"))
        )
    assert "“Họ và tên”" in info.value.message and "Tên, SĐT" in info.value.message
    with pytest.raises(Invalid, match="không có dòng dữ liệu"):
        guests.check_guest_file(world.event, guest_file([]))


def test_contest_statistics_workbook_matches_the_dashboard(world, tmp_path):
    wb = open_export(downloads.contest_stats_export(world.contest), tmp_path)
    assert wb.sheetnames == ["Nộp theo ngày", "Theo lĩnh vực", "Theo xã phường", "Theo giới tính"]
    days_row, headers, days = table(wb["Nộp theo ngày"])
    assert headers == ["STT", "Ngày", "Trong ngày", "Cộng dồn"]
    # Submitted 21/05 … 26/05 (10:00 local), deadline 31/05 23:59 local: one row per day to the deadline.
    assert days[0][1:] == [datetime(2024, 5, 21), 1, 1] and days[-1][1:] == [datetime(2024, 5, 31), 0, 6]
    assert len(days) == 11
    assert_table_layout(wb["Nộp theo ngày"], days_row, 11)
    fields = sheet_rows(wb["Theo lĩnh vực"])
    assert fields["Nông nghiệp"][2] == 3 and fields["Nông nghiệp"][3] == pytest.approx(0.5)
    assert sheet_rows(wb["Theo giới tính"])["Nam"][2] == 9
    charts = dashboard.contest_breakdowns(world.contest)
    assert dict(charts["field"]) == {k: v[2] for k, v in fields.items()}


def test_demo_targets_are_seeded_once(app):
    from app.exports import demo
    from app.exports.models import PlanTarget

    demo.seed()
    demo.seed()
    rows = db.session.scalars(select(PlanTarget).where(PlanTarget.year == 2024)).all()
    assert sorted(r.kind for r in rows) == ["ideas", "projects", "startups"]


def test_ethnicity_total_is_hidden_when_it_would_reveal_a_small_group(world, tmp_path):
    for entry in world.entries:
        entry.members[0].ethnicity = "Kinh"
    db.session.commit()

    def ethnicity():
        ws = open_export(annual_report.report_export(2024), tmp_path)["Theo dân tộc"]
        header_row, _, rows = table(ws)
        return rows, [c.value for c in ws[header_row + len(rows) + 1]]

    rows, total = ethnicity()
    assert [r[1:3] for r in rows] == [["Kinh", 5]] and total[2] == 5
    leader = world.entries[0].members[0]
    consent = db.session.scalar(
        select(Consent).where(Consent.subject_kind == "team_member", Consent.subject_id == leader.id)
    )
    consent.withdrawn_at = datetime(2026, 1, 2, tzinfo=UTC)
    db.session.commit()
    rows, total = ethnicity()
    assert [r[1:3] for r in rows] == [["Kinh", None]]
    assert total[2] is None and "Tổng ẩn" in total[3]
