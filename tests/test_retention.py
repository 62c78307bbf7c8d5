"""`flask retention purge` (app/admin/retention.py): what the privacy notices promise is deleted or
anonymised when its period is over, a day inside the period is kept, and the yearly report's counts
do not move."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.accounts.models import AccountToken, LoginAttempt, UserSession
from app.admin import retention
from app.agenda.models import EventSession, SessionCheckin, SessionRegistration
from app.audit.models import AuditEvent
from app.booths.models import BoothApplication, BoothPhoto
from app.booths.photos import photo_path
from app.contests.files import file_path
from app.contests.models import Entry, EntryEvent, EntryFile, TeamMember
from app.events.models import Attendee, Checkin, Event, Scan, Ticket
from app.exports.annual_report import (
    ORGANISATION_TYPE_OTHER,
    ORGANISATION_TYPES,
    organisation_type,
    report_export,
    year_data,
)
from app.extensions import db
from app.judging.models import JudgeInvitation, Round
from app.localtime import utcnow
from app.privacy.registry import ERASED
from tests.factories import contest_with_tracks

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=["retention", "purge", *args])


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_every_organisation_type_has_a_stand_in_of_that_type():
    for label in [*(label for label, _ in ORGANISATION_TYPES), ORGANISATION_TYPE_OTHER]:
        assert organisation_type(retention.ORGANISATION_STAND_INS[label]) == label
    assert retention.organisation_stand_in("Hộ kinh doanh Nguyễn Văn Ba") == "Khác (đã ẩn danh)"
    assert retention.organisation_stand_in("") == ""


# --- tokens, sessions, login attempts, invitations ---------------------------------------------


def test_expired_tokens_sessions_attempts_and_invitations_are_deleted_after_the_grace(app, make_user):
    user = make_user()
    now = utcnow()
    edge = now - timedelta(days=30)
    for n, expires in enumerate([edge + HOUR, edge - HOUR]):
        db.session.add(
            AccountToken(
                user_id=user.id,
                purpose="reset_password",
                token_hash=f"t{n}".ljust(64, "0"),
                expires_at=expires,
            )
        )
    open_edge = now - timedelta(days=365 + 30)
    sessions = {
        "ended-inside": dict(created_at=edge - DAY, ended_at=edge + HOUR),
        "ended-outside": dict(created_at=edge - DAY, ended_at=edge - HOUR),
        "open-inside": dict(created_at=open_edge + HOUR, ended_at=None),
        "open-outside": dict(created_at=open_edge - HOUR, ended_at=None),
    }
    for key, times in sessions.items():
        db.session.add(UserSession(user_id=user.id, key_hash=key.ljust(64, "0"), **times))
    for at in (edge + HOUR, edge - HOUR):
        db.session.add(LoginAttempt(email="a@example.vn", ip="10.0.0.1", succeeded=False, at=at))
    contest, _ = contest_with_tracks()
    round_ = Round(contest_id=contest.id, position=1, name="Sơ khảo")
    db.session.add(round_)
    db.session.flush()
    invitations = {
        "inside": dict(expires_at=edge + HOUR),
        "outside": dict(expires_at=edge - HOUR),
        "revoked-outside": dict(expires_at=edge - HOUR, revoked_at=edge - DAY),
        "accepted-long-ago": dict(expires_at=edge - DAY * 90, accepted_at=edge - DAY * 95, user_id=user.id),
    }
    for key, fields in invitations.items():
        db.session.add(
            JudgeInvitation(
                round_id=round_.id,
                email=f"{key}@example.vn",
                full_name="Trần Thị Bình",
                token_hash=key.ljust(64, "0"),
                **fields,
            )
        )
    db.session.commit()

    answer = invoke(app)

    assert answer.exit_code == 0, answer.output
    assert list(db.session.scalars(select(AccountToken.expires_at))) == [edge + HOUR]
    assert sorted(k.rstrip("0") for k in db.session.scalars(select(UserSession.key_hash))) == [
        "ended-inside",
        "open-inside",
    ]
    assert list(db.session.scalars(select(LoginAttempt.at))) == [edge + HOUR]
    assert sorted(db.session.scalars(select(JudgeInvitation.email))) == [
        "accepted-long-ago@example.vn",
        "inside@example.vn",
    ]
    assert "Đã xoá: 1 mã xác thực tài khoản hết hạn, 2 phiên đăng nhập" in answer.output
    assert "1 lượt đăng nhập cũ, 2 thư mời giám khảo hết hạn" in answer.output


def test_login_attempts_the_throttling_window_still_counts_are_never_deleted(app):
    app.config.update(RETENTION_TOKEN_DAYS=0, LOGIN_FAILURE_WINDOW_MINUTES=15)
    now = utcnow()
    for minutes in (10, 20):
        db.session.add(
            LoginAttempt(
                email="a@example.vn", ip="10.0.0.1", succeeded=False, at=now - timedelta(minutes=minutes)
            )
        )
    db.session.commit()
    retention.purge()
    assert [a.at for a in db.session.scalars(select(LoginAttempt))] == [now - timedelta(minutes=10)]


# --- registrations, booths, entries ------------------------------------------------------------


@pytest.fixture
def old_data(app, make_user):
    """Two events and two contests on each side of their periods, with files on disk."""
    now = utcnow()
    user = make_user("truong.nhom@example.vn", name="Lê Văn Cường")
    events = {}
    reg_edge = retention.years_before(now, 2)
    for key, ends in (("kept", reg_edge + DAY), ("old", reg_edge - DAY)):
        event = Event(slug=f"su-kien-{key}", name=f"Ngày hội {key}", starts_at=ends - HOUR * 8, ends_at=ends)
        db.session.add(event)
        db.session.flush()
        session = EventSession(
            event_id=event.id, title="Tọa đàm", starts_at=ends - HOUR * 4, ends_at=ends - HOUR * 3
        )
        db.session.add(session)
        db.session.flush()
        people = [
            ("Phạm Thị Dung", "+84905000001", "dung@example.vn", "Hộ kinh doanh Phạm Thị Dung"),
            ("Võ Văn Em", "+84905000002", None, "Trường THPT Lê Khiết"),
            ("Đặng Thị Giang", None, None, ""),
        ]
        for n, (name, phone, email, org) in enumerate(people):
            attendee = Attendee(
                event_id=event.id,
                full_name=name,
                phone=phone,
                email=email,
                organisation=org,
                category="Khách tham quan",
                group_name="Đoàn Tỉnh đoàn",
                search_text=name.lower(),
            )
            db.session.add(attendee)
            db.session.flush()
            ticket = Ticket(event_id=event.id, attendee_id=attendee.id, code=f"{key}-{n}")
            db.session.add(ticket)
            db.session.flush()
            if n < 2:  # two came
                db.session.add(
                    Checkin(event_id=event.id, ticket_id=ticket.id, attendee_id=attendee.id, scan_id=f"s{n}")
                )
                db.session.add(
                    Scan(
                        event_id=event.id,
                        scan_id=f"s{n}",
                        result="ok",
                        response={"attendee": {"id": attendee.id, "name": name, "organisation": org}},
                    )
                )
                db.session.add(SessionRegistration(session_id=session.id, attendee_id=attendee.id))
                db.session.add(
                    SessionCheckin(
                        session_id=session.id,
                        event_id=event.id,
                        ticket_id=ticket.id,
                        attendee_id=attendee.id,
                        scan_id=f"r{n}",
                    )
                )
        application = BoothApplication(
            event_id=event.id,
            user_id=user.id,
            organisation="Hộ kinh doanh Phạm Thị Dung",
            org_kind="household",
            tax_code="4300123456",
            products="Mạch nha Thi Phổ",
            contact_name="Phạm Thị Dung",
            contact_phone="+84905000001",
            contact_email="dung@example.vn",
            status="accepted",
        )
        db.session.add(application)
        db.session.flush()
        photo = BoothPhoto(
            application_id=application.id,
            stored_name=f"{key}0000000000000000000000000000.jpg",
            original_name="Ảnh.jpg",
            kind="jpg",
            size=3,
            sha256="0" * 64,
        )
        db.session.add(photo)
        db.session.flush()
        path = photo_path(photo)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"jpg")
        events[key] = event

    contests = {}
    entry_edge = retention.years_before(now, 5)
    # "late": its deadline is past the period, but its final round closed inside it.
    # "old" and "old2" make up the programme year before (Contest.year): the year that is anonymised.
    for key, prefix, year, closes, round_closes in (
        ("kept", "KKE", entry_edge.year, entry_edge + DAY, None),
        ("late", "KLA", entry_edge.year, entry_edge - DAY * 30, entry_edge + DAY),
        ("old", "KOL", entry_edge.year - 1, entry_edge - DAY, entry_edge - DAY * 2),
        ("old2", "KOM", entry_edge.year - 1, entry_edge - DAY * 10, None),
    ):
        contest, tracks = contest_with_tracks(
            slug=f"cuoc-thi-{key}",
            prefix=prefix,
            name=f"Cuộc thi {key}",
            year=year,
            opens_at=closes - DAY * 60,
            closes_at=closes,
        )
        if round_closes:
            db.session.add(Round(contest_id=contest.id, position=1, name="Chung kết", closes_at=round_closes))
        for n in range(2):
            entry = Entry(
                contest_id=contest.id,
                track_id=tracks[0].id,
                leader_id=user.id if n == 0 else None,
                status="awarded" if n == 0 else "eligible",
                code=f"{prefix}-{n + 1:04d}",
                code_number=n + 1,
                title=f"Mạch nha của Lê Văn Cường {n}" if n == 0 else "Du lịch cộng đồng",
                organisation="Hộ kinh doanh Lê Văn Cường" if n == 0 else "Trường Đại học Phạm Văn Đồng",
                commune_code="21000",
                commune_name="Phường Cẩm Thành",
                search_text="x",
            )
            db.session.add(entry)
            db.session.flush()
            members = [
                TeamMember(
                    entry_id=entry.id,
                    user_id=user.id if n == 0 else None,
                    is_leader=True,
                    full_name="Lê Văn Cường" if n == 0 else "Huỳnh Thị Hoa",
                    birth_date=date(2000, 1, 2),
                    sex="nam",
                    phone="+84905111111",
                    email="truong.nhom@example.vn" if n == 0 else "hoa@example.vn",
                    organisation="Hộ kinh doanh Lê Văn Cường",
                    commune_code="21000",
                    commune_name="Phường Cẩm Thành",
                    ethnicity="Kinh",
                ),
                # Same person in both entries (no account, no email: the phone tells her apart).
                TeamMember(entry_id=entry.id, full_name="Nguyễn Thị Kim", phone="+84905222222", position=1),
                # Two different people with neither email nor phone.
                TeamMember(
                    entry_id=entry.id,
                    full_name=f"Trần Văn Long {n}",
                    birth_date=date(1999, 5, n + 1),
                    position=2,
                ),
            ]
            db.session.add_all(members)
            row = EntryFile(
                entry_id=entry.id,
                slot_key="thuyet_minh",
                stored_name=f"{key}{n}".ljust(32, "a") + ".pdf",
                original_name="Thuyết minh Lê Văn Cường.pdf",
                kind="pdf",
                size=3,
                sha256="0" * 64,
            )
            db.session.add(row)
            db.session.flush()
            path = file_path(row)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"pdf")
        contests[key] = contest
    db.session.commit()
    return {"events": events, "contests": contests, "now": now}


def _report(year: int) -> dict:
    data = year_data(year)
    sheets = {
        sheet.name: ([list(r) for r in sheet.rows], list(sheet.totals or []))
        for sheet in report_export(year).sheets
        # Not the sheets by sex, age, commune or ethnicity: those are the personal data that goes.
        if sheet.name
        in {
            "Theo cuộc thi",
            "Theo bảng",
            "Theo lĩnh vực",
            "Theo loại đơn vị",
            "Sự kiện",
            "Người dự theo đơn vị",
        }
    }
    return {
        "entries": len(data.entries),
        "contests": len(data.contests),
        "events": len(data.events),
        **sheets,
    }


def _snapshot() -> dict:
    """Every row and column of the tables the purge may touch."""
    tables = [
        Attendee,
        Ticket,
        Scan,
        SessionCheckin,
        BoothApplication,
        BoothPhoto,
        Entry,
        TeamMember,
        EntryFile,
        EntryEvent,
        AuditEvent,
    ]
    db.session.expire_all()
    return {
        model.__tablename__: sorted(
            (tuple(str(v) for v in row) for row in db.session.execute(select(model.__table__)).tuples()),
        )
        for model in tables
    }


def test_registrations_and_entries_past_their_period_are_anonymised_the_rest_kept(app, old_data):
    years = {c.year for c in old_data["contests"].values()} | {
        e.starts_at.year for e in old_data["events"].values()
    }
    before = {year: _report(year) for year in years}
    uploads = {
        key: [
            file_path(f)
            for e in db.session.scalars(select(Entry).where(Entry.contest_id == c.id))
            for f in e.files
        ]
        for key, c in old_data["contests"].items()
    }
    photos = {
        key: [
            photo_path(p)
            for p in db.session.scalars(
                select(BoothPhoto).join(BoothApplication).where(BoothApplication.event_id == ev.id)
            )
        ]
        for key, ev in old_data["events"].items()
    }

    answer = invoke(app)

    assert answer.exit_code == 0, answer.output
    assert "3 lượt đăng ký của 1 sự kiện" in answer.output
    assert "(3 vé thu hồi), 1 hồ sơ gian hàng (1 ảnh xoá)" in answer.output
    assert "4 hồ sơ dự thi với 12 thành viên của 2 cuộc thi" in answer.output
    assert "(4 tệp xoá)" in answer.output
    db.session.expire_all()

    # Registrations of the old event: anonymous, tickets revoked, scans scrubbed; counts kept.
    old, kept = old_data["events"]["old"], old_data["events"]["kept"]
    gone = list(db.session.scalars(select(Attendee).where(Attendee.event_id == old.id).order_by(Attendee.id)))
    assert {a.full_name for a in gone} == {retention.ATTENDEE_NAME}
    assert all(a.phone is None and a.email is None for a in gone)
    assert [a.organisation for a in gone] == ["Khác (đã ẩn danh)", "Trường học, viện (đã ẩn danh)", ""]
    assert {a.group_name for a in gone} == {"Đoàn Tỉnh đoàn"}
    assert all("dung" not in a.search_text and "em" not in a.search_text.split() for a in gone)
    assert all(t.revoked_at is not None for a in gone for t in a.tickets)
    assert count(select(Checkin).where(Checkin.event_id == old.id).subquery()) == 2
    for scan in db.session.scalars(select(Scan).where(Scan.event_id == old.id)):
        assert scan.response["attendee"]["name"] == ERASED
    assert not any(
        db.session.scalars(select(SessionCheckin.scan_id).where(SessionCheckin.event_id == old.id))
    )
    assert count(select(SessionRegistration).subquery()) == 4
    application = db.session.scalar(select(BoothApplication).where(BoothApplication.event_id == old.id))
    assert (
        application.contact_name == ERASED
        and application.contact_phone is None
        and application.contact_email is None
    )
    assert application.tax_code == "" and application.photos == [] and application.status == "accepted"
    assert application.organisation == retention.HOUSEHOLD_NAME and application.products == "Mạch nha Thi Phổ"
    assert not any(p.exists() for p in photos["old"])

    # One day inside the period: untouched.
    still = list(
        db.session.scalars(select(Attendee).where(Attendee.event_id == kept.id).order_by(Attendee.id))
    )
    assert [a.full_name for a in still] == ["Phạm Thị Dung", "Võ Văn Em", "Đặng Thị Giang"]
    assert all(t.revoked_at is None for a in still for t in a.tickets)
    assert (
        db.session.scalar(select(BoothApplication.contact_name).where(BoothApplication.event_id == kept.id))
        == "Phạm Thị Dung"
    )
    assert all(p.exists() for p in photos["kept"])

    # Entries of the old contest: members anonymous, files gone; codes, titles, states kept.
    for key in ("kept", "late"):
        contest = old_data["contests"][key]
        names = set(
            db.session.scalars(select(TeamMember.full_name).join(Entry).where(Entry.contest_id == contest.id))
        )
        assert (
            "Huỳnh Thị Hoa" in names
            and count(select(EntryFile).join(Entry).where(Entry.contest_id == contest.id).subquery()) == 2
        )
        assert all(p.exists() for p in uploads[key])
    contest = old_data["contests"]["old"]
    entries = list(db.session.scalars(select(Entry).where(Entry.contest_id == contest.id).order_by(Entry.id)))
    assert [e.code for e in entries] == ["KOL-0001", "KOL-0002"]
    assert [e.status for e in entries] == ["awarded", "eligible"]
    assert [e.title for e in entries] == [f"Mạch nha của {ERASED} 0", "Du lịch cộng đồng"]
    assert [e.organisation for e in entries] == ["Khác (đã ẩn danh)", "Trường học, viện (đã ẩn danh)"]
    assert all(e.commune_name == "" and e.files == [] for e in entries)
    assert all(e.history[-1].action == retention.ENTRY_MARK for e in entries)
    assert not any(p.exists() for p in uploads["old"] + uploads["old2"])
    for member in (m for e in entries for m in e.members):
        assert member.full_name == ERASED and member.birth_date is None and member.phone == ""
        assert member.sex == member.ethnicity == member.commune_name == ""
        assert member.email == "" if member.user_id else member.email.endswith("@xoa.invalid")
        assert "cuong" not in entries[0].search_text and "hoa@" not in entries[1].search_text

    # The yearly report counts the same entries, people, registrations and check-ins.
    assert {year: _report(year) for year in years} == before

    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention.purge"))
    assert audit.actor_id is None and audit.details["attendees"] == 3 and audit.details["entry_files"] == 4


def test_a_second_run_changes_nothing(app, old_data):
    assert invoke(app).exit_code == 0
    first = _snapshot()
    answer = invoke(app)
    assert answer.exit_code == 0, answer.output
    assert "Đã ẩn danh: 0 lượt đăng ký của 0 sự kiện" in answer.output
    assert "0 hồ sơ dự thi với 0 thành viên của 0 cuộc thi" in answer.output
    second = _snapshot()
    # Only the second run's own audit row is new.
    assert len(second.pop("audit_events")) == len(first.pop("audit_events")) + 1
    assert second == first


def test_dry_run_counts_and_changes_nothing(app, old_data, make_user):
    user = make_user("x@example.vn")
    db.session.add(
        AccountToken(
            user_id=user.id, purpose="verify_email", token_hash="d" * 64, expires_at=utcnow() - DAY * 31
        )
    )
    db.session.commit()
    files = sorted(p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file())
    before = _snapshot()

    answer = invoke(app, "--dry-run")

    assert answer.exit_code == 0, answer.output
    assert answer.output.splitlines()[0] == "Chạy thử (--dry-run): không thay đổi gì."
    assert "Sẽ xoá: 1 mã xác thực tài khoản hết hạn" in answer.output
    assert "Sẽ ẩn danh: 3 lượt đăng ký của 1 sự kiện" in answer.output
    assert "(3 vé thu hồi), 1 hồ sơ gian hàng (1 ảnh xoá)" in answer.output
    assert (
        "4 hồ sơ dự thi với 12 thành viên của 2 cuộc thi" in answer.output and "(4 tệp xoá)" in answer.output
    )
    assert _snapshot() == before
    assert count(select(AccountToken).subquery()) == 1
    assert sorted(p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()) == files

    # What the dry run announced is what a real run then does.
    real = invoke(app)
    assert real.output.replace("Đã ", "Sẽ ").splitlines() == answer.output.splitlines()[1:]


def test_the_periods_are_settings(app, old_data):
    app.config.update(RETENTION_REGISTRATION_YEARS=10, RETENTION_ENTRY_YEARS=10)
    counts, _ = retention.purge()
    assert counts.attendees == counts.entries == counts.booth_applications == 0
    app.config.update(RETENTION_REGISTRATION_YEARS=1, RETENTION_ENTRY_YEARS=1)
    counts, _ = retention.purge()
    assert counts.attendees == 6 and counts.entries == 8


def test_years_before_handles_29_february():
    assert retention.years_before(datetime(2028, 2, 29, 5), 2) == datetime(2026, 2, 28, 5)
