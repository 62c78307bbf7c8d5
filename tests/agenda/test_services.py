"""The agenda's rules without HTTP: sessions, places and the waitlist, overlaps, started sessions,
cancelled attendees, the calendar file, the attendance workbook and erasure."""

from __future__ import annotations

from datetime import time, timedelta
from io import BytesIO

import pytest
from icalendar import Calendar
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.agenda import calendar, registrations, services
from app.agenda.models import EventSession, SessionRegistration
from app.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.extensions import db
from app.localtime import utcnow
from tests.agenda.conftest import NAMES, session_values


def statuses(session_id):
    rows = db.session.execute(
        select(SessionRegistration.attendee_id, SessionRegistration.status)
        .where(SessionRegistration.session_id == session_id, SessionRegistration.cancelled_at.is_(None))
        .order_by(SessionRegistration.id)
    ).all()
    return [status for _a, status in rows]


# --- sessions --------------------------------------------------------------------------------------


def test_create_session_keeps_local_times_and_cleans_people(make_session, event):
    s = make_session(speakers="  Nguyễn Văn Bình – Giám đốc  \n\n Lê Thị Hoa ", start=time(8, 30))
    assert s.starts_at.hour == 1 and s.starts_at.minute == 30  # 08:30 in Quảng Ngãi is 01:30 UTC
    assert s.speakers == "Nguyễn Văn Bình – Giám đốc\nLê Thị Hoa"
    assert services.rooms(event) == ["Hội trường A"]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"title": "   "}, "title"),
        ({"kind": "party"}, "kind"),
        ({"day": "1999-01-01"}, "day"),
        ({"day": "not-a-day"}, "day"),
        ({"start": time(10, 0), "end": time(9, 0)}, "end"),
        ({"start": time(10, 0), "end": time(10, 0)}, "end"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": 10**9}, "capacity"),
        ({"room": "P" * 121}, "room"),
    ],
)
def test_bad_session_values_are_refused_on_their_field(make_session, extra, field):
    with pytest.raises(Invalid) as caught:
        make_session(**extra)
    assert caught.value.field == field


def test_another_contests_organiser_cannot_add_sessions(app, event, make_user):
    from app.contests.models import Contest, ContestStaff

    other = make_user("doan@example.vn", roles=("organiser",), name="Bùi Văn Đoàn")
    # A co-organiser of some other contest manages only that contest's events.
    from tests.factories import contest_with_tracks

    contest, _tracks = contest_with_tracks("khac", "KH", "Cuộc thi khác", year=2026)
    db.session.add(ContestStaff(contest_id=contest.id, user_id=other.id, role="organiser"))
    db.session.commit()
    assert db.session.get(Contest, contest.id)
    with pytest.raises(PermissionDenied):
        services.create_session(other, event, session_values(event))


def test_capacity_cannot_drop_below_places_given_and_raising_it_promotes(
    app, organiser, event, make_session, register, outbox
):
    s = make_session(capacity=2)
    people = [register(event, name=NAMES[i], email=f"p{i}@example.vn") for i in range(4)]
    for person in people:
        registrations.register_for_session(person.active_ticket, s.id)
    assert statuses(s.id) == ["registered", "registered", "waitlisted", "waitlisted"]
    with pytest.raises(Invalid) as caught:
        services.update_session(organiser, s, session_values(event, capacity=1))
    assert caught.value.field == "capacity" and "2 người đăng ký" in caught.value.message
    outbox.clear()
    services.update_session(organiser, s, session_values(event, capacity=3))
    assert statuses(s.id) == ["registered", "registered", "registered", "waitlisted"]
    assert [m["To"] for m in outbox] == ["p2@example.vn"]
    assert db.session.get(EventSession, s.id).registered_count == 3


def test_delete_only_without_registrations(app, organiser, event, make_session, register):
    empty = make_session(title="Phiên trống")
    services.delete_session(organiser, empty)
    assert db.session.get(EventSession, empty.id) is None
    busy = make_session(title="Phiên có người")
    registrations.register_for_session(register(event).active_ticket, busy.id)
    with pytest.raises(Conflict) as caught:
        services.delete_session(organiser, busy)
    assert "Hiển thị công khai" in caught.value.message


def test_timetable_filters_and_groups_by_day(event, make_session):
    make_session(title="A1", room="Hội trường A", kind="talk")
    make_session(title="B1", room="Phòng B", kind="workshop", start=time(9, 0), end=time(11, 0))
    make_session(title="Ẩn", room="Phòng B", is_published=False)
    assert [s.title for s in services.timetable(event)] == ["A1", "B1"]
    assert [s.title for s in services.timetable(event, room="Phòng B")] == ["B1"]
    assert [s.title for s in services.timetable(event, kind="talk")] == ["A1"]
    assert services.timetable(event, room="Không có") == []
    days = services.group_by_day(services.timetable(event))
    assert len(days) == 1 and days[0].label.endswith(days[0].day.strftime("%d/%m/%Y"))


