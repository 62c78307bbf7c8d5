"""The minutes (biên bản) of a live final: who judged, the running order with no-shows, every judge's
per-criterion scores, the results, the organisers' decisions and the audience's votes — as plain
values (`minutes_data`) for the print-ready page, and as a workbook in the government layout of the
exports (`minutes_sheets`, `write_minutes`).

Read-only. Ranks, aggregate scores and prizes come from `judging.compute_results` (scoring.py is the
one home of every formula); a judge's total is the ranking's own `judge_totals`, never summed here.
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import func, select

from app.contests.models import Entry, TeamMember
from app.events.models import Event
from app.extensions import db
from app.judging import scoring
from app.judging import services as judging
from app.judging.models import AdvancementOverride, Assignment, JudgeProfile, Round, RoundEntry, SheetStatus
from app.live import services
from app.live.models import CLOSED, NO_SHOW, PHASE_LABELS, SLOT_LABELS, AudienceVote, LiveStage
from app.localtime import format_date, format_datetime, to_local, utcnow
from app.spreadsheet.collation import name_sort_key
from app.spreadsheet.workbook import Column, NotesSheet, Sheet, Signature, write_workbook

TITLE = "Biên bản chấm chung kết"
SIGN_NOTE = "(Ký, ghi rõ họ tên)"
SHEET_LABELS = {
    SheetStatus.SUBMITTED.value: "Đã nộp",
    SheetStatus.DRAFT.value: "Bản nháp – không tính",
    SheetStatus.TODO.value: "Chưa chấm",
}
BLANK = "………………………………"  # filled in by hand on the printed copy


@dataclass(frozen=True)
class CriterionInfo:
    id: str
    name: str
    high: Decimal  # the highest score a judge can give

    @property
    def header(self) -> str:
        return f"{self.name} (tối đa {scoring.format_score(self.high, 0)})"


@dataclass(frozen=True)
class JudgeLine:
    id: int
    name: str
    organisation: str
    submitted: int  # sheets submitted in this round
    assigned: int


@dataclass(frozen=True)
class SlotLine:
    position: int
    entry_id: int
    code: str
    title: str
    leader: str
    state: str  # waiting | on_stage | closed | no_show
    state_label: str
    reason: str
    started_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True)
class ScoreLine:
    """One judge's sheet of one team: the criteria in rubric order (None: not scored)."""

    position: int
    entry_id: int
    code: str
    title: str
    judge_id: int
    judge: str
    status: str
    status_label: str
    scores: tuple[Decimal | None, ...]
    total: Decimal | None  # the ranking's total of this judge for this team (submitted sheets only)

    @property
    def draft(self) -> bool:
        return self.status == SheetStatus.DRAFT.value


@dataclass(frozen=True)
class ResultLine:
    rank: int | None
    entry_id: int
    code: str
    title: str
    track: str
    leader: str
    score: Decimal | None  # shown (rounded) aggregate
    judge_count: int
    prizes: str
    note: str  # absent, closed before every sheet was in, the organisers' decision


@dataclass(frozen=True)
class OverrideLine:
    code: str
    title: str
    decision: str
    reason: str
    by: str
    at: datetime


@dataclass(frozen=True)
class VoteLine:
    code: str
    title: str
    votes: int


@dataclass(frozen=True)
class Minutes:
    round_id: int
    contest: str
    contest_slug: str
    round_name: str
    phase: str
    phase_label: str
    finished: bool
    day: date | None  # the final's day (event, or when the teams pitched, or the round's dates)
    when: str  # the date (range) as text, dd/mm/yyyy
    place: str
    method: str
    seed: str
    criteria: tuple[CriterionInfo, ...]
    judges: tuple[JudgeLine, ...]
    slots: tuple[SlotLine, ...]
    sheets: tuple[ScoreLine, ...]
    results: tuple[ResultLine, ...]
    multi_track: bool
    refused: str  # why no ranking could be computed
    notes: tuple[str, ...]  # why the results cannot be published yet, prizes left unawarded
    overrides: tuple[OverrideLine, ...]
    closings: tuple[SlotLine, ...]  # closed before every judge submitted, with the chair's reason
    no_shows: tuple[SlotLine, ...]
    vote_enabled: bool
    votes: tuple[VoteLine, ...]
    vote_total: int
    vote_window: str
    published: bool
    generated_at: datetime

    @property
    def filename(self) -> str:
        return f"bien-ban-chung-ket-{self.contest_slug}-vong-{self.round_id}.xlsx"

    def sheets_of(self, entry_id: int) -> list[ScoreLine]:
        return [s for s in self.sheets if s.entry_id == entry_id]


