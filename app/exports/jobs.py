"""Exports prepared by the worker: the annual report always, the attendance and entries workbooks
when they have more than EXPORT_JOB_ROWS rows (a 200,000-attendee attendance list takes minutes and
hundreds of MB: not something a web worker behind a 60-second proxy should do).

The job re-checks the person's permission when it runs (a role may have been taken away meanwhile)
and reports its progress: reading the data, then the rows written out of the total.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app.accounts.models import User
from app.contests.models import Contest, Entry, TeamMember
from app.errors import NotFound
from app.events.models import Attendee, Checkin, Event
from app.exports.annual_report import report_export
from app.exports.downloads import Export, attendance_export, entries_export, write_export
from app.exports.permissions import contest_for_user, event_for_user, require_report_access
from app.extensions import db
from app.jobs import services as jobs
from app.jobs.models import Job
from app.queue import task
from app.spreadsheet.workbook import Sheet


def attendance_rows(event: Event) -> int:
    """Rows of the attendance workbook (registrations + check-ins), counted in the database."""
    attendees = db.session.scalar(select(func.count()).where(Attendee.event_id == event.id)) or 0
    checkins = db.session.scalar(select(func.count()).where(Checkin.event_id == event.id)) or 0
    return attendees + checkins


def entries_rows(contest: Contest) -> int:
    """Rows of the entries workbook (entries + team members)."""
    entries = db.session.scalar(select(func.count()).where(Entry.contest_id == contest.id)) or 0
    members = (
        db.session.scalar(
            select(func.count()).select_from(TeamMember).join(Entry).where(Entry.contest_id == contest.id)
        )
        or 0
    )
    return entries + members


def _attendance(user: User, key: str) -> Export:
    return attendance_export(event_for_user(user, key))


def _entries(user: User, key: str) -> Export:
    return entries_export(contest_for_user(user, key))


def _report(user: User, key: str) -> Export:
    require_report_access(user)
    return report_export(int(key))


# kind → builder(user, key). The key is a slug or a year: what the web route was given.
BUILDERS: dict[str, Callable[[User, str], Export]] = {
    "export.attendance": _attendance,
    "export.entries": _entries,
    "export.report": _report,
}


def start(user: User, kind: str, key: str | int, title: str, back_url: str) -> Job:
    """Queue an export for `user` (permission already checked by the caller) and return its job."""
    if kind not in BUILDERS:
        raise NotFound("Không có loại tệp này.")
    job = jobs.create(user, kind, title, back_url)
    build_export(job.id, str(key))
    return job


@task()
def build_export(job_id: str, key: str) -> None:
    jobs.run(job_id, lambda job, progress, folder: _build(job, key, progress, folder))


def _build(job: Job, key: str, progress: jobs.Progress, folder: Path) -> str:
    user = db.session.get(User, job.user_id)
    if user is None or not user.is_active:
        raise NotFound("Tài khoản yêu cầu tệp không còn hoạt động.")
    progress.stage("Đang đọc dữ liệu")
    export = BUILDERS[job.kind](user, key)
    total = sum(len(s.rows) for s in export.sheets if isinstance(s, Sheet) and isinstance(s.rows, Sized))
    progress.stage("Đang ghi tệp Excel", total or None)
    written = [0]

    def counted(rows: Iterable[Any]) -> Iterator[Any]:
        for row in rows:
            written[0] += 1
            if written[0] % 500 == 0:
                progress.advance(written[0])
            yield row

    export.sheets = [replace(s, rows=counted(s.rows)) if isinstance(s, Sheet) else s for s in export.sheets]
    write_export(export, folder / export.filename)
    progress.advance(written[0])
    return export.filename
