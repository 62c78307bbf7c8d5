"""The stage's rules: order, who is on stage, closing, no-shows, the guard on sheets, the reveal."""

from __future__ import annotations

import pytest

from app.errors import Conflict, Invalid
from app.extensions import db
from app.judging import services as judging
from app.judging.services import sheets
from app.live import services as live
from app.live import state
from tests.live.conftest import RUBRIC_SCORES


def submit(judge, round_, entry, **extra):
    sheet = sheets.get_sheet_for_judge(judge, round_.id, entry.id)
    return sheets.save_sheet(judge, sheet, dict(RUBRIC_SCORES, **extra), {}, "", sheet.version, submit=True)


def test_the_fixture_makes_a_live_round(live_round):
    stage = live_round.stage
    assert stage.phase == "ready" and len(stage.slots) == 3
    assert [s.position for s in stage.slots] == [1, 2, 3]
    assert state.public_state(stage)["current"] is None


def test_a_drawn_order_is_reproducible_from_its_seed(live_round):
    stage, organiser = live_round.stage, live_round.organiser
    seed = live.draw_order(organiser, stage, "chung-ket-2026")
    first = [s.entry_id for s in stage.slots]
    live.draw_order(organiser, stage, seed)
    assert [s.entry_id for s in stage.slots] == first and stage.seed == "chung-ket-2026"
    random_seed = live.draw_order(organiser, stage)
    assert len(random_seed) == 16 and stage.seed == random_seed


def test_the_order_by_hand_must_name_every_team_once(live_round):
    stage, organiser = live_round.stage, live_round.organiser
    ids = [e.id for e in live_round.entries]
    live.set_order(organiser, stage, list(reversed(ids)))
    assert [s.entry_id for s in stage.slots] == list(reversed(ids)) and stage.seed == ""
    for bad in (ids[:2], [*ids, ids[0]], [*ids[:2], 999999]):
        with pytest.raises(Invalid):
            live.set_order(organiser, stage, bad)


def test_a_day_on_stage(live_round):
    stage, organiser, round_ = live_round.stage, live_round.organiser, live_round.round
    judge1, judge2 = live_round.judges
    version = stage.version
    slot = live.start(organiser, stage)
    assert slot.position == 1 and stage.phase == "pitch" and stage.version > version
    team1 = next(e for e in live_round.entries if e.id == slot.entry_id)
    with pytest.raises(Conflict, match="đang ở trên sân khấu"):
        live.start(organiser, stage)
    # Only the team on stage can be scored.
    team2 = next(e for e in live_round.entries if e.id == stage.slots[1].entry_id)
    with pytest.raises(Conflict, match="chưa lên sân khấu"):
        submit(judge1, round_, team2)
    live.set_phase(organiser, stage, "qa")
    assert stage.phase == "qa"
    live.pause(organiser, stage)
    assert stage.paused_at is not None
    live.resume(organiser, stage)
    assert stage.paused_at is None
    submit(judge1, round_, team1)
    # Not everyone has submitted: closing needs a reason.
    with pytest.raises(Invalid, match="Còn 1 giám khảo chưa nộp"):
        live.close(organiser, stage)
    console = state.console_state(stage)
    assert {s["status"] for s in console["sheets"]} == {"submitted", "todo"} and not console["all_submitted"]
    live.nudge(organiser, stage, judge2.id)
    assert state.judge_state(stage, judge2)["nudged"]
    submit(judge2, round_, team1)
    assert state.console_state(stage)["all_submitted"]
    closed = live.close(organiser, stage)
    assert closed.state == "closed" and closed.reason == "" and stage.phase == "between"
    # A team that does not come: marked with its reason, skipped by "next".
    with pytest.raises(Invalid):
        live.no_show(organiser, stage, team2.id, "")
    live.no_show(organiser, stage, team2.id, "Đội báo ốm, không có mặt")
    slot3 = live.start(organiser, stage)
    assert slot3.entry_id not in (team1.id, team2.id)
    with pytest.raises(Conflict, match="vắng mặt"):
        submit(judge1, round_, team2)
    # Started by mistake: back to waiting while nothing is submitted.
    live.step_back(organiser, stage)
    assert live.slot_of(stage, slot3.entry_id).state == "waiting" and stage.phase == "between"
    live.start(organiser, stage)
    team3 = next(e for e in live_round.entries if e.id == slot3.entry_id)
    submit(judge1, round_, team3)
    with pytest.raises(Conflict, match="nộp phiếu"):
        live.step_back(organiser, stage)
    live.close(organiser, stage, "Giám khảo Nam mất kết nối, hội đồng thống nhất chốt")
    assert stage.phase == "finished"
    assert live.slot_of(stage, team3.id).reason.startswith("Giám khảo Nam")
    with pytest.raises(Conflict, match="đã chốt điểm"):  # judge 2 never submitted: too late now
        submit(judge2, round_, team3)
    # ... unless the organisers reopen a sheet (the existing reopen rule): judge 1 may correct theirs.
    sheet = sheets.get_sheet_for_judge(judge1, round_.id, team3.id)
    sheets.reopen_sheet(organiser, round_, sheet.id, "Giám khảo nhập nhầm điểm tiêu chí 1")
    submit(judge1, round_, team3, doi_moi="18")


