"""Event rules: an event's configuration, its check-in staff and scanner devices, and the linked
contest's finalists and judges. Services commit (or roll back) their own transaction.

The rest of the package's rules live in their own rooms; import each name from the module that
defines it: `permissions` (who manages and who scans which event), `registration` (registration,
capacity, tickets), `checkin` (the gate), `guests` (the import of invited guests from .xlsx) and
the pure `tickets` (ticket codes: signed, unguessable, read back from a scanner).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select

from app.accounts.models import Role, User
from app.accounts.services import field_value
from app.accounts.validation import normalize_email
from app.audit.services import record
from app.contests.models import Contest
from app.contests.permissions import contest_judges
from app.contests.services import list_finalists
from app.database import flush, rowcount
from app.errors import Conflict, FieldErrors, Invalid, NotFound
from app.events import tickets
from app.events.checkin import forget_device
from app.events.models import DEFAULT_PUBLIC_CATEGORIES, Attendee, Checkin, DeviceToken, Event, EventStaff
from app.events.permissions import check_contest_link, is_staff, require_manager
from app.events.registration import issue_ticket, send_ticket_email, take_place
from app.extensions import db
from app.localtime import format_date, to_local, utcnow
from app.text import SLUG_RE, fold, tidy, truncate
from app.tokens import hash_token, new_token

__all__ = [
    "MAX_CAPACITY",
    "RESERVED_SLUGS",
    "assign_staff",
    "attendance_counts",
    "create_device_token",
    "create_event",
    "is_past",
    "linked_contest",
    "list_devices",
    "list_public_events",
    "past_events_by_year",
    "refuse_if_past",
    "list_staff",
    "remove_staff",
    "revoke_device_token",
    "sync_contest_attendees",
    "update_event",
]

MAX_CAPACITY = 1_000_000  # the event form's bound too; keeps the counter far from integer overflow
RESERVED_SLUGS = {"quan-ly"}  # /su-kien/quan-ly is the organisers' list
SLUG_TAKEN = "Đường dẫn này đã được dùng cho sự kiện khác."
ALREADY_STAFF = "Người này đã được phân công cho sự kiện."


# --- events ---------------------------------------------------------------------------------------


def list_public_events(now: datetime | None = None) -> list[Event]:
    """Published events that have not ended, soonest first (the public home and the events list)."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(Event).where(Event.is_published.is_(True), Event.ends_at >= now).order_by(Event.starts_at)
        )
    )


def is_past(event: Event, now: datetime | None = None) -> bool:
    """The event has ended: its page is a record of what happened, no longer a registration desk."""
    return event.ends_at < (now or utcnow())


def refuse_if_past(event: Event, now: datetime | None = None) -> None:
    """Registering or re-sending a ticket for an event that has taken place is refused (Conflict)."""
    if is_past(event, now):
        raise Conflict(
            f"Sự kiện đã diễn ra ngày {format_date(event.starts_at)}; không còn nhận đăng ký hay gửi lại vé.",
            code="past",
        )


def past_events_by_year(now: datetime | None = None) -> list[tuple[int, list[Event]]]:
    """Published events that have ended, grouped by their (local) year, newest year and event first."""
    now = now or utcnow()
    events = db.session.scalars(
        select(Event)
        .where(Event.is_published.is_(True), Event.ends_at < now)
        .order_by(Event.starts_at.desc())
    )
    years: dict[int, list[Event]] = {}
    for event in events:
        years.setdefault(to_local(event.starts_at).year, []).append(event)
    return sorted(years.items(), key=lambda item: item[0], reverse=True)


def attendance_counts(events: Iterable[Event]) -> dict[int, int]:
    """People checked in (not undone) per event, for the events whose organisers show it: one query."""
    ids = [event.id for event in events if event.show_attendance]
    if not ids:
        return {}
    rows = db.session.execute(
        select(Checkin.event_id, func.count(func.distinct(Checkin.attendee_id)))
        .where(Checkin.event_id.in_(ids), Checkin.undone_at.is_(None))
        .group_by(Checkin.event_id)
    )
    counts = {event_id: 0 for event_id in ids}
    counts.update({event_id: count for event_id, count in rows})
    return counts


