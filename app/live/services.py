"""The stage of a live final: making a round live, the running order (drawn with a recorded seed or set
by hand), who is on stage and the timers, closing a team's scoring, no-shows, nudges and the reveal.

Every change bumps `LiveStage.version` in the same transaction; the phones and the projector poll that
number (app/live/state.py), so a change made on one app instance reaches clients of every instance.
A judge may score only the team on stage (or a sheet the organisers reopened): `judging` asks
`sheet_guard` before every save (registered at import, judging knows nothing of the live package).
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from app.accounts.models import User
from app.audit.services import record
from app.contests.models import Entry
from app.database import commit
from app.errors import Conflict, Invalid, NotFound
from app.events.models import Event
from app.events.permissions import can_manage
from app.extensions import db
from app.judging import services as judging
from app.judging.models import Assignment, Round, SheetStatus
from app.judging.services.sheet_checks import register_sheet_guard
from app.live.models import (
    BETWEEN,
    CLOSED,
    FINISHED,
    NO_SHOW,
    ON_STAGE,
    PITCH,
    QA,
    READY,
    WAITING,
    LiveSlot,
    LiveStage,
)
from app.localtime import utcnow
from app.text import tidy
from app.tokens import new_token

REASON_MIN = 5  # characters of a reason (closing early, no-show)


# --- finding a stage ---------------------------------------------------------------------------------


def stage_of(round_: Round) -> LiveStage | None:
    return db.session.scalar(select(LiveStage).where(LiveStage.round_id == round_.id))


def live_round_ids() -> set[int]:
    """The rounds that have a stage (judges' dashboards link their live page)."""
    return set(db.session.scalars(select(LiveStage.round_id)))


def stage_for_organiser(user: User, round_id: int) -> tuple[Round, LiveStage]:
    """The round (organiser check by judging's rule) and its stage; 404 when it is not live."""
    round_ = judging.get_round_for_organiser(user, round_id)
    stage = stage_of(round_)
    if stage is None:
        raise NotFound("Vòng này chưa được bật chế độ chung kết trực tiếp.")
    return round_, stage


def stage_by_key(key: str) -> LiveStage:
    """The stage behind a projector or vote link (its random public key)."""
    stage = db.session.scalar(select(LiveStage).where(LiveStage.public_key == key[:43]))
    if stage is None:
        raise NotFound("Liên kết màn hình trình chiếu hoặc bình chọn không đúng hoặc đã được thay.")
    return stage


def slot_of(stage: LiveStage, entry_id: int | None) -> LiveSlot | None:
    if entry_id is None:
        return None
    return next((s for s in stage.slots if s.entry_id == entry_id), None)


def current_slot(stage: LiveStage) -> LiveSlot | None:
    return slot_of(stage, stage.current_entry_id)


def changed(stage: LiveStage) -> None:
    """Everyone watching must refetch: bump the version (committed by the caller)."""
    stage.version = (stage.version or 0) + 1
    stage.updated_at = utcnow()


# --- making a round live and its settings ------------------------------------------------------------


@dataclass
class StageSettings:
    pitch_minutes: int = 8
    qa_minutes: int = 10
    event_id: int | None = None  # the final's event (audience vote); None: no vote
    vote_enabled: bool = False
    vote_component: str = ""  # a component of the round that receives the normalised votes


def enable(actor: User, round_: Round, settings: StageSettings | None = None) -> LiveStage:
    """Make a round live: a stage with every entry of the round in code order (draw or reorder next)."""
    judging.get_round_for_organiser(actor, round_.id)
    if stage_of(round_) is not None:
        raise Conflict("Vòng này đã ở chế độ chung kết trực tiếp.")
    entries = judging.round_entries(round_)
    if not entries:
        raise Invalid("Vòng chưa có hồ sơ nào: thêm các đội vào chung kết trước.")
    stage = LiveStage(round_id=round_.id, public_key=new_token(24), version=1)
    db.session.add(stage)
    for position, entry in enumerate(sorted(entries, key=lambda e: (e.code_number or 10**9, e.id)), 1):
        stage.slots.append(LiveSlot(entry_id=entry.id, position=position))
    apply_settings(actor, stage, settings or StageSettings(), audit=False)
    record(actor, "live.enable", "round", round_.id, teams=len(entries))
    commit()
    return stage


def apply_settings(actor: User, stage: LiveStage, settings: StageSettings, *, audit: bool = True) -> None:
    round_ = db.session.get_one(Round, stage.round_id)
    for value, label in ((settings.pitch_minutes, "thuyết trình"), (settings.qa_minutes, "hỏi đáp")):
        if not 1 <= value <= 120:
            raise Invalid(
                f"Thời gian {label} phải từ 1 đến 120 phút.",
                field="pitch_minutes" if label == "thuyết trình" else "qa_minutes",
            )
    if settings.event_id is not None:
        event = db.session.get(Event, settings.event_id)
        if event is None or not can_manage(actor, event):
            raise Invalid("Chọn sự kiện chung kết mà bạn quản lý.", field="event_id")
    if settings.vote_enabled and settings.event_id is None:
        raise Invalid(
            "Bình chọn của khán giả cần sự kiện chung kết (vé đã check-in mới được bình chọn).",
            field="event_id",
        )
    components = {c.get("id") for c in (round_.components or [])}
    if settings.vote_component and settings.vote_component not in components:
        raise Invalid(
            "Điểm thành phần nhận kết quả bình chọn không có trong vòng này.", field="vote_component"
        )
    if stage.vote_open and settings.event_id != stage.event_id:
        raise Conflict("Đang mở bình chọn: đóng bình chọn trước khi đổi sự kiện.")
    stage.pitch_seconds = settings.pitch_minutes * 60
    stage.qa_seconds = settings.qa_minutes * 60
    stage.event_id = settings.event_id
    stage.vote_enabled = settings.vote_enabled
    stage.vote_component = settings.vote_component
    changed(stage)
    if audit:
        record(
            actor,
            "live.settings",
            "round",
            stage.round_id,
            pitch=settings.pitch_minutes,
            qa=settings.qa_minutes,
            event_id=settings.event_id,
            vote=settings.vote_enabled,
            component=settings.vote_component,
        )
        commit()


# --- the running order -------------------------------------------------------------------------------


def _order_editable(stage: LiveStage) -> None:
    if any(s.state != WAITING for s in stage.slots) or stage.phase != READY:
        raise Conflict("Đã có đội lên sân khấu: thứ tự chỉ sửa được trước khi bắt đầu.")


def draw_order(actor: User, stage: LiveStage, seed: str | None = None) -> str:
    """Draw the running order at random; the seed is recorded so anyone can redo the draw."""
    _order_editable(stage)
    seed = tidy(seed or "", 40, one_line=True) or secrets.token_hex(8)
    slots = sorted(stage.slots, key=lambda s: s.entry_id)  # a stable start, so the seed alone decides
    random.Random(seed).shuffle(slots)  # noqa: S311 (a public draw, reproducible from its seed)
    _renumber(stage, slots)
    stage.seed = seed
    stage.order_set_by_id = actor.id
    changed(stage)
    record(actor, "live.draw", "round", stage.round_id, seed=seed, order=[s.entry_id for s in slots])
    commit()
    return seed


def set_order(actor: User, stage: LiveStage, entry_ids: list[int]) -> None:
    """Set the running order by hand: every team of the stage, once each."""
    _order_editable(stage)
    by_entry = {s.entry_id: s for s in stage.slots}
    if sorted(entry_ids) != sorted(by_entry):
        raise Invalid("Thứ tự phải gồm đúng mỗi đội của vòng chung kết một lần.", field="order")
    _renumber(stage, [by_entry[i] for i in entry_ids])
    stage.seed = ""
    stage.order_set_by_id = actor.id
    changed(stage)
    record(actor, "live.order", "round", stage.round_id, order=entry_ids)
    commit()


def _renumber(stage: LiveStage, slots: list[LiveSlot]) -> None:
    for position, slot in enumerate(slots, 1):
        slot.position = position
    stage.slots.sort(key=lambda s: s.position)


# --- who is on stage ---------------------------------------------------------------------------------


def start(actor: User, stage: LiveStage, entry_id: int | None = None) -> LiveSlot:
    """Put a waiting team on stage (default: the next in the order); its pitch timer starts."""
    if current_slot(stage) is not None and current_slot(stage).state == ON_STAGE:  # type: ignore[union-attr]
        raise Conflict("Một đội đang ở trên sân khấu: chốt điểm đội đó (hoặc quay lại) trước.")
    waiting = [s for s in stage.slots if s.state == WAITING]
    slot = (
        next((s for s in waiting if s.entry_id == entry_id), None)
        if entry_id
        else (waiting[0] if waiting else None)
    )
    if slot is None:
        raise Conflict(
            "Không còn đội nào chờ thi." if entry_id is None else "Đội này không ở trạng thái chờ."
        )
    now = utcnow()
    slot.state, slot.started_at = ON_STAGE, now
    stage.current_entry_id = slot.entry_id
    stage.phase, stage.phase_started_at, stage.paused_at = PITCH, now, None
    stage.nudges = {}
    changed(stage)
    record(actor, "live.start", "round", stage.round_id, entry_id=slot.entry_id, position=slot.position)
    commit()
    return slot


def set_phase(actor: User, stage: LiveStage, phase: str) -> None:
    """Pitch ↔ Q&A for the team on stage; the new phase's timer starts from full."""
    slot = _on_stage(stage)
    if phase not in (PITCH, QA):
        raise Invalid("Giai đoạn không hợp lệ.")
    if stage.phase == phase:
        return
    stage.phase, stage.phase_started_at, stage.paused_at = phase, utcnow(), None
    changed(stage)
    record(actor, "live.phase", "round", stage.round_id, entry_id=slot.entry_id, phase=phase)
    commit()


def pause(actor: User, stage: LiveStage) -> None:
    _on_stage(stage)
    if stage.paused_at is None:
        stage.paused_at = utcnow()
        changed(stage)
        commit()


def resume(actor: User, stage: LiveStage) -> None:
    _on_stage(stage)
    if stage.paused_at is not None and stage.phase_started_at is not None:
        stage.phase_started_at = stage.phase_started_at + (utcnow() - stage.paused_at)
        stage.paused_at = None
        changed(stage)
        commit()


def step_back(actor: User, stage: LiveStage) -> None:
    """Undo a start by mistake: the team on stage goes back to waiting (only while no judge has
    submitted its sheet)."""
    slot = _on_stage(stage)
    if submitted_count(stage.round_id, slot.entry_id):
        raise Conflict("Đã có giám khảo nộp phiếu cho đội này: không thể đưa đội về trạng thái chờ.")
    slot.state, slot.started_at = WAITING, None
    _leave_stage(stage)
    record(actor, "live.back", "round", stage.round_id, entry_id=slot.entry_id)
    commit()


def close(actor: User, stage: LiveStage, reason: str = "") -> LiveSlot:
    """The chair closes the team's scoring: at once when every judge has submitted, otherwise only
    with a recorded reason (a judge absent, a phone dead …)."""
    slot = _on_stage(stage)
    sheets = sheet_statuses(stage.round_id, slot.entry_id)
    missing = [s for s in sheets if s.status != SheetStatus.SUBMITTED.value]
    reason = tidy(reason, 1000)
    if missing and len(reason) < REASON_MIN:
        raise Invalid(
            f"Còn {len(missing)} giám khảo chưa nộp phiếu. Ghi lý do nếu vẫn chốt điểm đội này.",
            field="reason",
        )
    slot.state, slot.closed_at, slot.closed_by_id, slot.reason = (
        CLOSED,
        utcnow(),
        actor.id,
        reason if missing else "",
    )
    _leave_stage(stage)
    record(
        actor,
        "live.close",
        "round",
        stage.round_id,
        entry_id=slot.entry_id,
        missing=len(missing),
        reason=slot.reason,
    )
    commit()
    return slot


def no_show(actor: User, stage: LiveStage, entry_id: int, reason: str) -> None:
    """A team that does not pitch: marked, skipped, with the reason (the minutes show it)."""
    slot = slot_of(stage, entry_id)
    if slot is None:
        raise NotFound("Đội này không có trong thứ tự thi.")
    if slot.state not in (WAITING, ON_STAGE):
        raise Conflict("Chỉ đánh dấu vắng mặt cho đội chưa thi.")
    if slot.state == ON_STAGE and submitted_count(stage.round_id, entry_id):
        raise Conflict("Đã có giám khảo nộp phiếu cho đội này: không thể đánh dấu vắng mặt.")
    reason = tidy(reason, 1000)
    if len(reason) < REASON_MIN:
        raise Invalid("Ghi lý do đội vắng mặt.", field="reason")
    was_on_stage = slot.state == ON_STAGE
    slot.state, slot.reason, slot.closed_at, slot.closed_by_id = NO_SHOW, reason, utcnow(), actor.id
    if was_on_stage:
        _leave_stage(stage)
    else:
        _finish_if_done(stage)
        changed(stage)
    record(actor, "live.no_show", "round", stage.round_id, entry_id=entry_id, reason=reason)
    commit()


def nudge(actor: User, stage: LiveStage, judge_id: int) -> None:
    """Remind one judge to submit the sheet of the team on stage (shown on the judge's phone)."""
    slot = _on_stage(stage)
    if not any(s.judge_id == judge_id for s in sheet_statuses(stage.round_id, slot.entry_id)):
        raise NotFound("Giám khảo này không chấm đội đang thi.")
    stage.nudges = {**(stage.nudges or {}), str(judge_id): utcnow().isoformat()}
    changed(stage)
    commit()


def _on_stage(stage: LiveStage) -> LiveSlot:
    slot = current_slot(stage)
    if slot is None or slot.state != ON_STAGE:
        raise Conflict("Chưa có đội nào trên sân khấu.")
    return slot


def _leave_stage(stage: LiveStage) -> None:
    stage.current_entry_id = None
    stage.phase, stage.phase_started_at, stage.paused_at = BETWEEN, None, None
    stage.nudges = {}
    _finish_if_done(stage)
    changed(stage)


def _finish_if_done(stage: LiveStage) -> None:
    if stage.current_entry_id is None and all(s.state in (CLOSED, NO_SHOW) for s in stage.slots):
        stage.phase = FINISHED


# --- the reveal --------------------------------------------------------------------------------------


def release(actor: User, stage: LiveStage) -> None:
    """The chair allows the projector to show the results (level by level, with `reveal_next`)."""
    if stage.phase != FINISHED:
        raise Conflict("Chỉ công bố trên màn hình khi mọi đội đã thi xong (hoặc vắng mặt).")
    result = judging.compute_results(db.session.get_one(Round, stage.round_id))
    # Sheets that will never be submitted are not a reason to wait: the teams that did not come, and
    # the missing sheets of a team the chair closed with a recorded reason.
    excused_entries = [
        s.entry_id for s in stage.slots if s.state == NO_SHOW or (s.state == CLOSED and s.reason)
    ]
    excused = (
        db.session.scalar(
            select(func.count(Assignment.id)).where(
                Assignment.round_id == stage.round_id,
                Assignment.status != SheetStatus.SUBMITTED.value,
                Assignment.entry_id.in_(excused_entries),
            )
        )
        or 0
    )
    blockers = list(result.blockers)
    if result.unsubmitted and result.unsubmitted <= excused:
        blockers = [b for b in blockers if b != f"Còn {result.unsubmitted} phiếu chấm chưa nộp."]
    if blockers:
        raise Conflict("Chưa thể công bố: " + " ".join(blockers))
    stage.released_at, stage.reveal_level = utcnow(), 0
    changed(stage)
    record(actor, "live.release", "round", stage.round_id)
    commit()


def reveal_next(actor: User, stage: LiveStage, levels: int) -> int:
    """Show the next prize level on the projector (from the lowest up to Giải Nhất)."""
    if stage.released_at is None:
        raise Conflict("Chủ tịch hội đồng chưa cho phép công bố kết quả.")
    if stage.reveal_level >= levels:
        raise Conflict("Đã công bố hết các giải.")
    stage.reveal_level += 1
    changed(stage)
    record(actor, "live.reveal", "round", stage.round_id, level=stage.reveal_level)
    commit()
    return stage.reveal_level


# --- sheets of the team on stage ---------------------------------------------------------------------


@dataclass(frozen=True)
class SheetState:
    judge_id: int
    judge_name: str
    status: str  # todo | draft | submitted
    opened: bool  # saved at least once (a draft autosaves as the judge types)
    updated_at: datetime | None


def sheet_statuses(round_id: int, entry_id: int) -> list[SheetState]:
    rows = db.session.execute(
        select(Assignment.judge_id, User.full_name, Assignment.status, Assignment.updated_at)
        .join(User, User.id == Assignment.judge_id)
        .where(Assignment.round_id == round_id, Assignment.entry_id == entry_id)
        .order_by(User.full_name, User.id)
    )
    return [SheetState(j, n, s, u is not None, u) for j, n, s, u in rows]


def submitted_count(round_id: int, entry_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count(Assignment.id)).where(
                Assignment.round_id == round_id,
                Assignment.entry_id == entry_id,
                Assignment.status == SheetStatus.SUBMITTED.value,
            )
        )
        or 0
    )


