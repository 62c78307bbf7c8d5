"""The big attendance export as a background job (issue 11): the web workers' memory before and after,
next to the old way (the same export inside a web request) in the same run.

    .venv/bin/python bench/bench_jobs.py [--scale 100] [--timeout 1800] [--no-baseline]

1. A fresh SQLite file in a temp folder: the demo, grown ×N with bench_growth's functions (at ×100 the
   festival `ngay-hoi-kndmst-2024` has 200,000 attendees and ~66,000 check-ins).
2. The production-shaped processes on that file, as subprocesses: the README's production command
   `gunicorn -w 2 -k gthread --threads 4 wsgi:app` (APP_ENV=production) and
   `flask --app wsgi jobs worker --workers 1` (Huey on an SQLite file).
3. Over HTTP, logged in through the login form as the demo organiser: GET the attendance export (the
   "Chuẩn bị tệp" page), POST it (303 to /cong-viec/<id>), poll /cong-viec/<id>/trang-thai every
   0.5 s (the progress series is printed), download the file and open it with openpyxl (rows of
   "Đăng ký" counted). VmRSS/VmHWM (/proc/<pid>/status) of each gunicorn worker (the master's
   children) before and after; the worker process's VmHWM and CPU (utime+stime); POST→done wall time.
4. The baseline: a second gunicorn with EXPORT_JOB_ROWS=100000000 (and --timeout 0, so that
   gunicorn itself never cuts the request), GET of the same URL sends the file in the
   request; the same figures for its web workers.
5. Every process started here is stopped (also on errors and Ctrl+C) and the temp folder deleted.
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import bench_growth as growth  # noqa: E402 — also puts the project root on sys.path

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from tests.conftest import csrf_from, make_config  # noqa: E402

VENV = ROOT / ".venv" / "bin"
EXPORT_URL = f"/bao-cao/su-kien/{growth.FESTIVAL}/tham-du.xlsx"
LOGIN_URL = "/tai-khoan/dang-nhap"
MB = 1024 * 1024


# --- building the database ------------------------------------------------------------------------


def build(folder: Path, scale: int, secret: str) -> dict:
    """The demo grown ×scale in folder/growth.db (the same SECRET_KEY as the servers: ticket codes)."""
    instance = folder / "instance"
    app = create_app(
        make_config(f"sqlite:///{folder / 'growth.db'}", instance, RATELIMIT_ENABLED=False, SECRET_KEY=secret)
    )
    with app.app_context():
        db.create_all()
        start = time.perf_counter()
        growth.seed_demo(app)
        rng = random.Random(11)
        growth.grow_contests(scale, rng)
        growth.grow_festival(app, scale, rng)
        db.session.commit()
        seconds = time.perf_counter() - start
        counts = growth.sizes()
        db.session.remove()
        db.engine.dispose()
    return {"seconds": seconds, **counts}


# --- processes ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(folder: Path, port: int, secret: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "JOBS_IMMEDIATE"}}
    env.update(
        APP_ENV="production",
        SECRET_KEY=secret,
        BASE_URL=f"http://127.0.0.1:{port}",
        SESSION_COOKIE_SECURE="0",  # plain HTTP on 127.0.0.1: the cookie must come back
        DATABASE_URL=f"sqlite:///{folder / 'growth.db'}",
        INSTANCE_PATH=str(folder / "instance"),
        JOBS_DB=str(folder / "jobs.sqlite3"),
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


class Processes:
    """Every subprocess started here, each in a session of its own (Ctrl+C reaches only the bench),
    stopped by its own id at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[tuple[str, subprocess.Popen, int]] = []

    def start(self, name: str, command: list[str], env: dict[str, str], stop_signal: int) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 — closed with the process
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self.started.append((name, process, stop_signal))
        return process

    def stop(self, process: subprocess.Popen) -> None:
        for name, started, stop_signal in list(self.started):
            if started is process:
                if process.poll() is None:
                    process.send_signal(stop_signal)
                    try:
                        process.wait(15)
                    except subprocess.TimeoutExpired:
                        os.killpg(process.pid, signal.SIGKILL)  # its own group: only what it started
                        process.wait()
                self.started.remove((name, started, stop_signal))

    def stop_all(self) -> None:
        for _, process, _ in reversed(list(self.started)):
            self.stop(process)

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.folder / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def gunicorn(procs: Processes, name: str, folder: Path, secret: str, timeout: int, **extra: str):
    port = free_port()
    command = [str(VENV / "gunicorn"), "-w", "2", "-k", "gthread", "--threads", "4"]  # README's production
    command += ["-b", f"127.0.0.1:{port}", "--timeout", str(timeout)]
    process = procs.start(
        name, [*command, "wsgi:app"], environment(folder, port, secret, **extra), signal.SIGINT
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited:\n{procs.log_tail(name)}")
        with contextlib.suppress(OSError), urllib.request.urlopen(base + "/healthz", timeout=2) as response:
            if response.status == 200 and len(children(process.pid)) == 2:
                return process, base
        time.sleep(0.2)
    raise RuntimeError(f"{name} did not answer /healthz:\n{procs.log_tail(name)}")


def children(pid: int) -> list[int]:
    """A gunicorn master's workers."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    if path.exists():
        return sorted(int(p) for p in path.read_text().split())
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return sorted(found)


def memory(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (MB) and CPU seconds (utime + stime) of a process."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024  # kB
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    values["cpu"] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return values


def workers_memory(master: int) -> dict[int, dict[str, float]]:
    return {pid: memory(pid) for pid in children(master)}


# --- HTTP -----------------------------------------------------------------------------------------


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 30x comes back as an HTTPError with its Location


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
        )

    def request(self, url: str, data: dict | None = None, timeout: float = 30):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            response = self.opener.open(self.base + url, body, timeout=timeout)
        except urllib.error.HTTPError as error:
            if 300 <= error.code < 400:
                return error.code, error.headers.get("Location", ""), b""
            raise RuntimeError(f"{url}: {error.code} {error.read()[:500]!r}") from error
        with response:
            return response.status, "", response.read()

    def get(self, url: str, timeout: float = 30) -> bytes:
        status, location, body = self.request(url, timeout=timeout)
        if status != 200:
            raise RuntimeError(f"GET {url}: {status} → {location}")
        return body

    def post_form(self, url: str, data: dict) -> str:
        """POST a form the way a browser does (CSRF token from the page); the redirect's target."""
        token = csrf_from(self.get(url).decode())
        status, location, _ = self.request(url, {**data, "csrf_token": token})
        if status not in (302, 303):
            raise RuntimeError(f"POST {url}: {status}, expected a redirect")
        return urllib.parse.urlsplit(location).path

    def login(self) -> None:
        email, password = growth.ORGANISER
        self.post_form(LOGIN_URL, {"email": email, "password": password})


# --- the two ways ---------------------------------------------------------------------------------


def print_workers(label: str, workers: dict[int, dict[str, float]]) -> None:
    for pid, m in workers.items():
        print(f"    {label} web worker {pid}: VmRSS {m['VmRSS']:.0f} MB, VmHWM {m['VmHWM']:.0f} MB")


def warm_up(browser: Browser) -> None:
    """Light pages (not the reports dashboard, whose own cost grows with the data): each worker has
    rendered a page and answered a job-state-sized request before the first reading."""
    for _ in range(4):
        browser.get("/healthz")
        browser.get("/")
        browser.get("/cong-viec")


def as_job(procs: Processes, folder: Path, secret: str, timeout: float) -> dict:
    web, base = gunicorn(procs, "gunicorn-job", folder, secret, 30)
    worker = procs.start(
        "worker",
        [str(VENV / "flask"), "--app", "wsgi", "jobs", "worker", "--workers", "1"],
        environment(folder, 0, secret),
        signal.SIGTERM,
    )
    browser = Browser(base)
    browser.login()
    warm_up(browser)
    if worker.poll() is not None:
        raise RuntimeError(f"the worker exited:\n{procs.log_tail('worker')}")
    before = workers_memory(web.pid)
    worker_before = memory(worker.pid)
    print_workers("before", before)
    page = browser.get(EXPORT_URL).decode()
    if "Chuẩn bị tệp" not in page:
        raise RuntimeError("GET of the export did not offer the 'Chuẩn bị tệp' button")
    posted = time.perf_counter()
    job_page = browser.post_form(EXPORT_URL, {})
    print(f"  POST → 303 {job_page}", flush=True)
    series: list[tuple[float, str, str, int, int | None, int]] = []
    last_key = None
    last_print = 0.0
    while True:
        state = json.loads(browser.get(job_page + "/trang-thai"))
        t = time.perf_counter() - posted
        row = (t, state["status"], state["stage"] or "", state["done"], state["total"], state["percent"])
        series.append(row)
        key = row[1:3] + (row[5],)
        if key != last_key or t - last_print >= 10:
            print(
                f"  {t:7.1f} s  {state['status']:<8} {row[2]:<22} {state['percent']:>3} %"
                f"  ({state['done']:,} / {state['total'] or '—'})",
                flush=True,
            )
            last_key, last_print = key, t
        if state["status"] in ("done", "failed"):
            break
        if t > timeout:
            raise RuntimeError(f"the job did not finish in {timeout:.0f} s:\n{procs.log_tail('worker')}")
        if worker.poll() is not None:
            raise RuntimeError(f"the worker died:\n{procs.log_tail('worker')}")
        time.sleep(0.5)
    wall = time.perf_counter() - posted
    if state["status"] != "done":
        raise RuntimeError(f"the job failed: {state['error']}\n{procs.log_tail('worker')}")
    worker_after = memory(worker.pid)
    target = folder / "download.xlsx"
    started = time.perf_counter()
    target.write_bytes(browser.get(state["download_url"], timeout=300))
    download_s = time.perf_counter() - started
    after = workers_memory(web.pid)
    print_workers("after ", after)
    rows = count_rows(target)
    procs.stop(web)
    procs.stop(worker)
    return {
        "wall": wall,
        "download_s": download_s,
        "size": target.stat().st_size,
        "rows": rows,
        "before": before,
        "after": after,
        "worker_before": worker_before,
        "worker_after": worker_after,
        "series": series,
    }


def count_rows(path: Path) -> int:
    from openpyxl import load_workbook  # noqa: PLC0415

    workbook = load_workbook(path, read_only=True)
    try:
        return sum(
            1 for row in workbook["Đăng ký"].iter_rows(values_only=True) if any(v is not None for v in row)
        )
    finally:
        workbook.close()


def in_request(procs: Processes, folder: Path, secret: str, timeout: float) -> dict:
    web, base = gunicorn(procs, "gunicorn-inline", folder, secret, 0, EXPORT_JOB_ROWS="100000000")
    browser = Browser(base)
    browser.login()
    warm_up(browser)
    before = workers_memory(web.pid)
    print_workers("before", before)
    started = time.perf_counter()
    body = browser.get(EXPORT_URL, timeout=timeout)
    wall = time.perf_counter() - started
    if not body.startswith(b"PK"):
        raise RuntimeError("the in-request GET did not send a workbook")
    after = workers_memory(web.pid)
    print_workers("after ", after)
    procs.stop(web)
    return {"wall": wall, "size": len(body), "before": before, "after": after}


# --- report ---------------------------------------------------------------------------------------


def growth_of(run: dict) -> tuple[float, float]:
    """The largest growth of a web worker's VmHWM and VmRSS (MB) between before and after."""
    hwm = max(run["after"][p]["VmHWM"] - run["before"][p]["VmHWM"] for p in run["before"])
    rss = max(run["after"][p]["VmRSS"] - run["before"][p]["VmRSS"] for p in run["before"])
    return hwm, rss


def report(scale: int, built: dict, job: dict, inline: dict | None) -> None:
    series = job["series"]
    percents = [p for (_, status, *_rest, p) in series if status == "running"]
    reading = [t for (t, status, stage, *_rest) in series if status == "running" and "đọc" in stage]
    print("\nprogress series (s → %):")
    shown, last = [], None
    for t, _status, _stage, _done, _total, percent in series:
        if percent != last:
            shown.append(f"{t:.1f}→{percent}")
            last = percent
    print("  " + ", ".join(shown))
    print(
        f"  {len(series)} polls, {len(set(percents))} distinct percents while running; "
        f"stage 'Đang đọc dữ liệu' seen for {(max(reading) - min(reading)) if reading else 0:.1f} s at 0 %"
    )
    w0, w1 = job["worker_before"], job["worker_after"]
    hwm_job, rss_job = growth_of(job)
    print(f"\n×{scale}: {built['festival attendees']:,} attendees, {built['festival check-ins']:,} check-ins")
    print(f"\n{'':38} {'as a job':>14} {'in the request':>16}")

    def line(label: str, a: str, b: str) -> None:
        print(f"{label:38} {a:>14} {b:>16}")

    line("wall time (POST→done / GET)", f"{job['wall']:.1f} s", f"{inline['wall']:.1f} s" if inline else "—")
    line("file size", f"{job['size'] / MB:.1f} MB", f"{inline['size'] / MB:.1f} MB" if inline else "—")
    line("rows of 'Đăng ký' (with title rows)", f"{job['rows']:,}", "")
    for label, key in (("web workers' VmHWM before", "before"), ("web workers' VmHWM after", "after")):
        a = " / ".join(f"{m['VmHWM']:.0f}" for m in job[key].values()) + " MB"
        b = (" / ".join(f"{m['VmHWM']:.0f}" for m in inline[key].values()) + " MB") if inline else "—"
        line(label, a, b)
    for label, key in (("web workers' VmRSS before", "before"), ("web workers' VmRSS after", "after")):
        a = " / ".join(f"{m['VmRSS']:.0f}" for m in job[key].values()) + " MB"
        b = (" / ".join(f"{m['VmRSS']:.0f}" for m in inline[key].values()) + " MB") if inline else "—"
        line(label, a, b)
    hwm_inline, rss_inline = growth_of(inline) if inline else (0.0, 0.0)
    line("largest web worker VmHWM growth", f"{hwm_job:+.0f} MB", f"{hwm_inline:+.0f} MB" if inline else "—")
    line("largest web worker VmRSS growth", f"{rss_job:+.0f} MB", f"{rss_inline:+.0f} MB" if inline else "—")
    cpu_web = sum(job["after"][p]["cpu"] - job["before"][p]["cpu"] for p in job["before"])
    cpu_inline = (
        sum(inline["after"][p]["cpu"] - inline["before"][p]["cpu"] for p in inline["before"]) if inline else 0
    )
    line("web workers' CPU during the export", f"{cpu_web:.1f} s", f"{cpu_inline:.1f} s" if inline else "—")
    line("job worker VmHWM before → after", f"{w0['VmHWM']:.0f}→{w1['VmHWM']:.0f} MB", "—")
    line("job worker VmRSS before → after", f"{w0['VmRSS']:.0f}→{w1['VmRSS']:.0f} MB", "—")
    line("job worker CPU (utime+stime)", f"{w1['cpu'] - w0['cpu']:.1f} s", "—")
    line("download of the finished file", f"{job['download_s']:.2f} s", "")
    if inline:
        peak_job = max(m["VmHWM"] for m in job["after"].values())
        peak_inline = max(m["VmHWM"] for m in inline["after"].values())
        print(
            f"\nweb worker peak-RSS growth, in the request ÷ as a job: {hwm_inline:+.0f} MB ÷ {hwm_job:+.0f} MB"
            f" = {hwm_inline / max(hwm_job, 1.0):.0f}× (job growth floored at 1 MB); highest web worker"
            f" VmHWM after: {peak_inline:.0f} MB ÷ {peak_job:.0f} MB = {peak_inline / peak_job:.1f}×"
        )


def _terminated(signum, frame):
    raise KeyboardInterrupt  # SIGTERM: the same clean-up as Ctrl+C


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds for the job and for the request")
    parser.add_argument("--no-baseline", action="store_true", help="skip the in-request export")
    args = parser.parse_args()
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started in the background
    signal.signal(signal.SIGTERM, _terminated)
    folder = Path(tempfile.mkdtemp(prefix=f"jobs{args.scale}-"))
    secret = secrets.token_hex(32)
    procs = Processes(folder)
    try:
        built = build(folder, args.scale, secret)
        print(f"×{args.scale} built in {built['seconds']:.0f} s: {built}", flush=True)
        print("as a job:", flush=True)
        job = as_job(procs, folder, secret, args.timeout)
        inline = None
        if not args.no_baseline:
            print("in the request (EXPORT_JOB_ROWS=100000000):", flush=True)
            inline = in_request(procs, folder, secret, args.timeout)
        report(args.scale, built, job, inline)
    finally:
        procs.stop_all()
        for log in sorted(folder.glob("*.log")):
            problems = [
                line
                for line in log.read_text(errors="replace").splitlines()
                if any(word in line for word in ("Traceback", "ERROR", "locked", "WORKER TIMEOUT"))
            ]
            print(f"{log.name}: {len(problems)} error lines", *problems[:20], sep="\n  ")
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
