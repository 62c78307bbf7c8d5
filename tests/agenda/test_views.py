"""The agenda's pages through the test client: the public timetable and its filters, calendar files
parsed back, "Lịch của tôi" on a ticket, the organisers' pages and who may open them."""

from __future__ import annotations

from datetime import time
from io import BytesIO

import pytest
from icalendar import Calendar
from openpyxl import load_workbook

from app.agenda import registrations
from app.agenda.models import EventSession
from app.extensions import db
from app.localtime import to_local
from tests.agenda.conftest import session_values
from tests.conftest import submit


@pytest.fixture
def programme(event, make_session):
    return [
        make_session(title="Tọa đàm kết nối đầu tư", room="Hội trường A", kind="talk", capacity=1),
        make_session(
            title="Hội thảo chuyển đổi số cho HTX",
            room="Phòng B",
            kind="seminar",
            start=time(9, 0),
            end=time(11, 0),
        ),
        make_session(
            title="Trải nghiệm công nghệ AR/VR",
            room="Khu trải nghiệm",
            kind="demo",
            registration_required=False,
            start=time(13, 0),
            end=time(15, 0),
        ),
    ]


def test_timetable_lists_published_sessions_and_filters_without_js(client, event, programme, make_session):
    make_session(title="Phiên nội bộ", is_published=False)
    html = client.get(f"/su-kien/{event.slug}/lich").get_data(as_text=True)
    for s in programme:
        assert s.title in html
    assert "Phiên nội bộ" not in html
    assert "Còn 1/1 chỗ" in html and "Không cần đăng ký – cứ đến" in html
    assert '<label for="phong">' in html and '<label for="loai">' in html
    by_room = client.get(f"/su-kien/{event.slug}/lich?phong=Ph%C3%B2ng+B").get_data(as_text=True)
    assert "Hội thảo chuyển đổi số" in by_room and "Tọa đàm kết nối" not in by_room
    by_kind = client.get(f"/su-kien/{event.slug}/lich?loai=demo").get_data(as_text=True)
    assert "AR/VR" in by_kind and "Hội thảo chuyển đổi số" not in by_kind
    nothing = client.get(f"/su-kien/{event.slug}/lich?phong=Kh%C3%B4ng+c%C3%B3&loai=x" + "y" * 5000)
    assert nothing.status_code == 200 and "Không có phiên nào khớp bộ lọc" in nothing.get_data(as_text=True)
    assert client.get(f"/su-kien/{event.slug}/lich?phong=%00%FF").status_code in (200, 422)


def test_full_session_reads_as_waitlist(client, event, programme, register):
    registrations.register_for_session(register(event).active_ticket, programme[0].id)
    html = client.get(f"/su-kien/{event.slug}/lich").get_data(as_text=True)
    assert "Hết chỗ – vào danh sách chờ" in html


def test_public_event_page_shows_the_next_sessions(client, event, programme):
    html = client.get(f"/su-kien/{event.slug}").get_data(as_text=True)
    assert "Lịch hoạt động" in html and "Tọa đàm kết nối đầu tư" in html
    assert f"/su-kien/{event.slug}/lich" in html


def test_unpublished_event_timetable_is_404_for_the_public(client, organiser, event, programme):
    event.is_published = False
    db.session.commit()
    assert client.get(f"/su-kien/{event.slug}/lich").status_code == 404
    assert client.get(f"/su-kien/{event.slug}/lich/{programme[0].id}.ics").status_code == 404
    assert client.get("/su-kien/khong-co/lich").status_code == 404


def parse_ics(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.data).walk("VEVENT")


def test_day_and_session_calendar_files(client, event, programme):
    local_day = to_local(programme[0].starts_at).date()
    items = parse_ics(client.get(f"/su-kien/{event.slug}/lich.ics?ngay={local_day.isoformat()}"))
    assert [str(i["summary"]) for i in items] == [s.title for s in programme]
    first = items[0]
    assert first.decoded("dtstart") == programme[0].starts_at
    assert str(first["location"]) == "Hội trường A, Quảng trường Phạm Văn Đồng"
    assert str(first["uid"]) == f"session-{programme[0].id}@localhost"
    assert str(first["url"]).endswith(f"/su-kien/{event.slug}/lich#phien-{programme[0].id}")
    assert "Nguyễn Văn Bình" in str(first["description"])
    (one,) = parse_ics(client.get(f"/su-kien/{event.slug}/lich/{programme[1].id}.ics"))
    assert str(one["uid"]) == f"session-{programme[1].id}@localhost"
    bad = client.get(f"/su-kien/{event.slug}/lich.ics?ngay=18-05-2024")
    assert bad.status_code == 422 and "năm-tháng-ngày" in bad.get_data(as_text=True)
    assert client.get(f"/su-kien/{event.slug}/lich.ics?ngay=2001-01-01").status_code == 404
    assert client.get(f"/su-kien/{event.slug}/lich/999999.ics").status_code == 404


