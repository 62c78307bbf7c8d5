#!/usr/bin/env python3
"""Benchmark of the scanner's offline support (issue 14), in-process through the Flask test client.

One event with --tickets tickets (bulk insert: names, organisations, delegations, a third already
checked in) and a device token, then, in the same run:

  0. the baseline: GET /healthz (the lightest route), median of --repeat;
  1. the ticket list GET /api/v1/events/<slug>/tickets: raw KB, gzip KB (as sent with
     Accept-Encoding: gzip), time (median of --repeat), and the 304 of an unchanged refresh;
  2. the sync of an offline queue of --queue scans (distinct tickets, each with its scan_id and a
     scanned_at a few minutes ago, sent one after another as scanner.js does): total seconds and
     per-scan p50/p99; then the same queue replayed (every answer from its scan_id).

Targets: list < 1 MB compressed, sync of 500 < 5 s. SQLite by default; DATABASE_URL (PostgreSQL,
e.g. through scripts/with-postgres.sh) to measure there.

    .venv/bin/python bench/bench_offline.py
    bash scripts/with-postgres.sh .venv/bin/python bench/bench_offline.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select  # noqa: E402

from app import create_app  # noqa: E402
from app.events import services, tickets  # noqa: E402
from app.events.models import Attendee, Checkin, Ticket  # noqa: E402
from app.events.registration import ticket_key  # noqa: E402
from app.extensions import db  # noqa: E402
from app.localtime import utcnow  # noqa: E402
from tests.conftest import make_config  # noqa: E402

SLUG = "bench-offline"
TARGETS = {"list_gzip_kb": 1024, "sync_s": 5.0}
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Trương", "Bùi", "Đặng"]
MIDDLE = ["Thị", "Văn", "Minh", "Ngọc", "Hữu", "Thanh", "Quốc", "Thu"]
GIVEN = ["Hồng", "Bình", "Tám", "Lan", "Hà", "Dũng", "Phúc", "Nhung", "Khoa", "Tuấn", "Yến", "Sơn"]
ORGS = [
    "HTX Nông nghiệp Tịnh Phong",
    "Trường ĐH Phạm Văn Đồng",
    "Công ty TNHH Sâm Quảng Ngãi",
    "",
    "Đoàn Thanh niên huyện Lý Sơn",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def build(n: int) -> tuple[str, list[str]]:
    from app.accounts import services as accounts
    from app.events.models import Event

    now = utcnow()
    organiser, _ = accounts.create_user(
        "btc@bench.vn", "organiser", password="GaoLua2024", full_name="Ban tổ chức"
    )
    event = services.create_event(
        organiser,
        {
            "name": "Ngày hội KNĐMST (bench)",
            "slug": SLUG,
            "starts_at": now - timedelta(hours=1),
            "ends_at": now + timedelta(hours=8),
            "categories": ["Khách tham quan", "Thí sinh", "Báo chí", "Gian hàng"],
            "gates": ["Cổng A", "Cổng B"],
        },
    )
    key = ticket_key()
    attendees, codes = [], []
    for i in range(n):
        name = f"{SURNAMES[i % 10]} {MIDDLE[(i // 10) % 8]} {GIVEN[(i // 80) % 12]} {i}"
        attendees.append(
            {
                "event_id": event.id,
                "full_name": name,
                "phone": f"+8490{i:07d}",
                "email": f"khach{i}@example.vn",
                "organisation": ORGS[i % len(ORGS)],
                "category": ["Khách tham quan", "Thí sinh", "Báo chí", "Gian hàng"][i % 4],
                "group_name": f"Đoàn xã {i % 40}" if i % 3 == 0 else "",
                "search_text": name,
                "source": "organiser",
                "created_at": now,
            }
        )
    db.session.execute(insert(Attendee), attendees)
    ids = db.session.scalars(
        select(Attendee.id).where(Attendee.event_id == event.id).order_by(Attendee.id)
    ).all()
    rows = []
    for attendee_id in ids:
        code = tickets.new_code(key)
        codes.append(code)
        rows.append({"event_id": event.id, "attendee_id": attendee_id, "code": code, "issued_at": now})
    db.session.execute(insert(Ticket), rows)
    ticket_ids = db.session.execute(
        select(Ticket.id, Ticket.attendee_id).where(Ticket.event_id == event.id)
    ).all()
    # A third already in, at both gates (the list carries their time and gate).
    db.session.execute(
        insert(Checkin),
        [
            {
                "event_id": event.id,
                "ticket_id": t,
                "attendee_id": a,
                "at": now - timedelta(minutes=30),
                "gate": "Cổng A" if t % 2 else "Cổng B",
                "undo_reason": "",
            }
            for t, a in ticket_ids[: n // 3]
        ],
    )
    db.session.commit()
    _row, token = services.create_device_token(organiser, db.session.get(Event, event.id), "Máy bench")
    return token, codes


def timed(call, repeat: int) -> tuple[float, object]:
    times, last = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        last = call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--queue", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="offline-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'offline.db'}"
    app = create_app(make_config(url, folder, RATELIMIT_ENABLED=False))
    with app.app_context():
        db.drop_all()
        db.create_all()
        with app.test_request_context():
            token, codes = build(args.tickets)
        db.session.remove()
    backend = url.split(":", 1)[0].split("+")[0]
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    list_url = f"/api/v1/events/{SLUG}/tickets"

    health_s, _ = timed(lambda: client.get("/healthz"), args.repeat * 4)
    raw_s, raw = timed(lambda: client.get(list_url, headers=auth), args.repeat)
    gz_s, packed = timed(
        lambda: client.get(list_url, headers={**auth, "Accept-Encoding": "gzip"}), args.repeat
    )
    etag = packed.headers["ETag"]
    same_s, same = timed(lambda: client.get(list_url, headers={**auth, "If-None-Match": etag}), args.repeat)
    assert raw.status_code == 200 and same.status_code == 304
    raw_kb, gz_kb = len(raw.get_data()) / 1024, len(packed.get_data()) / 1024

    # The offline queue: tickets not yet in (the last ones), scanned a few minutes ago, in order.
    queue = codes[-args.queue :]
    made = utcnow() - timedelta(minutes=5)
    scans = [
        {
            "code": code,
            "gate": "Cổng B",
            "scan_id": str(uuid.uuid4()),
            "scanned_at": (made + timedelta(milliseconds=i * 400)).isoformat(),
        }
        for i, code in enumerate(queue)
    ]
    per_scan = []
    results: dict[str, int] = {}
    start = time.perf_counter()
    for body in scans:
        t0 = time.perf_counter()
        answer = client.post(f"/api/v1/events/{SLUG}/checkins", json=body, headers=auth).get_json()
        per_scan.append(time.perf_counter() - t0)
        results[answer["result"]] = results.get(answer["result"], 0) + 1
    sync_s = time.perf_counter() - start
    start = time.perf_counter()
    replays = sum(
        client.post(f"/api/v1/events/{SLUG}/checkins", json=body, headers=auth)
        .get_json()
        .get("replayed", False)
        for body in scans
    )
    replay_s = time.perf_counter() - start

    print(f"backend {backend}, {args.tickets} tickets ({args.tickets // 3} checked in), queue {args.queue}")
    print(f"  baseline GET /healthz: {health_s * 1000:.2f} ms (median)")
    print(
        f"  ticket list: {raw_kb:.0f} KB raw, {gz_kb:.0f} KB gzip; {raw_s * 1000:.0f} ms "
        f"({raw_s / health_s:.0f}× /healthz), with gzip {gz_s * 1000:.0f} ms; unchanged (304) {same_s * 1000:.1f} ms"
    )
    print(
        f"  sync of {args.queue} queued scans: {sync_s:.2f} s, per scan p50 {percentile(per_scan, 0.5) * 1000:.1f} ms,"
        f" p99 {percentile(per_scan, 0.99) * 1000:.1f} ms ({percentile(per_scan, 0.5) / health_s:.1f}× /healthz); {results}"
    )
    print(f"  the same queue replayed: {replay_s:.2f} s, {replays}/{args.queue} answered from their scan_id")
    ok = gz_kb < TARGETS["list_gzip_kb"] and sync_s < TARGETS["sync_s"] and results.get("ok") == args.queue
    print(
        f"  targets (list < {TARGETS['list_gzip_kb']} KB gzip, sync < {TARGETS['sync_s']} s): {'met' if ok else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
