"""The certificate journey in a real browser, on a phone and a desktop: an organiser issues the
prize certificates and downloads one; anyone types its code on the verification page."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from app.certificates.models import Certificate
from app.extensions import db
from tests.certificates.conftest import PASSWORD, build_world
from tests.conftest import SCREENSHOT_DIR, assert_accessible_form, assert_fits_width


def test_issue_download_and_verify(live_server, page, shoot):
    with live_server.app.app_context():
        build_world()
    base = live_server.url
    page.goto(f"{base}/tai-khoan/dang-nhap")
    page.get_by_label("Email").fill("so@example.vn")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.goto(f"{base}/quan-ly/chung-nhan")
    page.get_by_role("link", name="Cuộc thi Khởi nghiệp đổi mới sáng tạo tỉnh Quảng Ngãi 2026").click()
    assert_accessible_form(page)
    page.get_by_role("button", name="Cấp cho người đạt giải").click()
    expect(page.get_by_text("Đã cấp 5 giấy chứng nhận mới")).to_be_visible()
    assert_fits_width(page)
    shoot("issued")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Tải PDF").first.click(modifiers=["Alt"])
    assert download_info.value.suggested_filename.endswith(".pdf")

    with live_server.app.app_context():
        code = db.session.scalar(select(Certificate.code).where(Certificate.full_name == "Trương Thị Ý"))
        db.session.remove()
    visitor = page.context.browser.new_context(viewport=page.viewport_size)
    public = visitor.new_page()
    public.goto(f"{base}/xac-minh")
    public.get_by_label("Mã xác minh").fill(code.lower().replace("-", " "))
    public.get_by_role("button", name="Xác minh").click()
    expect(public.get_by_text("Giấy chứng nhận hợp lệ")).to_be_visible()
    expect(public.get_by_text("Trương Thị Ý")).to_be_visible()
    public.screenshot(
        path=str(SCREENSHOT_DIR / f"test_issue_download_and_verify-{page.viewport_name}-verify.png"),
        full_page=True,
    )
    public.goto(f"{base}/xac-minh/ABCD-EFGH")
    expect(public.get_by_text("Không tìm thấy mã xác minh")).to_be_visible()
    visitor.close()
