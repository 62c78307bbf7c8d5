"""The organiser's journey on a laptop, found by visible labels only (issue 15): the entries list
sorted by submission date (a click on the column heading), a round's results, the note that the
trimmed mean equals the mean with fewer than 5 sheets, and the results workbook downloaded from
that page and opened.

On the code before issue 15 this fails at the first step: the list had no "Ngày nộp" column to sort
by (and the results page had neither the trimmed-mean note nor a "Tải bảng kết quả" button)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.conftest import DESKTOP, SCREENSHOT_DIR, assert_accessible_form, assert_fits_width
from tests.factories import contest_with_tracks
from tests.judging.conftest import FULL, make_entries

PASSWORD = "ToChuc2024x"
# Submission times (UTC) in an order that is neither the codes' nor the ids': 0003 first, 0001 last.
SUBMITTED = [
    datetime(2024, 5, 20, 2, 30, tzinfo=UTC),
    datetime(2024, 4, 2, 9, 15, tzinfo=UTC),
    datetime(2024, 3, 5, 1, 0, tzinfo=UTC),
    datetime(2024, 4, 28, 15, 45, tzinfo=UTC),
]


def _setup(app) -> dict:
    with app.app_context():
        from app.accounts import services as accounts
        from app.extensions import db
        from app.judging import services

        contest, tracks = contest_with_tracks()
        entries = make_entries(contest, tracks, n=4)
        for entry, when in zip(entries, SUBMITTED, strict=True):
            entry.submitted_at = when
        db.session.commit()
        organiser, _ = accounts.create_user(
            "btc@example.vn", "organiser", password=PASSWORD, full_name="Trần Thị Thu Hà"
        )
        judges = [
            accounts.create_user(f"gk{i}@example.vn", "judge", password="ChamDiem2024", full_name=name)[0]
            for i, name in enumerate(["Nguyễn Minh Tuấn", "Lê Hoàng Nam", "Phan Thị Lan"], start=1)
        ]
        round_ = services.create_round(
            organiser,
            contest,
            services.RoundSettings(name="Sơ khảo", judges_per_entry=3, method="trimmed_mean"),
        )
        services.add_entries(organiser, round_)
        for judge in judges:
            services.add_judge(organiser, round_, judge.email)
        services.auto_assign(organiser, round_)
        for number, sheet in enumerate(services.round_assignments(round_)):
            values = {**FULL, "doi_moi": str(14 + number % 9)}
            services.save_sheet(sheet.judge, sheet, values, {}, "", sheet.version, submit=True)
        codes = [e.code for e in entries]
        info = {"round": round_.id, "contest": contest.name, "codes": codes}
        db.session.remove()
        return info


@pytest.fixture
def laptop(browser):
    context = browser.new_context(
        locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", accept_downloads=True, **DESKTOP
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _shots(page: Page):
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    counter = {"n": 0}

    def shoot(step: str) -> None:
        counter["n"] += 1
        path = SCREENSHOT_DIR / f"organiser_journey-desktop-{counter['n']:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)

    return shoot


def _codes_in_table(page: Page) -> list[str]:
    rows = page.get_by_role("table").get_by_role("row")
    return [rows.nth(i).get_by_role("cell").first.inner_text().strip() for i in range(1, rows.count())]


def test_organiser_sorts_entries_by_date_reads_results_and_downloads_them(laptop, live_server, tmp_path):
    page = laptop
    info = _setup(live_server.app)
    codes = info["codes"]
    shoot = _shots(page)
    page.goto(live_server.url + "/tai-khoan/dang-nhap")
    page.get_by_label("Email").fill("btc@example.vn")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()

    # The entries list: newest submission first, each with its date; one click on "Ngày nộp" turns it.
    page.goto(live_server.url + "/quan-ly/ho-so")
    date_header = page.get_by_role("columnheader", name="Ngày nộp")
    expect(date_header).to_have_attribute("aria-sort", "descending")
    assert _codes_in_table(page) == [codes[0], codes[3], codes[1], codes[2]]
    expect(page.get_by_role("cell", name="05/03/2024 08:00")).to_be_visible()  # 01:00 UTC in Quảng Ngãi
    assert_accessible_form(page)
    assert_fits_width(page)
    shoot("entries-newest-first")
    page.get_by_role("link", name="Ngày nộp").click()
    expect(page.get_by_role("columnheader", name="Ngày nộp")).to_have_attribute("aria-sort", "ascending")
    assert _codes_in_table(page) == [codes[2], codes[1], codes[3], codes[0]]
    shoot("entries-oldest-first")
    # Sorting by code keeps a filter typed before.
    page.get_by_label("Cuộc thi").select_option(label=info["contest"])
    page.get_by_role("button", name="Lọc").click()
    expect(page.get_by_role("columnheader", name="Ngày nộp")).to_have_attribute("aria-sort", "ascending")
    page.get_by_role("link", name="Mã").click()
    expect(page.get_by_role("columnheader", name="Mã")).to_have_attribute("aria-sort", "ascending")
    assert page.get_by_label("Cuộc thi").evaluate("s => s.selectedOptions[0].textContent") == info["contest"]
    assert _codes_in_table(page) == codes
    assert "cuoc_thi=" in page.url

    # The round's results, reached through the rounds page and its "Kết quả" tab.
    page.goto(live_server.url + "/cham-diem/quan-ly")
    page.get_by_role("link", name="Sơ khảo").click()
    page.get_by_role("navigation", name="Các mục của vòng chấm").get_by_role("link", name="Kết quả").click()
    expect(page.get_by_role("heading", name="Kết quả", exact=False).first).to_be_visible()
    note = page.get_by_role("note").filter(has_text="Trung bình bỏ điểm cao nhất và thấp nhất")
    expect(note).to_contain_text("từ 5 phiếu chấm đã nộp")
    expect(note).to_contain_text("bằng trung bình cộng")
    assert_fits_width(page)
    shoot("results")

    # The results workbook, from the page that shows the results.
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Tải bảng kết quả (.xlsx)").click()
    download = waiting.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert target.name.endswith(".xlsx")
    workbook = load_workbook(target)
    sheet = workbook["Xếp hạng"]
    header_row = next(r for r in range(1, 20) if sheet.cell(r, 1).value == "STT")
    headers = [c.value for c in sheet[header_row]]
    first = {h: sheet.cell(header_row + 1, i + 1).value for i, h in enumerate(headers)}
    assert first["STT"] == 1 and first["Mã hồ sơ"] in codes and first["Hạng"] == 1
    assert isinstance(first["Điểm tổng hợp"], int | float)
    notes = {r[0]: r[1] for r in workbook["Phương pháp"].iter_rows(values_only=True) if r[0] and r[1]}
    assert "ít hơn 5 phiếu thì lấy trung bình cộng" in notes["Cách tính"]
    assert "thang 1–5" not in notes["Cách tính"]  # this rubric has points criteria only
    # The judges' progress workbook sits next to it.
    expect(page.get_by_role("link", name="Tải bảng tiến độ chấm của giám khảo (.xlsx)")).to_be_visible()
