"""The audience vote: one vote per ticket checked in to the final's event, refusals with their
messages, the replace rule, the window, the tally, the component written on close, the organiser-only
console command, the JSON API's ugly input, the page and the ticket's link, and (PostgreSQL) 200
simultaneous votes from 100 tickets."""

from __future__ import annotations

import json
import re
import threading
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from app.audit.models import AuditEvent
from app.contests.models import Contest, ContestStaff
from app.errors import Conflict, DomainError, Invalid, NotFound, PermissionDenied
from app.events import checkin, registration, tickets
from app.events import services as events
from app.events.models import Attendee, Checkin, Ticket
from app.extensions import db
from app.judging import services as judging
from app.judging.models import Round
from app.live import services as live
from app.live import votes
from app.live.models import AudienceVote, LiveStage
from app.localtime import utcnow
from tests.conftest import csrf_from
from tests.factories import event_data
from tests.live.conftest import make_live_world

# --- helpers -------------------------------------------------------------------------------------------


def other_event_ticket(world) -> str:
    """A ticket checked in to another event (the wrong one for this final)."""
    other = events.create_event(world.organiser, event_data("hoi-thao-khac", "Hội thảo khác"))
    attendee = registration.register_attendee(
        other,
        {"full_name": "Khách Sự Kiện Khác", "phone": "0905100009", "category": "Khách tham quan"},
        {"process_registration": True},
    )
    code = attendee.active_ticket.code
    checkin.record_checkin(checkin.scope_for_user(other.slug, world.organiser), code)
    return code


def opened(world) -> LiveStage:
    votes.open_vote(world.organiser, world.stage)
    return world.stage


def vote_rows(stage) -> list[AudienceVote]:
    return list(db.session.scalars(select(AudienceVote).where(AudienceVote.stage_id == stage.id)))


def api(client, key, body, **kwargs):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(f"/api/v1/binh-chon/{key}", data=data, content_type="application/json", **kwargs)


def with_component(world, max_points="20") -> str:
    judging.save_components(
        world.organiser, world.round, [{"name": "Khán giả bình chọn", "max_points": max_points}]
    )
    component = world.round.components[0]["id"]
    live.apply_settings(
        world.organiser,
        world.stage,
        live.StageSettings(event_id=world.event.id, vote_enabled=True, vote_component=component),
    )
    return component


# --- casting a vote ------------------------------------------------------------------------------------


def test_a_checked_in_ticket_votes_once_and_its_second_vote_replaces_the_first(live_round):
    stage = opened(live_round)
    a, b = live_round.entries[0], live_round.entries[1]
    first = votes.cast_vote(stage, live_round.tickets["in1"], a.id)
    assert (first.replaced, first.changes, first.entry_id, first.code) == (False, 0, a.id, a.code)
    assert "Đã ghi nhận bình chọn" in first.message and a.title in first.message
    second = votes.cast_vote(stage, live_round.tickets["in1"], b.id)
    assert (second.replaced, second.changes, second.entry_id) == (True, 1, b.id)
    assert "Chỉ lựa chọn cuối cùng được tính" in second.message
    votes.cast_vote(stage, live_round.tickets["in1"], b.id)
    rows = vote_rows(stage)
    assert len(rows) == 1 and rows[0].entry_id == b.id and rows[0].changes == 2
    assert rows[0].updated_at >= rows[0].created_at


def test_the_ticket_url_from_its_qr_and_a_code_read_out_loud_are_accepted(live_round):
    stage = opened(live_round)
    code = live_round.tickets["in2"]
    answer = votes.cast_vote(stage, registration.ticket_url(code), live_round.entries[0].id)
    assert answer.replaced is False
    spaced = " " + "-".join(code[i : i + 4] for i in range(0, len(code), 4)).upper() + "\n"
    assert votes.cast_vote(stage, spaced, live_round.entries[1].id).replaced is True
    assert len(vote_rows(stage)) == 1


