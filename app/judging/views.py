"""Judging pages: the judge's dashboard, conflicts and profile, invitations, the organisers' rounds,
rubric, rules, judges, conflicts, assignment, progress and results, and applicants' results (the
judge's score sheet is in sheet_views). Thin: parse, call one service, show the result or the error."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user

from app.accounts import services as account_services
from app.accounts.access import role_required
from app.accounts.models import Role
from app.contests.permissions import get_contest_for_organiser
from app.contests.units import communes
from app.errors import DomainError, Invalid, apply_error, form_status
from app.judging import bp, forms, scoring
from app.judging.models import (
    CONFLICT_KIND_LABELS,
    DECLARABLE_KINDS,
    SHEET_STATUS_LABELS,
    ConflictKind,
    ConflictStatus,
)
from app.judging.services import panel, sheets
from app.judging.services import results as result_services  # `results` is a view below
from app.judging.services import rounds as round_services  # `rounds` is a view below
from app.judging.services.common import (
    ROUND_PAGE_SIZE,
    get_round_for_organiser,
    round_entries,
    round_entry_ids,
    round_entry_page,
    round_judges,
    scoring_started,
)
from app.localtime import local_to_utc, to_local, utcnow
from app.text import page_number, whole_number


def _int(value) -> int | None:
    return whole_number(value, signed=True)


def _back(endpoint: str, round_id: int, **kwargs):
    return redirect(url_for(endpoint, round_id=round_id, **kwargs))


def _flash_form_errors(form) -> None:
    """A small form posted from the round page: its errors go back there as one message."""
    flash(" ".join(str(e) for errs in form.errors.values() for e in errs), "error")


@bp.app_context_processor
def judging_helpers():
    def judging_has_results() -> bool:
        return current_user.is_authenticated and result_services.has_published_results(current_user)

    return {
        "format_score": scoring.format_score,
        "method_labels": scoring.METHOD_LABELS,
        "judging_has_results": judging_has_results,
    }


# --- judges --------------------------------------------------------------------------------------


@bp.get("/")
@role_required(Role.JUDGE)
def dashboard():
    board = sheets.judge_dashboard(current_user, page_number(request.args.get("trang")))
    return render_template("judging/dashboard.html", board=board, labels=SHEET_STATUS_LABELS)


@bp.route("/vong/<int:round_id>/xung-dot", methods=["GET", "POST"])
@role_required(Role.JUDGE)
def declare_conflicts(round_id: int):
    round_, rows = panel.entries_for_declaration(current_user, round_id)
    form = forms.DeclareConflictForm()
    status = 200
    if form.validate_on_submit():
        try:
            panel.declare_conflict(
                current_user,
                round_id,
                _int(request.form.get("entry_id")) or 0,
                form.kind.data,
                form.note.data,
            )
        except DomainError as error:
            apply_error(form, error)
            status = error.status
        else:
            flash("Đã ghi nhận xung đột lợi ích. Bạn sẽ không được phân công chấm hồ sơ này.", "success")
            return redirect(url_for("judging.declare_conflicts", round_id=round_id))
    elif form.errors:
        status = 422
    declared = {c.entry_id: c for c in panel.conflicts_of_judge(current_user)}
    return (
        render_template("judging/declare.html", round=round_, rows=rows, form=form, declared=declared),
        status,
    )


@bp.route("/thong-tin-giam-khao", methods=["GET", "POST"])
@role_required(Role.JUDGE)
def judge_profile():
    profile = panel.get_profile(current_user)
    form = forms.JudgeProfileForm(obj=profile if request.method == "GET" else None)
    form.commune_code.choices = [("", "— Không khai báo —")] + [(u.code, u.name) for u in communes()]
    if form.validate_on_submit():
        try:
            panel.update_profile(
                current_user, form.organisation.data, form.commune_code.data, form.expertise.data
            )
        except Invalid as error:
            apply_error(form, error)
        else:
            flash("Đã lưu thông tin giám khảo.", "success")
            return redirect(url_for("judging.dashboard"))
    status = form_status(form)
    conflicts = panel.conflicts_of_judge(current_user)
    return render_template("judging/profile.html", form=form, conflicts=conflicts), status


@bp.route("/loi-moi/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    try:
        invitation = panel.check_invitation(token)
    except Invalid as error:
        return render_template("judging/link_problem.html", message=error.message), 400
    account = panel.invitation_account(invitation)
    signed_in = current_user.is_authenticated
    form = forms.ConfirmForm() if (signed_in or account) else forms.AcceptInvitationForm()
    if request.method == "GET" and not signed_in and account is None:
        form.full_name.data = invitation.full_name
    status = 200
    if form.validate_on_submit():
        try:
            if signed_in:
                user = panel.accept_invitation(token, user=current_user)
            else:
                user = panel.accept_invitation(
                    token, full_name=form.full_name.data, phone=form.phone.data, password=form.password.data
                )
                login_user(account_services.start_session(user))
        except DomainError as error:
            apply_error(form, error)
            status = error.status
        else:
            flash(f"Chào mừng {user.full_name}! Bạn đã là giám khảo của {invitation.round.name}.", "success")
            return redirect(url_for("judging.judge_profile"))
    elif form.errors:
        status = 422
    return (
        render_template("judging/accept.html", form=form, invitation=invitation, account=account),
        status,
    )


# --- applicants ----------------------------------------------------------------------------------


@bp.get("/ket-qua-cua-toi")
@role_required(Role.APPLICANT)
def my_results():
    return render_template(
        "judging/my_results.html", results=result_services.results_for_applicant(current_user)
    )


# --- organisers: rounds --------------------------------------------------------------------------


@bp.get("/quan-ly")
@role_required(Role.ORGANISER)
def rounds():
    return render_template("judging/rounds.html", overview=round_services.rounds_overview(current_user))


def _settings(form) -> round_services.RoundSettings:
    return round_services.RoundSettings(
        name=form.name.data or "",
        description=form.description.data or "",
        opens_at=local_to_utc(form.opens_at.data) if form.opens_at.data else None,
        closes_at=local_to_utc(form.closes_at.data) if form.closes_at.data else None,
        blind=form.blind.data,
        method=form.method.data,
        judges_per_entry=form.judges_per_entry.data,
        top_n=form.top_n.data,
        min_average=form.min_average.data or "",
        no_zero_criterion=form.no_zero_criterion.data,
    )


@bp.route("/quan-ly/cuoc-thi/<int:contest_id>/vong-moi", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def create_round(contest_id: int):
    contest = get_contest_for_organiser(current_user, contest_id)
    form = forms.RoundForm()
    if request.method == "GET":
        existing = len(round_services.contest_rounds(contest))
        form.name.data = ["Sơ khảo", "Bán kết", "Chung kết"][min(existing, 2)]
    if form.validate_on_submit():
        try:
            round_ = round_services.create_round(current_user, contest, _settings(form))
        except DomainError as error:
            apply_error(form, error)
        else:
            flash(f"Đã tạo vòng chấm {round_.name} với thang điểm mặc định.", "success")
            return _back("judging.round_detail", round_.id)
    status = form_status(form)
    return render_template("judging/round_form.html", form=form, contest=contest, round=None), status


@bp.route("/quan-ly/vong/<int:round_id>/sua", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def edit_round(round_id: int):
    round_ = get_round_for_organiser(current_user, round_id)
    form = forms.RoundForm(obj=round_ if request.method == "GET" else None)
    if request.method == "GET":
        form.opens_at.data = to_local(round_.opens_at).replace(tzinfo=None) if round_.opens_at else None
        form.closes_at.data = to_local(round_.closes_at).replace(tzinfo=None) if round_.closes_at else None
    if form.validate_on_submit():
        try:
            round_services.update_round(current_user, round_, _settings(form))
        except DomainError as error:
            apply_error(form, error)
        else:
            flash("Đã lưu thiết lập vòng chấm.", "success")
            return _back("judging.round_detail", round_.id)
    status = form_status(form)
    return render_template("judging/round_form.html", form=form, contest=round_.contest, round=round_), status


@bp.get("/quan-ly/vong/<int:round_id>")
@role_required(Role.ORGANISER)
def round_detail(round_id: int):
    round_ = get_round_for_organiser(current_user, round_id)
    page, query = page_number(request.args.get("trang")), (request.args.get("q") or "").strip()
    entries, matching = round_entry_page(round_, page, query)
    return render_template(
        "judging/round.html",
        round=round_,
        rubric=round_services.rubric_of(round_),
        entries=entries,
        matching=matching,
        page=page,
        page_size=ROUND_PAGE_SIZE,
        query=query,
        candidate_page=panel.candidate_page(round_),
        judges=round_judges(round_),
        invitations=panel.list_invitations(round_),
        invite_form=forms.InviteForm(prefix="invite"),
        add_form=forms.AddJudgeForm(prefix="add"),
        counts=sheets.round_counts(round_),
        pending_conflicts=panel.pending_conflict_count(round_),
        now_utc=utcnow(),
    )


@bp.post("/quan-ly/vong/<int:round_id>/ho-so")
@role_required(Role.ORGANISER)
def add_entries(round_id: int):
    round_ = get_round_for_organiser(current_user, round_id)
    ids = None if request.form.get("all") else [i for i in map(_int, request.form.getlist("entry_id")) if i]
    if ids == []:
        flash("Hãy chọn ít nhất một hồ sơ.", "warning")
        return _back("judging.round_detail", round_id)
    try:
        added = panel.add_entries(current_user, round_, ids)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(f"Đã thêm {added} hồ sơ vào vòng chấm.", "success")
    return _back("judging.round_detail", round_id)


@bp.post("/quan-ly/vong/<int:round_id>/ho-so/<int:entry_id>/bo")
@role_required(Role.ORGANISER)
def remove_entry(round_id: int, entry_id: int):
    round_ = get_round_for_organiser(current_user, round_id)
    try:
        panel.remove_entry(current_user, round_, entry_id)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash("Đã bỏ hồ sơ khỏi vòng chấm.", "success")
    return _back("judging.round_detail", round_id)


@bp.post("/quan-ly/vong/<int:round_id>/moi-giam-khao")
@role_required(Role.ORGANISER)
def invite_judge(round_id: int):
    round_ = get_round_for_organiser(current_user, round_id)
    form = forms.InviteForm(prefix="invite")
    if form.validate_on_submit():
        try:
            panel.invite_judge(
                current_user, round_, form.email.data, form.full_name.data, form.organisation.data
            )
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(f"Đã gửi thư mời tới {form.email.data}.", "success")
    else:
        _flash_form_errors(form)
    return _back("judging.round_detail", round_id)


@bp.post("/quan-ly/vong/<int:round_id>/thu-moi/<int:invitation_id>/huy")
@role_required(Role.ORGANISER)
def revoke_invitation(round_id: int, invitation_id: int):
    round_ = get_round_for_organiser(current_user, round_id)
    try:
        panel.revoke_invitation(current_user, round_, invitation_id)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash("Đã huỷ thư mời; liên kết trong thư không còn dùng được.", "success")
    return _back("judging.round_detail", round_id)


@bp.post("/quan-ly/vong/<int:round_id>/xoa")
@role_required(Role.ORGANISER)
def delete_round(round_id: int):
    round_ = get_round_for_organiser(current_user, round_id)
    try:
        round_services.delete_round(current_user, round_)
    except DomainError as error:
        flash(error.message, "error")
        return _back("judging.round_detail", round_id)
    flash("Đã xoá vòng chấm.", "success")
    return redirect(url_for("judging.rounds"))


@bp.post("/quan-ly/vong/<int:round_id>/giam-khao")
@role_required(Role.ORGANISER)
def add_judge(round_id: int):
    round_ = get_round_for_organiser(current_user, round_id)
    form = forms.AddJudgeForm(prefix="add")
    if form.validate_on_submit():
        try:
            user = panel.add_judge(current_user, round_, form.email.data)
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(f"Đã thêm giám khảo {user.full_name}.", "success")
    else:
        _flash_form_errors(form)
    return _back("judging.round_detail", round_id)


@bp.post("/quan-ly/vong/<int:round_id>/giam-khao/<int:user_id>/bo")
@role_required(Role.ORGANISER)
def remove_judge(round_id: int, user_id: int):
    round_ = get_round_for_organiser(current_user, round_id)
    try:
        panel.remove_judge(current_user, round_, user_id)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash("Đã bỏ giám khảo khỏi vòng chấm.", "success")
    return _back("judging.round_detail", round_id)


# --- organisers: rubric and rules ----------------------------------------------------------------

EXTRA_ROWS = 2


@bp.route("/quan-ly/vong/<int:round_id>/thang-diem", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def rubric(round_id: int):
    round_ = get_round_for_organiser(current_user, round_id)
    form = forms.ConfirmForm()
    rows = [dict(c) for c in round_.rubric]
    error = None
    if form.validate_on_submit():
        count = _int(request.form.get("rows")) or 0
        rows = [
            {
                "id": request.form.get(f"id-{i}", ""),
                "name": request.form.get(f"name-{i}", ""),
                "description": request.form.get(f"description-{i}", ""),
                "kind": request.form.get(f"kind-{i}", scoring.POINTS),
                "max_points": request.form.get(f"max_points-{i}", ""),
                "weight": request.form.get(f"weight-{i}", "1"),
            }
            for i in range(min(count, 40))
        ]
        try:
            round_services.save_rubric(current_user, round_, rows)
        except DomainError as exc:
            error = exc.message
        else:
            flash("Đã lưu thang điểm.", "success")
            return _back("judging.rubric", round_id)
    rows = rows + [
        {"id": "", "name": "", "description": "", "kind": scoring.POINTS, "max_points": "", "weight": "1"}
        for _ in range(EXTRA_ROWS)
    ]
    locked = scoring_started(round_)
    return (
        render_template(
            "judging/rubric.html",
            round=round_,
            form=form,
            rows=rows,
            error=error,
            locked=locked,
            rubric=round_services.rubric_of(round_),
        ),
        422 if error else 200,
    )


@bp.route("/quan-ly/vong/<int:round_id>/quy-tac", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def rules(round_id: int):
    round_ = get_round_for_organiser(current_user, round_id)
    form = forms.ConfirmForm()
    error = None
    if form.validate_on_submit():
        part = request.form.get("part")
        try:
            if part == "tie_breaks":
                round_services.save_tie_breaks(current_user, round_, request.form.getlist("tie_break"))
            elif part == "components":
                count = min(_int(request.form.get("rows")) or 0, 20)
                round_services.save_components(
                    current_user,
                    round_,
                    [
                        {
                            "id": request.form.get(f"cid-{i}", ""),
                            "name": request.form.get(f"cname-{i}", ""),
                            "max_points": request.form.get(f"cmax-{i}", ""),
                            "weight": request.form.get(f"cweight-{i}", "1"),
                        }
                        for i in range(count)
                    ],
                )
            elif part == "component_scores":
                values = {}
                for entry_id in round_entry_ids(round_):
                    for comp in round_.components:
                        key = f"cs-{entry_id}-{comp['id']}"
                        if key in request.form:
                            values[(entry_id, comp["id"])] = request.form.get(key, "")
                round_services.save_component_scores(current_user, round_, values)
            elif part == "prizes":
                tracks = {}
                for index, track in enumerate(result_services.track_names(round_)):
                    counts = {}
                    for prize_id in scoring.PRIZE_NAMES:
                        raw = request.form.get(f"prize-{index}-{prize_id}", "0").strip() or "0"
                        value = _int(raw)
                        if value is None:
                            raise Invalid(
                                f"Số lượng {scoring.PRIZE_NAMES[prize_id]} phải là số nguyên "
                                f"từ 0 đến {scoring.MAX_PRIZE_COUNT}."
                            )
                        counts[prize_id] = value
                    tracks[track] = counts
                side = []
                for i in range(min(_int(request.form.get("side_rows")) or 0, 10)):
                    side.append(
                        {
                            "name": request.form.get(f"side-name-{i}", ""),
                            "criterion": request.form.get(f"side-criterion-{i}", ""),
                            "count": _int(request.form.get(f"side-count-{i}", "1")),
                        }
                    )
                round_services.save_prize_plan(current_user, round_, tracks, side)
            else:
                abort(400)
        except DomainError as exc:
            error = exc.message
        else:
            flash("Đã lưu.", "success")
            return _back("judging.rules", round_id)
    return (
        render_template(
            "judging/rules.html",
            round=round_,
            form=form,
            error=error,
            rubric=round_services.rubric_of(round_),
            tracks=result_services.track_names(round_),
            prize_names=scoring.PRIZE_NAMES,
            entries=round_entries(round_) if round_.components else [],
            component_values=round_services.component_values(round_),
        ),
        422 if error else 200,
    )


# --- organisers: conflicts and assignment -----------------------------------------------------------


@bp.route("/quan-ly/vong/<int:round_id>/xung-dot", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def conflicts(round_id: int):
    round_ = get_round_for_organiser(current_user, round_id)
    form = forms.ConfirmForm()
    if form.validate_on_submit():
        try:
            if request.form.get("conflict_id"):
                panel.decide_conflict(
                    current_user,
                    round_,
                    _int(request.form.get("conflict_id")) or 0,
                    request.form.get("decision") == "confirm",
                    request.form.get("note", ""),
                )
            else:
                panel.record_conflict(
                    current_user,
                    round_,
                    _int(request.form.get("judge_id")) or 0,
                    _int(request.form.get("entry_id")) or 0,
                    request.form.get("kind", ""),
                    request.form.get("note", ""),
                )
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash("Đã lưu quyết định về xung đột lợi ích.", "success")
        return _back("judging.conflicts", round_id)
    return render_template(
        "judging/conflicts.html",
        round=round_,
        form=form,
        conflicts=panel.round_conflicts(round_),
        judges=round_judges(round_),
        entries=round_entries(round_),
        kinds=CONFLICT_KIND_LABELS,
        declarable=DECLARABLE_KINDS + [ConflictKind.SAME_COMMUNE],
        statuses=ConflictStatus,
    )


@bp.route("/quan-ly/vong/<int:round_id>/phan-cong", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def assignments(round_id: int):
    round_ = get_round_for_organiser(current_user, round_id)
    form = forms.ConfirmForm()
    if form.validate_on_submit():
        action = request.form.get("action")
        try:
            if action == "auto":
                report = sheets.auto_assign(current_user, round_, _int(request.form.get("k")))
                message = f"Đã phân công tự động: thêm {report.created}, giữ {report.kept}, bỏ {report.removed} phân công."
                if report.missing:
                    message += f" {len(report.missing)} hồ sơ chưa đủ giám khảo (do xung đột lợi ích hoặc thiếu giám khảo)."
                flash(message, "warning" if report.missing else "success")
            elif action == "assign":
                sheets.assign_judge(
                    current_user,
                    round_,
                    _int(request.form.get("judge_id")) or 0,
                    _int(request.form.get("entry_id")) or 0,
                )
                flash("Đã phân công.", "success")
            elif action == "unassign":
                sheets.unassign(current_user, round_, _int(request.form.get("assignment_id")) or 0)
                flash("Đã bỏ phân công.", "success")
            else:
                abort(400)
        except DomainError as error:
            flash(error.message, "error")
        return _back(
            "judging.assignments", round_id, trang=request.args.get("trang"), q=request.args.get("q")
        )
    page, query = page_number(request.args.get("trang")), (request.args.get("q") or "").strip()
    grid = sheets.assignment_page(round_, page, query)
    return render_template(
        "judging/assign.html",
        round=round_,
        form=form,
        grid=grid,
        page=page,
        page_size=ROUND_PAGE_SIZE,
        query=query,
    )


# --- organisers: progress, reopen, reminders ---------------------------------------------------------


@bp.get("/quan-ly/vong/<int:round_id>/tien-do")
@role_required(Role.ORGANISER)
def progress(round_id: int):
    round_ = get_round_for_organiser(current_user, round_id)
    page, query = page_number(request.args.get("trang")), (request.args.get("q") or "").strip()
    progress = sheets.progress_page(round_, page, query)
    return render_template(
        "judging/progress.html",
        round=round_,
        progress=progress,
        assignments=progress.submitted_sheets,
        page=page,
        page_size=ROUND_PAGE_SIZE,
        query=query,
        form=forms.ConfirmForm(),
        reopen_form=forms.ReasonForm(),
    )


@bp.post("/quan-ly/vong/<int:round_id>/nhac")
@role_required(Role.ORGANISER)
def remind(round_id: int):
    round_ = get_round_for_organiser(current_user, round_id)
    judge_id = _int(request.form.get("judge_id"))
    sent = sheets.send_reminders(current_user, round_, [judge_id] if judge_id else None)
    flash(
        f"Đã gửi email nhắc tới {sent} giám khảo." if sent else "Không có giám khảo nào cần nhắc.", "success"
    )
    return _back("judging.progress", round_id)


@bp.post("/quan-ly/vong/<int:round_id>/phieu/<int:assignment_id>/mo-lai")
@role_required(Role.ORGANISER)
def reopen(round_id: int, assignment_id: int):
    round_ = get_round_for_organiser(current_user, round_id)
    form = forms.ReasonForm()
    try:
        if not form.validate_on_submit():
            raise Invalid("Vui lòng ghi rõ lý do mở lại phiếu chấm.")
        sheets.reopen_sheet(current_user, round_, assignment_id, form.reason.data)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash("Đã mở lại phiếu chấm; giám khảo đã được báo qua email.", "success")
    return _back("judging.progress", round_id)


@bp.get("/quan-ly/vong/<int:round_id>/ho-so/<int:entry_id>")
@role_required(Role.ORGANISER)
def entry_scores(round_id: int, entry_id: int):
    round_ = get_round_for_organiser(current_user, round_id)
    entry, lines = sheets.entry_sheets(current_user, round_, entry_id)
    return render_template(
        "judging/entry_scores.html",
        round=round_,
        entry=entry,
        lines=lines,
        rubric=round_services.rubric_of(round_),
        reopen_form=forms.ReasonForm(),
    )


# --- organisers: results ------------------------------------------------------------------------------


@bp.get("/quan-ly/vong/<int:round_id>/ket-qua")
@role_required(Role.ORGANISER)
def results(round_id: int):
    round_ = get_round_for_organiser(current_user, round_id)
    page, query = page_number(request.args.get("trang")), (request.args.get("q") or "").strip()
    shown = result_services.results_page(round_, page, query)
    return render_template(
        "judging/results.html",
        round=round_,
        results=shown.results,
        shown=shown,
        query=query,
        methods=list(scoring.Method),
        form=forms.ConfirmForm(),
        next_round=round_services.next_round(round_),
        last=round_services.is_last_round(round_),
    )


@bp.post("/quan-ly/vong/<int:round_id>/ket-qua")
@role_required(Role.ORGANISER)
def results_action(round_id: int):
    round_ = get_round_for_organiser(current_user, round_id)
    action = request.form.get("action")
    entry_id = _int(request.form.get("entry_id")) or 0
    try:
        if action == "override":
            result_services.set_override(
                current_user,
                round_,
                entry_id,
                request.form.get("decision", ""),
                request.form.get("reason", ""),
            )
            flash("Đã lưu quyết định thủ công.", "success")
        elif action == "panel":
            panel.set_panel_decision(current_user, round_, entry_id, request.form.get("value", ""))
            flash("Đã lưu quyết định của hội đồng.", "success")
        elif action == "publish":
            count = result_services.publish_results(current_user, round_)
            flash(f"Đã công bố kết quả của {count} hồ sơ.", "success")
        elif action == "advance":
            moved = result_services.advance_entries(current_user, round_)
            flash(f"Đã chuyển {moved} hồ sơ sang vòng sau.", "success")
        else:
            abort(400)
    except DomainError as error:
        flash(error.message, "error")
    return _back("judging.results", round_id)
