"""The audience vote: the public page on attendees' phones (works as a plain form without JS), its JSON
API, the QR the projector shows, and the console's open/close command. The link to the vote on a
ticket's page (events/ticket.html) comes from the `live_vote_url` template global set up here.

The JSON API is CSRF-exempt: it acts on no session or cookie — the ticket code in the body is the
voter's only credential, so a forged cross-site request can do nothing its sender could not do
with the same code. Its body is bounded (413 unread above MAX_BODY)."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, jsonify, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from app.accounts.access import role_required
from app.accounts.models import Role
from app.errors import DomainError, Invalid
from app.events import tickets
from app.events.models import Ticket
from app.extensions import csrf
from app.judging import services as judging
from app.live import bp, responses, services, votes
from app.live.models import NO_SHOW, LiveStage
from app.text import whole_number
from app.urls import absolute_url

MAX_BODY = 4 * 1024  # {"ticket": "<a ticket URL>", "entry_id": 12} is under 200 bytes
WINDOW_LABELS = {
    "disabled": "Vòng thi này không có bình chọn của khán giả.",
    "not_open": "Bình chọn chưa mở. Trang sẽ tự cho phép bình chọn khi ban tổ chức mở.",
    "open": "Bình chọn đang mở.",
    "closed": "Bình chọn đã đóng. Cảm ơn bạn đã tham gia!",
}


class BodyTooLarge(DomainError):
    status = 413


def _teams(stage: LiveStage) -> list[dict[str, Any]]:
    entries = services.entries_by_id(stage)
    return [
        {
            "entry_id": s.entry_id,
            "code": entries[s.entry_id].code or "",
            "title": entries[s.entry_id].title,
            "no_show": s.state == NO_SHOW,
        }
        for s in stage.slots
    ]


def _page(
    stage: LiveStage,
    key: str,
    *,
    ticket: str = "",
    chosen: int | None = None,
    message: str = "",
    ok: bool = False,
    status: int = 200,
) -> tuple[str, int]:
    window = votes.window_state(stage)
    html = render_template(
        "live/vote.html",
        stage=stage,
        key=key,
        round_name=judging.get_round(stage.round_id).name,
        teams=_teams(stage),
        window=window,
        window_label=WINDOW_LABELS[window],
        rule=votes.RULE,
        ticket=ticket,
        chosen=chosen,
        message=message,
        ok=ok,
    )
    return html, status


def _prefill(value: str) -> str:
    """`?ve=` (or the field sent back): the code alone when it is a ticket URL, within reason."""
    return tickets.extract_code(value[: votes.MAX_SCANNED])[:64] if value else ""


@bp.get("/binh-chon/<key>")
def vote_page(key: str):
    stage = services.stage_by_key(key)
    return _page(stage, key, ticket=_prefill(request.args.get("ve", "")))


@bp.post("/binh-chon/<key>")
def vote_form(key: str):
    """The page's form without JS: answers the page again with the outcome (200, or the error's 4xx)."""
    stage = services.stage_by_key(key)
    scanned = request.form.get("ticket", "")
    entry_id = whole_number(request.form.get("entry_id", ""))
    try:
        answer = votes.cast_vote(stage, scanned, entry_id)
    except DomainError as error:
        return _page(
            stage,
            key,
            ticket=_prefill(scanned),
            chosen=entry_id,
            message=error.message,
            status=error.status,
        )
    return _page(
        stage, key, ticket=_prefill(scanned), chosen=answer.entry_id, message=answer.message, ok=True
    )


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _body() -> dict[str, Any]:
    """The JSON object sent, bounded: too large → 413 unread; not a JSON object → 400."""
    request.max_content_length = MAX_BODY  # also caps chunked bodies that announce no length
    too_large = BodyTooLarge(
        f"Dữ liệu gửi lên quá lớn (tối đa {MAX_BODY // 1024} KB).", code="request_too_large"
    )
    if (request.content_length or 0) > MAX_BODY:
        raise too_large
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge as exc:
        raise too_large from exc
    bad = DomainError('Gửi một đối tượng JSON {"ticket": …, "entry_id": …}.', code="invalid_json")
    try:
        data = json.loads(raw, parse_constant=_refuse_constant) if raw.strip() else None
    except (ValueError, RecursionError) as exc:  # malformed, not UTF-8, NaN, nested absurdly deep
        raise bad from exc
    if not isinstance(data, dict):
        raise bad
    return data


def _entry_id(value: object) -> int:
    if isinstance(value, str):
        number = whole_number(value)
    else:
        number = value if type(value) is int and 0 < value < 2**31 else None
    if number is None:
        raise Invalid("Chọn một đội trong danh sách.", field="entry_id", code="entry_invalid")
    return number


@csrf.exempt
@bp.post("/api/v1/binh-chon/<key>")
def vote_api(key: str):
    """{"ticket": code or ticket URL, "entry_id": id} → {ok, replaced, message, entry}; errors
    {error, message} with 4xx."""
    data = _body()
    stage = services.stage_by_key(key)
    answer = votes.cast_vote(stage, data.get("ticket"), _entry_id(data.get("entry_id")))
    response = jsonify(
        {
            "ok": True,
            "replaced": answer.replaced,
            "message": answer.message,
            "entry": {"entry_id": answer.entry_id, "code": answer.code, "title": answer.title},
        }
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/binh-chon/<key>/qr.png")
def vote_qr(key: str):
    """The QR the projector shows: the vote page's absolute address (from BASE_URL)."""
    stage = services.stage_by_key(key)
    png = tickets.qr_png(absolute_url("live.vote_page", key=stage.public_key), box_size=12, border=2)
    response = Response(png, mimetype="image/png")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


# --- the console's command ------------------------------------------------------------------------------


@bp.post("/truc-tiep/vong/<int:round_id>/binh-chon")
@role_required(Role.ORGANISER)
def vote_window(round_id: int):
    """Open or close the audience vote (form field `action` = open | close): the console state as
    JSON when asked for JSON, else back to the console with a flash."""
    _round, stage = services.stage_for_organiser(current_user, round_id)
    action = request.form.get("action", "")

    def run() -> str:
        if action == "open":
            votes.open_vote(current_user, stage)
            return "Đã mở bình chọn của khán giả."
        if action == "close":
            votes.close_vote(current_user, stage)
            return "Đã đóng bình chọn của khán giả." + (
                " Kết quả đã được ghi vào điểm thành phần của vòng." if stage.vote_component else ""
            )
        raise Invalid("Lệnh không hợp lệ: mở hoặc đóng bình chọn.", field="action")

    return responses.console_command(round_id, stage, run)


# --- the link on a ticket's page ------------------------------------------------------------------------


def live_vote_url(ticket: Ticket) -> str:
    """The vote page with this ticket's code filled in, while a live final of its event has its
    vote open; "" otherwise."""
    key = votes.vote_link(ticket.event_id)
    return url_for("live.vote_page", key=key, ve=ticket.code) if key else ""


@bp.app_context_processor
def _vote_link_global() -> dict[str, Any]:
    return {"live_vote_url": live_vote_url}
