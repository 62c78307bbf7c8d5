"""Browser: the sign-up form names every bad field in one answer and keeps what can be kept;
the account is "Tài khoản" in the menu (issue 15). Controls found by their labels only."""

from playwright.sync_api import expect

from tests.conftest import assert_accessible_form, assert_fits_width


def test_signup_shows_every_error_at_once_and_keeps_a_good_password(page, live_server, shoot):
    with live_server.app.app_context():
        from app.accounts import services

        services.create_user("hoa@example.vn", "applicant", password="HoaSen2024x", full_name="Đặng Thị Hoa")
    page.goto(live_server.url + "/tai-khoan/dang-ky")
    page.get_by_label("Họ và tên").fill("H")
    page.get_by_label("Email").fill("hoa@example.vn")
    page.get_by_label("Số điện thoại di động").fill("0212 345 678")
    page.get_by_label("Mật khẩu", exact=True).fill("12345678")
    page.get_by_label("Nhập lại mật khẩu").fill("12345678")
    page.get_by_role("button", name="Đăng ký").click()

    # One answer, four messages, each under its field.
    expect(page.get_by_text("Vui lòng nhập họ và tên đầy đủ.")).to_be_visible()
    expect(page.get_by_text("Email này đã được dùng để đăng ký")).to_be_visible()
    expect(page.get_by_text("Số điện thoại di động không hợp lệ")).to_be_visible()
    expect(page.get_by_text("Mật khẩu phải có cả chữ và số.")).to_be_visible()
    assert page.get_by_label("Số điện thoại di động").input_value() == "0212 345 678"
    assert page.get_by_label("Mật khẩu", exact=True).input_value() == ""  # a refused password is typed again
    assert_accessible_form(page)
    assert_fits_width(page)
    shoot("all-errors")

    # A good password that matched is kept while the other fields are fixed.
    page.get_by_label("Mật khẩu", exact=True).fill("NuocMam2024")
    page.get_by_label("Nhập lại mật khẩu").fill("NuocMam2024")
    page.get_by_label("Họ và tên").fill("Lê Thị Hồng Nhung")
    page.get_by_role("button", name="Đăng ký").click()
    expect(page.get_by_text("Email này đã được dùng để đăng ký")).to_be_visible()
    expect(page.get_by_text("Vui lòng nhập họ và tên đầy đủ.")).to_have_count(0)
    assert page.get_by_label("Mật khẩu", exact=True).input_value() == "NuocMam2024"
    assert page.get_by_label("Nhập lại mật khẩu").input_value() == "NuocMam2024"
    shoot("password-kept")

    page.get_by_label("Email").fill("nhung@example.vn")
    page.get_by_label("Số điện thoại di động").fill("0905 123 456")
    page.get_by_role("button", name="Đăng ký").click()
    expect(page.get_by_text("nhung@example.vn")).to_be_visible()


def test_the_account_link_is_called_tai_khoan(page, live_server, shoot):
    with live_server.app.app_context():
        from app.accounts import services

        services.create_user("hoa@example.vn", "applicant", password="HoaSen2024x", full_name="Đặng Thị Hoa")
    page.goto(live_server.url + "/tai-khoan/dang-nhap")
    page.get_by_label("Email").fill("hoa@example.vn")
    page.get_by_label("Mật khẩu").fill("HoaSen2024x")
    page.get_by_role("button", name="Đăng nhập").click()
    nav = page.get_by_role("navigation", name="Điều hướng chính")
    expect(nav.get_by_role("link", name="Hồ sơ", exact=True)).to_have_count(0)
    if page.viewport_name == "phone" and not nav.get_by_role("link", name="Tài khoản").is_visible():
        nav.get_by_role("button").first.click()  # a collapsed menu opens first
    nav.get_by_role("link", name="Tài khoản").click()
    expect(page.get_by_role("heading", name="Tài khoản")).to_be_visible()
    assert_fits_width(page)
    shoot("account")