# --- gathering -----------------------------------------------------------------------------------


def _span(first: date | None, last: date | None) -> str:
    if first is None:
        return ""
    if last is None or last == first:
        return format_date(first)
    return f"{format_date(first)} – {format_date(last)}"


def _when(round_: Round, stage: LiveStage) -> tuple[date | None, str, str]:
    """(day, date text, place): the final's event if linked, else the day the teams pitched, else
    the round's dates."""
    event = db.session.get(Event, stage.event_id) if stage.event_id is not None else None
    if event is not None:
        first, last = to_local(event.starts_at).date(), to_local(event.ends_at).date()
        return first, _span(first, last), event.venue
    started = [to_local(s.started_at).date() for s in stage.slots if s.started_at is not None]
    if started:
        return min(started), _span(min(started), max(started)), ""
    opens = to_local(round_.opens_at).date() if round_.opens_at else None
    closes = to_local(round_.closes_at).date() if round_.closes_at else None
    return opens or closes, _span(opens or closes, closes), ""


def _leaders(round_id: int) -> dict[int, str]:
    """The first leader of each entry of the round, in one query (as Entry.leader_member picks)."""
    leaders: dict[int, str] = {}
    for entry_id, name in db.session.execute(
        select(TeamMember.entry_id, TeamMember.full_name)
        .join(RoundEntry, RoundEntry.entry_id == TeamMember.entry_id)
        .where(RoundEntry.round_id == round_id, TeamMember.is_leader)
        .order_by(TeamMember.position, TeamMember.id)
    ):
        leaders.setdefault(entry_id, name)
    return leaders


def _values(rubric: scoring.Rubric, scores: dict[str, Any], submitted: bool) -> dict[str, Decimal]:
    """A sheet's scores as numbers (a draft's as typed so far; a value scoring refuses is left out)."""
    try:
        return scoring.validate_sheet(rubric, scores or {}, submit=submitted)
    except scoring.ScoringError:
        clean: dict[str, Decimal] = {}
        for criterion in rubric.criteria:
            try:
                clean.update(
                    scoring.validate_sheet(rubric, {criterion.id: scores.get(criterion.id)}, submit=False)
                )
            except scoring.ScoringError:
                continue
        return clean


def _total(
    rubric: scoring.Rubric,
    totals: dict[Hashable, dict[Hashable, Decimal]],
    entry_id: int,
    judge_id: int,
    values: dict[str, Decimal],
) -> Decimal | None:
    """The ranking's total of a submitted sheet; scoring's weighted total when the round could not be
    ranked (the chosen method refused), so the sheet still shows its sum."""
    found = totals.get(entry_id, {}).get(judge_id)
    if found is None and values and not totals:
        return scoring.weighted_total(rubric, values)
    return found


def _result_note(slot: SlotLine | None, override: AdvancementOverride | None) -> str:
    parts = []
    if slot is not None and slot.state == NO_SHOW:
        parts.append("Vắng mặt")
    elif slot is not None and slot.state == CLOSED and slot.reason:
        parts.append("Chốt điểm khi chưa đủ phiếu")
    elif slot is not None and slot.state != CLOSED:
        parts.append(f"Chưa thi xong ({slot.state_label.lower()})")
    if override is not None:
        parts.append(f"BTC quyết định {'đi tiếp' if override.advance else 'dừng'}")
    return "; ".join(parts)


