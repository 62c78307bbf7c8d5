"""The audience vote of a live final (SPEC §4): one vote per ticket checked in to the final's event,
the ticket code being the voter's identity; a new vote from the same ticket replaces the previous
one while the window is open. The window is opened and closed from the console; on close the counts
can be written, normalised, into one of the round's organiser-scored components.

Race safety: a vote is one `INSERT … ON CONFLICT (stage_id, ticket_id) DO UPDATE` (the UNIQUE
constraint decides, so 200 simultaneous votes from 100 tickets leave 100 rows). Before it, the vote
takes a shared lock on its stage's row and checks the window again; closing takes the row's
exclusive lock (its UPDATE) before counting, so a vote either lands before the count or is refused
as "closed" — none is committed after the count and left out of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.dialects import postgresql, sqlite

from app.accounts.models import User
from app.audit.services import record
from app.contests.models import Entry
from app.database import commit
from app.errors import Conflict, DomainError, Invalid, NotFound, PermissionDenied
from app.events import tickets
from app.events.models import Checkin, Ticket
from app.events.registration import ticket_key
from app.extensions import db
from app.judging import scoring
from app.judging import services as judging
from app.judging.models import Round
from app.live import services
from app.live.models import NO_SHOW, AudienceVote, LiveSlot, LiveStage
from app.localtime import utcnow

MAX_SCANNED = 2000  # a ticket code as typed, or the ticket's URL read from its QR
RULE = "Bạn có thể đổi lựa chọn đến khi bình chọn đóng; chỉ lựa chọn cuối cùng được tính."
CENT = Decimal("0.01")


@dataclass(frozen=True)
class VoteAnswer:
    """What the voter is told: the team their ticket now counts for, and whether it replaced an
    earlier choice."""

    replaced: bool
    changes: int  # how many times this ticket voted again after its first vote
    entry_id: int
    code: str
    title: str

    @property
    def message(self) -> str:
        team = f"{self.code} – {self.title}" if self.code else self.title
        if self.replaced:
            return f"Đã cập nhật bình chọn của bạn: đội {team}. Chỉ lựa chọn cuối cùng được tính."
        return f"Đã ghi nhận bình chọn của bạn cho đội {team}. Cảm ơn bạn!"


# --- the window (organisers) ---------------------------------------------------------------------------


def window_state(stage: LiveStage) -> str:
    """disabled | not_open | open | closed."""
    return _window_of(stage.vote_enabled, stage.event_id, stage.vote_opened_at, stage.vote_closed_at)


def _window_of(enabled: bool, event_id: int | None, opened: object, closed: object) -> str:
    if not enabled or event_id is None:
        return "disabled"
    if opened is None:
        return "not_open"
    return "open" if closed is None else "closed"


def open_vote(actor: User, stage: LiveStage) -> None:
    """Open (or reopen) the window; votes already cast are kept. Opening an open window does nothing."""
    judging.get_round_for_organiser(actor, stage.round_id)
    if window_state(stage) == "disabled":
        raise Conflict(
            "Vòng này chưa bật bình chọn của khán giả: chọn sự kiện chung kết và bật bình chọn "
            "trong phần cài đặt trước.",
            code="vote_disabled",
        )
    if stage.vote_open:
        return
    reopened = stage.vote_closed_at is not None
    stage.vote_opened_at, stage.vote_closed_at = utcnow(), None
    services.changed(stage)
    record(actor, "live.vote_open", "round", stage.round_id, reopened=reopened)
    commit()


def close_vote(actor: User, stage: LiveStage) -> list[dict[str, Any]]:
    """Close the window and return the final tally. When the stage names a component, each team
    receives component max × its votes ÷ the highest count (2 decimals; all 0 when nobody voted),
    written with judging's own service (checked, audited, results recomputed).
    Closing a closed window does nothing."""
    round_ = judging.get_round_for_organiser(actor, stage.round_id)
    if stage.vote_opened_at is None:
        raise Conflict("Bình chọn chưa mở nên không có gì để đóng.", code="vote_not_open")
    if stage.vote_closed_at is not None:
        return tally(stage)
    component = _component(round_, stage.vote_component) if stage.vote_component else None
    stage.vote_closed_at = utcnow()
    services.changed(stage)
    # The UPDATE takes the stage row's lock: it waits for votes holding their shared lock to
    # commit, and later votes see the window closed. Only then count.
    db.session.flush()
    counts = tally(stage)
    record(
        actor,
        "live.vote_close",
        "round",
        stage.round_id,
        votes={str(row["entry_id"]): row["votes"] for row in counts},
        component=stage.vote_component,
    )
    if component is None:
        commit()
    else:
        in_round = set(judging.round_entry_ids(round_))
        values = normalised(counts, component.max_points)
        judging.save_component_scores(
            actor, round_, {(e, component.id): v for e, v in values.items() if e in in_round}
        )  # commits the closing with the scores
    return counts


def _component(round_: Round, component_id: str) -> scoring.Component:
    component = next((c for c in judging.components_of(round_) if c.id == component_id), None)
    if component is None:
        raise Conflict(
            "Điểm thành phần nhận kết quả bình chọn không còn trong vòng này: chọn lại trong phần cài đặt.",
            code="vote_component_missing",
        )
    return component


def normalised(counts: list[dict[str, Any]], max_points: Decimal) -> dict[int, str]:
    """entry id → max_points × votes ÷ highest count, rounded half-up to 2 decimals, as text."""
    highest = max((row["votes"] for row in counts), default=0)
    if highest == 0:
        return {row["entry_id"]: "0" for row in counts}
    return {
        row["entry_id"]: str((max_points * row["votes"] / highest).quantize(CENT, ROUND_HALF_UP))
        for row in counts
    }


# --- one vote ------------------------------------------------------------------------------------------


def _refuse_window(state: str) -> None:
    if state == "disabled":
        raise NotFound("Vòng thi này không có bình chọn của khán giả.", code="vote_disabled")
    if state == "not_open":
        raise Conflict("Bình chọn chưa mở. Vui lòng chờ ban tổ chức mở bình chọn.", code="vote_not_open")
    if state == "closed":
        raise Conflict("Bình chọn đã đóng: không nhận thêm hoặc đổi lựa chọn.", code="vote_closed")


def _team(stage: LiveStage, entry_id: object) -> LiveSlot:
    slot = services.slot_of(stage, entry_id) if type(entry_id) is int else None
    if slot is None:
        raise Invalid("Chọn một đội trong danh sách.", field="entry_id", code="entry_invalid")
    if slot.state == NO_SHOW:
        raise Conflict("Đội này vắng mặt nên không nhận bình chọn.", field="entry_id", code="entry_no_show")
    return slot


def _ticket_id(stage: LiveStage, scanned: object) -> int:
    """The ticket behind what the voter typed or scanned, refused unless it is checked in to the
    stage's event (an active, not undone check-in)."""
    if scanned is None or (isinstance(scanned, str) and not scanned.strip()):
        raise Invalid("Nhập mã vé của bạn (in dưới mã QR trên vé).", field="ticket", code="ticket_required")
    code = tickets.extract_code(scanned) if isinstance(scanned, str) and len(scanned) <= MAX_SCANNED else ""
    invalid = Invalid(
        "Mã vé không đúng. Kiểm tra lại mã in trên vé, hoặc mở trang này bằng cách quét mã QR trên vé.",
        field="ticket",
        code="ticket_invalid",
    )
    if not tickets.is_valid_code(ticket_key(), code):
        raise invalid
    checked_in = (
        select(Checkin.id)
        .where(
            Checkin.ticket_id == Ticket.id, Checkin.event_id == stage.event_id, Checkin.undone_at.is_(None)
        )
        .exists()
    )
    row = db.session.execute(
        select(Ticket.id, Ticket.event_id, Ticket.revoked_at, checked_in).where(Ticket.code == code)
    ).first()
    if row is None:
        raise invalid
    ticket_id, event_id, revoked_at, is_in = row
    if event_id != stage.event_id:
        raise PermissionDenied(
            "Vé này là vé của một sự kiện khác, không dùng để bình chọn ở đây.",
            field="ticket",
            code="ticket_wrong_event",
        )
    if revoked_at is not None:
        raise PermissionDenied(
            "Vé này đã bị thu hồi (đã cấp vé mới hoặc huỷ đăng ký): hãy dùng vé mới nhất của bạn.",
            field="ticket",
            code="ticket_revoked",
        )
    if not is_in:
        raise PermissionDenied(
            "Vé này chưa được check-in tại cổng: chỉ khán giả đã check-in vào hội trường mới được bình chọn.",
            field="ticket",
            code="ticket_not_checked_in",
        )
    return int(ticket_id)


