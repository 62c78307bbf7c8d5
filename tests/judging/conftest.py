"""Judging test data: a contest with two tracks, screened entries with teams, an organiser and judges."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from app.contests.models import Contest, Entry, EntryStatus, TeamMember, Track
from app.extensions import db
from app.judging import services
from app.judging.models import Round
from tests.factories import contest_with_tracks


@dataclass
class World:
    contest: Contest
    tracks: list[Track]
    entries: list[Entry]
    organiser: object
    judges: list = field(default_factory=list)
    round: Round | None = None


TEAMS = [
    ("Máy sấy cá bằng năng lượng mặt trời", "Nguyễn Thị Hoa", "Hợp tác xã Nghĩa Hà", "21211"),
    ("Ứng dụng đặt tour Lý Sơn", "Trần Văn Bình", "Trường Đại học Phạm Văn Đồng", "21034"),
    ("Tỏi đen Lý Sơn đóng hộp", "Lê Thị Cúc", "Hội LHPN xã Bình Sơn", "21499"),
    ("Phân bón vi sinh từ bã mía", "Phạm Minh Đức", "Công ty TNHH Mía Việt", "21496"),
    ("Nhà kính thông minh trồng dưa lưới", "Võ Thị Én", "Đoàn thanh niên phường Trương Quang Trọng", "21211"),
    ("Gốm Mỹ Thiện online", "Đặng Văn Giang", "Làng gốm Mỹ Thiện", "21034"),
    ("Nước mắm Sa Huỳnh truy xuất nguồn gốc", "Bùi Thị Hạnh", "Hợp tác xã Sa Huỳnh", "21499"),
]


def make_entries(contest: Contest, tracks: list[Track], n: int = 6) -> list[Entry]:
    entries = []
    for i, (title, leader, org, commune) in enumerate(TEAMS[:n], start=1):
        entry = Entry(
            contest_id=contest.id,
            track_id=tracks[(i - 1) % 2].id,
            status=EntryStatus.ELIGIBLE.value,
            code=f"{contest.code_prefix}24-{i:04d}",
            code_number=i,
            title=title,
            field="Nông nghiệp",
            summary=f"Tóm tắt ý tưởng {title.lower()} của nhóm {leader}.",
            answers={"problem": f"Vấn đề mà {leader} muốn giải quyết.", "solution": "Giải pháp chi tiết."},
            organisation=org,
            commune_code=commune,
            commune_name=f"Xã {commune}",
        )
        entry.members.append(
            TeamMember(
                full_name=leader,
                is_leader=True,
                organisation=org,
                commune_code=commune,
                email=f"doi{i}@example.vn",
                phone="+8490555000" + str(i),
            )
        )
        entry.members.append(
            TeamMember(full_name=f"Thành viên {i} của {leader}", organisation=org, position=1)
        )
        db.session.add(entry)
        entries.append(entry)
    db.session.commit()
    return entries


@pytest.fixture
def world(app, make_user):
    """A contest, 6 eligible entries in two tracks, an organiser, 4 judges, and a round holding all."""
    contest, tracks = contest_with_tracks()
    entries = make_entries(contest, tracks)
    organiser = make_user("btc@example.vn", roles=("organiser",), name="Trần Thị Thu Hà")
    judges = [
        make_user(f"gk{i}@example.vn", roles=("judge",), name=name)
        for i, name in enumerate(["Nguyễn Minh Tuấn", "Lê Hoàng Nam", "Phan Thị Lan", "Hồ Văn Sơn"], start=1)
    ]
    round_ = services.create_round(
        organiser, contest, services.RoundSettings(name="Sơ khảo", judges_per_entry=2, blind=True)
    )
    services.add_entries(organiser, round_)
    for judge in judges:
        services.add_judge(organiser, round_, judge.email)
    return World(contest, tracks, entries, organiser, judges, round_)


FULL = {
    "doi_moi": "20",
    "thuong_mai_hoa": "15",
    "ke_hoach": "10",
    "dinh_huong": "8",
    "tac_dong": "12",
    "thuyet_trinh": "11",
}


def scores(**overrides) -> dict[str, str]:
    return {**FULL, **overrides}
