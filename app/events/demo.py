"""Demo events (`flask --app wsgi seed-demo`): the 2024 festival with ~2,000 registrations, the
contest final linked to its contest, and an upcoming event open for registration. Idempotent;
bulk inserts keep it to a few seconds."""

from __future__ import annotations

import hashlib
import hmac
import random
from datetime import datetime, timedelta
from typing import Any

import click
from flask import current_app
from sqlalchemy import insert, select

from app.accounts.models import User
from app.contests.models import Contest
from app.events import registration, services, tickets
from app.events.models import DEFAULT_CATEGORIES, Attendee, Checkin, DeviceToken, Event, EventStaff, Ticket
from app.extensions import db
from app.localtime import local_to_utc, utcnow
from app.privacy.models import Consent
from app.privacy.notices import NOTICE_VERSION
from app.tokens import hash_token

FESTIVAL = "ngay-hoi-kndmst-2024"
FINAL = "chung-ket-lan-5"
UPCOMING = "cho-phien-khoi-nghiep-thanh-nien-2026"
CHECKIN_EMAIL = "checkin@demo.kndmst.vn"
ORGANISER_EMAIL = "bantochuc@demo.kndmst.vn"

HO = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Huỳnh",
    "Võ",
    "Phan",
    "Trương",
    "Bùi",
    "Đặng",
    "Đỗ",
    "Ngô",
    "Hồ",
    "Dương",
    "Đinh",
]
DEM_NAM = ["Văn", "Minh", "Quốc", "Đức", "Thành", "Hữu", "Công", "Xuân"]
DEM_NU = ["Thị", "Thị Thu", "Ngọc", "Thị Minh", "Thanh", "Thị Kim", "Mỹ"]
TEN_NAM = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hải",
    "Hiếu",
    "Hùng",
    "Khoa",
    "Long",
    "Nam",
    "Phúc",
    "Quang",
    "Sơn",
    "Tài",
    "Trí",
    "Tuấn",
    "Vinh",
]
TEN_NU = [
    "Anh",
    "Dung",
    "Giang",
    "Hà",
    "Hạnh",
    "Hằng",
    "Hoa",
    "Hương",
    "Lan",
    "Linh",
    "Mai",
    "Nga",
    "Ngân",
    "Nhung",
    "Oanh",
    "Phương",
    "Thảo",
    "Trang",
    "Vy",
    "Yến",
]
ORGS = [
    "Trường ĐH Phạm Văn Đồng",
    "Trường ĐH Tài chính – Kế toán",
    "Trường CĐ Kỹ thuật Công nghiệp Dung Quất",
    "HTX Nông nghiệp Nghĩa Hành",
    "Công ty TNHH Nông sản sạch Ba Tơ",
    "Tỉnh đoàn Quảng Ngãi",
    "Hội LHPN tỉnh Quảng Ngãi",
    "Báo Quảng Ngãi",
    "Đài PT-TH Quảng Ngãi",
    "Trường THPT chuyên Lê Khiết",
    "",
]
GROUPS = [
    "Đoàn Trường ĐH Phạm Văn Đồng",
    "Đoàn Trường THPT chuyên Lê Khiết",
    "Đoàn Hội LHPN huyện Sơn Tịnh",
    "Đoàn thanh niên huyện Bình Sơn",
    "Đoàn doanh nghiệp KCN Tịnh Phong",
]
# The festival uses the platform's default categories; WEIGHTS (how many of each) follow their order.
FESTIVAL_CATEGORIES = DEFAULT_CATEGORIES
WEIGHTS = [6, 10, 2, 8, 3, 71]


def demo_device_token() -> str:
    """A demo token derived from SECRET_KEY, so every seed-demo run can print the same one."""
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), b"kndmst-demo-device", hashlib.sha256)
    return "kdt_demo-" + digest.hexdigest()[:32]


def _event(slug: str, **fields: Any) -> tuple[Event, bool]:
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is not None:
        return event, False
    event = Event(slug=slug, registered_count=0, **fields)
    db.session.add(event)
    db.session.flush()
    return event, True


