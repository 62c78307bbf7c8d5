"""seed-demo's programmes: 2024 with its three activities and the current year's; run twice, no duplicates."""

from __future__ import annotations

from app.contests.models import Contest
from app.events.models import Event
from app.extensions import db
from app.localtime import to_local, utcnow
from app.programmes.models import Programme


def test_seed_demo_creates_the_programmes_once(app, runner, client):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    year = to_local(utcnow()).year
    programmes = db.session.scalars(db.select(Programme).order_by(Programme.year)).all()
    assert [p.slug for p in programmes] == ["kndmst-2024", f"kndmst-{year}"]
    past = programmes[0]
    assert past.name == "Chương trình hỗ trợ khởi nghiệp đổi mới sáng tạo tỉnh Quảng Ngãi năm 2024"
    contests = set(db.session.scalars(db.select(Contest.slug).where(Contest.programme_id == past.id)))
    events = set(db.session.scalars(db.select(Event.slug).where(Event.programme_id == past.id)))
    assert contests == {"y-tuong-kndmst-2024", "kndmst-quang-ngai-lan-5"}
    assert events == {"chung-ket-lan-5", "ngay-hoi-kndmst-2024"}
    current = set(db.session.scalars(db.select(Contest.slug).where(Contest.programme_id == programmes[1].id)))
    assert current == {f"y-tuong-kndmst-{year}"}
    html = client.get("/chuong-trinh/kndmst-2024").get_data(as_text=True)
    assert "Chung kết Cuộc thi Khởi nghiệp đổi mới sáng tạo tỉnh Quảng Ngãi lần thứ 5" in html
    assert html.count("Đã kết thúc") == 4