def minutes_data(round_: Round, stage: LiveStage) -> Minutes:
    """Everything the minutes show, read once (a final has tens of teams and a handful of judges)."""
    contest = round_.contest
    entries: dict[int, Entry] = services.entries_by_id(stage)
    leaders = _leaders(round_.id)
    rubric = judging.rubric_of(round_)
    criteria = tuple(CriterionInfo(c.id, c.name, c.high) for c in rubric.criteria)

    slots = tuple(
        SlotLine(
            position=slot.position,
            entry_id=slot.entry_id,
            code=(entries[slot.entry_id].code or "") if slot.entry_id in entries else "",
            title=entries[slot.entry_id].title if slot.entry_id in entries else "",
            leader=leaders.get(slot.entry_id, ""),
            state=slot.state,
            state_label=SLOT_LABELS.get(slot.state, slot.state),
            reason=slot.reason or "",
            started_at=slot.started_at,
            closed_at=slot.closed_at,
        )
        for slot in sorted(stage.slots, key=lambda s: s.position)
    )
    by_entry = {s.entry_id: s for s in slots}

    results = judging.compute_results(round_)
    ranking = results.ranking
    totals: dict[Hashable, dict[Hashable, Decimal]] = (
        {row.entry.id: dict(row.judge_totals) for row in ranking.rows()} if ranking is not None else {}
    )

    judge_users = sorted(judging.round_judges(round_), key=lambda u: (name_sort_key(u.full_name), u.id))
    judge_names = {u.id: u.full_name for u in judge_users}
    organisations: dict[int, str] = {
        user_id: organisation
        for user_id, organisation in db.session.execute(
            select(JudgeProfile.user_id, JudgeProfile.organisation).where(
                JudgeProfile.user_id.in_(list(judge_names))
            )
        )
    }
    counts: dict[int, list[int]] = {u.id: [0, 0] for u in judge_users}
    lines: list[ScoreLine] = []
    rows = db.session.execute(
        select(Assignment.entry_id, Assignment.judge_id, Assignment.status, Assignment.scores).where(
            Assignment.round_id == round_.id
        )
    ).tuples()
    for entry_id, judge_id, status, scores in rows:
        if judge_id in counts:
            counts[judge_id][1] += 1
            counts[judge_id][0] += status == SheetStatus.SUBMITTED.value
        slot = by_entry.get(entry_id)
        if slot is None or slot.state == NO_SHOW:
            continue  # a team that did not pitch has nothing to score
        if slot.state != CLOSED and status == SheetStatus.TODO.value:
            continue  # not on stage yet
        submitted = status == SheetStatus.SUBMITTED.value
        values = _values(rubric, scores, submitted) if status != SheetStatus.TODO.value else {}
        lines.append(
            ScoreLine(
                position=slot.position,
                entry_id=entry_id,
                code=slot.code,
                title=slot.title,
                judge_id=judge_id,
                judge=judge_names.get(judge_id, "") or f"#{judge_id}",
                status=status,
                status_label=SHEET_LABELS.get(status, status),
                scores=tuple(values.get(c.id) for c in criteria),
                total=_total(rubric, totals, entry_id, judge_id, values) if submitted else None,
            )
        )
    lines.sort(key=lambda line: (line.position, name_sort_key(line.judge), line.judge_id))

    judges = tuple(
        JudgeLine(u.id, u.full_name, organisations.get(u.id, "") or "", *counts[u.id]) for u in judge_users
    )

    result_lines: list[ResultLine] = []
    if ranking is not None:
        for row in ranking.rows():
            entry_id = int(row.entry.id)  # type: ignore[call-overload]
            entry = results.entries.get(entry_id)
            awards = results.prizes.of(entry_id) if results.prizes is not None else []
            result_lines.append(
                ResultLine(
                    rank=row.rank,
                    entry_id=entry_id,
                    code=(entry.code or "") if entry else row.entry.label,
                    title=entry.title if entry else "",
                    track=row.entry.track,
                    leader=leaders.get(entry_id, ""),
                    score=row.shown_score,
                    judge_count=row.judge_count,
                    prizes=", ".join(a.prize_name for a in awards),
                    note=_result_note(by_entry.get(entry_id), results.overrides.get(entry_id)),
                )
            )
    notes = list(results.blockers)
    if results.prizes is not None:
        notes.extend(f"{u.prize_name}: {u.reason}" for u in results.prizes.unawarded if u.reason)

    overrides = tuple(
        OverrideLine(
            code=(entries[o.entry_id].code or "") if o.entry_id in entries else f"#{o.entry_id}",
            title=entries[o.entry_id].title if o.entry_id in entries else "",
            decision="Đi tiếp" if o.advance else "Dừng",
            reason=o.reason,
            by=o.by.full_name if o.by else "",
            at=o.at,
        )
        for o in sorted(
            results.overrides.values(),
            key=lambda o: (by_entry[o.entry_id].position if o.entry_id in by_entry else 10**9),
        )
    )

    vote_counts: dict[int, int] = {
        entry_id: count
        for entry_id, count in db.session.execute(
            select(AudienceVote.entry_id, func.count(AudienceVote.id))
            .where(AudienceVote.stage_id == stage.id)
            .group_by(AudienceVote.entry_id)
        )
    }
    votes: tuple[VoteLine, ...] = ()
    if stage.vote_enabled or vote_counts:
        votes = tuple(
            VoteLine(s.code, s.title, vote_counts.get(s.entry_id, 0))
            for s in sorted(slots, key=lambda s: (-vote_counts.get(s.entry_id, 0), s.position))
        )
    window = ""
    if stage.vote_opened_at is not None:
        window = f"Mở lúc {format_datetime(stage.vote_opened_at)}"
        window += (
            f", đóng lúc {format_datetime(stage.vote_closed_at)}" if stage.vote_closed_at else ", chưa đóng"
        )

    day, when, place = _when(round_, stage)
    method = ranking.method.label if ranking is not None else scoring.Method(round_.method).label
    return Minutes(
        round_id=round_.id,
        contest=contest.name,
        contest_slug=contest.slug,
        round_name=round_.name,
        phase=stage.phase,
        phase_label=PHASE_LABELS.get(stage.phase, stage.phase),
        finished=stage.phase == "finished",
        day=day,
        when=when,
        place=place,
        method=method,
        seed=stage.seed,
        criteria=criteria,
        judges=judges,
        slots=slots,
        sheets=tuple(lines),
        results=tuple(result_lines),
        multi_track=len({r.track for r in result_lines}) > 1,
        refused=results.refused,
        notes=tuple(notes),
        overrides=overrides,
        closings=tuple(s for s in slots if s.state == CLOSED and s.reason),
        no_shows=tuple(s for s in slots if s.state == NO_SHOW),
        vote_enabled=stage.vote_enabled,
        votes=votes,
        vote_total=sum(vote_counts.values()),
        vote_window=window,
        published=round_.published_at is not None,
        generated_at=utcnow(),
    )


