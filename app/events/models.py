"""Events, their attendees, tickets, check-ins, scans, staff and device tokens.

The guarantees live in the schema: one active ticket per attendee and one active check-in per
ticket are partial UNIQUE indexes (`revoked_at IS NULL`, `undone_at IS NULL`, on SQLite and
PostgreSQL alike), a scanner's `scan_id` is UNIQUE per event (a retry finds the first answer), and
the capacity counter is only ever raised by a conditional UPDATE (see registration.take_place).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.validation import format_phone
from app.extensions import Model
from app.localtime import utcnow
from app.types import UTCDateTime

DEFAULT_CATEGORIES = [
    "Khách mời/đại biểu",
    "Thí sinh",
    "Giám khảo",
    "Gian hàng",
    "Báo chí",
    "Khách tham quan",
]
DEFAULT_GATES = ["Cổng A", "Cổng B"]
# Categories people may pick themselves on the public form. The others (invited guests, press,
# judges …) are given by organisers, the check-in desk or a guest import, never self-service.
DEFAULT_PUBLIC_CATEGORIES = ["Thí sinh", "Khách tham quan"]

# How an attendee came to be registered.
SOURCES = {
    "web": "Tự đăng ký",
    "desk": "Tại bàn check-in",
    "organiser": "Ban tổ chức",
    "contest": "Từ cuộc thi",
    "booth": "Thẻ gian hàng",
}


class Event(Model):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    venue: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    capacity: Mapped[int | None] = mapped_column(Integer)  # None: no limit
    # Live registrations, raised only by a conditional UPDATE so capacity holds under concurrency.
    registered_count: Mapped[int] = mapped_column(Integer, default=0)
    categories: Mapped[list[str]] = mapped_column(JSON, default=lambda: list(DEFAULT_CATEGORIES))
    gates: Mapped[list[str]] = mapped_column(JSON, default=lambda: list(DEFAULT_GATES))
    # A subset of `categories`; see registration.public_categories.
    public_categories: Mapped[list[str]] = mapped_column(
        JSON, default=lambda: list(DEFAULT_PUBLIC_CATEGORIES)
    )
    is_published: Mapped[bool] = mapped_column(Boolean, default=True)
    # A linked contest: its finalists and judges are registered automatically.
    contest_id: Mapped[int | None] = mapped_column(ForeignKey("contests.id", ondelete="SET NULL"), index=True)
    # The year's programme it belongs to (app/programmes); None: on its own.
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programmes.id", ondelete="SET NULL"), index=True
    )
    # A past event's page may say how many people came (the organisers choose).
    show_attendance: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Tickets are refused once the event has ended ("sự kiện đã kết thúc") unless this is set.
    late_checkin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def registration_open(self, now: datetime) -> bool:
        if self.registration_opens_at and now < self.registration_opens_at:
            return False
        # Never after the event has ended, whatever deadline was typed (a past event takes no one).
        closes = min(self.registration_closes_at or self.ends_at, self.ends_at)
        return now <= closes

    def is_over(self, now: datetime) -> bool:
        return self.ends_at <= now

    @property
    def places_left(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.registered_count, 0)


class EventStaff(Model):
    """Check-in staff assigned to an event: they scan and search its attendees, nothing else."""

    __tablename__ = "event_staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user = relationship("User", lazy="joined")

    __table_args__ = (UniqueConstraint("event_id", "user_id"),)


class Attendee(Model):
    """A registration (no account needed). Cancelled registrations keep their row for the record."""

    __tablename__ = "event_attendees"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    full_name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(16))  # E.164
    email: Mapped[str | None] = mapped_column(String(254))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str] = mapped_column(String(80))
    group_name: Mapped[str] = mapped_column(String(200), default="")  # a delegation (đoàn)
    # Accent-free "name | phone | organisation" for search that works the same on every backend.
    search_text: Mapped[str] = mapped_column(String(600), default="")
    source: Mapped[str] = mapped_column(String(12), default="web")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    event: Mapped[Event] = relationship()
    tickets: Mapped[list[Ticket]] = relationship(back_populates="attendee", order_by="Ticket.id")

    __table_args__ = (
        # One active registration per phone per event: a cancelled registration (kept for the record)
        # does not stop the same phone registering again; NULL phones (walk-ins without one) never clash.
        # Same rule as the pre-checks in registration.add_registration and the guest import (guests.py).
        Index(
            "uq_event_attendees_active_phone",
            "event_id",
            "phone",
            unique=True,
            sqlite_where=text("cancelled_at IS NULL"),
            postgresql_where=text("cancelled_at IS NULL"),
        ),
        # A linked contest's finalist or judge is registered once per event.
        UniqueConstraint("event_id", "user_id"),
        Index("ix_event_attendees_event_group", "event_id", "group_name"),
        Index("ix_event_attendees_event_created", "event_id", "created_at"),
        # Live counts (events/stats.py): registered people by category, read from the index alone.
        Index(
            "ix_event_attendees_active_category",
            "event_id",
            "category",
            sqlite_where=text("cancelled_at IS NULL"),
            postgresql_where=text("cancelled_at IS NULL"),
        ),
    )

    @property
    def active_ticket(self) -> Ticket | None:
        return next((t for t in self.tickets if t.revoked_at is None), None)

    @property
    def phone_display(self) -> str:
        return format_phone(self.phone)


class Ticket(Model):
    __tablename__ = "event_tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    attendee_id: Mapped[int] = mapped_column(ForeignKey("event_attendees.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str] = mapped_column(String(200), default="")

    attendee: Mapped[Attendee] = relationship(back_populates="tickets")

    __table_args__ = (
        Index(
            "uq_event_tickets_active_per_attendee",
            "attendee_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )


class DeviceToken(Model):
    """A scanner device's bearer token for one event. Only its SHA-256 is stored."""

    __tablename__ = "event_device_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Checkin(Model):
    """A ticket let in at a gate. Undo keeps the row (undone_at, who, why) for the record."""

    __tablename__ = "event_checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("event_tickets.id", ondelete="CASCADE"))
    attendee_id: Mapped[int] = mapped_column(ForeignKey("event_attendees.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    gate: Mapped[str] = mapped_column(String(80), default="")
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("event_device_tokens.id", ondelete="SET NULL"))
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    undo_reason: Mapped[str] = mapped_column(String(300), default="")
    # The scanner's scan_id that created this check-in: a retry finds it here (UNIQUE per event).
    scan_id: Mapped[str | None] = mapped_column(String(64))

    attendee: Mapped[Attendee] = relationship()
    staff = relationship("User", foreign_keys=[staff_id])
    device: Mapped[DeviceToken | None] = relationship()

    __table_args__ = (
        # The exactly-once rule: at most one check-in per ticket that has not been undone.
        Index(
            "uq_event_checkins_active_per_ticket",
            "ticket_id",
            unique=True,
            sqlite_where=text("undone_at IS NULL"),
            postgresql_where=text("undone_at IS NULL"),
        ),
        UniqueConstraint("event_id", "scan_id"),
        Index("ix_event_checkins_event_at", "event_id", "at"),
        Index("ix_event_checkins_attendee", "attendee_id"),
        # Live counts (events/stats.py) of the check-ins that stand: by gate, and by hour and the
        # attendee's category, without reading the table's rows.
        Index(
            "ix_event_checkins_active_gate",
            "event_id",
            "gate",
            sqlite_where=text("undone_at IS NULL"),
            postgresql_where=text("undone_at IS NULL"),
        ),
        Index(
            "ix_event_checkins_active_at",
            "event_id",
            "at",
            "attendee_id",
            sqlite_where=text("undone_at IS NULL"),
            postgresql_where=text("undone_at IS NULL"),
        ),
    )


class Scan(Model):
    """The first answer given to a scanner's scan_id, replayed verbatim when the scan is retried."""

    __tablename__ = "event_scans"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    scan_id: Mapped[str] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(String(24))
    response: Mapped[dict] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("event_id", "scan_id"),)
