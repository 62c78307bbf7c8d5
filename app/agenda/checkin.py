"""Check-in at a room's door: the same scanner, the same credentials and the same answer shape as
the gate (events.checkin), with two answers of its own — `not_registered` (the session needs
registration and this person holds no place; waiting counts as no place) and `room_full`.

The guarantees are the database's: one active check-in per ticket and session is a partial UNIQUE
index, and `present_count` is raised by a conditional UPDATE (`… WHERE capacity IS NULL OR
present_count < capacity`) in the same transaction as the check-in's INSERT, so a room never lets
in more people than its capacity however many doors scan at once (the UPDATE holds the session's
row lock until the commit on PostgreSQL; SQLite serialises writers). A repeated scan_id returns the
first answer: an "ok" is found again by the check-in's scan_id, every other answer is stored in the
event's `event_scans` table. Services commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NoReturn

from flask import url_for
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.agenda.models import EventSession, RegistrationStatus, SessionCheckin, SessionRegistration
from app.agenda.services import local_range, room_label
from app.audit.services import record
from app.database import rowcount
from app.errors import Conflict, Invalid, NotFound
from app.events import scanpoints, tickets
from app.events.checkin import ScanScope, checkin_json, clean_scan_id, clean_scanned_at
from app.events.models import Attendee, DeviceToken, Event, Scan, Ticket
from app.events.registration import required_reason, ticket_key
from app.extensions import db
from app.localtime import to_local, utcnow

RESULTS = (
    "ok",
    "already_checked_in",
    "invalid",
    "revoked",
    "wrong_event",
    "event_ended",
    "not_registered",
    "room_full",
)
MESSAGES = {
    "ok": "Hợp lệ – mời vào phòng.",
    "already_checked_in": "Vé này đã check-in vào phiên này trước đó.",
    "invalid": "Mã vé không hợp lệ.",
    "revoked": "Vé đã bị thu hồi (đã cấp vé mới hoặc huỷ đăng ký).",
    "wrong_event": "Vé của sự kiện khác.",
    "event_ended": "Sự kiện đã kết thúc.",
    "not_registered": (
        "Chưa đăng ký phiên này: phiên chỉ dành cho người đã có chỗ (người trong danh sách chờ chưa được vào)."
    ),
    "room_full": "Phòng đã đủ chỗ – không nhận thêm người.",
}
Answer = dict[str, Any]


# --- small pieces --------------------------------------------------------------------------------------


def scan_session(scope: ScanScope, session_id: int) -> EventSession:
    """The session scanned for: one of the scope's event (another event's id is not found)."""
    session = db.session.get(EventSession, session_id)
    if session is None or session.event_id != scope.event_id:
        raise NotFound("Không tìm thấy phiên này trong sự kiện.", code="not_found")
    return session


def _attendee_json(attendee: Attendee) -> dict[str, Any]:
    return {
        "id": attendee.id,
        "name": attendee.full_name,
        "category": attendee.category,
        "organisation": attendee.organisation,
        "group": attendee.group_name,
    }


def _session_json(session: EventSession) -> dict[str, Any]:
    return {
        "id": session.id,
        "title": session.title,
        "room": session.room,
        "present": session.present_count,
        "capacity": session.capacity,
    }


def _answer(result: str, session: EventSession, **extra: object) -> Answer:
    return {"result": result, "message": MESSAGES[result], "session": _session_json(session), **extra}


def _staff_label(checkin: SessionCheckin) -> str:
    if checkin.staff_id:
        name = db.session.scalar(select(User.full_name).where(User.id == checkin.staff_id))
        if name:
            return name
    if checkin.device_id:
        device = db.session.scalar(select(DeviceToken.name).where(DeviceToken.id == checkin.device_id))
        if device:
            return f"Thiết bị: {device}"
    return ""


def _busy() -> NoReturn:
    raise Conflict("Lượt quét đang được xử lý ở nơi khác, vui lòng quét lại.", code="busy")


def _stored_answer(event_id: int, scan_id: str) -> Answer | None:
    """The first answer to this scan_id: an "ok" rebuilt from its check-in, any other as stored."""
    response = db.session.scalar(
        select(Scan.response).where(Scan.event_id == event_id, Scan.scan_id == scan_id)
    )
    if response is not None:
        return {**response, "replayed": True}
    checkin = db.session.scalar(
        select(SessionCheckin).where(SessionCheckin.event_id == event_id, SessionCheckin.scan_id == scan_id)
    )
    if checkin is None:
        return None
    session = db.session.get(EventSession, checkin.session_id)
    if session is None:  # deleted since (CASCADE removes its check-ins too)
        return None
    answer = _answer(
        "ok",
        session,
        attendee=_attendee_json(checkin.attendee),
        checkin=checkin_json(checkin.id, checkin.at, session.room, _staff_label(checkin)),
    )
    return {**answer, "replayed": True}


def _active_checkin(session_id: int, ticket_id: int) -> SessionCheckin | None:
    return db.session.scalar(
        select(SessionCheckin).where(
            SessionCheckin.session_id == session_id,
            SessionCheckin.ticket_id == ticket_id,
            SessionCheckin.undone_at.is_(None),
        )
    )


def holds_place(session_id: int, attendee_id: int) -> bool:
    return (
        db.session.scalar(
            select(SessionRegistration.id).where(
                SessionRegistration.session_id == session_id,
                SessionRegistration.attendee_id == attendee_id,
                SessionRegistration.status == RegistrationStatus.REGISTERED.value,
                SessionRegistration.cancelled_at.is_(None),
            )
        )
        is not None
    )


def _enter_room(session_id: int) -> bool:
    """One more person in the room unless it is full (conditional UPDATE; False: nothing written)."""
    result = db.session.execute(
        update(EventSession)
        .where(
            EventSession.id == session_id,
            or_(EventSession.capacity.is_(None), EventSession.present_count < EventSession.capacity),
        )
        .values(present_count=EventSession.present_count + 1)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


# --- one scan ------------------------------------------------------------------------------------------


def _try_checkin(
    scope: ScanScope,
    session: EventSession,
    ticket: Ticket,
    attendee: Attendee,
    at: datetime,
    scan_id: str | None,
) -> Answer:
    """Let the person in unless already in or the room is full; commits a new check-in."""
    session_id, ticket_id, attendee_id = session.id, ticket.id, attendee.id
    attendee_json = _attendee_json(attendee)
    for _attempt in range(3):
        first = _active_checkin(session_id, ticket_id)
        if first is not None:
            first_json = checkin_json(first.id, first.at, session.room, _staff_label(first))
            return _answer(
                "already_checked_in",
                session,
                attendee=attendee_json,
                checkin=first_json,
                first_checkin=first_json,
            )
        if not _enter_room(session_id):
            db.session.rollback()
            db.session.refresh(session)
            return _answer("room_full", session, attendee=attendee_json)
        checkin = SessionCheckin(
            session_id=session_id,
            event_id=scope.event_id,
            ticket_id=ticket_id,
            attendee_id=attendee_id,
            at=at,
            staff_id=scope.staff_id,
            device_id=scope.device_id,
            scan_id=scan_id,
        )
        db.session.add(checkin)
        try:
            db.session.flush()
        except IntegrityError:
            # Another door let this ticket in (or this scan_id was answered) a moment ago: the room's
            # count goes back with the rollback; the next round finds who won.
            db.session.rollback()
            if scan_id is not None:
                replay = _stored_answer(scope.event_id, scan_id)
                if replay is not None:
                    return replay
            continue
        checkin_id = checkin.id
        db.session.commit()
        db.session.refresh(session)
        return _answer(
            "ok",
            session,
            attendee=attendee_json,
            checkin=checkin_json(checkin_id, at, session.room, scope.label),
        )
    _busy()


def _remember(scope: ScanScope, scan_id: str, answer: Answer, now: datetime) -> Answer:
    """Store an answer that let nobody in, so a retry of the scan gets it again; commits."""
    db.session.add(
        Scan(event_id=scope.event_id, scan_id=scan_id, result=answer["result"], response=answer, at=now)
    )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return _stored_answer(scope.event_id, scan_id) or _busy()
    return answer


def record_session_checkin(
    scope: ScanScope,
    session_id: int,
    scanned: str,
    *,
    scan_id: str | None = None,
    scanned_at: object = None,
) -> Answer:
    """Answer one scan at a room's door: ok / already_checked_in / invalid / revoked / wrong_event /
    event_ended / not_registered / room_full."""
    if not isinstance(scanned, str) or len(scanned) > 2000:
        raise Invalid("Thiếu nội dung mã quét (code).", field="code", code="invalid_code_field")
    session = scan_session(scope, session_id)
    scan_id = clean_scan_id(scan_id)
    now = utcnow()
    at = clean_scanned_at(scanned_at, now)
    if scan_id is not None:
        replay = _stored_answer(scope.event_id, scan_id)
        if replay is not None:
            return replay
    code = tickets.extract_code(scanned)
    row = None
    if tickets.is_valid_code(ticket_key(), code):
        row = db.session.execute(
            select(Ticket, Attendee)
            .join(Attendee, Attendee.id == Ticket.attendee_id)
            .where(Ticket.code == code)
        ).first()
    event = db.session.get(Event, scope.event_id)
    if row is None or event is None:
        answer = _answer("invalid", session)
    else:
        ticket, attendee = row
        if ticket.event_id != scope.event_id:
            other = db.session.scalar(select(Event.name).where(Event.id == ticket.event_id))
            answer = _answer("wrong_event", session, event={"name": other})
        elif ticket.revoked_at is not None:
            answer = _answer("revoked", session, attendee=_attendee_json(attendee))
        elif event.is_over(now) and not event.late_checkin:
            answer = _answer("event_ended", session, attendee=_attendee_json(attendee))
        elif session.registration_required and not holds_place(session.id, attendee.id):
            answer = _answer("not_registered", session, attendee=_attendee_json(attendee))
        else:
            answer = _try_checkin(scope, session, ticket, attendee, at, scan_id)
            if answer["result"] == "ok" or answer.get("replayed"):
                return answer
    if scan_id is None:
        db.session.rollback()
        return answer
    return _remember(scope, scan_id, answer, now)


def undo_session_checkin(scope: ScanScope, session_id: int, checkin_id: int, reason: str) -> SessionCheckin:
    """Undo a room check-in with a reason (audited): the room's count goes down, the ticket may be
    scanned in again."""
    reason = required_reason(reason, "Vui lòng ghi lý do huỷ check-in.", code="reason_required")
    if len(reason) > 300:
        raise Invalid("Lý do không được dài quá 300 ký tự.", field="reason", code="reason_too_long")
    session = scan_session(scope, session_id)
    checkin = db.session.get(SessionCheckin, checkin_id)
    if checkin is None or checkin.session_id != session.id:
        raise NotFound("Không tìm thấy lượt check-in.", code="not_found")
    result = db.session.execute(
        update(SessionCheckin)
        .where(SessionCheckin.id == checkin_id, SessionCheckin.undone_at.is_(None))
        .values(undone_at=utcnow(), undone_by_id=scope.staff_id, undo_reason=reason)
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        db.session.rollback()
        raise Conflict("Lượt check-in này đã được huỷ trước đó.", code="already_undone")
    db.session.execute(
        update(EventSession)
        .where(EventSession.id == session.id, EventSession.present_count > 0)
        .values(present_count=EventSession.present_count - 1)
        .execution_options(synchronize_session=False)
    )
    record(
        scope.user,
        "agenda.checkin_undo",
        "event_session_checkin",
        checkin_id,
        event=scope.event_slug,
        session=session.id,
        reason=reason,
        device_id=scope.device_id,
    )
    db.session.commit()
    db.session.refresh(checkin)
    return checkin


# --- the scanner's "Điểm quét" list ---------------------------------------------------------------------


def point_label(session: EventSession, today: Any) -> str:
    local = to_local(session.starts_at)
    when = f"{local:%H:%M}" if local.date() == today else f"{local:%H:%M %d/%m}"
    room = room_label(session.room)
    return f"{room} – {session.title} ({when})" if room else f"{session.title} ({when})"


@scanpoints.register
def session_points(event: Event) -> list[scanpoints.ScanPoint]:
    """Today's and upcoming published sessions of the event, each a scan point posting here."""
    today = to_local(utcnow()).date()
    start_of_today, _end = local_range(today)
    sessions = db.session.scalars(
        select(EventSession)
        .where(
            EventSession.event_id == event.id,
            EventSession.is_published.is_(True),
            EventSession.ends_at > start_of_today,
        )
        .order_by(EventSession.starts_at, EventSession.room, EventSession.id)
    )
    return [
        {
            "id": f"session:{s.id}",
            "label": point_label(s, today),
            "kind": "session",
            "api": url_for("agenda.api_session_checkin", slug=event.slug, session_id=s.id),
            "gate": "",
        }
        for s in sessions
    ]
