"""The final day in four browsers: the chair's console (desktop), two judges on phones (360×740) and
the hall's projector (desktop). The judges' pages follow the stage without a reload, the judges submit,
the console closes each team, and the projector shows no ranking until the chair releases it, then
one prize level at a time. The second journey drops one judge's network for 30 seconds mid-sheet."""

from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.conftest import DESKTOP, PHONE, SCREENSHOT_DIR, assert_accessible_form, assert_fits_width
from tests.live.conftest import make_live_world

PASSWORD = "GaoLua2024"
FOLLOW_MS = 4_000  # the stage reaches a phone within 2 s (1 s poll + 0.5 s cache); room for a busy CI box


def _build(app) -> dict:
    """The live world of tests/live/conftest.py, made inside the live server's app."""
    with app.app_context():
        from app.accounts import services as accounts
        from app.extensions import db
        from app.judging.services.rounds import rubric_of

        def make_user(email, roles=("applicant",), password=PASSWORD, name="Nguyễn Văn An"):
            user = None
            for role in roles:
                user, _ = accounts.create_user(email, role, password=password, full_name=name)
            return user

        world = make_live_world(make_user, vote=False)
        info = {
            "round": world.round.id,
            "key": world.stage.public_key,
            "entries": [(e.id, e.code, e.title) for e in sorted(world.entries, key=lambda e: e.code_number)],
            "judges": [(j.id, j.email, j.full_name) for j in world.judges],
            "criteria": [(c.id, c.name) for c in rubric_of(world.round).criteria],
        }
        db.session.remove()
        return info


class Shots:
    def __init__(self, name: str):
        self.name = name
        self.n = 0
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)

    def __call__(self, page: Page, step: str) -> Path:
        self.n += 1
        path = SCREENSHOT_DIR / f"{self.name}-{self.n:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def _context(browser, options):
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", **options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def _login(page: Page, url: str, email: str) -> None:
    page.goto(url + "/tai-khoan/dang-nhap")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_attached()


def _score(page: Page, criteria, values: dict[str, str]) -> None:
    for index, (cid, name) in enumerate(criteria, start=1):
        page.get_by_label(f"{index}. {name}").fill(values[cid])


def _submit(page: Page) -> None:
    page.get_by_role("button", name="Nộp phiếu").click()
    page.get_by_role("group", name="Xác nhận nộp phiếu").get_by_role("button", name="Nộp phiếu").click()
    expect(page.get_by_text("Đã nộp").first).to_be_visible()


def _scores(points: int) -> dict[str, str]:
    """A full sheet; `points` for the first criterion makes the teams' totals differ."""
    return {
        "doi_moi": str(points),
        "thuong_mai_hoa": "15",
        "ke_hoach": "10",
        "dinh_huong": "8",
        "tac_dong": "12",
        "thuyet_trinh": "11",
    }


def _on_stage(page: Page, code: str) -> None:
    team = page.get_by_text(re.compile(rf"^Đội \d+/\d+ · {re.escape(code)}$"))
    expect(team).to_be_visible(timeout=FOLLOW_MS)


def _sheets_table(console: Page):
    return console.get_by_role("table", name="Phiếu chấm của đội đang thi")