def _upsert(stage_id: int, ticket_id: int, entry_id: int) -> int:
    """Insert the ticket's vote or replace its choice, in one statement; returns its `changes`."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    now = utcnow()
    insert = dialect.insert(AudienceVote).values(
        stage_id=stage_id, ticket_id=ticket_id, entry_id=entry_id, created_at=now, updated_at=now, changes=0
    )
    statement = insert.on_conflict_do_update(
        index_elements=[AudienceVote.stage_id, AudienceVote.ticket_id],
        set_={
            "entry_id": insert.excluded.entry_id,
            "updated_at": insert.excluded.updated_at,
            "changes": AudienceVote.changes + 1,
        },
    ).returning(AudienceVote.changes)
    return int(db.session.execute(statement).scalar_one())


def cast_vote(stage: LiveStage, scanned: object, entry_id: object) -> VoteAnswer:
    """Record one ticket's vote for one team of the stage (or replace its earlier choice).

    `scanned`: the ticket code as typed, or the ticket's URL (…/ve/<code>) from its QR.
    Refusals: the window not open, a team not on the list or marked absent, a ticket unknown,
    of another event, revoked or not checked in — each with its own message and code."""
    try:
        _refuse_window(window_state(stage))
        slot = _team(stage, entry_id)
        ticket_id = _ticket_id(stage, scanned)
        # The window again, now under a shared lock on the stage row (see the module's docstring).
        window = db.session.execute(
            select(
                LiveStage.vote_enabled, LiveStage.event_id, LiveStage.vote_opened_at, LiveStage.vote_closed_at
            )
            .where(LiveStage.id == stage.id)
            .with_for_update(read=True)
        ).one()
        _refuse_window(_window_of(*window))
        changes = _upsert(stage.id, ticket_id, slot.entry_id)
    except DomainError:
        db.session.rollback()
        raise
    commit()
    entry = db.session.get_one(Entry, slot.entry_id)
    return VoteAnswer(changes > 0, changes, entry.id, entry.code or "", entry.title)


# --- counting ------------------------------------------------------------------------------------------


def tally(stage: LiveStage) -> list[dict[str, Any]]:
    """Every team of the running order with its votes, in running order (one grouped query)."""
    rows = db.session.execute(
        select(LiveSlot.entry_id, Entry.code, Entry.title, LiveSlot.state, func.count(AudienceVote.id))
        .join(Entry, Entry.id == LiveSlot.entry_id)
        .outerjoin(
            AudienceVote,
            and_(AudienceVote.stage_id == LiveSlot.stage_id, AudienceVote.entry_id == LiveSlot.entry_id),
        )
        .where(LiveSlot.stage_id == stage.id)
        .group_by(LiveSlot.id, LiveSlot.entry_id, LiveSlot.position, LiveSlot.state, Entry.code, Entry.title)
        .order_by(LiveSlot.position, LiveSlot.id)
    )
    return [
        {"entry_id": entry_id, "code": code or "", "title": title, "state": state, "votes": votes}
        for entry_id, code, title, state, votes in rows
    ]


def vote_link(event_id: int) -> str | None:
    """The public key of the live stage whose vote is open for this event's tickets, if any."""
    return db.session.scalar(
        select(LiveStage.public_key)
        .where(
            LiveStage.event_id == event_id,
            LiveStage.vote_enabled.is_(True),
            LiveStage.vote_opened_at.is_not(None),
            LiveStage.vote_closed_at.is_(None),
        )
        .order_by(LiveStage.id.desc())
        .limit(1)
    )
