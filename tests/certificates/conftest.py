"""A contest with two prize-winning teams and a finalist team, a linked-less event with checked-in,
undone and never-checked-in attendees, and the people who may or may not touch them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from app.accounts import services as accounts
from app.accounts.models import User
from app.contests.models import Contest, ContestStaff, Entry, TeamMember
from app.events.models import Attendee, Checkin, Event, Ticket
from app.extensions import db
from app.judging.models import Round, RoundEntry, RoundResult
from app.localtime import utcnow
from tests.factories import contest_with_tracks


@dataclass
class World:
    contest: Contest
    other: Contest
    final: Round
    event: Event
    staff: User  # Sở staff: every contest and event
    co: User  # co-organiser of `other` only
    leader: User  # leads the Giải Nhất entry
    stranger: User  # an applicant with nothing here
    winner: Entry
    runner_up: Entry
    finalist: Entry
    attendees: list[Attendee]


def _entry(contest: Contest, code: str, title: str, leader: User | None, names: list[str]) -> Entry:
    entry = Entry(
        contest_id=contest.id,
        code=code,
        title=title,
        status="submitted",
        leader_id=leader.id if leader else None,
    )
    db.session.add(entry)
    db.session.flush()
    for i, name in enumerate(names):
        db.session.add(
            TeamMember(
                entry_id=entry.id,
                full_name=name,
                is_leader=i == 0,
                position=i,
                email=f"tv{entry.id}-{i}@example.vn",
                user_id=leader.id if (leader and i == 0) else None,
            )
        )
    db.session.flush()
    return entry


PASSWORD = "GaoLua2024"


def make_user(email: str, roles=("applicant",), name: str = "Nguyễn Văn An") -> User:
    user = None
    for role in roles:
        user, _ = accounts.create_user(email, role, password=PASSWORD, full_name=name)
    assert user is not None
    return user


@pytest.fixture
def world(app) -> World:
    return build_world()


def build_world() -> World:
    """The data every certificate test starts from (committed), in the current app context."""
    staff = make_user("so@example.vn", roles=("organiser",), name="Cán bộ Sở")
    co = make_user("co@example.vn", roles=("organiser",), name="Đồng tổ chức")
    leader = make_user("nhung@example.vn", name="Nguyễn Thị Hồng Nhung")
    stranger = make_user("la@example.vn", name="Người Lạ")
    contest, _ = contest_with_tracks(name="Cuộc thi Khởi nghiệp đổi mới sáng tạo tỉnh Quảng Ngãi 2026")
    other, _ = contest_with_tracks(slug="cuoc-thi-khac", prefix="KH", name="Cuộc thi khác")
    db.session.add(ContestStaff(contest_id=other.id, user_id=co.id, role="organiser"))
    winner = _entry(
        contest,
        "KT-001",
        "Máy sấy nông sản năng lượng mặt trời",
        leader,
        ["Nguyễn Thị Hồng Nhung", "Đặng Quốc Bảo", "Trương Thị Ý"],
    )
    runner_up = _entry(
        contest, "KT-002", "Ứng dụng truy xuất nguồn gốc tỏi Lý Sơn", None, ["Lê Văn Tám", "Phạm Thu Hà"]
    )
    finalist = _entry(contest, "KT-003", "Gạch không nung từ tro trấu", None, ["Huỳnh Ngọc Ánh"])
    now = utcnow()
    final = Round(contest_id=contest.id, position=2, name="Vòng chung kết", published_at=now)
    unpublished = Round(contest_id=contest.id, position=3, name="Vòng chưa công bố")
    db.session.add_all([final, unpublished])
    db.session.flush()
    for entry in (winner, runner_up, finalist):
        db.session.add(RoundEntry(round_id=final.id, entry_id=entry.id))
    db.session.add_all(
        [
            RoundResult(round_id=final.id, entry_id=winner.id, rank=1, prize="Giải Nhất"),
            RoundResult(round_id=final.id, entry_id=runner_up.id, rank=2, prize="Giải Nhì"),
            RoundResult(round_id=final.id, entry_id=finalist.id, rank=3, prize=""),
            # A prize in a round not yet published is not a prize yet.
            RoundResult(round_id=unpublished.id, entry_id=finalist.id, rank=1, prize="Giải Ba"),
        ]
    )
    event = Event(
        slug="ngay-hoi",
        name="Ngày hội Khởi nghiệp Quảng Ngãi 2026",
        starts_at=now - timedelta(hours=3),
        ends_at=now - timedelta(hours=1),
    )
    db.session.add(event)
    db.session.flush()
    attendees = []
    for i, (name, email) in enumerate(
        [
            ("Võ Thị Sáu", "sau@example.vn"),
            ("Đỗ Văn Ấn", None),
            ("Bùi Thị Xuân", "xuan@example.vn"),
            ("Ngô Quyền", "q@example.vn"),
        ]
    ):
        attendee = Attendee(event_id=event.id, full_name=name, email=email, category="Khách tham quan")
        db.session.add(attendee)
        db.session.flush()
        ticket = Ticket(event_id=event.id, attendee_id=attendee.id, code=f"ticket-{i:04d}-xxxxxxxxxxxxxxxx")
        db.session.add(ticket)
        db.session.flush()
        if i < 3:  # the fourth never came
            db.session.add(
                Checkin(
                    event_id=event.id,
                    ticket_id=ticket.id,
                    attendee_id=attendee.id,
                    undone_at=now if i == 2 else None,  # the third's check-in was a mistake, undone
                )
            )
        attendees.append(attendee)
    db.session.commit()
    return World(
        contest, other, final, event, staff, co, leader, stranger, winner, runner_up, finalist, attendees
    )