def test_the_projector_shows_nothing_of_the_results_until_release(live_round):
    stage, organiser, round_ = live_round.stage, live_round.organiser, live_round.round
    with pytest.raises(Conflict, match="thi xong"):
        live.release(organiser, stage)
    for points in ("20", "15", "10"):
        live.start(organiser, stage)
        entry = next(e for e in live_round.entries if e.id == stage.current_entry_id)
        for judge in live_round.judges:
            submit(judge, round_, entry, doi_moi=points)
        live.close(organiser, stage)
    public = state.public_state(stage)
    assert public["reveal"] == {"released": False, "levels": [], "shown": 0, "count": 0, "method": ""}
    with pytest.raises(Conflict, match="chưa cho phép"):
        live.reveal_next(organiser, stage, 3)
    live.release(organiser, stage)
    levels = state.reveal_levels(round_)
    assert [lv["name"] for lv in levels] == ["Giải Khuyến khích", "Giải Nhì", "Giải Nhất"]
    assert state.public_state(stage)["reveal"]["levels"] == []
    live.reveal_next(organiser, stage, len(levels))
    shown = state.public_state(stage)["reveal"]
    assert [lv["name"] for lv in shown["levels"]] == ["Giải Khuyến khích"] and shown["count"] == 3
    assert shown["levels"][0]["awards"][0]["title"]  # the lowest-scored team's title
    assert "Cách tổng hợp điểm" in shown["method"]
    live.reveal_next(organiser, stage, len(levels))
    live.reveal_next(organiser, stage, len(levels))
    with pytest.raises(Conflict, match="hết các giải"):
        live.reveal_next(organiser, stage, len(levels))
    top = state.public_state(stage)["reveal"]["levels"][-1]
    assert top["name"] == "Giải Nhất" and top["awards"][0]["entry_id"] == live_round.entries[0].id


def test_the_version_cache_is_read_from_the_database(live_round, app):
    stage = live_round.stage
    app.config["LIVE_VERSION_CACHE_SECONDS"] = 0
    assert state.cached_version(f"key:{stage.public_key}") == (stage.id, stage.version)
    live.start(live_round.organiser, stage)
    assert state.cached_version(f"id:{stage.id}") == (stage.id, stage.version)
    assert state.cached_version("key:khong-co") is None


def test_a_round_without_entries_cannot_go_live_and_not_twice(live_round, make_user):
    with pytest.raises(Conflict):
        live.enable(live_round.organiser, live_round.round)
    empty = judging.create_round(
        live_round.organiser, live_round.contest, judging.RoundSettings(name="Vòng trống", judges_per_entry=1)
    )
    with pytest.raises(Invalid, match="chưa có hồ sơ"):
        live.enable(live_round.organiser, empty)
    db.session.rollback()


def test_release_is_not_blocked_by_an_absent_team_or_a_team_closed_with_a_reason(live_round):
    stage, organiser, round_ = live_round.stage, live_round.organiser, live_round.round
    judge1, _judge2 = live_round.judges
    absent = stage.slots[2].entry_id
    live.no_show(organiser, stage, absent, "Đội không đến")
    for points in ("20", "15"):
        live.start(organiser, stage)
        entry = next(e for e in live_round.entries if e.id == stage.current_entry_id)
        submit(judge1, round_, entry, doi_moi=points)  # judge 2's phone died: closed with a reason
        live.close(organiser, stage, "Giám khảo Nam mất điện thoại, hội đồng thống nhất chốt")
    live.release(organiser, stage)
    assert stage.released_at is not None


def test_the_judges_dashboard_leads_to_the_live_page(live_round, client, login):
    login("gk1@example.vn")
    html = client.get("/cham-diem/").get_data(as_text=True)
    assert "Vào chung kết trực tiếp" in html
    assert f"/truc-tiep/vong/{live_round.round.id}/giam-khao" in html
    assert client.get("/tro-giup/chung-ket-truc-tiep").status_code == 200