@pytest.mark.parametrize(
    ("which", "error", "code", "words"),
    [
        ("out", PermissionDenied, "ticket_not_checked_in", "chưa được check-in"),
        ("revoked", PermissionDenied, "ticket_revoked", "đã bị thu hồi"),
        ("other", PermissionDenied, "ticket_wrong_event", "sự kiện khác"),
        ("unknown", Invalid, "ticket_invalid", "Mã vé không đúng"),
        ("garbage", Invalid, "ticket_invalid", "Mã vé không đúng"),
        ("blank", Invalid, "ticket_required", "Nhập mã vé"),
    ],
)
def test_tickets_that_may_not_vote_are_refused_with_a_message(live_round, which, error, code, words):
    stage = opened(live_round)
    scanned = {
        "other": lambda: other_event_ticket(live_round),
        "unknown": lambda: tickets.new_code(registration.ticket_key()),  # well signed, never issued
        "garbage": lambda: "xin chào",
        "blank": lambda: "   ",
    }.get(which, lambda: live_round.tickets[which])()
    with pytest.raises(error, match=words) as caught:
        votes.cast_vote(stage, scanned, live_round.entries[0].id)
    assert caught.value.code == code
    assert vote_rows(stage) == []


def test_an_undone_check_in_no_longer_votes(live_round):
    stage = opened(live_round)
    row = db.session.scalar(
        select(Checkin)
        .join(Ticket, Ticket.id == Checkin.ticket_id)
        .where(Ticket.code == live_round.tickets["in3"])
    )
    checkin.undo_checkin(
        checkin.scope_for_user(live_round.event.slug, live_round.organiser), row.id, "Quét nhầm vé"
    )
    with pytest.raises(PermissionDenied, match="chưa được check-in"):
        votes.cast_vote(stage, live_round.tickets["in3"], live_round.entries[0].id)


def test_only_the_stages_teams_and_not_an_absent_one(live_round):
    stage = opened(live_round)
    with pytest.raises(Invalid, match="Chọn một đội") as caught:
        votes.cast_vote(stage, live_round.tickets["in1"], 999_999)
    assert caught.value.code == "entry_invalid"
    with pytest.raises(Invalid):
        votes.cast_vote(stage, live_round.tickets["in1"], None)
    absent = live_round.entries[2]
    live.no_show(live_round.organiser, stage, absent.id, "Đội không có mặt tại hội trường")
    with pytest.raises(Conflict, match="vắng mặt") as caught:
        votes.cast_vote(stage, live_round.tickets["in1"], absent.id)
    assert caught.value.code == "entry_no_show"
    assert vote_rows(stage) == []


def test_the_window_never_opened_closed_and_reopened(live_round):
    stage = live_round.stage
    entry = live_round.entries[0].id
    with pytest.raises(Conflict, match="chưa mở") as caught:
        votes.cast_vote(stage, live_round.tickets["in1"], entry)
    assert caught.value.code == "vote_not_open"
    version = stage.version
    votes.open_vote(live_round.organiser, stage)
    assert stage.vote_open and stage.version > version
    votes.cast_vote(stage, live_round.tickets["in1"], entry)
    votes.close_vote(live_round.organiser, stage)
    assert not stage.vote_open
    with pytest.raises(Conflict, match="đã đóng") as caught:
        votes.cast_vote(stage, live_round.tickets["in2"], entry)
    assert caught.value.code == "vote_closed"
    with pytest.raises(Conflict, match="đã đóng"):  # nor a change of mind
        votes.cast_vote(stage, live_round.tickets["in1"], live_round.entries[1].id)
    votes.open_vote(live_round.organiser, stage)  # reopened: the votes are kept
    assert [r["votes"] for r in votes.tally(stage)] == [1, 0, 0]
    assert len(vote_rows(stage)) == 1
    votes.cast_vote(stage, live_round.tickets["in2"], entry)
    assert [r["votes"] for r in votes.tally(stage)] == [2, 0, 0]


def test_a_stage_without_vote_refuses_and_cannot_be_opened(app, make_user):
    world = make_live_world(make_user, vote=False)
    with pytest.raises(NotFound, match="không có bình chọn") as caught:
        votes.cast_vote(world.stage, world.tickets["in1"], world.entries[0].id)
    assert caught.value.code == "vote_disabled"
    with pytest.raises(Conflict, match="chưa bật bình chọn"):
        votes.open_vote(world.organiser, world.stage)
    with pytest.raises(Conflict, match="chưa mở"):
        votes.close_vote(world.organiser, world.stage)


# --- counting and the component ------------------------------------------------------------------------


