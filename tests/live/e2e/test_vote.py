"""The audience vote on a phone and a desktop: the page opened from the ticket, the button turning on
when the organisers open the vote (no reload), a vote, a change of mind, a refused ticket, the window
closing; and the same page without JavaScript (a plain form)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.conftest import DESKTOP, PHONE, assert_accessible_form, assert_fits_width
from tests.live.conftest import make_live_world

FOLLOW_MS = 10_000  # the page polls every 3 s; room for a busy CI box


def _world(app) -> dict:
    """The live world of tests/live/conftest.py (vote on), made inside the live server's app."""
    with app.app_context():
        from app.accounts import services as accounts
        from app.extensions import db

        def make_user(email, roles=("applicant",), password="GaoLua2024", name="Nguyễn Văn An"):
            user = None
            for role in roles:
                user, _ = accounts.create_user(email, role, password=password, full_name=name)
            return user

        world = make_live_world(make_user, vote=True)
        info = {
            "key": world.stage.public_key,
            "stage": world.stage.id,
            "organiser": world.organiser.id,
            "tickets": dict(world.tickets),
            "entries": [(e.id, e.code, e.title) for e in sorted(world.entries, key=lambda e: e.code_number)],
        }
        db.session.remove()
        return info


def _window(app, info, action: str) -> None:
    """What the console's "Mở bình chọn" / "Đóng bình chọn" buttons do."""
    with app.app_context():
        from app.accounts.models import User
        from app.extensions import db
        from app.live import votes
        from app.live.models import LiveStage

        organiser = db.session.get_one(User, info["organiser"])
        stage = db.session.get_one(LiveStage, info["stage"])
        (votes.open_vote if action == "open" else votes.close_vote)(organiser, stage)
        db.session.remove()


def _team(page: Page, title: str):
    return page.get_by_role("radio", name=re.compile(re.escape(title)))


def test_a_phone_votes_changes_its_mind_and_sees_the_window_close(live_server, page: Page, shoot):
    app, url = live_server.app, live_server.url
    info = _world(app)
    code = info["tickets"]["in1"]
    (_, _, first), (_, _, second) = info["entries"][0], info["entries"][1]

    page.goto(f"{url}/ve/{code}")
    expect(page.get_by_role("link", name="Bình chọn đội bạn yêu thích")).to_have_count(0)
    page.goto(f"{url}/binh-chon/{info['key']}?ve={code}")
    expect(page.get_by_role("heading", name="Bình chọn đội bạn yêu thích")).to_be_visible()
    expect(page.get_by_label("Mã vé")).to_have_value(code)
    expect(page.get_by_text("chỉ lựa chọn cuối cùng được tính")).to_be_visible()
    expect(page.get_by_text("Bình chọn chưa mở")).to_be_visible()
    expect(page.get_by_role("button", name="Gửi bình chọn")).to_be_disabled()
    assert_accessible_form(page)
    assert_fits_width(page)
    shoot("chua-mo")

    _window(app, info, "open")  # the page follows without a reload
    expect(page.get_by_role("button", name="Gửi bình chọn")).to_be_enabled(timeout=FOLLOW_MS)
    expect(page.get_by_text("Bình chọn đang mở")).to_be_visible()

    _team(page, first).check()
    page.get_by_role("button", name="Gửi bình chọn").click()
    status = page.locator("#vote-result")
    expect(status).to_contain_text("Đã ghi nhận bình chọn của bạn", timeout=FOLLOW_MS)
    expect(status).to_contain_text(first)
    shoot("da-binh-chon")

    _team(page, second).check()
    page.get_by_role("button", name="Gửi bình chọn").click()
    expect(status).to_contain_text("Đã cập nhật bình chọn của bạn")
    expect(status).to_contain_text(second)

    page.get_by_label("Mã vé").fill(info["tickets"]["out"])
    page.get_by_role("button", name="Gửi bình chọn").click()
    expect(status).to_contain_text("chưa được check-in")
    assert_fits_width(page)
    shoot("ve-chua-check-in")

    # The ticket's own page now links to the vote with its code filled in.
    page.goto(f"{url}/ve/{code}")
    page.get_by_role("link", name="Bình chọn đội bạn yêu thích").click()
    expect(page.get_by_label("Mã vé")).to_have_value(code)

    _window(app, info, "close")
    expect(page.get_by_text("Bình chọn đã đóng")).to_be_visible(timeout=FOLLOW_MS)
    expect(page.get_by_role("button", name="Gửi bình chọn")).to_be_disabled()
    shoot("da-dong")


def test_the_page_works_without_javascript(live_server, browser):
    app, url = live_server.app, live_server.url
    info = _world(app)
    _window(app, info, "open")
    context = browser.new_context(locale="vi-VN", java_script_enabled=False, **PHONE)
    try:
        page = context.new_page()
        page.goto(f"{url}/binh-chon/{info['key']}")
        page.get_by_label("Mã vé").fill(info["tickets"]["in2"])
        title = info["entries"][2][2]
        _team(page, title).check()
        page.get_by_role("button", name="Gửi bình chọn").click()
        expect(page.get_by_role("status").filter(has_text="Đã ghi nhận")).to_contain_text(title)
        expect(_team(page, title)).to_be_checked()
        page.get_by_label("Mã vé").fill(info["tickets"]["revoked"])
        page.get_by_role("button", name="Gửi bình chọn").click()
        expect(page.get_by_text("đã bị thu hồi")).to_be_visible()
    finally:
        context.close()
    desktop = browser.new_context(locale="vi-VN", **DESKTOP)
    try:
        page = desktop.new_page()
        response = page.goto(f"{url}/binh-chon/{info['key']}/qr.png")
        assert response is not None and response.ok and response.headers["content-type"] == "image/png"
    finally:
        desktop.close()
