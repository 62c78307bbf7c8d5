"""The console and the projector over HTTP: making a round live, each console command as JSON and as a
plain form, the console's page as the server draws it, the projector's link and its ETag polling, and
who may open what."""

from __future__ import annotations

import re

import lxml.html
import pytest

from app.contests.models import ContestStaff
from app.events import services as events
from app.extensions import db
from app.judging.services import sheets
from app.live import services as live
from app.live.models import LiveStage
from tests.conftest import csrf_from
from tests.factories import contest_with_tracks, event_data
from tests.live.conftest import RUBRIC_SCORES

JSON = {"Accept": "application/json"}


def console_url(world) -> str:
    return f"/truc-tiep/vong/{world.round.id}"


def visible_buttons(html: str) -> list[str]:
    """The buttons a person sees: neither they nor a parent carries `hidden`. Their accessible
    name: aria-label when set, else the text."""
    tree = lxml.html.fromstring(html)
    found = tree.xpath("//main//button[not(ancestor-or-self::*[@hidden])]")
    return [b.get("aria-label") or b.text_content().strip() for b in found]


class Console:
    """The organiser's console through the test client (a CSRF token read once from the page)."""

    def __init__(self, client, world):
        self.client, self.world = client, world
        self.token = csrf_from(client.get(console_url(world)).get_data(as_text=True))

    def post(self, action: str, *, as_json: bool = True, **data):
        headers = {**JSON, "X-CSRFToken": self.token} if as_json else {}
        form = {"action": action, **data}
        if not as_json:
            form["csrf_token"] = self.token
        return self.client.post(f"{console_url(self.world)}/lenh", data=form, headers=headers)

    def ok(self, action: str, **data) -> dict:
        response = self.post(action, **data)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.headers["Content-Type"].startswith("application/json")
        return response.get_json()

    def page(self) -> str:
        response = self.client.get(console_url(self.world))
        assert response.status_code == 200
        return response.get_data(as_text=True)


@pytest.fixture
def console(live_round, client, login):
    login("btc@example.vn")
    return Console(client, live_round)


def submit_sheet(judge, world, entry_id: int, points: str = "20") -> None:
    """The judge submits a full sheet; `points` for the first criterion (different teams, no tie)."""
    sheet = sheets.get_sheet_for_judge(judge, world.round.id, entry_id)
    sheets.save_sheet(judge, sheet, dict(RUBRIC_SCORES, doi_moi=points), {}, "", sheet.version, submit=True)


def submit_all(world, entry_id: int, points: str = "20") -> None:
    for judge in world.judges:
        submit_sheet(judge, world, entry_id, points)


# --- making a round live ------------------------------------------------------------------------------


@pytest.fixture
def not_live(live_round):
    """The fixture's round, before anyone made it live."""
    db.session.delete(live_round.stage)
    db.session.commit()
    return live_round


