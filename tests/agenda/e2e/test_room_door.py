"""Browser journey at a room's door (on a phone and a laptop): the volunteer picks the session as the scan point on
the scanner page, types the codes (as a USB scanner does): a registered attendee is let in, someone
without a place is turned away with the reason, and the room's count goes up."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from tests.conftest import assert_fits_width

pytestmark = pytest.mark.e2e
PASSWORD = "GaoLua2024"


@pytest.fixture
def door(live_server):
    from app.accounts import services as accounts
    from app.agenda import registrations
    from app.agenda import services as agenda
    from app.events import registration, services
    from app.localtime import local_to_utc, to_local, utcnow

    with live_server.app.test_request_context(base_url=live_server.url):
        organiser, _ = accounts.create_user(
            "btc@example.vn", "organiser", password=PASSWORD, full_name="Trần Thu Hà"
        )
        volunteer, _ = accounts.create_user(
            "tnv@example.vn", "checkin_staff", password=PASSWORD, full_name="Võ Thị Lan"
        )
        day = to_local(utcnow()).date() + timedelta(days=1)
        event = services.create_event(
            organiser,
            {
                "name": "Ngày hội KNĐMST 2026",
                "slug": "ngay-hoi-kndmst-2026",
                "starts_at": local_to_utc(datetime.combine(day, time(7, 30))),
                "ends_at": local_to_utc(datetime.combine(day, time(17, 0))),
                "categories": ["Khách tham quan"],
                "gates": ["Cổng A"],
            },
        )
        services.assign_staff(organiser, event, volunteer.email)
        session = agenda.create_session(
            organiser,
            event,
            {
                "title": "Tọa đàm kết nối đầu tư",
                "kind": "talk",
                "day": day.isoformat(),
                "start": time(8, 30),
                "end": time(10, 0),
                "room": "Hội trường A",
                "speakers": "",
                "moderators": "",
                "description": "",
                "capacity": 30,
                "registration_required": True,
                "is_published": True,
            },
        )
        consent = {"process_registration": True}
        holder = registration.register_attendee(
            event,
            {"full_name": "Nguyễn Thị Hồng", "phone": "0905123456", "category": "Khách tham quan"},
            consent,
        )
        registrations.register_for_session(holder.active_ticket, session.id)
        stranger = registration.register_attendee(
            event, {"full_name": "Lê Văn Tâm", "phone": "0905000001", "category": "Khách tham quan"}, consent
        )
        return {
            "slug": event.slug,
            "holder": holder.active_ticket.code,
            "stranger": stranger.active_ticket.code,
            "session_id": session.id,
        }


def test_volunteer_checks_people_in_at_a_room_door(page, live_server, door, shoot):
    page.goto(live_server.url + "/tai-khoan/dang-nhap")
    page.get_by_label("Email").fill("tnv@example.vn")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.goto(live_server.url + f"/su-kien/{door['slug']}/quet-ve")

    point = page.get_by_label("Điểm quét")
    label = next(
        text for text in point.locator("option").all_inner_texts() if "Tọa đàm kết nối đầu tư" in text
    )
    assert "Hội trường A" in label
    point.select_option(label=label)
    result = page.get_by_role("status", name="Kết quả quét")
    code_box = page.get_by_label("Mã vé (máy quét USB hoặc gõ tay)")

    code_box.fill(door["holder"])
    page.get_by_role("button", name="Kiểm tra").click()
    expect(result).to_contain_text("Hợp lệ")
    expect(result).to_contain_text("Nguyễn Thị Hồng")
    shoot("registered-let-in")

    code_box.fill(door["stranger"])
    page.get_by_role("button", name="Kiểm tra").click()
    expect(result).to_contain_text("Chưa đăng ký phiên này")
    expect(result).to_contain_text("Lê Văn Tâm")
    shoot("not-registered")
    assert_fits_width(page)

    code_box.fill(door["holder"])
    page.get_by_role("button", name="Kiểm tra").click()
    expect(result).to_contain_text(re.compile("Đã check-in"))

    from app.agenda.models import EventSession
    from app.extensions import db

    with live_server.app.app_context():
        assert db.session.get(EventSession, door["session_id"]).present_count == 1
