"""Contests, their staff, tracks and dossier slots; entries, team members, files and status history.

Other packages read these models (judging builds rounds on Entry; events reads finalists) but change
entry states only through `app.contests.entries.change_status`, where the transitions live.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.accounts.validation import format_phone
from app.extensions import Model
from app.localtime import utcnow
from app.types import UTCDateTime

# What a published result may show publicly, in display order (issue 13). Contact details, birth
# dates and the scores of entries without a prize are never among them.
PUBLIC_RESULT_FIELDS = {
    "code": "Mã hồ sơ",
    "title": "Tên ý tưởng/dự án",
    "leader": "Trưởng nhóm",
    "organisation": "Đơn vị",
    "commune": "Xã/phường",
    "prize": "Giải",
    "score": "Điểm (chỉ các đội đạt giải)",
}
DEFAULT_PUBLIC_RESULT_FIELDS = ("title", "leader", "organisation", "prize")


class StaffRole(StrEnum):
    ORGANISER = "organiser"
    JUDGE = "judge"


STAFF_ROLE_LABELS = {StaffRole.ORGANISER: "Ban tổ chức", StaffRole.JUDGE: "Giám khảo"}


class EntryStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    ELIMINATED = "eliminated"
    FINALIST = "finalist"
    AWARDED = "awarded"
    NOT_AWARDED = "not_awarded"
    WITHDRAWN = "withdrawn"


STATUS_LABELS = {
    EntryStatus.DRAFT: "Bản nháp",
    EntryStatus.SUBMITTED: "Đã nộp",
    EntryStatus.ELIGIBLE: "Hợp lệ",
    EntryStatus.INELIGIBLE: "Không hợp lệ",
    EntryStatus.ELIMINATED: "Dừng ở vòng trước",
    EntryStatus.FINALIST: "Vào chung kết",
    EntryStatus.AWARDED: "Đạt giải",
    EntryStatus.NOT_AWARDED: "Không đạt giải",
    EntryStatus.WITHDRAWN: "Đã rút",
}

# The one home of the entry lifecycle (SPEC §3). Keys: from → allowed targets.
TRANSITIONS: dict[EntryStatus, set[EntryStatus]] = {
    EntryStatus.DRAFT: {EntryStatus.SUBMITTED, EntryStatus.WITHDRAWN},
    EntryStatus.SUBMITTED: {EntryStatus.ELIGIBLE, EntryStatus.INELIGIBLE, EntryStatus.WITHDRAWN},
    EntryStatus.ELIGIBLE: {
        EntryStatus.INELIGIBLE,
        EntryStatus.ELIMINATED,
        EntryStatus.FINALIST,
        EntryStatus.WITHDRAWN,
    },
    EntryStatus.INELIGIBLE: {EntryStatus.ELIGIBLE, EntryStatus.WITHDRAWN},
    EntryStatus.ELIMINATED: {EntryStatus.ELIGIBLE, EntryStatus.FINALIST, EntryStatus.WITHDRAWN},
    EntryStatus.FINALIST: {
        EntryStatus.AWARDED,
        EntryStatus.NOT_AWARDED,
        EntryStatus.ELIMINATED,
        EntryStatus.WITHDRAWN,
    },
    EntryStatus.AWARDED: {EntryStatus.NOT_AWARDED},
    EntryStatus.NOT_AWARDED: {EntryStatus.AWARDED},
    EntryStatus.WITHDRAWN: set(),
}
# States in which an entry counts towards "max entries per person" and "one team per leader".
ACTIVE_STATES = {s for s in EntryStatus if s not in (EntryStatus.DRAFT, EntryStatus.WITHDRAWN)}
# States an organiser sets by screening.
SCREENING_STATES = {EntryStatus.ELIGIBLE, EntryStatus.INELIGIBLE}

SEX_LABELS = {"nam": "Nam", "nu": "Nữ", "khac": "Khác"}
ETHNICITY_NOT_GIVEN = "khong_cung_cap"

# The structured entry form (SPEC §3) beyond title, track, field and summary, which are always asked:
# the keys of `Entry.answers` and of `Contest.form_fields`, with their labels.
FORM_FIELDS = {
    "problem": "Vấn đề cần giải quyết",
    "solution": "Giải pháp, sản phẩm",
    "customers": "Khách hàng, thị trường",
    "business_model": "Mô hình kinh doanh",
    "advantage": "Lợi thế cạnh tranh",
    "stage": "Giai đoạn phát triển hiện nay",
    "funding": "Nhu cầu vốn, hỗ trợ",
    "impact": "Tác động xã hội, môi trường",
}


class Contest(Model):
    __tablename__ = "contests"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    edition: Mapped[int | None] = mapped_column(Integer)  # lần thứ …
    description: Mapped[str] = mapped_column(Text, default="")
    rules_text: Mapped[str] = mapped_column(Text, default="")  # thể lệ
    # Entry codes look like KN24-0007: the prefix is unique so codes are unique platform-wide.
    code_prefix: Mapped[str] = mapped_column(String(10), unique=True)
    last_code_number: Mapped[int] = mapped_column(Integer, default=0)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())  # last accepted second, inclusive
    is_published: Mapped[bool] = mapped_column(Boolean, default=True)
    # Eligibility rules as data (SPEC §3).
    min_age: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)
    team_min: Mapped[int] = mapped_column(Integer, default=1)
    team_max: Mapped[int] = mapped_column(Integer, default=5)
    max_entries_per_person: Mapped[int | None] = mapped_column(Integer)
    one_team_per_leader: Mapped[bool] = mapped_column(Boolean, default=True)
    staff_may_not_enter: Mapped[bool] = mapped_column(Boolean, default=True)
    # Dossier: the fields of the structured form (SPEC §3) a contest asks for, {key: "required"|"optional"}.
    form_fields: Mapped[dict] = mapped_column(JSON, default=dict)
    fields: Mapped[list] = mapped_column(JSON, default=list)  # lĩnh vực, e.g. [..., "Khác"]
    video_link: Mapped[str] = mapped_column(String(10), default="optional")  # off|optional|required
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The year's programme it belongs to (app/programmes); None: on its own.
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programmes.id", ondelete="SET NULL"), index=True
    )
    # What the public results pages show of each listed entry (the contest's notice says so): a list
    # of PUBLIC_RESULT_FIELDS keys; scores only when "score" is in it, and never for unawarded entries.
    public_result_fields: Mapped[list] = mapped_column(
        JSON,
        default=lambda: list(DEFAULT_PUBLIC_RESULT_FIELDS),
        server_default='["title", "leader", "organisation", "prize"]',
    )

    tracks: Mapped[list[Track]] = relationship(
        back_populates="contest", cascade="all, delete-orphan", order_by="Track.position", lazy="selectin"
    )
    slots: Mapped[list[UploadSlot]] = relationship(
        back_populates="contest",
        cascade="all, delete-orphan",
        order_by="UploadSlot.position",
        lazy="selectin",
    )
    staff: Mapped[list[ContestStaff]] = relationship(back_populates="contest", cascade="all, delete-orphan")


class Track(Model):
    """A bảng of a contest (Bảng Ý tưởng, Bảng Dự án)."""

    __tablename__ = "contest_tracks"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Projects track: the startup's business registration at most this many years before closing.
    max_startup_years: Mapped[int | None] = mapped_column(Integer)

    contest: Mapped[Contest] = relationship(back_populates="tracks")

    __table_args__ = (UniqueConstraint("contest_id", "name"),)


class UploadSlot(Model):
    """A document the dossier asks for, with the file kinds and size it accepts."""

    __tablename__ = "contest_upload_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(160))
    kinds: Mapped[list] = mapped_column(JSON, default=list)  # e.g. ["pdf", "docx", "pptx"]
    max_bytes: Mapped[int] = mapped_column(Integer)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # The organisers' template for this document (mẫu thuyết minh …): a .docx or .pdf stored under
    # UPLOAD_DIR/templates with a generated name, offered next to the upload field and on the contest page.
    template_stored_name: Mapped[str | None] = mapped_column(String(80))
    template_name: Mapped[str] = mapped_column(String(160), default="", server_default="")  # for display
    template_kind: Mapped[str] = mapped_column(String(10), default="", server_default="")
    template_size: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    contest: Mapped[Contest] = relationship(back_populates="slots")

    __table_args__ = (UniqueConstraint("contest_id", "key"),)


class ContestStaff(Model):
    """A user's role in one contest: co-organiser (limited to it) or judge, with their organisation."""

    __tablename__ = "contest_staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    organisation: Mapped[str] = mapped_column(String(120), default="")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    contest: Mapped[Contest] = relationship(back_populates="staff")
    user: Mapped[User] = relationship("User", lazy="joined")

    __table_args__ = (UniqueConstraint("contest_id", "user_id", "role"),)


