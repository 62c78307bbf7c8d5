"""The judges' phones during the live final, over HTTP: the page (panel judges only), the state it
polls with ETags, the sheet fragment of the team on stage, drafts, submit, the live guard, conflicts
and ugly input."""

from __future__ import annotations

import json

import pytest

from app.extensions import db
from app.judging.models import Assignment
from app.judging.services import panel, sheets
from app.live import services as live
from tests.conftest import csrf_from
from tests.live.conftest import RUBRIC_SCORES

JSON = {"Accept": "application/json"}


def page_url(world) -> str:
    return f"/truc-tiep/vong/{world.round.id}/giam-khao"


def save_url(world, entry) -> str:
    return f"/api/v1/truc-tiep/vong/{world.round.id}/phieu/{entry.id}"


def on_stage(world):
    """Start the next team; returns its entry."""
    slot = live.start(world.organiser, world.stage)
    return next(e for e in world.entries if e.id == slot.entry_id)


def sheet_of(world, judge, entry) -> Assignment:
    db.session.expire_all()
    return sheets.get_sheet_for_judge(judge, world.round.id, entry.id)


@pytest.fixture
def judge1(live_round, client, login):
    login("gk1@example.vn")
    return live_round.judges[0]


def post_sheet(client, world, entry, payload, *, token=None):
    if token is None:
        token = csrf_from(client.get(page_url(world)).get_data(as_text=True))
    return client.post(
        save_url(world, entry),
        data=json.dumps(payload),
        content_type="application/json",
        headers={**JSON, "X-CSRFToken": token},
    )


def full_payload(version, action="save", **extra):
    data = {f"score-{k}": v for k, v in RUBRIC_SCORES.items()}
    return {**data, "version": version, "action": action, **extra}


# --- who may open the page -----------------------------------------------------------------------


def test_a_panel_judge_sees_the_stage_and_no_sheet_before_the_first_team(live_round, client, judge1):
    response = client.get(page_url(live_round))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Chung kết" in html and "Chưa có đội nào trên sân khấu" in html
    assert 'id="live-judge-state"' in html and "js/live/judge.js" in html
    assert "<form" not in html.split('id="judge-sheet"')[1].split("</div>")[0]


def test_others_are_turned_away(live_round, client, login, make_user):
    url = page_url(live_round)
    assert client.get(url).status_code == 302  # not logged in: to the login page
    login("btc@example.vn")  # an organiser, not a judge
    assert client.get(url).status_code == 403
    client.post(
        "/tai-khoan/dang-xuat", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))}
    )
    make_user("gk9@example.vn", roles=("judge",), name="Phạm Văn Ngoài")
    login("gk9@example.vn")  # a judge, but not on this round's panel
    response = client.get(url)
    assert response.status_code == 404
    assert "không thuộc hội đồng giám khảo" in response.get_data(as_text=True)
    assert client.get(url + "/trang-thai", headers=JSON).status_code == 404
    assert client.get(url + "/phieu").status_code == 404
    assert client.get("/truc-tiep/vong/999999/giam-khao").status_code == 404


# --- the state the phone polls ---------------------------------------------------------------------


def test_the_state_answers_304_until_the_stage_or_the_sheet_changes(live_round, app, client, judge1):
    app.config["LIVE_VERSION_CACHE_SECONDS"] = 0  # the 0.5 s per-process cache, not waited for here
    url = page_url(live_round) + "/trang-thai"
    first = client.get(url, headers=JSON)
    assert first.status_code == 200 and first.json["current"] is None and first.json["sheet"] is None
    assert "reveal" not in first.json
    tag = first.headers["ETag"].strip('"')
    again = client.get(url, headers={**JSON, "If-None-Match": f'"{tag}"'})
    assert again.status_code == 304
    team = on_stage(live_round)  # the console starts team 1: a new version
    moved = client.get(url, headers={**JSON, "If-None-Match": f'"{tag}"'})
    assert moved.status_code == 200 and moved.json["current"]["entry_id"] == team.id
    assert moved.json["sheet"]["status"] == "todo"
    tag = moved.headers["ETag"].strip('"')
    assert client.get(url, headers={**JSON, "If-None-Match": f'"{tag}"'}).status_code == 304
    # The judge's own save changes the sheet's version: the tag changes, the state is sent again.
    sheet = sheet_of(live_round, live_round.judges[0], team)
    assert (
        post_sheet(client, live_round, team, {"score-doi_moi": "20", "version": sheet.version}).status_code
        == 200
    )
    saved = client.get(url, headers={**JSON, "If-None-Match": f'"{tag}"'})
    assert saved.status_code == 200 and saved.json["sheet"]["status"] == "draft"


