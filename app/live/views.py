"""The live final's console (organisers, laptop) and projector (read-only link): pages, the console's
commands and the state they poll. The judges' pages are in judge_views.py, the audience vote in
vote_views.py, the minutes in minutes_views.py."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.accounts.access import role_required
from app.accounts.models import Role
from app.errors import DomainError, Invalid, NotFound, apply_error
from app.events.permissions import manageable_events
from app.judging import services as judging
from app.live import bp, forms, responses, services, state
from app.live.models import LiveStage
from app.text import whole_number


@bp.app_context_processor
def live_helpers() -> dict[str, Any]:
    """`live_round_ids()` for judging's pages: the rounds that are live (a judge's dashboard links
    their live page). One small query, only when a page asks."""
    return {"live_round_ids": services.live_round_ids}


def _choices(form: forms.StageForm, round_id: int) -> None:
    round_ = judging.get_round(round_id)
    events = [e for e in manageable_events(current_user) if e.contest_id in (None, round_.contest_id)]
    form.event_id.choices = [("", "— Không bình chọn —")] + [(str(e.id), e.name) for e in events]
    form.vote_component.choices = [("", "— Chỉ đếm phiếu (giải phụ, biên bản) —")] + [
        (str(c.get("id")), str(c.get("name"))) for c in (round_.components or [])
    ]


def _settings(form: forms.StageForm) -> services.StageSettings:
    return services.StageSettings(
        pitch_minutes=form.pitch_minutes.data or 8,
        qa_minutes=form.qa_minutes.data or 10,
        event_id=whole_number(form.event_id.data),
        vote_enabled=bool(form.vote_enabled.data),
        vote_component="" if form.vote_component.data in (None, "None") else form.vote_component.data,
    )


def _fill(form: forms.StageForm, stage: LiveStage) -> None:
    form.pitch_minutes.data = stage.pitch_seconds // 60
    form.qa_minutes.data = stage.qa_seconds // 60
    form.event_id.data = str(stage.event_id) if stage.event_id else ""
    form.vote_enabled.data = stage.vote_enabled
    form.vote_component.data = stage.vote_component


@bp.route("/truc-tiep/vong/<int:round_id>", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def console(round_id: int):
    """The console; for a round not yet live, the form that makes it live (POST)."""
    round_ = judging.get_round_for_organiser(current_user, round_id)
    stage = services.stage_of(round_)
    form = forms.StageForm()
    _choices(form, round_id)
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                if stage is None:
                    stage = services.enable(current_user, round_, _settings(form))
                    flash(
                        "Đã bật chế độ chung kết trực tiếp. Bốc thăm hoặc xếp thứ tự thi rồi bắt đầu.",
                        "success",
                    )
                else:
                    services.apply_settings(current_user, stage, _settings(form))
                    flash("Đã lưu cài đặt.", "success")
            except DomainError as error:
                apply_error(form, error)
            else:
                return redirect(url_for("live.console", round_id=round_id), 303)
        status = 422
    else:
        status = 200
        if stage is not None:
            _fill(form, stage)
    if stage is None:
        return render_template("live/setup.html", round=round_, form=form), status
    return render_template(
        "live/console.html",
        round=round_,
        stage=stage,
        form=form,
        state=state.console_state(stage),
        projector_url=url_for("live.projector", key=stage.public_key),
    ), status


COMMANDS = {
    "start": "Bắt đầu đội",
    "qa": "Chuyển sang hỏi đáp",
    "pitch": "Quay lại thuyết trình",
    "pause": "Tạm dừng",
    "resume": "Tiếp tục",
    "back": "Đưa đội về chờ",
    "close": "Chốt điểm đội",
    "no_show": "Đánh dấu vắng mặt",
    "nudge": "Nhắc giám khảo",
    "draw": "Bốc thăm thứ tự",
    "order": "Lưu thứ tự",
    "release": "Cho phép công bố",
    "reveal": "Công bố giải tiếp theo",
}


def _entry_id(form: Any) -> int:
    value = whole_number(form.get("entry_id", ""))
    if value is None:
        raise Invalid("Chọn đội.", field="entry_id")
    return value


@bp.post("/truc-tiep/vong/<int:round_id>/lenh")
@role_required(Role.ORGANISER)
def command(round_id: int):
    """One console command (form field `action`); answers the new console state as JSON, or
    redirects back to the console for a plain form post."""
    _round, stage = services.stage_for_organiser(current_user, round_id)
    action = request.form.get("action", "")

    def run() -> str:
        _run(stage, action, request.form)
        return f"{COMMANDS[action]}: đã thực hiện."

    return responses.console_command(round_id, stage, run)


def _run(stage: LiveStage, action: str, form: Any) -> None:
    user = current_user
    reason = form.get("reason", "")
    if action == "start":
        services.start(user, stage, whole_number(form.get("entry_id", "")) or None)
    elif action in ("qa", "pitch"):
        services.set_phase(user, stage, action)
    elif action == "pause":
        services.pause(user, stage)
    elif action == "resume":
        services.resume(user, stage)
    elif action == "back":
        services.step_back(user, stage)
    elif action == "close":
        services.close(user, stage, reason)
    elif action == "no_show":
        services.no_show(user, stage, _entry_id(form), reason)
    elif action == "nudge":
        judge_id = whole_number(form.get("judge_id", ""))
        if judge_id is None:
            raise Invalid("Chọn giám khảo.", field="judge_id")
        services.nudge(user, stage, judge_id)
    elif action == "draw":
        services.draw_order(user, stage, form.get("seed", ""))
    elif action == "order":
        ids = [whole_number(p) for p in form.get("order", "").replace(";", ",").split(",") if p.strip()]
        if any(i is None for i in ids):
            raise Invalid("Thứ tự không hợp lệ.", field="order")
        services.set_order(user, stage, [i for i in ids if i is not None])
    elif action == "release":
        services.release(user, stage)
    elif action == "reveal":
        services.reveal_next(user, stage, len(state.reveal_levels(judging.get_round(stage.round_id))))
    else:
        raise Invalid("Lệnh không hợp lệ.", field="action")


@bp.get("/truc-tiep/vong/<int:round_id>/trang-thai")
@role_required(Role.ORGANISER)
def console_state(round_id: int):
    _round, stage = services.stage_for_organiser(current_user, round_id)
    return responses.fresh_json(state.console_state(stage))


# --- the projector: a read-only link, no login (the hall's PC) ----------------------------------------


@bp.get("/man-hinh/<key>")
def projector(key: str):
    stage = services.stage_by_key(key)
    return render_template("live/projector.html", stage=stage, state=state.public_state(stage), key=key)


@bp.get("/man-hinh/<key>/trang-thai")
def projector_state(key: str):
    found = state.cached_version(f"key:{key[:43]}")
    if found is None:
        raise NotFound("Liên kết màn hình trình chiếu không đúng hoặc đã được thay.")
    stage_id, version = found
    tag = state.etag(version)
    if request.if_none_match.contains(tag):
        return responses.not_modified(tag)
    data = state.cached_public_state(None, stage_id, version)
    response = responses.fresh_json(data)
    response.set_etag(state.etag(data["version"]))
    return response
