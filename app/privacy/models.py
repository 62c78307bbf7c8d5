"""Consent records: one row per choice made (granted or refused), never edited, only withdrawn."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.localtime import utcnow
from app.types import UTCDateTime


class Consent(Model):
    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Who the data is about: "user", "team_member", "attendee" … and that row's id.
    subject_kind: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int]
    purpose: Mapped[str] = mapped_column(String(40))
    granted: Mapped[bool] = mapped_column(Boolean)
    notice_version: Mapped[str] = mapped_column(String(20))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # web: ticked by the person; paper: keyed in by staff from a signed paper form; desk: at an event desk
    source: Mapped[str] = mapped_column(String(10), default="web")
    keyed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (Index("ix_consents_subject", "subject_kind", "subject_id", "purpose"),)


class DataRequest(Model):
    """A person's request about their data (copy, correction, deletion, other), queued for staff."""

    __tablename__ = "data_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # Kept on the row so the queue still reads after the account itself has been deleted.
    requester_name: Mapped[str] = mapped_column(String(120))
    requester_email: Mapped[str] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(20))  # deletion | correction | copy | restriction | other
    details: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | done | refused
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolution_note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_data_requests_status_due", "status", "due_at"),)
