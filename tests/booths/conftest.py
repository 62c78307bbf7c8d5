"""A booth world for the application tests: an event linked to a contest, taking booth applications
(window open), two booth types with counts, its organiser, an organiser of another contest and an
exhibitor with an account. Booth types are written with the models directly (the floor side has
its own fixtures)."""

from __future__ import annotations

import io
from datetime import timedelta
from types import SimpleNamespace

import pytest
from PIL import Image

from app.localtime import utcnow
from tests.events.conftest import make_contest
from tests.factories import event_data

CONSENT = {"process_registration": True, "newsletter": False}


def jpeg_bytes(size: tuple[int, int] = (64, 48), color: tuple[int, int, int] = (200, 120, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (30, 120, 200)).save(out, "PNG")
    return out.getvalue()


def application_data(world, **extra) -> dict:
    """What the application form sends, cleaned to plain values (as the view passes them)."""
    return {
        "organisation": "HTX Nông nghiệp Nghĩa Hành",
        "org_kind": "cooperative",
        "tax_code": "4300123456",
        "sector": "Nông sản",
        "products": "Nước mắm Sa Huỳnh, tỏi Lý Sơn",
        "ocop_stars": "4",
        "commune_code": "",
        "contact_name": "Phạm Thị Mai",
        "contact_phone": "0905 111 222",
        "contact_email": "mai@htx.vn",
        "booth_type_id": world.standard.id,
        "needs": ["table", "power"],
        "needs_note": "",
        **extra,
    }


@pytest.fixture
def world(app, make_user):
    from app.booths.models import BoothType, Exhibition
    from app.contests.models import ContestStaff
    from app.events import services
    from app.extensions import db

    organiser = make_user("btc@example.vn", roles=("organiser",), name="Trần Thị Thu Hà")
    ours = make_contest("y-tuong-gian-hang", "GH", "Cuộc thi ý tưởng khởi nghiệp")
    theirs = make_contest("phu-nu-khoi-nghiep", "PN", "Phụ nữ khởi nghiệp")
    other = make_user("tinhdoan@example.vn", roles=("organiser",), name="Bùi Văn Đoàn")
    db.session.add(ContestStaff(contest_id=theirs.id, user_id=other.id, role="organiser"))
    exhibitor = make_user("mai@htx.vn", roles=("applicant",), name="Phạm Thị Mai")
    stranger = make_user("an@example.vn", roles=("applicant",), name="Nguyễn Văn An")
    event = services.create_event(
        organiser, event_data("ngay-hoi-2024", "Ngày hội KNĐMST 2024", contest_id=ours.id, capacity=2)
    )
    now = utcnow()
    exhibition = Exhibition(
        event_id=event.id,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(hours=12),
        is_open=True,
        exhibitor_rules="Mang theo sản phẩm mẫu và giấy chứng nhận OCOP (nếu có).",
    )
    standard = BoothType(
        event_id=event.id,
        name="Gian tiêu chuẩn",
        size="3 m × 3 m",
        count=2,
        provides=["table", "chairs", "power"],
        provides_note="1 bàn, 2 ghế, 1 ổ cắm",
        passes=2,
        position=1,
    )
    double = BoothType(
        event_id=event.id,
        name="Gian đôi",
        size="3 m × 6 m",
        count=1,
        provides=["table"],
        passes=3,
        position=2,
    )
    empty = BoothType(event_id=event.id, name="Gian ngoài trời", count=0, passes=1, position=3)
    db.session.add_all([exhibition, standard, double, empty])
    db.session.commit()
    return SimpleNamespace(
        event=event,
        exhibition=exhibition,
        standard=standard,
        double=double,
        empty=empty,
        organiser=organiser,
        other_organiser=other,
        exhibitor=exhibitor,
        stranger=stranger,
        contest=ours,
        other_contest=theirs,
    )


@pytest.fixture
def applied(world):
    """The exhibitor's submitted application (no photos)."""
    from app.booths import applications

    return applications.apply(world.exhibitor, world.event, application_data(world), (), dict(CONSENT))
