"""Check-in API at a room's door (JSON): the gate's API (app/events/api.py) for one session.

Same authentication (a device's bearer token of the event, or the session of its check-in staff or
organisers; a session-authenticated call changing state sends the page's CSRF token in
`X-CSRFToken`), same body limits (64 KB, a flat JSON object) and the same JSON errors
(`{"error": code, "message": …}`), same body `{code, scan_id, scanned_at}` and answer shape
(`checkin.gate` is the room).

The body and text helpers below mirror events.api's private `_bounded`, `_body` and `_clean`; they
go once events.api exports them (see the report of issue 14).
"""

from __future__ import annotations

import json
from functools import wraps

from flask import jsonify, request
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from app.agenda import bp, checkin
from app.errors import DomainError, Invalid
from app.events.api import LIMITS, MAX_BODY, BodyTooLarge
from app.events.checkin import NotAuthenticated, ScanScope, scope_for_device, scope_for_user
from app.extensions import csrf
from app.text import clean_text

API = "/api/v1/events/<slug>/sessions/<int:session_id>"
MAX_DEPTH = 3


def _too_large() -> BodyTooLarge:
    return BodyTooLarge(f"Dữ liệu gửi lên quá lớn (tối đa {MAX_BODY // 1024} KB).", code="request_too_large")


def _invalid_json(message: str) -> DomainError:
    return DomainError(message, code="invalid_json")


def _bounded(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        request.max_content_length = MAX_BODY
        if (request.content_length or 0) > MAX_BODY:
            raise _too_large()
        return view(*args, **kwargs)

    return wrapped


def _scope(slug: str) -> ScanScope:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return scope_for_device(slug, header[7:].strip())
    if not current_user.is_authenticated:
        raise NotAuthenticated("Vui lòng đăng nhập hoặc dùng mã thiết bị.", code="unauthorized")
    csrf.protect()  # both routes change state
    return scope_for_user(slug, current_user)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _too_deep(value) -> bool:
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            if level > MAX_DEPTH:
                return True
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def _body(*, required: bool = True) -> dict:
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge as exc:
        raise _too_large() from exc
    if not raw.strip():
        if not required:
            return {}
        raise _invalid_json("Thiếu dữ liệu: hãy gửi một đối tượng JSON.")
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise _invalid_json("Dữ liệu JSON lồng nhau quá sâu.") from exc
    except ValueError as exc:
        raise _invalid_json("Dữ liệu gửi lên không phải JSON hợp lệ.") from exc
    if not isinstance(data, dict):
        raise _invalid_json("Dữ liệu gửi lên phải là một đối tượng JSON {…}.")
    if _too_deep(data):
        raise _invalid_json("Dữ liệu JSON lồng nhau quá sâu.")
    return data


def _clean(value, key: str, *, multiline: bool = False) -> str:
    try:
        return clean_text(value, field=key, label=key, multiline=multiline, max_length=LIMITS[key])
    except Invalid as exc:
        raise Invalid(exc.message, field=key, code=f"invalid_{key}") from exc


@csrf.exempt
@bp.post(API + "/checkins")
@_bounded
def api_session_checkin(slug: str, session_id: int):
    scope = _scope(slug)
    data = _body()
    if "code" not in data:
        raise Invalid("Thiếu trường “code” (nội dung mã quét được).", field="code", code="missing_code")
    answer = checkin.record_session_checkin(
        scope,
        session_id,
        _clean(data.get("code"), "code", multiline=True),
        scan_id=_clean(data.get("scan_id"), "scan_id") or None,
        scanned_at=_clean(data.get("scanned_at"), "scanned_at") or None,
    )
    return jsonify(answer)


@csrf.exempt
@bp.delete(API + "/checkins/<int:checkin_id>")
@_bounded
def api_session_undo(slug: str, session_id: int, checkin_id: int):
    scope = _scope(slug)
    data = _body(required=False)
    reason = (
        _clean(data.get("reason"), "reason")
        if "reason" in data
        else _clean(request.args.get("reason"), "reason")
    )
    undone = checkin.undo_session_checkin(scope, session_id, checkin_id, reason)
    return jsonify(
        {
            "result": "undone",
            "message": "Đã huỷ lượt check-in vào phiên.",
            "checkin": {
                "id": undone.id,
                "undone_at": undone.undone_at.isoformat() if undone.undone_at else None,
                "reason": undone.undo_reason,
            },
        }
    )
