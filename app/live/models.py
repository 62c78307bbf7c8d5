"""The live final (SPEC §4 "Live final console"): a round's stage — the running order, who is on stage,
the timers, the reveal — and the audience's votes. Everything the console, the judges' phones and the
projector show is read from these rows, so a restarted server or a reloaded page resumes where it was,
and every app instance sees the same stage."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.localtime import utcnow
from app.types import UTCDateTime

# Phases of the stage. "ready": order set, nobody on stage yet; "pitch"/"qa": a team is on stage;
# "between": the last team closed, the next not started; "finished": every team done.
READY, PITCH, QA, BETWEEN, FINISHED = "ready", "pitch", "qa", "between", "finished"
PHASE_LABELS = {
    READY: "Chưa bắt đầu",
    PITCH: "Đang thuyết trình",
    QA: "Đang hỏi đáp",
    BETWEEN: "Giữa hai đội",
    FINISHED: "Đã kết thúc",
}
# A team's slot in the running order.
WAITING, ON_STAGE, CLOSED, NO_SHOW = "waiting", "on_stage", "closed", "no_show"
SLOT_LABELS = {WAITING: "Chờ", ON_STAGE: "Trên sân khấu", CLOSED: "Đã chốt điểm", NO_SHOW: "Vắng mặt"}


class LiveStage(Model):
    __tablename__ = "live_stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("judging_rounds.id", ondelete="CASCADE"), unique=True)
    # The final's event: its checked-in tickets may vote (None: no audience vote possible).
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    # The projector's read-only link (and the audience vote page) carry this random key, not the id.
    public_key: Mapped[str] = mapped_column(String(43), unique=True)
    seed: Mapped[str] = mapped_column(String(40), default="")  # the draw's seed ("" = order set by hand)
    order_set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    pitch_seconds: Mapped[int] = mapped_column(Integer, default=480)
    qa_seconds: Mapped[int] = mapped_column(Integer, default=600)
    phase: Mapped[str] = mapped_column(String(10), default=READY)
    current_entry_id: Mapped[int | None] = mapped_column(ForeignKey("entries.id", ondelete="SET NULL"))
    phase_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # set while the timer is paused
    # Prize levels shown on the projector, counted from the lowest (0: none; released_at: allowed).
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reveal_level: Mapped[int] = mapped_column(Integer, default=0)
    # Audience vote: off, or counted into one of the round's components (scoring.Component id).
    vote_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    vote_component: Mapped[str] = mapped_column(String(40), default="")
    vote_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    vote_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Judges the chair nudged for the team on stage: user id (text) → when (ISO); cleared on a new team.
    nudges: Mapped[dict] = mapped_column(JSON, default=dict)
    # Bumped by every change anyone watching must see (one UPDATE; the clients poll it).
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    slots: Mapped[list[LiveSlot]] = relationship(
        back_populates="stage", cascade="all, delete-orphan", order_by="LiveSlot.position"
    )

    @property
    def vote_open(self) -> bool:
        return self.vote_opened_at is not None and self.vote_closed_at is None


class LiveSlot(Model):
    """One team in the running order."""

    __tablename__ = "live_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("live_stages.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(10), default=WAITING)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Why the chair closed before every judge submitted, or why the team did not pitch.
    reason: Mapped[str] = mapped_column(Text, default="")

    stage: Mapped[LiveStage] = relationship(back_populates="slots")

    __table_args__ = (UniqueConstraint("stage_id", "entry_id"),)


class AudienceVote(Model):
    """One checked-in ticket's vote (the ticket is the voter's identity; a new vote replaces it)."""

    __tablename__ = "live_votes"

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("live_stages.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("event_tickets.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changes: Mapped[int] = mapped_column(Integer, default=0)  # how many times this ticket changed its vote

    __table_args__ = (UniqueConstraint("stage_id", "ticket_id"),)
