"""Event rules: configuration, staff, registration and capacity, tickets, device tokens, check-in,
undo, search and live counts. Services commit (or roll back) their own transaction.

The check-in path (`record_checkin`) uses `INSERT … ON CONFLICT DO NOTHING` so the exactly-once
rule is decided by the database's partial unique index in one statement, on SQLite and PostgreSQL
alike, without an exception on the common paths; its three statements run on the driver
connection (see "the gate's hot path" below).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from flask import current_app
from sqlalchemy import JSON, and_, bindparam, delete, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from app.accounts.models import Role, User
from app.accounts.validation import ValidationFailed, normalize_email, normalize_name, normalize_phone
from app.audit.services import record
from app.contests import services as contests
from app.contests.models import Contest
from app.errors import Conflict, DomainError, Invalid, NotFound, PermissionDenied
from app.events import tickets
from app.events.models import (
    DEFAULT_PUBLIC_CATEGORIES,
    Attendee,
    Checkin,
    DeviceToken,
    Event,
    EventStaff,
    Scan,
    Ticket,
)
from app.extensions import db
from app.localtime import format_datetime, to_local, utcnow
from app.mail.services import send_email
from app.privacy import services as privacy
from app.text import like_pattern, tidy, truncate
from app.types import UTCDateTime
from app.urls import absolute_url

MAX_CAPACITY = 1_000_000  # the event form's bound too; keeps the counter far from integer overflow
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
RESERVED_SLUGS = {"quan-ly"}  # /su-kien/quan-ly is the organisers' list
RESULTS = ("ok", "already_checked_in", "invalid", "revoked", "wrong_event")
MESSAGES = {
    "ok": "Hợp lệ – mời vào.",
    "already_checked_in": "Vé này đã được check-in trước đó.",
    "invalid": "Mã vé không hợp lệ.",
    "revoked": "Vé đã bị thu hồi (đã cấp vé mới hoặc huỷ đăng ký).",
    "wrong_event": "Vé của sự kiện khác.",
}
OFFLINE_GRACE = timedelta(hours=24)
DEVICE_CACHE_SECONDS = 5  # see scope_for_device  # how old a queued offline scan's own timestamp may be


class NotAuthenticated(DomainError):
    """No valid credentials (unknown or revoked device token, no session)."""

    status = 401


# --- small helpers ------------------------------------------------------------------------------


def _field(fn, value, name: str):
    try:
        return fn(value)
    except ValidationFailed as exc:
        raise Invalid(str(exc), field=name) from exc


def ticket_key() -> bytes:
    """The ticket signing key, derived once per app from SECRET_KEY."""
    key = current_app.extensions.get("event_ticket_key")
    if key is None:
        key = current_app.extensions["event_ticket_key"] = tickets.derive_key(
            current_app.config["SECRET_KEY"]
        )
    return key


# The check-in path runs the same few statements thousands of times a minute at the gates: they
# are built once per backend with bind parameters and run on the session's connection, so each
# request pays for neither statement construction nor ORM bookkeeping.
_STATEMENTS: dict[tuple[str, str], object] = {}


def _statement(name: str):
    dialect = db.session.get_bind().dialect.name
    stmt = _STATEMENTS.get((name, dialect))
    if stmt is None:
        stmt = _STATEMENTS[(name, dialect)] = _BUILDERS[name](dialect)
    return stmt


def _run(name: str, params: dict):
    return db.session.connection().execute(_statement(name), params)


def _build_device(_dialect):
    d, e = DeviceToken.__table__.c, Event.__table__.c
    return (
        select(
            d.id, d.name, d.revoked_at, e.id.label("event_id"), e.slug, e.name.label("event_name"), e.gates
        )
        .select_from(DeviceToken.__table__.join(Event.__table__, e.id == d.event_id))
        .where(d.token_hash == bindparam("token_hash"))
    )


def _build_insert_scan(_dialect):
    return text(
        "INSERT INTO event_scans (event_id, scan_id, result, response, at)"
        " VALUES (:event_id, :scan_id, :result, :response, :at)"
        " ON CONFLICT DO NOTHING RETURNING id"
    ).bindparams(bindparam("at", type_=UTCDateTime()), bindparam("response", type_=JSON()))


def _build_active_checkin(_dialect):
    c, u, d = Checkin.__table__.c, User.__table__.c, DeviceToken.__table__.c
    return (
        select(c.id, c.at, c.gate, u.full_name.label("full_name_staff"), d.name.label("device_name"))
        .select_from(
            Checkin.__table__.outerjoin(User.__table__, u.id == c.staff_id).outerjoin(
                DeviceToken.__table__, d.id == c.device_id
            )
        )
        .where(c.ticket_id == bindparam("ticket_id"), c.undone_at.is_(None))
    )


def _build_checkin_by_scan(_dialect):
    c, u, d, a = Checkin.__table__.c, User.__table__.c, DeviceToken.__table__.c, Attendee.__table__.c
    return (
        select(
            c.id,
            c.at,
            c.gate,
            u.full_name.label("full_name_staff"),
            d.name.label("device_name"),
            a.id.label("attendee_id"),
            a.full_name,
            a.category,
            a.organisation,
            a.group_name,
        )
        .select_from(
            Checkin.__table__.join(Attendee.__table__, a.id == c.attendee_id)
            .outerjoin(User.__table__, u.id == c.staff_id)
            .outerjoin(DeviceToken.__table__, d.id == c.device_id)
        )
        .where(c.event_id == bindparam("event_id"), c.scan_id == bindparam("scan_id"))
    )


def _build_stored_scan(_dialect):
    c = Scan.__table__.c
    return select(c.response).where(c.event_id == bindparam("event_id"), c.scan_id == bindparam("scan_id"))


_BUILDERS = {
    "device": _build_device,
    "insert_scan": _build_insert_scan,
    "active_checkin": _build_active_checkin,
    "stored_scan": _build_stored_scan,
    "checkin_by_scan": _build_checkin_by_scan,
}


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def ticket_url(code: str) -> str:
    """The link a QR code holds: from BASE_URL, so a printed ticket never points elsewhere."""
    return absolute_url("events.ticket_page", code=code)


# --- events ---------------------------------------------------------------------------------------


def get_event(slug: str) -> Event:
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        raise NotFound("Không tìm thấy sự kiện.")
    return event


def list_public_events(now: datetime | None = None) -> list[Event]:
    """Published events that have not ended, soonest first (the public home and the events list)."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(Event).where(Event.is_published.is_(True), Event.ends_at >= now).order_by(Event.starts_at)
        )
    )