def _lines(value: str | Iterable[str] | None) -> list[str]:
    items = value.splitlines() if isinstance(value, str) else list(value or [])
    seen: list[str] = []
    for item in items:
        item = tidy(item, one_line=True)
        if item and item not in seen:
            seen.append(item[:80])
    return seen


def _public_categories(data: dict[str, Any], categories: list[str]) -> list[str]:
    """The categories people may pick themselves on the public form; the others (invited guests,
    press …) only an organiser, the desk or a guest import can give. Missing: the default ones."""
    if "public_categories" not in data:
        return [c for c in categories if c in DEFAULT_PUBLIC_CATEGORIES]
    public = _lines(data.get("public_categories"))
    unknown = [c for c in public if c not in categories]
    if unknown:
        raise Invalid(
            f"“{truncate(unknown[0])}” không có trong danh sách loại khách của sự kiện.",
            field="public_categories",
        )
    return public


def _apply_event_fields(actor: User, event: Event, data: dict[str, Any]) -> None:
    """Check every field of the event form, every refusal in one Invalid (issue 15; a check that
    compares with a refused field is skipped), then change the event."""
    errors = FieldErrors()
    name = tidy(data.get("name", ""), one_line=True)
    if len(name) < 3:
        errors.add("name", "Vui lòng nhập tên sự kiện.")
    slug = tidy(data.get("slug", "")).lower()
    if not SLUG_RE.match(slug) or len(slug) > 80 or slug in RESERVED_SLUGS:
        errors.add("slug", "Đường dẫn chỉ gồm chữ thường không dấu, số và dấu gạch ngang.")
    elif (
        db.session.scalar(select(Event.id).where(Event.slug == slug, Event.id != (event.id or 0))) is not None
    ):
        errors.add("slug", SLUG_TAKEN)
    starts: Any = data.get("starts_at")  # aware datetimes, checked below
    ends: Any = data.get("ends_at")
    if not starts or not ends:
        errors.add("starts_at", "Vui lòng nhập thời gian bắt đầu và kết thúc.")
    elif ends <= starts:
        errors.add("ends_at", "Thời gian kết thúc phải sau thời gian bắt đầu.")
    opens, closes = data.get("registration_opens_at"), data.get("registration_closes_at")
    if opens and closes and closes <= opens:
        errors.add("registration_closes_at", "Hạn đăng ký phải sau thời điểm mở đăng ký.")
    capacity = data.get("capacity")
    if capacity is not None and (isinstance(capacity, bool) or not isinstance(capacity, int)):
        errors.add("capacity", "Sức chứa phải là một số nguyên.")
    elif capacity is not None and not 1 <= capacity <= MAX_CAPACITY:
        errors.add("capacity", "Sức chứa phải từ 1 đến 1.000.000 (bỏ trống nếu không giới hạn).")
    elif capacity is not None and event.id is not None and capacity < event.registered_count:
        errors.add(
            "capacity", f"Đã có {event.registered_count} người đăng ký; sức chứa không thể nhỏ hơn số này."
        )
    categories = _lines(data.get("categories"))
    gates = _lines(data.get("gates"))
    if not categories:
        errors.add("categories", "Cần ít nhất một loại khách.")
    if not gates:
        errors.add("gates", "Cần ít nhất một cổng check-in.")
    public = errors.check(_public_categories, data, categories) if categories else []
    contest_id = data.get("contest_id") or None
    errors.check(check_contest_link, actor, contest_id)
    errors.raise_if_any()
    event.name, event.slug = name, slug
    event.venue = tidy(data.get("venue", ""), one_line=True)[:200]
    event.description = tidy(data.get("description", ""))
    event.starts_at, event.ends_at = starts, ends
    event.registration_opens_at, event.registration_closes_at = opens, closes
    event.capacity = capacity
    event.categories, event.gates, event.public_categories = categories, gates, public or []
    event.is_published = bool(data.get("is_published", True))
    event.show_attendance = bool(data.get("show_attendance", event.show_attendance or False))
    # Off by default: after the end a ticket answers "sự kiện đã kết thúc" at the gate.
    event.late_checkin = bool(data.get("late_checkin", event.late_checkin or False))
    event.contest_id = contest_id


