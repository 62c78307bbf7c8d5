"""Export test data: a 2024 contest with teams whose names test the Vietnamese sort, a scored round,
an event with registrations and check-ins at two gates, consents, a data request, organisers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest

from app.contests.models import Contest, ContestStaff, Entry, EntryStatus, TeamMember, Track
from app.events.models import Attendee, Checkin, Event, Ticket
from app.extensions import db
from app.judging import services as judging
from app.judging.models import Round
from app.privacy.models import Consent, DataRequest
from tests.factories import contest_with_tracks

# (title, leader, sex, birth, organisation, commune, district, ethnicity, field, track index)
TEAMS = [
    ("Máy sấy cá năng lượng mặt trời", "Lê Văn Đức", "nam", date(1995, 4, 2), "Hợp tác xã Nghĩa Hà", "Kinh"),
    ("=1+1 Tỏi đen Lý Sơn", "Trần Thị Bình", "nu", date(2000, 1, 9), "Hội LHPN xã Bình Sơn", "Kinh"),
    (
        "Ứng dụng đặt tour Lý Sơn",
        "Nguyễn Văn Anh",
        "nam",
        date(1990, 7, 30),
        "Trường Đại học Phạm Văn Đồng",
        "Kinh",
    ),
    ("@SUM(A1) Phân bón vi sinh", "Phạm Thị Ân", "nu", date(1985, 3, 3), "Công ty TNHH Mía Việt", "Hrê"),
    (
        "Nhà kính dưa lưới",
        "Võ Minh Dũng",
        "nam",
        date(2003, 12, 1),
        "Đoàn thanh niên phường Cẩm Thành",
        "Kinh",
    ),
    ("Gốm Mỹ Thiện online", "Hồ Thị Ánh", "nu", date(1999, 5, 5), "", "Kinh"),
]
FIELDS = ["Nông nghiệp", "Du lịch", "Nông nghiệp", "Môi trường", "Nông nghiệp", "Khác"]
CONTEST_FIELDS = ("Nông nghiệp", "Du lịch", "Môi trường", "Khác")


@dataclass
class World:
    contest: Contest
    tracks: list[Track]
    entries: list[Entry]
    organiser: object
    judges: list
    round: Round
    event: Event
    attendees: list[Attendee] = field(default_factory=list)
    co_organiser: object = None
    other_contest: Contest | None = None


def _consent(kind: str, subject_id: int, granted: bool = True) -> None:
    db.session.add(
        Consent(
            subject_kind=kind,
            subject_id=subject_id,
            purpose="sensitive_stats",
            granted=granted,
            notice_version="2026-01",
        )
    )


@pytest.fixture
def world(app, make_user):
    contest, tracks = contest_with_tracks(
        "y-tuong-2024", "YT", "Cuộc thi tìm kiếm ý tưởng KNĐMST năm 2024", fields=CONTEST_FIELDS
    )
    entries = []
    for i, (title, leader, sex, birth, org, ethnicity) in enumerate(TEAMS, start=1):
        entry = Entry(
            contest_id=contest.id,
            track_id=tracks[(i - 1) % 2].id,
            status=EntryStatus.ELIGIBLE.value,
            code=f"YT24-{i:04d}",
            code_number=i,
            title=title,
            field=FIELDS[i - 1],
            organisation=org,
            commune_code="21211" if i % 2 else "21034",
            commune_name="Phường Cẩm Thành" if i % 2 else "Xã Bình Sơn",
            submitted_at=datetime(2024, 5, 20 + i, 3, 0, tzinfo=UTC),
            startup_registered_on=date(2022, 1, 1) if i == 2 else None,
            is_paper=i == 6,
        )
        entry.members.append(
            TeamMember(
                full_name=leader,
                is_leader=True,
                sex=sex,
                birth_date=birth,
                organisation=org,
                commune_name=entry.commune_name,
                district_name="Thành phố Quảng Ngãi" if i % 2 else "Huyện Bình Sơn",
                email=f"doi{i}@example.vn",
                phone=f"+8490555000{i}",
                ethnicity=ethnicity,
            )
        )
        entry.members.append(
            TeamMember(
                full_name=f"Đặng Văn Thành Viên {i}",
                position=1,
                sex="nam",
                birth_date=date(2008, 1, 1) if i == 1 else date(1998, 1, 1),
                organisation=org,
                ethnicity="Kinh",
            )
        )
        db.session.add(entry)
        entries.append(entry)
    # A draft and a withdrawn entry: never counted, never exported as entries.
    db.session.add(Entry(contest_id=contest.id, status=EntryStatus.DRAFT.value, title="Bản nháp chưa nộp"))
    db.session.flush()
    for entry in entries:  # every leader consents to ethnicity statistics except the last one
        _consent("team_member", entry.members[0].id, granted=entry is not entries[-1])
    db.session.commit()

    organiser = make_user("btc@example.vn", roles=("organiser",), name="Trần Thị Thu Hà")
    judges = [
        make_user(f"gk{i}@example.vn", roles=("judge",), name=name)
        for i, name in enumerate(["Nguyễn Minh Tuấn", "Lê Hoàng Nam", "Phan Thị Lan"], start=1)
    ]
    round_ = judging.create_round(
        organiser, contest, judging.RoundSettings(name="Sơ khảo", judges_per_entry=3, top_n=2)
    )
    judging.add_entries(organiser, round_)
    for judge in judges:
        judging.add_judge(organiser, round_, judge.email)
    for judge in judges:
        for entry in entries:
            judging.assign_judge(organiser, round_, judge.id, entry.id)
    rubric = judging.rubric_of(round_)
    for j, judge in enumerate(judges):
        for i, entry in enumerate(entries):
            if i == 5 and j == 2:
                continue  # one sheet left unsubmitted
            sheet = judging.get_sheet_for_judge(judge, round_.id, entry.id)
            values = {c.id: str(max(1, int(c.high) - i - j)) for c in rubric.criteria}
            judging.save_sheet(judge, sheet, values, {}, "", sheet.version, submit=True)

    # A co-organiser (Tỉnh đoàn) of another contest only.
    other, _ = contest_with_tracks(
        "phu-nu-2024", "PN", "Ngày hội phụ nữ khởi nghiệp 2024", fields=CONTEST_FIELDS
    )
    co = make_user("tinhdoan@example.vn", roles=("organiser",), name="Bùi Văn Đoàn")
    db.session.add(ContestStaff(contest_id=other.id, user_id=co.id, role="organiser"))

    event = Event(
        slug="ngay-hoi-2024",
        name="Ngày hội KNĐMST tỉnh Quảng Ngãi năm 2024",
        venue="Quảng trường Phạm Văn Đồng",
        starts_at=datetime(2024, 5, 18, 0, 0, tzinfo=UTC),
        ends_at=datetime(2024, 5, 18, 10, 0, tzinfo=UTC),
        capacity=100,
        registered_count=0,
        gates=["Cổng A", "Cổng B"],
    )
    db.session.add(event)
    db.session.flush()
    names = ["Trần Thị Bình", "Lê Văn Đức", "Nguyễn Văn Anh", "Hồ Thị Ánh", "Phạm Thị Ân"]
    attendees = []
    for i, name in enumerate(names, start=1):
        attendee = Attendee(
            event_id=event.id,
            full_name=name,
            phone=f"+8491200000{i}",
            organisation="Công ty Cổ phần ABC" if i % 2 else "-Sở KH&CN",
            category="Khách tham quan",
            source="web",
            created_at=datetime(2024, 5, 10, 2, i, tzinfo=UTC),
        )
        db.session.add(attendee)
        db.session.flush()
        ticket = Ticket(event_id=event.id, attendee_id=attendee.id, code=f"code-{i:04d}-xxxxxxxxxxxx")
        db.session.add(ticket)
        db.session.flush()
        if i <= 3:
            db.session.add(
                Checkin(
                    event_id=event.id,
                    ticket_id=ticket.id,
                    attendee_id=attendee.id,
                    at=datetime(2024, 5, 18, 1 + i // 2, 10 * i, tzinfo=UTC),
                    gate="Cổng A" if i != 2 else "Cổng B",
                    staff_id=organiser.id,
                )
            )
        attendees.append(attendee)
    event.registered_count = len(names)
    now = datetime.now(UTC)
    db.session.add(
        DataRequest(
            requester_name="Nguyễn Văn Anh",
            requester_email="anh@example.vn",
            kind="copy",
            details="=cmd|' /C calc'!A0",
            status="open",
            created_at=now - timedelta(days=5),
            due_at=now - timedelta(days=2),
        )
    )
    db.session.commit()
    return World(contest, tracks, entries, organiser, judges, round_, event, attendees, co, other)
