"""The chair's console and the hall's projector in two browsers: the console (phone, then desktop)
draws and adjusts the running order, puts each team on stage, pauses, switches to Q&A, opens the vote,
closes each team; the projector (a 1920×1080 screen, then a 1280 one) follows within seconds without a
reload, counts down and into overtime, and shows no prize before the chair reveals it, then one level
at a time from the lowest."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.conftest import SCREENSHOT_DIR, assert_accessible_form, assert_fits_width
from tests.live.conftest import RUBRIC_SCORES, make_live_world

PASSWORD = "GaoLua2024"
FOLLOW_MS = 5_000  # a change reaches the projector within ~2 s (1 s poll + 0.5 s version cache)
PRIZES = ("Giải Khuyến khích", "Giải Nhì", "Giải Nhất")
PROJECTORS = {"phone": {"width": 1920, "height": 1080}, "desktop": {"width": 1280, "height": 860}}


def _build(app) -> dict:
    """The live world of tests/live/conftest.py, made inside the live server's app."""
    with app.app_context():
        from app.accounts import services as accounts
        from app.extensions import db

        def make_user(email, roles=("applicant",), password=PASSWORD, name="Nguyễn Văn An"):
            user = None
            for role in roles:
                user, _ = accounts.create_user(email, role, password=password, full_name=name)
            return user

        world = make_live_world(make_user)
        info = {
            "round": world.round.id,
            "key": world.stage.public_key,
            "entries": {e.id: (e.code, e.title) for e in world.entries},
        }
        db.session.remove()
        return info


def _submit_all(app, round_id: int, entry_id: int, points: str) -> None:
    """Both judges submit their sheet for the team on stage (their phones are helper D's journey)."""
    with app.app_context():
        from app.extensions import db
        from app.judging.models import Assignment
        from app.judging.services import sheets

        rows = db.session.scalars(
            db.select(Assignment).where(Assignment.round_id == round_id, Assignment.entry_id == entry_id)
        ).all()
        for row in rows:
            judge = row.judge
            sheet = sheets.get_sheet_for_judge(judge, round_id, entry_id)
            scores = dict(RUBRIC_SCORES, doi_moi=points)
            sheets.save_sheet(judge, sheet, scores, {}, "", sheet.version, submit=True)
        db.session.remove()


def _overrun(app, round_id: int, seconds: int) -> None:
    """Move the running phase's start back: the team has talked `seconds` longer than allowed
    (nobody waits eight minutes in a test)."""
    with app.app_context():
        from app.extensions import db
        from app.live import services as live
        from app.live.models import LiveStage

        stage = db.session.scalar(db.select(LiveStage).where(LiveStage.round_id == round_id))
        stage.phase_started_at -= timedelta(seconds=stage.pitch_seconds + seconds)
        live.changed(stage)
        db.session.commit()
        db.session.remove()


def _login(page: Page, url: str, email: str) -> None:
    page.goto(url + "/tai-khoan/dang-nhap")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_attached()


def _codes(items) -> list[str]:
    return [re.search(r"CK24-\d{4}", text).group(0) for text in items.all_inner_texts()]


