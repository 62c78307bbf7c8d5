"""The organisers' dashboard (SPEC §6): submissions against the deadline, entries by field, commune
and sex, judging progress per round, check-ins per hour and gate. Read-only queries.

The statistics download (`downloads.contest_stats_export`) and the attendance workbook reuse these
figures, so a chart and its spreadsheet never disagree.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any, NotRequired, TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.contests.models import ACTIVE_STATES, SEX_LABELS, Contest, Entry, EntryStatus
from app.events.models import Checkin, Event
from app.events.permissions import manageable_events
from app.extensions import db
from app.judging import services as judging
from app.judging.models import Assignment, Round, SheetStatus
from app.localtime import to_local
from app.spreadsheet.collation import sort_key

# The entries every figure counts (dashboard and annual report): submitted and past it, not
# drafts or withdrawn ones.
COUNTED_STATES = {s.value for s in ACTIVE_STATES}
UNKNOWN = "Không rõ"


class SubmissionSeries(TypedDict):
    """Submitted entries per local day; `deadline_label` only when there is at least one day."""

    dates: list[date]
    labels: list[str]
    daily: list[int]
    cumulative: list[int]
    deadline: str
    deadline_label: NotRequired[str]


class RoundOverview(TypedDict):
    round: Round
    total: int
    submitted: int
    missing: int
    share: int


class HourlyCheckins(TypedDict):
    """Active check-ins per local hour (rows) and gate (series); `datasets` is the chart's form."""

    hours: list[datetime]
    labels: list[str]
    gates: list[str]
    series: list[list[int]]
    datasets: list[dict[str, Any]]
    total: int


def entries_with_teams(contest: Contest) -> list[Entry]:
    """The contest's entries except drafts, with their members loaded in one more query."""
    stmt = (
        select(Entry)
        .where(Entry.contest_id == contest.id, Entry.status != EntryStatus.DRAFT.value)
        .options(selectinload(Entry.members))
    )
    return list(db.session.scalars(stmt))


def submissions_over_time(contest: Contest) -> SubmissionSeries:
    """Cumulative submitted entries per local day, from the first submission to the deadline."""
    days: Counter[date] = Counter()
    for (at,) in db.session.execute(
        select(Entry.submitted_at).where(Entry.contest_id == contest.id, Entry.submitted_at.is_not(None))
    ):
        days[to_local(at).date()] += 1
    deadline = to_local(contest.closes_at).date()
    if not days:
        return {
            "dates": [],
            "labels": [],
            "daily": [],
            "cumulative": [],
            "deadline": deadline.strftime("%d/%m/%Y"),
        }
    start, end = min(days), max(max(days), deadline)
    if (end - start).days > 400:  # a long-open contest: keep the chart readable
        start = end - timedelta(days=400)
    labels: list[str] = []
    daily: list[int] = []
    cumulative: list[int] = []
    running = sum(n for d, n in days.items() if d < start)
    dates = []
    day = start
    while day <= end:
        running += days.get(day, 0)
        dates.append(day)
        labels.append(day.strftime("%d/%m"))
        daily.append(days.get(day, 0))
        cumulative.append(running)
        day += timedelta(days=1)
    return {
        "dates": dates,
        "labels": labels,
        "daily": daily,
        "cumulative": cumulative,
        "deadline": deadline.strftime("%d/%m/%Y"),
        "deadline_label": deadline.strftime("%d/%m"),
    }


def contest_breakdowns(contest: Contest, *, full: bool = False) -> dict[str, list[tuple[str, int]]]:
    """Counted entries by field and commune; participants by sex (largest first). Charts get the
    11 biggest communes and "the others"; `full` keeps every commune (the export)."""
    entries = [e for e in entries_with_teams(contest) if e.status in COUNTED_STATES]
    by_field = Counter(e.field or UNKNOWN for e in entries)
    by_commune = Counter(e.commune_name or UNKNOWN for e in entries)
    by_sex = Counter(SEX_LABELS.get(m.sex or "", UNKNOWN) for e in entries for m in e.members)

    def top(counts: Counter[str]) -> list[tuple[str, int]]:
        return sorted(counts.items(), key=lambda kv: (-kv[1], sort_key(kv[0])))

    communes = top(by_commune)
    if len(communes) > 12 and not full:
        communes = communes[:11] + [("Các xã khác", sum(n for _, n in communes[11:]))]
    return {"field": top(by_field), "commune": communes, "sex": top(by_sex)}


def judging_overview(contest: Contest) -> list[RoundOverview]:
    """Per round of the contest: sheets assigned, submitted and missing, and the share submitted."""
    rows: list[RoundOverview] = []
    for round_ in judging.contest_rounds(contest):
        total = (
            db.session.scalar(select(func.count(Assignment.id)).where(Assignment.round_id == round_.id)) or 0
        )
        submitted = (
            db.session.scalar(
                select(func.count(Assignment.id)).where(
                    Assignment.round_id == round_.id, Assignment.status == SheetStatus.SUBMITTED.value
                )
            )
            or 0
        )
        rows.append(
            {
                "round": round_,
                "total": total,
                "submitted": submitted,
                "missing": total - submitted,
                "share": round(100 * submitted / total) if total else 0,
            }
        )
    return rows


def checkins_by_hour_and_gate(event: Event) -> HourlyCheckins:
    """Active check-ins per local hour (rows) and gate (series)."""
    counts: Counter[tuple[datetime, str]] = Counter()
    gates: list[str] = list(event.gates)
    for at, gate in db.session.execute(
        select(Checkin.at, Checkin.gate).where(Checkin.event_id == event.id, Checkin.undone_at.is_(None))
    ):
        gate = gate or "—"
        if gate not in gates:
            gates.append(gate)
        hour = to_local(at).replace(minute=0, second=0, microsecond=0, tzinfo=None)
        counts[(hour, gate)] += 1
    hours = sorted({h for h, _ in counts})
    return {
        "hours": hours,
        "labels": [h.strftime("%d/%m %Hh") for h in hours],
        "gates": gates,
        "series": [[counts.get((h, g), 0) for h in hours] for g in gates],
        "datasets": [{"label": g, "data": [counts.get((h, g), 0) for h in hours]} for g in gates],
        "total": sum(counts.values()),
    }


def dashboard_events(user: User) -> list[Event]:
    """The events whose attendance this user may see (the same rule as event_for_user)."""
    return manageable_events(user)
