"""Who manages which event, and who may scan its tickets.

An event linked to a contest belongs to that contest's organisers (co-organisers such as Tỉnh
đoàn manage it) and to the Sở-wide organisers; an unlinked event belongs to the Sở-wide
organisers only. Its attendees are finalists and guests with phones and emails, so this is the
same boundary as the contest's entries: contests.permissions.managed_contest_ids decides it (None =
every contest and so every event: Sở staff, admins; a set = events linked to those contests).
Check-in staff scan only for the events they are assigned to.
"""

from __future__ import annotations

from sqlalchemy import or_, select

from app.accounts.models import Role, User
from app.contests.models import Contest
from app.contests.permissions import manageable_contests, managed_contest_ids, only_managed
from app.errors import Invalid, NotFound, PermissionDenied
from app.events.models import Event, EventStaff
from app.extensions import db


def get_event(slug: str) -> Event:
    """The event at /su-kien/<slug>, or NotFound."""
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        raise NotFound("Không tìm thấy sự kiện.")
    return event


def may_run_events(user: User | None) -> bool:
    """May enter the organisers' event screens at all (a co-organiser sees only their contests' events)."""
    return managed_contest_ids(user) != set()


def can_manage(user: User | None, event: Event) -> bool:
    """Edit the event, see and export its attendees, manage its staff, devices and tickets."""
    ids = managed_contest_ids(user)
    return ids is None or (event.contest_id is not None and event.contest_id in ids)


def require_manager(user: User | None, event: Event | None = None) -> None:
    """`event` None: may the user create events at all (then `check_contest_link` decides which)."""
    allowed = may_run_events(user) if event is None else can_manage(user, event)
    if not allowed:
        raise PermissionDenied(
            "Sự kiện này thuộc Ban tổ chức của cuộc thi liên kết hoặc của Sở; bạn không quản lý sự kiện này."
        )


def get_event_for_manager(user: User, slug: str) -> Event:
    """404 when there is no such event; 403 when it belongs to another contest (or to the Sở only)."""
    event = get_event(slug)
    require_manager(user, event)
    return event


def manageable_events(user: User) -> list[Event]:
    """The events an organiser manages, newest first (the organisers' list, the reports dashboard)."""
    stmt = select(Event).order_by(Event.starts_at.desc(), Event.id.desc())
    return list(db.session.scalars(only_managed(stmt, user, Event.contest_id)))


def linkable_contests(user: User) -> list[Contest]:
    """The contests an organiser may link an event to (Sở staff: every contest)."""
    return manageable_contests(user) if may_run_events(user) else []


def check_contest_link(actor: User, contest_id: int | None) -> None:
    """A co-organiser may only link to a contest they manage and may not leave an event unlinked:
    linking is what makes an event theirs, so relinking must never hand them another's event."""
    if contest_id is not None and db.session.get(Contest, contest_id) is None:
        raise Invalid("Không tìm thấy cuộc thi này.", field="contest_id")
    ids = managed_contest_ids(actor)
    if ids is None:
        return
    if contest_id is None or contest_id not in ids:
        raise PermissionDenied(
            "Bạn chỉ được liên kết sự kiện với cuộc thi mà bạn thuộc Ban tổ chức.", field="contest_id"
        )


def is_staff(user: User, event: Event) -> bool:
    """Assigned to this event's check-in."""
    return (
        db.session.scalar(
            select(EventStaff.id).where(EventStaff.event_id == event.id, EventStaff.user_id == user.id)
        )
        is not None
    )


def can_scan(user: User | None, event: Event) -> bool:
    """The event's managers, and the check-in staff assigned to this event."""
    if not (user and user.is_authenticated):
        return False
    if can_manage(user, event):
        return True
    return user.has_role(Role.CHECKIN, Role.ORGANISER) and is_staff(user, event)


def require_scanner(user: User | None, event: Event) -> None:
    """PermissionDenied unless `can_scan`."""
    if not can_scan(user, event):
        raise PermissionDenied("Bạn không được phân công check-in cho sự kiện này.")


def events_for_staff(user: User) -> list[Event]:
    """The events a user may scan for, soonest first: those they manage and those they are assigned to."""
    ids = managed_contest_ids(user)
    assigned = select(EventStaff.event_id).where(EventStaff.user_id == user.id)
    if ids is None:
        stmt = select(Event)
    elif ids:
        stmt = select(Event).where(or_(Event.id.in_(assigned), Event.contest_id.in_(ids)))
    else:
        stmt = select(Event).where(Event.id.in_(assigned))
    return list(db.session.scalars(stmt.order_by(Event.starts_at)))