# --- who manages which event ---------------------------------------------------------------------
# An event linked to a contest belongs to that contest's organisers (co-organisers such as Tỉnh
# đoàn manage it) and to the Sở-wide organisers; an unlinked event belongs to the Sở-wide
# organisers only. Its attendees are finalists and guests with phones and emails, so this is the
# same boundary as the contest's entries: contests.services.managed_contest_ids decides it (None =
# every contest and so every event: Sở staff, admins; a set = events linked to those contests).


def may_run_events(user) -> bool:
    """May enter the organisers' event screens at all (a co-organiser sees only their contests' events)."""
    return contests.managed_contest_ids(user) != set()


def can_manage(user, event: Event) -> bool:
    """Edit the event, see and export its attendees, manage its staff, devices and tickets."""
    ids = contests.managed_contest_ids(user)
    return ids is None or (event.contest_id is not None and event.contest_id in ids)


def require_manager(user, event: Event | None = None) -> None:
    """`event` None: may the user create events at all (then `_check_contest_link` decides which)."""
    allowed = may_run_events(user) if event is None else can_manage(user, event)
    if not allowed:
        raise PermissionDenied(
            "Sự kiện này thuộc Ban tổ chức của cuộc thi liên kết hoặc của Sở; bạn không quản lý sự kiện này."
        )


def get_event_for_manager(user, slug: str) -> Event:
    """404 when there is no such event; 403 when it belongs to another contest (or to the Sở only)."""
    event = get_event(slug)
    require_manager(user, event)
    return event


def manageable_events(user) -> list[Event]:
    """The events an organiser manages, newest first (the organisers' list, the reports dashboard)."""
    ids = contests.managed_contest_ids(user)
    stmt = select(Event).order_by(Event.starts_at.desc(), Event.id.desc())
    if ids is not None:
        if not ids:
            return []
        stmt = stmt.where(Event.contest_id.in_(ids))
    return list(db.session.scalars(stmt))


def linkable_contests(user) -> list:
    """The contests an organiser may link an event to (Sở staff: every contest)."""
    return contests.manageable_contests(user) if may_run_events(user) else []


def _check_contest_link(actor, contest_id: int | None) -> None:
    """A co-organiser may only link to a contest they manage and may not leave an event unlinked:
    linking is what makes an event theirs, so relinking must never hand them another's event."""
    if contest_id is not None and db.session.get(Contest, contest_id) is None:
        raise Invalid("Không tìm thấy cuộc thi này.", field="contest_id")
    if actor is None:  # the command line and the demo, run by whoever administers the server
        return
    ids = contests.managed_contest_ids(actor)
    if ids is None:
        return
    if contest_id is None or contest_id not in ids:
        raise PermissionDenied(
            "Bạn chỉ được liên kết sự kiện với cuộc thi mà bạn thuộc Ban tổ chức.", field="contest_id"
        )


def is_staff(user, event: Event) -> bool:
    return (
        db.session.scalar(
            select(EventStaff.id).where(EventStaff.event_id == event.id, EventStaff.user_id == user.id)
        )
        is not None
    )


def can_scan(user, event: Event) -> bool:
    """The event's managers, and the check-in staff assigned to this event."""
    if not (user and user.is_authenticated):
        return False
    if can_manage(user, event):
        return True
    return user.has_role(Role.CHECKIN, Role.ORGANISER) and is_staff(user, event)


def require_scanner(user, event: Event) -> None:
    if not can_scan(user, event):
        raise PermissionDenied("Bạn không được phân công check-in cho sự kiện này.")


def events_for_staff(user) -> list[Event]:
    """The events a user may scan for, soonest first: those they manage and those they are assigned to."""
    ids = contests.managed_contest_ids(user)
    assigned = select(EventStaff.event_id).where(EventStaff.user_id == user.id)
    if ids is None:
        stmt = select(Event)
    elif ids:
        stmt = select(Event).where(or_(Event.id.in_(assigned), Event.contest_id.in_(ids)))
    else:
        stmt = select(Event).where(Event.id.in_(assigned))
    return list(db.session.scalars(stmt.order_by(Event.starts_at)))


def _lines(value) -> list[str]:
    items = value.splitlines() if isinstance(value, str) else list(value or [])
    seen: list[str] = []
    for item in items:
        item = tidy(item, one_line=True)
        if item and item not in seen:
            seen.append(item[:80])
    return seen


def _public_categories(data: dict, categories: list[str]) -> list[str]:
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


def public_categories(event: Event) -> list[str]:
    """What the public registration form offers, in the order of the event's categories."""
    allowed = set(event.public_categories or [])
    return [c for c in event.categories if c in allowed]


def _apply_event_fields(actor, event: Event, data: dict) -> None:
    name = tidy(data.get("name", ""), one_line=True)
    if len(name) < 3:
        raise Invalid("Vui lòng nhập tên sự kiện.", field="name")
    slug = tidy(data.get("slug", "")).lower()
    if not SLUG_RE.match(slug) or len(slug) > 80 or slug in RESERVED_SLUGS:
        raise Invalid("Đường dẫn chỉ gồm chữ thường không dấu, số và dấu gạch ngang.", field="slug")
    starts, ends = data.get("starts_at"), data.get("ends_at")
    if not starts or not ends:
        raise Invalid("Vui lòng nhập thời gian bắt đầu và kết thúc.", field="starts_at")
    if ends <= starts:
        raise Invalid("Thời gian kết thúc phải sau thời gian bắt đầu.", field="ends_at")
    opens, closes = data.get("registration_opens_at"), data.get("registration_closes_at")
    if opens and closes and closes <= opens:
        raise Invalid("Hạn đăng ký phải sau thời điểm mở đăng ký.", field="registration_closes_at")
    capacity = data.get("capacity")
    if capacity is not None and (isinstance(capacity, bool) or not isinstance(capacity, int)):
        raise Invalid("Sức chứa phải là một số nguyên.", field="capacity")
    if capacity is not None and not 1 <= capacity <= MAX_CAPACITY:
        raise Invalid("Sức chứa phải từ 1 đến 1.000.000 (bỏ trống nếu không giới hạn).", field="capacity")
    if capacity is not None and event.id is not None and capacity < event.registered_count:
        raise Invalid(
            f"Đã có {event.registered_count} người đăng ký; sức chứa không thể nhỏ hơn số này.",
            field="capacity",
        )
    categories = _lines(data.get("categories"))
    gates = _lines(data.get("gates"))
    if not categories:
        raise Invalid("Cần ít nhất một loại khách.", field="categories")
    if not gates:
        raise Invalid("Cần ít nhất một cổng check-in.", field="gates")
    public = _public_categories(data, categories)
    contest_id = data.get("contest_id") or None
    _check_contest_link(actor, contest_id)
    event.name, event.slug = name, slug
    event.venue = tidy(data.get("venue", ""), one_line=True)[:200]
    event.description = tidy(data.get("description", ""))
    event.starts_at, event.ends_at = starts, ends
    event.registration_opens_at, event.registration_closes_at = opens, closes
    event.capacity = capacity
    event.categories, event.gates, event.public_categories = categories, gates, public
    event.is_published = bool(data.get("is_published", True))
    event.contest_id = contest_id