def test_four_screens_follow_the_stage_to_the_reveal(browser, live_server):
    info = _build(live_server.app)
    url = live_server.url
    shots = Shots("final_day")
    contexts = []
    try:
        ctx, console = _context(browser, DESKTOP)
        contexts.append(ctx)
        _login(console, url, "btc@example.vn")
        console.goto(f"{url}/truc-tiep/vong/{info['round']}")
        judges = []
        for _id, email, _name in info["judges"]:
            ctx, phone = _context(browser, PHONE)
            contexts.append(ctx)
            _login(phone, url, email)
            phone.goto(f"{url}/truc-tiep/vong/{info['round']}/giam-khao")
            expect(phone.get_by_text("Chưa có đội nào trên sân khấu").first).to_be_visible()
            phone.evaluate("window.marker = 1")  # survives only if the page never navigates
            judges.append(phone)
        ctx, projector = _context(browser, DESKTOP)
        contexts.append(ctx)
        projector.goto(f"{url}/man-hinh/{info['key']}")
        shots(judges[0], "judge-waiting")
        shots(console, "console-ready")

        for number, (_entry_id, code, title) in enumerate(info["entries"], start=1):
            console.get_by_role("button", name="Bắt đầu đội tiếp theo").click()
            for index, phone in enumerate(judges):
                _on_stage(phone, code)
                expect(
                    phone.get_by_role("heading", level=2, name=re.compile(re.escape(title)))
                ).to_be_visible(timeout=FOLLOW_MS)
                expect(phone.get_by_label(f"1. {info['criteria'][0][1]}")).to_be_visible(timeout=FOLLOW_MS)
                assert phone.evaluate("window.marker") == 1, "the judge's page reloaded"
                if number == 1 and index == 0:
                    assert_accessible_form(phone)
                    assert_fits_width(phone)
                    shots(phone, "judge-team1-sheet")
                _score(phone, info["criteria"], _scores(25 - 5 * number + index))
                expect(phone.get_by_role("status").filter(has_text="Đã lưu nháp lúc")).to_be_visible()
                if number == 1 and index == 0:
                    phone.get_by_role("button", name="Nộp phiếu").click()
                    confirm = phone.get_by_role("group", name="Xác nhận nộp phiếu")
                    expect(confirm.get_by_role("button", name="Quay lại")).to_be_visible()
                    shots(phone, "judge-confirm")
                    confirm.get_by_role("button", name="Quay lại").click()
                _submit(phone)
                expect(phone.get_by_label(f"1. {info['criteria'][0][1]}")).to_be_disabled()
                if number == 1:
                    shots(phone, "judge-submitted")
            expect(_sheets_table(console).get_by_text("Đã nộp")).to_have_count(2, timeout=FOLLOW_MS)
            if number == 1:
                shots(console, "console-both-submitted")
                shots(projector, "projector-team1")
                expect(projector.get_by_text(code).first).to_be_visible()
            console.get_by_role("button", name="Chốt điểm đội").click()
            for phone in judges:
                expect(phone.get_by_text("Đội này đã được chốt điểm")).to_be_visible(timeout=FOLLOW_MS)
                assert phone.evaluate("window.marker") == 1
            if number == 1:
                shots(judges[1], "judge-after-close")

        # Every team done: nothing of the ranking on the projector until the chair releases it.
        shots(projector, "projector-finished")
        for prize in ("Giải Khuyến khích", "Giải Nhì", "Giải Nhất"):
            expect(projector.get_by_text(prize)).to_have_count(0)
        console.get_by_role("button", name="Cho phép công bố").click()
        expect(console.get_by_role("button", name="Công bố giải tiếp theo")).to_be_visible()
        time.sleep(2)  # a poll or two of the projector: still nothing shown before the first level
        expect(projector.get_by_text("Giải Khuyến khích")).to_have_count(0)
        shown = []
        for prize in ("Giải Khuyến khích", "Giải Nhì", "Giải Nhất"):
            console.get_by_role("button", name="Công bố giải tiếp theo").click()
            expect(projector.get_by_text(prize).first).to_be_visible(timeout=FOLLOW_MS)
            shown.append(prize)
            for later in [p for p in ("Giải Khuyến khích", "Giải Nhì", "Giải Nhất") if p not in shown]:
                expect(projector.get_by_text(later)).to_have_count(0)
            shots(projector, "projector-" + prize.split()[-1].lower())
        expect(projector.get_by_text("Cách tổng hợp điểm").first).to_be_visible()
        shots(console, "console-end")
        for phone in judges:
            assert phone.evaluate("window.marker") == 1
    finally:
        for ctx in contexts:
            ctx.close()


