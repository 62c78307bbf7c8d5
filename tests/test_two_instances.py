"""Scale-out that is real (issue 16): two gunicorn instances, started as README "Production" says, on
one PostgreSQL and one Redis, share nothing else. A session made on one is valid on the other; login
throttling and rate limits count across both; a check-in on one is a duplicate on the other; a device
revoked on one is refused by the other at once; and killing one instance (SIGKILL) in the middle of
a stream of check-ins, draft saves and submissions loses nothing that was answered 2xx/302 and
stores nothing twice (clients retry on the other instance, as the scanner's queue and a browser do).

Needs DATABASE_URL on PostgreSQL and Redis ($REDIS_URL or Debian's redis-server): `make test-postgres`
provides both (scripts/with-postgres.sh, scripts/with-redis.sh)."""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.contests import entries
from app.contests import services as contests
from app.contests.models import Entry, EntryStatus
from app.events import registration
from app.events import services as events
from app.events.models import Checkin, DeviceToken, Event
from app.extensions import db
from tests.contests.conftest import ALL_CONSENTS, PDF, person, upload
from tests.factories import event_data
from tests.test_shared_state import free_port, redis_url  # noqa: F401 (the fixture)

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PASSWORD = "GaoLua2024"
N_TICKETS = 120
N_APPLICANTS = 10
SAVES = 3


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a 302 is an answer to look at, not to follow
        return None


@dataclass
class Client:
    """One person's browser: a cookie jar (valid on both instances: cookies ignore ports) and an
    address, sent as nginx would in X-Forwarded-For (the instances run with PROXY_FIX_X_FOR=1)."""

    ip: str
    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def __post_init__(self) -> None:
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def send(
        self, url: str, data: dict | None = None, headers: dict | None = None, body: bytes | None = None
    ):
        """(status, body); status 0 when the instance did not answer at all (refused, reset)."""
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(  # noqa: S310 (our own test servers)
            url, body, headers={"X-Forwarded-For": self.ip, "X-Forwarded-Proto": "http", **(headers or {})}
        )
        try:
            with self.opener.open(request, timeout=20) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            try:
                return error.code, error.read()
            except (OSError, http.client.HTTPException):
                return 0, b""
        except (OSError, http.client.HTTPException):  # refused, reset, or cut off mid-answer
            return 0, b""

    def form(self, base: str, path: str, data: dict, page: str | None = None):
        status, html = self.send(base + (page or path))
        found = CSRF.search(html.decode(errors="replace"))
        if status != 200 or not found:
            return status or 0, html
        return self.send(base + path, {**data, "csrf_token": found.group(1)})

    def login(self, base: str, email: str, password: str = PASSWORD):
        return self.form(base, "/tai-khoan/dang-nhap", {"email": email, "password": password})


def _start(env: dict[str, str], instance: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [
        str(GUNICORN),
        "-w",
        "2",
        "-k",
        "gthread",
        "--threads",
        "4",
        "-b",
        f"127.0.0.1:{port}",
        "wsgi:app",
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**env, "INSTANCE_PATH": str(instance)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: SIGKILL reaches the master and its workers
    )
    return process, f"http://127.0.0.1:{port}"


def _wait_up(process: subprocess.Popen, base: str) -> None:
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode()[-3000:] if process.stderr else "exited")
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1).read()  # noqa: S310
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{base} did not start")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)  # gunicorn's quick shutdown: nothing to drain here
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@pytest.fixture
def cluster(app, is_postgres, database_url, redis_url, tmp_path):  # noqa: F811 (the imported fixture)
    """Two production instances on the test database and Redis; the test process is a third writer."""
    if not is_postgres:
        pytest.skip("two app instances need a shared server database: run with PostgreSQL (DATABASE_URL)")
    secret = "two-instances-" + secrets.token_hex(24)
    # Tickets made here are signed with SECRET_KEY: the instances must use the same one.
    app.config.update(SECRET_KEY=secret, REDIS_URL=redis_url)
    app.extensions.pop("event_ticket_key", None)
    env = {
        **os.environ,
        "APP_ENV": "production",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": secret,
        "BASE_URL": "http://127.0.0.1",
        "SESSION_COOKIE_SECURE": "0",
        "PROXY_FIX_X_FOR": "1",
        "RATELIMIT_ENABLED": "1",
        "UPLOAD_DIR": app.config["UPLOAD_DIR"],  # the path every instance shares (docs/DEPLOY.md)
    }
    env.pop("RATELIMIT_STORAGE_URI", None)
    processes: list[tuple[subprocess.Popen, str]] = []
    yield lambda: _launch(processes, env, tmp_path)
    for process, _base in processes:
        _stop(process)
    app.extensions.pop("event_ticket_key", None)