def create_event(actor, data: dict) -> Event:
    """Create an event from plain values (times already aware UTC)."""
    require_manager(actor)
    event = Event(created_by_id=getattr(actor, "id", None), registered_count=0)
    _apply_event_fields(actor, event, data)
    if db.session.scalar(select(Event.id).where(Event.slug == event.slug)) is not None:
        raise Invalid("Đường dẫn này đã được dùng cho sự kiện khác.", field="slug")
    db.session.add(event)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise Invalid("Đường dẫn này đã được dùng cho sự kiện khác.", field="slug") from exc
    record(actor, "event.create", "event", event.id, slug=event.slug)
    db.session.commit()
    if event.contest_id:
        sync_contest_attendees(actor, event)
    return event


def update_event(actor, event: Event, data: dict) -> Event:
    require_manager(actor, event)
    old_contest = event.contest_id
    _apply_event_fields(actor, event, data)
    clash = db.session.scalar(select(Event.id).where(Event.slug == event.slug, Event.id != event.id))
    if clash is not None:
        db.session.rollback()
        raise Invalid("Đường dẫn này đã được dùng cho sự kiện khác.", field="slug")
    record(actor, "event.update", "event", event.id, slug=event.slug)
    db.session.commit()
    if event.contest_id and event.contest_id != old_contest:
        sync_contest_attendees(actor, event)
    return event


# --- staff and devices --------------------------------------------------------------------------


def list_staff(event: Event) -> list[EventStaff]:
    return list(
        db.session.scalars(select(EventStaff).where(EventStaff.event_id == event.id).order_by(EventStaff.id))
    )


def assign_staff(actor, event: Event, email: str) -> EventStaff:
    """Assign an existing check-in staff account (by email) to the event."""
    require_manager(actor, event)
    email_n = _field(normalize_email, email, "email")
    user = db.session.scalar(select(User).where(User.email == email_n))
    if user is None:
        raise Invalid("Không có tài khoản nào với email này.", field="email")
    if not user.has_role(Role.CHECKIN, Role.ORGANISER):
        raise Invalid("Tài khoản này chưa có vai trò Tình nguyện viên check-in.", field="email")
    if is_staff(user, event):
        raise Invalid("Người này đã được phân công cho sự kiện.", field="email")
    row = EventStaff(event_id=event.id, user_id=user.id)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise Invalid("Người này đã được phân công cho sự kiện.", field="email") from exc
    record(actor, "event.staff_add", "event", event.id, user_id=user.id)
    db.session.commit()
    return row


def remove_staff(actor, event: Event, user_id: int) -> None:
    require_manager(actor, event)
    result = db.session.execute(
        delete(EventStaff).where(EventStaff.event_id == event.id, EventStaff.user_id == user_id)
    )
    if result.rowcount == 0:
        db.session.rollback()
        raise NotFound("Người này không có trong danh sách check-in của sự kiện.")
    record(actor, "event.staff_remove", "event", event.id, user_id=user_id)
    db.session.commit()


def list_devices(event: Event) -> list[DeviceToken]:
    return list(
        db.session.scalars(
            select(DeviceToken).where(DeviceToken.event_id == event.id).order_by(DeviceToken.id)
        )
    )


def create_device_token(actor, event: Event, name: str) -> tuple[DeviceToken, str]:
    """A new bearer token for one scanner device; the clear token is returned once, never stored."""
    if actor is not None:  # None: the command line, run by whoever administers the server
        require_manager(actor, event)
    label = tidy(name, one_line=True)
    if not label or len(label) > 80:
        raise Invalid("Vui lòng đặt tên thiết bị (tối đa 80 ký tự), ví dụ “Điện thoại cổng A”.", field="name")
    token = "kdt_" + secrets.token_urlsafe(32)
    row = DeviceToken(
        event_id=event.id, name=label, token_hash=_hash_token(token), created_by_id=getattr(actor, "id", None)
    )
    db.session.add(row)
    db.session.flush()
    record(actor, "event.device_create", "event", event.id, device_id=row.id, name=label)
    db.session.commit()
    return row, token


