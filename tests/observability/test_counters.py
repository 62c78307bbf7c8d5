"""Requests and server errors per minute, in the database (one process or several) or in Redis
(several servers), never failing a request when the store is down."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from redis import Redis
from sqlalchemy import select

from app.extensions import db
from app.localtime import utcnow
from app.observability.counters import (
    ERRORS,
    EXTENSION,
    REQUESTS,
    DatabaseStore,
    RedisStore,
    Tally,
    minute_of,
    minutes_between,
    tally,
)
from app.observability.models import MetricMinute

FIXED = datetime(2026, 3, 14, 5, 0, 30, tzinfo=UTC)  # 12:00:30 in Quảng Ngãi
# Within the kept hours (older minutes are purged as new ones are written).
NOON = minute_of(utcnow() - timedelta(hours=1)) + timedelta(seconds=30)


def stored() -> dict[tuple[datetime, str], int]:
    return {(m.minute, m.counter): m.count for m in db.session.scalars(select(MetricMinute))}


def test_minutes_are_utc_and_whole():
    assert minute_of(FIXED) == datetime(2026, 3, 14, 5, 0, tzinfo=UTC)
    span = minutes_between(FIXED - timedelta(minutes=2), FIXED)
    assert span == [datetime(2026, 3, 14, 4, 58, tzinfo=UTC) + timedelta(minutes=i) for i in range(3)]


def test_requests_and_errors_reach_the_table(fresh_app):
    @fresh_app.get("/hong")
    def broken():
        raise RuntimeError("lỗi thử")

    client = fresh_app.test_client()
    for _ in range(3):
        client.get("/healthz")
    client.get("/hong")
    client.get("/static/css/app.css")  # not counted
    # (the requests may straddle a minute boundary: read the last two minutes)
    all_minutes = minutes_between(utcnow() - timedelta(minutes=2), utcnow())
    counts = tally(fresh_app).read((REQUESTS, ERRORS), all_minutes)
    assert sum(n for (_m, name), n in counts.items() if name == REQUESTS) == 4
    assert sum(n for (_m, name), n in counts.items() if name == ERRORS) == 1
    assert sum(n for (_m, name), n in stored().items() if name == REQUESTS) == 4  # written, not just held


def test_the_database_store_is_written_in_batches_at_the_start_of_a_request(app):
    counts = Tally(DatabaseStore(86400), flush_seconds=60, keep_seconds=86400)
    counts.count(REQUESTS, NOON)
    assert not counts.due(end_of_request=True)  # never at the end of a request
    assert not counts.due()  # not before the interval
    counts.flushed_at -= 61
    assert counts.due() and counts.flush()
    assert stored() == {(minute_of(NOON), REQUESTS): 1}


def test_two_processes_add_up_in_one_row(app):
    first = Tally(DatabaseStore(86400), 10, 86400)
    second = Tally(DatabaseStore(86400), 10, 86400)
    for _ in range(3):
        first.count(REQUESTS, NOON)
    second.count(REQUESTS, NOON, amount=2)
    second.count(ERRORS, NOON)
    assert first.flush() and second.flush()
    first.count(REQUESTS, NOON)
    first.flush()
    assert stored() == {(minute_of(NOON), REQUESTS): 6, (minute_of(NOON), ERRORS): 1}
    assert first.read([REQUESTS, ERRORS], [minute_of(NOON)]) == stored()


def test_old_minutes_are_deleted_as_new_ones_are_written(app):
    store = DatabaseStore(keep_seconds=3600)
    old = minute_of(utcnow() - timedelta(hours=2))
    store.add({(old, REQUESTS): 5})
    store.purged_at = 0.0  # the purge runs at most every 10 minutes per process
    store.add({(minute_of(utcnow()), REQUESTS): 1})
    assert list(stored().values()) == [1]


def test_a_store_that_fails_keeps_the_counts_and_the_request_goes_on(fresh_app, caplog):
    fresh_app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    fresh_app.extensions.pop(EXTENSION, None)
    client = fresh_app.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/healthz").status_code == 200
    counts = tally(fresh_app)
    assert isinstance(counts.store, RedisStore)
    assert sum(n for (_m, name), n in counts.pending.items() if name == REQUESTS) == 2
    warnings = [r for r in caplog.records if "Không ghi được số liệu" in r.getMessage()]
    assert len(warnings) == 1  # once a minute, not once a request


def test_redis_counts_are_shared_by_every_server_and_expire(app, redis_url):
    client = Redis.from_url(redis_url)
    client.flushdb()
    server_a = Tally(RedisStore(redis_url, 3600), 10, 3600)
    server_b = Tally(RedisStore(redis_url, 3600), 10, 3600)
    server_a.count(REQUESTS, NOON)
    assert server_a.due(end_of_request=True)  # Redis is written at the end of every request
    server_a.flush()
    server_b.count(REQUESTS, NOON, amount=2)
    server_b.count(ERRORS, NOON)
    server_b.flush()
    minute = minute_of(NOON)
    assert server_a.read([REQUESTS, ERRORS], [minute]) == {(minute, REQUESTS): 3, (minute, ERRORS): 1}
    assert RedisStore.key(REQUESTS, minute_of(FIXED)) == "kndmst:metrics:requests:202603140500"
    key = RedisStore.key(REQUESTS, minute)
    assert 0 < client.ttl(key) <= 3600


def test_with_redis_url_requests_are_counted_in_redis(fresh_app, redis_url):
    Redis.from_url(redis_url).flushdb()
    fresh_app.config["REDIS_URL"] = redis_url
    fresh_app.extensions.pop(EXTENSION, None)
    client = fresh_app.test_client()
    for _ in range(3):
        client.get("/healthz")
    now = utcnow()
    counts = tally(fresh_app)
    assert counts.pending == {}  # written at once
    read = counts.read([REQUESTS], minutes_between(now - timedelta(minutes=1), now))
    assert sum(read.values()) == 3
    assert stored() == {}  # nothing in the table


def test_concurrent_writers_lose_no_count(app):
    """Eight processes' batches landing at once on the same row (the upsert adds, never overwrites)."""
    flask_app = app

    def write(_n: int) -> None:
        with flask_app.app_context():
            store = DatabaseStore(86400)
            for _ in range(10):
                store.add({(minute_of(NOON), REQUESTS): 2})

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, range(8)))
    assert stored() == {(minute_of(NOON), REQUESTS): 160}
