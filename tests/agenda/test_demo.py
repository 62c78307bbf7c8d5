"""The demo programme: eight sessions in three rooms on the 2024 festival, with registrations, a
waitlist and room check-ins whose counters match the rows; running it twice changes nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from app.agenda import demo
from app.agenda.models import EventSession, SessionCheckin, SessionRegistration
from app.events.demo import FESTIVAL
from app.extensions import db
from app.localtime import local_to_utc
from tests.agenda.conftest import NAMES


def test_demo_programme_is_complete_consistent_and_idempotent(app, organiser, register):
    from app.events import services
    from tests.factories import event_data

    festival = services.create_event(
        organiser,
        event_data(
            FESTIVAL,
            "Ngày hội KNĐMST 2024",
            starts_at=local_to_utc(datetime(2024, 5, 18, 7, 30)),
            ends_at=local_to_utc(datetime(2099, 5, 18, 17, 0)),  # open, so the form registers people
        ),
    )
    for name in NAMES[:80]:
        register(festival, name=name)
    demo.seed()
    demo.seed()

    def snapshot():
        return (
            db.session.scalar(select(func.count()).select_from(EventSession)),
            db.session.scalar(select(func.count()).select_from(SessionRegistration)),
            db.session.scalar(select(func.count()).select_from(SessionCheckin)),
        )

    sessions = list(db.session.scalars(select(EventSession).order_by(EventSession.starts_at)))
    assert len(sessions) == 8 and len({s.room for s in sessions}) == 3
    assert any("AR/VR" in s.title for s in sessions)
    for s in sessions:
        registered = db.session.scalar(
            select(func.count()).where(
                SessionRegistration.session_id == s.id, SessionRegistration.status == "registered"
            )
        )
        present = db.session.scalar(select(func.count()).where(SessionCheckin.session_id == s.id))
        assert (s.registered_count, s.present_count) == (registered, present)
        assert s.capacity is None or s.registered_count <= s.capacity
    waiting = db.session.scalar(select(func.count()).where(SessionRegistration.status == "waitlisted"))
    assert waiting > 0
    before = snapshot()
    demo.seed()
    assert snapshot() == before
