"""A round's results: its sheets read as plain data for app.judging.scoring (the one home of every
formula), organisers' overrides, publishing (entry states through the contests package, mail after
the commit), advancing entries to the next round, and what applicants see once results are out."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import Numeric, cast, delete, func, or_, select
from sqlalchemy.orm import joinedload

from app.accounts.models import User
from app.audit.services import record
from app.contests import services as contest_services
from app.contests.entries import change_status
from app.contests.models import TRANSITIONS, Entry, EntryStatus, TeamMember, Track
from app.database import commit, flush, matching_every_word
from app.errors import Conflict, FieldErrors, NotFound
from app.extensions import db
from app.judging import scoring
from app.judging.models import AdvancementOverride, Assignment, Round, RoundEntry, RoundResult, SheetStatus
from app.judging.services.common import (
    entry_alone,
    get_round_for_organiser,
    results_changed,
    results_changed_uncommitted,
    round_entry_ids,
    round_judges,
)
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
        db.session.scalars(
            select(AdvancementOverride)
            .where(AdvancementOverride.round_id == round_.id)
            .options(joinedload(AdvancementOverride.by))
        )
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
        scoring.SidePrize(
            s["id"],
            s["name"],
            int(s.get("count", 1)),
            criterion=s.get("criterion"),
            component=s.get("component"),
        )
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


@dataclass(frozen=True)
class ScoredRound:
    """What app.judging.scoring computed for a round at one `results_version`: plain values, shared
    read-only by every request of this process until a write bumps the version."""

    comparison: scoring.Comparison | None = None
    ranking: scoring.Ranking | None = None
    advancement: scoring.AdvancementResult | None = None
    prizes: scoring.PrizeResult | None = None
    refused: str = ""


CacheKey = tuple[int, int, datetime, datetime | None]  # round id, version, created, entries changed
RESULTS_CACHE_SIZE = 64  # rounds whose computed results one process keeps
_CACHE_KEY = "judging.results_cache"


class ResultsCache:
    """A small LRU of ScoredRound keyed by round and results_version, one per app (thread-safe)."""

    def __init__(self, size: int = RESULTS_CACHE_SIZE):
        self.size = size
        self._items: OrderedDict[CacheKey, ScoredRound] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: CacheKey) -> ScoredRound | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: CacheKey, value: ScoredRound) -> None:
        with self._lock:
            # An older version of the same round is never read again.
            for stale in [k for k in self._items if k[0] == key[0] and k != key]:
                del self._items[stale]
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def results_cache() -> ResultsCache:
    """This app's cache of computed results (created on first use)."""
    cache: ResultsCache | None = current_app.extensions.get(_CACHE_KEY)
    if cache is None:
        cache = current_app.extensions.setdefault(_CACHE_KEY, ResultsCache())
    return cache


def _score(round_: Round, overrides: list[AdvancementOverride]) -> ScoredRound:
    comparison = ranking = advancement = prizes = None
    try:
        prepared = scoring.prepare_round(round_data(round_))
        config = ranking_config(round_)
        comparison = scoring.compare_methods(prepared, config)
        ranking = comparison.rankings.get(config.method)
        if ranking is None:
            return ScoredRound(comparison, refused=comparison.refused[config.method])
        decisions = [
            scoring.Override(o.entry_id, o.advance, o.reason, o.by.full_name if o.by else "")
            for o in overrides
        ]
        advancement = scoring.decide_advancement(ranking, advancement_rule(round_), decisions)
        plan = prize_plan(round_, list(ranking.tracks))
        if plan is not None:
            prizes = scoring.award_prizes(ranking, plan)
    except scoring.ScoringError as exc:
        return ScoredRound(comparison, ranking, advancement, prizes, refused=exc.message)
    return ScoredRound(comparison, ranking, advancement, prizes)


