"""Requests and server errors counted per minute where every app server sees them.

With `REDIS_URL` set (production, several servers) each request adds to a per-minute key in Redis at
once (INCRBY, a TTL of METRICS_KEEP_HOURS); without it (the single-process setup) the counts go to
the `metrics_minutes` table, written in batches: every process keeps its counts in memory and adds
them with one upsert at the start of a request at most every METRICS_FLUSH_SECONDS (never at the
end of a request, whose own transaction may still hold SQLite's write lock), and before the page
reads them. A process that dies keeps its last unwritten seconds; metrics are best effort and never
fail a request: a store that does not answer is retried 30 s later and logged once a minute.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Protocol

from flask import Flask, current_app
from redis import Redis, RedisError
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.localtime import utcnow
from app.observability.models import MetricMinute

REQUESTS, ERRORS = "requests", "errors"
NAMES = (REQUESTS, ERRORS)
RETRY_SECONDS = 30.0
WARN_SECONDS = 60.0
PURGE_SECONDS = 600.0

Key = tuple[datetime, str]  # (UTC minute, counter name)


def minute_of(moment: datetime) -> datetime:
    """The UTC minute a moment falls in (seconds dropped)."""
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def minutes_between(since: datetime, until: datetime) -> list[datetime]:
    """Every UTC minute from `since`'s to `until`'s, both included, oldest first."""
    first, last = minute_of(since), minute_of(until)
    count = int((last - first).total_seconds() // 60) + 1
    return [first + timedelta(minutes=i) for i in range(max(count, 0))]


class Store(Protocol):
    name: str  # "redis" or "database", for the page
    immediate: bool  # written at the end of every request (cheap) rather than in batches

    def add(self, counts: Mapping[Key, int]) -> None: ...

    def read(self, names: Iterable[str], minutes: list[datetime]) -> dict[Key, int]: ...


class RedisStore:
    """One key per counter and minute, `kndmst:metrics:<name>:<YYYYmmddHHMM>`, expiring on its own."""

    name = "redis"
    immediate = True

    def __init__(self, url: str, keep_seconds: int) -> None:
        # Short timeouts: a Redis that does not answer must not hold a visitor's request.
        self.client = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.keep_seconds = keep_seconds

    @staticmethod
    def key(name: str, minute: datetime) -> str:
        return f"kndmst:metrics:{name}:{minute:%Y%m%d%H%M}"

    def add(self, counts: Mapping[Key, int]) -> None:
        pipe = self.client.pipeline(transaction=False)
        for (minute, name), count in counts.items():
            key = self.key(name, minute)
            pipe.incrby(key, count)
            pipe.expire(key, self.keep_seconds)
        pipe.execute()

    def read(self, names: Iterable[str], minutes: list[datetime]) -> dict[Key, int]:
        keys = [(minute, name) for name in names for minute in minutes]
        if not keys:
            return {}
        values = self.client.mget([self.key(name, minute) for minute, name in keys])
        return {key: int(value) for key, value in zip(keys, values, strict=True) if value is not None}


class DatabaseStore:
    """The `metrics_minutes` table: one upsert adds a batch; old minutes are deleted now and then."""

    name = "database"
    immediate = False

    def __init__(self, keep_seconds: int) -> None:
        self.keep_seconds = keep_seconds
        self.purged_at = 0.0

    def add(self, counts: Mapping[Key, int]) -> None:
        insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
        stmt = insert(MetricMinute)
        stmt = stmt.on_conflict_do_update(
            index_elements=["minute", "counter"], set_={"count": MetricMinute.count + stmt.excluded.count}
        )
        rows = [
            {"minute": minute, "counter": name, "count": count} for (minute, name), count in counts.items()
        ]
        # A connection of its own: the request's session and its transaction are left alone.
        with db.engine.begin() as connection:
            connection.execute(stmt, rows)
            if time.monotonic() - self.purged_at >= PURGE_SECONDS:
                cutoff = utcnow() - timedelta(seconds=self.keep_seconds)
                connection.execute(delete(MetricMinute).where(MetricMinute.minute < cutoff))
                self.purged_at = time.monotonic()

    def read(self, names: Iterable[str], minutes: list[datetime]) -> dict[Key, int]:
        if not minutes:
            return {}
        rows = db.session.execute(
            select(MetricMinute.minute, MetricMinute.counter, MetricMinute.count).where(
                MetricMinute.counter.in_(list(names)),
                MetricMinute.minute >= minutes[0],
                MetricMinute.minute <= minutes[-1],
            )
        )
        return {(minute_of(minute), name): count for minute, name, count in rows}


class Tally:
    """This process's counts not yet written to the store, and when to write them."""

    def __init__(self, store: Store, flush_seconds: float, keep_seconds: int) -> None:
        self.store = store
        self.flush_seconds = flush_seconds
        self.keep_seconds = keep_seconds
        self.pending: dict[Key, int] = {}
        self.lock = threading.Lock()
        self.flushed_at = time.monotonic()
        self.retry_at = 0.0
        self.warned_at = -WARN_SECONDS

    def count(self, name: str, moment: datetime | None = None, amount: int = 1) -> None:
        key = (minute_of(moment or utcnow()), name)
        with self.lock:
            self.pending[key] = self.pending.get(key, 0) + amount

    def due(self, *, end_of_request: bool = False) -> bool:
        """Whether to write now: Redis at the end of every request, the database in batches (at the
        start of a request), neither while a failed store waits for its retry."""
        now = time.monotonic()
        if not self.pending or now < self.retry_at:
            return False
        if self.store.immediate:
            return end_of_request
        return not end_of_request and now - self.flushed_at >= self.flush_seconds

    def flush(self) -> bool:
        """Write what is pending; on failure keep it for the next try. True when all was written."""
        with self.lock:
            batch, self.pending = self.pending, {}
        self.flushed_at = time.monotonic()
        if not batch:
            return True
        try:
            self.store.add(batch)
        except (RedisError, SQLAlchemyError, OSError) as error:
            self._keep(batch)
            self.retry_at = time.monotonic() + RETRY_SECONDS
            if time.monotonic() - self.warned_at >= WARN_SECONDS:
                self.warned_at = time.monotonic()
                current_app.logger.warning(
                    "Không ghi được số liệu theo phút (%s): %s", self.store.name, error
                )
            return False
        self.retry_at = 0.0
        return True

    def read(self, names: Iterable[str], minutes: list[datetime]) -> dict[Key, int]:
        """The stored counts (every server's) plus this process's unwritten ones."""
        wanted_names, wanted_minutes = set(names), set(minutes)
        self.flush()
        counts = self.store.read(wanted_names, minutes)
        with self.lock:
            for (minute, name), amount in self.pending.items():
                if name in wanted_names and minute in wanted_minutes:
                    counts[(minute, name)] = counts.get((minute, name), 0) + amount
        return counts

    def _keep(self, batch: Mapping[Key, int]) -> None:
        # Put a failed batch back (minutes beyond the kept window are dropped: the store is long gone).
        oldest = minute_of(utcnow() - timedelta(seconds=self.keep_seconds))
        with self.lock:
            for key, amount in batch.items():
                if key[0] >= oldest:
                    self.pending[key] = self.pending.get(key, 0) + amount


EXTENSION = "observability.tally"


def tally(app: Flask | None = None) -> Tally:
    """This app's tally in this process, made on first use (after gunicorn forks the workers)."""
    app = app or current_app
    found: Tally | None = app.extensions.get(EXTENSION)
    if found is None:
        config = app.config
        keep = int(config.get("METRICS_KEEP_HOURS", 24)) * 3600
        url = config.get("REDIS_URL") or ""
        store: Store = RedisStore(url, keep) if url else DatabaseStore(keep)
        made = Tally(store, float(config.get("METRICS_FLUSH_SECONDS", 10)), keep)
        found = app.extensions.setdefault(EXTENSION, made)
    return found