def _launch(processes: list, env: dict[str, str], tmp_path: Path) -> tuple[subprocess.Popen, ...]:
    db.session.remove()  # the instances see committed rows only; free our connection
    for n in (1, 2):
        processes.append(_start(env, tmp_path / f"instance{n}"))
    for process, base in processes:
        _wait_up(process, base)
    return tuple(processes)


FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô")
GIVEN = ("An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Khoa", "Lan", "Minh", "Nga", "Phúc", "Quân")


def _name(i: int) -> str:
    """A different real-looking name for each i < 144 (names may hold letters and spaces only)."""
    return f"{FAMILY[i % len(FAMILY)]} Thị {GIVEN[i // len(FAMILY) % len(GIVEN)]}"


def _gate(make_user, n_tickets: int) -> tuple[str, str, int, list[str]]:
    organiser = make_user("btc@example.vn", roles=("organiser",), name="Trần Thị Thu Hà")
    event = events.create_event(organiser, event_data())
    device, token = events.create_device_token(organiser, event, "Điện thoại cổng A")
    codes = []
    for i in range(n_tickets):
        data = {"full_name": _name(i), "category": "Khách tham quan"}
        codes.append(registration.add_registration(event, data, source="organiser").active_ticket.code)
    db.session.commit()
    return event.slug, token, device.id, codes


