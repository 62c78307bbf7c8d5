"""Browser journey: sign up → verify the email (link read from the captured mail) → log in → profile."""

import re

from playwright.sync_api import expect

from tests.conftest import assert_accessible_form, assert_fits_width


def mail_link(live_server, marker: str) -> str:
    with live_server.app.app_context():
        from app.mail.services import outbox

        body = outbox()[-1].get_content()
    link = re.search(rf"(https?://[^/\s]+)(/tai-khoan/{marker}/\S+)", body)
    assert link.group(1) == live_server.url  # from BASE_URL, the site's configured address
    return live_server.url + link.group(2)


def test_signup_verify_login_profile(page, live_server, shoot):
    page.goto(live_server.url + "/")
    shoot("home")
    assert_fits_width(page)
    page.get_by_role("link", name="Đăng ký").first.click()
    assert_accessible_form(page)

    # A first try with a bad phone and mismatched passwords: errors in Vietnamese, input kept.
    page.get_by_label("Họ và tên").fill("Lê Thị Hồng Nhung")
    page.get_by_label("Email").fill("nhung@example.vn")
    page.get_by_label("Số điện thoại di động").fill("0212 345 678")
    page.get_by_label("Mật khẩu", exact=True).fill("NuocMam2024")
    page.get_by_label("Nhập lại mật khẩu").fill("NuocMam2024")
    page.get_by_role("button", name="Đăng ký").click()
    expect(page.get_by_text("Số điện thoại di động không hợp lệ")).to_be_visible()
    assert page.get_by_label("Họ và tên").input_value() == "Lê Thị Hồng Nhung"
    shoot("signup-error")
    assert_fits_width(page)

    page.get_by_label("Số điện thoại di động").fill("0905 123 456")
    page.get_by_label("Mật khẩu", exact=True).fill("NuocMam2024")
    page.get_by_label("Nhập lại mật khẩu").fill("NuocMam2024")
    page.get_by_role("button", name="Đăng ký").click()
    expect(page.get_by_role("heading", name="Hãy kiểm tra hộp thư")).to_be_visible()
    shoot("check-email")

    page.goto(mail_link(live_server, "xac-nhan"))
    expect(page.get_by_text("Email đã được xác nhận")).to_be_visible()
    page.get_by_label("Email").fill("NHUNG@example.vn")
    page.get_by_label("Mật khẩu").fill("NuocMam2024")
    shoot("login")
    page.get_by_role("button", name="Đăng nhập").click()

    # An applicant with no entry (and no open contest) lands on their entries; the account is one link away.
    expect(page.get_by_role("heading", name="Bài dự thi của tôi")).to_be_visible()
    page.get_by_role("link", name="Tài khoản").click()
    expect(page.get_by_role("heading", name="Tài khoản")).to_be_visible()
    assert page.get_by_label("Họ và tên").input_value() == "Lê Thị Hồng Nhung"
    assert page.get_by_label("Số điện thoại di động").input_value() == "0905 123 456"
    expect(page.get_by_text("đã xác nhận")).to_be_visible()
    assert_accessible_form(page)
    assert_fits_width(page)
    shoot("profile")

    # Keyboard: the skip link is the first thing Tab reaches.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip().startswith("Bỏ qua")


def test_forgotten_password_journey(page, live_server, shoot):
    with live_server.app.app_context():
        from app.accounts import services

        services.create_user("quen@example.vn", "applicant", password="CuToi2024x", full_name="Phan Văn Quên")
    page.goto(live_server.url + "/tai-khoan/dang-nhap")
    page.get_by_role("link", name="Quên mật khẩu?").click()
    page.get_by_label("Email").fill("quen@example.vn")
    page.get_by_role("button", name="Gửi liên kết").click()
    expect(page.get_by_role("heading", name="Hãy kiểm tra hộp thư")).to_be_visible()
    link = mail_link(live_server, "dat-lai-mat-khau")
    page.goto(link)
    page.get_by_label("Mật khẩu mới", exact=True).fill("MoiToanh2025")
    page.get_by_label("Nhập lại mật khẩu mới").fill("MoiToanh2025")
    shoot("reset-form")
    page.get_by_role("button", name="Lưu mật khẩu mới").click()
    expect(page.get_by_text("Đã đặt mật khẩu mới")).to_be_visible()
    page.goto(link)  # the link is single-use
    expect(page.get_by_text("đã được sử dụng")).to_be_visible()
    shoot("reset-reused")
