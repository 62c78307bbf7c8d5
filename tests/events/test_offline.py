"""The scanner's offline support over real HTTP: the ticket list (who may download it, what it holds
and never holds, ETag 304, refused after the event), the service worker, and the sync rule "the
earliest check-in wins" (an offline scan made earlier undoes a later check-in), race-safe."""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.events.models import Checkin
from app.extensions import db
from app.localtime import utcnow
from tests.conftest import submit

SW_URL = "/su-kien/sw.js"


def tickets_url(event):
    return f"/api/v1/events/{event.slug}/tickets"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def post_scan(client, event, token, code, **extra):
    body = {"code": code, "gate": "Cổng A", "scan_id": str(uuid.uuid4()), **extra}
    return client.post(f"/api/v1/events/{event.slug}/checkins", json=body, headers=bearer(token))


def signed_in(app, email):
    """A browser of its own, signed in as `email`."""
    browser = app.test_client()
    response = submit(browser, "/tai-khoan/dang-nhap", {"email": email, "password": "GaoLua2024"})
    assert response.status_code == 302
    return browser


def short_hash(code):
    return hashlib.sha256(code.encode()).hexdigest()[:16]


@pytest.fixture(autouse=True)
def no_device_cache(app):
    app.config["EVENT_DEVICE_CACHE_SECONDS"] = 0  # tests change the event under a device's feet


@pytest.fixture
def crowd(event, register):
    """Three registrations with phones and emails; one is cancelled, one re-issued (old ticket revoked)."""
    from app.accounts.models import User
    from app.events import registration

    organiser = db.session.scalar(select(User).where(User.email == "btc@example.vn"))
    hong = register(
        event, "Nguyễn Thị Hồng", phone="0905111222", email="hong@example.vn", organisation="HTX Sâm"
    )
    tam = register(event, "Lê Văn Tám", phone="0912333444", email="tam@example.vn", group_name="Đoàn Lý Sơn")
    gone = register(event, "Phạm Thị Huỷ", phone="0988777666", email="huy@example.vn")
    old_code = tam.active_ticket.code
    registration.reissue_ticket(organiser, tam, "Mất điện thoại")
    registration.cancel_registration(organiser, gone, "Không đi được")
    db.session.refresh(tam)
    return {"hong": hong, "tam": tam, "gone": gone, "old_code": old_code}


def test_who_may_download_the_list(
    client, app, event, make_event, make_user, staff, device_token, organiser, crowd
):
    from app.events import services

    url = tickets_url(event)
    assert client.get(url).status_code == 401
    assert client.get(url, headers=bearer("kdt_nonsense")).status_code == 401

    other = make_event(slug="cho-phien", name="Chợ phiên khởi nghiệp")
    _row, other_token = services.create_device_token(None, other, "Máy chợ phiên")
    refused = client.get(url, headers=bearer(other_token))
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"

    assert client.get(url, headers=bearer(device_token)).status_code == 200

    make_user("thisinh@example.vn", roles=("applicant",), name="Đỗ Văn Thí")
    assert signed_in(app, "thisinh@example.vn").get(url).status_code == 403

    other_staff = make_user("tnv2@example.vn", roles=("checkin_staff",), name="Hà Văn Khác")
    services.assign_staff(organiser, other, other_staff.email)
    elsewhere = signed_in(app, "tnv2@example.vn")
    assert elsewhere.get(url).status_code == 403
    assert elsewhere.get(tickets_url(other)).status_code == 200

    body = signed_in(app, "tnv@example.vn").get(url).get_json()  # this event's volunteer
    assert body["csrf"]  # a page opened from the offline cache refreshes its CSRF token from here
    assert signed_in(app, "btc@example.vn").get(url).status_code == 200


