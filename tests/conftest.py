"""Shared fixtures: a real database (SQLite file, or PostgreSQL via DATABASE_URL), a fresh set of
tables' contents per test, the Flask test client, captured mail, and the browser harness."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import text

from app import create_app
from app.extensions import db
from config import TestingConfig

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "screenshots"))
_schema_ready: set[str] = set()


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """Compile the .po catalogs (as `make translations` does) so pytest alone also sees them."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (ROOT / "app" / "translations").glob("*/LC_MESSAGES/messages.po"):
        # Written aside then renamed: parallel workers (`make test-fast`) never read a half-written file.
        partial = po.with_suffix(f".mo.{os.getpid()}")
        with po.open("rb") as source, partial.open("wb") as target:
            write_mo(target, read_po(source))
        partial.replace(po.with_suffix(".mo"))


# The slow tests, skipped by `make test-fast` (the local loop) and run by `make test`: a whole file,
# or one test of it. Each entry must still name a collected test (a rename would silently unmark it).
SLOW = {
    "tests/test_fuzz.py": "Hypothesis posts to every form and the check-in API as every role",
    "tests/test_authorization.py": "every route × 11 roles",
    "tests/exports/test_libreoffice.py": "LibreOffice converts each workbook to PDF",
    "tests/contests/test_demo.py": "seed-demo",
    "tests/judging/test_demo.py": "seed-demo",
    "tests/accounts/test_cli.py::test_seed_demo_is_idempotent_and_prints_accounts": "seed-demo twice",
    "tests/events/test_services.py::test_demo_seed_is_fast_idempotent_and_complete": "seed-demo",
    "tests/exports/test_workbook.py::test_rows_are_streamed_so_memory_stays_flat": "20,000 rows under tracemalloc",
    "tests/events/test_tickets.py::test_extract_code_never_crashes_and_random_text_is_never_valid": "ticket fuzz",
    "tests/live/test_minutes.py::test_libreoffice_prints_the_minutes_on_a4_landscape": "LibreOffice: the minutes as PDF",
    "tests/live/test_demo.py": "seed-demo",
    "tests/live/test_two_instances.py": "two gunicorn instances on PostgreSQL",
    "tests/programmes/test_demo.py": "seed-demo",
    "tests/booths/test_demo.py": "seed-demo",
    "tests/test_two_instances.py": "two gunicorn instances on PostgreSQL and Redis",
    "tests/observability/test_multiprocess.py": "three Python interpreters share one metrics folder",
    "tests/test_shared_state.py::test_rate_limits_fall_back_to_memory_when_redis_is_down": "waits for Redis timeouts",
    "tests/certificates/test_views.py::test_batch_of_many_attendees": "120 certificates drawn in one job",
}


def pytest_collection_modifyitems(config, items):
    matched = set()
    for item in items:
        if "e2e" in Path(str(item.fspath)).parts:
            item.add_marker(pytest.mark.e2e)
        path, _, name = item.nodeid.partition("::")
        for key in (path, f"{path}::{name.split('[')[0]}"):
            if key in SLOW:
                item.add_marker(pytest.mark.slow)
                matched.add(key)
    collected = {item.nodeid.partition("::")[0] for item in items}
    stale = [key for key in SLOW if key not in matched and key.partition("::")[0] in collected]
    if stale:
        raise pytest.UsageError(f"tests/conftest.py SLOW names tests that no longer exist: {stale}")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def is_postgres(database_url) -> bool:
    return database_url.startswith("postgresql")


def make_config(database_url: str, instance: Path, **overrides) -> TestingConfig:
    cfg = TestingConfig()
    cfg.SQLALCHEMY_DATABASE_URI = database_url
    cfg.INSTANCE_PATH = str(instance)
    cfg.MAIL_DIR = str(instance / "mail")
    cfg.UPLOAD_DIR = str(instance / "uploads")
    cfg.JOB_DIR = str(instance / "jobs")
    for key, value in overrides.items():
        setattr(cfg, key, value)
    return cfg


def wipe_tables() -> None:
    """Empty every table (children first): each test starts from a clean database."""
    db.session.remove()
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            if names:
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


