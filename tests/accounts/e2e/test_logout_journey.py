"""Browser journey: log in with "remember me" → log out → Back shows no personal page, and the
cookies copied before logging out open nothing (sessions end on the server)."""

from playwright.sync_api import expect

from tests.conftest import DESKTOP


def test_logout_ends_the_session_for_back_button_and_copied_cookies(page, live_server, browser, shoot):
    with live_server.app.app_context():
        from app.accounts import services

        services.create_user("hoa@example.vn", "applicant", password="HoaSen2024x", full_name="Đặng Thị Hoa")
    page.goto(live_server.url + "/tai-khoan/dang-nhap")
    page.get_by_label("Email").fill("hoa@example.vn")
    page.get_by_label("Mật khẩu").fill("HoaSen2024x")
    page.get_by_label("Ghi nhớ đăng nhập trên thiết bị này").check()
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", name="Bài dự thi của tôi")).to_be_visible()  # an applicant's landing
    copied = page.context.cookies()
    assert {c["name"] for c in copied} >= {"session", "remember_token"}
    shoot("signed-in")

    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_text("Bạn đã đăng xuất.")).to_be_visible()
    # A shared phone: the next person presses Back. The profile is not kept by the browser
    # (no-store) and the server no longer knows the session, so the login page comes instead.
    page.go_back()
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    expect(page.get_by_label("Họ và tên")).to_have_count(0)
    shoot("back-after-logout")

    # Someone who copied both cookies before the logout gets nothing either.
    other = browser.new_context(locale="vi-VN", **DESKTOP)
    try:
        other.add_cookies(copied)
        thief = other.new_page()
        thief.goto(live_server.url + "/tai-khoan/ho-so")
        expect(thief.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    finally:
        other.close()