def test_the_list_holds_names_and_state_never_phones_emails_or_codes(client, event, device_token, crowd):
    hong, tam = crowd["hong"], crowd["tam"]
    assert (
        post_scan(client, event, device_token, hong.active_ticket.code, gate="Cổng B").get_json()["result"]
        == "ok"
    )

    response = client.get(tickets_url(event), headers=bearer(device_token))
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    raw = response.get_data(as_text=True)
    for secret in (
        "0905111222",
        "+84905111222",
        "905111222",
        "hong@example.vn",
        "tam@example.vn",
        "huy@example.vn",
    ):
        assert secret not in raw
    for code in (hong.active_ticket.code, tam.active_ticket.code, crowd["old_code"]):
        assert code not in raw
    assert "Phạm Thị Huỷ" not in raw  # a cancelled registration is not on the list

    body = json.loads(raw)
    rows = {row[0]: row for row in body["rows"]}
    assert set(rows) == {short_hash(hong.active_ticket.code), short_hash(tam.active_ticket.code)}
    assert short_hash(crowd["old_code"]) not in rows  # the revoked ticket neither
    hong_row = rows[short_hash(hong.active_ticket.code)]
    assert hong_row[1] == "Nguyễn Thị Hồng" and hong_row[3] == "HTX Sâm"
    assert body["categories"][hong_row[2]] == "Khách tham quan"
    assert body["gates"][hong_row[6]] == "Cổng B" and abs(hong_row[5] - utcnow().timestamp()) < 60
    tam_row = rows[short_hash(tam.active_ticket.code)]
    assert tam_row[4] == "Đoàn Lý Sơn" and tam_row[5] is None and tam_row[6] is None
    assert body["event"]["slug"] == event.slug and body["hash_chars"] == 16
    assert "csrf" not in body  # a device has no session


