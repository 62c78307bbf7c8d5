"""An attendee adds sessions to their registration, with the ticket as their handle (no account).

Rules: only a valid ticket of an active registration, before the event is over; only sessions that
need registration (the others: "không cần đăng ký, cứ đến"); not once the session has started; two
sessions at overlapping times are refused with a message naming the other one (the attendee cancels
it first — one person cannot be in two rooms); when the session is full the person joins its
waitlist, in order. Cancelling frees the place and moves the first person waiting up in the same
transaction (see waitlist.py). A cancelled event registration revokes the ticket, so that person
can no longer register or be checked in; their session places are freed lazily, the next time a
full session is asked for or a place is given back (waitlist.release_cancelled_attendees).
Services commit; promotion mails go out after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, tuple_, update

from app.agenda import waitlist
from app.agenda.models import EventSession, SessionRegistration
from app.agenda.services import get_session, list_sessions
from app.audit.services import record
from app.database import flush, rowcount
from app.errors import Conflict, NotFound
from app.events.models import Attendee, Event, Ticket
from app.extensions import db
from app.localtime import format_date, to_local, utcnow

REGISTERED, WAITLISTED, CANCELLED = waitlist.REGISTERED, waitlist.WAITLISTED, waitlist.CANCELLED
OPEN_SESSION = "Phiên này không cần đăng ký – cứ đến đúng giờ."


def session_time(session: EventSession) -> str:
    """ "08:30–10:00 ngày 18/05/2024" for messages."""
    return f"{to_local(session.starts_at):%H:%M}–{to_local(session.ends_at):%H:%M} ngày {format_date(session.starts_at)}"


def check_holder(ticket: Ticket, now: datetime) -> tuple[Attendee, Event]:
    """The ticket may add or drop sessions: valid, an active registration, the event not over."""
    attendee = ticket.attendee
    if ticket.revoked_at is not None or attendee.cancelled_at is not None:
        raise Conflict("Vé này đã bị thu hồi hoặc đăng ký đã bị huỷ.", code="revoked")
    event = attendee.event
    if event.is_over(now):
        raise Conflict("Sự kiện đã kết thúc.", code="event_ended")
    return attendee, event


def active_registration(attendee_id: int, session_id: int) -> SessionRegistration | None:
    return db.session.scalar(
        select(SessionRegistration).where(
            SessionRegistration.attendee_id == attendee_id,
            SessionRegistration.session_id == session_id,
            SessionRegistration.cancelled_at.is_(None),
        )
    )


def overlapping(attendee_id: int, session: EventSession) -> EventSession | None:
    """Another session this person holds or waits for at a time that overlaps this one."""
    return db.session.scalar(
        select(EventSession)
        .join(SessionRegistration, SessionRegistration.session_id == EventSession.id)
        .where(
            SessionRegistration.attendee_id == attendee_id,
            SessionRegistration.cancelled_at.is_(None),
            EventSession.id != session.id,
            EventSession.starts_at < session.ends_at,
            EventSession.ends_at > session.starts_at,
        )
        .order_by(EventSession.starts_at)
        .limit(1)
    )


def register_for_session(ticket: Ticket, session_id: int, now: datetime | None = None) -> SessionRegistration:
    """Take a place in a session, or a place on its waitlist when it is full."""
    now = now or utcnow()
    attendee, event = check_holder(ticket, now)
    session = get_session(event, session_id, published_only=True)
    if not session.registration_required:
        raise Conflict(OPEN_SESSION, code="open_session")
    if session.starts_at <= now:
        raise Conflict("Phiên đã bắt đầu nên không nhận đăng ký nữa.", code="started")
    existing = active_registration(attendee.id, session.id)
    if existing is not None:
        if existing.status == WAITLISTED:
            raise Conflict("Bạn đang ở trong danh sách chờ của phiên này.", code="duplicate")
        raise Conflict("Bạn đã đăng ký phiên này.", code="duplicate")
    other = overlapping(attendee.id, session)
    if other is not None:
        raise Conflict(
            f"Phiên này trùng giờ với phiên “{other.title}” ({session_time(other)}) bạn đã đăng ký. "
            "Nếu muốn đổi, hãy huỷ phiên kia trước.",
            code="overlap",
        )
    promoted: list[int] = []
    got_place = waitlist.take_place(session.id)
    if not got_place:
        # Places held by cancelled registrations go to those already waiting, then to this person.
        promoted = waitlist.fill_from_waitlist(session.id, now)
        got_place = waitlist.take_place(session.id)
    reg = SessionRegistration(
        session_id=session.id,
        attendee_id=attendee.id,
        status=REGISTERED if got_place else WAITLISTED,
        created_at=now,
    )
    db.session.add(reg)
    flush(Conflict("Bạn đã đăng ký phiên này.", code="duplicate"))  # the same person twice at once
    record(None, "agenda.register", "event_session", session.id, attendee=attendee.id, status=reg.status)
    db.session.commit()
    waitlist.notify_promoted(promoted)
    return reg


def cancel_session_registration(ticket: Ticket, session_id: int, now: datetime | None = None) -> int:
    """Give up a place (or leave the waitlist); the first person waiting moves up. Returns how many
    were promoted."""
    now = now or utcnow()
    attendee, event = check_holder(ticket, now)
    session = get_session(event, session_id)
    if session.starts_at <= now:
        raise Conflict("Phiên đã bắt đầu nên không huỷ được nữa.", code="started")
    reg = active_registration(attendee.id, session.id)
    if reg is None:
        raise NotFound("Bạn chưa đăng ký phiên này.", code="not_registered")
    promoted: list[int] = []
    # Conditional on the status as it is now: a waiting person promoted a moment ago gives a place back.
    for status in (REGISTERED, WAITLISTED):
        result = db.session.execute(
            update(SessionRegistration)
            .where(
                SessionRegistration.id == reg.id,
                SessionRegistration.status == status,
                SessionRegistration.cancelled_at.is_(None),
            )
            .values(status=CANCELLED, cancelled_at=now)
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) == 1:
            if status == REGISTERED:
                waitlist.release_places(session.id)
                promoted = waitlist.fill_from_waitlist(session.id, now)
            break
    else:
        db.session.rollback()
        raise Conflict("Đăng ký phiên này đã được huỷ trước đó.", code="already_cancelled")
    record(None, "agenda.cancel", "event_session", session.id, attendee=attendee.id, promoted=len(promoted))
    db.session.commit()
    waitlist.notify_promoted(promoted)
    return len(promoted)


# --- what an attendee sees ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MyPlace:
    status: str  # registered | waitlisted
    position: int | None  # place in the waitlist (1 = next), None when registered


def my_places(attendee: Attendee) -> dict[int, MyPlace]:
    """This person's active session registrations by session id, with their waitlist positions."""
    regs = list(
        db.session.scalars(
            select(SessionRegistration).where(
                SessionRegistration.attendee_id == attendee.id, SessionRegistration.cancelled_at.is_(None)
            )
        )
    )
    places: dict[int, MyPlace] = {}
    for reg in regs:
        position = None
        if reg.status == WAITLISTED:
            ahead = db.session.scalar(
                select(func.count()).where(
                    SessionRegistration.session_id == reg.session_id,
                    SessionRegistration.status == WAITLISTED,
                    SessionRegistration.cancelled_at.is_(None),
                    tuple_(SessionRegistration.created_at, SessionRegistration.id) < (reg.created_at, reg.id),
                )
            )
            position = (ahead or 0) + 1
        places[reg.session_id] = MyPlace(reg.status, position)
    return places


def my_sessions(attendee: Attendee, *, registered_only: bool = False) -> list[EventSession]:
    """The sessions this person holds a place in (or waits for), by time."""
    statuses = [REGISTERED] if registered_only else [REGISTERED, WAITLISTED]
    return list(
        db.session.scalars(
            select(EventSession)
            .join(SessionRegistration, SessionRegistration.session_id == EventSession.id)
            .where(
                SessionRegistration.attendee_id == attendee.id,
                SessionRegistration.cancelled_at.is_(None),
                SessionRegistration.status.in_(statuses),
            )
            .order_by(EventSession.starts_at, EventSession.id)
        )
    )


def programme_for(attendee: Attendee) -> list[EventSession]:
    """Every published session of the attendee's event (the "Lịch của tôi" page)."""
    return list_sessions(attendee.event)
