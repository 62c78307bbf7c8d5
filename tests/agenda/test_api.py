"""Check-in at a room's door through the HTTP API: every answer, replays, undo, who may scan, and
ugly input answered with the same JSON errors as the gate's API."""

from __future__ import annotations

import uuid
from datetime import time, timedelta

import pytest

from app.agenda import registrations
from app.agenda.models import EventSession, SessionCheckin
from app.extensions import db
from tests.conftest import csrf_from


def url(event, session_id):
    return f"/api/v1/events/{event.slug}/sessions/{session_id}/checkins"


def scan(client, event, session_id, code, token, **extra):
    body = {"code": code, **extra}
    return client.post(url(event, session_id), json=body, headers={"Authorization": f"Bearer {token}"})


def present(session_id):
    db.session.expire_all()
    return db.session.get(EventSession, session_id).present_count


def test_ok_then_already_with_the_first_time(client, event, make_session, register, device_token):
    s = make_session(registration_required=False)
    code = register(event, name="Phạm Thị Mai").active_ticket.code
    first = scan(client, event, s.id, code, device_token).get_json()
    assert first["result"] == "ok" and first["attendee"]["name"] == "Phạm Thị Mai"
    assert first["checkin"]["gate"] == "Hội trường A" and first["checkin"]["staff"].startswith("Thiết bị")
    assert set(first["checkin"]) == {"id", "at", "at_local", "gate", "staff"}
    again = scan(client, event, s.id, f"https://x/ve/{code}", device_token).get_json()
    assert again["result"] == "already_checked_in"
    assert again["first_checkin"]["id"] == first["checkin"]["id"]
    assert present(s.id) == 1


def test_not_registered_and_waitlisted_people_are_refused(
    client, event, make_session, register, device_token
):
    s = make_session(capacity=1)
    holder, waiting, stranger = (
        register(event, name="Lê Văn Tâm"),
        register(event, name="Võ Thị Nga"),
        register(event, name="Đỗ Văn Hùng"),
    )
    registrations.register_for_session(holder.active_ticket, s.id)
    registrations.register_for_session(waiting.active_ticket, s.id)
    assert scan(client, event, s.id, holder.active_ticket.code, device_token).get_json()["result"] == "ok"
    for person in (waiting, stranger):
        answer = scan(client, event, s.id, person.active_ticket.code, device_token).get_json()
        assert answer["result"] == "not_registered" and "danh sách chờ" in answer["message"]
    assert present(s.id) == 1


def test_room_full_when_capacity_reached_and_undo_frees_a_seat(
    client, event, make_session, register, device_token
):
    s = make_session(capacity=2, registration_required=False)
    codes = [register(event, name=n).active_ticket.code for n in ("Lê Văn Tâm", "Võ Thị Nga", "Đỗ Văn Hùng")]
    answers = [scan(client, event, s.id, c, device_token).get_json() for c in codes]
    assert [a["result"] for a in answers] == ["ok", "ok", "room_full"]
    assert answers[2]["session"]["present"] == 2 and answers[2]["session"]["capacity"] == 2
    undo = client.delete(
        url(event, s.id) + f"/{answers[0]['checkin']['id']}",
        json={"reason": "Ra về sớm"},
        headers={"Authorization": f"Bearer {device_token}"},
    )
    assert undo.status_code == 200 and undo.get_json()["result"] == "undone"
    assert present(s.id) == 1
    assert scan(client, event, s.id, codes[2], device_token).get_json()["result"] == "ok"
    again = client.delete(
        url(event, s.id) + f"/{answers[0]['checkin']['id']}?reason=L%E1%BA%A7n%20n%E1%BB%AFa",
        headers={"Authorization": f"Bearer {device_token}"},
    )
    assert again.status_code == 409 and again.get_json()["error"] == "already_undone"
    no_reason = client.delete(url(event, s.id) + "/1", headers={"Authorization": f"Bearer {device_token}"})
    assert no_reason.status_code == 422 and no_reason.get_json()["error"] == "reason_required"


def test_invalid_revoked_wrong_event_and_ended(
    app, client, organiser, event, make_session, register, device_token
):
    from app.events import registration, services
    from tests.factories import event_data

    s = make_session(registration_required=False)
    assert scan(client, event, s.id, "rác", device_token).get_json()["result"] == "invalid"
    person = register(event, name="Lê Văn Tâm")
    old = person.active_ticket.code
    registration.reissue_ticket(organiser, person, "Mất điện thoại")
    assert scan(client, event, s.id, old, device_token).get_json()["result"] == "revoked"
    other = services.create_event(organiser, event_data("khac", "Sự kiện khác"))
    foreign = register(other, name="Võ Thị Nga").active_ticket.code
    answer = scan(client, event, s.id, foreign, device_token).get_json()
    assert answer["result"] == "wrong_event" and answer["event"]["name"] == "Sự kiện khác"
    event.starts_at -= timedelta(days=10)
    event.ends_at = event.starts_at + timedelta(hours=1)
    db.session.commit()
    valid = person.active_ticket.code
    assert scan(client, event, s.id, valid, device_token).get_json()["result"] == "event_ended"
    event.late_checkin = True
    db.session.commit()
    assert scan(client, event, s.id, valid, device_token).get_json()["result"] == "ok"


