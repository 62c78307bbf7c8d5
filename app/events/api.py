"""Check-in API (SPEC §9), JSON, for the scanner page and any scanner device.

Authentication: `Authorization: Bearer <device token>` (per device, revocable), or the session of
a check-in staff member / organiser. Only bearer requests skip CSRF: a session-authenticated call
changing state must send the page's CSRF token in the `X-CSRFToken` header, so another site can
never make a logged-in volunteer's browser check people in or undo check-ins.

Bodies: at most 64 KB (413 `request_too_large`, refused unread); a JSON object, parsed without
recursion risk (malformed, not an object, NaN, or nested deeper than ours → 400 `invalid_json`).
Every text field passes `app.text.clean_text` with its column's length: a wrong type, a control or
bidi character, or too long → 422 `invalid_<field>` whose message names the field.
"""

from __future__ import annotations

import gzip
import json
from functools import wraps

from flask import Response, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import RequestEntityTooLarge

from app.errors import DomainError, Invalid
from app.events import bp, checkin, desk, offline
from app.events.stats import event_stats
from app.extensions import csrf
from app.privacy.services import purposes_for
from app.text import clean_text

API = "/api/v1/events/<slug>"
# A scan is a few hundred bytes and a walk-in under 2 KB: 64 KB leaves room for any client while
# keeping what one request can make the server parse (and keep in memory) small.
MAX_BODY = 64 * 1024
# Our bodies are flat objects (consents is the one nested object); deeper nesting is never ours
# and, deep enough, makes Python's JSON parser raise RecursionError.
MAX_DEPTH = 3
# The longest text each field may carry (the columns' sizes; a scanned code may be a ticket URL).
LIMITS = {
    "code": 2000,
    "gate": 80,
    "scan_id": 64,
    "scanned_at": 40,
    "reason": 300,
    "q": 100,
    "group": 200,
    "full_name": 120,
    "phone": 20,
    "email": 254,
    "organisation": 200,
    "category": 80,
    "group_name": 200,
}


class BodyTooLarge(DomainError):
    status = 413


def _too_large() -> BodyTooLarge:
    return BodyTooLarge(f"Dữ liệu gửi lên quá lớn (tối đa {MAX_BODY // 1024} KB).", code="request_too_large")


def _invalid_json(message: str) -> DomainError:
    return DomainError(message, code="invalid_json")  # 400: the body is not a request at all


def bounded(view):
    """Every API call (also the agenda's room-door API): a body larger than MAX_BODY is refused unread (413), whatever it claims."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        request.max_content_length = MAX_BODY  # also caps chunked bodies that announce no length
        if (request.content_length or 0) > MAX_BODY:
            raise _too_large()
        return view(*args, **kwargs)

    return wrapped


def scan_scope(slug: str) -> checkin.ScanScope:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return checkin.scope_for_device(slug, header[7:].strip())
    if not current_user.is_authenticated:
        raise checkin.NotAuthenticated("Vui lòng đăng nhập hoặc dùng mã thiết bị.", code="unauthorized")
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()  # raises CSRFError (400 JSON) without a valid X-CSRFToken header
    return checkin.scope_for_user(slug, current_user)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")  # NaN, Infinity: Python accepts them, JSON does not


def _depth(value) -> int:
    """How deeply lists and objects nest (iterative: the check itself must not recurse)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if deepest > MAX_DEPTH:
                return deepest
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def json_body(*, required: bool = True) -> dict:
    """The request's JSON object: malformed, not an object, or nested too deep → 400 invalid_json."""
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
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, NaN/Infinity
        raise _invalid_json("Dữ liệu gửi lên không phải JSON hợp lệ.") from exc
    if not isinstance(data, dict):
        raise _invalid_json("Dữ liệu gửi lên phải là một đối tượng JSON {…}.")
    if _depth(data) > MAX_DEPTH:
        raise _invalid_json("Dữ liệu JSON lồng nhau quá sâu.")
    return data


def clean_field(value, key: str, *, multiline: bool = False) -> str:
    """One text field through the one text path; a refusal is a 422 whose message and code name it."""
    try:
        return clean_text(value, field=key, label=key, multiline=multiline, max_length=LIMITS[key])
    except Invalid as exc:
        raise Invalid(exc.message, field=key, code=f"invalid_{key}") from exc