def build_app(database_url: str, instance: Path, **overrides):
    app = create_app(make_config(database_url, instance, **overrides))
    with app.app_context():
        if database_url not in _schema_ready:
            db.drop_all()
            db.create_all()
            _schema_ready.add(database_url)
        wipe_tables()
    return app


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context (fresh `g`, fresh DB session), as in production;
    afterwards the test's own session is expired so it reads what the request committed."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if has_app_context():
            db.session.expire_all()
        return response


@pytest.fixture(scope="session")
def shared_app(database_url, tmp_path_factory):
    """One app per run: building one compiles ~120 URL rules (≈ 0.1 s), which every test paid."""
    app = build_app(database_url, tmp_path_factory.mktemp("instance"))
    app.test_client_class = IsolatedClient
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def fresh_app(database_url, tmp_path):
    """An app of its own, for a test that adds routes (the shared one has served requests already)."""
    app = build_app(database_url, tmp_path)
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        db.session.remove()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(shared_app, tmp_path):
    """The run's app, as good as new for this test: empty tables, its own instance folder (mail files,
    uploads), and afterwards the configuration restored and whatever the test cached dropped
    (the mail outbox, the device-token cache, the ticket key …)."""
    app = shared_app
    config, extensions, instance = dict(app.config), set(app.extensions), app.instance_path
    app.instance_path = str(tmp_path)
    app.config.update(
        INSTANCE_PATH=str(tmp_path),
        MAIL_DIR=str(tmp_path / "mail"),
        UPLOAD_DIR=str(tmp_path / "uploads"),
        JOB_DIR=str(tmp_path / "jobs"),
    )
    try:
        with app.app_context():
            wipe_tables()
            yield app
            db.session.remove()
    finally:
        app.config.clear()
        app.config.update(config)
        app.instance_path = instance
        for key in set(app.extensions) - extensions:
            del app.extensions[key]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def outbox(app):
    from app.mail.services import outbox as mail_outbox

    return mail_outbox()


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no csrf_token in page"
    return match.group(1) or match.group(2)


def submit(client, url: str, data: dict, *, page: str | None = None, follow: bool = False):
    """Post a form the way a browser does: GET the page first for its CSRF token."""
    html = client.get(page or url).get_data(as_text=True)
    return client.post(url, data={**data, "csrf_token": csrf_from(html)}, follow_redirects=follow)


@pytest.fixture
def make_user(app):
    from app.accounts import services

    def _make(email="user@example.vn", roles=("applicant",), password="GaoLua2024", name="Nguyễn Văn An"):
        user = None
        for role in roles:
            user, _ = services.create_user(email, role, password=password, full_name=name)
        return user

    return _make


@pytest.fixture
def login(client):
    def _login(email, password="GaoLua2024"):
        response = submit(client, "/tai-khoan/dang-nhap", {"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return _login


# --- browser harness --------------------------------------------------------------------------

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 860}}


class LiveServer:
    """The real app served by werkzeug on a free port, in a thread of the test process."""

    def __init__(self, app):
        from werkzeug.serving import make_server

        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        app.config["BASE_URL"] = self.url  # links in mail and QR codes point at this server
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(database_url, tmp_path):
    app = build_app(database_url, tmp_path)
    server = LiveServer(app).start()
    yield server
    server.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(params=["phone", "desktop"])
def page(request, browser):
    """A fresh browser context per test, on a phone-sized and on a desktop viewport."""
    options = PHONE if request.param == "phone" else DESKTOP
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", **options)
    page = context.new_page()
    page.viewport_name = request.param
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def shoot(page, request):
    """shoot("step") saves screenshots/<test>-<viewport>-<nn>-<step>.png."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    counter = {"n": 0}
    base = re.sub(r"[^\w-]+", "_", request.node.originalname)

    def _shoot(step: str) -> Path:
        counter["n"] += 1
        path = SCREENSHOT_DIR / f"{base}-{page.viewport_name}-{counter['n']:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shoot


def assert_accessible_form(page) -> None:
    """Every visible input, select and textarea has a label (or aria-label) and a name."""
    problems = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
            .filter(el => el.offsetParent !== null)
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
            .map(el => el.outerHTML)"""
    )
    assert problems == [], f"inputs without a label: {problems}"


def assert_fits_width(page) -> None:
    """Nothing forces sideways scrolling of the page (tables scroll inside their own box)."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"page is {overflow}px wider than the viewport"
