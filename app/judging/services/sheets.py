"""Judges' work on a round: assignment (by hand, or balanced by `auto_assign`), score sheets
(draft, submit, reopen, optimistic locking, blind-round redaction, files) and progress with
reminders. What a sheet is checked against before it is saved, and the summary a judge confirms,
live in `sheet_checks`."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload, lazyload
from sqlalchemy.orm.exc import StaleDataError

from app.accounts.models import User
from app.audit.services import record
from app.contests.files import file_path
from app.contests.models import FORM_FIELDS, Entry, EntryFile
from app.database import commit, flush, page_of
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.judging import scoring
from app.judging.models import Assignment, Round, RoundEntry, RoundJudge, SheetStatus
from app.judging.services.common import (
    ROUND_PAGE_SIZE,
    get_round_for_organiser,
    redactor,
    results_changed,
    round_entries,
    round_entry_ids,
    round_entry_page,
    round_judges,
    scoring_rule,
)
from app.judging.services.panel import blocked_pairs
from app.judging.services.rounds import rubric_of
from app.judging.services.sheet_checks import checked_scores, open_sheet_rubric, stale_sheet
from app.localtime import utcnow
from app.mail.services import send_email
from app.text import tidy

COMMENT_LIMIT = 2000


# --- assignment ----------------------------------------------------------------------------------


def round_assignments(round_: Round) -> list[Assignment]:
    return list(
        db.session.scalars(select(Assignment).where(Assignment.round_id == round_.id).order_by(Assignment.id))
    )


def assign_judge(actor: User, round_: Round, judge_id: int, entry_id: int) -> Assignment:
    """Manual assignment; refused for a confirmed or still-pending conflict."""
    get_round_for_organiser(actor, round_.id)
    judge = next((j for j in round_judges(round_) if j.id == judge_id), None)
    if judge is None or entry_id not in set(round_entry_ids(round_)):
        raise NotFound("Giám khảo hoặc hồ sơ không thuộc vòng chấm này.")
    if (judge_id, entry_id) in blocked_pairs(round_):
        raise Conflict(
            f"Giám khảo {judge.full_name} có xung đột lợi ích (đã xác nhận hoặc đang chờ xác nhận) với hồ sơ "
            "này nên không thể phân công."
        )
    row = Assignment(
        round_id=round_.id, entry_id=entry_id, judge_id=judge_id, source="manual", created_by_id=actor.id
    )
    db.session.add(row)
    flush(Conflict(f"Giám khảo {judge.full_name} đã được phân công chấm hồ sơ này."))
    record(
        actor,
        "judging.assign",
        "assignment",
        row.id,
        round_id=round_.id,
        entry_id=entry_id,
        judge_id=judge_id,
    )
    commit()
    return row


def unassign(actor: User, round_: Round, assignment_id: int) -> None:
    get_round_for_organiser(actor, round_.id)
    row = db.session.get(Assignment, assignment_id)
    if row is None or row.round_id != round_.id:
        raise NotFound("Không tìm thấy phân công này.")
    if row.status != SheetStatus.TODO.value:
        raise Conflict("Giám khảo đã bắt đầu chấm hồ sơ này nên không thể bỏ phân công.")
    record(actor, "judging.unassign", "assignment", row.id, entry_id=row.entry_id, judge_id=row.judge_id)
    db.session.delete(row)
    commit()


def balanced_assignment(
    entry_ids: list[int],
    judge_ids: list[int],
    fixed: set[tuple[int, int]],
    blocked: set[tuple[int, int]],
    k: int,
) -> tuple[set[tuple[int, int]], dict[int, int]]:
    """New (entry, judge) pairs giving each entry up to k judges with loads as even as possible.

    fixed: pairs that stay; blocked: (judge, entry) pairs never assigned. The most constrained entries
    go first, each taking the least-loaded allowed judges; then single moves from a judge carrying two
    or more than another shift new pairs to the lighter one while that is allowed. Returns the new
    pairs and, for entries that could not get k judges, how many are missing.
    """
    load = dict.fromkeys(judge_ids, 0)
    on_entry: dict[int, set[int]] = {e: set() for e in entry_ids}
    for e, j in fixed:
        if e in on_entry and j in load:
            on_entry[e].add(j)
            load[j] += 1

    def allowed(e: int, j: int) -> bool:
        return (j, e) not in blocked and j not in on_entry[e]

    order = sorted(entry_ids, key=lambda e: (sum(1 for j in judge_ids if (j, e) not in blocked), e))
    new: set[tuple[int, int]] = set()
    missing: dict[int, int] = {}
    for e in order:
        need = k - len(on_entry[e])
        if need <= 0:
            continue
        candidates = sorted((j for j in judge_ids if allowed(e, j)), key=lambda j: (load[j], j))
        for j in candidates[:need]:
            new.add((e, j))
            on_entry[e].add(j)
            load[j] += 1
        if len(candidates) < need:
            missing[e] = need - len(candidates)

    # Local improvement: move one new pair from a heavier judge to a judge at least two lighter.
    for _ in range(len(new) * max(len(judge_ids), 1) + 1):
        moved = False
        for heavy in sorted(judge_ids, key=lambda j: -load[j]):
            for light in sorted(judge_ids, key=lambda j: load[j]):
                if load[heavy] - load[light] < 2:
                    break
                pair = next(
                    ((e, j) for (e, j) in sorted(new) if j == heavy and allowed(e, light)),
                    None,
                )
                if pair is None:
                    continue
                e = pair[0]
                new.discard(pair)
                on_entry[e].discard(heavy)
                load[heavy] -= 1
                new.add((e, light))
                on_entry[e].add(light)
                load[light] += 1
                moved = True
                break
            if moved:
                break
        if not moved:
            break
    return new, missing


@dataclass
class AssignmentReport:
    created: int = 0
    kept: int = 0
    removed: int = 0
    missing: dict[int, int] = field(default_factory=dict)  # entry id → judges still missing
    loads: dict[int, int] = field(default_factory=dict)


def auto_assign(actor: User, round_: Round, k: int | None = None) -> AssignmentReport:
    """Give every entry k judges (the round's setting by default), loads as even as possible.

    Re-running keeps every assignment that has scores (and manual ones), drops unscored automatic
    ones and unscored ones that now have a conflict, then fills the gaps.
    """
    get_round_for_organiser(actor, round_.id)
    with scoring_rule("k"):
        k = scoring.check_count(
            k or round_.judges_per_entry,
            label="Số giám khảo mỗi hồ sơ",
            low=1,
            high=scoring.MAX_JUDGES_PER_ENTRY,
        )
    judges = [j.id for j in round_judges(round_)]
    entries = round_entry_ids(round_)
    if not judges:
        raise Invalid("Vòng chấm chưa có giám khảo nào.")
    if not entries:
        raise Invalid("Vòng chấm chưa có hồ sơ nào.")
    blocked = blocked_pairs(round_)
    report = AssignmentReport()
    fixed: set[tuple[int, int]] = set()
    for row in round_assignments(round_):
        scored = row.status != SheetStatus.TODO.value
        if scored or (row.source == "manual" and (row.judge_id, row.entry_id) not in blocked):
            fixed.add((row.entry_id, row.judge_id))
            report.kept += 1
        else:
            db.session.delete(row)
            report.removed += 1
    flush()
    new, missing = balanced_assignment(entries, judges, fixed, blocked, k)
    for e, j in sorted(new):
        db.session.add(
            Assignment(round_id=round_.id, entry_id=e, judge_id=j, source="auto", created_by_id=actor.id)
        )
    report.created = len(new)
    report.missing = missing
    report.loads = dict.fromkeys(judges, 0)
    for _entry, j in fixed | new:
        report.loads[j] = report.loads.get(j, 0) + 1
    record(
        actor,
        "judging.auto_assign",
        "round",
        round_.id,
        k=k,
        created=report.created,
        kept=report.kept,
        removed=report.removed,
        missing={str(e): n for e, n in missing.items()},
    )
    commit()
    return report


# --- score sheets --------------------------------------------------------------------------------


def get_sheet_for_judge(judge: User, round_id: int, entry_id: int) -> Assignment:
    """The judge's own sheet for this entry; 404 for any entry not assigned to them."""
    row = db.session.scalar(
        select(Assignment).where(
            Assignment.round_id == round_id, Assignment.entry_id == entry_id, Assignment.judge_id == judge.id
        )
    )
    if row is None:
        raise NotFound("Không tìm thấy hồ sơ này trong danh sách bạn được phân công chấm.")
    return row


DASHBOARD_PAGE_SIZE = 50  # sheets per page of a judge's list


@dataclass
class JudgeRound:
    round: Round
    sheets: list[Assignment]  # this page's
    assigned: int = 0  # in the whole round
    done: int = 0


@dataclass
class JudgeDashboard:
    rounds: list[JudgeRound]
    counts: dict[str, int]  # sheet status → how many, every round
    total: int
    page: int
    page_size: int = DASHBOARD_PAGE_SIZE


def judge_dashboard(judge: User, page: int = 1, page_size: int = DASHBOARD_PAGE_SIZE) -> JudgeDashboard:
    """The rounds whose panel includes the judge (newest first), each with its counts, and one page
    of the judge's sheets in round and code order; a round with no assignment yet still shows, so
    conflicts can be declared early."""
    panel = list(
        db.session.scalars(
            select(Round)
            .join(RoundJudge, RoundJudge.round_id == Round.id)
            .where(RoundJudge.user_id == judge.id)
            .order_by(Round.id.desc())
            .options(joinedload(Round.contest))
        )
    )
    grouped = {round_.id: JudgeRound(round_, []) for round_ in panel}
    counts = dict.fromkeys((s.value for s in SheetStatus), 0)
    for round_id, status, number in db.session.execute(
        select(Assignment.round_id, Assignment.status, func.count(Assignment.id))
        .where(Assignment.judge_id == judge.id)
        .group_by(Assignment.round_id, Assignment.status)
    ):
        counts[status] = counts.get(status, 0) + number
        if round_id not in grouped:  # assigned, then taken off the panel
            grouped[round_id] = JudgeRound(db.session.get_one(Round, round_id), [])
        grouped[round_id].assigned += number
        if status == SheetStatus.SUBMITTED.value:
            grouped[round_id].done += number
    rows, total = page_of(
        select(Assignment)
        .join(Entry, Entry.id == Assignment.entry_id)
        .where(Assignment.judge_id == judge.id)
        .order_by(Assignment.round_id.desc(), Entry.code_number, Entry.id)
        .options(contains_eager(Assignment.entry).options(lazyload(Entry.members), lazyload(Entry.files))),
        page,
        page_size,
    )
    for row in rows:
        grouped[row.round_id].sheets.append(row)
    ordered = sorted(grouped.values(), key=lambda item: -item.round.id)
    return JudgeDashboard(ordered, counts, total, page, page_size)


def save_sheet(
    judge: User,
    assignment: Assignment,
    scores: dict[str, str],
    comments: dict[str, str],
    general_comment: str,
    expected_version: int | str | None,
    *,
    submit: bool = False,
) -> Assignment:
    """Save a draft (blanks allowed) or submit (every criterion, then the sheet locks).

    expected_version is the version the judge's page was loaded with: if the sheet changed since
    (another device saved it), the save is refused with StaleSheet and nothing is overwritten.
    """
    rubric = open_sheet_rubric(judge, assignment, expected_version, submit=submit)
    round_ = assignment.round
    clean = checked_scores(rubric, scores, submit=submit)
    ids = set(rubric.ids())
    assignment.scores = {cid: str(value) for cid, value in clean.items()}
    assignment.comments = {
        cid: tidy(text, COMMENT_LIMIT)
        for cid, text in comments.items()
        if cid in ids and text and text.strip()
    }
    assignment.general_comment = tidy(general_comment, COMMENT_LIMIT)
    assignment.status = (SheetStatus.SUBMITTED if submit else SheetStatus.DRAFT).value
    assignment.updated_at = utcnow()
    if submit:
        assignment.submitted_at = assignment.updated_at
        assignment.reopen_reason = ""
    record(
        judge,
        "judging.sheet_submit" if submit else "judging.sheet_save",
        "assignment",
        assignment.id,
        round_id=round_.id,
        entry_id=assignment.entry_id,
        scores=assignment.scores,
        comments=assignment.comments,
        general_comment=assignment.general_comment,
    )
    if submit:
        results_changed(round_)
    try:
        db.session.commit()
    except StaleDataError as exc:  # another request saved between our read and our write
        db.session.rollback()
        raise stale_sheet(db.session.get_one(Assignment, assignment.id)) from exc
    return assignment


def reopen_sheet(actor: User, round_: Round, assignment_id: int, reason: str) -> Assignment:
    """An organiser unlocks a submitted sheet, with a reason the judge sees."""
    get_round_for_organiser(actor, round_.id)
    row = db.session.get(Assignment, assignment_id)
    if row is None or row.round_id != round_.id:
        raise NotFound("Không tìm thấy phiếu chấm này.")
    if round_.published_at is not None:
        raise Conflict("Kết quả vòng chấm đã được công bố, không thể mở lại phiếu.")
    if row.status != SheetStatus.SUBMITTED.value:
        raise Conflict("Phiếu chấm chưa nộp nên không cần mở lại.")
    reason = tidy(reason, 1000)
    if len(reason) < 5:
        raise Invalid("Vui lòng ghi rõ lý do mở lại phiếu chấm.", field="reason")
    row.status = SheetStatus.DRAFT.value
    row.reopen_reason = reason
    row.updated_at = utcnow()
    record(actor, "judging.sheet_reopen", "assignment", row.id, reason=reason, scores=row.scores)
    results_changed(round_)
    commit()
    send_email(
        row.judge.email,
        f"Phiếu chấm được mở lại – {round_.name}",
        "mail/judge_sheet_reopened.txt",
        assignment=row,
        round=round_,
        reason=reason,
    )
    return row


def entry_for_sheet(assignment: Assignment) -> dict[str, Any]:
    """What the sheet shows of the entry. Blind rounds drop everything that names the team: members,
    organisation, commune, contacts, the leader, file names (files are offered as "Tài liệu N")."""
    entry = assignment.entry
    blind = assignment.round.blind
    hide = redactor(entry) if blind else (lambda text: text)
    files = []
    for index, f in enumerate(sorted(entry.files, key=lambda f: (f.slot_key, f.id)), start=1):
        slot = next((s for s in entry.contest.slots if s.key == f.slot_key), None)
        label = slot.label if slot else f"Tài liệu {index}"
        files.append({"id": f.id, "label": label, "kind": f.kind, "name": None if blind else f.original_name})
    view = {
        "code": entry.code or f"#{entry.id}",
        "title": hide(entry.title),
        "track": entry.track.name if entry.track else "",
        "field": entry.field,
        "summary": hide(entry.summary),
        "answers": [
            (FORM_FIELDS.get(key, key), hide(str(value)))
            for key, value in (entry.answers or {}).items()
            if value and key in FORM_FIELDS
        ],
        "video_url": "" if blind else entry.video_url,
        "files": files,
        "blind": blind,
    }
    if not blind:
        view["organisation"] = entry.organisation
        view["commune"] = entry.commune_name
        view["members"] = [
            {"name": m.full_name, "organisation": m.organisation, "leader": m.is_leader}
            for m in entry.members
        ]
    return view


def file_for_judge(judge: User, round_id: int, entry_id: int, file_id: int) -> tuple[EntryFile, Path, str]:
    """(EntryFile, path, download name) for a judge assigned to the entry; blind rounds get a
    neutral name (code + document label), never the uploaded file name."""
    assignment = get_sheet_for_judge(judge, round_id, entry_id)
    entry = assignment.entry
    row = next((f for f in entry.files if f.id == file_id), None)
    if row is None:
        raise NotFound("Không tìm thấy tệp.")
    path = file_path(row)
    if not path.is_file():
        raise NotFound("Không tìm thấy tệp.")
    name = (
        f"{entry.code or entry.id}-{row.slot_key}.{row.kind}" if assignment.round.blind else row.original_name
    )
    return row, path, name


@dataclass
class SheetLine:
    """One judge's sheet for an entry as organisers see it; total only for submitted sheets."""

    assignment: Assignment
    total: Decimal | None


def entry_sheets(actor: User, round_: Round, entry_id: int) -> tuple[Entry, list[SheetLine]]:
    """Every judge's sheet for one entry of the round (organisers), with the weighted totals from
    scoring.weighted_total."""
    get_round_for_organiser(actor, round_.id)
    if entry_id not in set(round_entry_ids(round_)):
        raise NotFound("Hồ sơ không thuộc vòng chấm này.")
    rubric = rubric_of(round_)
    lines = []
    for row in db.session.scalars(
        select(Assignment)
        .where(Assignment.round_id == round_.id, Assignment.entry_id == entry_id)
        .order_by(Assignment.id)
        .options(joinedload(Assignment.judge))
    ):
        total = None
        if row.status == SheetStatus.SUBMITTED.value:
            total = scoring.weighted_total(rubric, scoring.validate_sheet(rubric, row.scores, submit=True))
        lines.append(SheetLine(row, total))
    return db.session.get_one(Entry, entry_id), lines


# --- progress and reminders ------------------------------------------------------------------------


@dataclass
class JudgeProgress:
    judge: User
    assigned: int = 0
    submitted: int = 0
    drafts: int = 0
    missing: list[Entry] = field(default_factory=list)


@dataclass
class EntryProgress:
    entry: Entry
    assigned: int = 0
    submitted: int = 0
    waiting_for: list[User] = field(default_factory=list)


@dataclass
class RoundProgress:
    judges: list[JudgeProgress]
    entries: list[EntryProgress]
    total: int
    submitted: int
    needed: int  # judges per entry × entries


@dataclass
class RoundCounts:
    """A round's numbers, counted in the database."""

    entries: int
    judges: int
    sheets: int
    submitted: int
    short: int  # entries with fewer judges than the round asks for


def round_counts(round_: Round) -> RoundCounts:
    entries = db.session.scalar(select(func.count()).where(RoundEntry.round_id == round_.id)) or 0
    judges = db.session.scalar(select(func.count()).where(RoundJudge.round_id == round_.id)) or 0
    sheets = submitted = 0
    for status, number in db.session.execute(
        select(Assignment.status, func.count(Assignment.id))
        .where(Assignment.round_id == round_.id)
        .group_by(Assignment.status)
    ):
        sheets += number
        submitted += number if status == SheetStatus.SUBMITTED.value else 0
    per_entry = (
        select(RoundEntry.entry_id)
        .outerjoin(
            Assignment,
            (Assignment.round_id == RoundEntry.round_id) & (Assignment.entry_id == RoundEntry.entry_id),
        )
        .where(RoundEntry.round_id == round_.id)
        .group_by(RoundEntry.entry_id)
        .having(func.count(Assignment.id) < round_.judges_per_entry)
    )
    short = db.session.scalar(select(func.count()).select_from(per_entry.subquery())) or 0
    return RoundCounts(entries, judges, sheets, submitted, short)


def round_progress(round_: Round) -> RoundProgress:
    """Per judge and per entry: what is assigned, submitted and still missing."""
    judges = {j.id: JudgeProgress(j) for j in round_judges(round_)}
    entries = {e.id: EntryProgress(e) for e in round_entries(round_)}
    total = submitted = 0
    for row in round_assignments(round_):
        jp, ep = judges.get(row.judge_id), entries.get(row.entry_id)
        if jp is None or ep is None:
            continue
        total += 1
        jp.assigned += 1
        ep.assigned += 1
        if row.status == SheetStatus.SUBMITTED.value:
            jp.submitted += 1
            ep.submitted += 1
            submitted += 1
        else:
            if row.status == SheetStatus.DRAFT.value:
                jp.drafts += 1
            jp.missing.append(ep.entry)
            ep.waiting_for.append(jp.judge)
    return RoundProgress(
        list(judges.values()),
        list(entries.values()),
        total,
        submitted,
        round_.judges_per_entry * len(entries),
    )


@dataclass
class AssignmentPage:
    """The assignment grid: every judge with their load, one page of entries, and the sheets and
    blocked pairs of those entries."""

    judges: list[User]
    loads: dict[int, int]  # judge id → sheets in the round
    entries: list[Entry]
    matching: int
    by_pair: dict[tuple[int, int], Assignment]  # (entry id, judge id)
    blocked: set[tuple[int, int]]  # (judge id, entry id)


def assignment_page(
    round_: Round, page: int = 1, query: str = "", *, page_size: int = ROUND_PAGE_SIZE
) -> AssignmentPage:
    judges = round_judges(round_)
    loads = dict.fromkeys((j.id for j in judges), 0)
    for judge_id, number in db.session.execute(
        select(Assignment.judge_id, func.count(Assignment.id))
        .where(Assignment.round_id == round_.id)
        .group_by(Assignment.judge_id)
    ):
        loads[judge_id] = number
    entries, matching = round_entry_page(round_, page, query, page_size=page_size)
    ids = [e.id for e in entries]
    by_pair = {
        (a.entry_id, a.judge_id): a
        for a in db.session.scalars(
            select(Assignment).where(Assignment.round_id == round_.id, Assignment.entry_id.in_(ids))
        )
    }
    return AssignmentPage(judges, loads, entries, matching, by_pair, blocked_pairs(round_, ids))


@dataclass
class JudgeCounts:
    judge: User
    assigned: int = 0
    submitted: int = 0
    drafts: int = 0

    @property
    def missing(self) -> int:
        return self.assigned - self.submitted


@dataclass
class ProgressPage:
    """The progress page: every judge's counts (from the database), and one page of entries with
    their sheets (the full per-entry list is the progress workbook's)."""

    judges: list[JudgeCounts]
    entries: list[EntryProgress]
    matching: int  # entries matching the search, over every page
    total: int
    submitted: int
    submitted_sheets: list[Assignment]  # of this page's entries; their entry and judge loaded


def progress_page(
    round_: Round, page: int = 1, query: str = "", *, page_size: int = ROUND_PAGE_SIZE
) -> ProgressPage:
    judges = {j.id: JudgeCounts(j) for j in round_judges(round_)}
    total = submitted = 0
    for judge_id, status, number in db.session.execute(
        select(Assignment.judge_id, Assignment.status, func.count(Assignment.id))
        .where(Assignment.round_id == round_.id)
        .group_by(Assignment.judge_id, Assignment.status)
    ):
        counts = judges.get(judge_id)
        if counts is None:
            continue
        total += number
        counts.assigned += number
        if status == SheetStatus.SUBMITTED.value:
            counts.submitted += number
            submitted += number
        elif status == SheetStatus.DRAFT.value:
            counts.drafts += number
    entries, matching = round_entry_page(round_, page, query, page_size=page_size)
    by_entry = {e.id: EntryProgress(e) for e in entries}
    done: list[Assignment] = []
    for row in db.session.scalars(
        select(Assignment)
        .where(Assignment.round_id == round_.id, Assignment.entry_id.in_(list(by_entry)))
        .order_by(Assignment.id)
    ):
        judge = judges.get(row.judge_id)
        if judge is None:
            continue
        progress = by_entry[row.entry_id]
        progress.assigned += 1
        if row.status == SheetStatus.SUBMITTED.value:
            progress.submitted += 1
            done.append(row)
        else:
            progress.waiting_for.append(judge.judge)
    return ProgressPage(list(judges.values()), list(by_entry.values()), matching, total, submitted, done)


def send_reminders(actor: User, round_: Round, judge_ids: list[int] | None = None) -> int:
    """Email each judge (all, or those chosen) who still has unsubmitted sheets; returns how many."""
    get_round_for_organiser(actor, round_.id)
    progress = round_progress(round_)
    targets = [p for p in progress.judges if p.missing and (judge_ids is None or p.judge.id in judge_ids)]
    record(actor, "judging.remind", "round", round_.id, judge_ids=[p.judge.id for p in targets])
    commit()
    for item in targets:
        send_email(
            item.judge.email,
            f"Nhắc chấm điểm {round_.name} – {round_.contest.name}",
            "mail/judge_reminder.txt",
            judge=item.judge,
            round=round_,
            missing=item.missing,
            submitted=item.submitted,
            assigned=item.assigned,
        )
    return len(targets)
