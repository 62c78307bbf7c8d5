"""Settings, read from environment variables when the app is created (never at import time)."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSECURE_KEYS = {"", "dev", "change-me", "dev-secret-key-not-for-production"}


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Defaults shared by every environment; subclasses override."""

    def __init__(self) -> None:
        instance = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))
        self.INSTANCE_PATH = str(instance)
        self.SECRET_KEY = os.environ.get("SECRET_KEY", "dev-secret-key-not-for-production")
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or (f"sqlite:///{instance / 'app.db'}")
        self.SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {"pool_pre_ping": True}
        self.MAIL_DIR = os.environ.get("MAIL_DIR", str(instance / "mail"))
        self.UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(instance / "uploads"))
        # Largest product/booth photo an exhibitor may upload (app/booths/photos.py).
        self.BOOTH_PHOTO_MAX_BYTES = int(os.environ.get("BOOTH_PHOTO_MAX_BYTES", 5 * 1024 * 1024))
        self.SMTP_HOST = os.environ.get("SMTP_HOST", "")
        self.SMTP_PORT = int(os.environ.get("SMTP_PORT", "587"))
        self.SMTP_USER = os.environ.get("SMTP_USER", "")
        self.SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
        self.SMTP_STARTTLS = _bool("SMTP_STARTTLS", True)
        self.MAIL_FROM = os.environ.get("MAIL_FROM", "Sở KH&CN Quảng Ngãi <no-reply@kndmst.quangngai.gov.vn>")
        # The public address: every absolute link (mail, QR tickets) is built from it, never
        # from the request's Host header. Required in production.
        self.BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
        # Host names the app answers to (Flask refuses others with 400); empty = any.
        self.TRUSTED_HOSTS = [
            h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()
        ] or None
        # How many proxies in front of the app set X-Forwarded-For / -Proto (nginx: 1). With 0 the
        # client address is the TCP peer; behind a proxy that would be the proxy for everyone.
        self.PROXY_FIX_X_FOR = int(os.environ.get("PROXY_FIX_X_FOR", "0"))
        self.PROXY_FIX_X_PROTO = int(
            os.environ.get("PROXY_FIX_X_PROTO", os.environ.get("PROXY_FIX_X_FOR", "0"))
        )
        self.BABEL_DEFAULT_LOCALE = "vi"
        self.BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
        self.LANGUAGES = ["vi", "en"]
        self.MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 25 * 1024 * 1024))
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.WTF_CSRF_TIME_LIMIT = None  # a form left open all day at a desk must still submit
        # Where rate limits count. With REDIS_URL set, every app instance and worker counts in the
        # same Redis (several servers: the limit is the limit, not N times it); otherwise this
        # process's memory (`make run`, a one-process install). RATELIMIT_STORAGE_URI overrides both.
        self.REDIS_URL = os.environ.get("REDIS_URL", "")
        # Observability (app/observability): the /metrics token (unset: no /metrics), how often a process
        # writes its per-minute counts to the database without Redis, how long the counts are kept.
        self.METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
        self.METRICS_FLUSH_SECONDS = float(os.environ.get("METRICS_FLUSH_SECONDS", "10"))
        self.METRICS_KEEP_HOURS = int(os.environ.get("METRICS_KEEP_HOURS", "24"))
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or self.REDIS_URL or "memory://"
        # If Redis stops answering, count in memory until it is back instead of answering 500.
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.RATELIMIT_STORAGE_OPTIONS = {"socket_timeout": 1, "socket_connect_timeout": 1}
        self.RATELIMIT_KEY_PREFIX = "kndmst"
        self.RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
        self.RATELIMIT_HEADERS_ENABLED = True
        # Login throttling: this many failures for one account lock it for the window; failures
        # from one address only slow that address down (many people share a venue's address).
        self.LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
        self.LOGIN_FAILURE_WINDOW_MINUTES = int(os.environ.get("LOGIN_FAILURE_WINDOW_MINUTES", "15"))
        self.LOGIN_IP_FREE_FAILURES = int(os.environ.get("LOGIN_IP_FREE_FAILURES", "10"))
        self.LOGIN_IP_MAX_DELAY_SECONDS = float(os.environ.get("LOGIN_IP_MAX_DELAY_SECONDS", "8"))
        self.PASSWORD_RESET_HOURS = int(os.environ.get("PASSWORD_RESET_HOURS", "2"))
        self.EMAIL_VERIFY_HOURS = int(os.environ.get("EMAIL_VERIFY_HOURS", "72"))
        # Short-lived copies of database answers (app/shared_cache.py: in Redis when REDIS_URL is set,
        # so every instance answers alike; else in this process). An event's live counts (the live
        # page polls every 5 s), a scanner device's credentials (revoking one deletes its copy at
        # once), a live stage's version number (hundreds of phones poll it).
        self.STATS_CACHE_SECONDS = float(os.environ.get("STATS_CACHE_SECONDS", "5"))
        self.EVENT_DEVICE_CACHE_SECONDS = float(os.environ.get("EVENT_DEVICE_CACHE_SECONDS", "5"))
        self.LIVE_VERSION_CACHE_SECONDS = float(os.environ.get("LIVE_VERSION_CACHE_SECONDS", "0.5"))
        self.SQLITE_WAL = True
        # The task queue (app/queue.py): Redis when REDIS_URL is set (production, several servers),
        # else an SQLite file beside the database; a worker (`flask jobs worker`) runs the tasks.
        self.JOBS_DB = os.environ.get("JOBS_DB", str(instance / "jobs.sqlite3"))
        # Run every task at once inside the web process (no worker): the tests, or a quick trial.
        self.JOBS_IMMEDIATE = _bool("JOBS_IMMEDIATE", False)
        self.JOB_DIR = os.environ.get("JOB_DIR", str(instance / "jobs"))
        self.JOB_FILE_HOURS = int(os.environ.get("JOB_FILE_HOURS", "24"))
        # An export with more rows than this is prepared by the worker, with a progress bar.
        self.EXPORT_JOB_ROWS = int(os.environ.get("EXPORT_JOB_ROWS", "5000"))
        self.MAIL_FAILURE_DAYS = int(os.environ.get("MAIL_FAILURE_DAYS", "30"))
        # Data retention (`flask retention purge`, app/admin/retention.py), as the privacy notices
        # promise: contest entries' personal data and files this many years after the contest ends,
        # event registrations after the event ends; expired tokens, old sessions, login attempts and
        # judge invitations this many days after they expired or ended.
        self.RETENTION_ENTRY_YEARS = int(os.environ.get("RETENTION_ENTRY_YEARS", "5"))
        self.RETENTION_REGISTRATION_YEARS = int(os.environ.get("RETENTION_REGISTRATION_YEARS", "2"))
        self.RETENTION_TOKEN_DAYS = int(os.environ.get("RETENTION_TOKEN_DAYS", "30"))