def test_a_nudge_reaches_the_judge(live_round, client, judge1):
    on_stage(live_round)
    live.nudge(live_round.organiser, live_round.stage, live_round.judges[0].id)
    state = client.get(page_url(live_round) + "/trang-thai", headers=JSON).json
    assert state["nudged"]
    html = client.get(page_url(live_round)).get_data(as_text=True)
    banner = html.split('id="live-nudge"')[1].split(">")[0]
    assert "hidden" not in banner and "Ban tổ chức nhắc bạn nộp phiếu chấm" in html


# --- the sheet of the team on stage ----------------------------------------------------------------


def test_the_fragment_shows_the_sheet_of_the_team_on_stage(live_round, client, judge1):
    team = on_stage(live_round)
    html = client.get(page_url(live_round) + "/phieu").get_data(as_text=True)
    assert team.code in html and team.title in html
    assert 'inputmode="decimal"' in html and 'name="score-doi_moi"' in html
    assert "(tối đa 25 điểm)" in html and "Nhận xét chung" in html
    assert "Nộp phiếu" in html and "Quay lại" in html
    assert f'data-key="{team.id}|sheet|open"' in html
    # The full page embeds the same fragment.
    assert f'data-key="{team.id}|sheet|open"' in client.get(page_url(live_round)).get_data(as_text=True)


def test_a_draft_autosaves_and_survives_a_reload(live_round, client, judge1):
    team = on_stage(live_round)
    version = sheet_of(live_round, live_round.judges[0], team).version
    response = post_sheet(
        client,
        live_round,
        team,
        {"score-doi_moi": "21,5", "comment-doi_moi": "Sản phẩm mẫu chạy tốt", "version": version},
    )
    assert response.status_code == 200, response.json
    assert response.json["status"] == "draft" and response.json["version"] == version + 1
    assert len(response.json["saved_time"]) == 8  # hh:mm:ss
    # Reload mid-pitch: the fragment comes back with what was saved.
    html = client.get(page_url(live_round) + "/phieu").get_data(as_text=True)
    assert 'value="21.5"' in html or 'value="21,5"' in html
    assert "Sản phẩm mẫu chạy tốt" in html
    assert f'data-version="{version + 1}"' in html
    # Saving again with the old version is refused with the current copy, so the page can merge.
    stale = post_sheet(client, live_round, team, {"score-ke_hoach": "9", "version": version})
    assert stale.status_code == 409 and stale.json["error"] == "stale_sheet"
    assert stale.json["version"] == version + 1 and stale.json["scores"]["doi_moi"] in ("21.5", "21,5")


def test_submit_locks_the_sheet(live_round, client, judge1):
    team = on_stage(live_round)
    sheet = sheet_of(live_round, live_round.judges[0], team)
    response = post_sheet(client, live_round, team, full_payload(sheet.version, "submit"))
    assert response.status_code == 200 and response.json["status"] == "submitted"
    html = client.get(page_url(live_round) + "/phieu").get_data(as_text=True)
    assert "Đã nộp" in html and "disabled" in html and "Quay lại" not in html
    assert f'data-key="{team.id}|sheet|locked"' in html
    again = post_sheet(client, live_round, team, full_payload(response.json["version"], "submit"))
    assert again.status_code == 409 and again.json["error"] == "locked"


def test_a_team_not_on_stage_cannot_be_scored(live_round, client, judge1):
    team = on_stage(live_round)
    waiting = next(e for e in live_round.entries if e.id != team.id)
    sheet = sheet_of(live_round, live_round.judges[0], waiting)
    response = post_sheet(client, live_round, waiting, full_payload(sheet.version))
    assert response.status_code == 409 and response.json["error"] == "not_on_stage"
    assert "chưa lên sân khấu" in response.json["message"]
    # The classic sheet page is guarded too.
    classic = f"/cham-diem/vong/{live_round.round.id}/ho-so/{waiting.id}"
    token = csrf_from(client.get(classic).get_data(as_text=True))
    refused = client.post(classic, data={**full_payload(sheet.version), "csrf_token": token})
    assert refused.status_code == 409 and "chưa lên sân khấu" in refused.get_data(as_text=True)
    assert sheet_of(live_round, live_round.judges[0], waiting).status == "todo"
    # A closed team neither.
    live.close(live_round.organiser, live_round.stage, "Hội đồng thống nhất chốt sớm")
    mine = sheet_of(live_round, live_round.judges[0], team)
    closed = post_sheet(client, live_round, team, full_payload(mine.version))
    assert closed.status_code == 409 and "đã chốt điểm" in closed.json["message"]
    html = client.get(page_url(live_round) + "/phieu").get_data(as_text=True)
    assert "Đội này đã được chốt điểm" in html and "<form" not in html


