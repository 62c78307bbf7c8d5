"""Browser journey: a judge on a phone opens an assigned entry, is told about a bad score, saves a
draft, submits; the organiser's ranking moves; another judge's blind sheet shows no team names."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import DESKTOP, SCREENSHOT_DIR, assert_accessible_form, assert_fits_width
from tests.factories import contest_with_tracks
from tests.judging.conftest import make_entries

LOW = {
    "doi_moi": "12",
    "thuong_mai_hoa": "10",
    "ke_hoach": "8",
    "dinh_huong": "6",
    "tac_dong": "8",
    "thuyet_trinh": "8",
}  # 52
HIGH = {
    "doi_moi": "18",
    "thuong_mai_hoa": "14",
    "ke_hoach": "10",
    "dinh_huong": "7",
    "tac_dong": "10",
    "thuyet_trinh": "11",
}  # 70
TOP = {
    "doi_moi": "24",
    "thuong_mai_hoa": "19",
    "ke_hoach": "14",
    "dinh_huong": "9",
    "tac_dong": "14",
    "thuyet_trinh": "14,5",
}  # 94.5


def _setup(app):
    """Entry 1 and 2 in one track; judge B already submitted entry 1 = 52 and entry 2 = 70."""
    with app.app_context():
        from app.accounts import services as accounts
        from app.extensions import db
        from app.judging import services

        contest, tracks = contest_with_tracks()
        entries = make_entries(contest, [tracks[0], tracks[0]], n=3)
        organiser, _ = accounts.create_user(
            "btc@example.vn", "organiser", password="ToChuc2024x", full_name="Trần Thị Thu Hà"
        )
        judge_a, _ = accounts.create_user(
            "gka@example.vn", "judge", password="ChamDiem2024", full_name="Nguyễn Minh Tuấn"
        )
        judge_b, _ = accounts.create_user(
            "gkb@example.vn", "judge", password="ChamDiem2024", full_name="Lê Hoàng Nam"
        )
        round_ = services.create_round(
            organiser, contest, services.RoundSettings(name="Sơ khảo", blind=True, judges_per_entry=2)
        )
        services.add_entries(organiser, round_, [entries[0].id, entries[1].id, entries[2].id])
        for judge in (judge_a, judge_b):
            services.add_judge(organiser, round_, judge.email)
            for entry in entries:
                services.assign_judge(organiser, round_, judge.id, entry.id)
        for entry, values in ((entries[0], LOW), (entries[1], HIGH)):
            sheet = services.get_sheet_for_judge(judge_b, round_.id, entry.id)
            services.save_sheet(judge_b, sheet, values, {}, "", sheet.version, submit=True)
        info = {
            "round": round_.id,
            "codes": [e.code for e in entries],
            "titles": [e.title for e in entries],
            "names": [m.full_name for e in entries for m in e.members],
            "orgs": [e.organisation for e in entries],
            "ids": [e.id for e in entries],
        }
        db.session.remove()
        return info


def _login(page, url, email, password):
    page.goto(url + "/tai-khoan/dang-nhap")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()


def _rank_of(page, code):
    return page.locator(f"#ranking tr[data-entry='{code}'] td.chosen .rank").inner_text()


def test_judge_scores_on_a_phone_and_the_ranking_moves(page, browser, live_server, shoot):
    info = _setup(live_server.app)
    code1, code2, _ = info["codes"]

    # The organiser's results before: entry 2 (70) leads entry 1 (52).
    organiser = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", **DESKTOP).new_page()
    _login(organiser, live_server.url, "btc@example.vn", "ToChuc2024x")
    results = f"{live_server.url}/cham-diem/quan-ly/vong/{info['round']}/ket-qua"
    organiser.goto(results)
    assert _rank_of(organiser, code2) == "1" and _rank_of(organiser, code1) == "2"

    # The judge, on the page under test (phone or desktop), opens entry 1 from the dashboard.
    _login(page, live_server.url, "gka@example.vn", "ChamDiem2024")
    page.get_by_role("link", name="Chấm điểm", exact=True).click()
    expect(page.get_by_text("Đã nộp 0/3 phiếu")).to_be_visible()
    shoot("dashboard")
    page.get_by_role("link", name=code1).click()
    assert_accessible_form(page)
    assert_fits_width(page)
    shoot("sheet")

    # A score above the maximum is refused with the criterion named; what was typed stays.
    for crit, value in TOP.items():
        page.locator(f"#score-{crit}").fill(value)
    page.locator("#score-doi_moi").fill("30")
    page.locator("#comment-doi_moi").fill("Ý tưởng mới, có sản phẩm mẫu.")
    page.get_by_role("button", name="Nộp phiếu").click()
    expect(page.get_by_text("Tối đa 25", exact=True)).to_be_visible()
    assert page.locator("#score-thuong_mai_hoa").input_value() == "19"
    shoot("error")

    page.locator("#score-doi_moi").fill("24")
    page.get_by_role("button", name="Lưu nháp").click()
    expect(page.get_by_text("Đã lưu bản nháp.")).to_be_visible()
    assert page.locator("#score-doi_moi").input_value() == "24"
    assert page.locator("#sheet-total").inner_text() == "94,5"
    shoot("draft")
    page.get_by_role("button", name="Nộp phiếu").click()
    page.get_by_role("dialog").get_by_role("button", name="Nộp phiếu").click()
    expect(page.get_by_text("Đã nộp phiếu chấm. Phiếu đã được khoá.")).to_be_visible()
    expect(page.get_by_text("Đã nộp 1/3 phiếu")).to_be_visible()
    shoot("submitted")
    page.get_by_role("link", name=code1).click()
    assert page.locator("#score-doi_moi").is_disabled()

    # The organiser reloads: entry 1 now averages (52 + 94.5) / 2 = 73.25 and leads.
    organiser.goto(results)
    assert _rank_of(organiser, code1) == "1" and _rank_of(organiser, code2) == "2"
    row = organiser.locator(f"#ranking tr[data-entry='{code1}'] td.chosen").inner_text()
    assert "73,25" in row
    organiser.screenshot(
        path=str(SCREENSHOT_DIR / f"judging-organiser-results-{page.viewport_name}.png"), full_page=True
    )
    organiser.context.close()


def test_second_judges_blind_sheet_shows_no_names(page, live_server, shoot):
    info = _setup(live_server.app)
    _login(page, live_server.url, "gkb@example.vn", "ChamDiem2024")
    page.goto(f"{live_server.url}/cham-diem/vong/{info['round']}/ho-so/{info['ids'][2]}")
    assert page.locator("details.entry-details").get_attribute("open") is not None  # fresh sheet: shown
    html = page.content()
    assert info["titles"][2] in html
    for name in info["names"]:
        assert name not in html, name
    for org in info["orgs"]:
        assert org not in html
    assert "Chấm ẩn danh" in html
    assert_fits_width(page)
    shoot("blind-sheet")


def test_organiser_round_pages_fit_a_phone_and_label_every_input(page, live_server, shoot):
    info = _setup(live_server.app)
    with live_server.app.app_context():  # judge A works where entry 3's team works: a flag
        from app.accounts.services import find_user_by_email
        from app.extensions import db
        from app.judging import services

        services.update_profile(find_user_by_email("gka@example.vn"), info["orgs"][2], "")
        db.session.remove()
    _login(page, live_server.url, "btc@example.vn", "ToChuc2024x")
    page.get_by_role("link", name="Vòng chấm").click()
    page.get_by_role("link", name="Sơ khảo").click()
    tabs = {
        "Tổng quan": "overview",
        "Thang điểm": "rubric",
        "Quy tắc, giải": "rules",
        "Xung đột lợi ích": "conflicts",
        "Phân công": "assignment",
        "Tiến độ": "progress",
        "Kết quả": "results",
    }
    for tab, step in tabs.items():
        page.locator("nav.round-tabs").get_by_role("link", name=tab).click()
        expect(page.locator("nav.round-tabs [aria-current=page]")).to_have_text(tab)
        assert_fits_width(page)
        assert_accessible_form(page)
        shoot(step)
    # From the ranking, one entry's sheets judge by judge.
    page.locator("#ranking").get_by_role("link", name=info["codes"][0]).click()
    expect(page.get_by_text("52,00")).to_be_visible()
    expect(page.get_by_text("Lê Hoàng Nam").first).to_be_visible()
    assert_fits_width(page)
    shoot("entry-scores")

    # Confirm the flagged conflict: judge A's sheet for entry 3 goes away.
    page.locator("nav.round-tabs").get_by_role("link", name="Xung đột lợi ích").click()
    expect(page.locator("nav.round-tabs [aria-current=page]")).to_have_text("Xung đột lợi ích")
    flagged = page.locator("tr", has_text=info["codes"][2])
    assert "Chờ ban tổ chức xác nhận" in flagged.inner_text()
    flagged.get_by_role("button", name="Xác nhận xung đột").click()
    expect(page.get_by_text("Đã lưu quyết định về xung đột lợi ích.")).to_be_visible()
    assert "Đã xác nhận" in page.locator("tr", has_text=info["codes"][2]).inner_text()
    page.locator("nav.round-tabs").get_by_role("link", name="Phân công").click()
    expect(page.locator("nav.round-tabs [aria-current=page]")).to_have_text("Phân công")
    expect(page.locator("tr", has_text=info["codes"][2])).to_contain_text("Xung đột")

    # Reopen a submitted sheet from the progress page: the judge's sheet becomes editable again.
    page.locator("nav.round-tabs").get_by_role("link", name="Tiến độ").click()
    expect(page.locator("nav.round-tabs [aria-current=page]")).to_have_text("Tiến độ")
    sheet = page.locator("details", has_text=info["codes"][0])
    sheet.locator("summary").click()
    sheet.get_by_label("Lý do mở lại").fill("Giám khảo đề nghị sửa điểm kế hoạch kinh doanh")
    sheet.get_by_role("button", name="Mở lại phiếu").click()
    expect(page.get_by_text("Đã mở lại phiếu chấm")).to_be_visible()
