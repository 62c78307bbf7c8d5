"""A live final to play with: a contest with three finalists, a "Chung kết" round with the standard
rubric and prizes, two judges each scoring every team, the final's event linked to the contest with
four registered people (three checked in, one ticket revoked), and the round made live."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from app.contests.models import Contest, Entry, Track
from app.events import checkin, registration
from app.events import services as events
from app.events.models import Attendee, Event
from app.extensions import db
from app.judging import services as judging
from app.judging.models import Round
from app.live import services as live
from app.live.models import LiveStage
from app.localtime import utcnow
from tests.factories import contest_with_tracks, event_data
from tests.judging.conftest import FULL, make_entries

RUBRIC_SCORES = FULL  # every criterion of the standard rubric, valid for submit


@dataclass
class LiveWorld:
    contest: Contest
    tracks: list[Track]
    entries: list[Entry]
    organiser: object
    judges: list
    round: Round
    event: Event
    stage: LiveStage
    attendees: list[Attendee] = field(default_factory=list)
    tickets: dict[str, str] = field(default_factory=dict)  # "in1".."in3", "out", "revoked" → code


def make_live_world(make_user, *, vote: bool = True) -> LiveWorld:
    contest, tracks = contest_with_tracks(
        "kndmst-lan-5-thu", "CK", "Cuộc thi KNĐMST lần 5 (thử)", tracks=("Chung", "Dự phòng")
    )
    entries = make_entries(contest, tracks, n=3)
    for entry in entries:  # a final has one track here
        entry.track_id = tracks[0].id
    db.session.commit()
    organiser = make_user("btc@example.vn", roles=("organiser",), name="Trần Thị Thu Hà")
    judges = [
        make_user(f"gk{i}@example.vn", roles=("judge",), name=name)
        for i, name in enumerate(["Nguyễn Minh Tuấn", "Lê Hoàng Nam"], start=1)
    ]
    round_ = judging.create_round(
        organiser, contest, judging.RoundSettings(name="Chung kết", judges_per_entry=2)
    )
    judging.add_entries(organiser, round_)
    for judge in judges:
        judging.add_judge(organiser, round_, judge.email)
        for entry in entries:
            judging.assign_judge(organiser, round_, judge.id, entry.id)
    judging.save_prize_plan(
        organiser, round_, {"Chung": {"nhat": 1, "nhi": 1, "ba": 0, "khuyen_khich": 1}}, []
    )
    event = events.create_event(
        organiser, event_data("chung-ket-thu", "Chung kết KNĐMST lần 5 (thử)", contest_id=contest.id)
    )
    world = LiveWorld(contest, tracks, entries, organiser, judges, round_, event, stage=None)  # type: ignore[arg-type]
    scope = checkin.scope_for_user(event.slug, organiser)
    for key, name, phone in (
        ("in1", "Khán giả Một", "0905100001"),
        ("in2", "Khán giả Hai", "0905100002"),
        ("in3", "Khán giả Ba", "0905100003"),
        ("out", "Khán giả Chưa Vào", "0905100004"),
        ("revoked", "Khán giả Bị Thu Hồi", "0905100005"),
    ):
        attendee = registration.register_attendee(
            event,
            {"full_name": name, "phone": phone, "category": "Khách tham quan"},
            {"process_registration": True},
        )
        world.attendees.append(attendee)
        code = attendee.active_ticket.code
        world.tickets[key] = code
        if key.startswith("in"):
            checkin.record_checkin(scope, code)
        if key == "revoked":
            ticket = attendee.active_ticket
            ticket.revoked_at, ticket.revoked_reason = utcnow(), "Thử nghiệm"
    db.session.commit()
    world.stage = live.enable(
        organiser,
        round_,
        live.StageSettings(event_id=event.id if vote else None, vote_enabled=vote),
    )
    return world


@pytest.fixture
def live_round(app, make_user) -> LiveWorld:
    return make_live_world(make_user)
