"""Browser journey on a phone: an attendee opens their ticket, goes to "Lịch của tôi", registers
for two sessions (one full: the waitlist is shown), filters the public timetable by room and
downloads the calendar file of their sessions, which parses back."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from tests.conftest import assert_accessible_form, assert_fits_width

PASSWORD = "GaoLua2024"


@pytest.fixture
def scene(live_server):
    from app.accounts import services as accounts
    from app.agenda import registrations
    from app.agenda import services as agenda
    from app.events import registration, services
    from app.localtime import local_to_utc, to_local, utcnow

    app = live_server.app
    with app.test_request_context(base_url=live_server.url):
        organiser, _ = accounts.create_user(
            "btc@example.vn", "organiser", password=PASSWORD, full_name="Trần Thu Hà"
        )
        day = to_local(utcnow()).date() + timedelta(days=2)
        event = services.create_event(
            organiser,
            {
                "name": "Ngày hội KNĐMST 2026",
                "slug": "ngay-hoi-kndmst-2026",
                "venue": "Quảng trường Phạm Văn Đồng",
                "starts_at": local_to_utc(datetime.combine(day, time(7, 30))),
                "ends_at": local_to_utc(datetime.combine(day, time(17, 0))),
                "categories": ["Khách tham quan", "Thí sinh"],
                "gates": ["Cổng A"],
            },
        )

        def add(title, room, kind, start, end, capacity):
            return agenda.create_session(
                organiser,
                event,
                {
                    "title": title,
                    "kind": kind,
                    "day": day.isoformat(),
                    "start": start,
                    "end": end,
                    "room": room,
                    "speakers": "Nguyễn Văn Bình – Giám đốc Quỹ đầu tư khởi nghiệp",
                    "moderators": "",
                    "description": "",
                    "capacity": capacity,
                    "registration_required": True,
                    "is_published": True,
                },
            )

        add("Tọa đàm kết nối đầu tư", "Hội trường A", "talk", time(8, 30), time(10, 0), 40)
        full = add(
            "Hội thảo chuyển đổi số cho HTX", "Phòng hội thảo B", "seminar", time(10, 15), time(11, 30), 1
        )
        add("Trải nghiệm công nghệ AR/VR", "Khu trải nghiệm", "demo", time(13, 30), time(15, 0), 25)
        consent = {"process_registration": True}
        first = registration.register_attendee(
            event, {"full_name": "Lê Văn Tâm", "phone": "0905000001", "category": "Khách tham quan"}, consent
        )
        registrations.register_for_session(first.active_ticket, full.id)
        attendee = registration.register_attendee(
            event, {"full_name": "Nguyễn Thị Hồng", "phone": "0905123456", "category": "Thí sinh"}, consent
        )
        return {"code": attendee.active_ticket.code, "slug": event.slug}


def test_attendee_builds_a_timetable_and_downloads_it(live_server, scene, page, shoot):
    page.goto(f"{live_server.url}/ve/{scene['code']}")
    expect(page.get_by_role("heading", name="Lịch của tôi")).to_be_visible()
    page.get_by_role("link", name="Lịch của tôi – đăng ký phiên").click()
    expect(page.get_by_role("heading", name="Lịch của tôi", level=1)).to_be_visible()
    assert_fits_width(page)
    shoot("lich-cua-toi")

    page.get_by_role("button", name="Đăng ký phiên – Tọa đàm kết nối đầu tư").click()
    expect(page.get_by_text("Đã đăng ký phiên “Tọa đàm kết nối đầu tư”.")).to_be_visible()
    talk = page.get_by_role("article", name="Tọa đàm kết nối đầu tư")
    expect(talk.get_by_text("Bạn đã có chỗ")).to_be_visible()

    page.get_by_role("button", name="Đăng ký phiên – Hội thảo chuyển đổi số cho HTX").click()
    expect(page.get_by_text(re.compile("bạn đã vào danh sách chờ"))).to_be_visible()
    seminar = page.get_by_role("article", name="Hội thảo chuyển đổi số cho HTX")
    expect(seminar.get_by_text("Bạn đang chờ – thứ 1")).to_be_visible()
    expect(seminar.get_by_text("Hết chỗ – vào danh sách chờ")).to_be_visible()
    expect(seminar.get_by_role("button", name="Huỷ – Hội thảo chuyển đổi số cho HTX")).to_be_visible()
    assert_fits_width(page)
    shoot("da-dang-ky-va-danh-sach-cho")

    with page.expect_download() as info:
        page.get_by_role("link", name="Tải lịch của tôi (.ics)").click()
    download = info.value
    assert download.suggested_filename == f"lich-cua-toi-{scene['slug']}.ics"
    items = Calendar.from_ical(Path(download.path()).read_bytes()).walk("VEVENT")
    assert [str(i["summary"]) for i in items] == ["Tọa đàm kết nối đầu tư"]  # a waitlisted place is not in it
    assert str(items[0]["location"]) == "Hội trường A, Quảng trường Phạm Văn Đồng"

    page.goto(f"{live_server.url}/su-kien/{scene['slug']}/lich")
    assert_accessible_form(page)
    page.get_by_label("Phòng", exact=True).select_option("Khu trải nghiệm")
    page.get_by_role("button", name="Lọc").click()
    expect(page.get_by_role("article", name="Trải nghiệm công nghệ AR/VR")).to_be_visible()
    expect(page.get_by_role("article", name="Tọa đàm kết nối đầu tư")).to_have_count(0)
    assert "phong=" in page.url
    assert_fits_width(page)
    shoot("lich-cong-khai-loc-theo-phong")
