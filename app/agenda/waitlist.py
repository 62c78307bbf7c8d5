"""A session's places and its waitlist: the same race-safe rule as an event's capacity.

A place is taken only by a conditional UPDATE of `registered_count` (`… WHERE capacity IS NULL OR
registered_count < capacity`): on PostgreSQL it takes the session's row lock, so a concurrent
registration waits and re-checks the condition on the fresh row; on SQLite writers are serialised.
A freed place goes to the first person waiting in the same transaction (the row lock is held until
commit, so no newcomer can slip in between), and a promotion is itself conditional (`… WHERE status
= 'waitlisted' AND cancelled_at IS NULL`): two cancellations at once never promote the same person,
and a waiting person who cancels meanwhile is skipped. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update

from app.agenda.models import EventSession, RegistrationStatus, SessionRegistration
from app.database import rowcount
from app.events.models import Attendee
from app.extensions import db
from app.mail.services import send_email

REGISTERED = RegistrationStatus.REGISTERED.value
WAITLISTED = RegistrationStatus.WAITLISTED.value
CANCELLED = RegistrationStatus.CANCELLED.value


def take_place(session_id: int) -> bool:
    """Raise the session's count by one unless it is full; False (nothing written) when full."""
    result = db.session.execute(
        update(EventSession)
        .where(
            EventSession.id == session_id,
            or_(EventSession.capacity.is_(None), EventSession.registered_count < EventSession.capacity),
        )
        .values(registered_count=EventSession.registered_count + 1)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


def release_places(session_id: int, count: int = 1) -> None:
    """Give places back (never below zero)."""
    if count <= 0:
        return
    db.session.execute(
        update(EventSession)
        .where(EventSession.id == session_id, EventSession.registered_count >= count)
        .values(registered_count=EventSession.registered_count - count)
        .execution_options(synchronize_session=False)
    )


def release_cancelled_attendees(session_id: int, now: datetime) -> int:
    """Cancel the session registrations of people whose event registration was cancelled (their
    ticket is revoked: they cannot come) and free their places. Returns the places freed."""
    cancelled_people = select(Attendee.id).where(Attendee.cancelled_at.is_not(None))
    freed = 0
    for status in (REGISTERED, WAITLISTED):
        result = db.session.execute(
            update(SessionRegistration)
            .where(
                SessionRegistration.session_id == session_id,
                SessionRegistration.status == status,
                SessionRegistration.cancelled_at.is_(None),
                SessionRegistration.attendee_id.in_(cancelled_people),
            )
            .values(status=CANCELLED, cancelled_at=now)
            .execution_options(synchronize_session=False)
        )
        if status == REGISTERED:
            freed = rowcount(result)
    release_places(session_id, freed)
    return freed


def _first_waiting(session_id: int) -> int | None:
    return db.session.scalar(
        select(SessionRegistration.id)
        .where(
            SessionRegistration.session_id == session_id,
            SessionRegistration.status == WAITLISTED,
            SessionRegistration.cancelled_at.is_(None),
        )
        .order_by(SessionRegistration.created_at, SessionRegistration.id)
        .limit(1)
    )


def fill_from_waitlist(session_id: int, now: datetime) -> list[int]:
    """Move people up from the waitlist, first come first served, while places are free. Returns the
    ids of the registrations promoted (for their mails, sent after the commit)."""
    release_cancelled_attendees(session_id, now)
    promoted: list[int] = []
    while True:
        candidate = _first_waiting(session_id)
        if candidate is None or not take_place(session_id):
            return promoted
        result = db.session.execute(
            update(SessionRegistration)
            .where(
                SessionRegistration.id == candidate,
                SessionRegistration.status == WAITLISTED,
                SessionRegistration.cancelled_at.is_(None),
            )
            .values(status=REGISTERED, promoted_at=now)
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) == 1:
            promoted.append(candidate)
        else:  # cancelled or promoted by someone else meanwhile: the place goes to the next in line
            release_places(session_id)


def notify_promoted(registration_ids: Sequence[int]) -> int:
    """Mail each promoted person who gave an email (after the commit). Returns the mails sent."""
    sent = 0
    for registration_id in registration_ids:
        reg = db.session.get(SessionRegistration, registration_id)
        if reg is None:
            continue
        attendee = reg.attendee
        ticket = attendee.active_ticket
        if not attendee.email or ticket is None:
            continue
        send_email(
            attendee.email,
            f"Bạn đã có chỗ: {reg.session.title}",
            "mail/session_promoted.txt",
            attendee=attendee,
            session=reg.session,
            event=attendee.event,
            code=ticket.code,
        )
        sent += 1
    return sent
