"""The events archive (issue 13): past events grouped by year, what happened, and no registration
controls on a past event's page, its resend page or its ticket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.events import services
from app.events.models import Attendee, Checkin, Event
from app.extensions import db
from app.localtime import utcnow
from tests.conftest import csrf_from, submit
from tests.events.conftest import CONSENT

REGISTRATION_CONTROLS = ("Đăng ký và nhận vé", "Còn chỗ", "Gửi lại vé", 'name="full_name"', "Đăng ký tham dự")


def _move_to(event: Event, starts: datetime, hours: int = 8) -> None:
    event.starts_at, event.ends_at = starts, starts + timedelta(hours=hours)
    event.registration_opens_at = starts - timedelta(days=20)
    db.session.commit()


def _check_in(event: Event, attendee: Attendee, undone: bool = False) -> None:
    db.session.add(
        Checkin(
            event_id=event.id,
            ticket_id=attendee.tickets[-1].id,
            attendee_id=attendee.id,
            gate="Cổng A",
            undone_at=utcnow() if undone else None,
        )
    )
    db.session.commit()


@pytest.fixture
def past_event(make_event, register):
    event = make_event("ngay-hoi-2024", "Ngày hội KNĐMST 2024", capacity=3000)
    people = [register(event, name=n) for n in ("Nguyễn Thị Hồng Nhung", "Đặng Quốc Bảo", "Lê Văn Tám")]
    _move_to(event, datetime(2024, 5, 18, 0, 30, tzinfo=UTC))
    return event, people


def test_past_event_page_says_it_took_place_and_has_no_registration_controls(client, past_event):
    event, _people = past_event
    html = client.get(f"/su-kien/{event.slug}").get_data(as_text=True)
    assert "Sự kiện đã diễn ra ngày 18/05/2024" in html
    for control in REGISTRATION_CONTROLS:
        assert control not in html, control
    assert '<form method="post" novalidate' not in html
    assert "/gui-lai-ve" not in html


def test_registering_for_a_past_event_is_refused_with_a_message(client, past_event):
    event, _people = past_event
    before = db.session.scalar(db.select(db.func.count(Attendee.id)))
    token = csrf_from(client.get("/").get_data(as_text=True))
    data = {
        "full_name": "Lê Văn Muộn",
        "phone": "0905999888",
        "category": "Khách tham quan",
        "csrf_token": token,
    }
    data.update({f"consent_{k}": "y" for k, v in CONSENT.items() if v})
    response = client.post(f"/su-kien/{event.slug}", data=data)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Sự kiện đã diễn ra ngày 18/05/2024; không còn nhận đăng ký hay gửi lại vé." in html
    assert db.session.scalar(db.select(db.func.count(Attendee.id))) == before


def test_resending_a_past_ticket_is_refused(client, outbox, past_event):
    event, people = past_event
    page = client.get(f"/su-kien/{event.slug}/gui-lai-ve").get_data(as_text=True)
    assert 'name="contact"' not in page and "vé không còn dùng để vào cổng" in page
    token = csrf_from(client.get("/").get_data(as_text=True))
    outbox.clear()
    response = client.post(
        f"/su-kien/{event.slug}/gui-lai-ve", data={"contact": "0905000001", "csrf_token": token}
    )
    assert response.status_code == 409
    assert "không còn nhận đăng ký hay gửi lại vé" in response.get_data(as_text=True)
    assert outbox == []


def test_the_service_refuses_a_past_event(past_event):
    event, _people = past_event
    from app.errors import Conflict

    with pytest.raises(Conflict) as error:
        services.refuse_if_past(event)
    assert error.value.code == "past"
    services.refuse_if_past(event, now=datetime(2024, 5, 1, tzinfo=UTC))  # before it: allowed


def test_ticket_of_a_past_event_says_so(client, past_event):
    event, people = past_event
    html = client.get(f"/ve/{people[0].tickets[-1].code}").get_data(as_text=True)
    assert "Sự kiện đã diễn ra; vé không còn dùng để vào cổng" in html


def test_upcoming_events_still_register(client, make_event):
    event = make_event()
    page = client.get(f"/su-kien/{event.slug}").get_data(as_text=True)
    assert "Đăng ký và nhận vé" in page and "Gửi lại vé" in page and "đã diễn ra" not in page
    data = {"full_name": "Phạm Thị Sớm", "phone": "0905123456", "category": "Khách tham quan"}
    data.update({f"consent_{k}": "y" for k, v in CONSENT.items() if v})
    response = submit(client, f"/su-kien/{event.slug}", data)
    assert response.status_code == 302 and "/ve/" in response.headers["Location"]
    ticket = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "vé không còn dùng" not in ticket


def test_archive_lists_upcoming_and_past_events_grouped_by_year_newest_first(client, make_event):
    upcoming = make_event("cho-phien", "Chợ phiên khởi nghiệp sắp tới")
    old = make_event("ngay-hoi-2023", "Ngày hội 2023")
    final = make_event("chung-ket-2024", "Chung kết 2024")
    festival = make_event("ngay-hoi-2024", "Ngày hội 2024")
    _move_to(old, datetime(2023, 6, 1, 1, 0, tzinfo=UTC))
    _move_to(final, datetime(2024, 3, 22, 0, 30, tzinfo=UTC))
    _move_to(festival, datetime(2024, 5, 18, 0, 30, tzinfo=UTC))
    assert [(y, [e.slug for e in es]) for y, es in services.past_events_by_year()] == [
        (2024, ["ngay-hoi-2024", "chung-ket-2024"]),
        (2023, ["ngay-hoi-2023"]),
    ]
    html = client.get("/su-kien").get_data(as_text=True)
    assert upcoming.name in html
    order = [
        html.index(s)
        for s in ("Sự kiện đã diễn ra", "Năm 2024", "Ngày hội 2024", "Chung kết 2024", "Năm 2023")
    ]
    assert order == sorted(order)
    assert html.index(upcoming.name) < html.index("Sự kiện đã diễn ra")
    assert "Đã diễn ra ngày 22/03/2024" in html


def test_attendance_count_only_when_the_organisers_show_it(client, organiser, past_event):
    event, people = past_event
    _check_in(event, people[0])
    _check_in(event, people[1])
    _check_in(event, people[2], undone=True)  # undone at the gate: not counted
    for url in ("/su-kien", f"/su-kien/{event.slug}"):
        assert "người đã check-in" not in client.get(url).get_data(as_text=True)
    data = {
        "name": event.name,
        "slug": event.slug,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "categories": event.categories,
        "gates": event.gates,
        "show_attendance": True,
    }
    services.update_event(organiser, event, data)
    assert services.attendance_counts([event]) == {event.id: 2}
    for url in ("/su-kien", f"/su-kien/{event.slug}"):
        assert "2 người đã check-in" in client.get(url).get_data(as_text=True)


def test_the_organisers_form_sets_show_attendance(client, login, organiser, make_event):
    event = make_event()
    login(organiser.email)
    page = client.get(f"/su-kien/quan-ly/{event.slug}/sua").get_data(as_text=True)
    assert "hiện số người đã check-in" in page
    data = {
        "name": event.name,
        "slug": event.slug,
        "starts_at": "2030-01-02T08:00",
        "ends_at": "2030-01-02T17:00",
        "categories": "\n".join(event.categories),
        "public_categories": "Khách tham quan",
        "gates": "\n".join(event.gates),
        "contest_id": "0",
        "is_published": "y",
        "show_attendance": "y",
    }
    response = submit(client, f"/su-kien/quan-ly/{event.slug}/sua", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.refresh(event)
    assert event.show_attendance is True


def test_a_past_event_links_its_contests_published_results(client, past_event, make_user):
    # The archive and the event page link the linked contest's results once a round is published
    # (a seed-demo shape the other tests missed: /su-kien answered 500 with a results link to show).
    from app.judging import services as judging
    from tests.factories import contest_with_tracks

    event, _people = past_event
    contest, _tracks = contest_with_tracks("kndmst-lan-5-thu", "CK", "Cuộc thi KNĐMST lần 5 (thử)")
    db.session.commit()
    organiser = make_user("btc-ket-qua@example.vn", roles=("organiser",))
    round_ = judging.create_round(
        organiser, contest, judging.RoundSettings(name="Chung kết", judges_per_entry=1)
    )
    event.contest_id = contest.id
    db.session.commit()
    archive = client.get("/su-kien")
    assert archive.status_code == 200 and "/cuoc-thi/kndmst-lan-5-thu/ket-qua" not in archive.get_data(
        as_text=True
    )
    round_.published_at = utcnow()  # as publish_results leaves it
    db.session.commit()
    archive = client.get("/su-kien")
    assert archive.status_code == 200
    assert "/cuoc-thi/kndmst-lan-5-thu/ket-qua" in archive.get_data(as_text=True)
    page = client.get(f"/su-kien/{event.slug}").get_data(as_text=True)
    assert "/cuoc-thi/kndmst-lan-5-thu/ket-qua" in page
