"""A round's results: its sheets read as plain data for app.judging.scoring (the one home of every
formula), organisers' overrides, publishing (entry states through the contests package, mail after
the commit), advancing entries to the next round, and what applicants see once results are out."""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import lazyload

from app.accounts.models import User
from app.audit.services import record
from app.contests.entries import change_status
from app.contests.models import TRANSITIONS, Entry, EntryStatus, TeamMember, Track
from app.database import commit, flush
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.judging import scoring
from app.judging.models import AdvancementOverride, Assignment, Round, RoundEntry, RoundResult, SheetStatus
from app.judging.services.common import get_round_for_organiser, round_entry_ids, round_judges
from app.judging.services.panel import flag_conflicts
from app.judging.services.rounds import component_values, components_of, is_last_round, next_round, rubric_of
from app.localtime import utcnow
from app.mail.services import send_email
from app.text import tidy

# --- results -------------------------------------------------------------------------------------


class _SubmittedSheets:
    """The round's submitted sheets as scoring.SheetScores, read from the database in batches each
    time they are iterated (scoring.RoundData.sheets accepts any re-iterable)."""

    __slots__ = ("round_id",)

    def __init__(self, round_id: int):
        self.round_id = round_id

    def __iter__(self) -> Iterator[scoring.SheetScores]:
        stmt = (
            select(Assignment.entry_id, Assignment.judge_id, Assignment.scores)
            .where(Assignment.round_id == self.round_id, Assignment.status == SheetStatus.SUBMITTED.value)
            .order_by(Assignment.id)
            .execution_options(yield_per=2000)
        )
        rows = db.session.execute(stmt)
        try:
            for entry_id, judge_id, scores in rows:
                yield scoring.SheetScores(entry_id, judge_id, scores)
        finally:  # also when prepare_round stops early on an invalid sheet
            rows.close()


def round_data(round_: Round) -> scoring.RoundData:
    """The round as plain values for scoring.py: submitted sheets only."""
    entries = [
        scoring.EntryRef(entry_id, track or "", code or f"#{entry_id}")
        for entry_id, code, track in db.session.execute(
            select(Entry.id, Entry.code, Track.name)
            .join(RoundEntry, RoundEntry.entry_id == Entry.id)
            .outerjoin(Track, Track.id == Entry.track_id)
            .where(RoundEntry.round_id == round_.id)
            .order_by(Entry.code_number, Entry.id)
        )
    ]
    # Three columns, not ORM objects, streamed: a round may hold tens of thousands of sheets, and
    # prepare_round keeps only their sums, so the decoded score dicts never all sit in memory.
    sheets = _SubmittedSheets(round_.id)
    panel: dict[Hashable, str] = {
        row.entry_id: row.panel_decision
        for row in db.session.scalars(select(RoundEntry).where(RoundEntry.round_id == round_.id))
        if row.panel_decision
    }
    # Keys typed as scoring's (any hashable id), not ours, for its read-only mappings.
    component_scores: dict[tuple[Hashable, str], str] = dict(component_values(round_).items())
    return scoring.RoundData(
        rubric=rubric_of(round_),
        entries=entries,
        sheets=sheets,
        judge_names={j.id: j.full_name for j in round_judges(round_)},
        components=components_of(round_),
        component_scores=component_scores,
        panel_decisions=panel,
    )


def ranking_config(round_: Round) -> scoring.RankingConfig:
    keys = tuple(scoring.TieBreak(k["kind"], k.get("ref")) for k in round_.tie_breaks)
    return scoring.RankingConfig(method=scoring.Method(round_.method), tie_breaks=keys)


def advancement_rule(round_: Round) -> scoring.AdvancementRule:
    minimum = Decimal(round_.min_average) if round_.min_average else None
    return scoring.AdvancementRule(round_.top_n, minimum, round_.no_zero_criterion)


def round_overrides(round_: Round) -> list[AdvancementOverride]:
    return list(
        db.session.scalars(select(AdvancementOverride).where(AdvancementOverride.round_id == round_.id))
    )


def _standard_prizes(counts: Mapping[str, Any]) -> tuple[scoring.Prize, ...]:
    """A track's stored prize counts (keys of scoring.PRIZE_NAMES) as scoring's prizes."""

    def count(prize_id: str) -> int:
        return int(counts.get(prize_id, 0))

    return scoring.standard_prizes(
        nhat=count("nhat"), nhi=count("nhi"), ba=count("ba"), khuyen_khich=count("khuyen_khich")
    )


def prize_plan(round_: Round, tracks: list[str]) -> scoring.PrizePlan | None:
    plan = round_.prize_plan or {}
    counts = plan.get("tracks", {})
    per_track = {track: _standard_prizes(counts[track]) for track in tracks if track in counts}
    side = tuple(
        scoring.SidePrize(s["id"], s["name"], int(s.get("count", 1)), criterion=s["criterion"])
        for s in plan.get("side", [])
    )
    if not any(per_track.values()) and not side:
        return None
    return scoring.PrizePlan({t: p for t, p in per_track.items() if p}, side)


