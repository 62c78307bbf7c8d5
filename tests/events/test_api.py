"""The check-in API of SPEC §9 over real HTTP: every answer, bad codes, auth, CSRF, idempotency,
and the exactly-once rule under concurrency."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.errors import Conflict, Invalid
from app.events.models import Checkin, Event, Scan
from app.extensions import db
from tests.conftest import csrf_from, submit


def post_scan(client, event, token, code, **extra):
    body = {"code": code, "gate": "Cổng A", "scan_id": str(uuid.uuid4()), **extra}
    return client.post(
        f"/api/v1/events/{event.slug}/checkins", json=body, headers={"Authorization": f"Bearer {token}"}
    )


def all_rows(model):
    return db.session.scalar(select(func.count()).select_from(model))


def active_checkins(ticket_id=None):
    stmt = select(func.count()).select_from(Checkin).where(Checkin.undone_at.is_(None))
    if ticket_id is not None:
        stmt = stmt.where(Checkin.ticket_id == ticket_id)
    return db.session.scalar(stmt)


def test_every_answer_type(client, event, register, device_token, make_event, app):
    attendee = register(event, "Nguyễn Thị Hồng")
    code = attendee.active_ticket.code

    first = post_scan(client, event, device_token, code)
    assert first.status_code == 200
    body = first.get_json()
    assert body["result"] == "ok"
    assert body["attendee"]["name"] == "Nguyễn Thị Hồng"
    assert body["checkin"]["gate"] == "Cổng A" and body["checkin"]["id"]

    again = post_scan(client, event, device_token, f"http://localhost/ve/{code}\n", gate="Cổng B").get_json()
    assert again["result"] == "already_checked_in"
    assert again["first_checkin"]["id"] == body["checkin"]["id"]
    assert again["first_checkin"]["gate"] == "Cổng A"  # the first gate, not this one
    assert again["first_checkin"]["at"] == body["checkin"]["at"]
    assert again["first_checkin"]["staff"] == "Thiết bị: Điện thoại cổng A"

    assert post_scan(client, event, device_token, "xin chào").get_json()["result"] == "invalid"

    other_event = make_event(slug="chung-ket", name="Chung kết")
    stranger = register(other_event, "Lê Văn Tám")
    wrong = post_scan(client, event, device_token, stranger.active_ticket.code).get_json()
    assert wrong["result"] == "wrong_event"
    assert wrong["event"]["name"] == "Chung kết"
    assert "attendee" not in wrong  # no personal data of another event's guest

    from app.events import registration

    organiser = db.session.scalar(select(User).where(User.email == "btc@example.vn"))
    victim = register(event, "Phạm Thị Mất Vé")
    old_code = victim.active_ticket.code
    registration.reissue_ticket(organiser, victim, "Mất điện thoại")
    assert post_scan(client, event, device_token, old_code).get_json()["result"] == "revoked"
    db.session.refresh(victim)
    assert post_scan(client, event, device_token, victim.active_ticket.code).get_json()["result"] == "ok"
    assert active_checkins() == 2


def test_cancelled_guest_registers_again_and_the_old_ticket_is_revoked(client, event, register, device_token):
    """A cancelled registration frees the phone: the same person registers again on the public page,
    gets a new ticket, the old ticket answers "revoked" at the gate; a second active one is refused."""
    from app.events import registration
    from app.events.models import Attendee

    organiser = db.session.scalar(select(User).where(User.email == "btc@example.vn"))
    first = register(event, "Nguyễn Thị Hồng", phone="0905 111 222")
    first_id, old_code = first.id, first.active_ticket.code
    registration.cancel_registration(organiser, first, "Khách báo bận")

    form = {
        "full_name": "Nguyễn Thị Hồng",
        "phone": "+84 905 111 222",  # the same phone, written differently
        "email": "",
        "organisation": "",
        "category": "Khách tham quan",
        "group_name": "",
        "consent_process_registration": "y",
    }
    again = submit(client, f"/su-kien/{event.slug}", form)
    assert again.status_code == 302, again.get_data(as_text=True)
    new_code = again.headers["Location"].rsplit("/", 1)[1]
    assert new_code != old_code
    rows = db.session.scalars(
        select(Attendee).where(Attendee.phone == "+84905111222").order_by(Attendee.id)
    ).all()
    assert [(a.id == first_id, a.cancelled_at is None) for a in rows] == [(True, False), (False, True)]
    assert rows[1].active_ticket.code == new_code
    assert db.session.get(Event, event.id).registered_count == 1

    old = post_scan(client, event, device_token, old_code).get_json()
    assert old["result"] == "revoked" and old["attendee"]["name"] == "Nguyễn Thị Hồng"
    assert post_scan(client, event, device_token, new_code).get_json()["result"] == "ok"
    assert active_checkins() == 1

    twice = submit(client, f"/su-kien/{event.slug}", {**form, "phone": "0905111222"})
    assert twice.status_code == 422 and "đã đăng ký sự kiện" in twice.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).where(Attendee.phone == "+84905111222")) == 2


def test_tampered_truncated_and_unknown_codes_are_invalid(client, event, register, device_token, app):
    from app.events import registration, tickets

    code = register(event).active_ticket.code
    tampered = code[:10] + ("b" if code[10] == "a" else "a") + code[11:]
    forged_key = tickets.new_code(tickets.derive_key("not-our-secret"))
    well_signed_unknown = tickets.new_code(registration.ticket_key())  # signed by us but never issued
    for scanned in [tampered, code[:-3], code[:20], forged_key, well_signed_unknown, "", "   \n", "/ve/"]:
        answer = post_scan(client, event, device_token, scanned).get_json()
        assert answer["result"] == "invalid", scanned
    assert active_checkins() == 0


def test_bad_requests_get_json_errors_not_500(client, event, device_token):
    url = f"/api/v1/events/{event.slug}/checkins"
    auth = {"Authorization": f"Bearer {device_token}"}
    for body in ("not json", '["a"]', "", "NaN", '{"code": NaN}', b"\xff\xfe{"):
        refused = client.post(url, data=body, headers=auth)
        assert refused.status_code == 400 and refused.get_json()["error"] == "invalid_json", body
    missing = client.post(url, json={"gate": "Cổng A"}, headers=auth)
    assert missing.status_code == 422 and missing.get_json()["error"] == "missing_code"
    assert client.post(url, json={"code": 5}, headers=auth).status_code == 422
    bad_gate = client.post(url, json={"code": "x", "gate": "Cổng Z"}, headers=auth)
    assert bad_gate.status_code == 422 and "Cổng Z" in bad_gate.get_json()["message"]
    assert client.post(url, json={"code": "x", "scan_id": "a" * 65}, headers=auth).status_code == 422
    assert client.post(url, json={"code": "x", "scan_id": {"a": 1}}, headers=auth).status_code == 422
    assert (
        client.post("/api/v1/events/khong-co/checkins", json={"code": "x"}, headers=auth).status_code == 403
    )


def test_deep_huge_and_mistyped_bodies_are_refused_with_json_not_500(client, event, register, device_token):
    url = f"/api/v1/events/{event.slug}/checkins"
    auth = {"Authorization": f"Bearer {device_token}"}
    # Defect 7: 200 KB of nesting was a RecursionError (500). Now refused unread: too large.
    huge = client.post(url, data="[" * 200_000 + "]" * 200_000, headers=auth, content_type="application/json")
    assert huge.status_code == 413 and huge.get_json()["error"] == "request_too_large"
    # Under the size limit but nested past Python's recursion limit, and merely deeper than ours.
    for depth in (30_000, 10):
        deep = client.post(url, data="[" * depth + "]" * depth, headers=auth, content_type="application/json")
        assert deep.status_code == 400 and deep.get_json()["error"] == "invalid_json", depth
    nested = {"code": "x", "gate": "Cổng A", "extra": {"a": {"b": {"c": 1}}}}
    assert client.post(url, json=nested, headers=auth).get_json()["error"] == "invalid_json"
    # Wrong types and unsafe text name the field (422).
    for key, value in [
        ("code", ["x"]),
        ("gate", 5),
        ("scan_id", 1.5),
        ("scanned_at", 1700000000),
        ("gate", "Cổng\u202eA"),
        ("code", "abc\x00def"),
    ]:
        body = {"code": "x", key: value}
        refused = client.post(url, json=body, headers=auth)
        assert refused.status_code == 422, (key, value)
        answer = refused.get_json()
        assert answer["error"] == f"invalid_{key}" and f"“{key}”" in answer["message"], answer
    # Defect 10: a 1 MB gate name is not echoed back (too long, or truncated when merely unknown).
    long_gate = client.post(url, json={"code": "x", "gate": "G" * 1_000}, headers=auth)
    assert long_gate.status_code == 422 and len(long_gate.get_data()) < 500
    unknown_gate = client.post(url, json={"code": "x", "gate": "Cổng Z"}, headers=auth)
    assert unknown_gate.status_code == 422 and "“Cổng Z”" in unknown_gate.get_json()["message"]
    from app.errors import Invalid
    from app.events import checkin

    with pytest.raises(Invalid) as refused_gate:  # any other caller of the service: quoted, cut short
        checkin.record_checkin(checkin.scope_for_device(event.slug, device_token), "x", gate="Z" * 1_000_000)
    assert len(refused_gate.value.message) < 200 and "…" in refused_gate.value.message
    # A USB scanner's trailing newline is still fine.
    code = register(event).active_ticket.code
    ok = client.post(url, json={"code": code + "\r\n", "gate": "Cổng A"}, headers=auth)
    assert ok.status_code == 200 and ok.get_json()["result"] == "ok"
    # The other endpoints parse the same way.
    base = f"/api/v1/events/{event.slug}"
    for method, path in [
        ("post", "/walkins"),
        ("post", "/groups/checkins"),
        ("delete", "/checkins/1"),
    ]:
        response = getattr(client, method)(base + path, data="[" * 30_000, headers=auth)
        assert response.status_code == 400, path
    search = client.get(f"{base}/attendees?q=ab%E2%80%8Bc", headers=auth)  # a zero-width space
    assert search.status_code == 422 and search.get_json()["error"] == "invalid_q"
    walk = client.post(
        f"{base}/walkins", json={"full_name": "An", "consents": {"process_registration": "yes"}}, headers=auth
    )
    assert walk.status_code == 422 and walk.get_json()["error"] == "invalid_consents"
    group = client.post(f"{base}/groups/checkins", json={"group": ["x"]}, headers=auth)
    assert group.status_code == 422 and group.get_json()["error"] == "invalid_group"


def test_device_tokens_unknown_revoked_and_other_event(
    client, event, register, device_token, organiser, make_event
):
    from app.events import services

    code = register(event).active_ticket.code
    assert post_scan(client, event, "kdt_made-up", code).status_code == 401
    no_auth = client.post(f"/api/v1/events/{event.slug}/checkins", json={"code": code})
    assert no_auth.status_code == 401 and no_auth.get_json()["error"] == "unauthorized"

    other = make_event(slug="hoi-thao", name="Hội thảo")
    _row, other_token = services.create_device_token(organiser, other, "Máy hội thảo")
    forbidden = post_scan(client, event, other_token, code)
    assert forbidden.status_code == 403

    device = services.list_devices(event)[0]
    services.revoke_device_token(organiser, event, device.id)
    revoked = post_scan(client, event, device_token, code)
    assert revoked.status_code == 401
    assert revoked.get_json()["error"] == "unauthorized"
    assert active_checkins() == 0


def test_session_staff_need_assignment_and_csrf(client, event, register, staff, make_user, login, make_event):
    code = register(event).active_ticket.code
    url = f"/api/v1/events/{event.slug}/checkins"

    outsider = make_user("khac@example.vn", roles=("checkin_staff",), name="Đinh Văn Khác")
    login(outsider.email)
    page = client.get(f"/su-kien/{event.slug}/quet-ve")
    assert page.status_code == 403
    token = csrf_from(client.get("/tai-khoan/ho-so").get_data(as_text=True))
    refused = client.post(url, json={"code": code}, headers={"X-CSRFToken": token})
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
    client.post("/tai-khoan/dang-xuat", data={"csrf_token": token})

    login(staff.email)
    page = client.get(f"/su-kien/{event.slug}/quet-ve")
    assert page.status_code == 200
    assert "worker-src 'self' blob:" in page.headers["Content-Security-Policy"]
    csrf = csrf_from(page.get_data(as_text=True).replace('data-csrf="', 'name="csrf_token" value="'))
    # Without the CSRF header a session call is refused (a cross-site form cannot check people in).
    no_csrf = client.post(url, json={"code": code, "gate": "Cổng B"})
    assert no_csrf.status_code == 400 and no_csrf.get_json()["error"] == "csrf"
    assert active_checkins() == 0
    ok = client.post(url, json={"code": code, "gate": "Cổng B"}, headers={"X-CSRFToken": csrf})
    assert ok.get_json()["result"] == "ok"
    assert ok.get_json()["checkin"]["staff"] == "Võ Thị Lan"
    again = client.post(url, json={"code": code}, headers={"X-CSRFToken": csrf}).get_json()
    assert again["first_checkin"]["staff"] == "Võ Thị Lan" and again["first_checkin"]["gate"] == "Cổng B"

    # Assigned to this event only: another event's API says 403.
    other = make_event(slug="le-trao-giai", name="Lễ trao giải")
    assert client.get(f"/api/v1/events/{other.slug}/stats").status_code == 403


def test_retried_scan_id_returns_first_answer_and_creates_nothing(client, event, register, device_token):
    code = register(event).active_ticket.code
    scan_id = str(uuid.uuid4())
    first = post_scan(client, event, device_token, code, scan_id=scan_id).get_json()
    assert first["result"] == "ok"
    rows_before = (all_rows(Checkin), all_rows(Scan))
    for _ in range(3):
        retry = post_scan(client, event, device_token, code, scan_id=scan_id).get_json()
        assert retry["result"] == "ok"
        assert retry["checkin"] == first["checkin"]
        assert retry["replayed"] is True
    assert active_checkins() == 1
    assert (all_rows(Checkin), all_rows(Scan)) == rows_before

    # A scan that created no check-in ("already") is replayed too, even once the ticket is free.
    other_scan = str(uuid.uuid4())
    assert (
        post_scan(client, event, device_token, code, scan_id=other_scan).get_json()["result"]
        == "already_checked_in"
    )

    # Even after an undo, retrying the old scan_id answers the same and does not check in again.
    undo = client.delete(
        f"/api/v1/events/{event.slug}/checkins/{first['checkin']['id']}",
        json={"reason": "Quét nhầm người"},
        headers={"Authorization": f"Bearer {device_token}"},
    )
    assert undo.status_code == 200 and undo.get_json()["result"] == "undone"
    retry = post_scan(client, event, device_token, code, scan_id=scan_id).get_json()
    assert retry["result"] == "ok" and retry["checkin"]["id"] == first["checkin"]["id"]
    assert active_checkins() == 0
    late = post_scan(client, event, device_token, code, scan_id=other_scan).get_json()
    assert late["result"] == "already_checked_in" and late["replayed"] is True
    assert active_checkins() == 0
    assert all_rows(Checkin) == 1


def test_every_refusal_is_stored_and_replayed_verbatim_for_its_scan_id(
    client, event, register, device_token, make_event, organiser
):
    from app.events import registration

    lost = register(event, "Phạm Thị Mất Vé")
    old_code = lost.active_ticket.code
    registration.reissue_ticket(organiser, lost, "Mất điện thoại")
    stranger = register(make_event(slug="chung-ket", name="Chung kết"), "Lê Văn Tám")
    cases = (("xin chào", "invalid"), (old_code, "revoked"), (stranger.active_ticket.code, "wrong_event"))
    for code, result in cases:
        scan_id = str(uuid.uuid4())
        first = post_scan(client, event, device_token, code, scan_id=scan_id).get_json()
        assert first["result"] == result and "replayed" not in first
        retry = post_scan(client, event, device_token, code, scan_id=scan_id).get_json()
        assert retry == {**first, "replayed": True}
    assert all_rows(Scan) == 3 and all_rows(Checkin) == 0


def test_undo_needs_reason_is_audited_and_allows_a_new_checkin(client, event, register, device_token):
    from app.audit.models import AuditEvent

    code = register(event).active_ticket.code
    auth = {"Authorization": f"Bearer {device_token}"}
    checkin_id = post_scan(client, event, device_token, code).get_json()["checkin"]["id"]
    url = f"/api/v1/events/{event.slug}/checkins/{checkin_id}"
    no_reason = client.delete(url, json={}, headers=auth)
    assert no_reason.status_code == 422 and no_reason.get_json()["error"] == "reason_required"
    assert client.delete(url, json={"reason": "  "}, headers=auth).status_code == 422
    assert client.delete(url, json={"reason": "Khách quay ra lấy đồ"}, headers=auth).status_code == 200
    twice = client.delete(url, json={"reason": "Khách quay ra lấy đồ"}, headers=auth)
    assert twice.status_code == 409
    assert (
        client.delete(
            f"/api/v1/events/{event.slug}/checkins/999999", json={"reason": "abc"}, headers=auth
        ).status_code
        == 404
    )
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "event.checkin_undo"))
    assert audit.details["reason"] == "Khách quay ra lấy đồ" and audit.object_id == str(checkin_id)
    again = post_scan(client, event, device_token, code, gate="Cổng B").get_json()
    assert again["result"] == "ok" and again["checkin"]["id"] != checkin_id


def test_stats_search_group_and_walk_in(client, event, register, device_token, organiser):
    auth = {"Authorization": f"Bearer {device_token}"}
    a = register(event, "Nguyễn Thị Hồng", group_name="Đoàn ĐH Phạm Văn Đồng")
    register(event, "Nguyễn Thị Lan", group_name="Đoàn ĐH Phạm Văn Đồng", category="Thí sinh")
    register(event, "Trần Văn Bình", phone="0912345678", category="Báo chí", by=organiser)
    post_scan(client, event, device_token, a.active_ticket.code)

    found = client.get(f"/api/v1/events/{event.slug}/attendees?q=nguyen thi", headers=auth).get_json()
    assert {r["name"] for r in found["results"]} == {"Nguyễn Thị Hồng", "Nguyễn Thị Lan"}
    hong = next(r for r in found["results"] if r["name"] == "Nguyễn Thị Hồng")
    assert hong["checkin"]["gate"] == "Cổng A"
    by_phone = client.get(f"/api/v1/events/{event.slug}/attendees?q=%2B84 912 345", headers=auth).get_json()
    assert [r["name"] for r in by_phone["results"]] == ["Trần Văn Bình"]
    assert client.get(f"/api/v1/events/{event.slug}/attendees?q=a", headers=auth).status_code == 422
    assert (
        client.get(f"/api/v1/events/{event.slug}/attendees?q=100%25", headers=auth).get_json()["count"] == 0
    )

    group = client.post(
        f"/api/v1/events/{event.slug}/groups/checkins",
        json={"group": "Đoàn ĐH Phạm Văn Đồng", "gate": "Cổng B"},
        headers=auth,
    ).get_json()
    assert group["checked_in"] == 1 and group["already"] == 1

    walk = client.post(
        f"/api/v1/events/{event.slug}/walkins",
        json={
            "full_name": "Hồ Văn Vãng Lai",
            "category": "Khách tham quan",
            "gate": "Cổng B",
            "consents": {"process_registration": True},
            "scan_id": "walk-1",
        },
        headers=auth,
    )
    assert (
        walk.status_code == 201 and walk.get_json()["result"] == "ok" and walk.get_json()["walk_in"] is True
    )
    replay = client.post(
        f"/api/v1/events/{event.slug}/walkins",
        json={
            "full_name": "Hồ Văn Vãng Lai",
            "category": "Khách tham quan",
            "gate": "Cổng B",
            "consents": {"process_registration": True},
            "scan_id": "walk-1",
        },
        headers=auth,
    )
    assert replay.get_json() == {**walk.get_json(), "replayed": True}
    no_consent = client.post(
        f"/api/v1/events/{event.slug}/walkins",
        json={"full_name": "Hồ Văn Không", "category": "Khách tham quan", "consents": {}},
        headers=auth,
    )
    assert no_consent.status_code == 422

    stats = client.get(f"/api/v1/events/{event.slug}/stats", headers=auth).get_json()
    assert stats["registered"] == 4 and stats["checked_in"] == 3
    assert {g["gate"]: g["checked_in"] for g in stats["by_gate"]} == {"Cổng A": 1, "Cổng B": 2}
    cats = {c["category"]: (c["checked_in"], c["registered"]) for c in stats["by_category"]}
    assert cats["Khách tham quan"] == (2, 2) and cats["Thí sinh"] == (1, 1) and cats["Báo chí"] == (0, 1)
    assert sum(h["checked_in"] for h in stats["by_hour"]) == 3


def _hammer(app, event_slug, token, code, n=50):
    """n requests for one ticket at the same moment, each through its own client and app context."""
    barrier = threading.Barrier(n)
    answers, errors = [], []

    def worker():
        client = app.test_client()
        try:
            barrier.wait(timeout=30)
            response = client.post(
                f"/api/v1/events/{event_slug}/checkins",
                json={"code": code, "gate": "Cổng A", "scan_id": str(uuid.uuid4())},
                headers={"Authorization": f"Bearer {token}"},
            )
            answers.append((response.status_code, (response.get_json() or {}).get("result")))
        except Exception as exc:  # collected: a crash in a thread must fail the test
            errors.append(repr(exc))

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return answers, errors


def test_fifty_concurrent_scans_of_one_ticket_give_exactly_one_ok(
    app, event, register, device_token, is_postgres
):
    # SQLite serialises writers: it must still never double check-in; fewer threads keep it quick.
    n = 50 if is_postgres else 12
    code = register(event).active_ticket.code
    slug = event.slug
    db.session.remove()  # the test's own session must not hold a transaction while threads write
    answers, errors = _hammer(app, slug, device_token, code, n)
    assert errors == []
    assert len(answers) == n
    assert [s for s, _ in answers] == [200] * n
    results = [r for _, r in answers]
    assert results.count("ok") == 1
    assert results.count("already_checked_in") == n - 1
    assert active_checkins() == 1


def test_concurrent_retries_of_one_scan_id_create_one_checkin(
    app, event, register, device_token, is_postgres
):
    n = 30 if is_postgres else 10
    code = register(event).active_ticket.code
    slug = event.slug
    db.session.remove()
    barrier = threading.Barrier(n)
    answers = []

    def worker():
        client = app.test_client()
        barrier.wait(timeout=30)
        r = client.post(
            f"/api/v1/events/{slug}/checkins",
            json={"code": code, "gate": "Cổng A", "scan_id": "same-scan"},
            headers={"Authorization": f"Bearer {device_token}"},
        )
        answers.append(r.get_json())

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(answers) == n
    assert {a["result"] for a in answers} == {"ok"}
    assert len({a["checkin"]["id"] for a in answers}) == 1
    assert active_checkins() == 1
    assert all_rows(Checkin) == 1


@pytest.mark.parametrize("n_people", [20])
def test_capacity_race_at_registration(app, make_event, n_people, is_postgres):
    from app.events import registration
    from app.events.models import Attendee, Event

    event = make_event(slug="hoi-thao-nho", capacity=5)
    event_id = event.id
    db.session.remove()
    barrier = threading.Barrier(n_people)
    outcomes, errors = [], []

    def worker(i):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                ev = db.session.get(Event, event_id)
                registration.register_attendee(
                    ev,
                    {"full_name": "Người Thứ Mấy", "phone": f"0906{i:06d}", "category": "Khách tham quan"},
                    {"process_registration": True},
                )
                outcomes.append("ok")
            except Conflict as exc:
                outcomes.append(exc.code)
            except Exception as exc:
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n_people)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert outcomes.count("ok") == 5
    assert outcomes.count("full") == n_people - 5
    assert (
        db.session.scalar(select(func.count()).select_from(Attendee).where(Attendee.event_id == event_id))
        == 5
    )
    assert db.session.get(Event, event_id).registered_count == 5


def test_same_phone_race_at_registration(app, make_event, organiser, is_postgres):
    """Many people register one phone at the same moment, after an earlier registration of that phone
    was cancelled: exactly one new registration, the others told the phone is already registered.

    On PostgreSQL another connection holds the event's row lock until every worker has passed the
    service's pre-check and is queued on the place counter, so the unique index is what stops all but
    one. (SQLite runs one writer at a time; there the race is only the pre-check's.)
    """
    import time

    from sqlalchemy import text

    from app.events import registration
    from app.events.models import Attendee, Event, Ticket

    n = 12 if is_postgres else 8  # on PostgreSQL all n hold a connection at once: the pool has 15
    event = make_event(slug="cung-so", capacity=50)
    data = {"full_name": "Người Trùng Số", "phone": "0906 555 777", "category": "Khách tham quan"}
    cancelled = registration.register_attendee(event, dict(data), {"process_registration": True})
    registration.cancel_registration(organiser, cancelled, "Đăng ký nhầm")
    event_id = event.id
    db.session.remove()
    barrier = threading.Barrier(n)
    outcomes, errors = [], []

    def worker():
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                if (
                    is_postgres
                ):  # queued workers must outwait the app's 5 s lock_timeout (this transaction only)
                    db.session.execute(text("SET LOCAL lock_timeout = '120s'"))
                registration.register_attendee(
                    db.session.get(Event, event_id), dict(data), {"process_registration": True}
                )
                outcomes.append("ok")
            except Invalid as exc:
                outcomes.append(exc.field)
            except Exception as exc:
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    holder = db.engine.connect() if is_postgres else None
    queued = None
    try:
        if holder is not None:
            holder.execute(text("SELECT id FROM events WHERE id = :id FOR UPDATE"), {"id": event_id})
            holder_pid = holder.execute(text("SELECT pg_backend_pid()")).scalar()
        for t in threads:
            t.start()
        if holder is not None:
            with db.engine.connect() as watcher:
                deadline = time.monotonic() + 60  # a wait for a condition, not a timing assert
                while time.monotonic() < deadline:
                    queued = watcher.execute(
                        # Waiting behind the holder, or behind a worker that waits for it (row lock queue).
                        text(
                            "SELECT count(*) FROM pg_stat_activity"
                            " WHERE datname = current_database() AND pid <> :pid"
                            " AND cardinality(pg_blocking_pids(pid)) > 0"
                        ),
                        {"pid": holder_pid},
                    ).scalar()
                    watcher.rollback()
                    if queued == n or not any(t.is_alive() for t in threads):
                        break
                    time.sleep(0.02)
    finally:
        if holder is not None:
            holder.rollback()
            holder.close()
        for t in threads:
            t.join(timeout=120)
    if is_postgres:
        assert queued == n, (
            queued,
            outcomes,
            errors,
        )  # every worker had passed the pre-check and waited behind the lock
    assert errors == []
    assert outcomes.count("ok") == 1
    assert outcomes.count("phone") == n - 1
    rows = db.session.scalars(select(Attendee).where(Attendee.event_id == event_id)).all()
    assert sorted(a.cancelled_at is None for a in rows) == [False, True]
    assert db.session.get(Event, event_id).registered_count == 1
    live = (
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.event_id == event_id, Ticket.revoked_at.is_(None))
    )
    assert db.session.scalar(live) == 1
