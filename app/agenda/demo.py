"""Demo programmes of sessions (`seed-demo`): three upcoming sessions of the Chợ phiên 2026 (made through
the services), and Ngày hội KNĐMST 2024: eight sessions in three rooms,
with registrations, a waitlist and a few room check-ins. The festival is over, so the rows are
written as they stood that day (the services refuse a past session). Idempotent: a festival that
already has sessions is left as it is."""

from __future__ import annotations

from datetime import datetime, timedelta

import click
from sqlalchemy import func, select

from app.accounts.models import User
from app.agenda import services
from app.agenda.models import EventSession, SessionCheckin, SessionRegistration
from app.events.demo import FESTIVAL, ORGANISER_EMAIL, UPCOMING
from app.events.models import Attendee, DeviceToken, Event, Ticket
from app.extensions import db
from app.localtime import local_to_utc, to_local

HALL, ROOM_B, DEMO_AREA = "Hội trường A", "Phòng hội thảo B", "Khu trải nghiệm công nghệ"

# (title, kind, start, end, room, speakers, capacity, registration needed, registered, waiting, present)
SESSIONS = [
    (
        "Khai mạc Ngày hội",
        "opening",
        (7, 30),
        (8, 15),
        HALL,
        "Lãnh đạo UBND tỉnh Quảng Ngãi\nGiám đốc Sở Khoa học và Công nghệ",
        None,
        False,
        0,
        0,
        12,
    ),
    (
        "Tọa đàm kết nối đầu tư cho khởi nghiệp đổi mới sáng tạo",
        "talk",
        (8, 30),
        (10, 0),
        HALL,
        "Nguyễn Văn Bình – Giám đốc Quỹ đầu tư khởi nghiệp\nLê Thị Hoa – nhà sáng lập Mía đường sạch Sơn Tịnh",
        40,
        True,
        40,
        6,
        8,
    ),
    (
        "Hội thảo chuyển đổi số cho hợp tác xã",
        "seminar",
        (8, 30),
        (10, 0),
        ROOM_B,
        "Trần Quốc Huy – Phó Giám đốc Trung tâm chuyển đổi số tỉnh",
        30,
        True,
        18,
        0,
        6,
    ),
    (
        "Trải nghiệm công nghệ AR/VR",
        "demo",
        (8, 30),
        (11, 30),
        DEMO_AREA,
        "Câu lạc bộ Sáng tạo trẻ Trường ĐH Phạm Văn Đồng",
        25,
        False,
        0,
        0,
        10,
    ),
    (
        "Gọi vốn: 6 dự án trình bày trước nhà đầu tư",
        "pitching",
        (10, 15),
        (11, 45),
        HALL,
        "Ban giám khảo Cuộc thi KNĐMST lần thứ 5",
        60,
        True,
        35,
        0,
        7,
    ),
    (
        "Tập huấn: xây dựng thương hiệu sản phẩm OCOP",
        "workshop",
        (13, 30),
        (15, 0),
        ROOM_B,
        "Phạm Thị Thu – chuyên viên Sở Công Thương",
        30,
        True,
        12,
        0,
        4,
    ),
    (
        "Trải nghiệm in 3D và robot giáo dục",
        "demo",
        (13, 30),
        (16, 0),
        DEMO_AREA,
        "Nhóm STEM Trường THPT chuyên Lê Khiết",
        None,
        False,
        0,
        0,
        5,
    ),
    (
        "Tọa đàm: phụ nữ khởi nghiệp từ nông sản địa phương",
        "talk",
        (15, 15),
        (16, 30),
        HALL,
        "Võ Thị Ngọc – Hội Liên hiệp Phụ nữ tỉnh",
        50,
        True,
        22,
        0,
        3,
    ),
]


def _local(hour_minute: tuple[int, int]) -> datetime:
    return local_to_utc(datetime(2024, 5, 18, *hour_minute))


