"""seed-demo's booths: the upcoming market takes applications (the demo applicant accepted on A01
with passes, others in every state), the 2024 festival's exhibitors placed; run twice, no duplicates;
the pages that show them answer."""

from __future__ import annotations

from sqlalchemy import func, select

from app.booths.models import BoothApplication, BoothPass
from app.events.models import Event
from app.extensions import db
from tests.conftest import submit


def test_seed_demo_creates_the_booths_once(app, runner, client):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    market = db.session.scalar(select(Event).where(Event.slug == "cho-phien-khoi-nghiep-thanh-nien-2026"))
    rows = db.session.scalars(select(BoothApplication).where(BoothApplication.event_id == market.id)).all()
    assert sorted(a.status for a in rows) == ["accepted", "accepted", "refused", "submitted", "waitlisted"]
    mine = next(a for a in rows if a.organisation == "Nhóm khởi nghiệp Máy sấy nông sản Ba Tơ")
    assert mine.booth is not None and mine.booth.number == "A01"
    assert db.session.scalar(select(func.count()).where(BoothPass.application_id == mine.id)) == 2
    festival = db.session.scalar(select(Event).where(Event.slug == "ngay-hoi-kndmst-2024"))
    placed = db.session.scalar(
        select(func.count()).where(
            BoothApplication.event_id == festival.id, BoothApplication.booth_id.is_not(None)
        )
    )
    assert placed == 6

    assert "Đăng ký gian hàng" in client.get(f"/su-kien/{market.slug}").get_data(as_text=True)
    submit(client, "/tai-khoan/dang-nhap", {"email": "thisinh@demo.kndmst.vn", "password": "DuThi@2024"})
    page = client.get(f"/gian-hang-cua-toi/{mine.id}").get_data(as_text=True)
    assert "Đã được nhận" in page and "A01" in page
