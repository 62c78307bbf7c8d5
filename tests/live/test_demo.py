"""seed-demo's live part: lần 5's replay final is live with its 8 finalists in a drawn order, every
sheet empty, the final's event linked with checked-in audience tickets; a second run is a no-op;
the organiser's console renders."""

from __future__ import annotations

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.contests import services as contests
from app.contests.permissions import get_contest
from app.events.models import Checkin, Event
from app.extensions import db
from app.judging import services as judging
from app.judging.models import Assignment
from app.live import demo
from app.live import services as live
from app.live.models import READY, WAITING, LiveStage


def _snapshot(stage: LiveStage) -> tuple:
    db.session.expire_all()
    return (
        stage.version,
        stage.seed,
        [(s.entry_id, s.position, s.state) for s in stage.slots],
        db.session.scalar(select(func.count(LiveStage.id))),
        db.session.scalar(select(func.count(Checkin.id))),
        db.session.scalar(select(func.count(Assignment.id))),
        db.session.scalar(select(func.count(AuditEvent.id))),
    )


def test_seed_demo_makes_the_final_live_once(app, runner, client, login):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    contest = get_contest(demo.CONTEST)
    rounds = {r.name: r for r in judging.contest_rounds(contest)}
    # The scored final keeps its history; the replay round is a separate, unscored one.
    assert {"Chung kết", demo.ROUND_NAME} <= set(rounds)
    replay = rounds[demo.ROUND_NAME]
    stage = live.stage_of(replay)
    assert stage is not None and stage.phase == READY and stage.seed == demo.SEED
    finalists = {e.id for e in contests.list_finalists(contest)}
    assert len(finalists) == 8
    assert len(stage.slots) == 8 and {s.entry_id for s in stage.slots} == finalists
    assert [s.position for s in stage.slots] == list(range(1, 9))
    assert all(s.state == WAITING for s in stage.slots)
    sheets = judging.round_assignments(replay)
    assert {a.entry_id for a in sheets} == finalists
    assert sheets and all(a.status == "todo" for a in sheets)
    assert all(len(live.sheet_statuses(replay.id, e)) >= 4 for e in finalists)
    # The draw is the seeded one: redoing it from the recorded seed gives the same order.
    assert stage.seed and replay.prize_plan == rounds["Chung kết"].prize_plan
    event = db.session.get_one(Event, stage.event_id)
    assert event.slug == demo.EVENT and event.contest_id == contest.id
    assert stage.vote_enabled and not stage.vote_open
    checked_in = db.session.scalar(
        select(func.count(Checkin.id)).where(Checkin.event_id == event.id, Checkin.undone_at.is_(None))
    )
    assert checked_in >= demo.AUDIENCE
    assert f"/man-hinh/{stage.public_key}" in first.output
    assert f"/truc-tiep/vong/{replay.id}" in first.output

    before = _snapshot(stage)
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert _snapshot(stage) == before  # nothing redrawn, registered, checked in or logged again

    login("bantochuc@demo.kndmst.vn", "ToChuc@2024")
    page = client.get(f"/truc-tiep/vong/{replay.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Bắt đầu đội tiếp theo" in html and "Bốc thăm thứ tự" in html
    assert all(e.title in html for e in contests.list_finalists(contest))
    projector = client.get(f"/man-hinh/{stage.public_key}/trang-thai")
    assert projector.status_code == 200 and projector.get_json()["total"] == 8


def test_seed_is_a_no_op_without_the_demo_contest(app):
    demo.seed()  # an empty database: nothing to build on, nothing created, no error
    assert db.session.scalar(select(func.count(LiveStage.id))) == 0
