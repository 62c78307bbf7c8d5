"""The judges' phones during the live final: a page that follows the stage (the team on stage, its
timer, the judge's sheet for that team), the state it polls every second, the sheet fragment it swaps
in when the console moves on, and the sheet's JSON save (drafts as the judge types, then submit).

Only judges on the round's panel see any of it. The sheet is judging's own (`save_sheet`, with the
live guard: only the team on stage is scored); this module only shapes it for a phone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Response, jsonify, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.accounts.access import role_required
from app.accounts.models import Role, User
from app.errors import DomainError, Invalid, NotFound
from app.extensions import db
from app.judging.models import Assignment, ConflictStatus, Round, RoundJudge, SheetStatus
from app.judging.models import Conflict as ConflictOfInterest
from app.judging.services import sheet_checks, sheets
from app.judging.services.rounds import rubric_of
from app.live import bp, responses, services, state
from app.live.models import CLOSED, ON_STAGE, LiveSlot, LiveStage
from app.localtime import to_local, utcnow

NOT_ON_PANEL = "Bạn không thuộc hội đồng giám khảo của vòng chung kết này."
NOT_LIVE = "Vòng này chưa được bật chế độ chung kết trực tiếp."
COMMENT_TOO_LONG = f"Nhận xét tối đa {sheets.COMMENT_LIMIT} ký tự."

# round id → stage id: a stage never moves to another round, so each process keeps what it read.
_stage_ids: dict[int, int] = {}


def _on_panel(judge: User, round_id: int) -> bool:
    return (
        db.session.scalar(
            select(RoundJudge.id).where(RoundJudge.round_id == round_id, RoundJudge.user_id == judge.id)
        )
        is not None
    )


def _stage_for_judge(judge: User, round_id: int) -> tuple[Round, LiveStage]:
    """The round and its stage for a judge on the round's panel; 404 for anyone else."""
    round_ = db.session.get(Round, round_id)
    if round_ is None or not _on_panel(judge, round_id):
        raise NotFound(NOT_ON_PANEL)
    stage = services.stage_of(round_)
    if stage is None:
        raise NotFound(NOT_LIVE)
    _stage_ids[round_id] = stage.id
    return round_, stage


def _sheet_version(stage_id: int, judge_id: int) -> int:
    """The version of the judge's sheet for the team now on stage (0: none): one indexed query."""
    version = db.session.scalar(
        select(Assignment.version)
        .join(
            LiveStage,
            (LiveStage.round_id == Assignment.round_id) & (LiveStage.current_entry_id == Assignment.entry_id),
        )
        .where(LiveStage.id == stage_id, Assignment.judge_id == judge_id)
    )
    return version or 0


# --- what the judge sees of the team on stage ------------------------------------------------------


@dataclass
class SheetView:
    """The sheet area of the judge's page. mode: empty (nobody on stage), conflict, unassigned,
    sheet (the form, read-only when locked)."""

    mode: str
    slot: LiveSlot | None = None
    last_closed: LiveSlot | None = None
    assignment: Assignment | None = None
    locked: bool = False

    @property
    def key(self) -> str:
        """What the page compares with the polled state to know when to swap the sheet."""
        entry = self.slot.entry_id if self.slot is not None else 0
        return f"{entry}|{self.mode}|{'locked' if self.locked else 'open'}"


def sheet_view(stage: LiveStage, judge: User) -> SheetView:
    slot = services.current_slot(stage)
    if slot is None or slot.state != ON_STAGE:
        closed = [s for s in stage.slots if s.state == CLOSED]
        last = max(closed, key=lambda s: (s.closed_at or utcnow(), s.position)) if closed else None
        return SheetView("empty", last_closed=last)
    conflict = db.session.scalar(
        select(ConflictOfInterest.id).where(
            ConflictOfInterest.judge_id == judge.id,
            ConflictOfInterest.entry_id == slot.entry_id,
            ConflictOfInterest.status == ConflictStatus.CONFIRMED.value,
        )
    )
    if conflict is not None:
        return SheetView("conflict", slot)
    assignment = db.session.scalar(
        select(Assignment).where(
            Assignment.round_id == stage.round_id,
            Assignment.entry_id == slot.entry_id,
            Assignment.judge_id == judge.id,
        )
    )
    if assignment is None:
        return SheetView("unassigned", slot)
    locked = assignment.status == SheetStatus.SUBMITTED.value or assignment.round.published_at is not None
    return SheetView("sheet", slot, assignment=assignment, locked=locked)


def _sheet_context(round_: Round, stage: LiveStage, view: SheetView) -> dict[str, Any]:
    context: dict[str, Any] = {"round": round_, "stage": stage, "view": view}
    entries = services.entries_by_id(stage)
    if view.slot is not None:
        context["entry"] = entries.get(view.slot.entry_id)
    if view.last_closed is not None:
        context["closed_entry"] = entries.get(view.last_closed.entry_id)
    if view.assignment is not None:
        row = view.assignment
        rubric = rubric_of(round_)
        values = sheet_checks.shown_scores(row.scores)
        context.update(
            assignment=row,
            rubric=rubric,
            sheet_entry=sheets.entry_for_sheet(row),
            values=values,
            running=sheet_checks.running_total(rubric, values),
            comments=dict(row.comments or {}),
            general_comment=row.general_comment or "",
            updated_ms=int(row.updated_at.timestamp() * 1000) if row.updated_at else 0,
            save_url=url_for("live.judge_save", round_id=round_.id, entry_id=row.entry_id),
        )
    return context