def test_the_tally_is_one_grouped_query_in_running_order(live_round):
    stage = opened(live_round)
    a, b, c = live_round.entries
    live.set_order(live_round.organiser, stage, [c.id, a.id, b.id])
    votes.cast_vote(stage, live_round.tickets["in1"], a.id)
    votes.cast_vote(stage, live_round.tickets["in2"], a.id)
    votes.cast_vote(stage, live_round.tickets["in3"], b.id)
    assert stage.id  # loaded (the commits expired it): only the tally's own statements are counted
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        counts = votes.tally(stage)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) == 1 and "GROUP BY" in statements[0].upper()
    assert [(r["entry_id"], r["votes"]) for r in counts] == [(c.id, 0), (a.id, 2), (b.id, 1)]
    assert counts[1]["code"] == a.code and counts[1]["title"] == a.title


def test_closing_writes_the_normalised_votes_into_the_component(live_round):
    component = with_component(live_round, "20")
    stage = opened(live_round)
    a, b, c = live_round.entries
    for key, entry in (("in1", a), ("in2", a), ("in3", b)):
        votes.cast_vote(stage, live_round.tickets[key], entry.id)
    before = db.session.get(Round, live_round.round.id).results_version
    counts = votes.close_vote(live_round.organiser, stage)
    assert {r["entry_id"]: r["votes"] for r in counts} == {a.id: 2, b.id: 1, c.id: 0}
    values = judging.component_values(live_round.round)
    assert {e: Decimal(values[(e, component)]) for e in (a.id, b.id, c.id)} == {
        a.id: Decimal(20),
        b.id: Decimal(10),
        c.id: Decimal(0),
    }
    db.session.expire_all()
    assert db.session.get(Round, live_round.round.id).results_version > before
    assert db.session.get(LiveStage, stage.id).vote_closed_at is not None


def test_normalising_rounds_to_two_decimals_and_nobody_voting_gives_zeros():
    counts = [{"entry_id": 1, "votes": 3}, {"entry_id": 2, "votes": 2}, {"entry_id": 3, "votes": 1}]
    assert votes.normalised(counts, Decimal(20)) == {1: "20.00", 2: "13.33", 3: "6.67"}
    assert votes.normalised([{"entry_id": 1, "votes": 0}], Decimal(20)) == {1: "0"}
    assert votes.normalised([], Decimal(20)) == {}


def test_closing_with_nobody_voting_writes_zeros(live_round):
    component = with_component(live_round, "10")
    stage = opened(live_round)
    votes.close_vote(live_round.organiser, stage)
    values = judging.component_values(live_round.round)
    assert sorted(Decimal(values[(e.id, component)]) for e in live_round.entries) == [0, 0, 0]


# --- the console's command (organisers only) -----------------------------------------------------------


def console_post(client, world, action, *, as_json=False):
    token = client.get("/").get_data(as_text=True)  # any page's form token (the footer's language form)
    headers = {"Accept": "application/json"} if as_json else {}
    return client.post(
        f"/truc-tiep/vong/{world.round.id}/binh-chon",
        data={"action": action, "csrf_token": csrf_from(token)},
        headers=headers,
    )