def scored_round(round_: Round, overrides: list[AdvancementOverride] | None = None) -> ScoredRound:
    """The round ranked under every method, with advancement and prizes: computed once per
    `results_version` and then served from this process's cache. The version is read from the
    database, so a write made through another app instance is seen here at once. `overrides` are the
    round's stored overrides when the caller has already read them (they are part of what the
    version covers, never a what-if)."""
    # The creation time too: SQLite may give a deleted round's id to a new one (at version 0). And
    # the latest change to any of its entries: the contests package edits entries (a track, a title)
    # without knowing about rounds, so their `updated_at` takes part in the key.
    entries_changed = (
        select(func.max(Entry.updated_at))
        .join(RoundEntry, RoundEntry.entry_id == Entry.id)
        .where(RoundEntry.round_id == round_.id)
        .scalar_subquery()
    )
    version, created, changed = db.session.execute(
        select(Round.results_version, Round.created_at, entries_changed).where(Round.id == round_.id)
    ).one()
    key: CacheKey = (round_.id, version, created, changed)
    uncommitted = results_changed_uncommitted(round_.id)
    if not uncommitted:
        hit = results_cache().get(key)
        if hit is not None:
            return hit
    scored = _score(round_, round_overrides(round_) if overrides is None else overrides)
    if not uncommitted:
        results_cache().put(key, scored)
    return scored


def compute_results(round_: Round) -> RoundResults:
    """Rank the round under every method (scoring.compare_methods), apply the advancement rule with
    the stored overrides, and award prizes when the round has a prize plan (cached: scored_round)."""
    # Members and files load only if a caller touches them (publishing mails the leader).
    entries: dict[Hashable, Entry] = {
        e.id: e
        for e in db.session.scalars(
            select(Entry)
            .join(RoundEntry, RoundEntry.entry_id == Entry.id)
            .where(RoundEntry.round_id == round_.id)
            .options(*entry_alone())
        )
    }
    result = RoundResults(round_, entries)
    overrides = round_overrides(round_)
    result.overrides = {o.entry_id: o for o in overrides}
    result.panel = {
        entry_id: decision
        for entry_id, decision in db.session.execute(
            select(RoundEntry.entry_id, RoundEntry.panel_decision).where(RoundEntry.round_id == round_.id)
        )
    }
    result.unsubmitted = (
        db.session.scalar(
            select(func.count(Assignment.id)).where(
                Assignment.round_id == round_.id, Assignment.status != SheetStatus.SUBMITTED.value
            )
        )
        or 0
    )
    scored = scored_round(round_, overrides)
    result.comparison, result.ranking = scored.comparison, scored.ranking
    result.advancement, result.prizes, result.refused = scored.advancement, scored.prizes, scored.refused
    return result


RESULTS_PAGE_SIZE = 20  # rows of each track on a page of the results


@dataclass
class ResultsPage:
    """One page of a round's results: the rows of each track from rank (page - 1) × size on,
    optionally only entries matching a search; the full side by side is the results workbook."""

    results: RoundResults  # `entries` holds only the entries this page names
    rows: list[scoring.ComparisonRow]
    decisions: list[scoring.AdvancementDecision]
    page: int
    longest: int  # rows of the longest track (after the search): the number of pages follows
    matching: int  # rows after the search, every track
    page_size: int = RESULTS_PAGE_SIZE
    awarding: bool = False  # awards_prizes: prizes are shown, not advancement
    trim_threshold: int = scoring.RankingConfig.trim_threshold
    untrimmed: int = 0  # scored entries with fewer sheets than trim_threshold (trimmed mean = mean)
    scored: int = 0  # entries with at least one submitted sheet


