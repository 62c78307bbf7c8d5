"""Two app instances behind one address (issue 12): a change made through one instance reaches the
clients of the other within 2 seconds, because the stage and its version live in PostgreSQL, not in
a process's memory. Two real gunicorn processes on two ports share the test database."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from app.accounts.models import User
from app.extensions import db
from app.judging.models import Round
from app.live import services as live
from app.live.models import PITCH
from tests.live.conftest import make_live_world

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PROPAGATION_SECONDS = 2.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """A cookie-keeping HTTP client for one instance (no redirects followed for POSTs' answers)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
        request = urllib.request.Request(self.base + path, headers=headers or {})  # noqa: S310
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def post(
        self, path: str, data: dict[str, str], headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.base + path, body, headers=headers or {})  # noqa: S310
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def csrf(self, path: str = "/") -> str:
        _status, _headers, html = self.get(path)
        found = CSRF.search(html.decode())
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def login(self, email: str, password: str = "GaoLua2024") -> None:
        token = self.csrf("/tai-khoan/dang-nhap")
        status, body = self.post(
            "/tai-khoan/dang-nhap", {"email": email, "password": password, "csrf_token": token}
        )
        # Signed in: redirected away from the sign-in form (urllib follows the 302).
        assert status == 200 and b'name="password"' not in body, f"login as {email} failed on {self.base}"


def _start(database_url: str, instance: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {
        **os.environ,
        "APP_ENV": "production",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "two-instances-" + secrets.token_hex(16),
        "BASE_URL": "http://127.0.0.1",
        "INSTANCE_PATH": str(instance),
        "SESSION_COOKIE_SECURE": "0",
        "RATELIMIT_ENABLED": "0",
    }
    process = subprocess.Popen(
        [str(GUNICORN), "-w", "1", "-k", "gthread", "--threads", "4", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    return process, f"http://127.0.0.1:{port}"


def _wait_up(process: subprocess.Popen, base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode()[-2000:] if process.stderr else "exited")
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1).read()  # noqa: S310
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{base} did not start")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def _until_changed(client: Browser, path: str, tag: str) -> tuple[float, dict, str]:
    """Poll like a phone (If-None-Match, every 100 ms) until a new state arrives; seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < PROPAGATION_SECONDS + 3:
        status, headers, body = client.get(path, {"If-None-Match": tag})
        assert status in (200, 304), (status, body[:300])
        if status == 200:
            return time.monotonic() - started, json.loads(body), headers.get("ETag", "")
        time.sleep(0.1)
    raise AssertionError(f"no new state on {client.base}{path} after {PROPAGATION_SECONDS + 3} s")


def test_a_change_on_one_instance_reaches_the_other_within_two_seconds(
    app, make_user, is_postgres, database_url, tmp_path
):
    if not is_postgres:
        pytest.skip("two app instances need a shared server database: run with PostgreSQL (DATABASE_URL)")
    world = make_live_world(make_user)
    key, round_id = world.stage.public_key, world.round.id
    judge_email, organiser_email, organiser_id = (
        world.judges[0].email,
        world.organiser.email,
        world.organiser.id,
    )
    db.session.remove()  # the servers see committed data only; free our connection
    processes = []
    try:
        for n in (1, 2):
            processes.append(_start(database_url, tmp_path / f"instance{n}"))
        for process, base in processes:
            _wait_up(process, base)
        one, two = Browser(processes[0][1]), Browser(processes[1][1])
        phone = f"/man-hinh/{key}/trang-thai"
        judge_path = f"/truc-tiep/vong/{round_id}/giam-khao/trang-thai"

        # Instance 2's clients hold the current state and get 304 while nothing changes.
        status, headers, body = two.get(phone)
        assert status == 200
        before, tag = json.loads(body), headers["ETag"]
        assert before["phase"] == "ready" and before["current"] is None
        assert two.get(phone, {"If-None-Match": tag})[0] == 304
        two_judge = Browser(two.base)
        two_judge.login(judge_email)
        status, headers, body = two_judge.get(judge_path)
        assert status == 200, body[:300]
        judge_tag = headers["ETag"]
        assert json.loads(body)["sheet"] is None
        assert two_judge.get(judge_path, {"If-None-Match": judge_tag})[0] == 304

        # The organiser starts team 1 through instance 1's console (a real HTTP command).
        one.login(organiser_email)
        status, answer = one.post(
            f"/truc-tiep/vong/{round_id}/lenh",
            {"action": "start", "csrf_token": one.csrf()},
            {"Accept": "application/json"},
        )
        assert status == 200, answer[:300]
        first = json.loads(answer)["current"]["entry_id"]

        took, after, tag = _until_changed(two, phone, tag)
        assert took < PROPAGATION_SECONDS, f"instance 2's phones saw the start after {took:.2f} s"
        assert after["version"] > before["version"] and after["phase"] == PITCH
        assert after["current"]["entry_id"] == first

        took, judged, judge_tag = _until_changed(two_judge, judge_path, judge_tag)
        assert took < PROPAGATION_SECONDS, f"instance 2's judge saw the start after {took:.2f} s"
        assert judged["sheet"]["entry_id"] == first and judged["phase"] == PITCH

        # A third writer (this process, as a third instance would) pauses: both instances follow.
        stage = live.stage_of(db.session.get_one(Round, round_id))
        live.pause(db.session.get_one(User, organiser_id), stage)
        paused_version = stage.version
        db.session.remove()
        for client in (one, two):
            took, seen, _tag = _until_changed(client, phone, tag)
            assert took < PROPAGATION_SECONDS and seen["version"] == paused_version
            assert seen["timer"]["paused"] is not None

        # Ugly input on instance 2: an unknown key and a judge of another round.
        assert two.get(f"/man-hinh/{'x' * 43}/trang-thai")[0] == 404
        assert two_judge.get(f"/truc-tiep/vong/{round_id + 999}/giam-khao/trang-thai")[0] == 404
    finally:
        for process, _base in processes:
            _stop(process)
