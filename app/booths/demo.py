"""Demo booths (`seed-demo`).

- The Chợ phiên khởi nghiệp thanh niên 2026 (upcoming) takes applications now: two booth types on a
  grid, the demo applicant's application accepted (with passes) and on booth A01, others submitted,
  waitlisted and refused, so every screen of the exhibitor and of the organisers has something.
- Ngày hội KNĐMST 2024 (over) shows how a past festival looked: its exhibitors accepted and placed.

Everything goes through the services, as organisers and exhibitors would do it; the past festival's
applications are written as they stood that day (the services refuse a closed window). Idempotent: an
event that already has booth types is left as it is.
"""

from __future__ import annotations

from datetime import timedelta

import click
from sqlalchemy import select

from app.accounts.models import User
from app.booths import applications, floor, floor_allocation, passes
from app.booths.models import ApplicationStatus, Booth, BoothApplication, BoothType
from app.events.demo import FESTIVAL, ORGANISER_EMAIL, UPCOMING
from app.events.models import Event
from app.extensions import db
from app.localtime import utcnow

APPLICANT_EMAIL = "thisinh@demo.kndmst.vn"
CONSENTS = {"process_registration": True, "newsletter": False}
RULES = (
    "Đơn vị tự mang sản phẩm trưng bày, bảng giá niêm yết và giấy chứng nhận OCOP (nếu có).\n"
    "Có mặt dựng gian trước 06:30; không dùng loa công suất lớn; giữ vệ sinh khu vực gian hàng."
)

# (organisation, kind, sector, products, OCOP stars, contact, phone, booth type index, status, reason)
MARKET_APPLICANTS = [
    (
        "HTX Nông nghiệp Tịnh Hà",
        "cooperative",
        "Nông sản",
        "Gạo hữu cơ, bánh tráng mè",
        3,
        "Nguyễn Thị Thu",
        "0905 310 101",
        0,
        "submitted",
        "",
    ),
    (
        "Cơ sở Mạch nha Thi Phổ",
        "household",
        "Thực phẩm",
        "Mạch nha, kẹo gương",
        4,
        "Trần Văn Phổ",
        "0905 310 102",
        1,
        "waitlisted",
        "Gian OCOP đã đủ; sẽ báo nếu có đơn vị rút.",
    ),
    (
        "Công ty TNHH Tỏi đen Lý Sơn",
        "company",
        "Nông sản chế biến",
        "Tỏi đen, rượu tỏi",
        4,
        "Lê Thị Sương",
        "0905 310 103",
        1,
        "accepted",
        "",
    ),
    (
        "Nhóm thủ công mây tre Bình Sơn",
        "other",
        "Thủ công mỹ nghệ",
        "Giỏ mây, đèn tre",
        None,
        "Phạm Văn Lành",
        "0905 310 104",
        0,
        "refused",
        "Sản phẩm chưa có nguồn gốc rõ ràng theo yêu cầu.",
    ),
]
FESTIVAL_EXHIBITORS = [
    ("HTX Dịch vụ nông nghiệp Nghĩa Hành", "cooperative", "Nông sản", "Gạo sạch, nấm linh chi", 3),
    ("Công ty CP Mía đường sạch Sơn Tịnh", "startup", "Thực phẩm", "Đường phèn, mật mía", 4),
    ("Cơ sở nước mắm Sa Huỳnh", "household", "Thủy sản chế biến", "Nước mắm truyền thống", 4),
    ("Startup Robot gieo hạt QNU", "startup", "Công nghệ", "Robot gieo hạt mini", None),
    ("HTX Quế Trà Bồng", "cooperative", "Dược liệu", "Tinh dầu quế, quế thanh", 4),
    ("Công ty TNHH Thực phẩm Bánh ít lá gai", "company", "Thực phẩm", "Bánh ít lá gai, bánh tổ", 3),
]


def _types(organiser: User, event: Event, *, opens, closes, is_open: bool) -> list[BoothType]:
    floor.save_settings(
        organiser,
        event,
        {
            "is_open": is_open,
            "opens_at": opens,
            "closes_at": closes,
            "exhibitor_rules": RULES,
            "grid_columns": 8,
            "grid_rows": 3,
        },
    )
    specs = [
        {
            "name": "Gian tiêu chuẩn",
            "size": "3 m × 3 m",
            "count": 12,
            "passes": 2,
            "provides": ["table", "chairs", "power", "backdrop"],
            "provides_note": "1 bàn, 2 ghế, 1 ổ cắm",
        },
        {
            "name": "Gian OCOP",
            "size": "3 m × 6 m",
            "count": 4,
            "passes": 3,
            "provides": ["table", "chairs", "power", "backdrop", "tent"],
            "provides_note": "2 bàn, 4 ghế, nhà bạt",
        },
    ]
    return [floor.save_booth_type(organiser, event, None, spec) for spec in specs]


