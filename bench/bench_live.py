#!/usr/bin/env python3
"""Load benchmark of the live final (issue 12): the follow-the-stage endpoints and the audience vote.

A fresh database (PostgreSQL through scripts/with-postgres.sh by default, as in production; SQLite
with --backend sqlite) migrated to heads and filled by seed-demo — lần 5's live final with its 8
finalists — plus 4 more judges (9 in all, each assigned to every team), --tickets checked-in audience
tickets of the final's event, the first team on stage and the vote window open. The app runs under
gunicorn as the README documents (-w 2 -k gthread --threads 4); wrk (apt package) and the judges'
pollers run on the same 2 cores. In one run and one server it measures:

  1. GET /healthz closed-loop (the trivial baseline) and GET /man-hinh/<key>/trang-thai closed-loop
     with a current If-None-Match (the 304 path every phone takes between changes): req/s, p50/p99,
     and the ratio of the two throughputs;
  2. --phones simulated phones (one keep-alive connection each) polling the stage every second with
     If-None-Match, while 9 judges poll their state endpoint every second and the console changes
     the stage every --change-every seconds (each phone then fetches the full state once): the
     gunicorn processes' CPU (user + system from /proc/<pid>/stat) as % of one core, p50/p99;
  3. a vote burst during the polling: --votes votes on POST /api/v1/binh-chon/<key> in --vote-seconds
     seconds, each from a distinct checked-in ticket: p99 and errors.

Targets (issue 12): 500 phones under 50 % of one core; 400 votes in 10 s with p99 < 1 s.

    bash scripts/with-postgres.sh .venv/bin/python bench/bench_live.py    # (it re-runs itself so when needed)
    .venv/bin/python bench/bench_live.py --backend sqlite --phones 200
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
TARGETS = {"phones_cpu_percent": 50.0, "vote_p99_ms": 1000.0}
JUDGE_PASSWORD = "ChamDiem@2024"  # the demo panel's password (app/judging/demo.py)
EXTRA_JUDGES = ["Võ Thị Hồng", "Đỗ Văn Khải", "Ngô Thanh Bình", "Dương Minh Trí"]  # 5 + 4 = 9

# wrk script. MODE=poll: every connection is a phone polling PATH every POLL_MS with If-None-Match;
# when a new ETag arrives, the next (connections of this thread − 1) requests go without it, so each
# phone fetches the full state once per change, as real phones do. MODE=vote: each request votes from
# the next ticket of this thread's share (CODES_FILE), one every POLL_MS per connection. MODE=plain:
# a closed-loop GET with a fixed If-None-Match (ETAG, may be empty).
LUA = r"""
local mode = os.getenv("MODE") or "plain"
local poll_ms = tonumber(os.getenv("POLL_MS") or "0")
local threads, counter = {}, 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  s200, s304, other, fresh_left, idx = 0, 0, 0, 0, 0
  etag = os.getenv("ETAG") or ""
  per_thread = math.floor(tonumber(os.getenv("CONNECTIONS") or "1") / tonumber(os.getenv("WRK_THREADS") or "1"))
  codes, entries = {}, {}
  if mode == "vote" then
    local nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
    local i = 0
    for line in io.lines(os.getenv("CODES_FILE")) do
      if i % nthreads == tid then table.insert(codes, line) end
      i = i + 1
    end
    for e in string.gmatch(os.getenv("ENTRY_IDS"), "%d+") do table.insert(entries, e) end
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
    wrk.headers["Accept"] = "application/json"
  end
end
function delay()
  return poll_ms
