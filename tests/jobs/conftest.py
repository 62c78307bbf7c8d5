"""The queue as the worker runs it: tasks wait in storage until a worker loop takes them, retries are
scheduled by Huey's own back-off, and the loop runs a scheduled task once its time has come —
the only thing changed is the clock (the loop looks ahead instead of sleeping)."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from huey.storage import MemoryStorage

from app.queue import init_queue, queue


@dataclass
class Worker:
    delays: list[float] = field(default_factory=list)  # seconds between a failure and its retry
    runs: int = 0

    def drain(self, limit: int = 50) -> None:
        """Run everything queued, then every retry Huey scheduled, until nothing is left."""
        for _ in range(limit):
            task = queue.dequeue()
            if task is not None:
                self.runs += 1
                queue.execute(task)
                continue
            now = datetime.now(UTC).replace(tzinfo=None)
            due = queue.read_schedule(now + timedelta(days=1))
            if not due:
                return
            for scheduled in due:
                self.delays.append(round((scheduled.eta - now).total_seconds()))
                self.runs += 1
                queue.execute(scheduled, timestamp=scheduled.eta)
        raise AssertionError("the queue never emptied")


@pytest.fixture
def worker(app):
    queue._immediate = False
    queue.storage = MemoryStorage("test")
    try:
        yield Worker()
    finally:
        init_queue(app)  # back to the configuration's queue (immediate in tests)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Answers:
    """An SMTP server's mood: each DATA gets the next answer of `script` (then "250 OK")."""

    def __init__(self, script: list[str]):
        self.script = list(script)
        self.received: list[bytes] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        with self.lock:
            answer = self.script.pop(0) if self.script else "250 OK"
            if answer.startswith("250"):
                self.received.append(envelope.content)
        return answer


@pytest.fixture
def smtp_server(app):
    """A real SMTP server on localhost (aiosmtpd) whose answers the test scripts."""
    from aiosmtpd.controller import Controller

    servers = []

    def start(script: list[str]) -> Answers:
        handler = Answers(script)
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        servers.append(controller)
        app.config.update(MAIL_CAPTURE=False, SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False)
        return handler

    yield start
    for controller in servers:
        controller.stop()
