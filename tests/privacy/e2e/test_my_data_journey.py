"""Browser journey (Law 91/2025): a person sees everything the platform holds about them — account,
event registration, login history — downloads the copy, asks for deletion; Sở staff carry it out from
the queue; the person's data is gone and the account no longer signs in."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from tests.conftest import SCREENSHOT_DIR, assert_accessible_form, assert_fits_width
from tests.factories import event_data

NAME = "test_see_download_and_erase_my_data"
CONSENT = {"process_registration": True, "newsletter": False}


def _world(live_server):
    with live_server.app.app_context():
        from app.accounts import services as accounts
        from app.events import services as events
        from app.events.registration import register_attendee
        from app.localtime import utcnow

        staff, _ = accounts.create_user(
            "so@example.vn", "organiser", password="SoKhcn2024x", full_name="Cán Bộ Sở"
        )
        accounts.create_user(
            "lan@example.vn", "applicant", password="LanAnh2024x", full_name="Võ Thị Lan Anh"
        )
        now = utcnow()
        event = events.create_event(
            staff,
            event_data(
                "ngay-hoi-thu",
                starts_at=now + timedelta(days=3),
                ends_at=now + timedelta(days=3, hours=8),
                categories=["Khách tham quan", "Thí sinh"],
                gates=["Cổng A"],
            ),
        )
        register_attendee(
            event,
            {"full_name": "Võ Thị Lan Anh", "phone": "0905 777 888", "email": "lan@example.vn",
             "organisation": "HTX Nghĩa Hà", "category": "Khách tham quan", "group_name": ""},
            dict(CONSENT),
        )  # fmt: skip


def _log_in(page, live_server, email, password):
    page.goto(live_server.url + "/tai-khoan/dang-nhap")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()


def test_see_download_and_erase_my_data(page, live_server, browser, shoot):
    _world(live_server)
    _log_in(page, live_server, "lan@example.vn", "LanAnh2024x")
    expect(page.get_by_role("heading", name="Bài dự thi của tôi")).to_be_visible()  # her landing page
    page.goto(live_server.url + "/du-lieu-ca-nhan/")
    expect(page.get_by_role("heading", name="Dữ liệu của tôi", level=1)).to_be_visible()
    # Every feature's section, from the registry: the event registration typed by the person too.
    for title in ("Tài khoản", "Đăng ký sự kiện", "Lịch sử đăng nhập"):
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
    expect(page.get_by_text("HTX Nghĩa Hà").first).to_be_visible()
    expect(page.get_by_role("heading", name="Khi bạn yêu cầu xoá dữ liệu")).to_be_visible()
    assert_accessible_form(page)
    assert_fits_width(page)
    shoot("my-data")

    with page.expect_download() as download:
        page.get_by_role("link", name="Tải bản sao dữ liệu (JSON)").click()
    copy = download.value.path().read_text(encoding="utf-8")
    assert "Võ Thị Lan Anh" in copy and "HTX Nghĩa Hà" in copy and "Ngày hội KNĐMST thử nghiệm" in copy

    page.get_by_label("Loại yêu cầu").select_option(label="Xoá dữ liệu cá nhân")
    page.get_by_label("Nội dung").fill("Tôi không tham gia nữa, xin xoá thông tin của tôi.")
    page.get_by_role("button", name="Gửi yêu cầu").click()
    expect(page.get_by_text("Xoá dữ liệu cá nhân – Đang chờ xử lý")).to_be_visible()
    shoot("request-sent")

    staff_context = browser.new_context(locale="vi-VN", viewport=page.viewport_size)
    try:
        staff = staff_context.new_page()
        _log_in(staff, live_server, "so@example.vn", "SoKhcn2024x")
        staff.goto(live_server.url + "/du-lieu-ca-nhan/hang-doi")
        expect(staff.get_by_role("heading", name="Xoá dữ liệu cá nhân – Võ Thị Lan Anh")).to_be_visible()
        staff.screenshot(
            path=str(SCREENSHOT_DIR / f"{NAME}-{page.viewport_name}-staff-1-queue.png"), full_page=True
        )
        staff.get_by_role(
            "button", name="Xoá, ẩn danh hoá dữ liệu trên toàn hệ thống và đóng yêu cầu"
        ).click()
        expect(staff.get_by_text("Võ Thị Lan Anh")).to_have_count(0)
        staff.get_by_label("Trạng thái").select_option(label="Đã xử lý")
        staff.get_by_role("button", name="Lọc").click()
        expect(staff.get_by_text("Đăng ký sự kiện").first).to_be_visible()  # the note lists what was erased
        staff.screenshot(
            path=str(SCREENSHOT_DIR / f"{NAME}-{page.viewport_name}-staff-2-done.png"), full_page=True
        )
    finally:
        staff_context.close()

    # The person's session ended with the account: the pages ask for a login, and the login fails.
    page.goto(live_server.url + "/du-lieu-ca-nhan/")
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    _log_in(page, live_server, "lan@example.vn", "LanAnh2024x")
    expect(page.get_by_text("Email hoặc mật khẩu không đúng.")).to_be_visible()
    shoot("cannot-log-in")
    with live_server.app.app_context():
        from sqlalchemy import select

        from app.events.models import Attendee
        from app.extensions import db

        names = set(db.session.scalars(select(Attendee.full_name)))
        assert "Võ Thị Lan Anh" not in names and names  # anonymised, the registration still counted
