"""Fixtures of the booth-floor tests (imported explicitly by tests/booths/test_floor*.py and
test_allocation.py): an event linked to a contest, its co-organiser, an organiser of another contest,
and accepted applications written as rows (the applications flow is tested on its own)."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from PIL import Image

from tests.events.conftest import make_contest
from tests.factories import event_data

PASSWORD = "GaoLua2024"


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (400, 240)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (230, 230, 210)).save(out, kind)
    return out.getvalue()


@pytest.fixture(name="floor")
def floor_fixture(app, make_user):
    """An event of a contest co-organised by the Tỉnh đoàn; another contest's organiser; a check-in
    volunteer of the event; an applicant."""
    from app.contests.models import ContestStaff
    from app.events import services
    from app.extensions import db

    sở = make_user("so@example.vn", roles=("organiser",), name="Trần Thị Thu Hà")
    ours = make_contest("y-tuong-san-gian", "SG", "Cuộc thi ý tưởng khởi nghiệp")
    theirs = make_contest("phu-nu-kn", "PK", "Phụ nữ khởi nghiệp")
    co = make_user("doan@example.vn", roles=("organiser",), name="Bùi Văn Đoàn")
    other = make_user("hoi@example.vn", roles=("organiser",), name="Lê Thị Hội")
    db.session.add(ContestStaff(contest_id=ours.id, user_id=co.id, role="organiser"))
    db.session.add(ContestStaff(contest_id=theirs.id, user_id=other.id, role="organiser"))
    applicant = make_user("hs@example.vn", roles=("applicant",), name="Ngô Văn Hồ")
    event = services.create_event(sở, event_data("ngay-hoi-san", "Ngày hội KNĐMST 2024", contest_id=ours.id))
    volunteer = make_user("tnv@example.vn", roles=("checkin_staff",), name="Võ Thị Lan")
    services.assign_staff(sở, event, volunteer.email)
    db.session.commit()
    return SimpleNamespace(
        event=event, so=sở, co=co, other=other, applicant=applicant, volunteer=volunteer, contest=ours
    )


def signed_in(app, email: str):
    """A test client of its own, signed in as `email` (several people in one test)."""
    from tests.conftest import submit

    client = app.test_client()
    response = submit(client, "/tai-khoan/dang-nhap", {"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def add_type(actor, event, name="Gian tiêu chuẩn", count=4, **extra):
    from app.booths import floor as service

    data = {"name": name, "size": "3 m × 3 m", "count": count, "passes": 2, "provides": ["table"], **extra}
    return service.save_booth_type(actor, event, None, data)


def accepted(event, booth_type, organisation="HTX Nông sản Nghĩa Hành", n=1, **extra):
    """`n` accepted applications written as rows (the applications flow is tested elsewhere)."""
    from app.booths.models import BoothApplication
    from app.extensions import db

    rows = []
    for i in range(n):
        rows.append(
            BoothApplication(
                event_id=event.id,
                booth_type_id=booth_type.id if booth_type else None,
                status="accepted",
                organisation=organisation if n == 1 else f"{organisation} {i + 1}",
                org_kind=extra.get("org_kind", "cooperative"),
                sector=extra.get("sector", "Nông sản"),
                products=extra.get("products", "Nước mắm Sa Huỳnh"),
                ocop_stars=extra.get("ocop_stars", 4),
                tax_code=extra.get("tax_code", "4300123456"),
                contact_name=extra.get("contact_name", "Phạm Thị Mai"),
                contact_phone=extra.get("contact_phone", "+84905111222"),
                contact_email=extra.get("contact_email", "mai@htx.vn"),
                needs=extra.get("needs", ["table", "power"]),
                needs_note=extra.get("needs_note", ""),
                commune_code=extra.get("commune_code", ""),
                search_text="",
            )
        )
    db.session.add_all(rows)
    db.session.commit()
    return rows[0] if n == 1 else rows
