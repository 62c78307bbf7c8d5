"""Every request: its id, one JSON line in the `kndmst.request` log, and its share of the counts.

The line holds the method, the route (the URL rule, `/su-kien/<slug>/ve/<code>`, never the path
or the query string: no token, ticket code or search text reaches the log), the status, the time
taken, the signed-in user's id, the request id and the client address as ProxyFix resolved it.
Static files are left out: behind nginx they never reach the app, and on the single-process setup
they would drown the lines that matter.

The request id comes from nginx (`proxy_set_header X-Request-ID $request_id`) when it looks like
one (8–128 letters, digits and `._:-`), else a new one is made; it goes back in the response's
`X-Request-ID`, so a person reporting a problem and the nginx log lead to the same line.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from typing import Any

from flask import Flask, Response, g, request
from flask.sansio.app import App

from app.localtime import utcnow
from app.observability.counters import ERRORS, REQUESTS, tally
from app.observability.prometheus import observe_request

REQUEST_LOG = logging.getLogger("kndmst.request")
REQUEST_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")
HEADER = "X-Request-ID"


def request_id_from(header: str | None) -> str:
    """The proxy's request id when it is a sane token, else a new random one (32 hex, like nginx's)."""
    if header and REQUEST_ID_RE.fullmatch(header):
        return header
    return uuid.uuid4().hex


def start_request(_sender: Flask, **_extra: Any) -> None:
    """On `request_started`: before every before_request hook (CSRF, login), so a request they
    refuse is still timed and carries its id."""
    g.request_started = time.perf_counter()
    g.request_id = request_id_from(request.headers.get(HEADER))


def write_counts_when_due() -> None:
    """Before each request: the database store's batch, every METRICS_FLUSH_SECONDS at most."""
    counts = tally()
    if counts.due():
        counts.flush()


def finish_request(response: Response) -> Response:
    """After each request (error pages included): echo the id, log the line, count it."""
    request_id = g.get("request_id") or request_id_from(None)
    response.headers[HEADER] = request_id
    if request.endpoint == "static":
        return response
    started = g.get("request_started")
    seconds = time.perf_counter() - started if started is not None else 0.0
    route = request.url_rule.rule if request.url_rule is not None else None
    # The user as Flask-Login loaded it for this request (no extra query); `.id`, never `get_id()`,
    # which carries the session key.
    user = g.get("_login_user")
    user_id = getattr(user, "id", None) if user is not None and user.is_authenticated else None
    REQUEST_LOG.info(
        json.dumps(
            {
                "time": utcnow().isoformat(timespec="milliseconds"),
                "request_id": request_id,
                "method": request.method,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1),
                "user_id": user_id,
                "client": request.remote_addr,
            },
            separators=(",", ":"),
        )
    )
    observe_request(request.method, route or "unmatched", response.status_code, seconds)
    counts = tally()
    counts.count(REQUESTS)
    if response.status_code >= 500:
        counts.count(ERRORS)
    if counts.due(end_of_request=True):
        counts.flush()
    return response


def configure_logging(app: App) -> None:
    """Lines of the `kndmst` loggers (requests, mail) go to stderr as they are, one JSON object per
    line (journald keeps them with a time stamp), unless the operator configured those loggers."""
    logger = logging.getLogger("kndmst")
    if app.testing or logger.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