end
function request()
  if mode == "vote" then
    idx = idx + 1
    local code = codes[((idx - 1) % #codes) + 1]
    local entry = entries[((idx + tid) % #entries) + 1]
    local body = string.format(os.getenv("VOTE_BODY"), code, entry)
    return wrk.format("POST", nil, nil, body)
  end
  local headers = {}
  if mode == "poll" and fresh_left > 0 then
    fresh_left = fresh_left - 1
  elseif etag ~= "" then
    headers["If-None-Match"] = etag
  end
  return wrk.format("GET", nil, headers)
end
function response(status, headers, body)
  if status == 200 or status == 201 then s200 = s200 + 1
  elseif status == 304 then s304 = s304 + 1
  else other = other + 1 end
  if mode == "poll" then
    local tag = headers["ETag"] or headers["Etag"] or headers["etag"]
    if tag and tag ~= etag then
      etag = tag
      fresh_left = per_thread - 1
    end
  end
end
function done(summary, latency, requests)
  local a, b, c = 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("s200"); b = b + t:get("s304"); c = c + t:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"socket_errors":%d,"s200":%d,"s304":%d,"other":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.timeout, a, b, c))
end
"""


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


# --- the data ----------------------------------------------------------------------------------------


def seed(env: dict, n_tickets: int, codes_file: Path) -> dict:
    """Migrate, seed-demo, then 4 more judges, n checked-in tickets, team 1 on stage, vote open."""
    flask = [str(VENV / "flask"), "--app", "wsgi"]
    quiet = {"cwd": ROOT, "env": env, "check": True, "stdout": subprocess.DEVNULL}
    subprocess.run([*flask, "db", "upgrade", "heads"], **quiet, stderr=subprocess.DEVNULL)  # type: ignore[arg-type]
    subprocess.run([*flask, "seed-demo"], **quiet)  # type: ignore[arg-type]
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import insert, select

    from app import create_app
    from app.accounts import services as accounts
    from app.contests.permissions import get_contest
    from app.events import registration, tickets
    from app.events.models import Attendee, Checkin, Event, Ticket
    from app.extensions import db
    from app.judging import services as judging
    from app.live import demo, votes
    from app.live import services as live
    from app.localtime import utcnow

    app = create_app()
    with app.app_context():
        organiser = accounts.find_user_by_email(demo.ORGANISER_EMAIL)
        round_ = next(
            r for r in judging.contest_rounds(get_contest(demo.CONTEST)) if r.name == demo.ROUND_NAME
        )
        stage = live.stage_of(round_)
        entries = [s.entry_id for s in stage.slots]
        for i, name in enumerate(EXTRA_JUDGES, 1):
            email = f"gk.bench{i}@demo.kndmst.vn"
            accounts.create_user(email, "judge", password=JUDGE_PASSWORD, full_name=name)
            judge = judging.add_judge(organiser, round_, email)
            for entry_id in entries:
                judging.assign_judge(organiser, round_, judge.id, entry_id)
        judges = [j.email for j in judging.round_judges(round_)]
        event = db.session.scalar(select(Event).where(Event.slug == demo.EVENT))
        now = utcnow()
        key = registration.ticket_key()
        db.session.execute(
            insert(Attendee),
            [
                {
                    "event_id": event.id,
                    "full_name": f"Khán giả {i}",
                    "phone": None,
                    "email": None,
                    "organisation": "",
                    "category": "Khách tham quan",
                    "group_name": "",
                    "search_text": f"khan gia {i}",
                    "source": "organiser",
                    "created_at": now,
                }
                for i in range(n_tickets)
            ],
        )
        ids = db.session.scalars(
            select(Attendee.id)
            .where(Attendee.event_id == event.id, Attendee.full_name.like("Khán giả %"))
            .order_by(Attendee.id)
        ).all()
        codes = [tickets.new_code(key) for _ in ids]
        db.session.execute(
            insert(Ticket),
            [
                {"event_id": event.id, "attendee_id": a, "code": c, "issued_at": now, "revoked_reason": ""}
                for a, c in zip(ids, codes, strict=True)
            ],
        )
        by_attendee = dict(
            db.session.execute(select(Ticket.attendee_id, Ticket.id).where(Ticket.attendee_id.in_(ids))).all()
        )
        db.session.execute(
            insert(Checkin),
            [
                {
                    "event_id": event.id,
                    "ticket_id": by_attendee[a],
                    "attendee_id": a,
                    "at": now,
                    "gate": event.gates[0],
                    "staff_id": organiser.id,
                    "device_id": None,
                    "scan_id": None,
                    "undo_reason": "",
                }
                for a in ids
            ],
        )
        db.session.commit()
        live.start(organiser, stage)
        votes.open_vote(organiser, stage)
        facts = {
            "key": stage.public_key,
            "round_id": round_.id,
            "entries": entries,
            "judges": judges,
            "on_stage": stage.current_entry_id,
        }
        db.session.remove()
        db.engine.dispose()
    codes_file.write_text("\n".join(codes) + "\n")
    return facts


class StageChanger(threading.Thread):
    """The console, from another process's point of view: pause / resume every `every` seconds,
    written straight to the database (as another app instance would)."""

    def __init__(self, env: dict, round_id: int, every: float) -> None:
        super().__init__(daemon=True)
        self.round_id, self.every, self.changes = round_id, every, 0
        self.stop = threading.Event()

    def run(self) -> None:
        from app import create_app
        from app.accounts import services as accounts
        from app.extensions import db
        from app.judging import services as judging
        from app.live import demo
        from app.live import services as live

        app = create_app()
        with app.app_context():
            organiser = accounts.find_user_by_email(demo.ORGANISER_EMAIL)
            while not self.stop.wait(self.every):
                stage = live.stage_of(judging.get_round(self.round_id))
                (live.resume if stage.paused_at else live.pause)(organiser, stage)
                self.changes += 1
                db.session.remove()
            db.engine.dispose()


class JudgePoller(threading.Thread):
    """One judge's phone: logs in, then polls the judge state endpoint every second (If-None-Match)."""

    def __init__(self, base: str, email: str, path: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.base, self.email, self.path, self.stop = base, email, path, stop
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def login(self) -> None:
        page = self.opener.open(self.base + "/tai-khoan/dang-nhap", timeout=10).read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        data = {
            "email": self.email,
            "password": JUDGE_PASSWORD,
            "csrf_token": token.group(1) if token else "",
        }
        self.opener.open(
            self.base + "/tai-khoan/dang-nhap", urllib.parse.urlencode(data).encode(), timeout=10
        )

    def run(self) -> None:
        tag = ""
        while not self.stop.is_set():
            started = time.perf_counter()
            request = urllib.request.Request(
                self.base + self.path, headers={"If-None-Match": tag} if tag else {}
            )
            try:
                with self.opener.open(request, timeout=10) as response:
                    status = response.status
                    tag = response.headers.get("ETag", "") or tag
                    response.read()
            except urllib.error.HTTPError as error:
                status = error.code
            except OSError:
                status = 0
            elapsed = time.perf_counter() - started
            self.latencies.append(elapsed)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            self.stop.wait(max(0.0, 1.0 - elapsed))


# --- the measurements --------------------------------------------------------------------------------


def wrk(
    url: str, lua: Path, *, connections: int, seconds: float, threads: int, env: dict, server_pid: int = 0
) -> dict:
    cmd = [
        ensure_wrk(),
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(lua),
        url,
    ]
    run_env = {**os.environ, "WRK_THREADS": str(threads), "CONNECTIONS": str(connections), **env}
    cpu_before = tree_cpu_seconds(server_pid) if server_pid else 0.0
    out = subprocess.run(cmd, env=run_env, capture_output=True, text=True, check=True).stdout
    cpu_after = tree_cpu_seconds(server_pid) if server_pid else 0.0
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[len("RESULT ") :])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    # Server CPU per request: far less sensitive than throughput to whatever else the machine runs.
    result["cpu_us_per_request"] = (cpu_after - cpu_before) * 1e6 / max(result["requests"], 1)
    return result


def vote_burst(
    base: str, path: str, codes: list[str], entries: list[int], body: str, n: int, seconds: float
) -> dict:
    """n votes from n distinct tickets, sent open-loop at an even rate over `seconds` (a vote is sent
    on time even when earlier ones are still waiting): latency includes any queueing in the server."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def one(i: int) -> None:
        data = (body % (codes[i % len(codes)], entries[i % len(entries)])).encode()
        request = urllib.request.Request(
            base + path, data, {"Content-Type": "application/json", "Accept": "application/json"}
        )
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError:
            status = 0
        with lock:
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1

    workers: list[threading.Thread] = []
    t0 = time.perf_counter()
    for i in range(n):
        time.sleep(max(0.0, t0 + i * seconds / n - time.perf_counter()))
        worker = threading.Thread(target=one, args=(i,), daemon=True)
        worker.start()
        workers.append(worker)
    for worker in workers:
        worker.join(timeout=60)
    wall = time.perf_counter() - t0
    ok = sum(c for s, c in statuses.items() if 200 <= s < 300)
    return {
        "requests": len(latencies),
        "ok": ok,
        "errors": len(latencies) - ok,
        "statuses": statuses,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "max_ms": max(latencies, default=0) * 1000,
        "wall_s": wall,
    }


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run(args) -> dict:
    work = Path(tempfile.mkdtemp(prefix="bench-live-"))
    env = {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "BASE_URL": "http://127.0.0.1",
        "INSTANCE_PATH": str(work),
        "SESSION_COOKIE_SECURE": "0",
        "RATELIMIT_ENABLED": "0",
    }
    if args.backend == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{work / 'bench.db'}"
    elif not env.get("DATABASE_URL", "").startswith("postgresql"):
        raise SystemExit("PostgreSQL: chạy qua scripts/with-postgres.sh (bench_live.py tự làm khi cần)")
    lua = work / "live.lua"
    lua.write_text(LUA)
    codes_file = work / "codes.txt"
    t0 = time.perf_counter()
    facts = seed(env, args.tickets, codes_file)
    seed_s = time.perf_counter() - t0
    port = free_port()
    server = subprocess.Popen(
        [
            str(VENV / "gunicorn"),
            "-w",
            str(args.workers),
            "-k",
            "gthread",
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
    state_path = f"/man-hinh/{facts['key']}/trang-thai"
    judge_path = args.judge_path.format(round_id=facts["round_id"], key=facts["key"])
    vote_path = args.vote_path.format(key=facts["key"], round_id=facts["round_id"])
    result: dict = {
        "backend": args.backend,
        "seed_seconds": round(seed_s, 1),
        "load_before": os.getloadavg()[0],
    }
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        with urllib.request.urlopen(base + state_path, timeout=5) as response:
            tag = response.headers["ETag"]
        common = {"threads": args.wrk_threads}
        # Warm-up (imports, pools, statement caches), then the closed-loop pair.
        wrk(base + "/healthz", lua, connections=50, seconds=2, env={"MODE": "plain"}, **common)
        wrk(base + state_path, lua, connections=50, seconds=2, env={"MODE": "plain", "ETAG": tag}, **common)
        common["server_pid"] = server.pid
        result["healthz"] = wrk(
            base + "/healthz", lua, connections=50, seconds=args.duration, env={"MODE": "plain"}, **common
        )
        result["state_304"] = wrk(
            base + state_path,
            lua,
            connections=50,
            seconds=args.duration,
            env={"MODE": "plain", "ETAG": tag},
            **common,
        )
        result["state_200"] = wrk(
            base + state_path, lua, connections=50, seconds=args.duration, env={"MODE": "plain"}, **common
        )
        # Idle CPU of the server (gunicorn's own housekeeping), for reference.
        time.sleep(2)  # requests still queued when wrk stopped
        cpu0 = tree_cpu_seconds(server.pid)
        time.sleep(3)
        result["idle_cpu_percent"] = (tree_cpu_seconds(server.pid) - cpu0) / 3 * 100

        # Phones + judges + the console's changes; the vote burst in the middle of it.
        stop = threading.Event()
        judges = [JudgePoller(base, email, judge_path, stop) for email in facts["judges"]]
        for judge in judges:
            try:
                judge.login()
            except OSError as error:
                print("đăng nhập giám khảo lỗi:", judge.email, error)
        changer = StageChanger(env, facts["round_id"], args.change_every)
        votes: dict = {}

        codes = codes_file.read_text().split()

        def burst_later() -> None:
            time.sleep(args.phone_seconds / 3)
            if args.votes > 0:
                votes.update(
                    vote_burst(
                        base,
                        vote_path,
                        codes,
                        facts["entries"],
                        args.vote_body,
                        args.votes,
                        args.vote_seconds,
                    )
                )

        burst = threading.Thread(target=burst_later, daemon=True)
        for judge in judges:
            judge.start()
        changer.start()
        burst.start()
        cpu0, wall0 = tree_cpu_seconds(server.pid), time.perf_counter()
        result["phones"] = wrk(
            base + state_path,
            lua,
            connections=args.phones,
            seconds=args.phone_seconds,
            env={"MODE": "poll", "POLL_MS": "1000", "ETAG": tag},
            **common,
        )
        wall = time.perf_counter() - wall0
        result["phones_cpu_percent"] = (tree_cpu_seconds(server.pid) - cpu0) / wall * 100
        stop.set()
        changer.stop.set()
        burst.join(timeout=args.vote_seconds + 30)
        changer.join(timeout=10)
        for judge in judges:
            judge.join(timeout=10)
        result["changes"] = changer.changes
        result["votes"] = votes
        lat = [x for j in judges for x in j.latencies]
        statuses: dict[int, int] = {}
        for judge in judges:
            for status, n in judge.statuses.items():
                statuses[status] = statuses.get(status, 0) + n
        result["judges"] = {
            "count": len(judges),
            "requests": len(lat),
            "p50_ms": percentile(lat, 50) * 1000,
            "p99_ms": percentile(lat, 99) * 1000,
            "statuses": statuses,
            "path": judge_path,
        }
        # A quiet phase: the same phones with no change and no vote (the steady 304 cost).
        with urllib.request.urlopen(base + state_path, timeout=10) as response:
            tag = response.headers["ETag"]
        time.sleep(2)
        cpu0, wall0 = tree_cpu_seconds(server.pid), time.perf_counter()
        result["phones_quiet"] = wrk(
            base + state_path,
            lua,
            connections=args.phones,
            seconds=args.quiet_seconds,
            env={"MODE": "poll", "POLL_MS": "1000", "ETAG": tag},
            **common,
        )
        result["phones_quiet_cpu_percent"] = (
            (tree_cpu_seconds(server.pid) - cpu0) / (time.perf_counter() - wall0) * 100
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
        shutil.rmtree(work, ignore_errors=True)
    result["load_after"] = os.getloadavg()[0]
    result["vote_path"] = vote_path
    return result


def report(r: dict, args) -> bool:
    print(
        f"\n== bench_live — {r['backend']}, gunicorn -w {args.workers} -k gthread --threads {args.threads}; "
        f"seed {r['seed_seconds']} s; loadavg trước/sau {r['load_before']:.1f}/{r['load_after']:.1f} "
        f"trên {os.cpu_count()} lõi =="
    )
    print(
        f"{'phép đo':<46}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'lỗi':>6}{'µs CPU/req':>11}{'CPU %1 lõi':>11}"
    )

    def row(name: str, m: dict, cpu: str = "") -> None:
        errors = m.get("socket_errors", 0) + m.get("other", 0)
        print(
            f"{name:<46}{m['rps']:>8.0f}{m['p50_us'] / 1000:>9.1f}{m['p99_us'] / 1000:>9.1f}{errors:>6}"
            f"{m['cpu_us_per_request']:>11.0f}{cpu:>11}"
        )

    row("GET /healthz (50 kết nối, liên tục)", r["healthz"])
    row("GET trạng thái → 304 (50 kết nối, liên tục)", r["state_304"])
    row("GET trạng thái → 200 đầy đủ (50 kết nối)", r["state_200"])
    row(
        f"{args.phones} điện thoại/1 s, {r['changes']} thay đổi + bình chọn",
        r["phones"],
        f"{r['phones_cpu_percent']:.1f}",
    )
    row(
        f"{args.phones} điện thoại/1 s, không thay đổi",
        r["phones_quiet"],
        f"{r['phones_quiet_cpu_percent']:.1f}",
    )
    j = r["judges"]
    print(
        f"{str(j['count']) + ' giám khảo/1 s (cùng lúc với điện thoại)':<46}{j['requests'] / args.phone_seconds:>8.1f}"
        f"{j['p50_ms']:>9.1f}{j['p99_ms']:>9.1f}{'':>6}  mã HTTP: {j['statuses']}"
    )
    v = r["votes"]
    if v:
        print(
            f"{'bình chọn: ' + str(v['requests']) + ' phiếu trong ' + format(v['wall_s'], '.1f') + ' s':<46}"
            f"{v['requests'] / max(v['wall_s'], 0.001):>8.0f}{v['p50_ms']:>9.1f}{v['p99_ms']:>9.1f}{v['errors']:>6}"
            f"   mã HTTP: {v['statuses']}"
        )
    healthz, s304, s200 = r["healthz"], r["state_304"], r["state_200"]
    print(
        f"tỉ lệ thông lượng: 304 / healthz = {s304['rps'] / healthz['rps']:.0%}, 200 đầy đủ / healthz = "
        f"{s200['rps'] / healthz['rps']:.0%}; CPU mỗi yêu cầu: 304 = {s304['cpu_us_per_request']:.0f} µs, "
        f"200 = {s200['cpu_us_per_request']:.0f} µs, healthz = {healthz['cpu_us_per_request']:.0f} µs"
    )
    steady = args.phones * s304["cpu_us_per_request"] / 1e4
    per_change = args.phones * s200["cpu_us_per_request"] / 1e6
    print(
        f"ước tính từ CPU/yêu cầu: {args.phones} điện thoại ổn định ≈ {steady:.0f} % một lõi; mỗi thay đổi sân khấu "
        f"≈ {per_change:.1f} giây-CPU ({args.phones} lần tải trạng thái đầy đủ); CPU máy chủ khi rảnh "
        f"{r['idle_cpu_percent']:.1f} %"
    )
    phones_ok = r["phones_cpu_percent"] < TARGETS["phones_cpu_percent"] and not r["phones"]["other"]
    votes_ok = bool(v) and v["ok"] >= args.votes and v["p99_ms"] < TARGETS["vote_p99_ms"]
    print(
        f"mục tiêu: {args.phones} điện thoại (có thay đổi mỗi {args.change_every:.0f} s) < "
        f"{TARGETS['phones_cpu_percent']:.0f} % một lõi → {'ĐẠT' if phones_ok else 'CHƯA ĐẠT'}; "
        f"{args.votes} phiếu / {args.vote_seconds} s, p99 < 1 s, không lỗi → "
        f"{'ĐẠT' if votes_ok else 'CHƯA ĐẠT' if v else 'chưa đo'}"
    )
    print("JSON " + json.dumps(r, default=str))
    return phones_ok and votes_ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--phones", type=int, default=500)
    parser.add_argument("--phone-seconds", type=int, default=60, help="giây đo điện thoại (có bình chọn)")
    parser.add_argument(
        "--quiet-seconds", type=int, default=15, help="giây đo điện thoại khi không có thay đổi"
    )
    parser.add_argument("--duration", type=int, default=6, help="giây mỗi phép đo liên tục")
    parser.add_argument("--change-every", type=float, default=30.0, help="giây giữa hai thay đổi sân khấu")
    parser.add_argument("--votes", type=int, default=400)
    parser.add_argument("--vote-seconds", type=int, default=10)
    parser.add_argument("--tickets", type=int, default=1000, help="vé đã check-in để bình chọn")
    parser.add_argument("--vote-path", default="/api/v1/binh-chon/{key}")
    parser.add_argument("--vote-body", default='{"ticket":"%s","entry_id":%s}', help="JSON (mã vé, id đội)")
    parser.add_argument("--judge-path", default="/truc-tiep/vong/{round_id}/giam-khao/trang-thai")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    ensure_wrk()
    if args.backend == "postgres" and not os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        return subprocess.run(
            ["bash", str(ROOT / "scripts" / "with-postgres.sh"), sys.executable, __file__, *sys.argv[1:]],
            cwd=ROOT,
        ).returncode
    return 0 if report(run(args), args) else 1


if __name__ == "__main__":
    sys.exit(main())