def _local(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return local_to_utc(datetime(year, month, day, hour, minute))


def _name(rng: random.Random) -> str:
    if rng.random() < 0.52:
        return f"{rng.choice(HO)} {rng.choice(DEM_NU)} {rng.choice(TEN_NU)}"
    return f"{rng.choice(HO)} {rng.choice(DEM_NAM)} {rng.choice(TEN_NAM)}"


def _fill_festival(
    event: Event, organiser: User | None, staff: User | None, device_id: int, n: int = 2000
) -> None:
    """~2,000 registrations across categories, some in delegations; a third checked in at three gates."""
    rng = random.Random(2024)
    key = registration.ticket_key()
    created = _local(2024, 5, 1, 8, 0)
    attendees = []
    for i in range(n):
        name = _name(rng)
        phone = f"+849{rng.choice('0134')}{i:07d}"
        organisation = rng.choice(ORGS)
        group = rng.choice(GROUPS) if rng.random() < 0.08 else ""
        attendees.append(
            {
                "event_id": event.id,
                "full_name": name,
                "phone": phone,
                "email": f"khach{i:04d}@example.vn" if rng.random() < 0.6 else None,
                "organisation": organisation,
                "category": rng.choices(FESTIVAL_CATEGORIES, WEIGHTS)[0],
                "group_name": group,
                "search_text": tickets.search_key(name, phone, organisation),
                "source": "web" if rng.random() < 0.9 else "organiser",
                "created_by_id": None,
                "created_at": created + timedelta(minutes=15 * i + rng.randint(0, 14)),
            }
        )
    db.session.execute(insert(Attendee), attendees)
    ids = list(
        db.session.scalars(select(Attendee.id).where(Attendee.event_id == event.id).order_by(Attendee.id))
    )
    ticket_rows = [
        {
            "event_id": event.id,
            "attendee_id": aid,
            "code": tickets.new_code(key),
            "issued_at": created,
            "revoked_reason": "",
        }
        for aid in ids
    ]
    db.session.execute(insert(Ticket), ticket_rows)
    db.session.execute(
        insert(Consent),
        [
            {
                "subject_kind": "attendee",
                "subject_id": aid,
                "purpose": purpose,
                "granted": granted,
                "notice_version": NOTICE_VERSION,
                "given_at": created,
                "source": "web",
                "keyed_by_id": None,
            }
            for aid in ids
            for purpose, granted in (("process_registration", True), ("newsletter", rng.random() < 0.3))
        ],
    )
    ticket_ids: dict[int, int] = {
        attendee_id: ticket_id
        for attendee_id, ticket_id in db.session.execute(
            select(Ticket.attendee_id, Ticket.id).where(Ticket.event_id == event.id)
        )
    }
    opening = _local(2024, 5, 18, 7, 30)
    checkins = []
    for aid in rng.sample(ids, k=n // 3):
        staffed = rng.random() < 0.5
        checkins.append(
            {
                "event_id": event.id,
                "ticket_id": ticket_ids[aid],
                "attendee_id": aid,
                "at": opening + timedelta(seconds=int(rng.triangular(0, 5 * 3600, 3600))),
                "gate": rng.choices(event.gates, [5, 3, 2])[0],
                "staff_id": staff.id if (staffed and staff) else None,
                "device_id": None if (staffed and staff) else device_id,
                "scan_id": None,
                "undo_reason": "",
            }
        )
    db.session.execute(insert(Checkin), checkins)
    event.registered_count = n


def seed() -> None:
    organiser = db.session.scalar(select(User).where(User.email == ORGANISER_EMAIL))
    staff = db.session.scalar(select(User).where(User.email == CHECKIN_EMAIL))
    festival, new_festival = _event(
        FESTIVAL,
        name="Ngày hội Khởi nghiệp đổi mới sáng tạo tỉnh Quảng Ngãi năm 2024",
        venue="Quảng trường Phạm Văn Đồng, TP Quảng Ngãi",
        description=(
            "Trưng bày sản phẩm khởi nghiệp, tọa đàm kết nối đầu tư, gian hàng của các startup và hợp tác xã, "
            "khu trải nghiệm công nghệ cho học sinh, sinh viên."
        ),
        starts_at=_local(2024, 5, 18, 7, 30),
        ends_at=_local(2024, 5, 18, 17, 0),
        registration_opens_at=_local(2024, 4, 20, 8, 0),
        registration_closes_at=_local(2024, 5, 17, 22, 0),
        capacity=3000,
        categories=list(FESTIVAL_CATEGORIES),
        gates=["Cổng A", "Cổng B", "Cổng C"],
        is_published=True,
        created_by_id=getattr(organiser, "id", None),
    )
    contest = db.session.scalar(select(Contest).where(Contest.slug == "kndmst-quang-ngai-lan-5"))
    final, new_final = _event(
        FINAL,
        name="Chung kết Cuộc thi Khởi nghiệp đổi mới sáng tạo tỉnh Quảng Ngãi lần thứ 5",
        venue="Hội trường UBND tỉnh Quảng Ngãi, 52 Hùng Vương",
        description="Các đội thi chung kết thuyết trình trước Ban giám khảo; lễ trao giải cuối chương trình.",
        starts_at=_local(2024, 3, 22, 7, 30),
        ends_at=_local(2024, 3, 22, 17, 30),
        registration_opens_at=_local(2024, 3, 1, 8, 0),
        registration_closes_at=_local(2024, 3, 21, 17, 0),
        capacity=400,
        categories=["Khách mời/đại biểu", "Thí sinh", "Giám khảo", "Báo chí", "Khách tham quan"],
        gates=["Cửa chính", "Cửa phụ"],
        is_published=True,
        contest_id=getattr(contest, "id", None),
        created_by_id=getattr(organiser, "id", None),
    )
    now = utcnow()
    upcoming, _new_upcoming = _event(
        UPCOMING,
        name="Chợ phiên khởi nghiệp thanh niên Quảng Ngãi 2026",
        venue="Nhà Văn hóa Thanh niên tỉnh, TP Quảng Ngãi",
        description="Gian hàng sản phẩm của thanh niên khởi nghiệp, tư vấn vốn và thủ tục thành lập doanh nghiệp.",
        starts_at=(now + timedelta(days=30)).replace(hour=1, minute=0, second=0, microsecond=0),
        ends_at=(now + timedelta(days=30)).replace(hour=10, minute=0, second=0, microsecond=0),
        registration_opens_at=now - timedelta(days=1),
        registration_closes_at=None,
        capacity=500,
        categories=["Khách mời/đại biểu", "Gian hàng", "Báo chí", "Khách tham quan"],
        gates=["Cổng chính"],
        is_published=True,
        created_by_id=getattr(organiser, "id", None),
    )
    db.session.flush()

    token = demo_device_token()
    device = db.session.scalar(select(DeviceToken).where(DeviceToken.token_hash == hash_token(token)))
    if device is None:
        device = DeviceToken(
            event_id=festival.id, name="Điện thoại demo cổng A", token_hash=hash_token(token)
        )
        db.session.add(device)
        db.session.flush()
    for event in (festival, final, upcoming):
        if staff is not None and not db.session.scalar(
            select(EventStaff.id).where(EventStaff.event_id == event.id, EventStaff.user_id == staff.id)
        ):
            db.session.add(EventStaff(event_id=event.id, user_id=staff.id))
    if new_festival:
        _fill_festival(festival, organiser, staff, device.id)
    db.session.commit()
    if final.contest_id and (new_final or final.registered_count == 0):
        result = services.sync_contest_attendees(None, final, notify=False)
        click.echo(f"Sự kiện {FINAL}: đăng ký tự động {result['added']} thí sinh chung kết và giám khảo.")
    click.echo(
        f"Sự kiện demo: {FESTIVAL} ({festival.registered_count} đăng ký), {FINAL}, {UPCOMING} (đang mở đăng ký)."
    )
    click.echo(f"Mã thiết bị quét vé demo (sự kiện {FESTIVAL}): {token}")
