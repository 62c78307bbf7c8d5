"""Check-in API (SPEC §9), JSON, for the scanner page and any scanner device.

Authentication: `Authorization: Bearer <device token>` (per device, revocable), or the session of
a check-in staff member / organiser. Only bearer requests skip CSRF: a session-authenticated call
changing state must send the page's CSRF token in the `X-CSRFToken` header, so another site can
never make a logged-in volunteer's browser check people in or undo check-ins.
"""

from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

from app.errors import Invalid
from app.events import bp, services
from app.extensions import csrf
from app.privacy.services import purposes_for

API = "/api/v1/events/<slug>"


def _scope(slug: str) -> services.ScanScope:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return services.scope_for_device(slug, header[7:].strip())
    if not current_user.is_authenticated:
        raise services.NotAuthenticated("Vui lòng đăng nhập hoặc dùng mã thiết bị.", code="unauthorized")
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()  # raises CSRFError (400 JSON) without a valid X-CSRFToken header
    return services.scope_for_user(slug, current_user)


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Invalid("Dữ liệu gửi lên phải là một đối tượng JSON.", code="invalid_json")
    return data


def _text(data: dict, key: str, default: str = "") -> str:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise Invalid(f"Trường “{key}” phải là chuỗi.", field=key, code=f"invalid_{key}")
    return value


@csrf.exempt
@bp.post(API + "/checkins")
def api_checkin(slug: str):
    scope = _scope(slug)
    data = _body()
    if "code" not in data:
        raise Invalid("Thiếu trường “code” (nội dung mã quét được).", field="code", code="missing_code")
    answer = services.record_checkin(
        scope,
        _text(data, "code"),
        gate=_text(data, "gate"),
        scan_id=data.get("scan_id"),
        scanned_at=data.get("scanned_at"),
    )
    return jsonify(answer)


@csrf.exempt
@bp.delete(API + "/checkins/<int:checkin_id>")
def api_undo(slug: str, checkin_id: int):
    scope = _scope(slug)
    data = request.get_json(silent=True) or {}
    reason = data.get("reason") if isinstance(data, dict) else None
    reason = reason if isinstance(reason, str) else request.args.get("reason", "")
    checkin = services.undo_checkin(scope, checkin_id, reason)
    return jsonify(
        {
            "result": "undone",
            "message": "Đã huỷ lượt check-in.",
            "checkin": {
                "id": checkin.id,
                "undone_at": checkin.undone_at.isoformat(),
                "reason": checkin.undo_reason,
            },
        }
    )


@bp.get(API + "/stats")
def api_stats(slug: str):
    scope = _scope(slug)
    response = jsonify(services.event_stats(scope.event_id))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get(API + "/attendees")
def api_search(slug: str):
    scope = _scope(slug)
    results = services.search_attendees(scope, request.args.get("q", ""))
    return jsonify({"results": results, "count": len(results)})


@csrf.exempt
@bp.post(API + "/walkins")
def api_walk_in(slug: str):
    scope = _scope(slug)
    data = _body()
    fields = {
        key: _text(data, key)
        for key in ("full_name", "phone", "email", "organisation", "category", "group_name")
    }
    consents = data.get("consents") or {}
    if not isinstance(consents, dict):
        raise Invalid("Trường “consents” phải là đối tượng {mục: true/false}.", code="invalid_consents")
    choices = {
        purpose.code: bool(consents.get(purpose.code)) for purpose, _req in purposes_for("event_registration")
    }
    answer = services.walk_in(scope, fields, choices, gate=_text(data, "gate"), scan_id=data.get("scan_id"))
    return jsonify(answer), 201


@csrf.exempt
@bp.post(API + "/groups/checkins")
def api_group_checkin(slug: str):
    scope = _scope(slug)
    data = _body()
    return jsonify(services.checkin_group(scope, _text(data, "group"), gate=_text(data, "gate")))