def test_the_organiser_opens_and_closes_from_the_console(live_round, client, login):
    login("btc@example.vn")
    response = console_post(client, live_round, "open", as_json=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["vote"] == {"enabled": True, "open": True, "closed": False}
    assert {row["votes"] for row in response.get_json()["tally"]} == {0}  # the organisers' live tally
    response = console_post(client, live_round, "close")
    assert response.status_code == 303 and response.location.endswith(
        f"/truc-tiep/vong/{live_round.round.id}"
    )
    db.session.expire_all()
    assert db.session.get(LiveStage, live_round.stage.id).vote_closed_at is not None
    response = console_post(client, live_round, "explode", as_json=True)
    assert response.status_code == 422 and "Lệnh không hợp lệ" in response.get_json()["message"]
    assert {"live.vote_open", "live.vote_close"} <= set(db.session.scalars(select(AuditEvent.action)))


@pytest.mark.parametrize("who", ["judge", "applicant", "stranger"])
def test_only_this_contests_organisers_open_the_vote(live_round, client, login, make_user, who):
    if who == "judge":
        email = "gk1@example.vn"
    elif who == "applicant":
        email = make_user("thisinh@example.vn", roles=("applicant",)).email
    else:
        other = Contest(
            slug="khac",
            name="Cuộc thi khác",
            year=2024,
            code_prefix="KH",
            opens_at=utcnow(),
            closes_at=utcnow(),
            form_fields={},
            fields=[],
        )
        db.session.add(other)
        db.session.flush()
        stranger = make_user("doan@example.vn", roles=("organiser",), name="Lê Văn Thành")
        db.session.add(ContestStaff(contest_id=other.id, user_id=stranger.id, role="organiser"))
        db.session.commit()
        email = stranger.email
    login(email)
    response = console_post(client, live_round, "open", as_json=True)
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(LiveStage, live_round.stage.id).vote_opened_at is None


def test_an_anonymous_visitor_is_sent_to_log_in(live_round, client):
    html = client.get(f"/binh-chon/{live_round.stage.public_key}").get_data(as_text=True)
    response = client.post(
        f"/truc-tiep/vong/{live_round.round.id}/binh-chon",
        data={"action": "open", "csrf_token": csrf_from(html)},
    )
    assert response.status_code in (302, 401)
    db.session.expire_all()
    assert db.session.get(LiveStage, live_round.stage.id).vote_opened_at is None


# --- the JSON API --------------------------------------------------------------------------------------


def test_the_api_records_and_replaces_a_vote(live_round, client):
    stage = opened(live_round)
    a, b = live_round.entries[0], live_round.entries[1]
    response = api(client, stage.public_key, {"ticket": live_round.tickets["in1"], "entry_id": a.id})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["ok"] is True and body["replaced"] is False
    assert body["entry"] == {"entry_id": a.id, "code": a.code, "title": a.title}
    body = api(
        client, stage.public_key, {"ticket": live_round.tickets["in1"], "entry_id": str(b.id)}
    ).get_json()
    assert body["replaced"] is True and body["entry"]["entry_id"] == b.id
    assert len(vote_rows(stage)) == 1


@pytest.mark.parametrize(
    ("which", "status", "code"),
    [
        ("out", 403, "ticket_not_checked_in"),
        ("revoked", 403, "ticket_revoked"),
        ("other", 403, "ticket_wrong_event"),
        ("unknown", 422, "ticket_invalid"),
    ],
)
def test_the_api_refuses_tickets_with_status_and_message(live_round, client, which, status, code):
    stage = opened(live_round)
    ticket = other_event_ticket(live_round) if which == "other" else live_round.tickets.get(which, "abc")
    response = api(client, stage.public_key, {"ticket": ticket, "entry_id": live_round.entries[0].id})
    assert response.status_code == status
    body = response.get_json()
    assert body["error"] == code and body["message"]


def test_the_api_refuses_a_closed_window_and_an_unknown_link(live_round, client):
    stage = live_round.stage
    body = {"ticket": live_round.tickets["in1"], "entry_id": live_round.entries[0].id}
    response = api(client, stage.public_key, body)
    assert (response.status_code, response.get_json()["error"]) == (409, "vote_not_open")
    opened(live_round)
    votes.close_vote(live_round.organiser, stage)
    response = api(client, stage.public_key, body)
    assert (response.status_code, response.get_json()["error"]) == (409, "vote_closed")
    response = api(client, "khong-co-khoa-nay", body)
    assert response.status_code == 404 and response.get_json()["message"]


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "null",
        "[]",
        '"ve"',
        "{",
        '{"ticket": NaN, "entry_id": 1}',
        "[" * 1500 + "]" * 1500,
        b"\xff\xfe\x00",
        '{"ticket": 12345, "entry_id": 1}',
        '{"ticket": ["a"], "entry_id": 1}',
        '{"ticket": {"code": "a"}, "entry_id": 1}',
        '{"ticket": "TICKET", "entry_id": "một"}',
        '{"ticket": "TICKET", "entry_id": 1.5}',
        '{"ticket": "TICKET", "entry_id": true}',
        '{"ticket": "TICKET", "entry_id": -3}',
        '{"ticket": "TICKET", "entry_id": 99999999999999999999999999}',
        '{"ticket": "TICKET", "entry_id": "99999999999999999999"}',
        '{"ticket": "TICKET", "entry_id": 424242}',
        '{"ticket": "TICKET"}',
        '{"entry_id": 1}',
        '{"ticket": "TICKET\\u0000", "entry_id": "ENTRY"}',
        '{"ticket": "' + "a" * 1990 + '/x", "entry_id": "ENTRY"}',
        '{"ticket": "' + "A" * 3000 + '", "entry_id": "ENTRY"}',
        '{"ticket": "' + "A" * 10_240 + '", "entry_id": "ENTRY"}',
    ],
)
def test_the_api_answers_ugly_input_with_a_4xx_json_never_a_500(live_round, client, raw):
    stage = opened(live_round)
    if isinstance(raw, str):
        raw = raw.replace("TICKET", live_round.tickets["in1"]).replace("ENTRY", str(live_round.entries[0].id))
    response = api(client, stage.public_key, raw)
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:300])
    body = response.get_json()
    assert body["error"] and body["message"]
    assert vote_rows(stage) == []


