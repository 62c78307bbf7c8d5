"""Checking a judge's score sheet: whether it may still change (the judge's own, not locked, the
guards other packages register, the page's version), every bad or missing score reported at once,
and what the judge reads while scoring and confirms before submitting (`review_sheet`). Saving is
`sheets.save_sheet`, which runs the same checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from app.accounts.models import User
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.judging import scoring
from app.judging.models import Assignment, SheetStatus
from app.judging.services.rounds import rubric_of
from app.localtime import format_datetime


class SheetErrors(Invalid):
    """A score sheet failed validation; `errors` maps each bad criterion id to its message."""

    def __init__(self, message: str, errors: dict[str, str]):
        super().__init__(message, code="sheet_invalid")
        self.errors = errors


class StaleSheet(Conflict):
    """The sheet changed since this page was loaded (another device saved it)."""

    def __init__(self, message: str, current: Assignment):
        super().__init__(message, code="stale_sheet")
        self.current = current


# Checks other packages add before a sheet is saved (the live final: only the team on stage is
# scored). A guard raises a DomainError to refuse; judging itself knows nothing of them.
SheetGuard = Callable[[Assignment, bool], None]
_sheet_guards: list[SheetGuard] = []


def register_sheet_guard(guard: SheetGuard) -> None:
    """Add a check run before every save or submit of a sheet (once per guard)."""
    if guard not in _sheet_guards:
        _sheet_guards.append(guard)


def open_sheet_rubric(
    judge: User, assignment: Assignment, expected_version: int | str | None, *, submit: bool
) -> scoring.Rubric:
    """The round's rubric once the sheet may still change: the judge's own, not locked, the guards
    pass and the page was loaded from the current version (the first step of saving or reviewing)."""
    if assignment.judge_id != judge.id:
        raise NotFound("Không tìm thấy hồ sơ này trong danh sách bạn được phân công chấm.")
    round_ = assignment.round
    if round_.published_at is not None:
        raise Conflict("Kết quả vòng chấm đã được công bố; phiếu chấm không thể sửa nữa.", code="locked")
    if assignment.status == SheetStatus.SUBMITTED.value:
        raise Conflict(
            "Phiếu chấm đã nộp và đã được khoá. Nếu cần sửa, hãy đề nghị Ban tổ chức mở lại phiếu.",
            code="locked",
        )
    for guard in _sheet_guards:
        guard(assignment, submit)
    old_page = Invalid("Trang chấm điểm đã cũ. Vui lòng tải lại trang.", code="bad_version")
    if expected_version is None:
        raise old_page
    try:
        expected = int(expected_version)
    except (TypeError, ValueError) as exc:
        raise old_page from exc
    if expected != assignment.version:
        raise stale_sheet(assignment)
    return rubric_of(round_)


def stale_sheet(current: Assignment) -> StaleSheet:
    """The refusal for a sheet saved elsewhere since the page was loaded: the sheet as it is now,
    and when it was saved."""
    db.session.refresh(current)
    when = format_datetime(current.updated_at, seconds=True) if current.updated_at else ""
    return StaleSheet(
        "Phiếu chấm này vừa được lưu từ một thiết bị hoặc cửa sổ khác"
        + (f" lúc {when}" if when else "")
        + ". Điểm bạn vừa nhập CHƯA được lưu và vẫn còn trên trang; điểm đã lưu được ghi bên cạnh mỗi "
        "tiêu chí. Hãy kiểm tra rồi bấm lưu lại nếu muốn dùng điểm của bạn.",
        current,
    )


def checked_scores(rubric: scoring.Rubric, scores: dict[str, str], *, submit: bool) -> dict[str, Decimal]:
    """The scores checked against the rubric; every bad or missing criterion is reported at once
    (each next to its field), and the message counts them when there is more than one."""
    try:
        return scoring.validate_sheet(rubric, scores, submit=submit)
    except scoring.SheetInvalid as exc:
        count = len(exc.errors)
        message = exc.message if count == 1 else f"Phiếu chấm còn {count} tiêu chí cần sửa hoặc chưa chấm."
        raise SheetErrors(message, exc.errors) from exc


def shown_scores(scores: dict[str, str]) -> dict[str, str]:
    """Stored scores as a judge reads and types them, with the Vietnamese decimal comma: '15.5' → '15,5'."""
    return {cid: str(value).replace(".", ",") for cid, value in (scores or {}).items()}


@dataclass
class SheetSummary:
    """What a judge confirms before the sheet locks: each criterion's score, the weighted total and
    the criteria left at zero (a 0 is legal, but often a field the judge meant to come back to)."""

    rows: list[tuple[scoring.Criterion, Decimal]]
    total: Decimal
    max_total: Decimal
    zero: list[str]  # names of the criteria scored 0

    @property
    def total_text(self) -> str:
        return short_score(self.total)


def short_score(value: Decimal) -> str:
    """A score as the sheet shows it, without trailing zeros: 77.50 → '77,5', 80 → '80'."""
    return scoring.format_score(value).rstrip("0").rstrip(",")


@dataclass
class RunningTotal:
    """The total a sheet shows while it is being filled: the valid scores only, and how many typed
    ones were left out (the page's script keeps it up to date with the same rule)."""

    text: str  # "—" while nothing valid is typed
    invalid: int


def running_total(rubric: scoring.Rubric, typed: dict[str, str]) -> RunningTotal:
    """The total of the valid scores typed so far (see RunningTotal)."""
    total, filled, invalid = Decimal(0), 0, 0
    for crit in rubric.criteria:
        raw = typed.get(crit.id, "")
        try:
            clean = scoring.validate_sheet(rubric, {crit.id: raw}, submit=False)
        except scoring.SheetInvalid:
            invalid += 1
            continue
        if crit.id in clean:
            filled += 1
            total += clean[crit.id] * crit.weight
    return RunningTotal(short_score(total) if filled else "—", invalid)


def summarise_sheet(rubric: scoring.Rubric, clean: dict[str, Decimal]) -> SheetSummary:
    """The summary of a complete, validated sheet (pure: no database)."""
    rows = [(c, clean[c.id]) for c in rubric.criteria]
    return SheetSummary(
        rows,
        scoring.weighted_total(rubric, clean),
        rubric.max_total,
        [c.name for c, value in rows if value == 0],
    )


def review_sheet(
    judge: User,
    assignment: Assignment,
    scores: dict[str, str],
    expected_version: int | str | None,
) -> SheetSummary:
    """Check a sheet exactly as submitting would, without saving anything: the summary the judge
    confirms before the sheet locks (the page without JavaScript shows it as a step of its own)."""
    rubric = open_sheet_rubric(judge, assignment, expected_version, submit=True)
    return summarise_sheet(rubric, checked_scores(rubric, scores, submit=True))