# --- the workbook --------------------------------------------------------------------------------


def _judge_list(minutes: Minutes) -> str:
    return "\n".join(
        f"{i}. {j.name}" + (f" – {j.organisation}" if j.organisation else "")
        for i, j in enumerate(minutes.judges, 1)
    )


def _order_note(minutes: Minutes) -> str:
    if minutes.seed:
        return f"Bốc thăm ngẫu nhiên, mã bốc thăm (seed): {minutes.seed} – dùng lại mã này sẽ ra đúng thứ tự trên."
    return "Ban tổ chức xếp thứ tự (không bốc thăm)."


def info_items(minutes: Minutes) -> list[tuple[str, str]]:
    """The "Thông tin" sheet (the page shows the same facts)."""
    items = [
        ("Cuộc thi", minutes.contest),
        ("Vòng thi", minutes.round_name),
        ("Thời gian", minutes.when or BLANK),
        ("Địa điểm", minutes.place or BLANK),
        ("Thành phần hội đồng giám khảo", _judge_list(minutes) or "Chưa có giám khảo"),
        ("Phương pháp tổng hợp điểm", minutes.method),
        ("Thứ tự thi", _order_note(minutes)),
        ("Số đội", f"{len(minutes.slots)} đội, {len(minutes.no_shows)} đội vắng mặt"),
        (
            "Tình trạng",
            minutes.phase_label
            + (" – kết quả đã công bố" if minutes.published else " – kết quả chưa công bố")
            + ("" if minutes.finished else " (biên bản tạm: vòng chung kết chưa kết thúc)"),
        ),
    ]
    if minutes.no_shows:
        items.append(
            ("Đội vắng mặt", "\n".join(f"{s.code} – {s.title}: {s.reason}" for s in minutes.no_shows))
        )
    if minutes.closings:
        items.append(
            (
                "Chốt điểm khi chưa đủ phiếu",
                "\n".join(f"{s.code} – {s.title}: {s.reason}" for s in minutes.closings),
            )
        )
    if minutes.overrides:
        items.append(
            (
                "Quyết định của Ban tổ chức",
                "\n".join(
                    f"{o.code} – {o.title}: {o.decision.lower()} – {o.reason}" for o in minutes.overrides
                ),
            )
        )
    if minutes.vote_enabled or minutes.votes:
        items.append(("Bình chọn của khán giả", f"{minutes.vote_total} phiếu. {minutes.vote_window}".strip()))
    if minutes.refused:
        items.append(("Chưa xếp hạng được", minutes.refused))
    if minutes.notes:
        items.append(("Lưu ý", "\n".join(minutes.notes)))
    return items


