"""Check-in API at a room's door (JSON): the gate's API (app/events/api.py) for one session.

Same authentication (a device's bearer token of the event, or the session of its check-in staff or
organisers; a session-authenticated call changing state sends the page's CSRF token in
`X-CSRFToken`), same body limits (64 KB, a flat JSON object) and the same JSON errors
(`{"error": code, "message": …}`), same body `{code, scan_id, scanned_at}` and answer shape
(`checkin.gate` is the room).

The body and text helpers below mirror events.api's private `bounded`, `_body` and `_clean`; they
go once events.api exports them (see the report of issue 14).
"""

from __future__ import annotations

from flask import jsonify, request

from app.agenda import bp, checkin
from app.errors import Invalid
from app.events.api import bounded, clean_field, json_body, scan_scope
from app.extensions import csrf

API = "/api/v1/events/<slug>/sessions/<int:session_id>"


@csrf.exempt
@bp.post(API + "/checkins")
@bounded
def api_session_checkin(slug: str, session_id: int):
    scope = scan_scope(slug)
    data = json_body()
    if "code" not in data:
        raise Invalid("Thiếu trường “code” (nội dung mã quét được).", field="code", code="missing_code")
    answer = checkin.record_session_checkin(
        scope,
        session_id,
        clean_field(data.get("code"), "code", multiline=True),
        scan_id=clean_field(data.get("scan_id"), "scan_id") or None,
        scanned_at=clean_field(data.get("scanned_at"), "scanned_at") or None,
    )
    return jsonify(answer)


@csrf.exempt
@bp.delete(API + "/checkins/<int:checkin_id>")
@bounded
def api_session_undo(slug: str, session_id: int, checkin_id: int):
    scope = scan_scope(slug)
    data = json_body(required=False)
    reason = (
        clean_field(data.get("reason"), "reason")
        if "reason" in data
        else clean_field(request.args.get("reason"), "reason")
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