def create_event(actor: User, data: dict[str, Any]) -> Event:
    """Create an event from plain values (times already aware UTC)."""
    require_manager(actor)
    event = Event(created_by_id=actor.id, registered_count=0)
    _apply_event_fields(actor, event, data)
    if db.session.scalar(select(Event.id).where(Event.slug == event.slug)) is not None:
        raise Invalid(SLUG_TAKEN, field="slug")
    db.session.add(event)
    flush(Invalid(SLUG_TAKEN, field="slug"))
    record(actor, "event.create", "event", event.id, slug=event.slug)
    db.session.commit()
    if event.contest_id:
        sync_contest_attendees(actor, event)
    return event


def update_event(actor: User, event: Event, data: dict[str, Any]) -> Event:
    """Change an event's configuration; linking it to another contest registers that contest's people."""
    require_manager(actor, event)
    old_contest = event.contest_id
    _apply_event_fields(actor, event, data)
    clash = db.session.scalar(select(Event.id).where(Event.slug == event.slug, Event.id != event.id))
    if clash is not None:
        db.session.rollback()
        raise Invalid(SLUG_TAKEN, field="slug")
    record(actor, "event.update", "event", event.id, slug=event.slug)
    db.session.commit()
    if event.contest_id and event.contest_id != old_contest:
        sync_contest_attendees(actor, event)
    return event


# --- staff and devices --------------------------------------------------------------------------


def list_staff(event: Event) -> list[EventStaff]:
    """The event's check-in staff, in the order they were assigned."""
    return list(
        db.session.scalars(select(EventStaff).where(EventStaff.event_id == event.id).order_by(EventStaff.id))
    )


def assign_staff(actor: User, event: Event, email: str) -> EventStaff:
    """Assign an existing check-in staff account (by email) to the event."""
    require_manager(actor, event)
    email_n = field_value(normalize_email, email, "email")
    user = db.session.scalar(select(User).where(User.email == email_n))
    if user is None:
        raise Invalid("Không có tài khoản nào với email này.", field="email")
    if not user.has_role(Role.CHECKIN, Role.ORGANISER):
        raise Invalid("Tài khoản này chưa có vai trò Tình nguyện viên check-in.", field="email")
    if is_staff(user, event):
        raise Invalid(ALREADY_STAFF, field="email")
    row = EventStaff(event_id=event.id, user_id=user.id)
    db.session.add(row)
    flush(Invalid(ALREADY_STAFF, field="email"))
    record(actor, "event.staff_add", "event", event.id, user_id=user.id)
    db.session.commit()
    return row


def remove_staff(actor: User, event: Event, user_id: int) -> None:
    """Take a person off the event's check-in."""
    require_manager(actor, event)
    result = db.session.execute(
        delete(EventStaff).where(EventStaff.event_id == event.id, EventStaff.user_id == user_id)
    )
    if rowcount(result) == 0:
        db.session.rollback()
        raise NotFound("Người này không có trong danh sách check-in của sự kiện.")
    record(actor, "event.staff_remove", "event", event.id, user_id=user_id)
    db.session.commit()


def list_devices(event: Event) -> list[DeviceToken]:
    """The event's scanner devices (revoked ones too), in the order they were created."""
    return list(
        db.session.scalars(
            select(DeviceToken).where(DeviceToken.event_id == event.id).order_by(DeviceToken.id)
        )
    )


def create_device_token(actor: User | None, event: Event, name: str) -> tuple[DeviceToken, str]:
    """A new bearer token for one scanner device; the clear token is returned once, never stored."""
    if actor is not None:  # None: the command line, run by whoever administers the server
        require_manager(actor, event)
    label = tidy(name, one_line=True)
    if not label or len(label) > 80:
        raise Invalid("Vui lòng đặt tên thiết bị (tối đa 80 ký tự), ví dụ “Điện thoại cổng A”.", field="name")
    token = new_token(prefix="kdt_")
    row = DeviceToken(
        event_id=event.id, name=label, token_hash=hash_token(token), created_by_id=getattr(actor, "id", None)
    )
    db.session.add(row)
    db.session.flush()
    record(actor, "event.device_create", "event", event.id, device_id=row.id, name=label)
    db.session.commit()
    return row, token


