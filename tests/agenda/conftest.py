"""Fixtures for the agenda tests: an event with sessions, attendees with tickets, scanners."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from app.localtime import to_local, utcnow
from tests.factories import event_data

CONSENT = {"process_registration": True, "newsletter": False}


@pytest.fixture
def organiser(make_user):
    return make_user("btc@example.vn", roles=("organiser",), name="Trần Thị Thu Hà")


@pytest.fixture
def event(app, organiser):
    """An event from 07:00 to 17:00 local time in three days' time, open for registration."""
    from datetime import datetime

    from app.events import services
    from app.localtime import local_to_utc

    day = to_local(utcnow()).date() + timedelta(days=3)
    return services.create_event(
        organiser,
        event_data(
            starts_at=local_to_utc(datetime.combine(day, time(7, 0))),
            ends_at=local_to_utc(datetime.combine(day, time(17, 0))),
        ),
    )


def session_values(event, **extra):
    """What the organisers' session form sends, on the event's first day."""
    day: date = to_local(event.starts_at).date()
    values = {
        "title": "Tọa đàm kết nối đầu tư",
        "kind": "talk",
        "day": day.isoformat(),
        "start": time(8, 30),
        "end": time(10, 0),
        "room": "Hội trường A",
        "speakers": "Nguyễn Văn Bình – Giám đốc Quỹ đầu tư\nLê Thị Hoa – nhà sáng lập",
        "moderators": "",
        "description": "Gặp gỡ nhà đầu tư.",
        "capacity": None,
        "registration_required": True,
        "is_published": True,
    }
    values.update(extra)
    return values


@pytest.fixture
def make_session(app, organiser, event):
    from app.agenda import services

    def _make(target=None, **extra):
        return services.create_session(organiser, target or event, session_values(target or event, **extra))

    return _make


@pytest.fixture
def register(app):
    """Register someone for an event (the public form); returns the attendee."""
    from app.events import registration

    counter = {"n": 0}

    def _register(event, name="Nguyễn Thị Hồng", email=None, category="Khách tham quan"):
        counter["n"] += 1
        data = {"full_name": name, "phone": f"0905{counter['n']:06d}", "category": category}
        if email:
            data["email"] = email
        return registration.register_attendee(event, data, dict(CONSENT))

    return _register


@pytest.fixture
def ticket_of():
    def _ticket(attendee):
        return attendee.active_ticket

    return _ticket


@pytest.fixture
def device_token(app, event):
    from app.events import services

    _row, token = services.create_device_token(None, event, "Điện thoại cửa Hội trường A")
    return token


@pytest.fixture
def device_scope(app, event, device_token):
    from app.events import checkin

    return checkin.scope_for_device(event.slug, device_token)


HO = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Bùi"]
TEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hương", "Khoa", "Lan", "Minh", "Nga"]
NAMES = [f"{HO[i % len(HO)]} Văn {TEN[i // len(HO) % len(TEN)]}" for i in range(80)]
