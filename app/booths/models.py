"""Exhibitor booths at a festival: the exhibition's settings, booth types, the booths on the floor
plan, applications (with photos) and the exhibitor passes issued for an accepted booth.

The guarantees live in the schema: a booth number is UNIQUE per event, and a booth is given to at
most one application (`booth_applications.booth_id` UNIQUE; NULL while none is allocated), so two
organisers allocating at once can never give the same booth twice (the loser's INSERT/UPDATE fails
on the index and is answered with a clear message). An exhibitor pass is an ordinary event
registration (category "Gian hàng") with its ticket; `booth_passes` links it to the application.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.localtime import utcnow
from app.types import UTCDateTime

EXHIBITOR_CATEGORY = "Gian hàng"  # the event category of an exhibitor pass (events.models.DEFAULT_CATEGORIES)


class ApplicationStatus(StrEnum):
    OFFERED = "offered"  # organisers offered a booth (e.g. to a contest finalist); awaiting the team
    SUBMITTED = "submitted"  # awaiting review
    ACCEPTED = "accepted"
    WAITLISTED = "waitlisted"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"  # by the exhibitor (or an offer declined)


# The statuses of an application that still stands (the others are final: refused, withdrawn).
LIVE_STATUSES_SQL = "status IN ('offered', 'submitted', 'accepted', 'waitlisted')"

STATUS_LABELS = {
    ApplicationStatus.OFFERED: "Được mời tham gia",
    ApplicationStatus.SUBMITTED: "Chờ xét duyệt",
    ApplicationStatus.ACCEPTED: "Đã được nhận",
    ApplicationStatus.WAITLISTED: "Danh sách chờ",
    ApplicationStatus.REFUSED: "Không được nhận",
    ApplicationStatus.WITHDRAWN: "Đã rút",
}

ORG_KINDS = {
    "startup": "Dự án/doanh nghiệp khởi nghiệp",
    "cooperative": "Hợp tác xã",
    "household": "Hộ kinh doanh",
    "company": "Doanh nghiệp",
    "other": "Khác",
}

# What a booth type can provide, and what an exhibitor can ask for (needs).
PROVISIONS = {
    "table": "Bàn",
    "chairs": "Ghế",
    "power": "Điện 220 V",
    "backdrop": "Phông/biển tên gian hàng",
    "tent": "Mái che/nhà bạt",
    "internet": "Wi-Fi",
}


class Exhibition(Model):
    """An event's booth settings (one per event): the application window and the floor plan."""

    __tablename__ = "booth_exhibitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), unique=True)
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What every exhibitor must bring or respect (shown on the form and in the confirmation mail).
    exhibitor_rules: Mapped[str] = mapped_column(Text, default="")
    # The floor plan: an uploaded image (stored under UPLOAD_DIR/booths, sniffed like every upload) …
    plan_stored_name: Mapped[str | None] = mapped_column(String(80))
    plan_kind: Mapped[str] = mapped_column(String(10), default="")
    plan_sha256: Mapped[str] = mapped_column(String(64), default="")
    # … or a grid of columns × rows (booths placed at cells); used when no image is uploaded.
    grid_columns: Mapped[int] = mapped_column(Integer, default=8)
    grid_rows: Mapped[int] = mapped_column(Integer, default=4)
    is_open: Mapped[bool] = mapped_column(Boolean, default=False)  # accepting applications at all
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def accepting(self, now: datetime) -> bool:
        if not self.is_open:
            return False
        if self.opens_at and now < self.opens_at:
            return False
        return not (self.closes_at and now > self.closes_at)


class BoothType(Model):
    """A kind of booth (Gian tiêu chuẩn 3 m × 3 m …): how many, what it provides, how many passes."""

    __tablename__ = "booth_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    size: Mapped[str] = mapped_column(String(60), default="")  # "3 m × 3 m"
    count: Mapped[int] = mapped_column(Integer, default=0)  # booths of this type on the floor
    provides: Mapped[list[str]] = mapped_column(JSON, default=list)  # keys of PROVISIONS
    provides_note: Mapped[str] = mapped_column(String(300), default="")  # "1 bàn, 2 ghế, 1 ổ cắm"
    passes: Mapped[int] = mapped_column(Integer, default=2)  # exhibitor passes per booth
    position: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("event_id", "name"),)