def test_a_confirmed_conflict_shows_the_notice_and_no_form(live_round, client, judge1):
    team1, team2 = live_round.entries[0], live_round.entries[1]
    panel.record_conflict(
        live_round.organiser, live_round.round, live_round.judges[0].id, team2.id, "relative", "Em họ"
    )
    # The conflict removed the judge's sheet for team 2.
    with pytest.raises(sheets.NotFound):
        sheets.get_sheet_for_judge(live_round.judges[0], live_round.round.id, team2.id)
    live.set_order(live_round.organiser, live_round.stage, [team2.id, team1.id, live_round.entries[2].id])
    on_stage(live_round)
    html = client.get(page_url(live_round) + "/phieu").get_data(as_text=True)
    assert "Bạn có xung đột lợi ích với đội này: không chấm đội này." in html
    assert "<form" not in html and 'name="score-' not in html
    state = client.get(page_url(live_round) + "/trang-thai", headers=JSON).json
    assert state["conflict"] is True and state["sheet"] is None
    refused = post_sheet(client, live_round, team2, full_payload(1))
    assert refused.status_code == 404


def test_a_judge_not_assigned_to_the_team_on_stage_is_told_so(live_round, client, judge1):
    team = live_round.entries[0]
    sheet = sheet_of(live_round, live_round.judges[0], team)
    sheets.unassign(live_round.organiser, live_round.round, sheet.id)
    on_stage(live_round)
    html = client.get(page_url(live_round) + "/phieu").get_data(as_text=True)
    assert "Bạn không được phân công chấm đội này" in html and "<form" not in html


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"score-doi_moi": "hai mươi"}, 422, "doi_moi"),
        ({"score-doi_moi": "999"}, 422, "doi_moi"),
        ({"score-doi_moi": "-3"}, 422, "doi_moi"),
        ({"comment-doi_moi": "x" * 20_000}, 422, "doi_moi"),
        ({"general_comment": "y" * 20_000}, 422, "general_comment"),
        ({"score-doi_moi": ["20"]}, 422, "score-doi_moi"),
        ({"action": "delete"}, 422, "action"),
    ],
)
def test_bad_input_is_refused_with_json(live_round, client, judge1, payload, status, field):
    team = on_stage(live_round)
    sheet = sheet_of(live_round, live_round.judges[0], team)
    response = post_sheet(client, live_round, team, {"version": sheet.version, **payload})
    assert response.status_code == status, response.json
    assert response.json["message"] and field in response.json["errors"]
    assert sheet_of(live_round, live_round.judges[0], team).status == "todo"


def test_more_bad_requests_never_500(live_round, client, judge1):
    team = on_stage(live_round)
    token = csrf_from(client.get(page_url(live_round)).get_data(as_text=True))
    headers = {**JSON, "X-CSRFToken": token}
    url = save_url(live_round, team)
    missing = post_sheet(client, live_round, team, {"score-doi_moi": "20"}, token=token)
    assert missing.status_code == 422 and missing.json["error"] == "bad_version"
    for body in ("not json", "[1, 2]", "null", '{"version": true}', '{"version": "abc"}'):
        response = client.post(url, data=body, content_type="application/json", headers=headers)
        assert 400 <= response.status_code < 500, (body, response.status_code)
        assert response.json["message"]
    no_csrf = client.post(url, data="{}", content_type="application/json", headers=JSON)
    assert no_csrf.status_code == 400
    assert (
        client.post(
            f"/api/v1/truc-tiep/vong/{live_round.round.id}/phieu/999999",
            data="{}",
            content_type="application/json",
            headers=headers,
        ).status_code
        == 404
    )
    # A plain form post (no JavaScript) is answered in JSON as well.
    sheet = sheet_of(live_round, live_round.judges[0], team)
    form = client.post(
        url, data={"score-doi_moi": "20", "version": sheet.version, "csrf_token": token}, headers=JSON
    )
    assert form.status_code == 200 and form.json["status"] == "draft"


def test_a_conflict_recorded_while_the_team_is_on_stage_reaches_the_phone(live_round, client, judge1):
    team = on_stage(live_round)
    url = page_url(live_round) + "/trang-thai"
    first = client.get(url, headers=JSON)
    tag = first.headers["ETag"]
    assert client.get(url, headers={**JSON, "If-None-Match": tag}).status_code == 304
    panel.record_conflict(
        live_round.organiser, live_round.round, live_round.judges[0].id, team.id, "relative"
    )
    changed = client.get(url, headers={**JSON, "If-None-Match": tag})  # the stage's version did not move
    assert changed.status_code == 200 and changed.json["conflict"] is True and changed.json["sheet"] is None