def test_setup_page_explains_live_mode_and_enables_it(not_live, client, login):
    login("btc@example.vn")
    url = console_url(not_live)
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Chế độ trực tiếp dùng cho buổi chung kết" in html
    for label in (
        "Thời gian thuyết trình (phút)",
        "Thời gian hỏi đáp (phút)",
        "Cho khán giả bình chọn",
        "Điểm thành phần nhận kết quả bình chọn",
    ):
        assert label in html
    assert "Chung kết KNĐMST lần 5 (thử)" in html  # the contest's event is offered
    assert visible_buttons(html)[-1] == "Bật chế độ trực tiếp"

    response = client.post(
        url,
        data={
            "csrf_token": csrf_from(html),
            "pitch_minutes": "7",
            "qa_minutes": "5",
            "event_id": str(not_live.event.id),
            "vote_enabled": "y",
            "vote_component": "",
        },
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(url)
    stage = db.session.scalar(db.select(LiveStage))
    assert (stage.pitch_seconds, stage.qa_seconds, stage.event_id, stage.vote_enabled) == (
        420,
        300,
        not_live.event.id,
        True,
    )
    html = client.get(url).get_data(as_text=True)
    assert "Đã bật chế độ chung kết trực tiếp" in html
    assert "Bốc thăm thứ tự" in visible_buttons(html)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"pitch_minutes": "0"}, "Số phải từ 1 đến 120."),
        ({"qa_minutes": "500"}, "Số phải từ 1 đến 120."),
        ({"pitch_minutes": "abc"}, "Vui lòng nhập một số nguyên."),
        ({"pitch_minutes": ""}, "Vui lòng điền ô này."),
        ({"event_id": "OTHER"}, "Lựa chọn không có trong danh sách."),
        ({"event_id": "999999"}, "Lựa chọn không có trong danh sách."),
        ({"vote_enabled": "y", "event_id": ""}, "Bình chọn của khán giả cần sự kiện chung kết"),
        ({"vote_component": "khong-co"}, "Điểm thành phần nhận kết quả bình chọn không có trong vòng này."),
        # Left out (a script's post): no component; the vote still needs its event.
        ({"vote_component": None, "vote_enabled": "y"}, "Bình chọn của khán giả cần sự kiện chung kết"),
    ],
)
def test_setup_refuses_bad_input_in_vietnamese(not_live, client, login, fields, message):
    other, _tracks = contest_with_tracks("khac-thu", "KH", "Cuộc thi khác (thử)")
    db.session.commit()
    other_event = events.create_event(
        not_live.organiser, event_data("su-kien-khac", "Sự kiện của cuộc thi khác", contest_id=other.id)
    )
    login("btc@example.vn")
    url = console_url(not_live)
    html = client.get(url).get_data(as_text=True)
    assert "Sự kiện của cuộc thi khác" not in html  # another contest's event is not offered
    data = {
        "csrf_token": csrf_from(html),
        "pitch_minutes": "8",
        "qa_minutes": "10",
        "event_id": "",
        "vote_component": "",
    }
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    if data.get("event_id") == "OTHER":
        data["event_id"] = str(other_event.id)
    response = client.post(url, data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in body, re.sub(r"\s+", " ", body[body.find("<main") :])[:3000]
    assert "Vui lòng sửa các mục được đánh dấu" in body or 'role="alert"' in body
    assert db.session.scalar(db.select(LiveStage)) is None


# --- the console page ---------------------------------------------------------------------------------


def test_console_page_is_drawn_from_the_state(console, live_round):
    html = console.page()
    buttons = visible_buttons(html)
    assert "Bắt đầu đội tiếp theo" in buttons and "Bốc thăm thứ tự" in buttons
    assert "Đánh dấu vắng mặt" in buttons
    for hidden in ("Chuyển sang hỏi đáp", "Tạm dừng", "Chốt điểm đội", "Cho phép công bố", "Nhắc"):
        assert hidden not in buttons
    first, second, third = (e.code for e in live_round.entries)
    # Moving by hand: the first team only goes down, the last only up.
    assert f"Đưa {first} xuống" in buttons and f"Đưa {first} lên" not in buttons
    assert f"Đưa {third} lên" in buttons and f"Đưa {third} xuống" not in buttons
    assert "Mở bình chọn" in buttons  # the fixture's stage has the vote enabled
    tree = lxml.html.fromstring(html)
    projector = tree.xpath("//a[normalize-space()='Mở màn hình trình chiếu']")[0]
    assert projector.get("href") == f"/man-hinh/{live_round.stage.public_key}"
    assert projector.get("target") == "_blank"
    assert tree.xpath("//a[normalize-space()='Biên bản']")[0].get("href").endswith("/bien-ban")
    assert "Hạt giống bốc thăm (để trống: ngẫu nhiên)" in html
    assert re.search(r'data-csrf="[^"]+"', html)
    # Every script is a file of our own (CSP: no inline script), the state rides in a JSON block.
    assert not tree.xpath("//script[not(@src) and not(@type='application/json')]")
    assert "style=" not in html

    console.ok("start")
    html = console.page()
    buttons = visible_buttons(html)
    for label in ("Chuyển sang hỏi đáp", "Tạm dừng", "Đưa đội về chờ", "Chốt điểm đội"):
        assert label in buttons
    for judge in live_round.judges:
        assert f"Nhắc {judge.full_name}" in buttons
    assert "Bắt đầu đội tiếp theo" not in buttons and f"Đưa {second} lên" not in buttons
    assert "Phiếu chấm của đội đang thi" in html and "Chưa mở" in html
    assert re.search(r'id="c-timer">0[78]:[0-9]{2}<', html)  # the countdown before any script runs


def test_each_command_answers_the_new_state_as_json(console, live_round):
    first, second, third = live_round.entries
    state = console.ok("start")
    assert state["phase"] == "pitch" and state["current"]["entry_id"] == first.id
    assert [s["status"] for s in state["sheets"]] == ["todo", "todo"]
    assert console.ok("qa")["phase"] == "qa"
    assert console.ok("pitch")["phase"] == "pitch"
    paused = console.ok("pause")
    assert paused["timer"]["paused"] is not None
    assert console.ok("resume")["timer"]["paused"] is None
    nudged = console.ok("nudge", judge_id=str(live_round.judges[0].id))
    assert [s["nudged"] is not None for s in nudged["sheets"]] == [
        s["judge_id"] == live_round.judges[0].id for s in nudged["sheets"]
    ]

    refused = console.post("close")
    assert refused.status_code == 422
    assert refused.get_json()["message"].startswith("Còn 2 giám khảo chưa nộp phiếu")
    submit_sheet(live_round.judges[0], live_round, first.id, "18")
    refused = console.post("close", reason="ok")  # too short to be a reason
    assert refused.status_code == 422
    closed = console.ok("close", reason="Giám khảo Nam mất kết nối, đã chấm trên giấy.")
    assert closed["phase"] == "between" and closed["current"] is None
    assert closed["slots"][0]["reason"].startswith("Giám khảo Nam")

    refused = console.post("no_show", entry_id=str(second.id))
    assert refused.status_code == 422 and refused.get_json()["message"] == "Ghi lý do đội vắng mặt."
    assert console.post("no_show", entry_id="abc", reason="Không đến").status_code == 422
    assert console.post("no_show", entry_id="999999", reason="Không đến").status_code == 404
    state = console.ok("no_show", entry_id=str(second.id), reason="Đội báo ốm, không đến.")
    assert [s["state"] for s in state["order"]] == ["closed", "no_show", "waiting"]

    assert console.post("release").status_code == 409  # a team still waits
    assert console.post("reveal").status_code == 409  # nothing released
    state = console.ok("start")
    assert state["current"]["entry_id"] == third.id
    submit_all(live_round, third.id, "12")
    state = console.ok("close")  # every judge submitted: no reason needed
    assert state["phase"] == "finished"


def test_release_then_reveal_level_by_level(console, live_round):
    for entry, points in zip(live_round.entries, ("20", "15", "10"), strict=True):
        assert console.ok("start")["current"]["entry_id"] == entry.id
        submit_all(live_round, entry.id, points)
        state = console.ok("close")
    assert state["phase"] == "finished" and state["levels"] == 3 and state["released"] is False
    assert console.post("reveal").status_code == 409  # not released yet
    state = console.ok("release")
    assert state["released"] is True and state["reveal"]["shown"] == 0 and state["reveal"]["levels"] == []
    html = console.page()
    assert "Đã công bố 0/3 giải" in html and "Công bố giải tiếp theo" in visible_buttons(html)
    shown = []
    for _ in range(3):
        state = console.ok("reveal")
        shown.append(state["reveal"]["levels"][-1]["name"])
    assert shown == ["Giải Khuyến khích", "Giải Nhì", "Giải Nhất"]
    refused = console.post("reveal")
    assert refused.status_code == 409 and refused.get_json()["message"] == "Đã công bố hết các giải."
    html = console.page()
    assert "Đã công bố 3/3 giải" in html and "Công bố giải tiếp theo" not in visible_buttons(html)


def test_step_back_and_refusals_in_the_wrong_phase(console, live_round):
    assert console.post("qa").status_code == 409  # nobody on stage
    assert console.post("pause").status_code == 409
    assert console.post("nudge", judge_id=str(live_round.judges[0].id)).status_code == 409
    assert console.post("dance").status_code == 422
    console.ok("start")
    assert console.post("start").status_code == 409  # one team at a time
    assert console.post("nudge", judge_id="abc").status_code == 422
    assert console.post("nudge", judge_id="999999").status_code == 404
    state = console.ok("back")
    assert state["phase"] == "between" and state["order"][0]["state"] == "waiting"


def test_the_draw_is_reproducible_from_its_seed_and_the_order_can_be_set_by_hand(console, live_round):
    ids = [e.id for e in live_round.entries]
    first = console.ok("draw", seed="Chung kết 2024")
    again = console.ok("draw", seed="Chung kết 2024")
    order = [t["entry_id"] for t in first["order"]]
    assert order == [t["entry_id"] for t in again["order"]] and sorted(order) == sorted(ids)
    assert again["seed"] == "Chung kết 2024"
    assert "Hạt giống:" in console.page() and "Chung kết 2024" in console.page()
    random = console.ok("draw")
    assert len(random["seed"]) >= 8  # a random seed, recorded

    for bad in (f"{ids[0]},{ids[1]}", f"{ids[0]},{ids[0]},{ids[1]}", f"{ids[0]},{ids[1]},abc", "", "1;2;x"):
        refused = console.post("order", order=bad)
        assert refused.status_code == 422, bad
        assert refused.get_json()["message"]
    mine = [ids[2], ids[0], ids[1]]
    state = console.ok("order", order=",".join(map(str, mine)))
    assert [t["entry_id"] for t in state["order"]] == mine and state["seed"] == ""
    # The "Lên" button of the second team carries the order with it swapped with the first.
    tree = lxml.html.fromstring(console.page())
    code = live_round.entries[0].code
    form = tree.xpath(f"//button[@aria-label='Đưa {code} lên']/ancestor::form")[0]
    assert form.xpath(".//input[@name='order']")[0].get("value") == f"{ids[0]},{ids[2]},{ids[1]}"

    console.ok("start")
    refused = console.post("draw", seed="muộn")
    assert refused.status_code == 409 and "trước khi bắt đầu" in refused.get_json()["message"]
    assert console.post("order", order=",".join(map(str, ids))).status_code == 409


def test_plain_form_posts_redirect_back_with_a_flash(console, live_round):
    response = console.post("start", as_json=False)
    assert response.status_code == 303 and response.headers["Location"].endswith(console_url(live_round))
    html = console.page()
    assert "Bắt đầu đội: đã thực hiện." in html
    assert "Chốt điểm đội" in visible_buttons(html)
    response = console.post("close", as_json=False)
    assert response.status_code == 303
    html = console.page()
    assert "Còn 2 giám khảo chưa nộp phiếu" in html and "flash-error" in html
    assert live.stage_of(live_round.round).phase == "pitch"
    # A post without its CSRF token is refused.
    refused = console.client.post(f"{console_url(live_round)}/lenh", data={"action": "pause"})
    assert refused.status_code == 400


def test_console_state_reports_each_judges_sheet(console, live_round):
    console.ok("start")
    first = live_round.entries[0]
    submit_sheet(live_round.judges[0], live_round, first.id)
    state = console.client.get(f"{console_url(live_round)}/trang-thai").get_json()
    by_judge = {s["judge_id"]: s["status"] for s in state["sheets"]}
    assert by_judge == {live_round.judges[0].id: "submitted", live_round.judges[1].id: "todo"}
    assert state["all_submitted"] is False
    html = console.page()
    assert "Đã nộp" in html and "1/2 giám khảo đã nộp phiếu." in html
    buttons = visible_buttons(html)
    assert f"Nhắc {live_round.judges[1].full_name}" in buttons
    assert f"Nhắc {live_round.judges[0].full_name}" not in buttons  # submitted: nothing to nudge


# --- the projector --------------------------------------------------------------------------------------


def test_projector_needs_no_login_and_shows_no_controls(live_round, client):
    key = live_round.stage.public_key
    page = client.get(f"/man-hinh/{key}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    tree = lxml.html.fromstring(html)
    assert not tree.xpath("//button | //form | //nav | //input | //select")
    assert "Thứ tự thi" in html and live_round.entries[0].title in html
    assert not tree.xpath("//script[not(@src) and not(@type='application/json')]")
    assert "style=" not in html
    assert tree.xpath("//aside[@id='pj-vote']")[0].get("hidden") is not None  # vote not open
    state = client.get(f"/man-hinh/{key}/trang-thai")
    assert state.status_code == 200 and state.get_json()["reveal"] == {
        "released": False,
        "levels": [],
        "shown": 0,
        "count": 0,
        "method": "",
    }


def test_projector_state_is_304_until_the_stage_changes(live_round, client, app):
    app.config["LIVE_VERSION_CACHE_SECONDS"] = 0  # see the change at once (production: 0.5 s)
    url = f"/man-hinh/{live_round.stage.public_key}/trang-thai"
    first = client.get(url)
    tag = first.headers["ETag"]
    assert first.status_code == 200 and tag
    again = client.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.get_data() == b""
    live.start(live_round.organiser, live_round.stage)
    moved = client.get(url, headers={"If-None-Match": tag})
    assert moved.status_code == 200 and moved.headers["ETag"] != tag
    assert moved.get_json()["current"]["code"] == live_round.entries[0].code


def test_projector_shows_the_team_on_stage_and_only_revealed_prizes(live_round, client):
    world, organiser = live_round, live_round.organiser
    key = world.stage.public_key
    live.start(organiser, world.stage)
    html = client.get(f"/man-hinh/{key}").get_data(as_text=True)
    tree = lxml.html.fromstring(html)
    assert tree.xpath("//h1[@id='pj-title']")[0].text_content() == world.entries[0].title
    assert tree.xpath("//section[@id='pj-order']")[0].get("hidden") is not None
    for entry, points in zip(world.entries, ("20", "15", "10"), strict=True):
        if live.current_slot(world.stage) is None:
            live.start(organiser, world.stage)
        submit_all(world, entry.id, points)
        live.close(organiser, world.stage)
    live.release(organiser, world.stage)
    html = client.get(f"/man-hinh/{key}").get_data(as_text=True)
    assert "Giải Nhất" not in html and "Kết quả" in html
    live.reveal_next(organiser, world.stage, 99)
    state = client.get(f"/man-hinh/{key}/trang-thai").get_json()
    html = client.get(f"/man-hinh/{key}").get_data(as_text=True)
    assert len(state["reveal"]["levels"]) == 1
    assert state["reveal"]["levels"][0]["name"] in html
    assert "Giải Nhất" not in html  # the top prize comes last
    assert "Cách tổng hợp điểm:" in html


@pytest.mark.parametrize("key", ["khong-dung", "x" * 43, "x" * 200])
def test_a_wrong_projector_key_is_404(live_round, client, key):
    assert client.get(f"/man-hinh/{key}").status_code == 404
    assert client.get(f"/man-hinh/{key}/trang-thai").status_code == 404


# --- who may open the console ---------------------------------------------------------------------------


def test_judges_and_another_contests_organisers_are_refused(live_round, client, login, make_user):
    url = console_url(live_round)
    assert client.get(url).status_code == 302  # anonymous: to the login page
    login("gk1@example.vn")
    assert client.get(url).status_code == 403
    assert client.get(f"{url}/trang-thai", headers=JSON).status_code == 403
    token = csrf_from(client.get("/tai-khoan/ho-so").get_data(as_text=True))
    refused = client.post(f"{url}/lenh", data={"action": "start"}, headers={**JSON, "X-CSRFToken": token})
    assert refused.status_code == 403
    client.post("/tai-khoan/dang-xuat", data={"csrf_token": token})

    other, _tracks = contest_with_tracks("khac-thu", "KH", "Cuộc thi khác (thử)")
    stranger = make_user("doan@example.vn", roles=("organiser",), name="Lê Văn Thành")
    db.session.add(ContestStaff(contest_id=other.id, user_id=stranger.id, role="organiser"))
    db.session.commit()
    login("doan@example.vn")
    assert client.get(url).status_code == 403
    assert client.get(f"{url}/trang-thai", headers=JSON).status_code == 403
    assert live.stage_of(live_round.round).phase == "ready"
    assert client.get("/truc-tiep/vong/999999").status_code == 404