class Booth(Model):
    """One booth on the floor: its number, type and place on the plan (a grid cell or a point on
    the image, in per cent of its width and height)."""

    __tablename__ = "booths"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    booth_type_id: Mapped[int] = mapped_column(ForeignKey("booth_types.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(20))  # "A01"
    zone: Mapped[str] = mapped_column(String(60), default="")  # "Khu A – Khởi nghiệp"
    grid_column: Mapped[int | None] = mapped_column(Integer)  # 1-based cell on the grid plan
    grid_row: Mapped[int | None] = mapped_column(Integer)
    x_percent: Mapped[int | None] = mapped_column(Integer)  # 0–100 on the uploaded plan image
    y_percent: Mapped[int | None] = mapped_column(Integer)

    booth_type: Mapped[BoothType] = relationship()

    __table_args__ = (UniqueConstraint("event_id", "number"),)


class BoothApplication(Model):
    """An exhibitor's application (đăng ký gian hàng) for one booth at one event."""

    __tablename__ = "booth_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    # The account that applies and follows the application (required; an offer names the entry's leader).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    booth_type_id: Mapped[int | None] = mapped_column(ForeignKey("booth_types.id", ondelete="SET NULL"))
    # Offered to a contest entry (finalists exhibit at the festival): at most one per entry and event.
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entries.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(12), default=ApplicationStatus.SUBMITTED.value)
    organisation: Mapped[str] = mapped_column(String(200))
    org_kind: Mapped[str] = mapped_column(String(20), default="startup")  # key of ORG_KINDS
    tax_code: Mapped[str] = mapped_column(String(14), default="")  # mã số thuế, optional
    sector: Mapped[str] = mapped_column(String(120), default="")
    products: Mapped[str] = mapped_column(Text, default="")
    ocop_stars: Mapped[int | None] = mapped_column(Integer)  # 3, 4 or 5 when a product has one
    commune_code: Mapped[str] = mapped_column(String(10), default="")
    contact_name: Mapped[str] = mapped_column(String(120), default="")
    contact_phone: Mapped[str | None] = mapped_column(String(16))  # E.164
    contact_email: Mapped[str | None] = mapped_column(String(254))
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)  # keys of PROVISIONS asked for
    needs_note: Mapped[str] = mapped_column(String(500), default="")
    # Accent-free "organisation | contact | phone | products" for search on every backend.
    search_text: Mapped[str] = mapped_column(String(600), default="")
    decision_reason: Mapped[str] = mapped_column(String(500), default="")
    booth_id: Mapped[int | None] = mapped_column(ForeignKey("booths.id", ondelete="SET NULL"), unique=True)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    booth_type: Mapped[BoothType | None] = relationship()
    booth: Mapped[Booth | None] = relationship()
    photos: Mapped[list[BoothPhoto]] = relationship(
        back_populates="application", order_by="BoothPhoto.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("event_id", "entry_id"),
        Index("ix_booth_applications_event_status", "event_id", "status"),
        # One live application per account and event (a double submit cannot make two).
        Index(
            "uq_booth_applications_live_per_user",
            "event_id",
            "user_id",
            unique=True,
            sqlite_where=text(LIVE_STATUSES_SQL),
            postgresql_where=text(LIVE_STATUSES_SQL),
        ),
    )

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(ApplicationStatus(self.status), self.status)


class BoothPhoto(Model):
    """A product or booth photo of an application (JPEG/PNG, checked like every upload)."""

    __tablename__ = "booth_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("booth_applications.id", ondelete="CASCADE"), index=True
    )
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    original_name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(10))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    application: Mapped[BoothApplication] = relationship(back_populates="photos")


class BoothPass(Model):
    """An exhibitor pass: the event registration (with its ticket) of one of a booth's staff."""

    __tablename__ = "booth_passes"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("booth_applications.id", ondelete="CASCADE"), index=True
    )
    attendee_id: Mapped[int] = mapped_column(
        ForeignKey("event_attendees.id", ondelete="CASCADE"), unique=True
    )
    position: Mapped[int] = mapped_column(Integer, default=1)  # 1 … the booth type's passes

    attendee = relationship("Attendee")

    __table_args__ = (UniqueConstraint("application_id", "position"),)