def test_a_judge_offline_for_30_seconds_keeps_the_draft(browser, live_server):
    info = _build(live_server.app)
    url = live_server.url
    shots = Shots("final_day_offline")
    entry_id, code, _title = info["entries"][0]
    judge_id, email, _name = info["judges"][0]
    criteria = info["criteria"]
    contexts = []
    try:
        ctx, console = _context(browser, DESKTOP)
        contexts.append(ctx)
        _login(console, url, "btc@example.vn")
        console.goto(f"{url}/truc-tiep/vong/{info['round']}")
        phone_ctx, phone = _context(browser, PHONE)
        contexts.append(phone_ctx)
        _login(phone, url, email)
        phone.goto(f"{url}/truc-tiep/vong/{info['round']}/giam-khao")
        phone.evaluate("window.marker = 1")
        console.get_by_role("button", name="Bắt đầu đội tiếp theo").click()
        _on_stage(phone, code)
        first = phone.get_by_label(f"1. {criteria[0][1]}")
        first.fill("20")
        expect(phone.get_by_role("status").filter(has_text="Đã lưu nháp lúc")).to_be_visible()

        # The Wi-Fi drops; the judge keeps typing.
        phone_ctx.set_offline(True)
        dropped = time.monotonic()
        phone.get_by_label(f"2. {criteria[1][1]}").fill("14")
        phone.get_by_label("Nhận xét chung").fill("Đội trả lời tốt phần hỏi đáp.")
        expect(
            phone.get_by_role("status").filter(has_text="Chưa lưu – mất kết nối, sẽ tự lưu khi có mạng")
        ).to_be_visible()
        expect(phone.get_by_text("Mất kết nối – đang thử lại…")).to_be_visible()
        kept = phone.evaluate(f"JSON.parse(localStorage.getItem('live-draft:{info['round']}:{entry_id}'))")
        assert kept["data"][f"score-{criteria[1][0]}"] == "14"
        assert kept["data"]["general_comment"] == "Đội trả lời tốt phần hỏi đáp."
        shots(phone, "offline")
        # Meanwhile the stage moves on to Q&A (the team stays on stage).
        console.get_by_role("button", name="Chuyển sang hỏi đáp").click()
        time.sleep(max(0.0, 30 - (time.monotonic() - dropped)))
        assert _saved(live_server.app, info["round"], entry_id, judge_id).get(criteria[1][0]) is None

        # Back online: the page catches up with the stage and sends the draft.
        phone_ctx.set_offline(False)
        expect(phone.get_by_text("Đang hỏi đáp").first).to_be_visible(timeout=8_000)
        expect(phone.get_by_role("status").filter(has_text="Đã lưu nháp lúc")).to_be_visible(timeout=8_000)
        scores = _saved(live_server.app, info["round"], entry_id, judge_id)
        assert scores.get(criteria[0][0]) == "20" and scores.get(criteria[1][0]) == "14"
        assert phone.evaluate("window.marker") == 1
        assert phone.evaluate(f"localStorage.getItem('live-draft:{info['round']}:{entry_id}')") is None
        shots(phone, "back-online")

        # A reload mid-pitch shows what was saved.
        phone.reload()
        expect(phone.get_by_label(f"2. {criteria[1][1]}")).to_have_value("14")
        expect(phone.get_by_label("Nhận xét chung")).to_have_value("Đội trả lời tốt phần hỏi đáp.")
        shots(phone, "reloaded")
    finally:
        for ctx in contexts:
            ctx.close()


def _saved(app, round_id: int, entry_id: int, judge_id: int) -> dict[str, str]:
    with app.app_context():
        from sqlalchemy import select

        from app.extensions import db
        from app.judging.models import Assignment

        row = db.session.scalar(
            select(Assignment).where(
                Assignment.round_id == round_id,
                Assignment.entry_id == entry_id,
                Assignment.judge_id == judge_id,
            )
        )
        scores = dict(row.scores or {}) if row is not None else {}
        db.session.remove()
        return scores
