"""gunicorn's workers are separate processes: with PROMETHEUS_MULTIPROC_DIR a scrape answered by any
one of them adds up the requests of all of them (prometheus_client's multiprocess mode)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# One "worker": its own interpreter and app, answering `requests` health checks, then perhaps a scrape.
WORKER = """
import sys
from pathlib import Path
from app import create_app
from tests.conftest import make_config

config = make_config(sys.argv[1], Path(sys.argv[2]), METRICS_TOKEN="t0ken-of-the-test")
client = create_app(config).test_client()
for _ in range(int(sys.argv[3])):
    assert client.get("/healthz").status_code == 200
if sys.argv[4] == "scrape":
    print(client.get("/metrics", headers={"Authorization": "Bearer t0ken-of-the-test"}).get_data(as_text=True))
"""

HEALTHZ = re.compile(
    r'^kndmst_http_requests_total\{method="GET",route="/healthz",status="200"\} ([0-9.]+)$', re.M
)


def run_worker(
    database_url: str, instance: Path, requests: int, scrape: bool, multiproc_dir: Path | None
) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env["PYTHONPATH"] = str(ROOT)
    if multiproc_dir is not None:
        env["PROMETHEUS_MULTIPROC_DIR"] = str(multiproc_dir)
    done = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [
            sys.executable,
            "-c",
            WORKER,
            database_url,
            str(instance),
            str(requests),
            "scrape" if scrape else "-",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def healthz_count(scrape: str) -> float:
    match = HEALTHZ.search(scrape)
    assert match, scrape[:2000]
    return float(match.group(1))


def test_a_scrape_adds_up_every_worker_of_the_server(app, database_url, tmp_path):
    shared = tmp_path / "prometheus"
    shared.mkdir()
    run_worker(database_url, tmp_path / "a", 3, False, shared)
    scrape = run_worker(database_url, tmp_path / "b", 2, True, shared)
    assert healthz_count(scrape) == 5
    assert "kndmst_checkins_total 0.0" in scrape  # the database's figures come along

    # Without the directory each process only knows its own requests: the reason for the setting.
    alone = run_worker(database_url, tmp_path / "c", 2, True, None)
    assert healthz_count(alone) == 2
