"""The organiser's contest form, entry list and the applicant's "my data" page fit a phone and are
labelled (screenshots for review)."""

from playwright.sync_api import expect

from tests.conftest import assert_accessible_form, assert_fits_width


def login(page, base, email, password):
    page.goto(base + "/tai-khoan/dang-nhap")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()


def test_demo_pages_fit(page, live_server, shoot):
    with live_server.app.app_context():
        from app.accounts import demo as accounts_demo
        from app.contests import demo

        accounts_demo.seed()
        demo.seed()
    base = live_server.url
    login(page, base, "tinhdoan@demo.kndmst.vn", "DoanTN@2024")
    page.get_by_role("link", name="Hồ sơ dự thi").click()
    page.get_by_label("Tìm (mã, tên ý tưởng").fill("ly son")
    page.get_by_role("button", name="Lọc").click()
    assert page.locator("tbody tr").count() >= 1
    shoot("co-organiser-entries")
    assert_fits_width(page)
    page.goto(base + "/quan-ly/cuoc-thi/y-tuong-kndmst-2024/sua")
    assert_accessible_form(page)
    assert_fits_width(page)
    shoot("contest-form")
    page.goto(base + "/quan-ly/cuoc-thi/kndmst-quang-ngai-lan-5")
    expect(page.get_by_text("Không có quyền truy cập")).to_be_visible()
    page.get_by_role("button", name="Đăng xuất").click()

    login(page, base, "thisinh@demo.kndmst.vn", "DuThi@2024")
    page.get_by_role("link", name="Dữ liệu của tôi").click()
    expect(page.get_by_role("heading", name="Dữ liệu của tôi")).to_be_visible()
    assert_accessible_form(page)
    assert_fits_width(page)
    shoot("my-data")
    page.get_by_role("link", name="Bài dự thi của tôi").click()
    page.locator(".entry-card a").first.click()
    assert page.locator(".entry-code").first.inner_text().startswith("KN24-")
    shoot("demo-entry")
    assert_fits_width(page)
