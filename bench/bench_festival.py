#!/usr/bin/env python3
"""Peak day 2, the festival morning (issue 16): 20 gates check in 5,000 attendees in 30 simulated
minutes while 10 organisers watch the live counts.

Same server and method as bench_deadline.py (whose helpers it imports): a throwaway PostgreSQL (the
script re-runs itself under scripts/with-postgres.sh and scripts/with-redis.sh), the app as
docs/DEPLOY.md sets it up on one machine: two gunicorn instances of `-w 2 -k gthread --threads 4`
(APP_ENV=production) taking requests in turn, behind "nginx" (each client sends its own
`X-Forwarded-For` and `X-Forwarded-Proto: https`, a new connection per request), the task-queue worker
beside them; the load is this script's threads with http.client.

Data: one event with --attendees tickets (bulk insert, real signed codes), 20 gates ("Cổng 1" … "Cổng
20"), 10 device tokens, 10 check-in staff accounts assigned to the event and 10 organisers (the Sở's
organisers, who manage every event); staff and organisers sign in before the window (not measured).

The morning, compressed --compression times (30 simulated minutes → 120 s by default; every rate is
scaled, the organisers' 5-second polling is not: their browsers poll every 5 real seconds):
  * arrival times follow a morning rush (Beta(2, 2.5) over the 30 minutes: the peak about 12 minutes
    in), each attendee at one gate, gates 1–5 (the main entrance) twice as busy as the others;
  * each gate is one phone or scanner: it scans its queue one attendee after another, a scan no
    sooner than --scan-seconds (simulated) after the previous one, and never before the attendee
    arrives — so a slow server makes the queue longer, and the delay is reported (open loop per
    gate: a scan's latency is measured from when it was sent; how late it was sent is reported apart);
  * gates 1–10 are device tokens (`Authorization: Bearer`), gates 11–20 staff sessions (cookie and the
    scanner page's CSRF token in `X-CSRFToken`), both on POST /api/v1/events/<slug>/checkins with a
    `scan_id` per scan, as static/js/events/scanner.js sends them; 3 % of valid scans are the ticket's
    URL (a phone camera reads the QR's link) instead of the bare code;
  * duplicates: --dup-share of attendees are scanned again at another gate — half of them at the same
    instant (two gates racing for one ticket), half 10 s–5 min (simulated) later — and 1 % twice in a
    row at the same gate; --invalid-share more scans are not tickets (a forged code with a wrong
    signature, a code of a different length, a link to something else);
  * 10 organisers open the live counts page (/su-kien/<slug>/so-lieu) and poll its stats API every
    5 s, as static/js/events/live.js does; a probe asks GET /healthz every 0.5 s (the baseline under
    the same load), after a closed-loop /healthz measurement on the idle server.

Checks: zero 5xx and zero unanswered requests; every valid ticket scanned got exactly one "ok" and
every further scan of it "already_checked_in"; in the database one active check-in per scanned ticket
(no ticket with two), as many as the "ok" answers, each at the gate that scanned it; every invalid
scan answered "invalid"; the organisers' last counts equal the database's.

    .venv/bin/python bench/bench_festival.py                      # re-runs itself on PostgreSQL
    .venv/bin/python bench/bench_festival.py --compression 60     # the same morning in 30 s
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import secrets
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bench_deadline import (
    PASSWORD,
    ROOT,
    Answer,
    Client,
    HealthProbe,
    Recorder,
    Server,
    closed_loop_healthz,
    csrf_token,
    load_average,
    migrate,
    percentile,
    postmaster_pid,
    print_server_times,
    print_table,
    production_env,
    reexec_on_postgres,
    server_times,
    summary,
    tree_cpu_seconds,
)

SLUG = "bench-ngay-hoi"
GATES = [f"Cổng {i}" for i in range(1, 21)]
DEVICE_GATES = 10  # gates 1–10 scan with a device token, 11–20 with a staff session
ORGANISERS = 10
SIMULATED_SECONDS = 30 * 60
HO = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ"]
DEM = ["Thị", "Văn", "Ngọc", "Minh", "Thanh", "Hữu", "Quốc", "Thu"]
TEN = ["Hồng", "Nhung", "Bình", "Quý", "Thảo", "Dũng", "Hưng", "Yến", "Khánh", "Trâm"]


def seed(env: dict, n: int, rng: random.Random) -> dict:
    """Migrate; organisers, staff, the event with n tickets, staff assigned, device tokens."""
    migrate(env)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import insert, select

    from app import create_app
    from app.accounts import services as accounts
    from app.events import registration, services, tickets
    from app.events.models import Attendee, Event, Ticket
    from app.extensions import db
    from app.localtime import utcnow

    accounts.hash_password = functools.lru_cache(accounts.hash_password)  # one Argon2 hash for all
    app = create_app()
    with app.app_context():
        organisers = [
            accounts.create_user(
                f"btc{i:02d}@bench.kndmst.vn",
                "organiser",
                password=PASSWORD,
                full_name=f"{HO[i % 10]} {DEM[i % 8]} {TEN[(i * 3) % 10]}",
            )[0]
            for i in range(ORGANISERS)
        ]
        staff = [
            accounts.create_user(
                f"tnv{i:02d}@bench.kndmst.vn",
                "checkin_staff",
                password=PASSWORD,
                full_name=f"{rng.choice(HO)} {rng.choice(DEM)} {rng.choice(TEN)}",
            )[0]
            for i in range(len(GATES) - DEVICE_GATES)
        ]
        now = utcnow()
        event = Event(
            slug=SLUG,
            name="Ngày hội Khởi nghiệp Quảng Ngãi",
            venue="Quảng trường Phạm Văn Đồng",
            description="",
            starts_at=now - timedelta(minutes=30),
            ends_at=now + timedelta(hours=8),
            capacity=None,
            registered_count=n,
            categories=["Khách tham quan", "Đại biểu", "Thí sinh"],
            gates=GATES,
            is_published=True,
        )
        db.session.add(event)
        db.session.commit()
        rows = []
        for _ in range(n):
            name = f"{rng.choice(HO)} {rng.choice(DEM)} {rng.choice(TEN)}"
            rows.append(
                {
                    "event_id": event.id,
                    "full_name": name,
                    "phone": None,
                    "email": None,
                    "organisation": rng.choice(["", "Trường ĐH Phạm Văn Đồng", "Sở KH&CN Quảng Ngãi"]),
                    "category": rng.choice(event.categories),
                    "group_name": "",
                    "search_text": name.lower(),
                    "source": "organiser",
                    "created_at": now,
                }
            )
        db.session.execute(insert(Attendee), rows)
        ids = db.session.scalars(
            select(Attendee.id).where(Attendee.event_id == event.id).order_by(Attendee.id)
        ).all()
        key = registration.ticket_key()
        codes = [tickets.new_code(key) for _ in ids]
        db.session.execute(
            insert(Ticket),
            [
                {"event_id": event.id, "attendee_id": a, "code": c, "issued_at": now, "revoked_reason": ""}
                for a, c in zip(ids, codes, strict=True)
            ],
        )
        db.session.commit()
        for person in staff:
            services.assign_staff(organisers[0], event, person.email)
        tokens = [
            services.create_device_token(organisers[0], event, f"Máy quét {GATES[g]}")[1]
            for g in range(DEVICE_GATES)
        ]
        forged = [
            tickets.new_code(tickets.derive_key("một khoá khác " + secrets.token_hex(8))) for _ in range(50)
        ]
        facts = {
            "event_id": event.id,
            "codes": codes,
            "tokens": tokens,
            "staff": [u.email for u in staff],
            "organisers": [u.email for u in organisers],
            "forged": forged,
        }
        db.session.remove()
        db.engine.dispose()
    return facts


# --- the morning's schedule -------------------------------------------------------------------------


@dataclass
class Scan:
    at: float  # simulated seconds after the doors open
    gate: int
    code: str  # what the scanner read
    ticket: str | None  # the ticket's code, None for an invalid scan
    kind: str  # first | race | later | same_gate | invalid
    scan_id: str = ""
    sent: float = 0.0  # real time the request left
    answer: Answer | None = None
    result: str = ""


def schedule(codes: list[str], forged: list[str], args, rng: random.Random) -> list[Scan]:
    weights = [2 if g < 5 else 1 for g in range(len(GATES))]
    scans = []
    for code in codes:
        at = rng.betavariate(2, 2.5) * SIMULATED_SECONDS
        gate = rng.choices(range(len(GATES)), weights)[0]
        read = f"https://kndmst.quangngai.gov.vn/ve/{code}" if rng.random() < 0.03 else code
        scans.append(Scan(at, gate, read, code, "first"))
        roll = rng.random()
        other = rng.choice([g for g in range(len(GATES)) if g != gate])
        if roll < args.dup_share / 2:
            scans.append(Scan(at, other, code, code, "race"))
        elif roll < args.dup_share:
            scans.append(Scan(min(SIMULATED_SECONDS, at + rng.uniform(10, 300)), other, code, code, "later"))
        elif roll < args.dup_share + 0.01:
            scans.append(Scan(at + 0.5, gate, code, code, "same_gate"))
    for _ in range(round(len(codes) * args.invalid_share)):
        junk = rng.choice(
            [
                rng.choice(forged),
                rng.choice(codes)[:-3],
                "https://zalo.me/g/abcxyz123",
                "VE-SU-KIEN-" + secrets.token_hex(4),
            ]
        )
        scans.append(
            Scan(
                rng.betavariate(2, 2.5) * SIMULATED_SECONDS, rng.randrange(len(GATES)), junk, None, "invalid"
            )
        )
    for n, scan in enumerate(scans):
        scan.scan_id = f"bench-{scan.gate}-{n}-{secrets.token_hex(3)}"
    return sorted(scans, key=lambda s: s.at)


@dataclass
class Gate:
    number: int
    client: Client
    headers: dict[str, str]
    queue: list[Scan] = field(default_factory=list)


def run_gate(gate: Gate, t0: float, compression: float, scan_seconds: float, path: str) -> None:
    """One scanner: the attendees in arrival order, one scan at a time, never two closer than
    scan_seconds (simulated) apart; a late server lengthens the queue instead of being skipped."""
    ready = t0
    for scan in gate.queue:
        due = max(t0 + scan.at / compression, ready)
        time.sleep(max(0.0, due - time.time()))
        scan.sent = time.time()
        body = {"code": scan.code, "gate": GATES[gate.number], "scan_id": scan.scan_id}
        kind = "thiết bị" if gate.number < DEVICE_GATES else "phiên TNV"
        scan.answer = gate.client.post_json(path, body, gate.headers, action=f"POST quét vé ({kind})")
        scan.result = scan.answer.json().get("result", "") if scan.answer.status == 200 else ""
        ready = scan.sent + scan_seconds / compression


class Organiser(threading.Thread):
    """An organiser's live counts page: opened once, then the stats API every `every` seconds."""

    def __init__(self, client: Client, every: float, offset: float, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.client, self.every, self.offset, self.stop = client, every, offset, stop
        self.last: dict = {}

    def run(self) -> None:
        # People open the page at different moments: the polls are spread over the 5 s, not in step.
        if self.stop.wait(self.offset):
            return
        self.client.get(f"/su-kien/{SLUG}/so-lieu", action="GET trang số liệu trực tiếp")
        while not self.stop.wait(self.every):
            answer = self.client.get(f"/api/v1/events/{SLUG}/stats", action="GET số liệu (API, mỗi 5 s)")
            if answer.status == 200:
                self.last = answer.json()


def check_database(env: dict, event_id: int) -> dict:
    from sqlalchemy import func, select

    from app import create_app
    from app.events.models import Checkin, Ticket
    from app.extensions import db

    app = create_app()
    with app.app_context():
        active = db.session.execute(
            select(Ticket.code, Checkin.gate)
            .join(Checkin, Checkin.ticket_id == Ticket.id)
            .where(Checkin.event_id == event_id, Checkin.undone_at.is_(None))
        ).all()
        doubles = db.session.scalar(
            select(func.count()).select_from(
                select(Checkin.ticket_id)
                .where(Checkin.event_id == event_id, Checkin.undone_at.is_(None))
                .group_by(Checkin.ticket_id)
                .having(func.count() > 1)
                .subquery()
            )
        )
        rows = db.session.scalar(
            select(func.count()).select_from(Checkin).where(Checkin.event_id == event_id)
        )
        db.session.remove()
        db.engine.dispose()
    return {"active": active, "doubles": doubles, "rows": rows}


def run(args) -> bool:
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="bench-festival-"))
    env = production_env(work)
    load_before = load_average()
    t = time.perf_counter()
    facts = seed(env, args.attendees, rng)
    seed_s = time.perf_counter() - t
    scans = schedule(facts["codes"], facts["forged"], args, rng)
    server = Server(env, args.workers, args.threads, args.instances)
    pg = postmaster_pid(env["DATABASE_URL"])
    recorder = Recorder()
    path = f"/api/v1/events/{SLUG}/checkins"
    ok = False
    try:
        gates = []
        for g in range(len(GATES)):
            client = Client(server.ports, f"10.20.{g}.9", recorder)
            if g < DEVICE_GATES:
                headers = {"Authorization": "Bearer " + facts["tokens"][g]}
            else:
                if not client.login(facts["staff"][g - DEVICE_GATES], PASSWORD):
                    raise SystemExit("tình nguyện viên không đăng nhập được")
                page = client.get(f"/su-kien/{SLUG}/quet-ve")
                headers = {"X-CSRFToken": csrf_token(page.text)}
            gates.append(Gate(g, client, headers))
        for scan in scans:
            gates[scan.gate].queue.append(scan)
        organisers = []
        stop = threading.Event()
        for i, email in enumerate(facts["organisers"]):
            client = Client(server.ports, f"10.30.{i}.5", recorder)
            if not client.login(email, PASSWORD):
                raise SystemExit("ban tổ chức không đăng nhập được")
            organisers.append(Organiser(client, args.poll_seconds, i * args.poll_seconds / ORGANISERS, stop))
        baseline = closed_loop_healthz(server.ports, args.baseline_seconds)
        time.sleep(1)

        window = SIMULATED_SECONDS / args.compression
        probe = HealthProbe(server.ports, recorder)
        load_start = load_average()
        cpu0 = tree_cpu_seconds(server.pids())
        pg0 = tree_cpu_seconds({pg}) if pg else 0.0
        t0 = time.time() + 0.5
        threads = [
            threading.Thread(
                target=run_gate, args=(g, t0, args.compression, args.scan_seconds, path), daemon=True
            )
            for g in gates
        ]
        probe.start()
        for organiser in organisers:
            organiser.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=window + 600)
        wall = time.time() - t0
        # Two more polls after the last scan: the counts are cached STATS_CACHE_SECONDS (5 s).
        time.sleep(2 * args.poll_seconds + 1)
        stop.set()
        probe.stop.set()
        for organiser in organisers:
            organiser.join(timeout=30)
        probe.join()
        cpu = tree_cpu_seconds(server.pids()) - cpu0
        pg_cpu = (tree_cpu_seconds({pg}) - pg0) if pg else float("nan")
        load_end = load_average()
        db_state = check_database(env, facts["event_id"])

        # --- checks ---
        problems: list[str] = []
        by_ticket: dict[str, list[Scan]] = {}
        for scan in scans:
            if scan.ticket is not None:
                by_ticket.setdefault(scan.ticket, []).append(scan)
            elif scan.result != "invalid":
                problems.append(
                    f"mã không hợp lệ {scan.code[:30]!r} được trả lời {scan.result or scan.answer.status}"
                )
        results: dict[str, int] = {}
        for scan in scans:
            results[scan.result or f"HTTP {scan.answer.status if scan.answer else 0}"] = (
                results.get(scan.result or f"HTTP {scan.answer.status if scan.answer else 0}", 0) + 1
            )
        ok_gate = {}
        for ticket, group in by_ticket.items():
            oks = [s for s in group if s.result == "ok"]
            if len(oks) != 1:
                problems.append(f"vé {ticket[:8]}…: {len(oks)} lần 'ok' trong {len(group)} lượt quét")
            else:
                ok_gate[ticket] = GATES[oks[0].gate]
            for s in group:
                if s.result not in ("ok", "already_checked_in"):
                    problems.append(f"vé {ticket[:8]}…: câu trả lời {s.result or s.answer.status}")
        active = dict(db_state["active"])
        if len(db_state["active"]) != len(active):
            problems.append("một vé có hai lượt check-in đang hiệu lực")
        if set(active) != set(by_ticket):
            problems.append(f"CSDL có {len(active)} vé đã vào, đã quét {len(by_ticket)} vé khác nhau")
        wrong_gate = sum(1 for code, gate in ok_gate.items() if active.get(code) != gate)
        if wrong_gate:
            problems.append(f"{wrong_gate} lượt check-in ghi sai cổng")
        races = [g for g in by_ticket.values() if any(s.kind == "race" for s in g)]
        counts = [o.last.get("checked_in") for o in organisers]
        five = {s: c for s, c in recorder.statuses().items() if s >= 500 or s == 0}

        sent = [s for s in scans if s.answer]
        lateness = [max(0.0, s.sent - (t0 + s.at / args.compression)) for s in sent]
        scan_lat = [s.answer.latency for s in sent]
        by_result: dict[str, list[float]] = {}
        for s in sent:
            by_result.setdefault(s.result or "khác", []).append(s.answer.latency)
        print(
            f"\n== bench_festival — PostgreSQL{', Redis' if env.get('REDIS_URL') else ''}; {args.instances} × gunicorn -w "
            f"{args.workers} -k gthread --threads {args.threads} + 1 worker hàng đợi; {len(os.sched_getaffinity(0))} lõi =="
        )
        print(
            f"{args.attendees} khách, {len(GATES)} cổng ({DEVICE_GATES} mã thiết bị, {len(GATES) - DEVICE_GATES} phiên TNV), "
            f"{ORGANISERS} BTC xem số liệu mỗi {args.poll_seconds:.0f} s; 30 phút mô phỏng nén {args.compression:g}× → "
            f"{window:.0f} s (đo {wall:.0f} s); {len(scans)} lượt quét: {len(by_ticket)} vé khác nhau, "
            f"{sum(1 for s in scans if s.kind == 'race')} cặp quét cùng lúc ở hai cổng, "
            f"{sum(1 for s in scans if s.kind == 'later')} quét lại ở cổng khác, "
            f"{sum(1 for s in scans if s.kind == 'same_gate')} quét hai lần cùng cổng, "
            f"{sum(1 for s in scans if s.kind == 'invalid')} mã không phải vé; seed {seed_s:.0f} s"
        )
        peak = max_rate(scans, args.compression)
        print(
            f"tốc độ quét: trung bình {len(scans) / window:.0f}/s, đỉnh (10 s) {peak:.0f}/s "
            f"(thực tế: {len(scans) / SIMULATED_SECONDS:.1f}/s, đỉnh {peak / args.compression:.1f}/s)"
        )
        print(f"loadavg 1/5/15 phút: trước seed {load_before}; đầu cửa sổ {load_start}; cuối {load_end}")
        print(
            f"baseline (máy chủ rảnh, 8 client liên tục) GET /healthz: {baseline['rps']:.0f} req/s, "
            f"p50 {baseline['p50']:.1f} / p95 {baseline['p95']:.1f} / p99 {baseline['p99']:.1f} ms, lỗi {baseline['errors']}"
        )
        print_table(
            recorder,
            [
                "GET /healthz (thăm dò 0,5 s)",
                "POST quét vé (thiết bị)",
                "POST quét vé (phiên TNV)",
                "GET trang số liệu trực tiếp",
                "GET số liệu (API, mỗi 5 s)",
            ],
        )
        s_all = summary(scan_lat)
        print(
            f"mỗi lượt quét: p50 {s_all['p50']:.1f} / p95 {s_all['p95']:.1f} / p99 {s_all['p99']:.1f} ms; "
            + "; ".join(
                f"{k} {summary(v)['n']}× p99 {summary(v)['p99']:.1f} ms" for k, v in sorted(by_result.items())
            )
        )
        print(
            f"hàng chờ ở cổng (gửi trễ so với lúc khách tới, do cổng bận): p50 {percentile(lateness, 50) * 1000:.0f} / "
            f"p99 {percentile(lateness, 99) * 1000:.0f} ms thực"
        )
        print_server_times(server_times(server.logs, t0))
        print(
            f"CPU cửa sổ đo: gunicorn {cpu:.0f} s ({cpu / wall:.0%} một lõi), PostgreSQL {pg_cpu:.0f} s "
            f"({pg_cpu / wall:.0%} một lõi)"
        )
        print(
            f"kết quả: {results}; CSDL: {len(db_state['active'])} check-in hiệu lực, {db_state['rows']} dòng, "
            f"vé check-in hai lần: {db_state['doubles']}; {len(races)} cặp quét đua: mỗi cặp 1 'ok' + 1 'đã check-in'; "
            f"số liệu BTC thấy lần cuối: {sorted(set(counts), key=str)} (CSDL {len(db_state['active'])})"
        )
        if any(c is not None and c != len(db_state["active"]) for c in counts):
            problems.append(f"số liệu BTC {counts} khác CSDL {len(db_state['active'])}")
        for problem in problems[:20]:
            print("  LỖI:", problem)
        print(f"HTTP 5xx / không trả lời: {five or 0}")
        ok = not five and not problems and db_state["doubles"] == 0
        print("ĐẠT" if ok else "CHƯA ĐẠT", "— không check-in hai lần, không lỗi 5xx" if ok else "")
        print(
            "JSON "
            + json.dumps(
                {
                    "attendees": args.attendees,
                    "compression": args.compression,
                    "scans": len(scans),
                    "baseline": baseline,
                    "actions": {k: summary([r[1] for r in v]) for k, v in recorder.rows.items()},
                    "scan": s_all,
                    "results": results,
                    "db": {
                        "active": len(db_state["active"]),
                        "rows": db_state["rows"],
                        "doubles": db_state["doubles"],
                    },
                    "problems": problems[:50],
                    "cpu": {"gunicorn_s": cpu, "postgres_s": pg_cpu, "wall_s": wall},
                    "load": {"before": load_before, "start": load_start, "end": load_end},
                },
                default=str,
            )
        )
    finally:
        server.stop()
        if args.keep:
            print("giữ thư mục:", work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return ok


def max_rate(scans: list[Scan], compression: float, window: float = 10.0) -> float:
    """The most scans scheduled in any `window` real seconds, per second."""
    times = sorted(s.at / compression for s in scans)
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] > window:
            start += 1
        best = max(best, end - start + 1)
    return best / window


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attendees", type=int, default=5000)
    parser.add_argument(
        "--compression", type=float, default=15, help="30 phút mô phỏng chạy nhanh hơn chừng ấy lần"
    )
    parser.add_argument(
        "--scan-seconds",
        type=float,
        default=2.0,
        help="giây (mô phỏng) tối thiểu giữa hai lượt quét ở một cổng",
    )
    parser.add_argument("--dup-share", type=float, default=0.04, help="tỉ lệ khách bị quét lại ở cổng khác")
    parser.add_argument(
        "--invalid-share", type=float, default=0.02, help="lượt quét mã không phải vé (theo số khách)"
    )
    parser.add_argument("--poll-seconds", type=float, default=5.0)
    parser.add_argument("--baseline-seconds", type=float, default=5)
    parser.add_argument("--instances", type=int, default=2, help="số phiên bản gunicorn (docs/DEPLOY.md: 2)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--keep", action="store_true", help="giữ thư mục tạm (log)")
    parser.add_argument("--no-redis", action="store_true", help="không bọc trong scripts/with-redis.sh")
    args = parser.parse_args()
    status = reexec_on_postgres(__file__)
    if status is not None:
        return status
    return 0 if run(args) else 1


if __name__ == "__main__":
    sys.exit(main())
