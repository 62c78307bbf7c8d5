"""Judging data: rounds (with rubric, method, advancement rule and prizes as data), the entries and
judges of a round, judge invitations and profiles, conflicts of interest, assignments carrying the
judge's score sheet, organiser-scored components, manual overrides and published results.

The maths lives in app/judging/scoring.py (pure); these tables only store what people entered.
Relationships load lazily: each query names what its page shows (`selectinload`/`joinedload`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.localtime import utcnow
from app.types import UTCDateTime


class SheetStatus(StrEnum):
    TODO = "todo"  # assigned, nothing saved yet
    DRAFT = "draft"
    SUBMITTED = "submitted"  # locked until an organiser reopens it


SHEET_STATUS_LABELS = {
    SheetStatus.TODO: "Chưa chấm",
    SheetStatus.DRAFT: "Đang chấm (bản nháp)",
    SheetStatus.SUBMITTED: "Đã nộp",
}


class ConflictKind(StrEnum):
    SAME_ORGANISATION = "same_organisation"
    RELATIVE = "relative"
    MENTOR = "mentor"
    SAME_COMMUNE = "same_commune"  # only raised by the platform's flags
    OTHER = "other"


CONFLICT_KIND_LABELS = {
    ConflictKind.SAME_ORGANISATION: "Cùng cơ quan, đơn vị",
    ConflictKind.RELATIVE: "Người thân",
    ConflictKind.MENTOR: "Người hướng dẫn, cố vấn của đội",
    ConflictKind.SAME_COMMUNE: "Cùng xã, phường",
    ConflictKind.OTHER: "Lý do khác",
}
# What a judge may declare (the commune flag is the platform's guess, not a declaration).
DECLARABLE_KINDS = [
    ConflictKind.SAME_ORGANISATION,
    ConflictKind.RELATIVE,
    ConflictKind.MENTOR,
    ConflictKind.OTHER,
]


class ConflictStatus(StrEnum):
    PENDING = "pending"  # flagged by the platform, waiting for an organiser
    CONFIRMED = "confirmed"  # declared by the judge or confirmed by an organiser: never assigned
    DISMISSED = "dismissed"  # an organiser looked and found no conflict


CONFLICT_STATUS_LABELS = {
    ConflictStatus.PENDING: "Chờ ban tổ chức xác nhận",
    ConflictStatus.CONFIRMED: "Đã xác nhận",
    ConflictStatus.DISMISSED: "Đã bỏ qua",
}


class Round(Model):
    """A judging round of a contest (sơ khảo, bán kết, chung kết …), ordered by `position`."""

    __tablename__ = "judging_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    blind: Mapped[bool] = mapped_column(Boolean, default=False)
    # scoring.Rubric.to_data(): [{"id", "name", "kind", "max_points", "weight", "description"}]
    rubric: Mapped[list] = mapped_column(JSON, default=list)
    method: Mapped[str] = mapped_column(String(20), default="mean")
    judges_per_entry: Mapped[int] = mapped_column(Integer, default=3)
    # Advancement rule (SPEC §4). Decimals are stored as text so every backend keeps them exact.
    top_n: Mapped[int | None] = mapped_column(Integer)
    min_average: Mapped[str] = mapped_column(String(12), default="")
    no_zero_criterion: Mapped[bool] = mapped_column(Boolean, default=True)
    tie_breaks: Mapped[list] = mapped_column(JSON, default=list)  # [{"kind", "ref"}]
    # Organiser-scored components, apart from judges' sheets: [{"id", "name", "max_points", "weight"}]
    components: Mapped[list] = mapped_column(JSON, default=list)
    # {"tracks": {track name: {"nhat": 1, "nhi": 1, "ba": 1, "khuyen_khich": 2}},
    #  "side": [{"id", "name", "count", "criterion"}]}
    prize_plan: Mapped[dict] = mapped_column(JSON, default=dict)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    advanced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # entries moved on
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Bumped (as `results_version + 1`, in the writing transaction) by every write that can change the
    # round's computed results: the key of their cache, read from the database by every app instance.
    results_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    contest = relationship("Contest")
    entries: Mapped[list[RoundEntry]] = relationship(back_populates="round", cascade="all, delete-orphan")
    judges: Mapped[list[RoundJudge]] = relationship(back_populates="round", cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("contest_id", "position"), UniqueConstraint("contest_id", "name"))


class RoundEntry(Model):
    """An entry taking part in a round; `panel_decision` is the panel's tie-break value, if any."""

    __tablename__ = "judging_round_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("judging_rounds.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    panel_decision: Mapped[str] = mapped_column(String(12), default="")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    round: Mapped[Round] = relationship(back_populates="entries")
    entry = relationship("Entry")

    __table_args__ = (UniqueConstraint("round_id", "entry_id"),)


