"""Nothing the scanner or the live final needs lives in one process only (issue 16): the shared cache
(app/shared_cache.py) on Redis and in memory, the settings that pick Redis for rate limits, and two
apps on one database and one Redis answering alike (a revoked scanner refused by both at once, the
same counts, the same live version). A Redis that stops answering is a cache miss, never a 500.

Redis: $REDIS_URL (scripts/with-redis.sh), else a throwaway redis-server started here; skipped with
the reason when neither exists. The two-gunicorn proof is tests/test_two_instances.py."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import redis

import config
from app import shared_cache
from app.accounts.models import User
from app.events import checkin, services
from app.events.models import DeviceToken, Event
from app.events.registration import add_registration
from app.events.stats import event_stats
from app.extensions import db
from app.live import services as live
from app.live import state
from app.live.models import LiveStage
from app.tokens import hash_token
from tests.conftest import build_app
from tests.factories import event_data
from tests.live.conftest import make_live_world

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """The run's Redis: $REDIS_URL, or a throwaway redis-server on a free port (stopped afterwards)."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("Redis is needed: install Debian's redis-server or run under scripts/with-redis.sh")
    folder, port = tmp_path_factory.mktemp("redis"), free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def clean_redis(redis_url):
    """Our keys only (the cache's and the rate limiter's), so a shared development Redis is safe."""
    client = redis.Redis.from_url(redis_url)
    for pattern in (shared_cache.PREFIX + "*", "LIMITS:kndmst*"):
        for key in client.scan_iter(pattern):
            client.delete(key)
    return redis_url


@pytest.fixture
def second_app(app, database_url, tmp_path):
    """Another instance of the app on the same database (built before the test writes any row)."""
    other = build_app(database_url, tmp_path / "other")
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def on(app, func, *args, **kwargs):
    """Run `func` in a request-free context of `app`, as one request of that instance would."""
    with app.app_context():
        try:
            return func(*args, **kwargs)
        finally:
            db.session.remove()