def test_the_api_refuses_a_huge_body_unread(live_round, client):
    stage = opened(live_round)
    body = json.dumps(
        {"ticket": live_round.tickets["in1"], "entry_id": live_round.entries[0].id, "x": "a" * 50_000}
    )
    response = api(client, stage.public_key, body)
    assert response.status_code == 413 and response.get_json()["error"] == "request_too_large"


# --- the page ------------------------------------------------------------------------------------------


def test_the_page_lists_the_teams_states_the_rule_and_prefills_the_ticket(live_round, client):
    stage = live_round.stage
    code = live_round.tickets["in1"]
    html = client.get(f"/binh-chon/{stage.public_key}?ve={code}").get_data(as_text=True)
    assert 'id="vote-ticket"' in html and f'value="{code}"' in html and "Mã vé" in html
    assert "Bạn có thể đổi lựa chọn đến khi bình chọn đóng; chỉ lựa chọn cuối cùng được tính." in html
    assert all(e.title in html for e in live_round.entries)
    assert "Bình chọn chưa mở" in html and re.search(r'id="vote-submit"[^>]*disabled', html)
    # A ticket URL in ?ve= is cut down to its code; markup in it is never echoed.
    html = client.get(
        f"/binh-chon/{stage.public_key}", query_string={"ve": registration.ticket_url(code)}
    ).get_data(as_text=True)
    assert f'value="{code}"' in html
    html = client.get(f"/binh-chon/{stage.public_key}", query_string={"ve": '"><script>x</script>'}).get_data(
        as_text=True
    )
    assert "<script>x" not in html
    assert client.get("/binh-chon/khong-co").status_code == 404


