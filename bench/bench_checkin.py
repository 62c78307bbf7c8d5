#!/usr/bin/env python3
"""Load benchmark of the check-in API (issue 5), on SQLite and on PostgreSQL.

For each backend: a fresh database migrated to heads, one event seeded with --tickets tickets (bulk
insert) and a device token; the app under gunicorn (--workers sync-free gthread workers, as in
production); wrk (apt package, installed by `make bench` when missing) with --connections
concurrent clients on the same 2 cores. In the same run and the same server it measures:

  1. the trivial endpoint GET /healthz (one `SELECT 1`; the project's lightest route), and
  2. POST /api/v1/events/<slug>/checkins, each request a *distinct* ticket with its own scan_id,

then prints requests per second, p50/p95/p99 latency, errors, and the ratios (check-in throughput
/ trivial throughput, check-in p99 / trivial p99), and checks the database: every "ok" answer
has exactly one check-in row and no ticket has two active check-ins.

    .venv/bin/python bench/bench_checkin.py                 # both backends
    .venv/bin/python bench/bench_checkin.py --backend sqlite --duration 5
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
LUA = ROOT / "bench" / "checkin.lua"
SLUG = "bench-checkin"
TARGETS = {"throughput_ratio": 0.5, "p99_ratio": 2.0}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk chưa có: cài gói Debian wrk…", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk"],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    return shutil.which("wrk") or "wrk"


def seed(env: dict, n_tickets: int, codes_file: Path) -> str:
    """Migrate, then bulk-insert one event with n tickets; returns a device token."""
    subprocess.run(
        [str(VENV / "flask"), "--app", "wsgi", "db", "upgrade", "heads"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    from datetime import timedelta

    from sqlalchemy import insert, select

    from app import create_app
    from app.events import registration, services, tickets
    from app.events.models import Attendee, Event, Ticket
    from app.extensions import db
    from app.localtime import utcnow

    app = create_app()
    with app.app_context():
        now = utcnow()
        event = Event(
            slug=SLUG,
            name="Benchmark check-in",
            venue="",
            description="",
            starts_at=now,
            ends_at=now + timedelta(hours=8),
            capacity=None,
            registered_count=n_tickets,
            categories=["Khách tham quan"],
            gates=["Cổng A", "Cổng B"],
            is_published=False,
        )
        db.session.add(event)
        db.session.commit()
        key = registration.ticket_key()
        batch = 5000
        codes = []
        for start in range(0, n_tickets, batch):
            rows = [
                {
                    "event_id": event.id,
                    "full_name": f"Khách Thứ {i}",
                    "phone": None,
                    "email": None,
                    "organisation": "",
                    "category": "Khách tham quan",
                    "group_name": "",
                    "search_text": f"khach thu {i}",
                    "source": "organiser",
                    "created_at": now,
                }
                for i in range(start, min(start + batch, n_tickets))
            ]
            db.session.execute(insert(Attendee), rows)
            ids = db.session.scalars(
                select(Attendee.id)
                .where(Attendee.event_id == event.id)
                .order_by(Attendee.id)
                .offset(start)
                .limit(batch)
            ).all()
            chunk = [tickets.new_code(key) for _ in ids]
            codes.extend(chunk)
            db.session.execute(
                insert(Ticket),
                [
                    {
                        "event_id": event.id,
                        "attendee_id": aid,
                        "code": code,
                        "issued_at": now,
                        "revoked_reason": "",
                    }
                    for aid, code in zip(ids, chunk, strict=True)
                ],
            )
            db.session.commit()
        _row, token = services.create_device_token(None, event, "Máy benchmark")
        db.session.remove()
        db.engine.dispose()
    codes_file.write_text("\n".join(codes) + "\n")
    return token


def db_check(env: dict) -> dict:
    from sqlalchemy import func, select

    from app import create_app
    from app.events.models import Checkin, Event
    from app.extensions import db

    app = create_app()
    with app.app_context():
        event_id = db.session.scalar(select(Event.id).where(Event.slug == SLUG))
        rows = db.session.scalar(
            select(func.count()).select_from(Checkin).where(Checkin.event_id == event_id)
        )
        doubles = db.session.scalar(
            select(func.count()).select_from(
                select(Checkin.ticket_id)
                .where(Checkin.event_id == event_id, Checkin.undone_at.is_(None))
                .group_by(Checkin.ticket_id)
                .having(func.count() > 1)
                .subquery()
            )
        )
        db.session.remove()
        db.engine.dispose()
    return {"checkin_rows": rows, "double_checkins": doubles}


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (gunicorn's master and workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:  # fields[1] is the parent pid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def wrk(url: str, args, extra_env: dict, server_pid: int | None = None) -> dict:
    cmd = [
        ensure_wrk(),
        "-t",
        str(args.wrk_threads),
        "-c",
        str(args.connections),
        "-d",
        f"{args.duration}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        url,
    ]
    env = {**os.environ, "WRK_THREADS": str(args.wrk_threads), **extra_env}
    cpu_before = tree_cpu_seconds(server_pid) if server_pid else 0.0
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    cpu_after = tree_cpu_seconds(server_pid) if server_pid else 0.0
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[len("RESULT ") :])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    # Server CPU per request: far less sensitive than throughput to whatever else the machine runs.
    result["cpu_us_per_request"] = (cpu_after - cpu_before) * 1e6 / max(result["requests"], 1)
    return result


def run_backend(backend: str, args) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"bench-checkin-{backend}-"))
    env = {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "BASE_URL": "http://127.0.0.1",  # production refuses to start without it
        "INSTANCE_PATH": str(work),
        "SESSION_COOKIE_SECURE": "0",
        "RATELIMIT_ENABLED": "0",
    }
    if backend == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{work / 'bench.db'}"
    elif not env.get("DATABASE_URL", "").startswith("postgresql"):
        raise SystemExit(
            "PostgreSQL: chạy qua scripts/with-postgres.sh (bench_checkin.py tự làm khi --backend both)"
        )
    codes_file = work / "codes.txt"
    t0 = time.perf_counter()
    load_before = os.getloadavg()[0]
    token = seed(env, args.tickets, codes_file)
    seed_s = time.perf_counter() - t0
    port = free_port()
    server = subprocess.Popen(
        [
            str(VENV / "gunicorn"),
            "-w",
            str(args.workers),
            "-k",
            args.worker_class,
            "--threads",
            str(args.threads),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        # Warm both paths (imports, statement caches, connection pools) before measuring.
        short = argparse.Namespace(**{**vars(args), "duration": 2})
        wrk(base + "/healthz", short, {})
        codes = codes_file.read_text().split()
        share = len(codes) // (args.rounds + 1)
        path = f"/api/v1/events/{SLUG}/checkins"

        def checkin_run(n: int, opts) -> dict:
            part = work / f"codes-{n}.txt"
            part.write_text("\n".join(codes[n * share : (n + 1) * share]) + "\n")
            return wrk(
                base + path,
                opts,
                {"CODES_FILE": str(part), "DEVICE_TOKEN": token, "CHECKIN_PATH": path, "RUN_ID": f"r{n}"},
                server.pid,
            )

        warm = checkin_run(args.rounds, short)  # warm-up on its own slice of tickets
        # Alternate the two endpoints round by round so that a burst of load from anything else
        # on the machine hits both alike; the pair with the median ratio is reported.
        trivial_rounds, checkin_rounds = [], []
        for n in range(args.rounds):
            trivial_rounds.append(wrk(base + "/healthz", args, {}, server.pid))
            checkin_rounds.append(checkin_run(n, args))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    checks = db_check(env)
    shutil.rmtree(work, ignore_errors=True)

    # Each round pairs a trivial run with the check-in run right after it (same machine
    # conditions); the pair with the median throughput ratio is the one reported.
    pairs = sorted(zip(trivial_rounds, checkin_rounds, strict=True), key=lambda p: p[1]["rps"] / p[0]["rps"])
    trivial, checkin = pairs[len(pairs) // 2]

    totals = {
        k: sum(m[k] for m in [warm, *checkin_rounds])
        for k in ("ok", "already", "other", "socket_errors", "non_200")
    }
    totals["trivial_errors"] = sum(m["socket_errors"] + m["non_200"] for m in trivial_rounds)
    return {
        "backend": backend,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "seed_seconds": round(seed_s, 1),
        "tickets": args.tickets,
        "connections": args.connections,
        "trivial": trivial,
        "checkin": checkin,
        "trivial_rounds": trivial_rounds,
        "checkin_rounds": checkin_rounds,
        "totals": totals,
        "rounds": {
            "trivial": [round(m["rps"]) for m in trivial_rounds],
            "checkin": [round(m["rps"]) for m in checkin_rounds],
            "ratio": [
                round(c["rps"] / t["rps"], 2) for t, c in zip(trivial_rounds, checkin_rounds, strict=True)
            ],
        },
        **checks,
    }


def report(r: dict) -> bool:
    t, c, totals = r["trivial"], r["checkin"], r["totals"]
    # Medians over the rounds of each pair's ratios (a pair = a trivial run and the check-in run
    # right after it), so one noisy second on a shared machine cannot decide the verdict.
    pairs = list(zip(r["trivial_rounds"], r["checkin_rounds"], strict=True))
    throughput_ratios = sorted(cr["rps"] / tr["rps"] for tr, cr in pairs)
    p99_ratios = sorted(cr["p99_us"] / max(tr["p99_us"], 1) for tr, cr in pairs)
    ratio = throughput_ratios[len(pairs) // 2]
    p99_ratio = p99_ratios[len(pairs) // 2]
    errors = totals["socket_errors"] + totals["non_200"] + totals["other"] + totals["trivial_errors"]
    # Every "ok" answer created one row; rows beyond that belong to requests still in flight
    # when wrk stopped (at most one per connection per run, answered after wrk stopped reading).
    in_flight = r["checkin_rows"] - totals["ok"]
    rows_ok = 0 <= in_flight <= r["connections"] * (len(r["rounds"]["checkin"]) + 1)
    print(
        f"\n== {r['backend']} — {r['tickets']} vé (seed {r['seed_seconds']} s), {r['connections']} kết nối, "
        f"tải máy (loadavg 1 phút) trước/sau: {r['load_before']:.1f}/{r['load_after']:.1f} trên {os.cpu_count()} lõi =="
    )
    print(f"{'endpoint (cặp giữa)':<22}{'req/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for name, m in (("GET /healthz", t), ("POST …/checkins", c)):
        print(
            f"{name:<22}{m['rps']:>10.0f}{m['p50_us'] / 1000:>9.2f}{m['p95_us'] / 1000:>9.2f}{m['p99_us'] / 1000:>9.2f}"
        )
    cpu_t = sorted(m["cpu_us_per_request"] for m in r["trivial_rounds"])[len(r["trivial_rounds"]) // 2]
    cpu_c = sorted(m["cpu_us_per_request"] for m in r["checkin_rounds"])[len(r["checkin_rounds"]) // 2]
    print(
        f"CPU máy chủ mỗi yêu cầu (trung vị các vòng): trivial {cpu_t:.0f} µs, check-in {cpu_c:.0f} µs "
        f"→ tỉ lệ thông lượng theo CPU ≈ {cpu_t / cpu_c:.0%}"
    )
    print(
        f"các vòng (req/s): trivial {r['rounds']['trivial']}, check-in {r['rounds']['checkin']}, "
        f"tỉ lệ từng cặp {r['rounds']['ratio']}, p99 từng cặp {[round(x, 2) for x in p99_ratios]}"
    )
    print(
        f"check-in: {totals['ok']} ok, {totals['already']} already, {totals['other']} khác, "
        f"{totals['non_200']} HTTP≠200, {totals['socket_errors']} lỗi socket; {r['checkin_rows']} dòng check-in "
        f"({in_flight} của yêu cầu dở dang khi wrk dừng); vé check-in hai lần: {r['double_checkins']}"
    )
    print(
        f"trung vị: tỉ lệ thông lượng check-in / trivial = {ratio:.0%} (mục tiêu ≥ {TARGETS['throughput_ratio']:.0%}); "
        f"p99 check-in / trivial = {p99_ratio:.2f}× (mục tiêu ≤ {TARGETS['p99_ratio']:.0f}×)"
    )
    passed = (
        ratio >= TARGETS["throughput_ratio"]
        and p99_ratio <= TARGETS["p99_ratio"]
        and errors == 0
        and r["double_checkins"] == 0
        and rows_ok
        and totals["already"] == 0
    )
    print("ĐẠT" if passed else "CHƯA ĐẠT", "— lỗi:", errors)
    print("JSON " + json.dumps({**r, "throughput_ratio": round(ratio, 3), "p99_ratio": round(p99_ratio, 3)}))
    return passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--tickets", type=int, default=60000)
    parser.add_argument("--duration", type=int, default=4, help="giây mỗi phép đo")
    parser.add_argument("--rounds", type=int, default=5, help="số vòng xen kẽ trivial / check-in")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="luồng mỗi worker (gthread)")
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    args = parser.parse_args()
    ensure_wrk()
    ok = True
    if args.backend in ("sqlite", "both"):
        ok &= report(run_backend("sqlite", args))
    if args.backend == "postgres":
        ok &= report(run_backend("postgres", args))
    if args.backend == "both":
        # Every option again but --backend (given as "--backend both" or "--backend=both").
        argv, passthrough = iter(sys.argv[1:]), []
        for arg in argv:
            if arg == "--backend":
                next(argv, None)
            elif not arg.startswith("--backend="):
                passthrough.append(arg)
        status = subprocess.run(
            [
                "bash",
                str(ROOT / "scripts" / "with-postgres.sh"),
                sys.executable,
                __file__,
                "--backend",
                "postgres",
                *passthrough,
            ],
            cwd=ROOT,
        ).returncode
        ok &= status == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
