"""The programme of sessions: the organisers' create / edit / delete (audited), the public timetable
(published sessions by day, filtered by room and kind), the rooms already used, the live counts per
room. Writes commit here; reads never write."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, exists, func, select, update

from app.accounts.models import User
from app.agenda import waitlist
from app.agenda.models import KINDS, EventSession, RegistrationStatus, SessionCheckin, SessionRegistration
from app.audit.services import record
from app.database import page_of, rowcount
from app.errors import Conflict, FieldErrors, Invalid, NotFound
from app.events.models import Event
from app.events.permissions import require_manager
from app.extensions import db
from app.localtime import LOCAL_TZ, format_date, local_to_utc, to_local, utcnow
from app.text import fold, tidy

MAX_CAPACITY = 100_000  # a room's seats; keeps the counters far from overflow
MAX_TITLE = 200
MAX_ROOM = 120
MAX_PEOPLE = 3000  # speakers / moderators, one per line
MAX_DESCRIPTION = 5000
MAX_DAYS = 31  # an event longer than this offers only its first days in the form


# --- days and times ----------------------------------------------------------------------------------


def event_days(event: Event) -> list[date]:
    """The local calendar days an event covers (a session must fall on one of them)."""
    first, last = to_local(event.starts_at).date(), to_local(event.ends_at).date()
    days: list[date] = []
    day = first
    while day <= last and len(days) < MAX_DAYS:
        days.append(day)
        day += timedelta(days=1)
    return days


def parse_day(value: object) -> date | None:
    """`?ngay=YYYY-MM-DD` (or the form's select) as a date; None when missing or malformed."""
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def local_range(day: date) -> tuple[datetime, datetime]:
    """A local calendar day as a UTC [start, end) pair."""
    start = local_to_utc(datetime.combine(day, time(0, 0)))
    return start, start + timedelta(days=1)


def room_label(room: str) -> str:
    """ "Phòng Hội trường A" reads badly: the word "Phòng" only where the name does not say what it is."""
    if not room:
        return ""
    first = fold(room).split(" ", 1)[0]
    return room if first in ROOM_WORDS else f"Phòng {room}"


ROOM_WORDS = {"phong", "hoi", "khu", "san", "sanh", "nha", "gian", "tang", "lau", "quang"}


def session_day(session: EventSession) -> date:
    return to_local(session.starts_at).date()


# --- the organisers' writes --------------------------------------------------------------------------


def _people(value: object, label: str) -> str:
    """One person per line ("Họ tên – chức danh, đơn vị"): blank lines dropped, each line tidied."""
    lines = [tidy(line, one_line=True) for line in str(value or "").splitlines()]
    text = "\n".join(line for line in lines if line)
    if len(text) > MAX_PEOPLE:
        raise Invalid(f"Danh sách {label} không được dài quá {MAX_PEOPLE} ký tự.", field=label)
    return text


def clean_session(event: Event, data: dict[str, Any], errors: FieldErrors | None = None) -> dict[str, Any]:
    """Check one session's values (the form checked their shape): the day is one of the event's, the
    end after the start, the kind known, the capacity a sensible number. Times are typed in local time.

    Every refusal at once (issue 15): into `errors` when given (the caller adds its own checks and
    raises; a refused value is then None), else raised here. The end is compared with the start only
    when the day and both times are good."""
    collect = errors if errors is not None else FieldErrors()
    title = tidy(data.get("title"), one_line=True)
    if not title:
        collect.add("title", "Vui lòng nhập tên phiên.")
    elif len(title) > MAX_TITLE:
        collect.add("title", f"Tên phiên không được dài quá {MAX_TITLE} ký tự.")
    kind = tidy(data.get("kind"))
    if kind not in KINDS:
        collect.add("kind", "Vui lòng chọn loại hoạt động trong danh sách.")
    day = data.get("day")
    day = parse_day(day) if isinstance(day, str) else day
    if not isinstance(day, date) or day not in event_days(event):
        collect.add("day", "Vui lòng chọn một ngày trong thời gian diễn ra sự kiện.")
    start, end = data.get("start"), data.get("end")
    if not isinstance(start, time):
        collect.add("start", "Vui lòng nhập giờ bắt đầu (giờ:phút).")
    if not isinstance(end, time):
        collect.add("end", "Vui lòng nhập giờ kết thúc (giờ:phút).")
    starts_at = ends_at = None
    if (
        isinstance(day, date)
        and isinstance(start, time)
        and isinstance(end, time)
        and "day" not in collect.errors
    ):
        starts_at = local_to_utc(datetime.combine(day, start.replace(second=0, microsecond=0)))
        ends_at = local_to_utc(datetime.combine(day, end.replace(second=0, microsecond=0)))
        if ends_at <= starts_at:
            collect.add("end", "Giờ kết thúc phải sau giờ bắt đầu.")
    room = tidy(data.get("room"), one_line=True)
    if len(room) > MAX_ROOM:
        collect.add("room", f"Tên phòng không được dài quá {MAX_ROOM} ký tự.")
    capacity = data.get("capacity")
    if capacity is not None and (
        not isinstance(capacity, int) or isinstance(capacity, bool) or not 1 <= capacity <= MAX_CAPACITY
    ):
        collect.add("capacity", "Số chỗ phải từ 1 đến 100.000 (bỏ trống nếu không giới hạn).")
    description = tidy(data.get("description"))
    if len(description) > MAX_DESCRIPTION:
        collect.add("description", f"Giới thiệu không được dài quá {MAX_DESCRIPTION} ký tự.")
    speakers = collect.check(_people, data.get("speakers"), "speakers")
    moderators = collect.check(_people, data.get("moderators"), "moderators")
    if errors is None:
        collect.raise_if_any()
    return {
        "title": title,
        "kind": kind,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "room": room,
        "speakers": speakers,
        "moderators": moderators,
        "description": description,
        "capacity": capacity,
        "registration_required": bool(data.get("registration_required")),
        "is_published": bool(data.get("is_published")),
    }


def create_session(actor: User, event: Event, data: dict[str, Any]) -> EventSession:
    """A new session of this event (its managers only)."""
    require_manager(actor, event)
    session = EventSession(
        event_id=event.id, registered_count=0, present_count=0, **clean_session(event, data)
    )
    db.session.add(session)
    db.session.flush()
    record(actor, "agenda.session_create", "event_session", session.id, event=event.slug, title=session.title)
    db.session.commit()
    return session


def _capacity_refusal(registered: int, capacity: int) -> str:
    return (
        f"Phiên đã có {registered} người đăng ký: không thể giảm số chỗ xuống "
        f"{capacity}. Hãy để từ {registered} chỗ trở lên."
    )


def update_session(actor: User, session: EventSession, data: dict[str, Any]) -> EventSession:
    """Change a session. The capacity never drops below the places already given (a conditional
    UPDATE, so a registration arriving meanwhile cannot slip under it); a raised capacity moves
    people up from the waitlist at once."""
    event = db.session.get(Event, session.event_id)
    if event is None:
        raise NotFound("Không tìm thấy sự kiện.")
    require_manager(actor, event)
    errors = FieldErrors()
    values = clean_session(event, data, errors)
    capacity = values["capacity"]
    if "capacity" not in errors.errors and capacity is not None and capacity < session.registered_count:
        # Said with the other refusals; the conditional UPDATE below still guards a registration
        # arriving meanwhile.
        errors.add("capacity", _capacity_refusal(session.registered_count, capacity))
    errors.raise_if_any()
    result = db.session.execute(
        update(EventSession)
        .where(
            EventSession.id == session.id,
            *([EventSession.registered_count <= capacity] if capacity is not None else []),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        db.session.rollback()
        db.session.refresh(session)
        raise Invalid(_capacity_refusal(session.registered_count, capacity), field="capacity")
    promoted = waitlist.fill_from_waitlist(session.id, utcnow())
    record(
        actor,
        "agenda.session_update",
        "event_session",
        session.id,
        event=event.slug,
        title=values["title"],
        promoted=len(promoted),
    )
    db.session.commit()
    db.session.refresh(session)
    waitlist.notify_promoted(promoted)
    return session


def has_activity(session: EventSession) -> bool:
    """Anyone registered, waiting or checked in (even undone): such a session is unpublished, not deleted."""
    registered = exists().where(SessionRegistration.session_id == session.id)
    checked = exists().where(SessionCheckin.session_id == session.id)
    return bool(db.session.scalar(select(registered | checked)))


def delete_session(actor: User, session: EventSession) -> None:
    """Delete a session nobody has registered for or been checked in to."""
    event = db.session.get(Event, session.event_id)
    require_manager(actor, event)
    if has_activity(session):
        raise Conflict(
            "Phiên đã có người đăng ký hoặc check-in nên không xoá được; hãy bỏ chọn “Hiển thị công khai” để ẩn phiên.",
            code="has_activity",
        )
    title, session_id = session.title, session.id
    db.session.execute(delete(EventSession).where(EventSession.id == session_id))
    record(
        actor,
        "agenda.session_delete",
        "event_session",
        session_id,
        event=getattr(event, "slug", ""),
        title=title,
    )
    db.session.commit()


# --- reads -------------------------------------------------------------------------------------------


def get_session(event: Event, session_id: int, *, published_only: bool = False) -> EventSession:
    """One session of this event, or NotFound (an id of another event is not found either)."""
    session = db.session.get(EventSession, session_id)
    if session is None or session.event_id != event.id or (published_only and not session.is_published):
        raise NotFound("Không tìm thấy phiên này.")
    return session


def list_sessions(event: Event, *, published_only: bool = True) -> list[EventSession]:
    """The event's sessions by start time, then room."""
    stmt = select(EventSession).where(EventSession.event_id == event.id)
    if published_only:
        stmt = stmt.where(EventSession.is_published.is_(True))
    return list(db.session.scalars(stmt.order_by(EventSession.starts_at, EventSession.room, EventSession.id)))


def sessions_page(event: Event, page: int, page_size: int) -> tuple[list[EventSession], int]:
    """One page of all the event's sessions (published or not) for its organisers, by time."""
    stmt = (
        select(EventSession)
        .where(EventSession.event_id == event.id)
        .order_by(EventSession.starts_at, EventSession.room, EventSession.id)
    )
    return page_of(stmt, page, page_size)


def rooms(event: Event, *, published_only: bool = False) -> list[str]:
    """The rooms already used in this event's sessions (the form's suggestions, the filter's choices)."""
    stmt = select(EventSession.room).where(EventSession.event_id == event.id, EventSession.room != "")
    if published_only:
        stmt = stmt.where(EventSession.is_published.is_(True))
    return list(db.session.scalars(stmt.distinct().order_by(EventSession.room)))


def session_count(event: Event) -> int:
    return db.session.scalar(select(func.count()).where(EventSession.event_id == event.id)) or 0


@dataclass(frozen=True)
class Day:
    day: date
    label: str  # "Thứ Bảy, 18/05/2024"
    sessions: list[EventSession]


WEEKDAYS = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"]


def day_label(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()]}, {format_date(day)}"


def group_by_day(sessions: Sequence[EventSession]) -> list[Day]:
    days: dict[date, list[EventSession]] = {}
    for session in sessions:
        days.setdefault(session_day(session), []).append(session)
    return [Day(day, day_label(day), items) for day, items in sorted(days.items())]


def timetable(event: Event, *, room: str = "", kind: str = "", day: date | None = None) -> list[EventSession]:
    """Published sessions, filtered by room, kind and local day (unknown values simply match nothing)."""
    stmt = select(EventSession).where(EventSession.event_id == event.id, EventSession.is_published.is_(True))
    if room:
        stmt = stmt.where(EventSession.room == room)
    if kind:
        stmt = stmt.where(EventSession.kind == kind)
    if day is not None:
        start, end = local_range(day)
        stmt = stmt.where(EventSession.starts_at >= start, EventSession.starts_at < end)
    return list(db.session.scalars(stmt.order_by(EventSession.starts_at, EventSession.room, EventSession.id)))


def next_sessions(event: Event, now: datetime | None = None, limit: int = 3) -> list[EventSession]:
    """The published sessions running now or still to come, soonest first (the public event page)."""
    now = now or utcnow()
    stmt = (
        select(EventSession)
        .where(
            EventSession.event_id == event.id,
            EventSession.is_published.is_(True),
            EventSession.ends_at > now,
        )
        .order_by(EventSession.starts_at, EventSession.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def waitlist_counts(session_ids: Sequence[int]) -> dict[int, int]:
    """How many wait for each of these sessions (one query)."""
    if not session_ids:
        return {}
    rows = db.session.execute(
        select(SessionRegistration.session_id, func.count())
        .where(
            SessionRegistration.session_id.in_(session_ids),
            SessionRegistration.status == RegistrationStatus.WAITLISTED.value,
            SessionRegistration.cancelled_at.is_(None),
        )
        .group_by(SessionRegistration.session_id)
    )
    return {session_id: count for session_id, count in rows}


def live_counts(event: Event, now: datetime | None = None) -> dict[str, Any]:
    """Present / registered / waitlisted / capacity per session; the sessions running now first, then
    those to come, then those over. Two queries whatever the number of sessions."""
    now = now or utcnow()
    running = and_(EventSession.starts_at <= now, EventSession.ends_at > now)
    order = case((running, 0), (EventSession.starts_at > now, 1), else_=2)
    sessions = list(
        db.session.scalars(
            select(EventSession)
            .where(EventSession.event_id == event.id)
            .order_by(order, EventSession.starts_at, EventSession.room, EventSession.id)
        )
    )
    waiting = waitlist_counts([s.id for s in sessions])
    rows = []
    for s in sessions:
        state = "running" if s.starts_at <= now < s.ends_at else ("upcoming" if s.starts_at > now else "over")
        rows.append(
            {
                "id": s.id,
                "title": s.title,
                "room": s.room,
                "time": f"{to_local(s.starts_at):%H:%M}–{to_local(s.ends_at):%H:%M} {format_date(s.starts_at)}",
                "state": state,
                "state_label": STATE_LABELS[state],
                "present": s.present_count,
                "registered": s.registered_count,
                "waitlisted": waiting.get(s.id, 0),
                "capacity": s.capacity,
                "registration_required": s.registration_required,
                "is_published": s.is_published,
            }
        )
    return {"sessions": rows, "updated_at": f"{now.astimezone(LOCAL_TZ):%H:%M:%S}"}


STATE_LABELS = {"running": "Đang diễn ra", "upcoming": "Sắp diễn ra", "over": "Đã kết thúc"}