@dataclass
class RoundResults:
    """What the organisers' results page shows."""

    round: Round
    entries: dict[Hashable, Entry]  # keyed like scoring's results (Entry.id)
    comparison: scoring.Comparison | None = None
    ranking: scoring.Ranking | None = None
    advancement: scoring.AdvancementResult | None = None
    prizes: scoring.PrizeResult | None = None
    refused: str = ""  # the chosen method's refusal, or a data problem
    unsubmitted: int = 0
    overrides: dict[int, AdvancementOverride] = field(default_factory=dict)
    panel: dict[int, str] = field(default_factory=dict)

    @property
    def blockers(self) -> list[str]:
        """Why the results cannot be published yet."""
        problems = []
        if self.refused:
            problems.append(self.refused)
        if self.unsubmitted:
            problems.append(f"Còn {self.unsubmitted} phiếu chấm chưa nộp.")
        if self.advancement is not None and self.advancement.pending:
            problems.append(
                f"{len(self.advancement.pending)} hồ sơ đồng hạng tại ranh giới đi tiếp cần ban tổ chức quyết định."
            )
        if self.prizes is not None and self.prizes.ties:
            problems.extend(t.message for t in self.prizes.ties)
        return problems


def compute_results(round_: Round) -> RoundResults:
    """Rank the round under every method (scoring.compare_methods), apply the advancement rule with
    the stored overrides, and award prizes when the round has a prize plan."""
    # Members and files load only if a caller touches them (publishing mails the leader).
    entries: dict[Hashable, Entry] = {
        e.id: e
        for e in db.session.scalars(
            select(Entry)
            .join(RoundEntry, RoundEntry.entry_id == Entry.id)
            .where(RoundEntry.round_id == round_.id)
            .options(lazyload(Entry.members), lazyload(Entry.files))
        )
    }
    result = RoundResults(round_, entries)
    result.overrides = {o.entry_id: o for o in round_overrides(round_)}
    result.panel = {
        row.entry_id: row.panel_decision
        for row in db.session.scalars(select(RoundEntry).where(RoundEntry.round_id == round_.id))
    }
    result.unsubmitted = (
        db.session.scalar(
            select(func.count(Assignment.id)).where(
                Assignment.round_id == round_.id, Assignment.status != SheetStatus.SUBMITTED.value
            )
        )
        or 0
    )
    try:
        prepared = scoring.prepare_round(round_data(round_))
        config = ranking_config(round_)
        result.comparison = scoring.compare_methods(prepared, config)
        result.ranking = result.comparison.rankings.get(config.method)
        if result.ranking is None:
            result.refused = result.comparison.refused[config.method]
            return result
        overrides = [
            scoring.Override(o.entry_id, o.advance, o.reason, o.by.full_name if o.by else "")
            for o in result.overrides.values()
        ]
        result.advancement = scoring.decide_advancement(result.ranking, advancement_rule(round_), overrides)
        plan = prize_plan(round_, list(result.ranking.tracks))
        if plan is not None:
            result.prizes = scoring.award_prizes(result.ranking, plan)
    except scoring.ScoringError as exc:
        result.refused = exc.message
    return result


def set_override(actor: User, round_: Round, entry_id: int, decision: str, reason: str) -> None:
    """decision "advance" / "stop" records an override with its reason; "clear" removes it."""
    get_round_for_organiser(actor, round_.id)
    if round_.published_at is not None:
        raise Conflict("Kết quả đã công bố, không thể thay đổi quyết định.")
    if entry_id not in set(round_entry_ids(round_)):
        raise NotFound("Hồ sơ không thuộc vòng chấm này.")
    row = db.session.scalar(
        select(AdvancementOverride).where(
            AdvancementOverride.round_id == round_.id, AdvancementOverride.entry_id == entry_id
        )
    )
    if decision == "clear":
        if row is not None:
            record(actor, "judging.override_clear", "round", round_.id, entry_id=entry_id)
            db.session.delete(row)
            commit()
        return
    if decision not in ("advance", "stop"):
        raise Invalid("Vui lòng chọn quyết định.", field="decision")
    reason = tidy(reason, 1000)
    if len(reason) < 5:
        raise Invalid("Vui lòng ghi rõ lý do của quyết định thủ công.", field="reason")
    if row is None:
        row = AdvancementOverride(round_id=round_.id, entry_id=entry_id)
        db.session.add(row)
    row.advance, row.reason, row.by_id, row.at = decision == "advance", reason, actor.id, utcnow()
    record(actor, "judging.override", "round", round_.id, entry_id=entry_id, decision=decision, reason=reason)
    commit()


def _prize_names(result: RoundResults, entry_id: Hashable) -> str:
    if result.prizes is None:
        return ""
    return ", ".join(a.prize_name for a in result.prizes.of(entry_id))


