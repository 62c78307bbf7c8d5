"""A live server that runs its long work the way production does: the web app puts each job in the
task queue (an SQLite file, `JOBS_DB`) and a real Huey consumer — started here, in the test
process, on the same queue — takes it, as `flask jobs worker` would."""

from __future__ import annotations

import signal
import threading

import pytest

from app.extensions import db
from app.queue import _worker_app, queue
from tests.conftest import LiveServer, build_app

# Above this many rows an export goes to the worker (production: 5,000).
EXPORT_JOB_ROWS = 100
SIGNALS = [s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None]


@pytest.fixture
def worker_server(database_url, tmp_path):
    """The live server plus one worker thread; afterwards the worker is stopped and joined, the signal
    handlers it installed are put back, and the queue is the test configuration's again (immediate,
    in memory) — every other test relies on that."""
    saved_queue = (queue._immediate, queue.storage, _worker_app.get("app"), queue._timeout_handler)
    saved_signals = {s: signal.getsignal(s) for s in SIGNALS}
    app = build_app(
        database_url,
        tmp_path,
        JOBS_IMMEDIATE=False,
        JOBS_DB=str(tmp_path / "queue.sqlite3"),
        JOB_DIR=str(tmp_path / "jobs"),
        EXPORT_JOB_ROWS=EXPORT_JOB_ROWS,
    )
    server = LiveServer(app).start()
    # As `flask jobs worker` (one thread, no schedule); polls an idle queue at most every half second,
    # and a task still running 30 s after the test is left behind (and reported below), not waited on.
    consumer = queue.create_consumer(
        workers=1, worker_type="thread", periodic=False, max_delay=0.5, shutdown_timeout=30
    )
    threads = [consumer.scheduler] + [thread for _, thread in consumer.worker_threads]
    try:
        consumer.start()  # installs its signal handlers: the main thread's (pytest's) only
        yield server
    finally:
        consumer.stop(graceful=True)  # lets a running task finish, then joins every thread
        for signum, handler in saved_signals.items():
            signal.signal(signum, handler)
        server.stop()
        queue.storage.close()
        queue._immediate, queue.storage, queue._timeout_handler = (
            saved_queue[0],
            saved_queue[1],
            saved_queue[3],
        )
        if saved_queue[2] is not None:
            _worker_app["app"] = saved_queue[2]
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    alive = [t.name for t in threads if t.is_alive()] + [
        t.name for t in threading.enumerate() if t.name.startswith(("Worker-", "Scheduler"))
    ]
    assert alive == [], f"worker threads still running after the test: {alive}"