# --- places and the waitlist ------------------------------------------------------------------------


def test_full_session_puts_people_on_the_waitlist_in_order(event, make_session, register):
    s = make_session(capacity=2)
    people = [register(event, name=NAMES[i]) for i in range(4)]
    regs = [registrations.register_for_session(p.active_ticket, s.id) for p in people]
    assert [r.status for r in regs] == ["registered", "registered", "waitlisted", "waitlisted"]
    places = registrations.my_places(people[3])
    assert places[s.id].status == "waitlisted" and places[s.id].position == 2


def test_cancelling_moves_the_first_waiting_person_up_and_mails_them(event, make_session, register, outbox):
    s = make_session(capacity=1)
    first = register(event, name="Người Một")
    second = register(event, name="Người Hai", email="hai@example.vn")
    third = register(event, name="Người Ba", email="ba@example.vn")
    for person in (first, second, third):
        registrations.register_for_session(person.active_ticket, s.id)
    outbox.clear()
    assert registrations.cancel_session_registration(first.active_ticket, s.id) == 1
    assert registrations.my_places(second)[s.id].status == "registered"
    assert registrations.my_places(third)[s.id].position == 1
    assert db.session.get(EventSession, s.id).registered_count == 1
    assert [m["To"] for m in outbox] == ["hai@example.vn"]
    body = outbox[0].get_content()
    assert "Tọa đàm kết nối đầu tư" in body and f"/ve/{second.active_ticket.code}/lich" in body


def test_leaving_the_waitlist_promotes_nobody(event, make_session, register):
    s = make_session(capacity=1)
    first, second = register(event, name="Người Một"), register(event, name="Người Hai")
    registrations.register_for_session(first.active_ticket, s.id)
    registrations.register_for_session(second.active_ticket, s.id)
    assert registrations.cancel_session_registration(second.active_ticket, s.id) == 0
    assert statuses(s.id) == ["registered"]
    with pytest.raises(NotFound):
        registrations.cancel_session_registration(second.active_ticket, s.id)
    # Registering again after cancelling is a new row (the partial unique index allows it).
    assert registrations.register_for_session(second.active_ticket, s.id).status == "waitlisted"


def test_registering_twice_is_refused(event, make_session, register):
    s = make_session()
    person = register(event)
    registrations.register_for_session(person.active_ticket, s.id)
    with pytest.raises(Conflict) as caught:
        registrations.register_for_session(person.active_ticket, s.id)
    assert caught.value.code == "duplicate"


def test_overlapping_sessions_are_refused_naming_the_other(event, make_session, register):
    morning = make_session(title="Tọa đàm buổi sáng", start=time(8, 30), end=time(10, 0))
    overlapping = make_session(
        title="Hội thảo chuyển đổi số", start=time(9, 30), end=time(11, 0), room="Phòng B"
    )
    after = make_session(title="Trải nghiệm AR/VR", start=time(10, 0), end=time(11, 0), room="Phòng C")
    person = register(event)
    registrations.register_for_session(person.active_ticket, morning.id)
    with pytest.raises(Conflict) as caught:
        registrations.register_for_session(person.active_ticket, overlapping.id)
    assert caught.value.code == "overlap" and "Tọa đàm buổi sáng" in caught.value.message
    assert "08:30–10:00" in caught.value.message
    # Back to back is not an overlap.
    assert registrations.register_for_session(person.active_ticket, after.id).status == "registered"


def test_open_sessions_and_started_sessions_take_no_registration(event, make_session, register):
    open_session = make_session(registration_required=False)
    person = register(event)
    with pytest.raises(Conflict) as caught:
        registrations.register_for_session(person.active_ticket, open_session.id)
    assert caught.value.code == "open_session" and "cứ đến" in caught.value.message
    s = make_session(title="Phiên khác", start=time(13, 0), end=time(14, 0))
    later = s.starts_at + timedelta(minutes=1)
    with pytest.raises(Conflict) as caught:
        registrations.register_for_session(person.active_ticket, s.id, now=later)
    assert caught.value.code == "started"


def test_unpublished_or_other_events_sessions_are_not_found(app, organiser, event, make_session, register):
    from app.events import services as event_services
    from tests.factories import event_data

    hidden = make_session(is_published=False)
    other_event = event_services.create_event(organiser, event_data("su-kien-khac", "Sự kiện khác"))
    foreign = make_session(other_event, start=time(0, 0), end=time(23, 59))
    person = register(event)
    for session_id in (hidden.id, foreign.id, 999_999):
        with pytest.raises(NotFound):
            registrations.register_for_session(person.active_ticket, session_id)