@bp.get("/truc-tiep/vong/<int:round_id>/giam-khao")
@role_required(Role.JUDGE)
def judge_page(round_id: int):
    round_, stage = _stage_for_judge(current_user, round_id)
    facts = state.judge_state(stage, current_user)
    return render_template(
        "live/judge.html",
        state=facts,
        state_url=url_for("live.judge_state", round_id=round_id),
        sheet_url=url_for("live.judge_sheet", round_id=round_id),
        **_sheet_context(round_, stage, sheet_view(stage, current_user)),
    )


@bp.get("/truc-tiep/vong/<int:round_id>/giam-khao/phieu")
@role_required(Role.JUDGE)
def judge_sheet(round_id: int):
    round_, stage = _stage_for_judge(current_user, round_id)
    html = render_template(
        "live/_judge_sheet.html", **_sheet_context(round_, stage, sheet_view(stage, current_user))
    )
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/truc-tiep/vong/<int:round_id>/giam-khao/trang-thai")
@role_required(Role.JUDGE)
def judge_state(round_id: int):
    """The stage as this judge sees it; 304 while neither the stage nor the judge's sheet changed."""
    stage_id = _stage_ids.get(round_id)
    if stage_id is not None and request.if_none_match and _on_panel(current_user, round_id):
        found = state.cached_version(f"id:{stage_id}")
        if found is not None:
            tag = state.etag(found[1], _sheet_version(stage_id, current_user.id))
            if request.if_none_match.contains(tag):
                return responses.not_modified(tag)
    _round, stage = _stage_for_judge(current_user, round_id)
    response = jsonify(state.judge_state(stage, current_user))
    response.headers["Cache-Control"] = "no-cache"
    response.set_etag(state.etag(stage.version, _sheet_version(stage.id, current_user.id)))
    return response


# --- saving -------------------------------------------------------------------------------------------


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Invalid("Dữ liệu phiếu chấm không hợp lệ.", field=key)
    return str(value)


def _error(error: DomainError, **extra: Any) -> tuple[Response, int]:
    body = {"error": error.code, "message": error.message, **extra}
    if error.field and "errors" not in body:
        body["errors"] = {error.field: error.message}
    return jsonify(body), error.status


@bp.post("/api/v1/truc-tiep/vong/<int:round_id>/phieu/<int:entry_id>")
@role_required(Role.JUDGE)
def judge_save(round_id: int, entry_id: int):
    """Save the judge's sheet from the phone (JSON or a form): action=save (a draft, blanks allowed)
    or submit. Answers JSON in every case: {status, version, saved_at} or {error, message, errors}."""
    try:
        round_, _stage = _stage_for_judge(current_user, round_id)
        assignment = sheets.get_sheet_for_judge(current_user, round_id, entry_id)
        data = request.get_json(silent=True) if request.is_json else request.form.to_dict()
        if not isinstance(data, dict):
            raise Invalid("Dữ liệu phiếu chấm không hợp lệ.")
        action = _text(data, "action") or "save"
        if action not in ("save", "submit"):
            raise Invalid("Thao tác không hợp lệ.", field="action")
        rubric = rubric_of(round_)
        scores = {c.id: _text(data, f"score-{c.id}").strip() for c in rubric.criteria}
        comments = {c.id: _text(data, f"comment-{c.id}") for c in rubric.criteria}
        general = _text(data, "general_comment")
        too_long = {
            cid: COMMENT_TOO_LONG for cid, text in comments.items() if len(text) > sheets.COMMENT_LIMIT
        }
        if len(general) > sheets.COMMENT_LIMIT:
            too_long["general_comment"] = COMMENT_TOO_LONG
        if too_long:
            raise sheet_checks.SheetErrors(COMMENT_TOO_LONG, too_long)
        version = data.get("version")
        sheets.save_sheet(
            current_user,
            assignment,
            scores,
            comments,
            general,
            None if version in (None, "") or isinstance(version, bool) else str(version),
            submit=action == "submit",
        )
    except sheet_checks.StaleSheet as error:
        current = error.current
        return _error(
            error,
            version=current.version,
            status=current.status,
            scores=dict(current.scores or {}),
            comments=dict(current.comments or {}),
            general_comment=current.general_comment or "",
        )
    except sheet_checks.SheetErrors as error:
        return _error(error, errors=error.errors)
    except DomainError as error:
        return _error(error)
    saved = to_local(assignment.updated_at or utcnow())
    response = jsonify(
        {
            "status": assignment.status,
            "version": assignment.version,
            "saved_at": saved.isoformat(),
            "saved_time": saved.strftime("%H:%M:%S"),
        }
    )
    response.headers["Cache-Control"] = "no-store"
    return response
