"""Short-lived copies of database answers that every app instance shares.

With `REDIS_URL` set the copies live in Redis, so two instances behind one address answer alike (a
wall display polling both never sees a count go backwards, a revoked scanner is refused by every
instance at once). Without it they live in this process's memory: the embedded one-process setup.

Only copies: the database stays the truth, every entry has a time to live of a few seconds, and a
Redis that stops answering is a cache miss (the caller reads the database), never an error page.
Values are JSON; `remember` hands every caller the same decoded value, hit or miss.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import redis
from flask import current_app

_EXTENSION = "shared_cache"
PREFIX = "kndmst:cache:"
MAX_MEMORY_ENTRIES = 5000  # a long-running worker's memory stays flat whatever it was asked
log = logging.getLogger(__name__)


class Store(Protocol):
    def get(self, key: str) -> str | None: ...

    def add(self, key: str, value: str, seconds: float) -> bool: ...

    def put(self, key: str, value: str, seconds: float) -> None: ...

    def delete(self, key: str) -> None: ...


class MemoryStore:
    """This process's memory, thread-safe, expiring by the monotonic clock."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str, now: float) -> str | None:
        hit = self._items.get(key)
        return hit[1] if hit is not None and hit[0] > now else None

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._live(key, time.monotonic())

    def add(self, key: str, value: str, seconds: float) -> bool:
        now = time.monotonic()
        with self._lock:
            if self._live(key, now) is not None:
                return False
            self._store(key, value, now + seconds)
            return True

    def put(self, key: str, value: str, seconds: float) -> None:
        with self._lock:
            self._store(key, value, time.monotonic() + seconds)

    def delete(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)

    def _store(self, key: str, value: str, expires: float) -> None:
        if len(self._items) >= MAX_MEMORY_ENTRIES:
            self._items.clear()
        self._items[key] = (expires, value)


class RedisStore:
    """One Redis for every instance. A failing Redis is logged and read as a miss."""

    def __init__(self, url: str) -> None:
        # Short timeouts: a cache that hangs would hold up the scan it was meant to speed up.
        self.client = redis.Redis.from_url(
            url, socket_timeout=0.5, socket_connect_timeout=0.5, health_check_interval=30
        )

    def get(self, key: str) -> str | None:
        try:
            value = self.client.get(PREFIX + key)
        except redis.RedisError as error:
            log.warning("shared cache: Redis unavailable (%s); reading the database", error)
            return None
        return value.decode() if isinstance(value, bytes) else value

    def add(self, key: str, value: str, seconds: float) -> bool:
        try:
            return bool(self.client.set(PREFIX + key, value, px=_ms(seconds), nx=True))
        except redis.RedisError as error:
            log.warning("shared cache: Redis unavailable (%s)", error)
            return False

    def put(self, key: str, value: str, seconds: float) -> None:
        try:
            self.client.set(PREFIX + key, value, px=_ms(seconds))
        except redis.RedisError as error:
            log.warning("shared cache: Redis unavailable (%s); entry %s not written", error, key)

    def delete(self, key: str) -> None:
        try:
            self.client.delete(PREFIX + key)
        except redis.RedisError as error:
            log.warning("shared cache: Redis unavailable (%s); entry %s not deleted", error, key)


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


def store() -> Store:
    """This app's store: Redis when REDIS_URL is set, else memory (created on first use)."""
    found: Store | None = current_app.extensions.get(_EXTENSION)
    if found is None:
        url = current_app.config.get("REDIS_URL") or ""
        found = current_app.extensions.setdefault(_EXTENSION, RedisStore(url) if url else MemoryStore())
    return found


def backend_name() -> str:
    return "redis" if isinstance(store(), RedisStore) else "memory"


def get(key: str) -> Any | None:
    """The value stored under `key`, decoded; None when absent, expired or unreadable."""
    raw = store().get(key)
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def put(key: str, value: Any, seconds: float) -> None:
    """Store `value` for `seconds`, replacing whatever was there."""
    store().put(key, json.dumps(value), seconds)


def add(key: str, value: Any, seconds: float) -> bool:
    """Store `value` for `seconds` unless the key holds something; True when it was stored."""
    return store().add(key, json.dumps(value), seconds)


def delete(key: str) -> None:
    store().delete(key)


def remember(key: str, seconds: float, compute: Callable[[], Any]) -> Any:
    """The value under `key`, or `compute()` stored for `seconds`.

    Written only if still absent (`add`): when two instances compute at once, both answer with the
    first one's value, so clients moving between instances never step back to an older reading.
    `seconds <= 0` turns the cache off (the tests read their writes at once)."""
    if seconds <= 0:
        return compute()
    hit = get(key)
    if hit is not None:
        return hit
    value = compute()
    if value is None:  # "not found" is not kept: ids from the address bar must not fill the cache
        return None
    encoded = json.dumps(value)
    if store().add(key, encoded, seconds):
        return json.loads(encoded)
    winner = get(key)
    return winner if winner is not None else json.loads(encoded)
