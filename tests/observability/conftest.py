"""Fixtures for the observability tests: the events fixtures (check-ins), the fake SMTP server and
worker of the jobs tests, a throwaway Redis, and log lines read back as JSON."""

from __future__ import annotations

import json
import logging
import shutil
import socket
import subprocess
import time

import pytest

from tests.events.conftest import (  # noqa: F401  (fixtures)
    co_organised,
    device_scope,
    device_token,
    event,
    make_event,
    organiser,
    register,
    staff,
)
from tests.jobs.conftest import smtp_server, worker  # noqa: F401  (fixtures)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A Redis of its own (Debian's redis-server) for this run, stopped at the end."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (make redis)")
    folder = tmp_path_factory.mktemp("redis")
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 (our own binary and arguments)
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def log_lines(caplog):
    """log_lines("kndmst.request") → the JSON objects logged there during the test."""
    caplog.set_level(logging.INFO, logger="kndmst")

    def _lines(logger: str) -> list[dict]:
        return [json.loads(r.getMessage()) for r in caplog.records if r.name == logger]

    return _lines