def revoke_device_token(actor: User, event: Event, device_id: int) -> DeviceToken:
    """The device's token stops working: at once in this process, within seconds in the others."""
    require_manager(actor, event)
    row = db.session.get(DeviceToken, device_id)
    if row is None or row.event_id != event.id:
        raise NotFound("Không tìm thấy thiết bị.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        record(actor, "event.device_revoke", "event", event.id, device_id=row.id)
        db.session.commit()
        forget_device(row.token_hash)
    return row


# --- linked contest ------------------------------------------------------------------------------


def _category_like(event: Event, word: str) -> str:
    for category in event.categories:
        if word in fold(category):
            return category
    return event.categories[0]


def linked_contest(event: Event) -> Contest | None:
    """The contest whose finalists and judges this event registers, if any."""
    if not event.contest_id:
        return None
    return db.session.get(Contest, event.contest_id)


def sync_contest_attendees(actor: User | None, event: Event, *, notify: bool = True) -> dict[str, int]:
    """Register the linked contest's finalists (each team as a delegation) and judges, once each.

    Runs again safely: people already registered (same account, or same phone) are skipped. Uses
    the contests package's read-only services `list_finalists` and `contest_judges`. No event
    consent is recorded for them: their data comes from the contest entry (its own consent) and
    the judges' invitation, and they registered nothing themselves.
    """
    if actor is not None:  # None: the demo seed, run by whoever administers the server
        require_manager(actor, event)
    contest = linked_contest(event)
    if contest is None:
        return {"added": 0, "skipped": 0, "full": 0}
    existing_users = set(
        db.session.scalars(
            select(Attendee.user_id).where(Attendee.event_id == event.id, Attendee.user_id.is_not(None))
        )
    )
    existing_phones = set(
        db.session.scalars(
            select(Attendee.phone).where(Attendee.event_id == event.id, Attendee.phone.is_not(None))
        )
    )
    existing_names: set[tuple[str, str]] = {
        (name, group)
        for name, group in db.session.execute(
            select(Attendee.full_name, Attendee.group_name).where(Attendee.event_id == event.id)
        )
    }
    people: list[tuple[str, str | None, str | None, str, str, str, int | None]] = []
    finalist_category = _category_like(event, "thi sinh")
    for entry in list_finalists(contest):
        group = f"{entry.code} – {entry.title}"[:200] if entry.code else (entry.title or "")[:200]
        for member in entry.members:
            people.append(
                (
                    member.full_name,
                    member.phone or None,
                    member.email or None,
                    member.organisation,
                    finalist_category,
                    group,
                    member.user_id,
                )
            )
    judge_category = _category_like(event, "giam khao")
    for judge in contest_judges(contest):
        people.append(
            (judge.full_name, judge.phone, judge.email, "", judge_category, "Ban giám khảo", judge.id)
        )
    added, skipped, full, new_attendees = 0, 0, 0, []
    for name, phone, email, organisation, category, group, user_id in people:
        if (
            (user_id and user_id in existing_users)
            or (phone and phone in existing_phones)
            or (name, group) in existing_names
        ):
            skipped += 1
            continue
        try:
            take_place(event)
        except Conflict:
            full += 1
            continue
        attendee = Attendee(
            event_id=event.id,
            full_name=name,
            phone=phone,
            email=email,
            organisation=organisation or "",
            category=category,
            group_name=group,
            search_text=tickets.search_key(name, phone, organisation),
            source="contest",
            user_id=user_id,
            created_by_id=getattr(actor, "id", None),
        )
        db.session.add(attendee)
        db.session.flush()
        issue_ticket(attendee)
        existing_users.add(user_id)
        existing_phones.add(phone)
        existing_names.add((name, group))
        new_attendees.append(attendee)
        added += 1
    record(actor, "event.contest_sync", "event", event.id, contest=contest.slug, added=added, full=full)
    db.session.commit()
    if notify:
        for attendee in new_attendees:
            send_ticket_email(attendee)
    return {"added": added, "skipped": skipped, "full": full}
