"""Browser journey: an admin finds a user, grants the judge role, and reads it in the audit log."""

from playwright.sync_api import expect

from tests.conftest import assert_accessible_form, assert_fits_width


def test_admin_grants_a_role_and_sees_the_audit_log(page, live_server, shoot):
    with live_server.app.app_context():
        from app.accounts import services

        services.create_user("admin@example.vn", "admin", password="QuanTri2024x", full_name="Phạm Quốc Huy")
        services.create_user("lan@example.vn", "applicant", password="LanLan2024x", full_name="Võ Thị Lan")

    page.goto(live_server.url + "/tai-khoan/dang-nhap")
    page.get_by_label("Email").fill("admin@example.vn")
    page.get_by_label("Mật khẩu").fill("QuanTri2024x")
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("link", name="Người dùng").click()
    page.get_by_label("Tìm theo tên, email, số điện thoại").fill("lan")
    page.get_by_role("button", name="Lọc").click()
    assert_accessible_form(page)
    assert_fits_width(page)
    shoot("users")
    page.get_by_role("link", name="Võ Thị Lan").click()
    page.get_by_label("Giám khảo").check()
    shoot("edit-user")
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_text("Đã cập nhật vai trò.")).to_be_visible()
    expect(page.get_by_label("Giám khảo")).to_be_checked()

    page.get_by_role("link", name="Nhật ký", exact=True).click()
    row = page.locator("tr", has_text="user.set_roles")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("judge")
    assert_fits_width(page)
    shoot("audit")

    # The judge, not an admin, is refused the admin pages with a Vietnamese 403 page.
    page.get_by_role("button", name="Đăng xuất").click()
    page.goto(live_server.url + "/tai-khoan/dang-nhap")
    page.get_by_label("Email").fill("lan@example.vn")
    page.get_by_label("Mật khẩu").fill("LanLan2024x")
    page.get_by_role("button", name="Đăng nhập").click()
    response = page.goto(live_server.url + "/quan-tri/nguoi-dung")
    assert response.status == 403
    expect(page.get_by_role("heading", name="Không có quyền truy cập")).to_be_visible()
    shoot("forbidden")