class Entry(Model):
    """A team's entry (hồ sơ dự thi) in a contest."""

    __tablename__ = "entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"), index=True)
    track_id: Mapped[int | None] = mapped_column(ForeignKey("contest_tracks.id", ondelete="SET NULL"))
    # The account holder who leads the team; NULL for an entry keyed in from paper without an account.
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=EntryStatus.DRAFT.value, index=True)
    code: Mapped[str | None] = mapped_column(String(20), unique=True)
    code_number: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200), default="")
    field: Mapped[str] = mapped_column(String(120), default="")  # lĩnh vực
    summary: Mapped[str] = mapped_column(Text, default="")
    answers: Mapped[dict] = mapped_column(JSON, default=dict)  # the other structured-form fields
    video_url: Mapped[str] = mapped_column(String(300), default="")
    declared_original: Mapped[bool] = mapped_column(Boolean, default=False)
    startup_registered_on: Mapped[date | None] = mapped_column(Date)
    # The team's organisation and commune (the leader's), copied for filters and reports.
    organisation: Mapped[str] = mapped_column(String(160), default="")
    commune_code: Mapped[str] = mapped_column(String(10), default="")
    commune_name: Mapped[str] = mapped_column(String(120), default="")
    # Accent-free, lower-case text of code, title, names, organisation, commune (see search.py).
    search_text: Mapped[str] = mapped_column(Text, default="")
    is_paper: Mapped[bool] = mapped_column(Boolean, default=False)
    keyed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    screening_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    contest: Mapped[Contest] = relationship(lazy="joined")
    track: Mapped[Track | None] = relationship(lazy="joined")
    leader: Mapped[User | None] = relationship("User", foreign_keys=[leader_id])
    keyed_by: Mapped[User | None] = relationship("User", foreign_keys=[keyed_by_id])
    members: Mapped[list[TeamMember]] = relationship(
        back_populates="entry",
        cascade="all, delete-orphan",
        order_by="(TeamMember.is_leader.desc(), TeamMember.position, TeamMember.id)",
        lazy="selectin",
    )
    files: Mapped[list[EntryFile]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", lazy="selectin"
    )
    history: Mapped[list[EntryEvent]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="EntryEvent.id"
    )

    __table_args__ = (
        UniqueConstraint("contest_id", "code_number"),
        Index("ix_entries_contest_status", "contest_id", "status"),
    )

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[EntryStatus(self.status)]

    @property
    def leader_member(self) -> TeamMember | None:
        return next((m for m in self.members if m.is_leader), None)

    def file_for(self, slot_key: str) -> EntryFile | None:
        return next((f for f in self.files if f.slot_key == slot_key), None)


