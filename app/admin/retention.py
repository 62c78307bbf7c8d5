"""The data-retention rules the privacy notices promise (app/privacy/notices.py), applied by
`flask --app wsgi retention purge [--dry-run]` (registered in app/admin/cli.py, run daily by the
clean-up timer).

- Deleted once RETENTION_TOKEN_DAYS (30) have passed: account tokens past their expiry; server-side
  sessions ended that long ago, or opened longer ago than the remember-me cookie lasts (their cookies
  are dead); login attempts older than that and older than the throttling window (the window never
  loses a row it still counts); judge invitations never accepted whose link expired that long ago.
- Anonymised RETENTION_REGISTRATION_YEARS (2) after an event ended: its registrations (name → a
  stand-in, no phone, email or personal organisation, tickets revoked, scanner answers and room
  check-ins' scan ids scrubbed) and its booth applications' contact person, tax code and photos.
- Anonymised RETENTION_ENTRY_YEARS (5) after a contest ended (its deadline, its judging rounds and
  its linked events, whichever is last): every team member (name, birth date, sex, contacts, address,
  ethnicity, guardian), the entries' organisation and commune, names quoted in an entry, and its
  uploaded files (rows and disk).

Everything the yearly report counts stays: entries with their codes, titles, states, scores and
prizes; one row per registration and its check-ins; each person still counted once (a member with
an account keeps the link; the others get one `.invalid` stand-in address per person of the run);
the type of an organisation (`annual_report.organisation_type`) survives through a stand-in name of
that type. The per-person erasure helpers of each package do the anonymising. Work is done in
batches, each its own transaction (files leave the disk after its commit); an anonymised row is not
picked again, so a run interrupted or repeated just finishes the job.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, delete, exists, func, or_, select
from sqlalchemy.orm import selectinload

from app.accounts.models import AccountToken, LoginAttempt, UserSession
from app.agenda.privacy import forget_scan_ids
from app.audit.services import record
from app.booths.models import BoothApplication, BoothPhoto
from app.booths.photos import forget_files
from app.booths.privacy import anonymise_application
from app.contests import entries as entry_history
from app.contests.files import delete_stored_file, file_path
from app.contests.models import Contest, Entry, EntryEvent, TeamMember
from app.contests.privacy import anonymise_member, without_names
from app.database import rowcount
from app.events.models import Attendee, Event, Ticket
from app.events.privacy import anonymise_attendee, scrub_scans
from app.exports.annual_report import (
    ORGANISATION_TYPE_NONE,
    ORGANISATION_TYPE_OTHER,
    organisation_type,
)
from app.extensions import db
from app.judging.models import JudgeInvitation, Round
from app.localtime import format_date, utcnow
from app.privacy.registry import ERASED
from app.text import fold

BATCH = 200
ATTENDEE_NAME = "Người tham dự (đã ẩn danh)"
REVOKED_REASON = "Hết thời hạn lưu trữ dữ liệu đăng ký"
HOUSEHOLD_NAME = "Hộ kinh doanh (đã ẩn danh)"
ENTRY_MARK = "retention"  # the history action that marks an entry as done
ENTRY_NOTE = "Ẩn danh hoá dữ liệu cá nhân và xoá tệp hồ sơ khi hết thời hạn lưu trữ"
STAND_IN_DOMAIN = "@xoa.invalid"  # privacy.registry.erased_email's: no mail is ever sent there

# A name of each organisation type that the report's classifier puts back in that type (tested):
# the organisation's own name may be a person's (a household business), its type is not.
ORGANISATION_STAND_INS = {
    "Trường học, viện, cơ sở đào tạo": "Trường học, viện (đã ẩn danh)",
    "Doanh nghiệp": "Doanh nghiệp (đã ẩn danh)",
    "Hợp tác xã, tổ hợp tác": "Hợp tác xã (đã ẩn danh)",
    "Đoàn thể, hội": "Đoàn thể, hội (đã ẩn danh)",
    "Cơ quan nhà nước, đơn vị sự nghiệp": "Cơ quan nhà nước, trung tâm (đã ẩn danh)",
    ORGANISATION_TYPE_OTHER: "Khác (đã ẩn danh)",
}


def organisation_stand_in(name: str) -> str:
    """An anonymous name of the same type as `name` for the yearly report ("" stays "")."""
    kind = organisation_type(name)
    return "" if kind == ORGANISATION_TYPE_NONE else ORGANISATION_STAND_INS[kind]


@dataclass
class PurgeCounts:
    tokens: int = 0
    sessions: int = 0
    login_attempts: int = 0
    invitations: int = 0
    events: int = 0
    attendees: int = 0
    tickets: int = 0
    booth_applications: int = 0
    booth_photos: int = 0
    contests: int = 0
    entries: int = 0
    members: int = 0
    entry_files: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Cutoffs:
    tokens: datetime  # deleted when expired/ended before this
    login_attempts: datetime
    open_sessions: datetime  # an open session started before this has no live cookie left
    registrations: datetime  # events that ended before this
    entries: datetime  # contests that ended before this


def years_before(moment: datetime, years: int) -> datetime:
    """The same calendar moment `years` earlier (29 February → 28 February)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def cutoffs(now: datetime) -> Cutoffs:
    cfg = current_app.config
    grace = timedelta(days=cfg["RETENTION_TOKEN_DAYS"])
    window = timedelta(minutes=cfg["LOGIN_FAILURE_WINDOW_MINUTES"])
    remember = cfg.get("REMEMBER_COOKIE_DURATION") or timedelta(days=365)  # Flask-Login's default
    if not isinstance(remember, timedelta):
        remember = timedelta(seconds=int(remember))
    return Cutoffs(
        tokens=now - grace,
        login_attempts=now - max(grace, window),
        open_sessions=now - remember - grace,
        registrations=years_before(now, cfg["RETENTION_REGISTRATION_YEARS"]),
        entries=years_before(now, cfg["RETENTION_ENTRY_YEARS"]),
    )