def test_the_projector_follows_the_console_to_the_reveal(live_server, page, shoot, browser):
    info = _build(live_server.app)
    url = live_server.url
    app = live_server.app
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    size = PROJECTORS[page.viewport_name]
    screen_ctx = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", viewport=size)
    screen = screen_ctx.new_page()
    screen.set_default_timeout(10_000)
    screen.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    counter = {"n": 0}

    def project(step: str) -> None:
        counter["n"] += 1
        name = f"projector-{size['width']}-{counter['n']:02d}-{step}.png"
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        screen.screenshot(path=str(Path(SCREENSHOT_DIR) / name), full_page=True)

    try:
        _login(page, url, "btc@example.vn")
        page.goto(f"{url}/truc-tiep/vong/{info['round']}")
        expect(page.get_by_role("heading", name=re.compile("Chung kết trực tiếp"))).to_be_visible()
        assert_accessible_form(page)
        assert_fits_width(page)
        shoot("console-ready")

        screen.goto(f"{url}/man-hinh/{info['key']}")
        expect(screen.get_by_role("heading", name="Thứ tự thi")).to_be_visible()
        expect(screen.get_by_role("button")).to_have_count(0)  # no controls on the hall's screen
        expect(screen.get_by_role("link")).to_have_count(0)
        screen.evaluate("window.marker = 1")  # survives only if the projector never reloads
        project("order")

        # The draw, with a seed anyone can reuse; the projector shows the drawn order.
        console_order = page.get_by_role("list", name="Thứ tự thi").get_by_role("listitem")
        screen_order = screen.get_by_role("list", name="Thứ tự thi").get_by_role("listitem")
        page.get_by_label("Hạt giống bốc thăm (để trống: ngẫu nhiên)").fill("Chung kết 2024")
        page.get_by_role("button", name="Bốc thăm thứ tự").click()
        expect(page.get_by_text("Hạt giống: Chung kết 2024")).to_be_visible()
        drawn = _codes(console_order)
        expect(screen_order.first).to_contain_text(drawn[0], timeout=FOLLOW_MS)
        # Then by hand: the second team moves up.
        page.get_by_role("button", name=f"Đưa {drawn[1]} lên").click()
        expect(console_order.first).to_contain_text(drawn[1])
        expect(page.get_by_role("button", name=f"Đưa {drawn[1]} xuống")).to_be_focused()
        expect(screen_order.first).to_contain_text(drawn[1], timeout=FOLLOW_MS)
        expect(page.get_by_text("Hạt giống: Chung kết 2024")).to_be_hidden()  # the draw no longer holds
        order = _codes(console_order)
        by_code = {code: (entry_id, title) for entry_id, (code, title) in info["entries"].items()}
        shoot("console-ordered")

        # Team 1 on stage: the projector switches without a reload and counts down.
        page.get_by_role("button", name="Bắt đầu đội tiếp theo").click()
        first_id, first_title = by_code[order[0]]
        expect(screen.get_by_role("heading", name=first_title)).to_be_visible(timeout=FOLLOW_MS)
        expect(screen.get_by_text("Đội thi số 1/3")).to_be_visible()
        expect(screen.get_by_text(re.compile(r"^0[78]:\d\d$"))).to_be_visible()
        expect(page.get_by_text(re.compile(r"^0[78]:\d\d$"))).to_be_visible()
        sheets = page.get_by_role("table", name="Phiếu chấm của đội đang thi")
        expect(sheets.get_by_text("Chưa mở")).to_have_count(2)
        expect(page.get_by_role("button", name="Nhắc Nguyễn Minh Tuấn")).to_be_visible()
        assert_fits_width(page)
        shoot("console-team1")
        project("team1-pitch")

        page.get_by_role("button", name="Tạm dừng").click()
        expect(screen.get_by_text("Đang tạm dừng")).to_be_visible(timeout=FOLLOW_MS)
        expect(page.get_by_text("Đang tạm dừng")).to_be_visible()
        frozen = screen.get_by_text(re.compile(r"^0[78]:\d\d$")).inner_text()
        screen.wait_for_timeout(1500)
        assert screen.get_by_text(re.compile(r"^0[78]:\d\d$")).inner_text() == frozen
        page.get_by_role("button", name="Tiếp tục").click()
        expect(screen.get_by_text("Đang tạm dừng")).to_be_hidden(timeout=FOLLOW_MS)
        page.get_by_role("button", name="Chuyển sang hỏi đáp").click()
        expect(screen.get_by_text("Đang hỏi đáp").first).to_be_visible(timeout=FOLLOW_MS)
        expect(screen.get_by_text(re.compile(r"^(10:00|09:5\d)$"))).to_be_visible()

        # The audience vote: its QR code appears on the projector while the vote is open.
        page.get_by_role("button", name="Mở bình chọn").click()
        qr = screen.get_by_role("img", name="Mã QR mở trang bình chọn")
        expect(qr).to_be_visible(timeout=FOLLOW_MS)
        screen.wait_for_function("document.querySelector('img.pj-qr').naturalWidth > 0")
        project("team1-vote-open")
        page.get_by_role("button", name="Đóng bình chọn").click()
        expect(qr).to_be_hidden(timeout=FOLLOW_MS)

        # Closing before every judge submitted asks for a reason; here the judges then submit.
        page.get_by_role("button", name="Chốt điểm đội").click()
        alert = page.get_by_role("alert").filter(has_text="Còn 2 giám khảo chưa nộp phiếu")
        expect(alert).to_be_visible()
        expect(page.get_by_label("Lý do")).to_be_focused()
        shoot("console-close-refused")
        _submit_all(app, info["round"], first_id, "20")
        expect(sheets.get_by_text("Đã nộp")).to_have_count(2, timeout=FOLLOW_MS)
        expect(page.get_by_role("button", name=re.compile("^Nhắc "))).to_have_count(0)
        page.get_by_role("button", name="Chốt điểm đội").click()
        expect(alert).to_be_hidden()
        expect(screen.get_by_role("heading", name="Thứ tự thi")).to_be_visible(timeout=FOLLOW_MS)
        expect(screen_order.first).to_contain_text("Đã chốt điểm")
        project("between")

        # Team 2 overruns: red, "Hết giờ", then counting up.
        page.get_by_role("button", name="Bắt đầu đội tiếp theo").click()
        second_id, second_title = by_code[order[1]]
        expect(screen.get_by_role("heading", name=second_title)).to_be_visible(timeout=FOLLOW_MS)
        _overrun(app, info["round"], 65)
        expect(screen.get_by_text("Hết giờ")).to_be_visible(timeout=FOLLOW_MS)
        expect(screen.get_by_text(re.compile(r"^\+01:0\d$"))).to_be_visible()
        expect(page.get_by_text("Hết giờ")).to_be_visible(timeout=FOLLOW_MS)
        shoot("console-overtime")
        project("team2-overtime")
        _submit_all(app, info["round"], second_id, "15")
        expect(sheets.get_by_text("Đã nộp")).to_have_count(2, timeout=FOLLOW_MS)
        page.get_by_role("button", name="Chốt điểm đội").click()

        page.get_by_role("button", name="Bắt đầu đội tiếp theo").click()
        third_id, third_title = by_code[order[2]]
        expect(screen.get_by_role("heading", name=third_title)).to_be_visible(timeout=FOLLOW_MS)
        _submit_all(app, info["round"], third_id, "10")
        expect(sheets.get_by_text("Đã nộp")).to_have_count(2, timeout=FOLLOW_MS)
        page.get_by_role("button", name="Chốt điểm đội").click()

        # Every team done: nothing of the ranking until the chair releases it.
        expect(screen.get_by_role("heading", name="Các đội đã thi xong")).to_be_visible(timeout=FOLLOW_MS)
        for prize in PRIZES:
            expect(screen.get_by_text(prize)).to_have_count(0)
        project("finished")
        page.get_by_role("button", name="Cho phép công bố").click()
        expect(page.get_by_text("Đã công bố 0/3 giải")).to_be_visible()
        expect(screen.get_by_role("heading", name="Kết quả")).to_be_visible(timeout=FOLLOW_MS)
        for prize in PRIZES:
            expect(screen.get_by_text(prize)).to_have_count(0)
        shoot("console-released")
        project("released")

        for shown, prize in enumerate(PRIZES, start=1):
            page.get_by_role("button", name="Công bố giải tiếp theo").click()
            expect(page.get_by_text(f"Đã công bố {shown}/3 giải")).to_be_visible()
            expect(screen.get_by_role("heading", name=prize)).to_be_visible(timeout=FOLLOW_MS)
            for later in PRIZES[shown:]:
                expect(screen.get_by_text(later)).to_have_count(0)
            project("reveal-" + prize.split()[-1].lower())
        expect(page.get_by_role("button", name="Công bố giải tiếp theo")).to_be_hidden()
        expect(screen.get_by_text(re.compile("^Cách tổng hợp điểm:"))).to_be_visible()
        expect(screen.get_by_role("heading", name="Giải Nhất").locator("..")).to_contain_text(first_title)
        assert screen.evaluate("window.marker") == 1, "the projector reloaded"
        shoot("console-end")
        # No CSP violation, no script error (the refused close answered 422 on purpose).
        assert [e for e in errors if "status of 422" not in e] == [], errors
    finally:
        screen_ctx.close()