def _text(data: dict, key: str, *, multiline: bool = False) -> str:
    return clean_field(data.get(key), key, multiline=multiline)


@csrf.exempt
@bp.post(API + "/checkins")
@bounded
def api_checkin(slug: str):
    scope = scan_scope(slug)
    data = json_body()
    if "code" not in data:
        raise Invalid("Thiếu trường “code” (nội dung mã quét được).", field="code", code="missing_code")
    answer = checkin.record_checkin(
        scope,
        # USB scanners end the code with a newline or a tab: allowed here, stripped, never stored.
        _text(data, "code", multiline=True),
        gate=_text(data, "gate"),
        scan_id=_text(data, "scan_id") or None,
        scanned_at=_text(data, "scanned_at") or None,
    )
    return jsonify(answer)


@csrf.exempt
@bp.delete(API + "/checkins/<int:checkin_id>")
@bounded
def api_undo(slug: str, checkin_id: int):
    scope = scan_scope(slug)
    data = json_body(required=False)
    reason = _text(data, "reason") if "reason" in data else clean_field(request.args.get("reason"), "reason")
    undone = checkin.undo_checkin(scope, checkin_id, reason)
    return jsonify(
        {
            "result": "undone",
            "message": "Đã huỷ lượt check-in.",
            "checkin": {
                "id": undone.id,
                "undone_at": undone.undone_at.isoformat() if undone.undone_at else None,
                "reason": undone.undo_reason,
            },
        }
    )


@bp.get(API + "/stats")
@bounded
def api_stats(slug: str):
    scope = scan_scope(slug)
    response = jsonify(event_stats(scope.event_id))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get(API + "/tickets")
@bounded
def api_ticket_list(slug: str):
    """The ticket list a scanner keeps for offline use (see events/offline.py): staff, organisers and
    devices of this event only; refused once the event has ended (409 event_ended) unless late
    check-in is allowed. An unchanged list is a 304 (the scanner sends its ETag back)."""
    scope = scan_scope(slug)
    offline.refuse_if_ended(scope)
    etag = offline.list_fingerprint(scope.event_id)
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        body = offline.ticket_list(scope)
        if scope.user is not None:
            # A page opened from the offline cache may carry an old CSRF token: the next sync needs this one.
            body["csrf"] = generate_csrf()
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        response = Response(data, mimetype="application/json")
        if request.accept_encodings.best_match(["gzip"]) == "gzip":
            # Thousands of rows: compressed here (≈ 4× smaller) so it stays small without a proxy's help.
            response.set_data(gzip.compress(data, 6))
            response.headers["Content-Encoding"] = "gzip"
        response.headers["Vary"] = "Accept-Encoding, Cookie, Authorization"
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get(API + "/attendees")
@bounded
def api_search(slug: str):
    scope = scan_scope(slug)
    results = desk.search_attendees(scope, clean_field(request.args.get("q"), "q"))
    return jsonify({"results": results, "count": len(results)})


@csrf.exempt
@bp.post(API + "/walkins")
@bounded
def api_walk_in(slug: str):
    scope = scan_scope(slug)
    data = json_body()
    fields = {
        key: _text(data, key)
        for key in ("full_name", "phone", "email", "organisation", "category", "group_name")
    }
    consents = data.get("consents") or {}
    if not isinstance(consents, dict) or not all(isinstance(v, bool) for v in consents.values()):
        raise Invalid(
            "Trường “consents” phải là đối tượng {mục: true/false}.",
            field="consents",
            code="invalid_consents",
        )
    choices = {
        purpose.code: bool(consents.get(purpose.code)) for purpose, _req in purposes_for("event_registration")
    }
    answer = checkin.walk_in(
        scope, fields, choices, gate=_text(data, "gate"), scan_id=_text(data, "scan_id") or None
    )
    return jsonify(answer), 201


@csrf.exempt
@bp.post(API + "/groups/checkins")
@bounded
def api_group_checkin(slug: str):
    scope = scan_scope(slug)
    data = json_body()
    return jsonify(checkin.checkin_group(scope, _text(data, "group"), gate=_text(data, "gate")))