def publish_results(actor: User, round_: Round) -> int:
    """Snapshot the results for applicants and set entry states through the contests package:
    a non-final round eliminates entries that do not advance; the last round awards prizes."""
    get_round_for_organiser(actor, round_.id)
    if round_.published_at is not None:
        raise Conflict("Kết quả vòng chấm này đã được công bố.")
    result = compute_results(round_)
    ranking, advancement = result.ranking, result.advancement
    # Without blockers both are set (a missing one is a refusal, hence a blocker).
    if result.blockers or ranking is None or advancement is None:
        raise Conflict("Chưa thể công bố kết quả: " + " ".join(result.blockers))
    last = is_last_round(round_)
    has_prizes = result.prizes is not None
    now = utcnow()
    db.session.execute(delete(RoundResult).where(RoundResult.round_id == round_.id))
    for row in ranking.rows():
        entry = result.entries[row.entry.id]
        decision = advancement.of(row.entry.id)
        prize = _prize_names(result, row.entry.id)
        db.session.add(
            RoundResult(
                round_id=round_.id,
                entry_id=entry.id,
                rank=row.rank,
                score="" if row.score is None else str(scoring.present(row.score)),
                advances=None if last and has_prizes else bool(decision.advances),
                prize=prize,
                published_at=now,
            )
        )
        if last and has_prizes:
            _move_status(
                actor,
                entry,
                [EntryStatus.FINALIST, EntryStatus.AWARDED if prize else EntryStatus.NOT_AWARDED],
                f"Kết quả {round_.name}" + (f": {prize}" if prize else ""),
            )
        elif not decision.advances:
            _move_status(actor, entry, [EntryStatus.ELIMINATED], f"Không đi tiếp sau {round_.name}")
    round_.published_at = now
    round_.published_by_id = actor.id
    record(actor, "judging.publish", "round", round_.id, entries=len(result.entries))
    commit()
    for entry in result.entries.values():
        _mail_result(entry, round_)
    return len(result.entries)


def _move_status(actor: User, entry: Entry, path: list[EntryStatus], reason: str) -> None:
    """Walk the entry along `path` through contests.entries.change_status, skipping steps already taken or
    not allowed from its current state (a withdrawn entry stays withdrawn)."""
    for target in path:
        current = EntryStatus(entry.status)
        if current == target or target not in TRANSITIONS[current]:
            continue
        change_status(actor, entry, target, reason=reason, action="judging", commit=False)


def _mail_result(entry: Entry, round_: Round) -> None:
    email = (
        entry.leader.email
        if entry.leader is not None
        else (entry.leader_member.email if entry.leader_member else "")
    )
    if email:
        send_email(
            email,
            f"Kết quả {round_.name} – {round_.contest.name}",
            "mail/judging_result_published.txt",
            entry=entry,
            round=round_,
        )


def advance_entries(actor: User, round_: Round) -> int:
    """Put the entries that advanced into the next round; entering the last round makes them finalists."""
    get_round_for_organiser(actor, round_.id)
    if round_.published_at is None:
        raise Conflict("Hãy công bố kết quả vòng này trước khi chuyển hồ sơ sang vòng sau.")
    target = next_round(round_)
    if target is None:
        raise Conflict("Đây là vòng chấm cuối cùng của cuộc thi; hãy tạo vòng sau trước.")
    advancing = list(
        db.session.scalars(
            select(RoundResult.entry_id).where(
                RoundResult.round_id == round_.id, RoundResult.advances.is_(True)
            )
        )
    )
    present_ids = set(round_entry_ids(target))
    final = is_last_round(target)
    moved = 0
    for entry_id in advancing:
        entry = db.session.get_one(Entry, entry_id)
        if entry.status == EntryStatus.WITHDRAWN.value:
            continue
        if entry_id not in present_ids:
            db.session.add(RoundEntry(round_id=target.id, entry_id=entry_id))
            moved += 1
        if final:
            _move_status(actor, entry, [EntryStatus.FINALIST], f"Vào {target.name}")
    round_.advanced_at = utcnow()
    flush()
    flag_conflicts(target)
    record(actor, "judging.advance", "round", round_.id, to_round=target.id, entries=advancing)
    commit()
    return moved


# --- applicants ----------------------------------------------------------------------------------


def results_for_applicant(user: User) -> list[tuple[Entry, Round, RoundResult]]:
    """Published results of the entries this person leads or is a member of (nothing before publishing)."""
    member_of = select(TeamMember.entry_id).where(TeamMember.user_id == user.id)
    rows = db.session.execute(
        select(Entry, Round, RoundResult)
        .join(RoundResult, RoundResult.entry_id == Entry.id)
        .join(Round, Round.id == RoundResult.round_id)
        .where(or_(Entry.leader_id == user.id, Entry.id.in_(member_of)), Round.published_at.is_not(None))
        .order_by(Entry.id, Round.position)
    )
    return [(entry, round_, result) for entry, round_, result in rows]


def has_published_results(user: User) -> bool:
    return bool(results_for_applicant(user))


def track_names(round_: Round) -> list[str]:
    names = list(
        db.session.scalars(
            select(Track.name).where(Track.contest_id == round_.contest_id).order_by(Track.position)
        )
    )
    return names or [""]
