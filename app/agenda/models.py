"""An event's programme of sessions (talks, workshops, demos in rooms), the attendees' session
registrations with a waitlist, and check-ins at the room door.

The guarantees live in the schema, as for the event itself: `registered_count` is raised only by a
conditional UPDATE (`… WHERE capacity IS NULL OR registered_count < capacity`), so a session never
takes more than its capacity under concurrent registration; one active registration per attendee
and session, and one active check-in per ticket and session, are partial UNIQUE indexes; a room's
`present_count` (people let in, for "room full") is raised the same conditional way.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.localtime import utcnow
from app.types import UTCDateTime

KINDS = {
    "opening": "Khai mạc/bế mạc",
    "talk": "Tọa đàm",
    "seminar": "Hội thảo",
    "workshop": "Tập huấn/workshop",
    "pitching": "Kết nối đầu tư/gọi vốn",
    "demo": "Trải nghiệm công nghệ",
    "other": "Hoạt động khác",
}


class RegistrationStatus(StrEnum):
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class EventSession(Model):
    """One session of an event's programme, in one room."""

    __tablename__ = "event_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="talk")  # key of KINDS
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    room: Mapped[str] = mapped_column(String(120), default="")
    # One person per line: "Name – role" (speakers) and moderators.
    speakers: Mapped[str] = mapped_column(Text, default="")
    moderators: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int | None] = mapped_column(Integer)  # None: no limit (the room's seats otherwise)
    registration_required: Mapped[bool] = mapped_column(Boolean, default=False)
    # Live registrations, raised only by a conditional UPDATE (see the module's docstring).
    registered_count: Mapped[int] = mapped_column(Integer, default=0)
    # People let in at the door (active session check-ins), raised the same way: "room full".
    present_count: Mapped[int] = mapped_column(Integer, default=0)
    is_published: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_event_sessions_event_start", "event_id", "starts_at"),)

    @property
    def places_left(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.registered_count, 0)


class SessionRegistration(Model):
    """An attendee's place in a session (or on its waitlist). Cancelled rows stay for the record."""

    __tablename__ = "event_session_registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("event_sessions.id", ondelete="CASCADE"))
    attendee_id: Mapped[int] = mapped_column(ForeignKey("event_attendees.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=RegistrationStatus.REGISTERED.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # moved up from the waitlist
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    session: Mapped[EventSession] = relationship()
    attendee = relationship("Attendee")

    __table_args__ = (
        Index(
            "uq_event_session_registrations_active",
            "session_id",
            "attendee_id",
            unique=True,
            sqlite_where=text("cancelled_at IS NULL"),
            postgresql_where=text("cancelled_at IS NULL"),
        ),
        Index("ix_event_session_registrations_queue", "session_id", "status", "created_at"),
    )


class SessionCheckin(Model):
    """A ticket let in at a session's door. Undo keeps the row for the record."""

    __tablename__ = "event_session_checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("event_sessions.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("event_tickets.id", ondelete="CASCADE"))
    attendee_id: Mapped[int] = mapped_column(ForeignKey("event_attendees.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("event_device_tokens.id", ondelete="SET NULL"))
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    undo_reason: Mapped[str] = mapped_column(String(300), default="")
    scan_id: Mapped[str | None] = mapped_column(String(64))

    attendee = relationship("Attendee")

    __table_args__ = (
        Index(
            "uq_event_session_checkins_active",
            "session_id",
            "ticket_id",
            unique=True,
            sqlite_where=text("undone_at IS NULL"),
            postgresql_where=text("undone_at IS NULL"),
        ),
        UniqueConstraint("event_id", "scan_id"),
        Index("ix_event_session_checkins_session_at", "session_id", "at"),
    )
