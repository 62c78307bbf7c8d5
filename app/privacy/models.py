"""Consent records: one row per choice made (granted or refused), never edited, only withdrawn."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.localtime import utcnow
from app.types import UTCDateTime


class Consent(db.Model):
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