def test_console_and_projector_say_when_the_server_is_unreachable(live_server, page, browser):
    info = _build(live_server.app)
    url = live_server.url
    _login(page, url, "btc@example.vn")
    page.goto(f"{url}/truc-tiep/vong/{info['round']}")
    screen_ctx = browser.new_context(locale="vi-VN", viewport=PROJECTORS["desktop"])
    try:
        screen = screen_ctx.new_page()
        screen.goto(f"{url}/man-hinh/{info['key']}")
        expect(screen.get_by_role("heading", name="Thứ tự thi")).to_be_visible()
        page.context.set_offline(True)
        screen_ctx.set_offline(True)
        expect(page.get_by_role("status").filter(has_text="Mất kết nối – đang thử lại…")).to_be_visible()
        expect(screen.get_by_role("status")).to_have_text("Mất kết nối – đang thử lại…")
        expect(screen.get_by_role("heading", name="Thứ tự thi")).to_be_visible()  # the last picture stays
        page.get_by_role("button", name="Bắt đầu đội tiếp theo").click()
        expect(page.get_by_role("alert")).to_contain_text("Mất kết nối: lệnh chưa được gửi")
        page.context.set_offline(False)
        screen_ctx.set_offline(False)
        expect(page.get_by_role("status").filter(has_text="Mất kết nối")).to_have_count(0, timeout=20_000)
        expect(screen.get_by_text("Mất kết nối – đang thử lại…")).to_be_hidden(timeout=20_000)
        page.get_by_role("button", name="Bắt đầu đội tiếp theo").click()  # the command goes through now
        expect(screen.get_by_text("Đội thi số 1/3")).to_be_visible(timeout=FOLLOW_MS)
    finally:
        screen_ctx.close()