def revoke_device_token(actor, event: Event, device_id: int) -> DeviceToken:
    require_manager(actor, event)
    row = db.session.get(DeviceToken, device_id)
    if row is None or row.event_id != event.id:
        raise NotFound("Không tìm thấy thiết bị.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        record(actor, "event.device_revoke", "event", event.id, device_id=row.id)
        db.session.commit()
        current_app.extensions.get("event_device_cache", {}).pop(row.token_hash, None)
    return row


# --- who is scanning ----------------------------------------------------------------------------


@dataclass
class ScanScope:
    """Who scans for which event: the checked credentials, in plain values for the hot path."""

    event_id: int
    event_slug: str
    event_name: str
    gates: list[str]
    staff_id: int | None = None
    device_id: int | None = None
    label: str = ""
    user: object | None = field(default=None, repr=False)


def scope_for_device(slug: str, token: str) -> ScanScope:
    """A device's bearer token: unknown or revoked → 401; a token of another event → 403.

    A valid token's row is remembered for DEVICE_CACHE_SECONDS in this process (a scanner sends
    one request per ticket; re-reading the same row each time is a third of the check-in's
    queries). Revoking clears it here at once; other worker processes see the revocation within
    that many seconds. Unknown and revoked tokens are never cached.
    """
    token_hash = _hash_token(token)
    cache = current_app.extensions.setdefault("event_device_cache", {})
    ttl = current_app.config.get("EVENT_DEVICE_CACHE_SECONDS", DEVICE_CACHE_SECONDS)
    hit = cache.get(token_hash)
    if hit is not None and time.monotonic() - hit[0] < ttl:
        row = hit[1]
    else:
        row = _run("device", {"token_hash": token_hash}).first()
        if row is not None and row.revoked_at is None and ttl > 0:
            if len(cache) > 1000:
                cache.clear()
            cache[token_hash] = (time.monotonic(), row)
    if row is None or row.revoked_at is not None:
        raise NotAuthenticated("Mã thiết bị không hợp lệ hoặc đã bị thu hồi.", code="unauthorized")
    if row.slug != slug:
        raise PermissionDenied("Mã thiết bị này dành cho sự kiện khác.", code="forbidden")
    return ScanScope(
        row.event_id,
        row.slug,
        row.event_name,
        list(row.gates),
        device_id=row.id,
        label=f"Thiết bị: {row.name}",
    )


def scope_for_user(slug: str, user) -> ScanScope:
    if not (user and user.is_authenticated):
        raise NotAuthenticated("Vui lòng đăng nhập.", code="unauthorized")
    event = get_event(slug)
    if not can_scan(user, event):
        raise PermissionDenied("Bạn không được phân công check-in cho sự kiện này.", code="forbidden")
    return ScanScope(
        event.id, event.slug, event.name, list(event.gates), staff_id=user.id, label=user.full_name, user=user
    )


# --- registration and tickets --------------------------------------------------------------------


def clean_registration(event: Event, data: dict, *, phone_required: bool, self_service: bool = False) -> dict:
    """Check one registration's values. `self_service`: the public form, which may only use the
    event's public categories (organisers, the desk and guest imports may use them all)."""
    name = _field(normalize_name, data.get("full_name", ""), "full_name")
    raw_phone = (data.get("phone") or "").strip()
    phone = _field(normalize_phone, raw_phone, "phone") if (raw_phone or phone_required) else None
    raw_email = (data.get("email") or "").strip()
    email = _field(normalize_email, raw_email, "email") if raw_email else None
    category = tidy(data.get("category", ""))
    if category not in event.categories:
        raise Invalid("Vui lòng chọn loại khách trong danh sách.", field="category")
    if self_service and category not in public_categories(event):
        raise Invalid(
            "Loại khách này do Ban tổ chức đăng ký; vui lòng chọn loại khách trong danh sách.",
            field="category",
        )
    organisation = tidy(data.get("organisation", ""), one_line=True)
    if len(organisation) > 200:
        raise Invalid("Tên đơn vị không được dài quá 200 ký tự.", field="organisation")
    group = tidy(data.get("group_name", ""), one_line=True)
    if len(group) > 200:
        raise Invalid("Tên đoàn không được dài quá 200 ký tự.", field="group_name")
    return {
        "full_name": name,
        "phone": phone,
        "email": email,
        "category": category,
        "organisation": organisation,
        "group_name": group,
    }


def _take_place(event: Event) -> None:
    """Raise the live count by one unless the event is full — one atomic conditional UPDATE.

    On PostgreSQL the UPDATE takes the event's row lock (a concurrent registration waits, then
    re-checks the condition on the fresh row); on SQLite writers are serialised by the database
    lock. Either way two people can never both take the last place.
    """
    result = db.session.execute(
        update(Event)
        .where(
            Event.id == event.id,
            or_(Event.capacity.is_(None), Event.registered_count < Event.capacity),
        )
        .values(registered_count=Event.registered_count + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict("Rất tiếc, sự kiện đã đủ chỗ.", code="full")


def _new_ticket(attendee: Attendee) -> Ticket:
    ticket = Ticket(event_id=attendee.event_id, attendee_id=attendee.id, code=tickets.new_code(ticket_key()))
    db.session.add(ticket)
    return ticket


def add_registration(
    event: Event, data: dict, *, source: str, actor=None, choices=None, user_id=None
) -> Attendee:
    """Validate, take a place, add the attendee and its ticket, record consents. Does not commit."""
    public = source == "web"  # the public form: a phone to find the ticket again, self-service categories
    clean = clean_registration(event, data, phone_required=public, self_service=public)
    if clean["phone"] and db.session.scalar(
        select(Attendee.id).where(
            Attendee.event_id == event.id, Attendee.phone == clean["phone"], Attendee.cancelled_at.is_(None)
        )
    ):
        raise Invalid(
            "Số điện thoại này đã đăng ký sự kiện. Nếu mất vé, hãy dùng chức năng “Gửi lại vé”.",
            field="phone",
        )
    if choices is not None:
        privacy.check_choices("event_registration", choices)
    _take_place(event)
    attendee = Attendee(
        event_id=event.id,
        search_text=tickets.search_key(clean["full_name"], clean["phone"], clean["organisation"]),
        source=source,
        user_id=user_id,
        created_by_id=getattr(actor, "id", None),
        **clean,
    )
    db.session.add(attendee)
    try:
        db.session.flush()
    except IntegrityError as exc:  # the same phone registering twice at the same moment
        db.session.rollback()
        raise Invalid(
            "Số điện thoại này đã đăng ký sự kiện. Nếu mất vé, hãy dùng chức năng “Gửi lại vé”.",
            field="phone",
        ) from exc
    if choices is not None:
        privacy.record_choices(
            "attendee",
            attendee.id,
            "event_registration",
            choices,
            source="desk" if source == "desk" else "web",
            keyed_by=actor if source == "desk" else None,
        )
    _new_ticket(attendee)
    db.session.flush()
    return attendee


def register_attendee(
    event: Event, data: dict, choices: dict[str, bool], *, now: datetime | None = None
) -> Attendee:
    """Public registration without an account: window, capacity, one per phone, consents; emails the ticket."""
    now = now or utcnow()
    if not event.is_published or not event.registration_open(now):
        raise Conflict("Sự kiện hiện không nhận đăng ký.", code="closed")
    attendee = add_registration(event, data, source="web", choices=choices)
    record(None, "event.register", "attendee", attendee.id, event=event.slug)
    db.session.commit()
    send_ticket_email(attendee)
    return attendee


def register_by_organiser(actor, event: Event, data: dict, choices: dict[str, bool]) -> Attendee:
    """An organiser keys in a guest (invited delegates, press …); no registration window applies."""
    require_manager(actor, event)
    attendee = add_registration(event, data, source="organiser", actor=actor, choices=choices)
    record(actor, "event.register", "attendee", attendee.id, event=event.slug, by="organiser")
    db.session.commit()
    send_ticket_email(attendee)
    return attendee


def resend_ticket(actor, attendee: Attendee) -> bool:
    """An organiser re-sends a guest's ticket to the email on file."""
    require_manager(actor, attendee.event)
    return send_ticket_email(attendee)


def send_ticket_email(attendee: Attendee) -> bool:
    ticket = attendee.active_ticket
    if not attendee.email or ticket is None:
        return False
    return send_email(
        attendee.email,
        f"Vé tham dự: {attendee.event.name}",
        "mail/event_ticket.txt",
        attendee=attendee,
        event=attendee.event,
        code=ticket.code,  # the template builds the link: from the CLI it needs BASE_URL's host
    )


def request_ticket_resend(event: Event, contact: str) -> None:
    """Re-send the ticket to the email on file for this phone or email. The same answer whether or
    not anything matched, so the form cannot be used to learn who registered."""
    contact = (contact or "").strip()
    if not contact:
        raise Invalid("Vui lòng nhập số điện thoại hoặc email đã đăng ký.", field="contact")
    conditions = []
    with contextlib.suppress(ValidationFailed):
        conditions.append(Attendee.phone == normalize_phone(contact))
    with contextlib.suppress(ValidationFailed):
        conditions.append(Attendee.email == normalize_email(contact))
    if not conditions:
        raise Invalid("Số điện thoại hoặc email không hợp lệ.", field="contact")
    attendees = db.session.scalars(
        select(Attendee).where(
            Attendee.event_id == event.id, Attendee.cancelled_at.is_(None), or_(*conditions)
        )
    ).all()
    for attendee in attendees:
        send_ticket_email(attendee)


def get_ticket(code: str) -> Ticket:
    """The ticket behind a ticket-page URL (signature checked first: forged codes never hit the DB)."""
    clean = tickets.extract_code(code)
    if not tickets.is_valid_code(ticket_key(), clean):
        raise NotFound("Không tìm thấy vé.")
    ticket = db.session.scalar(select(Ticket).where(Ticket.code == clean))
    if ticket is None:
        raise NotFound("Không tìm thấy vé.")
    return ticket


def get_attendee(event: Event, attendee_id: int) -> Attendee:
    attendee = db.session.get(Attendee, attendee_id)
    if attendee is None or attendee.event_id != event.id:
        raise NotFound("Không tìm thấy người tham dự.")
    return attendee


def reissue_ticket(actor, attendee: Attendee, reason: str) -> Ticket:
    """Revoke the current ticket and issue a new one (a lost or shared ticket); emails the new one."""
    require_manager(actor, attendee.event)
    reason = tidy(reason, one_line=True)
    if len(reason) < 3:
        raise Invalid("Vui lòng ghi lý do cấp lại vé.", field="reason")
    if attendee.cancelled_at is not None:
        raise Conflict("Đăng ký này đã bị huỷ.")
    old = attendee.active_ticket
    if old is not None:
        old.revoked_at = utcnow()
        old.revoked_reason = reason[:200]
        db.session.flush()  # the partial unique index allows the new ticket only once the old is revoked
    ticket = _new_ticket(attendee)
    db.session.flush()
    record(
        actor,
        "event.ticket_reissue",
        "attendee",
        attendee.id,
        reason=reason,
        old_ticket=getattr(old, "id", None),
    )
    db.session.commit()
    db.session.refresh(attendee)
    send_ticket_email(attendee)
    return ticket


def cancel_registration(actor, attendee: Attendee, reason: str) -> None:
    """Cancel a registration: its ticket answers "revoked" and the place is freed."""
    require_manager(actor, attendee.event)
    reason = tidy(reason, one_line=True)
    if len(reason) < 3:
        raise Invalid("Vui lòng ghi lý do huỷ đăng ký.", field="reason")
    if attendee.cancelled_at is not None:
        raise Conflict("Đăng ký này đã bị huỷ trước đó.")
    now = utcnow()
    attendee.cancelled_at = now
    for ticket in attendee.tickets:
        if ticket.revoked_at is None:
            ticket.revoked_at, ticket.revoked_reason = now, "Huỷ đăng ký: " + reason[:180]
    db.session.execute(
        update(Event)
        .where(Event.id == attendee.event_id, Event.registered_count > 0)
        .values(registered_count=Event.registered_count - 1)
        .execution_options(synchronize_session=False)
    )
    record(actor, "event.cancel_registration", "attendee", attendee.id, reason=reason)
    db.session.commit()


def list_attendees(event: Event, *, query: str = "", page: int = 1, page_size: int = 50):
    stmt = select(Attendee).where(Attendee.event_id == event.id)
    stmt = _search_filter(stmt, query)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(
        stmt.order_by(Attendee.created_at.desc(), Attendee.id.desc())
        .limit(page_size)
        .offset((max(page, 1) - 1) * page_size)
    ).all()
    return rows, total


# --- check-in -------------------------------------------------------------------------------------


def _attendee_json(row) -> dict:
    return {
        "id": row.attendee_id,
        "name": row.full_name,
        "category": row.category,
        "organisation": row.organisation,
        "group": row.group_name,
    }


def _checkin_json(checkin_id: int, at: datetime, gate: str, staff: str) -> dict:
    return {
        "id": checkin_id,
        "at": at.isoformat(),
        "at_local": format_datetime(at, seconds=True),
        "gate": gate,
        "staff": staff,
    }


def _answer(result: str, **extra) -> dict:
    return {"result": result, "message": MESSAGES[result], **extra}


def _active_checkin(ticket_id: int):
    return _run("active_checkin", {"ticket_id": ticket_id}).first()


def _staff_label(row) -> str:
    if row.full_name_staff:
        return row.full_name_staff
    return f"Thiết bị: {row.device_name}" if row.device_name else ""


def _clean_gate(scope: ScanScope, gate: str | None) -> str:
    gate = tidy(gate or "", one_line=True)
    if not gate:
        return scope.gates[0] if scope.gates else ""
    if gate not in scope.gates:
        # Quote only the start of what was sent: an error must not echo a megabyte back.
        raise Invalid(
            f"Cổng “{truncate(gate)}” không có trong sự kiện này.", field="gate", code="invalid_gate"
        )
    return gate


def _clean_scan_id(scan_id) -> str | None:
    if scan_id in (None, ""):
        return None
    if not isinstance(scan_id, str) or len(scan_id) > 64 or not re.fullmatch(r"[A-Za-z0-9_.:\-]+", scan_id):
        raise Invalid(
            "scan_id phải là chuỗi tối đa 64 ký tự (chữ, số, - _ . :).",
            field="scan_id",
            code="invalid_scan_id",
        )
    return scan_id


def _clean_scanned_at(value, now: datetime) -> datetime:
    """A queued offline scan may carry the time it was made; absurd values fall back to now."""
    if not value:
        return now
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return now
    if when.tzinfo is None or not (now - OFFLINE_GRACE <= when <= now + timedelta(minutes=2)):
        return now
    return min(when, now)


def _stored_answer(event_id: int, scan_id: str) -> dict | None:
    """The answer already given to a scan_id, or None. Answers that created a check-in are rebuilt
    from that check-in (its row carries the scan_id); the others were stored verbatim."""
    response = _run("stored_scan", {"event_id": event_id, "scan_id": scan_id}).scalar()
    if response is not None:
        return {**response, "replayed": True}
    row = _run("checkin_by_scan", {"event_id": event_id, "scan_id": scan_id}).first()
    if row is None:
        return None
    answer = _answer(
        "ok", attendee=_attendee_json(row), checkin=_checkin_json(row.id, row.at, row.gate, _staff_label(row))
    )
    return {**answer, "replayed": True}


def _remember(scope: ScanScope, scan_id: str | None, answer: dict, now: datetime) -> dict | None:
    """Store an answer that created no check-in, in the caller's transaction. Returns the earlier
    answer when another request already answered this scan_id (this transaction is rolled back)."""
    if scan_id is None:
        return None
    claimed = _run(
        "insert_scan",
        {
            "event_id": scope.event_id,
            "scan_id": scan_id,
            "result": answer["result"],
            "response": answer,
            "at": now,
        },
    ).scalar()
    if claimed is None:
        db.session.rollback()
        return _stored_answer(scope.event_id, scan_id) or _busy()
    return None


def _busy():
    raise Conflict("Lượt quét đang được xử lý ở nơi khác, vui lòng quét lại.", code="busy")


# --- the gate's hot path on the driver connection ------------------------------------------------
# A check-in is one SELECT, one INSERT and a COMMIT. Through SQLAlchemy's session those three cost
# about 0.3 ms of Python on this hardware, against 0.1 ms straight on the DBAPI connection the
# session has already checked out (same connection, same transaction), so the hot path speaks to
# the driver directly. The SQL is plain and identical on SQLite and PostgreSQL (only the
# placeholder differs); everything else in this module stays on SQLAlchemy.
_HOT_SQL = {
    "ticket": (
        "SELECT (SELECT response FROM event_scans WHERE event_id = ? AND scan_id = ?),"
        " t.id, t.event_id, t.revoked_at, a.id, a.full_name, a.category, a.organisation, a.group_name"
        " FROM event_tickets t JOIN event_attendees a ON a.id = t.attendee_id WHERE t.code = ?"
    ),
    "insert": (
        "INSERT INTO event_checkins"
        " (event_id, ticket_id, attendee_id, at, gate, staff_id, device_id, scan_id, undo_reason)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, '') ON CONFLICT DO NOTHING RETURNING id"
    ),
}
_HOT_SQL["insert_sqlite"] = _HOT_SQL["insert"].replace(" RETURNING id", "")
_HOT_SQL_PG = {name: sql.replace("?", "%s") for name, sql in _HOT_SQL.items()}


class TicketRow(NamedTuple):
    stored: dict | None
    ticket_id: int
    event_id: int
    revoked_at: object
    attendee_id: int
    full_name: str
    category: str
    organisation: str
    group_name: str


def _driver():
    """The DBAPI connection under the session's connection, and whether it is PostgreSQL."""
    connection = db.session.connection()
    return connection.connection.driver_connection, connection.dialect.name == "postgresql"


def _hot(name: str, params: tuple):
    driver, postgres = _driver()
    cursor = driver.cursor()
    try:
        cursor.execute((_HOT_SQL_PG if postgres else _HOT_SQL)[name], params)
        return cursor.fetchone()
    finally:
        cursor.close()


def _db_time(value: datetime) -> datetime | str:
    """As UTCDateTime stores it: aware on PostgreSQL; naive UTC text on SQLite (SQLAlchemy's format)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return value
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _insert_checkin_and_commit(scope: ScanScope, ticket_row, gate: str, at: datetime, scan_id: str | None):
    """Insert the check-in and commit; returns its id, or None when a unique index refused it.

    Called with no write pending in the transaction. On SQLite the INSERT runs as one autocommit
    statement without RETURNING, so the database's write lock is taken and released inside a
    single C call: a writer never holds it while waiting for Python's GIL, and the other gunicorn
    workers' writers are not left sleeping in SQLite's busy handler meanwhile.
    """
    driver, postgres = _driver()
    params = (
        scope.event_id,
        ticket_row.ticket_id,
        ticket_row.attendee_id,
        _db_time(at),
        gate,
        scope.staff_id,
        scope.device_id,
        scan_id,
    )
    cursor = driver.cursor()
    try:
        if postgres:
            cursor.execute(_HOT_SQL_PG["insert"], params)
            row = cursor.fetchone()
            (driver.commit if row is not None else driver.rollback)()
            return None if row is None else row[0]
        previous = driver.isolation_level
        driver.isolation_level = None  # autocommit for this one statement
        try:
            cursor.execute(_HOT_SQL["insert_sqlite"], params)
        finally:
            driver.isolation_level = previous
        return cursor.lastrowid if cursor.rowcount == 1 else None
    finally:
        cursor.close()


def _insert_checkin(scope: ScanScope, ticket_row, gate: str, at: datetime, scan_id: str | None) -> int | None:
    row = _hot(
        "insert",
        (
            scope.event_id,
            ticket_row.ticket_id,
            ticket_row.attendee_id,
            _db_time(at),
            gate,
            scope.staff_id,
            scope.device_id,
            scan_id,
        ),
    )
    return None if row is None else row[0]


def _ok(scope: ScanScope, ticket_row, checkin_id: int, gate: str, at: datetime) -> dict:
    return _answer(
        "ok", attendee=_attendee_json(ticket_row), checkin=_checkin_json(checkin_id, at, gate, scope.label)
    )


def _already(ticket_row, first) -> dict:
    first_json = _checkin_json(first.id, first.at, first.gate, _staff_label(first))
    return _answer(
        "already_checked_in",
        attendee=_attendee_json(ticket_row),
        checkin=first_json,
        first_checkin=first_json,
    )


def _try_checkin(scope: ScanScope, ticket_row, gate: str, at: datetime, scan_id: str | None = None) -> dict:
    """Insert the check-in unless the ticket already has an active one (or this scan_id already made
    one): the unique indexes decide. Commits a new check-in; otherwise leaves nothing written."""
    for _attempt in range(3):
        new_id = _insert_checkin_and_commit(scope, ticket_row, gate, at, scan_id)
        if new_id is not None:
            return _ok(scope, ticket_row, new_id, gate, at)
        if scan_id is not None:
            replay = _stored_answer(scope.event_id, scan_id)
            if replay is not None:
                return replay
        first = _active_checkin(ticket_row.ticket_id)
        if first is not None:
            return _already(ticket_row, first)
        # The blocking check-in was undone between our INSERT and SELECT: try again.
    _busy()


def _ticket_row(code: str, event_id: int | None = None, scan_id: str | None = None) -> TicketRow | None:
    row = _hot("ticket", (event_id, scan_id, code))
    if row is None:
        return None
    stored = row[0]
    if isinstance(stored, str | bytes):  # SQLite hands JSON back as text; psycopg already decodes it
        stored = json.loads(stored)
    return TicketRow(stored, *row[1:])


def record_checkin(
    scope: ScanScope, scanned: str, *, gate: str | None = None, scan_id: str | None = None, scanned_at=None
) -> dict:
    """Answer one scan (SPEC §9): ok / already_checked_in / invalid / revoked / wrong_event.

    `scanned` is whatever the scanner read (bare code or ticket URL). A repeated `scan_id` returns
    the first answer and creates nothing: a check-in row carries the scan_id that created it
    (UNIQUE per event), and every other answer is stored in event_scans (UNIQUE per event).
    """
    if not isinstance(scanned, str) or len(scanned) > 2000:
        raise Invalid("Thiếu nội dung mã quét (code).", field="code", code="invalid_code_field")
    gate = _clean_gate(scope, gate)
    scan_id = _clean_scan_id(scan_id)
    now = utcnow()
    at = _clean_scanned_at(scanned_at, now)
    code = tickets.extract_code(scanned)
    row = _ticket_row(code, scope.event_id, scan_id) if tickets.is_valid_code(ticket_key(), code) else None
    if scan_id is not None:
        if row is not None:
            stored = row.stored
        else:
            stored = _run("stored_scan", {"event_id": scope.event_id, "scan_id": scan_id}).scalar()
        if stored is not None:  # a retry of a scan that created nothing: the same answer again
            return {**stored, "replayed": True}
    if row is None:
        answer = _answer("invalid")
    elif row.event_id != scope.event_id:
        other = db.session.scalar(select(Event.name).where(Event.id == row.event_id))
        answer = _answer("wrong_event", event={"name": other})
    elif row.revoked_at is not None:
        answer = _answer("revoked", attendee=_attendee_json(row))
    else:
        answer = _try_checkin(scope, row, gate, at, scan_id)
        if answer["result"] == "ok":
            return answer  # committed, or replayed
    if scan_id is None:
        return answer
    stored = _remember(scope, scan_id, answer, now)
    if stored is None:
        db.session.commit()
    return answer if stored is None else stored


def undo_checkin(scope: ScanScope, checkin_id: int, reason: str) -> Checkin:
    """Undo a check-in with a reason (audited); the ticket can then be checked in again."""
    reason = tidy(reason or "", one_line=True)
    if len(reason) < 3:
        raise Invalid("Vui lòng ghi lý do huỷ check-in.", field="reason", code="reason_required")
    if len(reason) > 300:
        raise Invalid("Lý do không được dài quá 300 ký tự.", field="reason", code="reason_too_long")
    checkin = db.session.get(Checkin, checkin_id)
    if checkin is None or checkin.event_id != scope.event_id:
        raise NotFound("Không tìm thấy lượt check-in.", code="not_found")
    if checkin.undone_at is not None:
        raise Conflict("Lượt check-in này đã được huỷ trước đó.", code="already_undone")
    result = db.session.execute(
        update(Checkin)
        .where(Checkin.id == checkin_id, Checkin.undone_at.is_(None))
        .values(undone_at=utcnow(), undone_by_id=scope.staff_id, undo_reason=reason)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict("Lượt check-in này đã được huỷ trước đó.", code="already_undone")
    record(
        scope.user,
        "event.checkin_undo",
        "checkin",
        checkin_id,
        event=scope.event_slug,
        reason=reason,
        device_id=scope.device_id,
    )
    db.session.commit()
    db.session.refresh(checkin)
    return checkin


def walk_in(scope: ScanScope, data: dict, choices: dict[str, bool], *, gate=None, scan_id=None) -> dict:
    """Register someone at the desk and check them in at once (ticket + check-in, one transaction)."""
    gate = _clean_gate(scope, gate)
    scan_id = _clean_scan_id(scan_id)
    if scan_id:
        replay = _stored_answer(scope.event_id, scan_id)
        if replay is not None:
            return replay
    event = db.session.get(Event, scope.event_id)
    actor = scope.user if scope.user is not None else None
    attendee = add_registration(event, data, source="desk", actor=actor, choices=choices)
    ticket = attendee.active_ticket or db.session.scalar(
        select(Ticket).where(Ticket.attendee_id == attendee.id, Ticket.revoked_at.is_(None))
    )
    now = utcnow()
    row = _ticket_row(ticket.code)
    # One transaction: the registration, its ticket and the check-in stand or fall together.
    checkin_id = _insert_checkin(scope, row, gate, now, None)
    answer = {**_ok(scope, row, checkin_id, gate, now), "walk_in": True, "ticket_code": ticket.code}
    stored = _remember(scope, scan_id, answer, now)
    if stored is not None:
        return stored
    record(actor, "event.walk_in", "attendee", attendee.id, event=event.slug, device_id=scope.device_id)
    db.session.commit()
    send_ticket_email(attendee)
    return answer


def checkin_group(scope: ScanScope, group_name: str, *, gate=None) -> dict:
    """Check in every member of a delegation who holds a valid ticket and is not yet in."""
    gate = _clean_gate(scope, gate)
    group = tidy(group_name or "", one_line=True)
    if not group:
        raise Invalid("Vui lòng chọn đoàn.", field="group", code="group_required")
    rows = db.session.execute(
        select(
            Ticket.id.label("ticket_id"),
            Attendee.id.label("attendee_id"),
            Attendee.full_name,
            Attendee.category,
            Attendee.organisation,
            Attendee.group_name,
        )
        .join(Attendee, Attendee.id == Ticket.attendee_id)
        .where(
            Attendee.event_id == scope.event_id,
            Attendee.group_name == group,
            Attendee.cancelled_at.is_(None),
            Ticket.revoked_at.is_(None),
        )
        .order_by(Attendee.full_name)
    ).all()
    if not rows:
        raise NotFound("Không tìm thấy đoàn này.", code="not_found")
    now = utcnow()
    checked, already = [], []
    for row in rows:  # one short transaction each: a delegation never holds the gate's lock long
        answer = _try_checkin(scope, row, gate, now)
        (checked if answer["result"] == "ok" else already).append(answer)
    return {
        "result": "ok",
        "group": group,
        "checked_in": len(checked),
        "already": len(already),
        "message": f"Đoàn “{group}”: check-in {len(checked)} người, {len(already)} người đã vào trước đó.",
        "answers": checked + already,
    }


def _search_filter(stmt, query: str):
    folded = tickets.fold_query(query or "")
    for word in folded.split()[:6]:
        stmt = stmt.where(Attendee.search_text.like(like_pattern(word), escape="\\"))
    return stmt


def search_attendees(scope: ScanScope, query: str, *, limit: int = 20) -> list[dict]:
    """Accent-insensitive search by name, phone or organisation, with ticket and check-in state."""
    folded = tickets.fold_query(query or "")
    if len(folded.replace(" ", "")) < 2:
        raise Invalid("Nhập ít nhất 2 ký tự để tìm.", field="q", code="query_too_short")
    stmt = (
        select(
            Attendee.id,
            Attendee.full_name,
            Attendee.phone,
            Attendee.category,
            Attendee.organisation,
            Attendee.group_name,
            Ticket.code,
            Checkin.id.label("checkin_id"),
            Checkin.at.label("checkin_at"),
            Checkin.gate.label("checkin_gate"),
        )
        .outerjoin(Ticket, and_(Ticket.attendee_id == Attendee.id, Ticket.revoked_at.is_(None)))
        .outerjoin(Checkin, and_(Checkin.ticket_id == Ticket.id, Checkin.undone_at.is_(None)))
        .where(Attendee.event_id == scope.event_id, Attendee.cancelled_at.is_(None))
    )
    rows = db.session.execute(_search_filter(stmt, query).order_by(Attendee.full_name).limit(limit)).all()
    results = []
    for r in rows:
        phone = tickets.phone_search_forms(r.phone)
        results.append(
            {
                "id": r.id,
                "name": r.full_name,
                "phone_tail": phone[-3:] if phone else "",
                "category": r.category,
                "organisation": r.organisation,
                "group": r.group_name,
                "code": r.code,
                "checkin": _checkin_json(r.checkin_id, r.checkin_at, r.checkin_gate, "")
                if r.checkin_id
                else None,
            }
        )
    return results


def attendee_checkins(attendee: Attendee) -> list[Checkin]:
    return list(
        db.session.scalars(
            select(Checkin).where(Checkin.attendee_id == attendee.id).order_by(Checkin.at, Checkin.id)
        )
    )


def recent_checkins(event: Event, limit: int = 20) -> list[Checkin]:
    return list(
        db.session.scalars(
            select(Checkin)
            .where(Checkin.event_id == event.id)
            .order_by(Checkin.at.desc(), Checkin.id.desc())
            .limit(limit)
        )
    )


def event_stats(event_id: int) -> dict:
    """Live counts: registered vs checked in, per gate, per category, per hour (Asia/Ho_Chi_Minh)."""
    registered = dict(
        db.session.execute(
            select(Attendee.category, func.count())
            .where(Attendee.event_id == event_id, Attendee.cancelled_at.is_(None))
            .group_by(Attendee.category)
        ).all()
    )
    active = and_(Checkin.event_id == event_id, Checkin.undone_at.is_(None))
    checked_by_category = dict(
        db.session.execute(
            select(Attendee.category, func.count())
            .select_from(Checkin)
            .join(Attendee, Attendee.id == Checkin.attendee_id)
            .where(active)
            .group_by(Attendee.category)
        ).all()
    )
    by_gate = db.session.execute(
        select(Checkin.gate, func.count()).where(active).group_by(Checkin.gate).order_by(Checkin.gate)
    ).all()
    hours: dict[str, int] = {}
    for (at,) in db.session.execute(select(Checkin.at).where(active)):
        key = to_local(at).strftime("%Y-%m-%d %H:00")
        hours[key] = hours.get(key, 0) + 1
    event = db.session.get(Event, event_id)
    categories = list(event.categories) + [c for c in registered if c not in event.categories]
    total_registered = sum(registered.values())
    total_checked = sum(checked_by_category.values())
    return {
        "event": event.slug,
        "registered": total_registered,
        "checked_in": total_checked,
        "capacity": event.capacity,
        "by_gate": [{"gate": g or "—", "checked_in": n} for g, n in by_gate],
        "by_category": [
            {"category": c, "registered": registered.get(c, 0), "checked_in": checked_by_category.get(c, 0)}
            for c in categories
        ],
        "by_hour": [
            {"hour": k, "label": f"{k[11:13]}h {k[8:10]}/{k[5:7]}", "checked_in": n}
            for k, n in sorted(hours.items())
        ],
        "updated_at": format_datetime(utcnow(), seconds=True),
    }


def list_groups(event: Event) -> list[tuple[str, int]]:
    return list(
        db.session.execute(
            select(Attendee.group_name, func.count())
            .where(Attendee.event_id == event.id, Attendee.group_name != "", Attendee.cancelled_at.is_(None))
            .group_by(Attendee.group_name)
            .order_by(Attendee.group_name)
        ).all()
    )


# --- linked contest ------------------------------------------------------------------------------


def _category_like(event: Event, word: str) -> str:
    for category in event.categories:
        if word in tickets.fold(category):
            return category
    return event.categories[0]


def linked_contest(event: Event):
    if not event.contest_id:
        return None
    return db.session.get(Contest, event.contest_id)


def sync_contest_attendees(actor, event: Event, *, notify: bool = True) -> dict:
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
    existing_names = set(
        db.session.execute(
            select(Attendee.full_name, Attendee.group_name).where(Attendee.event_id == event.id)
        ).all()
    )
    people = []
    finalist_category = _category_like(event, "thi sinh")
    for entry in contests.list_finalists(contest):
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
    for judge in contests.contest_judges(contest):
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
            _take_place(event)
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
        _new_ticket(attendee)
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