def sheet_guard(assignment: Assignment, submit: bool) -> None:
    """Judging asks before saving a sheet: in a live round only the team on stage is scored, or a
    sheet an organiser reopened after its team closed."""
    stage = db.session.scalar(select(LiveStage).where(LiveStage.round_id == assignment.round_id))
    if stage is None:
        return
    slot = slot_of(stage, assignment.entry_id)
    if slot is None or slot.state == ON_STAGE:
        return
    if slot.state == CLOSED and assignment.reopen_reason:
        return
    message = {
        WAITING: "Đội này chưa lên sân khấu: chỉ chấm đội đang thi.",
        CLOSED: "Ban tổ chức đã chốt điểm đội này; nếu cần sửa, đề nghị mở lại phiếu.",
        NO_SHOW: "Đội này vắng mặt, không chấm.",
    }[slot.state]
    raise Conflict(message, code="not_on_stage")


register_sheet_guard(sheet_guard)


def entries_by_id(stage: LiveStage) -> dict[int, Entry]:
    ids = [s.entry_id for s in stage.slots]
    return {e.id: e for e in db.session.scalars(select(Entry).where(Entry.id.in_(ids)))}


def describe(stage: LiveStage) -> dict[str, Any]:
    """Plain facts for logs and tests."""
    return {"phase": stage.phase, "current": stage.current_entry_id, "version": stage.version}