def minutes_sheets(minutes: Minutes) -> list[Sheet | NotesSheet]:
    subtitle = [minutes.contest, minutes.round_name]
    sheets: list[Sheet | NotesSheet] = [
        NotesSheet("Thông tin", TITLE, info_items(minutes), subtitle=subtitle),
        Sheet(
            "Thứ tự thi",
            f"Thứ tự thi – {minutes.round_name}",
            [
                Column("Thứ tự", "int", width=7),
                Column("Mã hồ sơ", width=12),
                Column("Tên ý tưởng", width=34),
                Column("Trưởng nhóm", width=20),
                Column("Trạng thái", width=13),
                Column("Bắt đầu", "datetime", width=16),
                Column("Chốt lúc", "datetime", width=16),
                Column("Lý do (vắng mặt, chốt khi chưa đủ phiếu)", width=34),
            ],
            [
                [s.position, s.code, s.title, s.leader, s.state_label, s.started_at, s.closed_at, s.reason]
                for s in minutes.slots
            ],
            subtitle=[minutes.contest, _order_note(minutes)],
            numbered=False,
            signature=None,
        ),
        Sheet(
            "Điểm chi tiết",
            f"Điểm chi tiết của từng giám khảo – {minutes.round_name}",
            [
                Column("Thứ tự", "int", width=7),
                Column("Mã hồ sơ", width=12),
                Column("Tên ý tưởng", width=24),
                Column("Giám khảo", width=18),
                Column("Phiếu", width=11),
                *[Column(c.header, "decimal", width=10) for c in minutes.criteria],
                Column("Tổng", "decimal", width=9),
            ],
            [
                [s.position, s.code, s.title, s.judge, s.status_label, *s.scores, s.total]
                for s in minutes.sheets
            ],
            subtitle=[
                minutes.contest,
                "Điểm theo phiếu chấm của từng giám khảo; phiếu nháp ghi để đối chiếu, không tính vào kết quả.",
            ],
            numbered=False,
            signature=None,
        ),
    ]
    result_columns = [
        Column("Hạng", "int", width=7),
        Column("Mã hồ sơ", width=12),
        Column("Tên ý tưởng", width=36),
        *([Column("Bảng", width=14)] if minutes.multi_track else []),
        Column("Trưởng nhóm", width=20),
        Column("Số giám khảo", "int", width=10),
        Column("Điểm tổng hợp", "decimal", width=11),
        Column("Giải", width=22),
        Column("Ghi chú", width=26),
    ]
    sheets.append(
        Sheet(
            "Kết quả",
            f"Kết quả {minutes.round_name} – {minutes.contest}",
            result_columns,
            [
                [
                    r.rank,
                    r.code,
                    r.title,
                    *([r.track] if minutes.multi_track else []),
                    r.leader,
                    r.judge_count,
                    r.score,
                    r.prizes,
                    r.note,
                ]
                for r in minutes.results
            ],
            subtitle=[
                f"Phương pháp tổng hợp điểm: {minutes.method}",
                *([minutes.refused] if minutes.refused else []),
                *minutes.notes,
            ],
            numbered=False,
            signature=None,
        )
    )
    if minutes.votes:
        sheets.append(
            Sheet(
                "Bình chọn",
                f"Kết quả bình chọn của khán giả – {minutes.round_name}",
                [
                    Column("Mã hồ sơ", width=14),
                    Column("Tên ý tưởng", width=50),
                    Column("Số phiếu", "int", width=12),
                ],
                [[v.code, v.title, v.votes] for v in minutes.votes],
                subtitle=[
                    minutes.contest,
                    "Mỗi vé đã check-in tại sự kiện chung kết được bình chọn một phiếu. "
                    + minutes.vote_window,
                ],
                totals=["", "Tổng số phiếu", minutes.vote_total],
                signature=None,
            )
        )
    sheets.append(
        NotesSheet(
            "Chữ ký",
            "Chữ ký của hội đồng giám khảo",
            [
                (
                    f"Giám khảo {j.name}" + (f"\n{j.organisation}" if j.organisation else ""),
                    SIGN_NOTE + "\n\n\n",
                )
                for j in minutes.judges
            ],
            subtitle=[
                minutes.contest,
                f"{minutes.round_name} – {minutes.when}" if minutes.when else minutes.round_name,
            ],
            signature=Signature(
                left_title="THƯ KÝ",
                right_title="CHỦ TỊCH HỘI ĐỒNG",
                left_note=SIGN_NOTE,
                right_note=SIGN_NOTE,
            ),
        )
    )
    return sheets


def write_minutes(minutes: Minutes, target: str | os.PathLike[str] | IO[bytes]) -> None:
    """The workbook, dated the day of the final (today when it is not known)."""
    write_workbook(target, minutes_sheets(minutes), report_date=minutes.day)