class RoundJudge(Model):
    """A judge on a round's panel."""

    __tablename__ = "judging_round_judges"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("judging_rounds.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    round: Mapped[Round] = relationship(back_populates="judges")
    user = relationship("User")

    __table_args__ = (UniqueConstraint("round_id", "user_id"),)


class JudgeProfile(Model):
    """What a judge tells us about themself, used to flag likely conflicts of interest."""

    __tablename__ = "judging_judge_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    organisation: Mapped[str] = mapped_column(String(160), default="")
    commune_code: Mapped[str] = mapped_column(String(10), default="")
    commune_name: Mapped[str] = mapped_column(String(120), default="")
    expertise: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user = relationship("User")


class JudgeInvitation(Model):
    """An organiser's invitation to judge a round: a single-use, expiring link (only its SHA-256
    is stored). The account is created when the invitee accepts."""

    __tablename__ = "judging_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("judging_rounds.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    full_name: Mapped[str] = mapped_column(String(120))
    organisation: Mapped[str] = mapped_column(String(160), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    round: Mapped[Round] = relationship()


class Conflict(Model):
    """A conflict of interest between a judge and an entry (one row per pair, whatever its source)."""

    __tablename__ = "judging_conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    source: Mapped[str] = mapped_column(String(20))  # declared | flagged | organiser
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str] = mapped_column(Text, default="")

    judge = relationship("User", foreign_keys=[judge_id])
    entry = relationship("Entry")

    __table_args__ = (UniqueConstraint("judge_id", "entry_id"),)

    @property
    def kind_label(self) -> str:
        return CONFLICT_KIND_LABELS.get(ConflictKind(self.kind), self.kind)

    @property
    def status_label(self) -> str:
        return CONFLICT_STATUS_LABELS[ConflictStatus(self.status)]


class Assignment(Model):
    """A judge assigned to an entry in a round, carrying that judge's score sheet.

    `version` is SQLAlchemy's version counter: every UPDATE checks the version it read, so two
    devices saving the same sheet cannot overwrite each other silently (see services.save_sheet).
    """

    __tablename__ = "judging_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("judging_rounds.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(10), default="manual")  # manual | auto
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(12), default=SheetStatus.TODO.value)
    scores: Mapped[dict] = mapped_column(JSON, default=dict)  # criterion id → "12.5" (text, exact)
    comments: Mapped[dict] = mapped_column(JSON, default=dict)  # criterion id → comment
    general_comment: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reopen_reason: Mapped[str] = mapped_column(Text, default="")

    round: Mapped[Round] = relationship()
    entry = relationship("Entry")
    judge = relationship("User", foreign_keys=[judge_id])

    __table_args__ = (
        UniqueConstraint("round_id", "entry_id", "judge_id"),
        Index("ix_judging_assignments_round_judge", "round_id", "judge_id"),
    )
    __mapper_args__ = {"version_id_col": version}

    @property
    def has_scores(self) -> bool:
        return self.status != SheetStatus.TODO.value or any(v not in ("", None) for v in self.scores.values())

    @property
    def status_label(self) -> str:
        return SHEET_STATUS_LABELS[SheetStatus(self.status)]


class ComponentScore(Model):
    """An organiser-scored component value (public vote, training attendance …) for an entry."""

    __tablename__ = "judging_component_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("judging_rounds.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"))
    component_id: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(12))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("round_id", "entry_id", "component_id"),)


class AdvancementOverride(Model):
    """An organiser's decision on top of the advancement rule, with its mandatory reason."""

    __tablename__ = "judging_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("judging_rounds.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"))
    advance: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    by = relationship("User")

    __table_args__ = (UniqueConstraint("round_id", "entry_id"),)


class RoundResult(Model):
    """The published result of one entry in one round: a snapshot, so later edits cannot change
    what applicants were told."""

    __tablename__ = "judging_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("judging_rounds.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[str] = mapped_column(String(12), default="")
    advances: Mapped[bool | None] = mapped_column(Boolean)
    prize: Mapped[str] = mapped_column(String(200), default="")
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    round: Mapped[Round] = relationship()

    __table_args__ = (UniqueConstraint("round_id", "entry_id"),)
