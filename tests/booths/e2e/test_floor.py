"""Browser journeys of the booth floor: on a phone, the organiser opens the plan, picks a free booth
from the list for an accepted exhibitor, the plan highlights it, saves, and the booth shows as
allocated; on a desktop the booth list is printed (print media, A4)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import DESKTOP, PHONE, assert_accessible_form, assert_fits_width

pytestmark = pytest.mark.e2e
PASSWORD = "GaoLua2024"


@pytest.fixture
def scene(live_server):
    """An event with 6 standard booths and 2 corner booths, one allocated, and an accepted exhibitor."""
    from datetime import timedelta

    from sqlalchemy import select

    from app.accounts import services as accounts
    from app.booths import floor, floor_allocation
    from app.booths.models import Booth, BoothApplication
    from app.events import services
    from app.extensions import db
    from app.localtime import utcnow

    with live_server.app.test_request_context(base_url=live_server.url):
        organiser, _ = accounts.create_user(
            "btc@example.vn", "organiser", password=PASSWORD, full_name="Trần Thu Hà"
        )
        now = utcnow()
        event = services.create_event(
            organiser,
            {
                "name": "Ngày hội KNĐMST 2024",
                "slug": "ngay-hoi-kndmst-2024",
                "venue": "Quảng trường Phạm Văn Đồng",
                "starts_at": now + timedelta(days=3),
                "ends_at": now + timedelta(days=3, hours=8),
                "categories": ["Khách tham quan", "Gian hàng"],
                "gates": ["Cổng A"],
            },
        )
        standard = floor.save_booth_type(
            organiser, event, None, {"name": "Gian tiêu chuẩn", "size": "3 m × 3 m", "count": 6, "passes": 2}
        )
        floor.save_booth_type(organiser, event, None, {"name": "Gian góc", "count": 2, "passes": 3})

        def application(org: str, products: str) -> BoothApplication:
            row = BoothApplication(
                event_id=event.id,
                booth_type_id=standard.id,
                status="accepted",
                organisation=org,
                org_kind="cooperative",
                sector="Nông sản",
                products=products,
                contact_name="Phạm Thị Mai",
                contact_phone="+84905111222",
                contact_email="mai@htx.vn",
                needs=["table", "power"],
                search_text="",
            )
            db.session.add(row)
            db.session.commit()
            return row

        first = application("Công ty Tỏi Lý Sơn", "Tỏi cô đơn Lý Sơn")
        application("HTX Nước mắm Sa Huỳnh", "Nước mắm truyền thống, OCOP 4 sao")
        a01 = db.session.scalar(select(Booth).where(Booth.number == "A01"))
        a01.zone = "Khu A – Nông sản"
        db.session.commit()
        floor_allocation.allocate(organiser, first, a01)
        return {"slug": event.slug}


def login(page, live_server, email="btc@example.vn"):
    page.goto(live_server.url + "/tai-khoan/dang-nhap")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()


def test_phone_allocates_a_free_booth_from_the_list(browser, live_server, scene, shoot_at):
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", **PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login(page, live_server)
        page.goto(f"{live_server.url}/su-kien/quan-ly/{scene['slug']}")
        page.get_by_role("link", name="Sơ đồ và phân gian").first.click()
        expect(page.get_by_role("heading", name="Sơ đồ và phân gian", level=1)).to_be_visible()
        assert_fits_width(page)  # the plan scrolls inside its own box, not the page
        shoot_at(page, "phone", "plan")
        page.get_by_role("link", name=re.compile("Phân gian – HTX Nước mắm Sa Huỳnh")).click()
        booth_list = page.get_by_label("Chọn gian còn trống")
        expect(booth_list).to_be_visible()
        assert_accessible_form(page)
        assert_fits_width(page)
        # The first free booth of the type applied for is suggested and highlighted on the plan.
        expect(page.get_by_role("link", name=re.compile(r"^A02")).first).to_have_attribute(
            "aria-current", "true"
        )
        booth_list.select_option(label="A04")
        a04 = page.get_by_role("link", name=re.compile(r"^A04"))
        expect(a04).to_have_attribute("aria-current", "true")
        expect(page.get_by_role("link", name=re.compile(r"^A02"))).not_to_have_attribute(
            "aria-current", "true"
        )
        expect(
            page.get_by_role("link", name=re.compile(r"^A01.*đã phân cho Công ty Tỏi Lý Sơn"))
        ).to_be_attached()
        shoot_at(page, "phone", "picked")
        page.get_by_role("button", name="Phân gian").click()
        expect(page.get_by_text("Đã phân gian A04 cho HTX Nước mắm Sa Huỳnh.")).to_be_visible()
        expect(
            page.get_by_role("link", name=re.compile(r"^A04.*đã phân cho HTX Nước mắm Sa Huỳnh"))
        ).to_be_attached()
        expect(page.get_by_role("status").filter(has_text="Gian A04 –")).to_contain_text(
            "đã phân cho HTX Nước mắm Sa Huỳnh"
        )
        assert_fits_width(page)
        shoot_at(page, "phone", "allocated")
    finally:
        context.close()


def test_desktop_prints_the_booth_list(browser, live_server, scene, shoot_at):
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", **DESKTOP)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login(page, live_server)
        page.goto(f"{live_server.url}/su-kien/quan-ly/{scene['slug']}/gian-hang/so-do")
        page.get_by_role("link", name="Danh sách gian để in").first.click()
        expect(page.get_by_role("heading", name="Danh sách gian hàng")).to_be_visible()
        expect(page.get_by_role("cell", name="Công ty Tỏi Lý Sơn")).to_be_visible()
        page.emulate_media(media="print")
        expect(page.get_by_role("navigation", name="Điều hướng chính")).to_be_hidden()
        expect(page.get_by_role("heading", name="Khu A – Nông sản")).to_be_visible()
        shoot_at(page, "desktop", "print")
        pdf = page.pdf(format="A4")
        assert pdf.startswith(b"%PDF") and len(pdf) > 2000
    finally:
        context.close()


@pytest.fixture
def shoot_at(request):
    """shoot_at(page, viewport, step) saves screenshots/<test>-<viewport>-<nn>-<step>.png."""
    from tests.conftest import SCREENSHOT_DIR

    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    counter = {"n": 0}
    base = re.sub(r"[^\w-]+", "_", request.node.originalname)

    def _shoot(page, viewport: str, step: str):
        counter["n"] += 1
        path = SCREENSHOT_DIR / f"{base}-{viewport}-{counter['n']:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shoot
