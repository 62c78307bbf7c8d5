"""The answers the live pages share: JSON that is never cached stale, a 304 with its ETag, and a
console command answered as JSON (the page's script) or as a redirect with a flash (a plain form)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, flash, jsonify, redirect, url_for

from app.errors import DomainError, wants_json
from app.live import state
from app.live.models import LiveStage


def fresh_json(payload: dict[str, Any]) -> Response:
    """JSON a client must revalidate every time (it polls it)."""
    response = jsonify(payload)
    response.headers["Cache-Control"] = "no-cache"
    return response


def not_modified(tag: str) -> Response:
    response = Response(status=304)
    response.set_etag(tag)
    response.headers["Cache-Control"] = "no-cache"
    return response


def console_command(round_id: int, stage: LiveStage, run: Callable[[], str]) -> Response:
    """Run one console command (`run` returns what to flash on success). Asked for JSON: the new
    console state, and a refusal raised as a JSON error; a plain form: back to the console with the
    message or the refusal as a flash."""
    try:
        done = run()
    except DomainError as error:
        if wants_json():
            raise
        flash(error.message, "error")
    else:
        if not wants_json():
            flash(done, "success")
    if wants_json():
        return fresh_json(state.console_state(stage))
    return redirect(url_for("live.console", round_id=round_id), 303)  # type: ignore[return-value]