class TeamMember(Model):
    """A person in a team; members need no account (SPEC §3, §8). The leader is a member too."""

    __tablename__ = "team_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    is_leader: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    full_name: Mapped[str] = mapped_column(String(120))
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(10), default="")
    phone: Mapped[str] = mapped_column(String(16), default="", index=True)  # E.164
    email: Mapped[str] = mapped_column(String(254), default="", index=True)
    organisation: Mapped[str] = mapped_column(String(160), default="")
    commune_code: Mapped[str] = mapped_column(String(10), default="")
    commune_name: Mapped[str] = mapped_column(String(120), default="")
    # Pre-2025 district, kept for 2024 records (data/quang_ngai_districts_2024.json).
    district_code: Mapped[str] = mapped_column(String(10), default="")
    district_name: Mapped[str] = mapped_column(String(120), default="")
    ethnicity: Mapped[str] = mapped_column(String(40), default="")  # "" = not asked/"khong_cung_cap"
    guardian_name: Mapped[str] = mapped_column(String(120), default="")
    guardian_contact: Mapped[str] = mapped_column(String(254), default="")
    guardian_consent: Mapped[bool] = mapped_column(Boolean, default=False)

    entry: Mapped[Entry] = relationship(back_populates="members")

    @property
    def sex_label(self) -> str:
        return SEX_LABELS.get(self.sex, "")

    @property
    def phone_display(self) -> str:
        return format_phone(self.phone)


class EntryFile(Model):
    """An uploaded document, stored under UPLOAD_DIR with a generated name; one per slot."""

    __tablename__ = "entry_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    slot_key: Mapped[str] = mapped_column(String(40))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    original_name: Mapped[str] = mapped_column(String(160))  # cleaned, for display only
    kind: Mapped[str] = mapped_column(String(10))  # detected from the content
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    entry: Mapped[Entry] = relationship(back_populates="files")

    __table_args__ = (UniqueConstraint("entry_id", "slot_key"),)


class EntryEvent(Model):
    """One line of an entry's history: who did what, when, why, and the status before/after."""

    __tablename__ = "entry_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str] = mapped_column(String(20), default="")
    to_status: Mapped[str] = mapped_column(String(20), default="")
    note: Mapped[str] = mapped_column(Text, default="")

    entry: Mapped[Entry] = relationship(back_populates="history")
    actor: Mapped[User | None] = relationship("User", lazy="joined")