# --- Lịch của tôi -----------------------------------------------------------------------------------


def test_ticket_page_links_my_timetable(client, event, programme, register):
    ticket = register(event).active_ticket
    html = client.get(f"/ve/{ticket.code}").get_data(as_text=True)
    assert "Lịch của tôi" in html and f"/ve/{ticket.code}/lich" in html


def test_register_waitlist_and_cancel_through_the_page(client, event, programme, register, outbox):
    first = register(event, name="Nguyễn Thị Hồng").active_ticket
    second = register(event, name="Trần Văn Bảo", email="bao@example.vn").active_ticket
    page = f"/ve/{first.code}/lich"
    done = submit(client, f"{page}/{programme[0].id}/dang-ky", {}, page=page, follow=True)
    assert done.status_code == 200 and "Đã đăng ký phiên" in done.get_data(as_text=True)
    page2 = f"/ve/{second.code}/lich"
    waiting = submit(client, f"{page2}/{programme[0].id}/dang-ky", {}, page=page2, follow=True)
    assert "danh sách chờ" in waiting.get_data(as_text=True)
    assert "Bạn đang chờ – thứ 1" in client.get(page2).get_data(as_text=True)
    overlap = submit(client, f"{page}/{programme[1].id}/dang-ky", {}, page=page)
    assert overlap.status_code == 409 and "trùng giờ" in overlap.get_data(as_text=True)
    open_one = submit(client, f"{page}/{programme[2].id}/dang-ky", {}, page=page)
    assert open_one.status_code == 409 and "cứ đến" in open_one.get_data(as_text=True)
    outbox.clear()
    cancelled = submit(client, f"{page}/{programme[0].id}/huy", {}, page=page, follow=True)
    assert "Đã huỷ đăng ký phiên" in cancelled.get_data(as_text=True)
    assert [m["To"] for m in outbox] == ["bao@example.vn"]
    assert "Bạn đã có chỗ" in client.get(page2).get_data(as_text=True)
    items = parse_ics(client.get(f"/ve/{second.code}/lich.ics"))
    assert [str(i["summary"]) for i in items] == ["Tọa đàm kết nối đầu tư"]
    assert client.get(f"/ve/{first.code}/lich.ics").status_code == 422  # holds nothing now


def test_posts_need_csrf_and_bad_codes_are_404(client, event, programme, register):
    ticket = register(event).active_ticket
    assert client.post(f"/ve/{ticket.code}/lich/{programme[0].id}/dang-ky").status_code == 400
    assert client.get("/ve/gia-mao/lich").status_code == 404
    assert client.get(f"/ve/{ticket.code[:-2]}xx/lich").status_code == 404
    missing = submit(client, f"/ve/{ticket.code}/lich/999999/dang-ky", {}, page=f"/ve/{ticket.code}/lich")
    assert missing.status_code == 404


def test_revoked_ticket_gets_the_revoked_page(client, organiser, event, programme, register):
    from app.events import registration

    person = register(event)
    old = person.active_ticket.code
    registration.reissue_ticket(organiser, person, "Mất vé")
    assert client.get(f"/ve/{old}/lich").status_code == 410


# --- organisers -------------------------------------------------------------------------------------


