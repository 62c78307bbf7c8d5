"""Certificates (giấy chứng nhận): the organisers' template per contest or event, and each certificate
issued to a person, with the short code its QR and the public verification page use."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.localtime import utcnow
from app.types import UTCDateTime

KINDS = {"prize": "Đạt giải", "finalist": "Vào chung kết", "attendance": "Tham dự"}


class CertificateTemplate(Model):
    """How the certificates of one contest or one event look: the Vietnamese administrative layout
    with the organisers' words and the Sở's seal image."""

    __tablename__ = "certificate_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int | None] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"), unique=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), unique=True)
    authority: Mapped[str] = mapped_column(String(200), default="UBND TỈNH QUẢNG NGÃI")
    issuer: Mapped[str] = mapped_column(String(200), default="SỞ KHOA HỌC VÀ CÔNG NGHỆ")
    title: Mapped[str] = mapped_column(String(200), default="GIẤY CHỨNG NHẬN")
    # The reason line per kind, with {prize}, {entry}, {contest}, {event} placeholders.
    wording: Mapped[dict] = mapped_column(JSON, default=dict)
    place: Mapped[str] = mapped_column(String(100), default="Quảng Ngãi")
    signer_title: Mapped[str] = mapped_column(String(200), default="GIÁM ĐỐC")
    signer_name: Mapped[str] = mapped_column(String(120), default="")
    # The uploaded seal/signature image (PNG with transparency), stored under UPLOAD_DIR.
    seal_path: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Certificate(Model):
    """One certificate issued to one person. The code is short, random and checked by the public
    verification page; a revoked certificate still verifies as "đã thu hồi"."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[str] = mapped_column(String(12))  # KINDS
    contest_id: Mapped[int | None] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entries.id", ondelete="SET NULL"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("team_members.id", ondelete="SET NULL"))
    attendee_id: Mapped[int | None] = mapped_column(ForeignKey("event_attendees.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    full_name: Mapped[str] = mapped_column(String(120))  # as printed
    reason: Mapped[str] = mapped_column(Text)  # the printed reason ("Đạt Giải Nhất Cuộc thi …")
    issued_on: Mapped[date] = mapped_column(Date)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str] = mapped_column(String(300), default="")

    __table_args__ = (
        # One live certificate per person and reason: issuing again reuses it.
        Index(
            "uq_certificates_member_kind",
            "member_id",
            "kind",
            "contest_id",
            unique=True,
            sqlite_where=text("member_id IS NOT NULL AND revoked_at IS NULL"),
            postgresql_where=text("member_id IS NOT NULL AND revoked_at IS NULL"),
        ),
        Index(
            "uq_certificates_attendee_kind",
            "attendee_id",
            "kind",
            unique=True,
            sqlite_where=text("attendee_id IS NOT NULL AND revoked_at IS NULL"),
            postgresql_where=text("attendee_id IS NOT NULL AND revoked_at IS NULL"),
        ),
    )
