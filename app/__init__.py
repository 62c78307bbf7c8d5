"""The application factory: folders, settings, extensions, blueprints, error pages and CLI."""

from __future__ import annotations

import importlib
import importlib.util
import logging
from pathlib import Path

from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import get_locale
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from app.demo.cli import register_cli as register_demo_cli
from app.errors import Invalid, NotFound, register_error_handlers
from app.extensions import babel, csrf, db, limiter, login_manager, migrate
from app.features import CSP, FEATURES
from app.localtime import register_template_filters
from app.queue import init_queue
from app.text import first_unsafe
from app.urls import absolute_url
from config import load_config

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: object | str | None = None) -> Flask:
    """Build the app. `config` is a settings object, an APP_ENV name, or None (read APP_ENV)."""
    settings = config if (config is not None and not isinstance(config, str)) else load_config(config)
    app = Flask(
        __name__,
        instance_path=getattr(settings, "INSTANCE_PATH", str(ROOT / "instance")),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(settings)
    # <int:…> in every route stops at PostgreSQL's integer: /vong/99999999999999999999999 is a 404,
    # not an overflow inside the query (must be set before any blueprint adds its rules).
    app.url_map.converters["int"] = BoundedIntConverter
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO)

    if app.config.get("PROXY_FIX_X_FOR") or app.config.get("PROXY_FIX_X_PROTO"):
        # Behind nginx the TCP peer is the proxy: take the client's address (rate limits, login
        # throttling, audit) from X-Forwarded-For, trusting only the configured number of hops.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way to add WSGI middleware
            app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=app.config["PROXY_FIX_X_PROTO"]
        )
    _init_extensions(app)
    for name in FEATURES:
        module = importlib.import_module(f"app.{name}")
        app.register_blueprint(module.bp)
        if importlib.util.find_spec(f"app.{name}.models"):
            importlib.import_module(f"app.{name}.models")  # every table in db.metadata
        if importlib.util.find_spec(f"app.{name}.privacy"):
            importlib.import_module(f"app.{name}.privacy")  # registers its personal-data holders
        if importlib.util.find_spec(f"app.{name}.cli"):
            importlib.import_module(f"app.{name}.cli").register_cli(app)
    register_error_handlers(app)
    _register_request_hooks(app)
    register_template_filters(app)
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["FEATURES"] = FEATURES
    app.jinja_env.globals["absolute_url"] = absolute_url
    register_demo_cli(app)
    return app


class BoundedIntConverter(IntegerConverter):
    def __init__(
        self, url_map, fixed_digits: int = 0, min: int | None = None, max: int | None = None, signed=False
    ):  # noqa: A002 (werkzeug's names)
        super().__init__(
            url_map, fixed_digits=fixed_digits, min=min, max=2**31 - 1 if max is None else max, signed=signed
        )


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=lambda: "Asia/Ho_Chi_Minh")
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Vui lòng đăng nhập để tiếp tục."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    init_queue(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # SQLite leaves foreign keys off by default; WAL lets the dev server read while writing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")  # in-memory databases answer "memory": harmless
    # In WAL mode NORMAL never corrupts the database; a power cut may lose the last commits but
    # it skips an fsync per commit, which halves the cost of small writes (gate check-ins).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang") if _has_request() else None
    return str(chosen if chosen in languages else current_app.config["BABEL_DEFAULT_LOCALE"])


def _has_request() -> bool:
    return has_request_context()


def _register_request_hooks(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        # Pages and downloads carry personal data (dossiers, attendee lists, tickets): no browser
        # or proxy may keep a copy. Only static files (and a view that says "public") are cached.
        if request.endpoint != "static" and "public" not in response.headers.get("Cache-Control", ""):
            response.headers["Cache-Control"] = "private, no-store"
        return response

    @app.before_request
    def remember_request_start():
        g.client_ip = request.remote_addr or ""
        # A NUL, control or bidi character in the query string is never typed by a person and
        # would reach a database query (PostgreSQL refuses NUL with an error): refuse it here.
        for key, values in request.args.lists():
            for text in (key, *values):
                if first_unsafe(text, multiline=True) is not None:
                    raise Invalid("Địa chỉ trang có ký tự không hợp lệ.", code="invalid_query")
        # The same in the path (/su-kien/%00): no slug or code holds one, so the page does not exist.
        for value in (request.view_args or {}).values():
            if isinstance(value, str) and first_unsafe(value, multiline=True) is not None:
                raise NotFound("Trang bạn tìm không tồn tại hoặc đã bị xoá.")