def test_organiser_creates_edits_and_deletes_a_session(client, login, organiser, event):
    login("btc@example.vn")
    base = f"/su-kien/quan-ly/{event.slug}/lich"
    values = session_values(event)
    form = {
        **values,
        "start": "08:30",
        "end": "10:00",
        "capacity": "40",
        "registration_required": "y",
        "is_published": "y",
    }
    bad = submit(client, f"{base}/tao-moi", {**form, "end": "08:00"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Giờ kết thúc phải sau giờ bắt đầu" in html
    assert 'value="Tọa đàm kết nối đầu tư"' in html  # typed values kept
    assert submit(client, f"{base}/tao-moi", form).status_code == 302
    s = db.session.scalar(db.select(EventSession))
    assert s.capacity == 40 and s.registration_required
    listing = client.get(base).get_data(as_text=True)
    assert "Tọa đàm kết nối đầu tư" in listing
    edited = submit(client, f"{base}/{s.id}/sua", {**form, "title": "Tọa đàm gọi vốn", "capacity": ""})
    assert edited.status_code == 302
    db.session.expire_all()
    assert db.session.get(EventSession, s.id).title == "Tọa đàm gọi vốn"
    assert db.session.get(EventSession, s.id).capacity is None
    session_id = s.id
    gone = submit(client, f"{base}/{session_id}/xoa", {}, page=f"{base}/{session_id}/sua")
    db.session.expunge_all()
    assert gone.status_code == 302 and db.session.get(EventSession, session_id) is None


def test_lowering_capacity_below_registrations_is_refused_with_a_message(
    client, login, event, make_session, register
):
    s = make_session(capacity=3)
    for name in ("Nguyễn Thị Hồng", "Trần Văn Bảo"):
        registrations.register_for_session(register(event, name=name).active_ticket, s.id)
    login("btc@example.vn")
    form = {
        **session_values(event),
        "start": "08:30",
        "end": "10:00",
        "capacity": "1",
        "registration_required": "y",
    }
    response = submit(client, f"/su-kien/quan-ly/{event.slug}/lich/{s.id}/sua", form)
    assert response.status_code == 422
    assert "không thể giảm số chỗ xuống 1" in response.get_data(as_text=True)
    refused_delete = submit(
        client,
        f"/su-kien/quan-ly/{event.slug}/lich/{s.id}/xoa",
        {},
        page=f"/su-kien/quan-ly/{event.slug}/lich/{s.id}/sua",
        follow=True,
    )
    assert "không xoá được" in refused_delete.get_data(as_text=True)


def test_live_counts_page_json_and_export(client, login, event, programme, register, device_token):
    registrations.register_for_session(register(event).active_ticket, programme[0].id)
    login("btc@example.vn")
    manage = client.get(f"/su-kien/quan-ly/{event.slug}").get_data(as_text=True)
    assert f"/su-kien/quan-ly/{event.slug}/lich/so-lieu" in manage and "Lịch hoạt động" in manage
    page = client.get(f"/su-kien/quan-ly/{event.slug}/lich/so-lieu")
    assert page.status_code == 200 and "Tọa đàm kết nối đầu tư" in page.get_data(as_text=True)
    data = client.get(f"/su-kien/quan-ly/{event.slug}/lich/so-lieu.json").get_json()
    assert {row["title"] for row in data["sessions"]} == {s.title for s in programme}
    assert next(r for r in data["sessions"] if r["id"] == programme[0].id)["registered"] == 1
    export = client.get(f"/su-kien/quan-ly/{event.slug}/lich/tham-du.xlsx")
    assert export.status_code == 200
    assert load_workbook(BytesIO(export.data)).sheetnames == ["Tổng hợp", "Người check-in"]


@pytest.mark.parametrize(
    "path",
    [
        "/su-kien/quan-ly/{slug}/lich",
        "/su-kien/quan-ly/{slug}/lich/tao-moi",
        "/su-kien/quan-ly/{slug}/lich/{sid}/sua",
        "/su-kien/quan-ly/{slug}/lich/so-lieu",
        "/su-kien/quan-ly/{slug}/lich/so-lieu.json",
        "/su-kien/quan-ly/{slug}/lich/tham-du.xlsx",
    ],
)
def test_organiser_pages_refuse_others(client, login, make_user, event, programme, path):
    from app.contests.models import ContestStaff
    from tests.factories import contest_with_tracks

    url = path.format(slug=event.slug, sid=programme[0].id)
    assert client.get(url).status_code == 302  # anonymous: to the login page
    contest, _tracks = contest_with_tracks("khac", "KH", "Cuộc thi khác", year=2026)
    other = make_user("doan@example.vn", roles=("organiser",), name="Bùi Văn Đoàn")
    db.session.add(ContestStaff(contest_id=contest.id, user_id=other.id, role="organiser"))
    db.session.commit()
    login("doan@example.vn")
    assert client.get(url).status_code == 403
    client.get("/tai-khoan/dang-xuat")


def test_organiser_pages_of_unknown_ids(client, login, event):
    login("btc@example.vn")
    assert client.get(f"/su-kien/quan-ly/{event.slug}/lich/999999/sua").status_code == 404
    assert client.get("/su-kien/quan-ly/khong-co/lich").status_code == 404