def _free_booth(event: Event, booth_type: BoothType) -> Booth | None:
    taken = select(BoothApplication.booth_id).where(BoothApplication.booth_id.is_not(None))
    return db.session.scalars(
        select(Booth)
        .where(Booth.event_id == event.id, Booth.booth_type_id == booth_type.id, Booth.id.not_in(taken))
        .order_by(Booth.number)
    ).first()


def _seed_market(organiser: User, event: Event) -> None:
    now = utcnow()
    types = _types(
        organiser,
        event,
        opens=now - timedelta(days=2),
        closes=event.starts_at - timedelta(days=3),
        is_open=True,
    )
    applicant = db.session.scalar(select(User).where(User.email == APPLICANT_EMAIL))
    if applicant is not None:
        mine = applications.apply(
            applicant,
            event,
            {
                "organisation": "Nhóm khởi nghiệp Máy sấy nông sản Ba Tơ",
                "org_kind": "startup",
                "sector": "Cơ khí nông nghiệp",
                "products": "Máy sấy nông sản dùng năng lượng mặt trời; nông sản sấy khô",
                "contact_name": applicant.full_name,
                "contact_phone": "0905 310 100",
                "contact_email": applicant.email,
                "booth_type_id": types[0].id,
                "needs": ["table", "power"],
                "needs_note": "Cần ổ cắm gần gian để chạy thử máy.",
            },
            (),
            dict(CONSENTS),
            now=now,
        )
        applications.decide(organiser, mine, "accepted", "")
        booth = _free_booth(event, types[0])
        if booth is not None:
            floor_allocation.allocate(organiser, mine, booth)
    for org, kind, sector, products, stars, contact, phone, type_index, status, reason in MARKET_APPLICANTS:
        application = BoothApplication(
            event_id=event.id,
            booth_type_id=types[type_index].id,
            status=ApplicationStatus.SUBMITTED.value,
            organisation=org,
            org_kind=kind,
            sector=sector,
            products=products,
            ocop_stars=stars,
            contact_name=contact,
            contact_phone="+84" + phone.replace(" ", "")[1:],
            created_at=now - timedelta(hours=len(org)),
        )
        application.search_text = applications.search_text(application)
        db.session.add(application)
        db.session.commit()
        if status != ApplicationStatus.SUBMITTED.value:
            applications.decide(organiser, application, status, reason)
        if status == ApplicationStatus.ACCEPTED.value:
            booth = _free_booth(event, types[type_index])
            if booth is not None:
                floor_allocation.allocate(organiser, application, booth)


def _seed_festival(organiser: User, event: Event) -> None:
    """The 2024 festival's exhibitors, accepted and placed as they were on the day."""
    types = _types(organiser, event, opens=None, closes=None, is_open=False)
    opened = event.starts_at - timedelta(days=30)
    for index, (org, kind, sector, products, stars) in enumerate(FESTIVAL_EXHIBITORS):
        booth_type = types[1] if stars == 4 and index % 2 else types[0]
        application = BoothApplication(
            event_id=event.id,
            booth_type_id=booth_type.id,
            status=ApplicationStatus.ACCEPTED.value,
            organisation=org,
            org_kind=kind,
            sector=sector,
            products=products,
            ocop_stars=stars,
            contact_name=f"Đại diện {org.split(' ', 2)[-1]}",
            reviewed_by_id=organiser.id,
            reviewed_at=opened + timedelta(days=10),
            created_at=opened + timedelta(days=index),
        )
        application.search_text = applications.search_text(application)
        application.booth = _free_booth(event, booth_type)
        db.session.add(application)
        db.session.flush()
        passes.issue_passes(organiser, event, application)
        db.session.commit()


def seed() -> None:
    organiser = db.session.scalar(select(User).where(User.email == ORGANISER_EMAIL))
    if organiser is None:
        return
    seeded = []
    for slug, fill in ((UPCOMING, _seed_market), (FESTIVAL, _seed_festival)):
        event = db.session.scalar(select(Event).where(Event.slug == slug))
        if event is None or db.session.scalar(select(BoothType.id).where(BoothType.event_id == event.id)):
            continue
        fill(organiser, event)
        seeded.append(slug)
    if seeded:
        click.echo(f"Gian hàng demo: {', '.join(seeded)} (loại gian, sơ đồ, hồ sơ đã xét và thẻ gian hàng).")
