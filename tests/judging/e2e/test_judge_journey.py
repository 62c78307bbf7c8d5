"""The judge's journey on a 360-px phone, found by visible labels only (issue 15): open a sheet, type
a score above the maximum (marked at once and left out of the total) and leave one empty, "Nộp phiếu"
reports every missing criterion at once, fix them with a comma decimal, confirm with a summary
(total, the criterion left at zero), submit, and the sheet is locked.

On the code before issue 15 this fails at the first step: the out-of-range score was added to the
total with no mark (and "Nộp phiếu" locked the sheet with no confirmation)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PHONE, SCREENSHOT_DIR, assert_accessible_form, assert_fits_width
from tests.factories import contest_with_tracks
from tests.judging.conftest import make_entries

PASSWORD = "ChamDiem2024"
INNOVATION = "Tính đổi mới sáng tạo"
COMMERCIAL = "Khả năng thương mại hóa, khả năng tăng trưởng"
PLAN = "Kế hoạch kinh doanh"
DIRECTION = "Định hướng phát triển"
IMPACT = "Mức độ tác động và ý nghĩa kinh tế – xã hội"
PITCH = "Khả năng thuyết trình"


def _setup(app) -> dict:
    with app.app_context():
        from app.accounts import services as accounts
        from app.extensions import db
        from app.judging import services

        contest, tracks = contest_with_tracks()
        entries = make_entries(contest, [tracks[0], tracks[0]], n=2)
        organiser, _ = accounts.create_user(
            "btc@example.vn", "organiser", password="ToChuc2024x", full_name="Trần Thị Thu Hà"
        )
        judge, _ = accounts.create_user(
            "gk@example.vn", "judge", password=PASSWORD, full_name="Nguyễn Minh Tuấn"
        )
        round_ = services.create_round(organiser, contest, services.RoundSettings(name="Sơ khảo"))
        services.add_entries(organiser, round_, [e.id for e in entries])
        services.add_judge(organiser, round_, judge.email)
        for entry in entries:
            services.assign_judge(organiser, round_, judge.id, entry.id)
        info = {"round": round_.id, "entry": entries[0].id, "code": entries[0].code}
        db.session.remove()
        return info


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", **PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _shots(page: Page):
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    counter = {"n": 0}

    def shoot(step: str) -> None:
        counter["n"] += 1
        path = SCREENSHOT_DIR / f"judge_journey-phone-{counter['n']:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)

    return shoot


def _criterion(page: Page, name: str):
    return page.get_by_role("group", name=re.compile(re.escape(name)))


def _score(page: Page, name: str):
    return _criterion(page, name).get_by_label("Điểm")


def test_judge_scores_with_live_checks_and_confirms_before_the_sheet_locks(phone, live_server):
    page = phone
    info = _setup(live_server.app)
    shoot = _shots(page)
    page.goto(live_server.url + "/tai-khoan/dang-nhap")
    page.get_by_label("Email").fill("gk@example.vn")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.goto(live_server.url + "/cham-diem/")
    page.get_by_role("link", name=info["code"]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(info["code"])
    assert_accessible_form(page)
    assert_fits_width(page)

    # Above the maximum: marked at once and left out of the total, which says so.
    _score(page, COMMERCIAL).fill("25")
    expect(_criterion(page, COMMERCIAL).get_by_text("Tối đa 20", exact=True)).to_be_visible()
    expect(_score(page, COMMERCIAL)).to_have_attribute("aria-invalid", "true")
    _score(page, INNOVATION).fill("18")
    _score(page, PLAN).fill("10")
    _score(page, DIRECTION).fill("7")
    _score(page, PITCH).fill("0")  # the impact criterion stays empty
    total = page.get_by_role("status").filter(has_text="Tổng điểm:")
    expect(total).to_contain_text("35")
    expect(total).to_contain_text("(chưa tính 1 mục không hợp lệ)")
    shoot("out-of-range")

    # "Nộp phiếu" names every criterion still in the way, each next to its field, and locks nothing.
    page.get_by_role("button", name="Nộp phiếu").click()
    alert = page.get_by_role("alert").filter(has_text="Còn 2 tiêu chí")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text(COMMERCIAL)
    expect(alert).to_contain_text(IMPACT)
    expect(_criterion(page, IMPACT).get_by_text("Chưa chấm tiêu chí này.")).to_be_visible()
    expect(_score(page, IMPACT)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("dialog")).to_have_count(0)
    shoot("all-missing")

    # Fixed, with a comma decimal: the marks go, the total counts every score with a comma.
    _score(page, COMMERCIAL).fill("15,5")
    _score(page, IMPACT).fill("12")
    expect(_criterion(page, COMMERCIAL).get_by_text("Tối đa 20", exact=True)).to_be_hidden()
    expect(_score(page, COMMERCIAL)).not_to_have_attribute("aria-invalid", "true")
    expect(total).to_contain_text("62,5")
    expect(total).not_to_contain_text("chưa tính")

    # The summary before locking: the total, the criterion at zero, what locking means.
    page.get_by_role("button", name="Nộp phiếu").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("62,5")
    expect(dialog).to_contain_text(PITCH)
    expect(dialog).to_contain_text("Sau khi nộp, phiếu bị khoá; muốn sửa phải nhờ Ban tổ chức mở lại.")
    assert_fits_width(page)
    page.screenshot(path=str(SCREENSHOT_DIR / "judge_journey-phone-confirm-viewport.png"))
    shoot("confirm")
    dialog.get_by_role("button", name="Quay lại").click()
    expect(dialog).to_be_hidden()
    expect(_score(page, PITCH)).to_be_editable()  # nothing was locked

    page.get_by_role("button", name="Nộp phiếu").click()
    dialog.get_by_role("button", name="Nộp phiếu").click()
    expect(page.get_by_text("Đã nộp phiếu chấm. Phiếu đã được khoá.")).to_be_visible()
    page.get_by_role("link", name=info["code"]).click()
    expect(_score(page, COMMERCIAL)).to_be_disabled()
    expect(_score(page, COMMERCIAL)).to_have_value("15,5")  # the Vietnamese comma, as typed
    expect(page.get_by_role("status").filter(has_text="Tổng điểm:")).to_contain_text("62,5")
    expect(page.get_by_role("button", name="Nộp phiếu")).to_have_count(0)
    shoot("locked")


def test_without_javascript_the_summary_is_a_page_of_its_own(browser, live_server):
    info = _setup(live_server.app)
    context = browser.new_context(
        locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", java_script_enabled=False, **PHONE
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    shoot = _shots(page)
    try:
        page.goto(live_server.url + "/tai-khoan/dang-nhap")
        page.get_by_label("Email").fill("gk@example.vn")
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        page.goto(f"{live_server.url}/cham-diem/vong/{info['round']}/ho-so/{info['entry']}")
        _score(page, COMMERCIAL).fill("25")
        _score(page, INNOVATION).fill("18")
        page.get_by_role("button", name="Nộp phiếu").click()
        # The server reports every criterion at once, each next to its field.
        expect(page.get_by_role("alert")).to_contain_text("Phiếu chấm còn 5 tiêu chí")
        for name in (PLAN, DIRECTION, IMPACT, PITCH):
            expect(_criterion(page, name).get_by_text("chưa được chấm điểm")).to_be_visible()
        expect(_criterion(page, COMMERCIAL).get_by_text("phải từ 0 đến 20")).to_be_visible()
        expect(_score(page, COMMERCIAL)).to_have_value("25")
        shoot("nojs-all-missing")

        for name, value in (
            (COMMERCIAL, "15.5"),
            (PLAN, "10"),
            (DIRECTION, "7"),
            (IMPACT, "12"),
            (PITCH, "0"),
        ):
            _score(page, name).fill(value)
        page.get_by_role("button", name="Nộp phiếu").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Nộp phiếu chấm")
        expect(page.get_by_role("table")).to_contain_text("62,5")
        expect(
            page.get_by_text("Sau khi nộp, phiếu bị khoá; muốn sửa phải nhờ Ban tổ chức mở lại.")
        ).to_be_visible()
        assert_fits_width(page)
        shoot("nojs-confirm")
        page.get_by_role("button", name="Quay lại").click()
        expect(_score(page, COMMERCIAL)).to_have_value("15.5")  # what was typed, still not saved
        page.get_by_role("button", name="Nộp phiếu").click()
        page.get_by_role("button", name="Nộp phiếu").click()
        expect(page.get_by_text("Đã nộp phiếu chấm. Phiếu đã được khoá.")).to_be_visible()
        page.get_by_role("link", name=info["code"]).click()
        expect(_score(page, COMMERCIAL)).to_have_value("15,5")
        expect(_score(page, COMMERCIAL)).to_be_disabled()
    finally:
        context.close()