def results_page(
    round_: Round, page: int = 1, query: str = "", *, page_size: int = RESULTS_PAGE_SIZE
) -> ResultsPage:
    """The results page: scored_round (cached) with only the shown entries read from the database."""
    overrides = round_overrides(round_)
    scored = scored_round(round_, overrides)
    result = RoundResults(
        round_,
        {},
        comparison=scored.comparison,
        ranking=scored.ranking,
        advancement=scored.advancement,
        prizes=scored.prizes,
        refused=scored.refused,
        overrides={o.entry_id: o for o in overrides},
    )
    result.unsubmitted = (
        db.session.scalar(
            select(func.count(Assignment.id)).where(
                Assignment.round_id == round_.id, Assignment.status != SheetStatus.SUBMITTED.value
            )
        )
        or 0
    )
    rows = list(scored.comparison.rows) if scored.comparison is not None else []
    if query.strip():
        found = set(
            db.session.scalars(
                select(Entry.id)
                .join(RoundEntry, RoundEntry.entry_id == Entry.id)
                .where(RoundEntry.round_id == round_.id, *matching_every_word(Entry.search_text, query))
            )
        )
        rows = [r for r in rows if r.entry.id in found]
    by_track: dict[str, list[scoring.ComparisonRow]] = {}
    for row in rows:
        by_track.setdefault(row.entry.track, []).append(row)
    start = (max(page, 1) - 1) * page_size
    shown = [row for track_rows in by_track.values() for row in track_rows[start : start + page_size]]
    shown_ids = {row.entry.id for row in shown}
    decisions = (
        [d for d in scored.advancement.decisions if d.entry.id in shown_ids]
        if scored.advancement is not None
        else []
    )
    wanted = shown_ids | ({a.entry.id for a in scored.prizes.awards} if scored.prizes is not None else set())
    result.entries = {
        e.id: e for e in db.session.scalars(select(Entry).where(Entry.id.in_(wanted)).options(*entry_alone()))
    }
    result.panel = {
        entry_id: decision
        for entry_id, decision in db.session.execute(
            select(RoundEntry.entry_id, RoundEntry.panel_decision).where(
                RoundEntry.round_id == round_.id, RoundEntry.entry_id.in_(shown_ids)
            )
        )
    }
    longest = max((len(v) for v in by_track.values()), default=0)
    config = ranking_config(round_)
    judged = [r for r in scored.ranking.rows() if r.judge_count] if scored.ranking is not None else []
    return ResultsPage(
        result,
        shown,
        decisions,
        page,
        longest,
        len(rows),
        page_size,
        awarding=awards_prizes(round_),
        trim_threshold=config.trim_threshold,
        untrimmed=sum(1 for r in judged if r.judge_count < config.trim_threshold),
        scored=len(judged),
    )


def awards_prizes(round_: Round) -> bool:
    """A final round: its prize plan awards the tracks' prizes (Nhất, Nhì …), or it is the contest's
    last round and awards side prizes. Its results show prizes, never "Đi tiếp" (page, workbook,
    published rows). A last round without prizes still decides who advances: the organisers may
    create the next round only after publishing this one."""
    plan = round_.prize_plan or {}
    tracks = any(
        any(int(count or 0) for count in counts.values()) for counts in plan.get("tracks", {}).values()
    )
    return tracks or (bool(plan.get("side")) and is_last_round(round_))


def published_score(contest_id: int) -> contest_services.ScoreColumn | None:
    """The organisers' entries list's score column: each entry's score in the contest's latest
    published round (NULL for entries not in it), a number the database can sort by."""
    latest = db.session.execute(
        select(Round.id, Round.name)
        .where(Round.contest_id == contest_id, Round.published_at.is_not(None))
        .order_by(Round.position.desc())
        .limit(1)
    ).first()
    if latest is None:
        return None
    round_id, name = latest
    value = (
        select(cast(func.nullif(RoundResult.score, ""), Numeric(14, 4)))
        .where(RoundResult.round_id == round_id, RoundResult.entry_id == Entry.id)
        .correlate(Entry)
        .scalar_subquery()
    )
    return contest_services.ScoreColumn(f"Điểm ({name})", value)


# Contests know no round (layers): the entries list learns from here where scores live.
contest_services.register_score_source(published_score)


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
            results_changed(round_)
            commit()
        return
    errors = FieldErrors()  # both refusals at once (issue 15)
    if decision not in ("advance", "stop"):
        errors.add("decision", "Vui lòng chọn quyết định.")
    reason = tidy(reason, 1000)
    if len(reason) < 5:
        errors.add("reason", "Vui lòng ghi rõ lý do của quyết định thủ công.")
    errors.raise_if_any()
    if row is None:
        row = AdvancementOverride(round_id=round_.id, entry_id=entry_id)
        db.session.add(row)
    row.advance, row.reason, row.by_id, row.at = decision == "advance", reason, actor.id, utcnow()
    record(actor, "judging.override", "round", round_.id, entry_id=entry_id, decision=decision, reason=reason)
    results_changed(round_)
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
    awarding = awards_prizes(round_)
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
                advances=None if awarding else bool(decision.advances),
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
        elif not awarding and not decision.advances:
            _move_status(actor, entry, [EntryStatus.ELIMINATED], f"Không đi tiếp sau {round_.name}")
    round_.published_at = now
    round_.published_by_id = actor.id
    record(actor, "judging.publish", "round", round_.id, entries=len(result.entries))
    results_changed(round_)
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
    results_changed(target)
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