def test_the_page_works_as_a_plain_form(live_round, client):
    stage = opened(live_round)
    url = f"/binh-chon/{stage.public_key}"
    html = client.get(url).get_data(as_text=True)
    assert "Bình chọn đang mở" in html
    entry = live_round.entries[1]
    response = client.post(
        url,
        data={"csrf_token": csrf_from(html), "ticket": live_round.tickets["in2"], "entry_id": str(entry.id)},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Đã ghi nhận bình chọn" in page
    assert re.search(rf'value="{entry.id}"[^>]*checked', page)
    response = client.post(
        url,
        data={"csrf_token": csrf_from(html), "ticket": live_round.tickets["out"], "entry_id": str(entry.id)},
    )
    assert response.status_code == 403 and "chưa được check-in" in response.get_data(as_text=True)
    response = client.post(url, data={"ticket": live_round.tickets["in3"], "entry_id": str(entry.id)})
    assert response.status_code == 400  # no CSRF token
    assert len(vote_rows(stage)) == 1


def test_the_qr_holds_the_absolute_vote_address(live_round, client, app):
    stage = live_round.stage
    app.config["BASE_URL"] = "https://kndmst.quangngai.gov.vn"
    response = client.get(f"/binh-chon/{stage.public_key}/qr.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data.startswith(b"\x89PNG")
    expected = tickets.qr_png(
        f"https://kndmst.quangngai.gov.vn/binh-chon/{stage.public_key}", box_size=12, border=2
    )
    assert response.data == expected


def test_the_ticket_page_links_to_the_vote_only_while_it_is_open(live_round, client):
    code = live_round.tickets["in1"]
    assert "Bình chọn đội bạn yêu thích" not in client.get(f"/ve/{code}").get_data(as_text=True)
    opened(live_round)
    html = client.get(f"/ve/{code}").get_data(as_text=True)
    assert "Bình chọn đội bạn yêu thích" in html
    assert f"/binh-chon/{live_round.stage.public_key}?ve={code}" in html
    votes.close_vote(live_round.organiser, live_round.stage)
    assert "Bình chọn đội bạn yêu thích" not in client.get(f"/ve/{code}").get_data(as_text=True)


# --- PostgreSQL: a burst of simultaneous votes ---------------------------------------------------------


def checked_in_codes(world, n: int) -> list[str]:
    """n more tickets of the final's event, each checked in (rows written directly: fast)."""
    key = registration.ticket_key()
    codes = []
    for i in range(n):
        attendee = Attendee(event_id=world.event.id, full_name=f"Khán giả {i}", category="Khách tham quan")
        db.session.add(attendee)
        db.session.flush()
        ticket = Ticket(event_id=world.event.id, attendee_id=attendee.id, code=tickets.new_code(key))
        db.session.add(ticket)
        db.session.flush()
        db.session.add(Checkin(event_id=world.event.id, ticket_id=ticket.id, attendee_id=attendee.id))
        codes.append(ticket.code)
    db.session.commit()
    return codes


def vote_in_threads(app, stage_id: int, parts: list[list[tuple[str, int]]], *, then=None):
    """Each part's votes in its own thread (its own app context and session), all released at once;
    `then` runs in this thread at the same moment. Returns (answers, refusals, errors, then's value)."""
    barrier = threading.Barrier(len(parts) + 1)
    answers: list[votes.VoteAnswer] = []
    refusals: list[DomainError] = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def voter(part):
        with app.app_context():
            barrier.wait()
            for code, entry_id in part:
                try:
                    answer = votes.cast_vote(db.session.get_one(LiveStage, stage_id), code, entry_id)
                except DomainError as exc:
                    with lock:
                        refusals.append(exc)
                except Exception as exc:  # noqa: BLE001 - reported by the caller
                    with lock:
                        errors.append(exc)
                else:
                    with lock:
                        answers.append(answer)
                finally:
                    db.session.remove()

    threads = [threading.Thread(target=voter, args=(part,)) for part in parts]
    for t in threads:
        t.start()
    barrier.wait()
    value = then() if then is not None else None
    for t in threads:
        t.join()
    return answers, refusals, errors, value


@pytest.mark.postgres_only
def test_two_hundred_simultaneous_votes_from_a_hundred_tickets_count_once_each(live_round, app, is_postgres):
    if not is_postgres:
        pytest.skip("concurrent upserts are a PostgreSQL matter; SQLite serialises whole transactions")
    stage = opened(live_round)
    codes = checked_in_codes(live_round, 100)
    stage_id, entries = stage.id, [e.id for e in live_round.entries]
    db.session.remove()
    # Each ticket votes twice, for two teams, from two different threads at once.
    parts: list[list[tuple[str, int]]] = [[] for _ in range(50)]
    for i, code in enumerate(codes):
        parts[i % 25].append((code, entries[i % 3]))
        parts[25 + (i + 7) % 25].append((code, entries[(i + 1) % 3]))
    answers, refusals, errors, _ = vote_in_threads(app, stage_id, parts)
    assert errors == [] and refusals == []
    assert len(answers) == 200 and sum(not a.replaced for a in answers) == 100
    stage = db.session.get_one(LiveStage, stage_id)
    rows = vote_rows(stage)
    assert len(rows) == 100 and len({r.ticket_id for r in rows}) == 100
    assert sorted(r.changes for r in rows) == [1] * 100
    assert sum(r["votes"] for r in votes.tally(stage)) == 100


@pytest.mark.postgres_only
def test_closing_during_a_burst_counts_every_vote_that_was_accepted(live_round, app, is_postgres):
    if not is_postgres:
        pytest.skip("row locks are a PostgreSQL matter; SQLite serialises whole transactions")
    component = with_component(live_round, "20")
    stage = opened(live_round)
    codes = checked_in_codes(live_round, 120)
    stage_id, round_id, entries = stage.id, live_round.round.id, [e.id for e in live_round.entries]
    organiser_id = live_round.organiser.id
    db.session.remove()
    parts = [[(code, entries[(i + j) % 3]) for j, code in enumerate(codes[i::30])] for i in range(30)]

    def close():
        with app.app_context():
            try:
                actor = db.session.get_one(type(live_round.organiser), organiser_id)
                return votes.close_vote(actor, db.session.get_one(LiveStage, stage_id))
            finally:
                db.session.remove()

    answers, refusals, errors, counts = vote_in_threads(app, stage_id, parts, then=close)
    assert errors == []
    assert len(answers) + len(refusals) == 120
    assert {r.code for r in refusals} <= {"vote_closed"}
    # No vote committed after the count: what close counted is what stands, and what was accepted.
    stage = db.session.get_one(LiveStage, stage_id)
    assert counts == votes.tally(stage)
    assert sum(r["votes"] for r in counts) == len(answers) == len(vote_rows(stage))
    values = judging.component_values(db.session.get_one(Round, round_id))
    expected = votes.normalised(counts, Decimal(20))
    assert {e: Decimal(values[(e, component)]) for e in entries} == {
        e: Decimal(v) for e, v in expected.items()
    }