def test_etag_makes_an_unchanged_refresh_a_304(client, event, device_token, crowd, register):
    first = client.get(tickets_url(event), headers=bearer(device_token))
    etag = first.headers["ETag"]
    again = client.get(tickets_url(event), headers={**bearer(device_token), "If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""

    post_scan(client, event, device_token, crowd["hong"].active_ticket.code)
    after_scan = client.get(tickets_url(event), headers={**bearer(device_token), "If-None-Match": etag})
    assert after_scan.status_code == 200 and after_scan.headers["ETag"] != etag

    etag = after_scan.headers["ETag"]
    register(event, "Võ Văn Mới", phone="0933000111")
    assert (
        client.get(tickets_url(event), headers={**bearer(device_token), "If-None-Match": etag}).status_code
        == 200
    )


def test_the_list_is_compressed_when_the_client_accepts_it(client, event, device_token, crowd):
    plain = client.get(tickets_url(event), headers=bearer(device_token))
    packed = client.get(tickets_url(event), headers={**bearer(device_token), "Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(packed.get_data()))["rows"] == plain.get_json()["rows"]


def test_the_list_is_refused_after_the_event_unless_late_checkin(client, event, device_token, crowd):
    event.starts_at, event.ends_at = utcnow() - timedelta(hours=9), utcnow() - timedelta(minutes=1)
    db.session.commit()
    refused = client.get(tickets_url(event), headers=bearer(device_token))
    assert refused.status_code == 409
    assert refused.get_json() == {"error": "event_ended", "message": "Sự kiện đã kết thúc."} | {
        k: v for k, v in refused.get_json().items() if k not in ("error", "message")
    }
    event.late_checkin = True
    db.session.commit()
    assert client.get(tickets_url(event), headers=bearer(device_token)).status_code == 200


def test_service_worker_is_versioned_by_the_files_it_caches(client, app, tmp_path):
    from app.events import offline

    response = client.get(SW_URL)
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/su-kien/"
    text = response.get_data(as_text=True)
    settings = json.loads(text.split("\n", 1)[0].removeprefix("self.SCANNER_SW = ").rstrip(";"))
    assert "/static/vendor/qr-scanner/qr-scanner-worker.min.js" in settings["assets"]
    assert "/static/js/events/scanner.js" in settings["assets"]
    assert not any("/api/" in asset for asset in settings["assets"])
    assert client.get(SW_URL).get_data(as_text=True) == text  # stable while nothing changes

    (tmp_path / "a.js").write_text("one")
    before = offline.worker_version(str(tmp_path), ["a.js"])
    (tmp_path / "a.js").write_text("two")
    assert offline.worker_version(str(tmp_path), ["a.js"]) != before


def test_scanner_page_lists_scan_points_and_the_offline_settings(app, event, staff):
    from app.events import scanpoints

    def sessions(ev):
        return [
            {
                "id": "session:7",
                "label": "09:00 Tọa đàm kết nối đầu tư – Hội trường A",
                "kind": "session",
                "api": f"/api/v1/events/{ev.slug}/sessions/7/checkins",
                "gate": "",
            }
        ]

    scanpoints.register(sessions)
    try:
        html = signed_in(app, "tnv@example.vn").get(f"/su-kien/{event.slug}/quet-ve").get_data(as_text=True)
    finally:
        scanpoints.unregister(sessions)
    assert "Điểm quét" in html
    assert (
        html.index('value="gate:Cổng A"')
        < html.index('value="gate:Cổng B"')
        < html.index('value="session:7"')
    )
    assert 'label="Phiên, hội trường"' in html
    assert "/sessions/7/checkins" in html and f"/api/v1/events/{event.slug}/tickets" in html


# --- the earliest check-in wins ------------------------------------------------------------------------


def test_an_earlier_offline_scan_replaces_a_later_checkin(client, event, device_token, crowd):
    code = crowd["hong"].active_ticket.code
    gate_a_scan = "gate-a-scan-1"
    first = post_scan(client, event, device_token, code, scan_id=gate_a_scan).get_json()  # online, now
    assert first["result"] == "ok"

    earlier = (utcnow() - timedelta(minutes=10)).isoformat()
    synced = post_scan(client, event, device_token, code, gate="Cổng B", scanned_at=earlier).get_json()
    assert synced["result"] == "ok"
    assert synced["checkin"]["gate"] == "Cổng B" and synced["superseded"]["id"] == first["checkin"]["id"]

    rows = db.session.scalars(select(Checkin).order_by(Checkin.id)).all()
    assert len(rows) == 2
    assert rows[0].undone_at is not None and rows[0].undo_reason == "Lượt quét ngoại tuyến sớm hơn tại Cổng B"
    assert rows[1].undone_at is None and rows[1].gate == "Cổng B"

    # Gate A's phone retries its scan (same scan_id): still answered, and nothing new is created.
    replay = post_scan(client, event, device_token, code, scan_id=gate_a_scan).get_json()
    assert replay["replayed"] is True and replay["result"] == "ok"
    assert db.session.query(Checkin).count() == 2

    # A later offline scan does not win: the usual answer, with the standing (earliest) check-in.
    later = (utcnow() - timedelta(minutes=5)).isoformat()
    answer = post_scan(client, event, device_token, code, scanned_at=later).get_json()
    assert answer["result"] == "already_checked_in" and answer["first_checkin"]["gate"] == "Cổng B"
    assert db.session.query(Checkin).filter(Checkin.undone_at.is_(None)).count() == 1


def test_earliest_wins_under_concurrent_syncs(app, event, device_token, crowd, is_postgres):
    """Phones syncing offline scans of one ticket at the same moment, each made at a different time:
    exactly one check-in stands at the end, and it is the earliest."""
    if not is_postgres:
        pytest.skip("real concurrency needs PostgreSQL (SQLite serialises writers)")
    from app.events import checkin

    code = crowd["hong"].active_ticket.code
    slug = event.slug
    base = utcnow() - timedelta(minutes=30)
    times = [base + timedelta(minutes=i) for i in range(8)]
    barrier = threading.Barrier(len(times))
    results, errors = [], []

    def sync(when, i):
        try:
            with app.app_context():
                scope = checkin.scope_for_device(slug, device_token)
                barrier.wait()
                results.append(
                    checkin.record_checkin(
                        scope, code, gate="Cổng A", scan_id=f"sync-{i}", scanned_at=when.isoformat()
                    )["result"]
                )
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 — surfaced below
            errors.append(repr(exc))

    threads = [threading.Thread(target=sync, args=(when, i)) for i, when in enumerate(reversed(times))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.expire_all()
    standing = db.session.scalars(select(Checkin).where(Checkin.undone_at.is_(None))).all()
    assert len(standing) == 1
    assert abs((standing[0].at - times[0]).total_seconds()) < 1
    assert results.count("ok") >= 1 and set(results) <= {"ok", "already_checked_in"}
