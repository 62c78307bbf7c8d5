"""The judge's score sheet: the page (save a draft, check and confirm before submitting, submit),
declaring a conflict of interest from it, and the entry's files. Thin: parse, call one service,
show the result or the error."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from app.accounts.access import role_required
from app.accounts.models import Role
from app.contests.files import MIME_TYPES
from app.errors import DomainError, apply_error
from app.judging import bp, forms
from app.judging.models import SheetStatus
from app.judging.services import panel, sheet_checks, sheets
from app.judging.services.rounds import rubric_of


def _sheet_context(assignment, **extra):
    rubric = rubric_of(assignment.round)
    return {
        "running": sheet_checks.running_total(rubric, extra.get("values") or {}),
        "assignment": assignment,
        "round": assignment.round,
        "rubric": rubric,
        "entry": sheets.entry_for_sheet(assignment),
        "conflict_form": forms.DeclareConflictForm(),
        "short_score": sheet_checks.short_score,
        "locked": assignment.status == SheetStatus.SUBMITTED.value
        or assignment.round.published_at is not None,
        **extra,
    }


@bp.route("/vong/<int:round_id>/ho-so/<int:entry_id>", methods=["GET", "POST"])
@role_required(Role.JUDGE)
def sheet(round_id: int, entry_id: int):
    """GET the sheet; POST action=save (a draft), submit (the summary to confirm, nothing saved: the
    step a page without JavaScript shows), confirm (submit and lock) or edit (back from the summary
    to the sheet with what was typed)."""
    assignment = sheets.get_sheet_for_judge(current_user, round_id, entry_id)
    if request.method == "GET":
        return render_template(
            "judging/sheet.html",
            **_sheet_context(
                assignment,
                values=sheet_checks.shown_scores(assignment.scores),
                comments=dict(assignment.comments),
                general_comment=assignment.general_comment,
                version=assignment.version,
            ),
        )
    rubric = rubric_of(assignment.round)
    scores = {c.id: request.form.get(f"score-{c.id}", "") for c in rubric.criteria}
    comments = {c.id: request.form.get(f"comment-{c.id}", "") for c in rubric.criteria}
    general = request.form.get("general_comment", "")
    action = request.form.get("action")
    typed = {"values": scores, "comments": comments, "general_comment": general}
    try:
        if action == "edit":
            if assignment.status == SheetStatus.SUBMITTED.value or assignment.round.published_at:
                return redirect(url_for("judging.sheet", round_id=round_id, entry_id=entry_id))
            return render_template(
                "judging/sheet.html",
                **_sheet_context(assignment, **typed, version=request.form.get("version")),
            )
        if action == "submit":
            summary = sheet_checks.review_sheet(current_user, assignment, scores, request.form.get("version"))
            return render_template(
                "judging/sheet_confirm.html",
                **_sheet_context(assignment, **typed, version=assignment.version, summary=summary),
            )
        sheets.save_sheet(
            current_user,
            assignment,
            scores,
            comments,
            general,
            request.form.get("version"),
            submit=action == "confirm",
        )
    except DomainError as error:
        # Keep what the judge typed on the page whatever went wrong.
        context = {
            **typed,
            "version": request.form.get("version"),
            "error": error.message,
            "field_errors": getattr(error, "errors", {}),
        }
        if isinstance(error, sheet_checks.StaleSheet):
            context["saved"] = sheet_checks.shown_scores(error.current.scores)
            context["saved_comments"] = dict(error.current.comments)
            context["version"] = error.current.version
        assignment = sheets.get_sheet_for_judge(current_user, round_id, entry_id)
        return render_template("judging/sheet.html", **_sheet_context(assignment, **context)), error.status
    if action == "confirm":
        flash("Đã nộp phiếu chấm. Phiếu đã được khoá.", "success")
        return redirect(url_for("judging.dashboard"))
    flash("Đã lưu bản nháp.", "success")
    return redirect(url_for("judging.sheet", round_id=round_id, entry_id=entry_id))


@bp.post("/vong/<int:round_id>/ho-so/<int:entry_id>/xung-dot")
@role_required(Role.JUDGE)
def declare_conflict(round_id: int, entry_id: int):
    form = forms.DeclareConflictForm()
    assignment = sheets.get_sheet_for_judge(current_user, round_id, entry_id)
    if form.validate_on_submit():
        try:
            panel.declare_conflict(current_user, round_id, entry_id, form.kind.data, form.note.data)
        except DomainError as error:
            apply_error(form, error)
        else:
            flash("Đã ghi nhận xung đột lợi ích. Hồ sơ này đã được bỏ khỏi danh sách chấm của bạn.", "info")
            return redirect(url_for("judging.dashboard"))
    context = _sheet_context(
        assignment,
        values=sheet_checks.shown_scores(assignment.scores),
        comments=dict(assignment.comments),
        general_comment=assignment.general_comment,
        version=assignment.version,
    )
    context["conflict_form"] = form
    return render_template("judging/sheet.html", **context), 422


@bp.get("/vong/<int:round_id>/ho-so/<int:entry_id>/tep/<int:file_id>")
@role_required(Role.JUDGE)
def sheet_file(round_id: int, entry_id: int, file_id: int):
    row, path, name = sheets.file_for_judge(current_user, round_id, entry_id, file_id)
    return send_file(path, mimetype=MIME_TYPES.get(row.kind), as_attachment=True, download_name=name)