def test_a_repeated_scan_id_returns_the_first_answer(client, event, make_session, register, device_token):
    s = make_session(capacity=1)
    holder, stranger = register(event, name="Lê Văn Tâm"), register(event, name="Võ Thị Nga")
    registrations.register_for_session(holder.active_ticket, s.id)
    ok_id, refused_id = str(uuid.uuid4()), str(uuid.uuid4())
    first = scan(client, event, s.id, holder.active_ticket.code, device_token, scan_id=ok_id).get_json()
    replay = scan(client, event, s.id, holder.active_ticket.code, device_token, scan_id=ok_id).get_json()
    assert replay["result"] == "ok" and replay["replayed"] is True
    assert replay["checkin"]["id"] == first["checkin"]["id"]
    refused = scan(
        client, event, s.id, stranger.active_ticket.code, device_token, scan_id=refused_id
    ).get_json()
    # A retry (the scanner lost the answer) gets the first answer, not a new decision.
    again = scan(
        client, event, s.id, stranger.active_ticket.code, device_token, scan_id=refused_id
    ).get_json()
    assert refused["result"] == again["result"] == "not_registered" and again["replayed"] is True
    assert db.session.query(SessionCheckin).count() == 1


def test_who_may_scan(client, event, make_session, register, make_user, login, organiser):
    from app.events import services

    s = make_session(registration_required=False)
    code = register(event, name="Lê Văn Tâm").active_ticket.code
    anonymous = client.post(url(event, s.id), json={"code": code})
    assert anonymous.status_code == 401 and anonymous.get_json()["error"] == "unauthorized"
    bad_token = scan(client, event, s.id, code, "khong-dung")
    assert bad_token.status_code == 401
    other = services.create_event(
        organiser, __import__("tests.factories").factories.event_data("khac", "Khác")
    )
    _row, other_token = services.create_device_token(None, other, "Máy khác")
    assert scan(client, event, s.id, code, other_token).status_code == 403
    make_user("tnv-khac@example.vn", roles=("checkin_staff",), name="Võ Thị Lan")
    login("tnv-khac@example.vn")
    page = client.get("/").get_data(as_text=True)
    token = csrf_from(page)
    refused = client.post(url(event, s.id), json={"code": code}, headers={"X-CSRFToken": token})
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"


def test_staff_session_needs_the_csrf_header(
    client, event, make_session, register, make_user, login, organiser
):
    from app.events import services

    s = make_session(registration_required=False)
    code = register(event, name="Lê Văn Tâm").active_ticket.code
    staff = make_user("tnv@example.vn", roles=("checkin_staff",), name="Võ Thị Lan")
    services.assign_staff(organiser, event, staff.email)
    login("tnv@example.vn")
    assert client.post(url(event, s.id), json={"code": code}).status_code == 400
    token = csrf_from(client.get("/").get_data(as_text=True))
    answer = client.post(url(event, s.id), json={"code": code}, headers={"X-CSRFToken": token}).get_json()
    assert answer["result"] == "ok" and answer["checkin"]["staff"] == "Võ Thị Lan"


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (b"", 400, "invalid_json"),
        (b"{not json", 400, "invalid_json"),
        (b"[1, 2]", 400, "invalid_json"),
        (b'{"code": NaN}', 400, "invalid_json"),
        (b'{"a": {"b": {"c": {"d": 1}}}}', 400, "invalid_json"),
        (b"[" * 100_000, 413, "request_too_large"),
        (b'{"scan_id": "x"}', 422, "missing_code"),
        (b'{"code": 12}', 422, "invalid_code"),
        (b'{"code": "abc", "scan_id": "c\\u00f3 d\\u1ea5u"}', 422, "invalid_scan_id"),
        (b'{"code": "abc\\u202e"}', 422, "invalid_code"),
    ],
)
def test_ugly_bodies_get_the_same_json_errors_as_the_gate(
    client, event, make_session, device_token, body, status, error
):
    s = make_session()
    response = client.post(
        url(event, s.id),
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {device_token}"},
    )
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.get_json()["error"] == error
    assert response.get_json()["message"]


def test_unknown_sessions_are_404_json(client, organiser, event, make_session, device_token):
    from app.events import services
    from tests.factories import event_data

    other = services.create_event(organiser, event_data("khac", "Khác"))
    foreign = make_session(other, start=time(0, 0), end=time(23, 59))
    for session_id in (foreign.id, 999_999):
        response = scan(client, event, session_id, "abc", device_token)
        assert response.status_code == 404 and response.get_json()["error"] == "not_found"
    assert client.post(f"/api/v1/events/{event.slug}/sessions/abc/checkins").status_code == 404


def test_scan_points_list_todays_and_upcoming_sessions(app, event, make_session):
    from app.events import scanpoints

    s = make_session(
        title="Hội thảo chuyển đổi số cho HTX", room="Phòng B", start=time(9, 0), end=time(10, 0)
    )
    make_session(title="Ẩn", is_published=False)
    with app.test_request_context():
        points = [p for p in scanpoints.points_for(event) if p["kind"] == "session"]
    assert [p["id"] for p in points] == [f"session:{s.id}"]
    assert points[0]["label"].startswith("Phòng B – Hội thảo chuyển đổi số cho HTX (09:00")
    assert points[0]["api"] == f"/api/v1/events/{event.slug}/sessions/{s.id}/checkins"