def _scan(client: Client, base: str, slug: str, token: str, code: str, scan_id: str, gate: str = "Cổng A"):
    body = json.dumps({"code": code, "scan_id": scan_id, "gate": gate}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    status, answer = client.send(f"{base}/api/v1/events/{slug}/checkins", headers=headers, body=body)
    return status, (json.loads(answer) if status == 200 else None)


def test_two_instances_share_sessions_throttling_limits_and_checkins(cluster, make_user):
    slug, token, device_id, codes = _gate(make_user, 2)
    make_user("thisinh@example.vn", name="Huỳnh Văn Nam")
    make_user("quen.mat.khau@example.vn", name="Lê Thị Thu")
    (_pa, one), (_pb, two) = cluster()

    # A session made on one instance is valid on the other (and signing out on it ends it for both).
    person_ = Client("198.51.100.7")
    assert person_.login(one, "thisinh@example.vn")[0] == 302
    status, html = person_.send(two + "/tai-khoan/ho-so")
    assert status == 200 and "Huỳnh Văn Nam" in html.decode()
    assert person_.form(two, "/tai-khoan/dang-xuat", {}, page="/tai-khoan/ho-so")[0] == 302
    assert person_.send(one + "/tai-khoan/ho-so")[0] == 302  # back to the sign-in page

    # Login throttling: 4 wrong passwords on one instance and the 5th on the other lock the account.
    thief = Client("203.0.113.9")
    for _ in range(4):
        assert thief.login(one, "quen.mat.khau@example.vn", "sai-mat-khau")[0] == 401
    assert thief.login(two, "quen.mat.khau@example.vn", "sai-mat-khau")[0] == 401
    status, html = Client("198.51.100.8").login(one, "quen.mat.khau@example.vn")
    assert status != 302 and "Đăng nhập sai quá nhiều lần" in html.decode(), status

    # A rate limit (10 requests an hour from one address) counts requests to both instances.
    asker = Client("203.0.113.50")
    forgot = "/tai-khoan/quen-mat-khau"
    for base in [one] * 9 + [two]:
        assert asker.form(base, forgot, {"email": "ai.do@example.vn"})[0] == 200
    status, _html = asker.form(two, forgot, {"email": "ai.do@example.vn"})
    assert status == 429, f"the 11th request, the 2nd on this instance, got {status}"
    assert Client("203.0.113.51").form(two, forgot, {"email": "ai.do@example.vn"})[0] == 200

    # A check-in on one instance is "already checked in" on the other.
    gate = Client("192.0.2.1")
    assert _scan(gate, one, slug, token, codes[0], "s-1")[1]["result"] == "ok"
    assert _scan(gate, two, slug, token, codes[0], "s-2", "Cổng B")[1]["result"] == "already_checked_in"
    assert _scan(gate, two, slug, token, codes[0], "s-1")[1]["result"] == "ok"  # a replay: same answer

    # A device revoked through one instance is refused by the other at once (both had it cached).
    assert _scan(gate, two, slug, token, codes[1], "s-3")[1]["result"] == "ok"
    organiser = Client("198.51.100.20")
    assert organiser.login(one, "btc@example.vn")[0] == 302
    revoke = f"/su-kien/quan-ly/{slug}/thiet-bi/{device_id}/thu-hoi"
    assert organiser.form(one, revoke, {}, page=f"/su-kien/quan-ly/{slug}")[0] in (302, 303)
    for base in (two, one):
        assert _scan(gate, base, slug, token, codes[1], "s-4")[0] == 401

    db.session.expire_all()
    assert db.session.scalar(select(DeviceToken.revoked_at).where(DeviceToken.id == device_id)) is not None
    assert (
        db.session.scalar(select(func.count()).select_from(Checkin).where(Checkin.undone_at.is_(None))) == 2
    )


# --- one instance dies under load -------------------------------------------------------------------


def _drafts(make_user, n: int) -> list[tuple[str, int]]:
    organiser = make_user("bantochuc@example.vn", roles=("organiser",), name="Trần Thị Thu Hà")
    today = date.today()
    contest = contests.create_contest(
        organiser,
        contests.ContestData(
            name="Cuộc thi ý tưởng hai máy chủ",
            slug="hai-may-chu",
            year=today.year,
            code_prefix="HM",
            opens_local=datetime.combine(today - timedelta(days=10), datetime.min.time()),
            closes_local=datetime.combine(today + timedelta(days=30), datetime.min.time()),
            fields=["Nông nghiệp", "Khác"],
            tracks=[("Bảng Ý tưởng", None)],
            slots=[contests.SlotSpec("thuyet-minh", "Bản thuyết minh", ["pdf"], 1, True)],
            form_fields={"problem": "required"},
            min_age=18,
            max_age=35,
            team_min=1,
            team_max=3,
            max_entries_per_person=2,
        ),
    )
    people = []
    for i in range(n):
        leader = make_user(f"thisinh{i}@example.vn", name=_name(i))
        entry = entries.start_entry(
            leader,
            contest,
            title=f"Máy sấy nông sản {i}",
            track_id=contest.tracks[0].id,
            leader=person(leader.full_name, date(2000, 5, 17)),
            consents=dict(ALL_CONSENTS),
        )
        entries.save_entry(leader, entry, _entry_data(contest, i, 0), uploads={"thuyet-minh": upload(PDF)})
        people.append((leader.email, entry.id))
    db.session.commit()
    return people


def _entry_data(contest, i: int, save: int) -> entries.EntryData:
    return entries.EntryData(
        title=f"Máy sấy nông sản {i}",
        track_id=contest.tracks[0].id,
        field="Nông nghiệp",
        summary=_summary(i, save),
        answers={"problem": "Nông sản bị hư hỏng sau thu hoạch."},
        declared_original=True,
    )


def _summary(i: int, save: int) -> str:
    return f"Sấy khô nông sản bằng năng lượng mặt trời – hồ sơ {i}, bản lưu {save}."


@dataclass
class Outcome:
    """What one client was told, attempt by attempt: (instance index, status, note)."""

    attempts: list[tuple[int, int, str]] = field(default_factory=list)


def test_killing_one_instance_under_load_loses_no_accepted_checkin_or_submission(cluster, make_user):
    slug, token, _device_id, codes = _gate(make_user, N_TICKETS)
    people = _drafts(make_user, N_APPLICANTS)
    (victim, one), (_survivor, two) = cluster()
    bases = [one, two]
    applicants = []
    for n, (email, entry_id) in enumerate(people):
        client = Client(f"10.0.{n // 200}.{n % 200 + 1}")
        assert client.login(bases[n % 2], email)[0] == 302, email
        applicants.append((client, entry_id, n))

    done = {"requests": 0}
    lock = threading.Lock()
    killed = threading.Event()

    def tick() -> None:
        with lock:
            done["requests"] += 1
            if done["requests"] == N_TICKETS // 3 and not killed.is_set():
                os.killpg(victim.pid, signal.SIGKILL)  # the whole instance, mid-stream
                killed.set()

    def checkin(i: int, code: str) -> tuple[str, Outcome]:
        """A scanner: on no answer or a 5xx it sends the same scan again to the other instance."""
        outcome, scan_id, first = Outcome(), uuid.uuid4().hex, i % 2
        for attempt in range(4):
            where = (first + attempt) % 2
            status, answer = _scan(Client("192.0.2.10"), bases[where], slug, token, code, scan_id)
            tick()
            outcome.attempts.append((where, status, answer["result"] if answer else ""))
            if status == 200:
                break
        return code, outcome

    def applicant(client: Client, entry_id: int, n: int) -> tuple[int, Outcome, Outcome]:
        saves, submit = Outcome(), Outcome()
        for save in range(1, SAVES + 1):
            where = (n + save) % 2
            data = {
                "title": f"Máy sấy nông sản {n}",
                "track_id": str(track_id),
                "field": "Nông nghiệp",
                "summary": _summary(n, save),
                "answer_problem": "Nông sản bị hư hỏng sau thu hoạch.",
                "declared_original": "y",
                "next": "save",
            }
            status, _body = client.form(bases[where], f"/bai-du-thi/{entry_id}/sua", data)
            tick()
            saves.attempts.append((where, status, str(save)))
        for attempt in range(4):
            where = (n + attempt) % 2
            status, _body = client.form(bases[where], f"/bai-du-thi/{entry_id}/nop", {})
            tick()
            submit.attempts.append((where, status, ""))
            if status == 302:
                break
        return entry_id, saves, submit

    track_id = db.session.scalar(select(Entry.track_id).where(Entry.id == people[0][1]))
    db.session.remove()
    with ThreadPoolExecutor(max_workers=8) as pool:
        scans = [pool.submit(checkin, i, code) for i, code in enumerate(codes)]
        forms = [pool.submit(applicant, *a) for a in applicants]
        scanned = [f.result() for f in scans]
        filled = [f.result() for f in forms]

    assert killed.is_set() and victim.poll() is not None, "the first instance was never killed"
    failures = [a for _c, o in scanned for a in o.attempts if a[1] == 0]
    assert failures, "no request met the dead instance: the kill came too late to prove anything"
    server_errors = [a for _c, o in scanned for a in o.attempts if a[1] >= 500]
    assert not server_errors, server_errors[:5]

    db.session.expire_all()
    event_id = db.session.scalar(select(Event.id).where(Event.slug == slug))
    active = db.session.execute(
        select(Checkin.ticket_id, func.count())
        .where(Checkin.event_id == event_id, Checkin.undone_at.is_(None))
        .group_by(Checkin.ticket_id)
    ).all()
    assert all(n == 1 for _t, n in active), "a ticket was checked in twice"
    # Every scan was finally answered (by the survivor at worst) and every "ok" is in the database.
    for code, outcome in scanned:
        final = outcome.attempts[-1]
        assert final[1] == 200 and final[2] == "ok", (code, outcome.attempts)
    assert len(active) == N_TICKETS

    for entry_id, saves, submit in filled:
        entry = db.session.get_one(Entry, entry_id)
        assert submit.attempts[-1][1] == 302, (entry_id, submit.attempts)
        assert entry.status == EntryStatus.SUBMITTED and entry.code, entry_id
        accepted = [int(note) for _w, status, note in saves.attempts if status == 302]
        # The last save answered 302 is stored, unless a later one reached the database before its
        # instance died without answering (then that later one is).
        last = max(accepted, default=0)
        stored = int(entry.summary.rsplit("bản lưu ", 1)[1].rstrip("."))
        assert stored >= last, (entry_id, stored, saves.attempts)
        assert len(entry.files) == 1
    codes_given = db.session.scalars(select(Entry.code).where(Entry.status == EntryStatus.SUBMITTED)).all()
    assert len(codes_given) == len(set(codes_given)) == N_APPLICANTS
