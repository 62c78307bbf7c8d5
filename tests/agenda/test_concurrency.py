"""Places, the waitlist and room capacity under concurrent requests (real threads, one connection
each; meaningful on PostgreSQL, where `make test-postgres` runs them — SQLite serialises writers)."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from app.agenda import registrations
from app.agenda.checkin import record_session_checkin
from app.agenda.models import EventSession, SessionCheckin, SessionRegistration
from app.errors import DomainError
from app.events.checkin import scope_for_device
from app.extensions import db
from tests.agenda.conftest import NAMES


def run_together(app, n, work):
    """Call work(i) in n threads released at once, each in its own app context; (outcomes, errors)."""
    barrier = threading.Barrier(n)
    outcomes, errors = [], []

    def worker(i):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                outcomes.append(work(i))
            except DomainError as exc:
                outcomes.append(exc.code)
            except Exception as exc:  # a crash in a thread must fail the test
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes, errors


def counts(session_id):
    db.session.expire_all()
    rows = db.session.execute(
        select(SessionRegistration.status, func.count())
        .where(SessionRegistration.session_id == session_id, SessionRegistration.cancelled_at.is_(None))
        .group_by(SessionRegistration.status)
    ).all()
    return dict(rows)


def ticket(code):
    from app.events.registration import get_ticket

    return get_ticket(code)


def test_twenty_people_at_once_for_five_places(app, event, make_session, register, is_postgres):
    n = 20
    session_id = make_session(capacity=5).id
    codes = [register(event, name=NAMES[i]).active_ticket.code for i in range(n)]
    db.session.remove()
    outcomes, errors = run_together(
        app, n, lambda i: registrations.register_for_session(ticket(codes[i]), session_id).status
    )
    assert errors == []
    assert sorted(outcomes) == ["registered"] * 5 + ["waitlisted"] * 15
    assert counts(session_id) == {"registered": 5, "waitlisted": 15}
    assert db.session.get(EventSession, session_id).registered_count == 5


def test_concurrent_cancellations_promote_exactly_as_many(app, event, make_session, register, is_postgres):
    session_id = make_session(capacity=5).id
    people = [register(event, name=NAMES[i]).active_ticket.code for i in range(12)]
    for code in people:
        registrations.register_for_session(ticket(code), session_id)
    holders = people[:5]
    waiting_in_order = people[5:]
    db.session.remove()
    # Four of the five holders cancel at once, while two of the waiting leave the queue at the same time.
    leaving = holders[:4] + waiting_in_order[:2]
    outcomes, errors = run_together(
        app, len(leaving), lambda i: registrations.cancel_session_registration(ticket(leaving[i]), session_id)
    )
    assert errors == []
    assert counts(session_id) == {"registered": 5, "waitlisted": 1}
    session = db.session.get(EventSession, session_id)
    assert session.registered_count == 5
    registered = set(
        db.session.scalars(
            select(SessionRegistration.attendee_id).where(
                SessionRegistration.session_id == session_id,
                SessionRegistration.status == "registered",
                SessionRegistration.cancelled_at.is_(None),
            )
        )
    )
    # Nobody promoted twice, nobody lost: exactly five hold a place, each once.
    assert len(registered) == 5


def test_room_capacity_holds_under_concurrent_scans(
    app, event, make_session, register, device_token, is_postgres
):
    n = 20 if is_postgres else 10
    session_id = make_session(capacity=4, registration_required=False).id
    codes = [register(event, name=NAMES[i]).active_ticket.code for i in range(n)]
    slug = event.slug
    db.session.remove()

    def scan(i):
        return record_session_checkin(scope_for_device(slug, device_token), session_id, codes[i])["result"]

    outcomes, errors = run_together(app, n, scan)
    assert errors == []
    assert sorted(outcomes) == ["ok"] * 4 + ["room_full"] * (n - 4)
    assert db.session.get(EventSession, session_id).present_count == 4
    assert db.session.scalar(select(func.count()).select_from(SessionCheckin)) == 4


def test_one_ticket_scanned_at_once_is_let_in_once(
    app, event, make_session, register, device_token, is_postgres
):
    n = 12 if is_postgres else 6
    session_id = make_session(capacity=10, registration_required=False).id
    code = register(event).active_ticket.code
    slug = event.slug
    db.session.remove()

    def scan(_i):
        return record_session_checkin(scope_for_device(slug, device_token), session_id, code)["result"]

    outcomes, errors = run_together(app, n, scan)
    assert errors == []
    assert outcomes.count("ok") == 1 and outcomes.count("already_checked_in") == n - 1
    assert db.session.get(EventSession, session_id).present_count == 1