# --- expired tokens and logs: deleted -----------------------------------------------------------


def _deletions(cut: Cutoffs) -> dict[str, tuple[Any, ColumnElement[bool]]]:
    return {
        "tokens": (AccountToken, AccountToken.expires_at < cut.tokens),
        "sessions": (
            UserSession,
            or_(
                UserSession.ended_at < cut.tokens,
                and_(UserSession.ended_at.is_(None), UserSession.created_at < cut.open_sessions),
            ),
        ),
        "login_attempts": (LoginAttempt, LoginAttempt.at < cut.login_attempts),
        "invitations": (
            JudgeInvitation,
            and_(JudgeInvitation.accepted_at.is_(None), JudgeInvitation.expires_at < cut.tokens),
        ),
    }


def _count(stmt: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def _delete_in_batches(model: Any, condition: ColumnElement[bool]) -> int:
    done = 0
    while True:
        ids = list(db.session.scalars(select(model.id).where(condition).order_by(model.id).limit(BATCH)))
        if not ids:
            return done
        done += rowcount(
            db.session.execute(
                delete(model).where(model.id.in_(ids)).execution_options(synchronize_session=False)
            )
        )
        db.session.commit()


# --- event registrations and booth applications: anonymised ------------------------------------


def _old_events(cut: Cutoffs) -> list[int]:
    return list(
        db.session.scalars(select(Event.id).where(Event.ends_at < cut.registrations).order_by(Event.id))
    )


def _attendees_due(event_ids: list[int]) -> Select:
    return select(Attendee.id).where(Attendee.event_id.in_(event_ids), Attendee.full_name != ATTENDEE_NAME)


def _applications_due(event_ids: list[int]) -> Select:
    photo = select(BoothPhoto.id).where(BoothPhoto.application_id == BoothApplication.id)
    return select(BoothApplication.id).where(
        BoothApplication.event_id.in_(event_ids),
        or_(
            BoothApplication.contact_name != ERASED,
            BoothApplication.contact_phone.is_not(None),
            BoothApplication.contact_email.is_not(None),
            BoothApplication.tax_code != "",
            and_(BoothApplication.org_kind == "household", BoothApplication.organisation != HOUSEHOLD_NAME),
            exists(photo),
        ),
    )


def _anonymise_attendees(event_ids: list[int], now: datetime, counts: PurgeCounts) -> None:
    while True:
        batch = list(
            db.session.scalars(
                select(Attendee)
                .where(Attendee.id.in_(_attendees_due(event_ids).order_by(Attendee.id).limit(BATCH)))
                .options(selectinload(Attendee.tickets))
            )
        )
        if not batch:
            return
        for attendee in batch:
            counts.tickets += anonymise_attendee(
                attendee,
                now,
                REVOKED_REASON,
                name=ATTENDEE_NAME,
                organisation=organisation_stand_in(attendee.organisation),
            )
        ids = {a.id for a in batch}
        scrub_scans(ids)
        forget_scan_ids(list(ids))
        counts.attendees += len(batch)
        db.session.commit()


def _anonymise_applications(event_ids: list[int], counts: PurgeCounts) -> None:
    while True:
        batch = list(
            db.session.scalars(
                select(BoothApplication)
                .where(
                    BoothApplication.id.in_(
                        _applications_due(event_ids).order_by(BoothApplication.id).limit(BATCH)
                    )
                )
                .options(selectinload(BoothApplication.photos))
            )
        )
        if not batch:
            return
        paths: list[Path] = []
        for application in batch:
            if application.org_kind == "household":
                application.organisation = HOUSEHOLD_NAME
            paths.extend(anonymise_application(application))
        counts.booth_applications += len(batch)
        counts.booth_photos += len(paths)
        db.session.commit()
        forget_files(paths)


# --- contest entries: anonymised, files deleted ------------------------------------------------


def _old_contests(cut: Cutoffs) -> list[int]:
    """Contests whose last date — the deadline, a judging round's close or results, a linked
    event's end — is before the cut-off."""
    ends: dict[int, datetime] = dict(
        db.session.execute(select(Contest.id, Contest.closes_at).where(Contest.closes_at < cut.entries))
        .tuples()
        .all()
    )
    if not ends:
        return []
    later: list[tuple[int | None, datetime | None]] = []
    for column in (Round.closes_at, Round.published_at):
        later += db.session.execute(
            select(Round.contest_id, func.max(column))
            .where(Round.contest_id.in_(ends))
            .group_by(Round.contest_id)
        ).tuples()
    later += db.session.execute(
        select(Event.contest_id, func.max(Event.ends_at))
        .where(Event.contest_id.in_(ends))
        .group_by(Event.contest_id)
    ).tuples()
    for contest_id, moment in later:
        if contest_id is not None and moment is not None and moment > ends[contest_id]:
            ends[contest_id] = moment
    return sorted(cid for cid, end in ends.items() if end < cut.entries)


def _entries_due(contest_ids: list[int]) -> Select:
    marked = select(EntryEvent.id).where(EntryEvent.entry_id == Entry.id, EntryEvent.action == ENTRY_MARK)
    return select(Entry.id).where(Entry.contest_id.in_(contest_ids), ~exists(marked))


def _person_key(email: str, phone: str, name: str, birth: Any) -> str:
    # As the yearly report tells people apart when there is no account (annual_report._person_key).
    if email:
        return f"e{email}"
    if phone:
        return f"p{phone}"
    return f"n{fold(name)}|{birth}"


def _stand_ins(contest_ids: list[int]) -> dict[str, str]:
    """Person key → one stand-in address per person among the members still to be anonymised in
    these contests (all of the run's, so someone in two of a year's contests stays one person)."""
    rows = db.session.execute(
        select(TeamMember.id, TeamMember.email, TeamMember.phone, TeamMember.full_name, TeamMember.birth_date)
        .where(TeamMember.entry_id.in_(_entries_due(contest_ids)), TeamMember.user_id.is_(None))
        .order_by(TeamMember.id)
    ).tuples()
    found: dict[str, str] = {}
    for member_id, email, phone, name, birth in rows:
        found.setdefault(_person_key(email, phone, name, birth), f"an-danh-{member_id}{STAND_IN_DOMAIN}")
    return found


def _anonymise_entry(entry: Entry, stand_ins: dict[str, str]) -> list[Path]:
    names = {m.full_name for m in entry.members if m.full_name and len(m.full_name.split()) >= 2}
    for member in entry.members:
        if member.user_id is not None:
            email = ""  # the account tells the person apart
        elif member.email.endswith(STAND_IN_DOMAIN):
            email = member.email  # erased before, already a stand-in
        else:
            key = _person_key(member.email, member.phone, member.full_name, member.birth_date)
            email = stand_ins.get(key) or f"an-danh-{member.id}{STAND_IN_DOMAIN}"
        organisation = organisation_stand_in(member.organisation)
        anonymise_member(member, email)
        member.organisation = organisation
    entry.organisation = organisation_stand_in(entry.organisation)
    entry.commune_code = entry.commune_name = ""
    entry.title = without_names(entry.title, names)
    entry.summary = without_names(entry.summary, names)
    entry.answers = {
        k: without_names(v, names) if isinstance(v, str) else v for k, v in entry.answers.items()
    }
    for event in entry.history:
        if any(name in event.note for name in names):
            event.note = without_names(event.note, names)
    paths = [file_path(row) for row in entry.files]
    entry.files.clear()
    entry_history.refresh_search_text(entry)
    entry_history.add_history(entry, None, ENTRY_MARK, note=ENTRY_NOTE)
    return paths


def _anonymise_entries(contest_ids: list[int], counts: PurgeCounts) -> None:
    stand_ins = _stand_ins(contest_ids)
    for contest_id in contest_ids:
        while True:
            batch = list(
                db.session.scalars(
                    select(Entry)
                    .where(Entry.id.in_(_entries_due([contest_id]).order_by(Entry.id).limit(BATCH)))
                    .options(selectinload(Entry.history))
                )
            )
            if not batch:
                break
            paths: list[Path] = []
            for entry in batch:
                counts.members += len(entry.members)
                paths.extend(_anonymise_entry(entry, stand_ins))
            counts.entries += len(batch)
            counts.entry_files += len(paths)
            db.session.commit()
            for path in paths:  # only once committed: a rollback must find them intact
                delete_stored_file(path)


# --- the run ------------------------------------------------------------------------------------


def _dry_run(cut: Cutoffs, counts: PurgeCounts) -> None:
    for name, (model, condition) in _deletions(cut).items():
        setattr(counts, name, _count(select(model.id).where(condition)))
    event_ids = _old_events(cut)
    attendees = _attendees_due(event_ids)
    applications = _applications_due(event_ids)
    counts.attendees = _count(attendees)
    counts.tickets = _count(
        select(Ticket.id).where(Ticket.attendee_id.in_(attendees), Ticket.revoked_at.is_(None))
    )
    counts.booth_applications = _count(applications)
    counts.booth_photos = _count(select(BoothPhoto.id).where(BoothPhoto.application_id.in_(applications)))
    contest_ids = _old_contests(cut)
    due = _entries_due(contest_ids)
    counts.entries = _count(due)
    counts.members = _count(select(TeamMember.id).where(TeamMember.entry_id.in_(due)))
    counts.entry_files = _count(select(Entry.id).join(Entry.files).where(Entry.id.in_(due)))
    counts.events = _count(select(Attendee.event_id).where(Attendee.id.in_(attendees)).distinct())
    counts.contests = _count(select(Entry.contest_id).where(Entry.id.in_(due)).distinct())


def purge(*, dry_run: bool = False, now: datetime | None = None) -> tuple[PurgeCounts, Cutoffs]:
    """Apply the retention rules (or, with `dry_run`, only count what they would touch)."""
    now = now or utcnow()
    cut = cutoffs(now)
    counts = PurgeCounts()
    if dry_run:
        _dry_run(cut, counts)
        db.session.rollback()
        return counts, cut
    for name, (model, condition) in _deletions(cut).items():
        setattr(counts, name, _delete_in_batches(model, condition))
    event_ids = _old_events(cut)
    counts.events = _count(
        select(Attendee.event_id).where(Attendee.id.in_(_attendees_due(event_ids))).distinct()
    )
    _anonymise_attendees(event_ids, now, counts)
    _anonymise_applications(event_ids, counts)
    contest_ids = _old_contests(cut)
    counts.contests = _count(
        select(Entry.contest_id).where(Entry.id.in_(_entries_due(contest_ids))).distinct()
    )
    _anonymise_entries(contest_ids, counts)
    record(
        None,
        "retention.purge",
        "system",
        None,
        registrations_before=cut.registrations.isoformat(),
        entries_before=cut.entries.isoformat(),
        **counts.as_dict(),
    )
    db.session.commit()
    return counts, cut


def summary(counts: PurgeCounts, cut: Cutoffs, *, dry_run: bool) -> list[str]:
    """The run's counts, in Vietnamese, one line per kind of data."""
    c = counts
    deleted = (
        f"{c.tokens} mã xác thực tài khoản hết hạn, {c.sessions} phiên đăng nhập đã kết thúc hoặc hết hạn, "
        f"{c.login_attempts} lượt đăng nhập cũ, {c.invitations} thư mời giám khảo hết hạn"
    )
    registrations = (
        f"{c.attendees} lượt đăng ký của {c.events} sự kiện kết thúc trước {format_date(cut.registrations)} "
        f"({c.tickets} vé thu hồi), {c.booth_applications} hồ sơ gian hàng ({c.booth_photos} ảnh xoá)"
    )
    entries = (
        f"{c.entries} hồ sơ dự thi với {c.members} thành viên của {c.contests} cuộc thi kết thúc trước "
        f"{format_date(cut.entries)} ({c.entry_files} tệp xoá)"
    )
    if dry_run:
        return [
            "Chạy thử (--dry-run): không thay đổi gì.",
            f"Sẽ xoá: {deleted}.",
            f"Sẽ ẩn danh: {registrations}.",
            f"Sẽ ẩn danh: {entries}.",
        ]
    return [f"Đã xoá: {deleted}.", f"Đã ẩn danh: {registrations}.", f"Đã ẩn danh: {entries}."]
