"""Observability: one log line per request with its id, requests/errors/check-ins per minute for the
Sở (`/quan-tri/so-lieu-he-thong`), and `/metrics` for Prometheus behind a token.

The request hooks are the blueprint's app-wide hooks, so the factory needs nothing but the
blueprint: `request_started` times the request and gives it its id before any before_request hook
(CSRF, login) can refuse it; the after-request hook logs and counts every answer, error pages too.
"""

from flask import Blueprint, request_started
from flask.blueprints import BlueprintSetupState

from app.observability.hooks import configure_logging, finish_request, start_request, write_counts_when_due

bp = Blueprint("observability", __name__)


@bp.record_once
def _connect(state: BlueprintSetupState) -> None:
    request_started.connect(start_request, state.app)
    configure_logging(state.app)


bp.before_app_request(write_counts_when_due)
bp.after_app_request(finish_request)

from app.observability import views  # noqa: E402,F401  (the routes register themselves on bp)
