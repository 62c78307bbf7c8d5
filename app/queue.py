"""The task queue: long work and every email leave the web request and run in a worker process.

Huey (a small, well-kept task queue) with the storage the configuration says:

- `REDIS_URL` set → Redis (production; any number of app servers and workers share it);
- otherwise → an SQLite file under instance/ (`JOBS_DB`; `make run` starts one worker beside the
  web server);
- `JOBS_IMMEDIATE` (the tests) → each task runs at once, in the caller's process, with Huey's
  in-memory storage: the same task code, retries and all, minus the second process.

Every task runs in an app context of its own (its own database session), whether in the worker or
immediately: a task never shares the web request's session, so it behaves the same in both places.
Tasks are declared with `task()` below instead of `queue.task()`, which adds that context.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey
from huey.api import TaskWrapper
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

# Results are not kept in Huey: a job's state, progress and file live in the `jobs` table, where
# every app server sees them and the person who asked can be checked.
queue = Huey("kndmst", results=False, storage_class=MemoryStorage, utc=True)

_worker_app: dict[str, Flask] = {}


def init_queue(app: Flask) -> None:
    """Point the queue at the storage this app's configuration names."""
    _worker_app["app"] = app
    if app.config.get("JOBS_IMMEDIATE"):
        queue._immediate = True  # Huey's own switch; set directly so the storage below stays ours
        queue.storage = MemoryStorage(queue.name)
    elif app.config.get("REDIS_URL"):
        queue._immediate = False
        queue.storage = RedisStorage(queue.name, url=app.config["REDIS_URL"])
    else:
        path = Path(app.config["JOBS_DB"])
        path.parent.mkdir(parents=True, exist_ok=True)
        queue._immediate = False
        queue.storage = SqliteStorage(queue.name, filename=str(path))


def backend_name() -> str:
    """What the queue runs on, for the worker's first log line and the health page."""
    if queue.immediate:
        return "immediate"
    return "redis" if isinstance(queue.storage, RedisStorage) else "sqlite"


def task(**options: Any) -> Callable[[Callable[..., Any]], TaskWrapper]:
    """`@task(retries=…, retry_delay=…, retry_backoff=…, context=…)`: a Huey task that runs in an app
    context of its own. Calling the task enqueues it; `.call_local()` runs it here and now."""

    def decorator(func: Callable[..., Any]) -> TaskWrapper:
        @functools.wraps(func)
        def in_app_context(*args: Any, **kwargs: Any) -> Any:
            app = current_app._get_current_object() if has_app_context() else _worker_app["app"]  # type: ignore[attr-defined]
            with app.app_context():
                return func(*args, **kwargs)

        # Huey names the task after the function and its module (functools.wraps keeps both).
        wrapper: TaskWrapper = queue.task(**options)(in_app_context)
        return wrapper

    return decorator


def periodic(validate: Callable[..., bool]) -> Callable[[Callable[..., Any]], TaskWrapper]:
    """`@periodic(crontab(minute="*/15"))`: run by the worker on a schedule, in an app context."""

    def decorator(func: Callable[..., Any]) -> TaskWrapper:
        @functools.wraps(func)
        def in_app_context() -> Any:
            with _worker_app["app"].app_context():
                return func()

        wrapper: TaskWrapper = queue.periodic_task(validate)(in_app_context)
        return wrapper

    return decorator