def test_cancelled_attendee_cannot_register_and_their_place_is_freed_for_the_waitlist(
    event, organiser, make_session, register
):
    from app.events import registration as event_registration

    s = make_session(capacity=1)
    leaver, waiting, newcomer = (
        register(event, name="Người Đi"),
        register(event, name="Người Chờ"),
        register(event, name="Người Mới"),
    )
    registrations.register_for_session(leaver.active_ticket, s.id)
    registrations.register_for_session(waiting.active_ticket, s.id)
    ticket = leaver.active_ticket
    event_registration.cancel_registration(organiser, leaver, "Không tham dự được")
    with pytest.raises(Conflict) as caught:
        registrations.register_for_session(ticket, s.id)
    assert caught.value.code == "revoked"
    # The next request for the full session releases the cancelled person's place: the person already
    # waiting moves up first, the newcomer waits.
    assert registrations.register_for_session(newcomer.active_ticket, s.id).status == "waitlisted"
    assert registrations.my_places(waiting)[s.id].status == "registered"
    assert db.session.get(EventSession, s.id).registered_count == 1


def test_event_over_refuses_changes(event, make_session, register):
    s = make_session()
    person = register(event)
    with pytest.raises(Conflict) as caught:
        registrations.register_for_session(
            person.active_ticket, s.id, now=event.ends_at + timedelta(minutes=1)
        )
    assert caught.value.code == "event_ended"


# --- calendar, workbook, counts, privacy ------------------------------------------------------------


def test_ics_round_trips_with_utc_times_and_vietnamese_text(event, make_session):
    s = make_session()
    entry = calendar.Entry(
        uid=calendar.session_uid(s.id, "kndmst.vn"),
        title=s.title,
        starts_at=s.starts_at,
        ends_at=s.ends_at,
        location="Phòng Hội trường A, Quảng trường Phạm Văn Đồng",
        description="Diễn giả: Nguyễn Văn Bình",
        url="https://kndmst.vn/su-kien/ngay-hoi/lich#phien-1",
    )
    parsed = Calendar.from_ical(calendar.ics_bytes("Lịch", [entry], stamp=utcnow()))
    (item,) = parsed.walk("VEVENT")
    assert str(item["summary"]) == "Tọa đàm kết nối đầu tư"
    assert str(item["uid"]) == f"session-{s.id}@kndmst.vn"
    assert item.decoded("dtstart") == s.starts_at and item.decoded("dtstart").utcoffset() == timedelta(0)
    assert "Quảng trường" in str(item["location"])


def test_live_counts_put_running_sessions_first(event, make_session):
    early = make_session(title="Sớm", start=time(8, 0), end=time(9, 0))
    running = make_session(title="Đang chạy", start=time(9, 0), end=time(11, 0), room="Phòng B")
    make_session(title="Chiều", start=time(14, 0), end=time(15, 0))
    now = running.starts_at + timedelta(minutes=5)
    rows = services.live_counts(event, now)["sessions"]
    assert [r["title"] for r in rows] == ["Đang chạy", "Chiều", "Sớm"]
    assert rows[0]["state"] == "running" and early.id == rows[2]["id"]


def test_attendance_workbook_has_a_summary_and_people_sorted_by_name(
    app, organiser, event, make_session, register, device_scope
):
    from app.agenda import attendance, checkin

    s = make_session(capacity=5)
    for name in ("Trần Văn Bảo", "Nguyễn Thị An", "Lê Văn Cường"):
        person = register(event, name=name)
        registrations.register_for_session(person.active_ticket, s.id)
        checkin.record_session_checkin(device_scope, s.id, person.active_ticket.code)
    body, filename = attendance.attendance_workbook(organiser, event)
    assert filename.endswith(".xlsx")
    book = load_workbook(BytesIO(body))
    assert book.sheetnames == ["Tổng hợp", "Người check-in"]
    values = [c for row in book["Tổng hợp"].iter_rows(values_only=True) for c in row if c is not None]
    assert "Tọa đàm kết nối đầu tư" in values
    people = [
        row
        for row in book["Người check-in"].iter_rows(values_only=True)
        if row and row[3] in {"Trần Văn Bảo", "Nguyễn Thị An", "Lê Văn Cường"}
    ]
    assert [row[3] for row in people] == ["Nguyễn Thị An", "Trần Văn Bảo", "Lê Văn Cường"]


def test_erasure_gives_up_future_places_and_promotes(app, event, make_session, register, make_user, outbox):
    from app.agenda import privacy

    s = make_session(capacity=1)
    user = make_user("hong@example.vn", name="Nguyễn Thị Hồng")
    person = register(event, email="hong@example.vn")
    waiting = register(event, name="Người Chờ", email="cho@example.vn")
    registrations.register_for_session(person.active_ticket, s.id)
    registrations.register_for_session(waiting.active_ticket, s.id)
    assert privacy.export_sessions(user)[0]["phien"] == "Tọa đàm kết nối đầu tư"
    outbox.clear()
    erasure = privacy.erase_sessions(None, user)
    db.session.commit()
    for after in erasure.after_commit:
        after()
    assert registrations.my_places(waiting)[s.id].status == "registered"
    assert [m["To"] for m in outbox] == ["cho@example.vn"]
    assert db.session.scalar(select(func.count()).select_from(SessionRegistration)) == 2