# The upcoming Chợ phiên 2026 (through the services, as an organiser would): (title, kind, start
# minutes after the doors open, length in minutes, room, speakers, capacity, registration needed).
MARKET_SESSIONS = [
    (
        "Tư vấn vốn vay ưu đãi cho thanh niên khởi nghiệp",
        "talk",
        30,
        90,
        "Hội trường tầng 2",
        "Đại diện Ngân hàng Chính sách xã hội tỉnh\nĐại diện Tỉnh đoàn Quảng Ngãi",
        40,
        True,
    ),
    (
        "Thủ tục thành lập doanh nghiệp, hộ kinh doanh",
        "seminar",
        150,
        60,
        "Phòng sinh hoạt 1",
        "Chuyên viên Sở Tài chính (Phòng Đăng ký kinh doanh)",
        None,
        False,
    ),
    (
        "Bán hàng qua livestream cho gian hàng nhỏ",
        "workshop",
        240,
        90,
        "Phòng sinh hoạt 1",
        "Nguyễn Hoàng Yến – nhà sáng lập Đặc sản Sa Huỳnh",
        20,
        True,
    ),
]


def _seed_market() -> str | None:
    """Three sessions of the upcoming market, which the demo applicant can register for."""
    market = db.session.scalar(select(Event).where(Event.slug == UPCOMING))
    organiser = db.session.scalar(select(User).where(User.email == ORGANISER_EMAIL))
    if market is None or organiser is None:
        return None
    if db.session.scalar(select(func.count()).where(EventSession.event_id == market.id)):
        return None
    doors = to_local(market.starts_at)
    for title, kind, start, minutes, room, speakers, capacity, needed in MARKET_SESSIONS:
        begins = doors + timedelta(minutes=start)
        services.create_session(
            organiser,
            market,
            {
                "title": title,
                "kind": kind,
                "day": begins.date().isoformat(),
                "start": begins.time(),
                "end": (begins + timedelta(minutes=minutes)).time(),
                "room": room,
                "speakers": speakers,
                "moderators": "",
                "description": "",
                "capacity": capacity,
                "registration_required": needed,
                "is_published": True,
            },
        )
    return UPCOMING


def seed() -> None:
    market = _seed_market()
    if market:
        click.echo(f"Lịch hoạt động demo ({market}): {len(MARKET_SESSIONS)} phiên, /su-kien/{market}/lich.")
    festival = db.session.scalar(select(Event).where(Event.slug == FESTIVAL))
    if festival is None:
        return
    if db.session.scalar(select(func.count()).where(EventSession.event_id == festival.id)):
        click.echo(f"Lịch hoạt động demo ({FESTIVAL}): đã có, giữ nguyên.")
        return
    people = db.session.execute(
        select(Attendee.id, Ticket.id, Attendee.created_at)
        .join(Ticket, Ticket.attendee_id == Attendee.id)
        .where(Attendee.event_id == festival.id, Attendee.cancelled_at.is_(None), Ticket.revoked_at.is_(None))
        .order_by(Attendee.id)
        .limit(200)
    ).all()
    device_id = db.session.scalar(select(DeviceToken.id).where(DeviceToken.event_id == festival.id).limit(1))
    cursor = 0
    for title, kind, start, end, room, speakers, capacity, needed, registered, waiting, present in SESSIONS:
        session = EventSession(
            event_id=festival.id,
            title=title,
            kind=kind,
            starts_at=_local(start),
            ends_at=_local(end),
            room=room,
            speakers=speakers,
            moderators="",
            description="",
            capacity=capacity,
            registration_required=needed,
            registered_count=0,
            present_count=0,
            is_published=True,
        )
        db.session.add(session)
        db.session.flush()
        # People do not overlap within one morning slot here: each session takes the next people.
        chosen = people[cursor : cursor + registered + waiting]
        cursor = (cursor + registered + waiting) % max(len(people) - 60, 1)
        for i, (attendee_id, _ticket_id, created_at) in enumerate(chosen):
            db.session.add(
                SessionRegistration(
                    session_id=session.id,
                    attendee_id=attendee_id,
                    status="registered" if i < registered else "waitlisted",
                    created_at=created_at + timedelta(minutes=i),
                )
            )
        holders = chosen[:registered] if needed else people[-60:]
        for i, (attendee_id, ticket_id, _created) in enumerate(holders[:present]):
            db.session.add(
                SessionCheckin(
                    session_id=session.id,
                    event_id=festival.id,
                    ticket_id=ticket_id,
                    attendee_id=attendee_id,
                    at=session.starts_at + timedelta(minutes=2 + i),
                    device_id=device_id,
                )
            )
        session.registered_count = min(registered, len(chosen))
        session.present_count = min(present, len(holders))
    db.session.commit()
    click.echo(
        f"Lịch hoạt động demo ({FESTIVAL}): {len(SESSIONS)} phiên ở 3 khu vực, /su-kien/{FESTIVAL}/lich."
    )
