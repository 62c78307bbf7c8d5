"""Check-in rules added with the festival floor (issue 14): a ticket of an event that has ended is
refused ("sự kiện đã kết thúc") unless the organisers allow late check-in; the event form's
checkbox for it; the volunteers' index lists today's events first, one link each."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest

from app.events.models import Checkin
from app.extensions import db
from app.localtime import utcnow
from tests.conftest import csrf_from, submit


@pytest.fixture(autouse=True)
def no_device_cache(app):
    app.config["EVENT_DEVICE_CACHE_SECONDS"] = 0  # the tests end the event under a device's feet


def scan(client, event, token, code, **extra):
    body = {"code": code, "gate": "Cổng A", "scan_id": str(uuid.uuid4()), **extra}
    return client.post(
        f"/api/v1/events/{event.slug}/checkins", json=body, headers={"Authorization": f"Bearer {token}"}
    )


def end(event, minutes_ago=1):
    event.starts_at = utcnow() - timedelta(hours=8)
    event.ends_at = utcnow() - timedelta(minutes=minutes_ago)
    db.session.commit()


def test_a_ticket_of_an_ended_event_is_refused(client, event, register, device_token):
    attendee = register(event, "Nguyễn Thị Hồng", group_name="Đoàn Ba Tơ")
    end(event)
    response = scan(client, event, device_token, attendee.active_ticket.code)
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["result"] == "event_ended" and answer["message"] == "Sự kiện đã kết thúc."
    assert answer["attendee"]["name"] == "Nguyễn Thị Hồng"
    assert db.session.query(Checkin).count() == 0

    # Other answers keep their meaning: a forged code is still "invalid".
    assert scan(client, event, device_token, "a" * 39).get_json()["result"] == "invalid"

    headers = {"Authorization": f"Bearer {device_token}"}
    group = client.post(
        f"/api/v1/events/{event.slug}/groups/checkins", json={"group": "Đoàn Ba Tơ"}, headers=headers
    )
    assert group.status_code == 409 and group.get_json()["error"] == "event_ended"
    walk_in = client.post(
        f"/api/v1/events/{event.slug}/walkins",
        json={"full_name": "Hồ Văn Muộn", "consents": {"process_registration": True}},
        headers=headers,
    )
    assert walk_in.status_code == 409 and walk_in.get_json()["error"] == "event_ended"
    assert db.session.query(Checkin).count() == 0


def test_an_offline_scan_made_before_the_end_is_accepted_after_it(client, event, register, device_token):
    attendee = register(event)
    end(event, minutes_ago=10)
    made = (utcnow() - timedelta(minutes=20)).isoformat()  # while the event was still on
    answer = scan(client, event, device_token, attendee.active_ticket.code, scanned_at=made).get_json()
    assert answer["result"] == "ok"


def test_late_checkin_allowed_by_the_organisers(client, event, register, device_token, organiser):
    from app.events import services
    from tests.factories import event_data

    attendee = register(event)
    end(event)
    data = event_data(event.slug, event.name, starts_at=event.starts_at, ends_at=event.ends_at)
    services.update_event(organiser, event, {**data, "late_checkin": True})
    assert scan(client, event, device_token, attendee.active_ticket.code).get_json()["result"] == "ok"


def test_the_event_form_saves_late_checkin(client, event, login):
    login("btc@example.vn")
    url = f"/su-kien/quan-ly/{event.slug}/sua"
    page = client.get(url).get_data(as_text=True)
    assert "Cho phép check-in sau khi sự kiện kết thúc" in page
    assert not event.late_checkin
    form = {
        "csrf_token": csrf_from(page),
        "name": event.name,
        "slug": event.slug,
        "starts_at": "2031-10-20T07:30",
        "ends_at": "2031-10-20T17:00",
        "categories": "Khách tham quan\nThí sinh",
        "public_categories": "Khách tham quan",
        "gates": "Cổng A\nCổng B",
        "contest_id": "0",
        "is_published": "y",
        "late_checkin": "y",
    }
    assert client.post(url, data=form).status_code == 302
    db.session.refresh(event)
    assert event.late_checkin is True
    # Unticked (a checkbox sends nothing): off again.
    form.pop("late_checkin")
    assert submit(client, url, form).status_code == 302
    db.session.refresh(event)
    assert event.late_checkin is False


def test_the_volunteers_index_lists_today_first_with_one_link_each(
    client, make_event, staff, organiser, login
):
    from app.events import services

    now = utcnow()
    plan = [
        ("sau-nay", "Chợ phiên tuần sau", now + timedelta(days=7)),
        ("hom-qua-truoc", "Hội thảo năm ngoái", now - timedelta(days=400)),
        ("hom-nay", "Ngày hội hôm nay", now - timedelta(minutes=30)),
        ("ngay-mai", "Tọa đàm ngày mai", now + timedelta(days=1, hours=2)),
    ]
    for slug, name, starts in plan:
        event = make_event(slug=slug, name=name, starts_at=starts, ends_at=starts + timedelta(hours=1))
        services.assign_staff(organiser, event, "tnv@example.vn")
    login("tnv@example.vn")
    html = client.get("/quet-ve").get_data(as_text=True)
    order = [html.index(name) for _slug, name, _starts in plan]
    assert order[2] < order[3] < order[0] < order[1]  # today, upcoming (soonest first), past
    assert html.index("Hôm nay") < html.index("Sắp diễn ra") < html.index("Đã kết thúc")
    links = re.findall(r'href="(/su-kien/[^"/]+/quet-ve)"', html)
    assert len(links) == len(set(links)) == 5  # the fixture's event, plus these four: one link each


def test_only_a_queued_offline_scan_replaces_a_later_check_in(
    client, event, register, device_token, monkeypatch
):
    """Two live scans racing: each is timed when its request starts, so the one that reaches the
    database second may carry the earlier time — it must still be "already", never a second "ok"
    (a bug found by the 50-scan race test). A queued offline scan made earlier does replace it."""
    from app.events import checkin

    code = register(event, "Nguyễn Thị Hồng").active_ticket.code
    assert scan(client, event, device_token, code).get_json()["result"] == "ok"
    started_earlier = utcnow() - timedelta(seconds=1)
    monkeypatch.setattr(checkin, "utcnow", lambda: started_earlier)
    assert scan(client, event, device_token, code).get_json()["result"] == "already_checked_in"
    monkeypatch.undo()
    assert db.session.query(Checkin).filter(Checkin.undone_at.is_(None)).count() == 1

    offline_at = (utcnow() - timedelta(minutes=5)).isoformat()
    answer = scan(client, event, device_token, code, scanned_at=offline_at).get_json()
    assert answer["result"] == "ok" and "superseded" in answer
    standing = db.session.query(Checkin).filter(Checkin.undone_at.is_(None)).all()
    assert len(standing) == 1 and standing[0].at.isoformat() == offline_at