def until(condition, seconds: float = 5.0) -> bool:
    """Poll `condition` until true or the deadline (waiting for an expiry, not timing it)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


# --- settings ---------------------------------------------------------------------------------------


def test_rate_limits_count_in_redis_when_redis_is_configured(monkeypatch):
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert config.Config().RATELIMIT_STORAGE_URI == "memory://"
    monkeypatch.setenv("REDIS_URL", "redis://10.0.0.5:6379/0")
    settings = config.Config()
    assert settings.RATELIMIT_STORAGE_URI == "redis://10.0.0.5:6379/0" == settings.REDIS_URL
    assert settings.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED is True
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memcached://10.0.0.6:11211")
    assert config.Config().RATELIMIT_STORAGE_URI == "memcached://10.0.0.6:11211"
    # The tests never share state through a Redis that happens to be in the environment.
    testing = config.TestingConfig()
    assert testing.REDIS_URL == "" and testing.RATELIMIT_STORAGE_URI == "memory://"


# --- the stores ---------------------------------------------------------------------------------------


@pytest.fixture(params=["memory", "redis"])
def store(request):
    if request.param == "memory":
        return shared_cache.MemoryStore()
    return shared_cache.RedisStore(request.getfixturevalue("clean_redis"))


def test_a_store_adds_only_where_nothing_lives_and_forgets_on_time(store):
    assert store.get("k") is None
    assert store.add("k", "first", 30) is True
    assert store.add("k", "second", 30) is False and store.get("k") == "first"
    store.put("k", "third", 30)
    assert store.get("k") == "third"
    store.delete("k")
    assert store.get("k") is None and store.add("k", "fourth", 0.2) is True
    assert until(lambda: store.get("k") is None), "an entry outlived its time to live"
    assert store.add("k", "fifth", 30) is True


def test_remember_gives_every_instance_the_first_value(app, second_app, clean_redis):
    app.config["REDIS_URL"] = second_app.config["REDIS_URL"] = clean_redis
    assert on(app, shared_cache.remember, "answer", 30, lambda: {"count": 1}) == {"count": 1}
    # The other instance would have counted 2 by now: it answers what the first one stored.
    assert on(second_app, shared_cache.remember, "answer", 30, lambda: {"count": 2}) == {"count": 1}
    assert on(second_app, shared_cache.backend_name) == "redis"
    # Nothing is stored for "not found" (ids typed in the address bar must not fill the cache).
    assert on(app, shared_cache.remember, "missing", 30, lambda: None) is None
    assert on(app, shared_cache.get, "missing") is None
    assert (
        on(app, shared_cache.remember, "off", 0, lambda: 3) == 3 and on(app, shared_cache.get, "off") is None
    )


# --- scanner devices ----------------------------------------------------------------------------------


def _gate(make_user) -> tuple[Event, str, str]:
    organiser = make_user("btc@example.vn", roles=("organiser",), name="Trần Thị Thu Hà")
    event = services.create_event(organiser, event_data())
    _row, token = services.create_device_token(organiser, event, "Điện thoại cổng A")
    attendee = add_registration(
        event,
        {"full_name": "Phạm Thị Mai", "phone": "0905111222", "category": "Khách tham quan"},
        source="organiser",
    )
    db.session.commit()
    return event, token, attendee.active_ticket.code


def _revoke(slug: str, token: str) -> None:
    organiser = db.session.scalar(db.select(User).where(User.email == "btc@example.vn"))
    event = db.session.scalar(db.select(Event).where(Event.slug == slug))
    device = db.session.scalar(db.select(DeviceToken).where(DeviceToken.token_hash == hash_token(token)))
    services.revoke_device_token(organiser, event, device.id)


def test_a_revoked_device_is_refused_by_every_instance_at_once(app, second_app, make_user, clean_redis):
    for each in (app, second_app):
        each.config.update(REDIS_URL=clean_redis, EVENT_DEVICE_CACHE_SECONDS=60)
    event, token, code = _gate(make_user)
    slug = event.slug
    db.session.remove()
    # Both instances have accepted the device (its row is now in the shared cache for a minute).
    assert on(second_app, checkin.scope_for_device, slug, token).event_slug == slug
    scope = on(app, checkin.scope_for_device, slug, token)
    assert on(app, checkin.record_checkin, scope, code, gate="Cổng A")["result"] == "ok"

    on(app, _revoke, slug, token)  # revoked through the first instance

    for each in (app, second_app):
        with pytest.raises(checkin.NotAuthenticated):
            on(each, checkin.scope_for_device, slug, token)
    # A scan that read the row just before the revocation committed cannot put it back.
    key = f"events:device:{hash_token(token)}"
    assert on(second_app, shared_cache.add, key, ["stale row"], 60) is False
    with pytest.raises(checkin.NotAuthenticated):
        on(second_app, checkin.scope_for_device, slug, token)


def test_without_redis_another_process_stops_accepting_within_the_ttl(app, second_app, make_user):
    """The one-process setup's bound, documented in docs/ARCHITECTURE.md: a second process without
    Redis keeps its copy of a revoked device for EVENT_DEVICE_CACHE_SECONDS, never longer."""
    for each in (app, second_app):
        each.config.update(REDIS_URL="", EVENT_DEVICE_CACHE_SECONDS=0.5)
    event, token, _code = _gate(make_user)
    slug = event.slug
    db.session.remove()
    on(second_app, checkin.scope_for_device, slug, token)
    on(app, _revoke, slug, token)
    with pytest.raises(checkin.NotAuthenticated):
        on(app, checkin.scope_for_device, slug, token)  # the revoking process forgets at once

    def refused() -> bool:
        try:
            on(second_app, checkin.scope_for_device, slug, token)
        except checkin.NotAuthenticated:
            return True
        return False

    assert until(refused, 5), "the other process kept a revoked device past its time to live"


# --- counts and the live final ------------------------------------------------------------------------


def test_every_instance_shows_the_same_counts(app, second_app, make_user, clean_redis):
    for each in (app, second_app):
        each.config.update(REDIS_URL=clean_redis, STATS_CACHE_SECONDS=60)
    event, token, code = _gate(make_user)
    event_id, slug = event.id, event.slug
    db.session.remove()
    first = on(app, event_stats, event_id)
    assert first["registered"] == 1 and first["checked_in"] == 0
    scope = on(second_app, checkin.scope_for_device, slug, token)
    assert on(second_app, checkin.record_checkin, scope, code, gate="Cổng B")["result"] == "ok"
    # Counted once for both: the second instance shows the same figures, to the second.
    assert on(second_app, event_stats, event_id) == first
    for each in (app, second_app):
        each.config["STATS_CACHE_SECONDS"] = 0
    assert on(second_app, event_stats, event_id)["checked_in"] == 1


def test_every_instance_answers_the_same_live_version(app, second_app, make_user, clean_redis):
    for each in (app, second_app):
        each.config.update(REDIS_URL=clean_redis, LIVE_VERSION_CACHE_SECONDS=0.5)
    world = make_live_world(make_user)
    stage_id, key = world.stage.id, world.stage.public_key
    organiser_id = world.organiser.id
    db.session.remove()
    before = on(app, state.cached_version, f"key:{key}")
    assert before is not None and before[0] == stage_id

    def start() -> int:
        stage = db.session.get_one(LiveStage, stage_id)
        live.start(db.session.get_one(User, organiser_id), stage)
        return stage.version

    started = on(app, start)
    assert started > before[1]
    # Until the shared copy expires both instances answer the version they answered before: a phone
    # moving between them never sees the stage go back and forth.
    seen = [on(second_app, state.cached_version, f"key:{key}"), on(app, state.cached_version, f"key:{key}")]
    assert seen[0] == seen[1] or seen[1] == (stage_id, started)
    assert until(lambda: on(second_app, state.cached_version, f"key:{key}") == (stage_id, started))
    assert on(app, state.cached_version, f"key:{key}") == (stage_id, started)
    assert on(app, state.cached_version, "key:" + "x" * 43) is None


# --- Redis down ---------------------------------------------------------------------------------------


def test_a_redis_that_does_not_answer_is_a_cache_miss(app, make_user):
    app.config.update(
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", STATS_CACHE_SECONDS=60, EVENT_DEVICE_CACHE_SECONDS=60
    )
    event, token, code = _gate(make_user)
    scope = checkin.scope_for_device(event.slug, token)
    assert checkin.record_checkin(scope, code, gate="Cổng A")["result"] == "ok"
    assert event_stats(event.id)["checked_in"] == 1
    _revoke(event.slug, token)  # the tombstone cannot be written: the revocation still stands
    with pytest.raises(checkin.NotAuthenticated):
        checkin.scope_for_device(event.slug, token)


LIMITED_WITHOUT_REDIS = textwrap.dedent(
    """
    import re
    from app import create_app
    from app.extensions import db
    app = create_app()
    with app.app_context():
        db.create_all()
    client = app.test_client()
    statuses = []
    for _ in range(3):
        page = client.get("/tai-khoan/quen-mat-khau").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        answer = client.post(
            "/tai-khoan/quen-mat-khau", data={"email": "ai.do@example.vn", "csrf_token": token}
        )
        statuses.append(answer.status_code)
    print(statuses)
    """
)


def test_rate_limits_fall_back_to_memory_when_redis_is_down(tmp_path):
    """In its own process: the rate limiter is one object per process, bound to its last app."""
    env = {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": "k" * 40,
        "BASE_URL": "http://127.0.0.1",
        "SESSION_COOKIE_SECURE": "0",
        "INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "RATELIMIT_ENABLED": "1",
    }
    env.pop("RATELIMIT_STORAGE_URI", None)
    done = subprocess.run(
        [sys.executable, "-c", LIMITED_WITHOUT_REDIS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[200, 200, 200]", done.stdout + done.stderr[-2000:]
