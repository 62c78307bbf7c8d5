"""The issue's journey (13): a visitor on a phone goes home → the 2024 programme → the lần 5 final →
its winners → a winner's certificate verification page, by visible labels only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from app.accounts import services as accounts
from app.certificates import services as certificates
from app.events import services as events
from app.extensions import db
from app.judging import services as judging
from app.judging.services import sheets
from app.programmes import services as programmes
from tests.conftest import assert_fits_width
from tests.factories import contest_with_tracks, event_data
from tests.judging.conftest import FULL, make_entries


def _seed(app) -> str:
    """A 2024 final with published prizes and certificates; returns the winner's certificate code."""
    with app.app_context():
        staff, _ = accounts.create_user(
            "so@example.vn", "organiser", password="GaoLua2024", full_name="Trần Thu Hà"
        )
        judges = [
            accounts.create_user(f"gk{i}@example.vn", "judge", password="GaoLua2024", full_name=name)[0]
            for i, name in enumerate(["Nguyễn Minh Tuấn", "Lê Hoàng Nam"], start=1)
        ]
        contest, tracks = contest_with_tracks(
            "kndmst-lan-5",
            "QN5",
            "Cuộc thi Khởi nghiệp đổi mới sáng tạo lần thứ 5",
            opens_at=datetime(2023, 10, 2, 1, tzinfo=UTC),
            closes_at=datetime(2024, 1, 15, 16, 59, tzinfo=UTC),
        )
        entries = make_entries(contest, tracks, n=3)
        for entry in entries:
            entry.track_id = tracks[0].id
        db.session.commit()
        final_round = judging.create_round(
            staff, contest, judging.RoundSettings(name="Chung kết", judges_per_entry=2)
        )
        judging.add_entries(staff, final_round)
        for judge in judges:
            judging.add_judge(staff, final_round, judge.email)
            for entry in entries:
                judging.assign_judge(staff, final_round, judge.id, entry.id)
        for judge in judges:
            for entry, points in zip(entries, ("20", "15", "10"), strict=True):
                sheet = sheets.get_sheet_for_judge(judge, final_round.id, entry.id)
                sheets.save_sheet(
                    judge, sheet, {**FULL, "doi_moi": points}, {}, "", sheet.version, submit=True
                )
        judging.save_prize_plan(staff, final_round, {tracks[0].name: {"nhat": 1, "nhi": 1}}, [])
        judging.publish_results(staff, final_round)
        issued = certificates.issue(staff, "prize", contest=contest)
        winner = next(c for c in issued.created if c.full_name == "Nguyễn Thị Hoa")
        final = events.create_event(
            staff, event_data("chung-ket-lan-5", "Chung kết Cuộc thi KNĐMST lần thứ 5")
        )
        start = datetime(2024, 3, 22, 0, 30, tzinfo=UTC)
        final.starts_at, final.ends_at = start, start + timedelta(hours=9)
        final.contest_id = contest.id
        db.session.commit()
        programmes.create_programme(
            staff,
            {
                "name": "Chương trình hỗ trợ khởi nghiệp đổi mới sáng tạo tỉnh Quảng Ngãi năm 2024",
                "slug": "kndmst-2024",
                "year": "2024",
                "contest_ids": [contest.id],
                "event_ids": [final.id],
            },
        )
        return winner.code


def test_a_visitor_reaches_a_winners_certificate_from_home(live_server, page, shoot):
    code = _seed(live_server.app)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Chương trình", exact=True).click()
    page.get_by_role(
        "link", name="Chương trình hỗ trợ khởi nghiệp đổi mới sáng tạo tỉnh Quảng Ngãi năm 2024"
    ).click()
    page.get_by_role("link", name="Chung kết Cuộc thi KNĐMST lần thứ 5").click()
    page.get_by_text("Sự kiện đã diễn ra ngày 22/03/2024.").wait_for()
    page.get_by_role("link", name="Xem kết quả").first.click()
    expect(page.get_by_role("heading", name="Giải Nhất")).to_be_visible()
    expect(page.get_by_text("Máy sấy cá bằng năng lượng mặt trời")).to_be_visible()
    expect(page.get_by_text("Nguyễn Thị Hoa").first).to_be_visible()
    assert "0905" not in page.content() and "@example.vn" not in page.content()  # no contact details
    assert_fits_width(page)
    shoot("winners")
    page.get_by_role("link", name="Xác minh giấy chứng nhận").click()
    page.get_by_label("Mã xác minh").fill(code.lower().replace("-", ""))  # as typed from paper
    page.get_by_role("button", name="Xác minh").click()
    expect(page.get_by_text("Nguyễn Thị Hoa")).to_be_visible()
    expect(page.get_by_text("Giải Nhất", exact=False).first).to_be_visible()
    assert_fits_width(page)
    shoot("certificate-verified")