class DevelopmentConfig(Config):
    """`make run`: SQLite under instance/, mail written to instance/mail/."""

    def __init__(self) -> None:
        super().__init__()
        self.DEBUG = _bool("FLASK_DEBUG", False)


class TestingConfig(Config):
    """pytest: a database given by the test fixture, mail captured in memory."""

    def __init__(self) -> None:
        super().__init__()
        self.TESTING = True
        self.BASE_URL = os.environ.get("TEST_BASE_URL", "http://localhost")
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or "sqlite://"
        self.RATELIMIT_ENABLED = False
        # A Redis in the environment (scripts/with-redis.sh) is for the tests that ask for it
        # (tests/test_shared_state.py, tests/test_two_instances.py): the others must not share
        # cached state or rate-limit counts with each other through it.
        self.REDIS_URL = ""
        # Never a metrics write inside a request whose queries a test counts (the page flushes first).
        self.METRICS_FLUSH_SECONDS = 3600
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.STATS_CACHE_SECONDS = 0  # tests read counts right after each check-in
        self.MAIL_CAPTURE = True
        self.JOBS_IMMEDIATE = True  # tasks run in the test process; the queue tests drive a real worker loop
        # Cheap hashing keeps the suite fast; production uses argon2's RFC 9106 defaults.
        self.ARGON2_PARAMS = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
        if self.SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
            # A stuck lock must fail a test quickly instead of hanging CI.
            self.SQLALCHEMY_ENGINE_OPTIONS = {
                "pool_pre_ping": True,
                "connect_args": {"options": "-c lock_timeout=5s -c statement_timeout=30s"},
            }


class ProductionConfig(Config):
    """gunicorn behind a proxy: refuses to start without a real SECRET_KEY."""

    def __init__(self) -> None:
        super().__init__()
        if self.SECRET_KEY in INSECURE_KEYS or len(self.SECRET_KEY) < 32:
            raise RuntimeError("SECRET_KEY phải được đặt (ít nhất 32 ký tự ngẫu nhiên) khi chạy production.")
        if not os.environ.get("BASE_URL", "").startswith(("https://", "http://")):
            raise RuntimeError(
                "BASE_URL phải được đặt khi chạy production (ví dụ https://kndmst.quangngai.gov.vn): "
                "mọi liên kết trong email và mã QR được tạo từ địa chỉ này."
            )
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(name: str | None = None) -> Config:
    """Build the settings object for APP_ENV (default development)."""
    name = name or os.environ.get("APP_ENV", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"APP_ENV không hợp lệ: {name!r} (development | testing | production)")
    return CONFIGS[name]()
