"""Contest pages: public listing, the applicant's entries, and the organisers' screens. Thin: parse
input, call one service, show the result or the error."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from app.accounts.access import role_required
from app.accounts.models import Role
from app.contests import bp, eligibility, entries, files, forms, permissions, schedule, services, units
from app.contests.files import KIND_LABELS, MIME_TYPES
from app.contests.models import FORM_FIELDS, STATUS_LABELS, EntryStatus
from app.errors import Conflict, DomainError, Invalid, apply_error, error_response, form_status
from app.privacy.forms import consent_choices
from app.text import format_size, whole_number


@bp.app_context_processor
def contest_helpers():
    return {
        "entry_status_labels": STATUS_LABELS,
        "kind_labels": KIND_LABELS,
        "contest_is_open": eligibility.is_open,
        "can_manage_contest": lambda contest: current_user.is_authenticated
        and permissions.can_manage_contest(current_user, contest),
        "is_global_organiser": lambda: current_user.is_authenticated
        and permissions.is_global_organiser(current_user),
        "open_contests": services.open_contests,
        "upcoming_contests": services.upcoming_contests,
        "form_field_labels": FORM_FIELDS,
        "file_size": format_size,
    }


@bp.errorhandler(413)
def too_large(_error):
    """A body above MAX_CONTENT_LENGTH is refused unread (CSRF protection parses forms before any view),
    so nothing of it can be saved: say so and lead back to the draft, whose last saved state is intact
    (the page's draft keeper offers what was typed since). Each slot's own, smaller limit is checked by
    the service with the rest of the form saved."""
    if (request.content_length or 0) <= current_app.config["MAX_CONTENT_LENGTH"]:
        # Not the files: one text box held more than a form may keep in memory (MAX_FORM_MEMORY_SIZE,
        # 500 KB), or the form had too many parts. Saying "the files are too large" would mislead.
        kb = current_app.config["MAX_FORM_MEMORY_SIZE"] // 1000
        return error_response(
            413,
            f"Một ô chữ trong biểu mẫu quá dài (hơn {kb} KB) nên hệ thống không nhận lần gửi này. "
            "Bản nháp đã lưu trước đó vẫn còn nguyên; hãy rút ngắn nội dung rồi lưu lại.",
        )
    entry_id = (request.view_args or {}).get("entry_id")
    back = url_for("contests.edit_entry", entry_id=entry_id) if entry_id else url_for("contests.my_entries")
    limit = round(current_app.config["MAX_CONTENT_LENGTH"] / (1024 * 1024), 1)
    return render_template("contests/too_large.html", back=back, limit=limit), 413


# --- public -----------------------------------------------------------------------------------------


@bp.get("/cuoc-thi")
def list_contests():
    return render_template("contests/list.html", contests=services.public_contests())


@bp.get("/cuoc-thi/<slug>")
def show_contest(slug: str):
    contest = permissions.get_public_contest(slug)
    return render_template("contests/show.html", contest=contest)


@bp.get("/cuoc-thi/<slug>/mau/<slot_key>")
def download_template(slug: str, slot_key: str):
    """The organisers' template of a document the dossier asks for, under its display name."""
    slot, path = files.get_template(current_user, slug, slot_key)
    return send_file(
        path,
        mimetype=MIME_TYPES[slot.template_kind],
        as_attachment=True,
        download_name=slot.template_name,
        max_age=0,
    )


# --- applicant -----------------------------------------------------------------------------------------


@bp.get("/bai-du-thi")
@login_required
def my_entries():
    return render_template("contests/my_entries.html", entries=permissions.my_entries(current_user))


@bp.route("/cuoc-thi/<slug>/dang-ky", methods=["GET", "POST"])
@login_required
def start_entry(slug: str):
    contest = permissions.get_public_contest(slug)
    form = forms.StartEntryForm()
    form.fill_choices()
    form.track_id.choices = forms.track_choices(contest)
    if form.validate_on_submit():
        try:
            entry = entries.start_entry(
                current_user,
                contest,
                title=form.title.data,
                track_id=form.track_id.data or None,
                leader=form.person_data(),
                consents=consent_choices(form),
            )
        except Conflict as error:
            if error.code == "already_leading":
                flash(error.message, "warning")
                return redirect(url_for("contests.my_entries"))
            apply_error(form, error)
        except Invalid as error:
            apply_error(form, error)
        else:
            flash("Đã tạo bản nháp. Hãy thêm thành viên, điền hồ sơ và tải tài liệu lên.", "success")
            for warning in eligibility.person_problems(contest, entry.members[0]):
                flash(warning, "warning")
            return redirect(url_for("contests.edit_entry", entry_id=entry.id))
    return render_template("contests/start.html", form=form, contest=contest), form_status(form)


def _entry_form(entry):
    form_class = forms.entry_form_class(entry.contest)
    return form_class()


@bp.route("/bai-du-thi/<int:entry_id>/sua", methods=["GET", "POST"])
@login_required
def edit_entry(entry_id: int):
    entry = permissions.get_entry_for_leader(current_user, entry_id)
    form = _entry_form(entry)
    if request.method == "GET":
        form.load(entry)
    problems = []
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit() and "csrf_token" in form.errors:
            abort(400)
        data = form.to_data()
        if "startup_registered_on" in form and form.startup_registered_on.errors:
            data.startup_registered_on = entry.startup_registered_on  # keep the last good date
        try:
            uploads = {
                name.removeprefix("file_"): f for name, f in request.files.items() if name.startswith("file_")
            }
            result = entries.save_entry(current_user, entry, data, uploads=uploads)
        except DomainError as error:
            apply_error(form, error)
            status = error.status
        else:
            for name, message in result.errors.items():
                target = getattr(form, name, None)
                if target is not None:
                    target.errors = [*target.errors, message]
                else:
                    form.form_errors.append(message)
            if not result.errors and not form.errors:
                flash(
                    "Đã lưu." if entry.status == EntryStatus.DRAFT else "Đã lưu thay đổi của bài đã nộp.",
                    "success",
                )
                if request.form.get("next") == "submit":
                    return redirect(url_for("contests.review_entry", entry_id=entry.id))
                return redirect(url_for("contests.edit_entry", entry_id=entry.id))
            status = 422
            form.form_errors.insert(
                0, "Đã lưu các nội dung hợp lệ. Vui lòng sửa các mục được đánh dấu bên dưới."
            )
    if entry.status == EntryStatus.SUBMITTED:
        problems = eligibility.check_eligibility(entry)
    return render_template(
        "contests/edit.html",
        form=form,
        entry=entry,
        editable=eligibility.is_editable(entry, actor=current_user),
        problems=problems,
        member_warnings=eligibility.team_warnings(entry),
        confirm=forms.ConfirmForm(),
    ), status


@bp.route("/bai-du-thi/<int:entry_id>/nop", methods=["GET", "POST"])
@login_required
def review_entry(entry_id: int):
    """The check-and-submit page: every failing rule listed; the submit button when none fail."""
    entry = permissions.get_entry_for_leader(current_user, entry_id)
    form = forms.ConfirmForm()
    status = 200
    if form.validate_on_submit():
        try:
            entries.submit_entry(current_user, entry)
        except eligibility.NotEligible as error:
            flash("Chưa nộp được. Vui lòng xem các mục cần bổ sung bên dưới.", "error")
            return render_template(
                "contests/review.html", entry=entry, form=form, problems=error.problems
            ), 422
        except DomainError as error:
            flash(error.message, "error")
            status = error.status
        else:
            flash(f"Đã nộp bài thành công. Mã hồ sơ của bạn: {entry.code}", "success")
            return redirect(url_for("contests.show_entry", entry_id=entry.id))
    problems = eligibility.check_eligibility(entry, window=True) if entry.status == EntryStatus.DRAFT else []
    if entry.is_paper and permissions.can_manage_contest(current_user, entry.contest):
        problems = [p for p in problems if p.field != "deadline"]
    return render_template("contests/review.html", entry=entry, form=form, problems=problems), status


@bp.get("/bai-du-thi/<int:entry_id>")
@login_required
def show_entry(entry_id: int):
    entry = permissions.get_entry_for_leader(current_user, entry_id)
    waiting = entry.status in (EntryStatus.SUBMITTED, EntryStatus.ELIGIBLE)
    return render_template(
        "contests/entry.html",
        entry=entry,
        editable=eligibility.is_editable(entry, actor=current_user),
        withdraw_form=forms.WithdrawForm(),
        steps=schedule.next_steps(entry, entries.leader_email(entry)) if waiting else [],
    )


@bp.post("/bai-du-thi/<int:entry_id>/rut")
@login_required
def withdraw_entry(entry_id: int):
    entry = permissions.get_entry_for_leader(current_user, entry_id)
    form = forms.WithdrawForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        entries.withdraw_entry(current_user, entry, form.reason.data or "")
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash("Đã rút bài dự thi.", "info")
    return redirect(url_for("contests.show_entry", entry_id=entry.id))


@bp.route("/bai-du-thi/<int:entry_id>/thanh-vien/moi", methods=["GET", "POST"])
@bp.route("/bai-du-thi/<int:entry_id>/thanh-vien/<int:member_id>", methods=["GET", "POST"])
@login_required
def edit_member(entry_id: int, member_id: int | None = None):
    entry = permissions.get_entry_for_leader(current_user, entry_id)
    member = permissions.get_team_member(entry, member_id) if member_id else None
    form = forms.MemberForm()
    form.fill_choices()
    if request.method == "GET" and member is not None:
        form.load(member)
    if form.validate_on_submit():
        try:
            if member is None:
                saved = entries.add_member(current_user, entry, form.to_data())
            else:
                saved = entries.update_member(current_user, entry, member.id, form.to_data())
        except DomainError as error:
            apply_error(form, error)
        else:
            flash("Đã lưu thông tin thành viên.", "success")
            # Said now, not first at "Kiểm tra và nộp bài": the member is kept, the rule named.
            for warning in eligibility.person_problems(entry.contest, saved):
                flash(warning, "warning")
            return redirect(url_for("contests.edit_entry", entry_id=entry.id) + "#thanh-vien")
    return render_template(
        "contests/member.html",
        form=form,
        entry=entry,
        member=member,
        leader_locked=bool(member and member.is_leader and entry.leader_id),
        show_district=entry.contest.year < 2025,
    ), form_status(form)


@bp.post("/bai-du-thi/<int:entry_id>/thanh-vien/<int:member_id>/xoa")
@login_required
def remove_member(entry_id: int, member_id: int):
    entry = permissions.get_entry_for_leader(current_user, entry_id)
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    try:
        entries.remove_member(current_user, entry, member_id)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash("Đã xoá thành viên khỏi nhóm.", "info")
    return redirect(url_for("contests.edit_entry", entry_id=entry.id) + "#thanh-vien")


@bp.post("/bai-du-thi/<int:entry_id>/tep/<slot_key>/xoa")
@login_required
def remove_file(entry_id: int, slot_key: str):
    entry = permissions.get_entry_for_leader(current_user, entry_id)
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    try:
        entries.remove_file(current_user, entry, slot_key)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash("Đã xoá tệp.", "info")
    return redirect(url_for("contests.edit_entry", entry_id=entry.id))


@bp.get("/bai-du-thi/<int:entry_id>/tep/<int:file_id>")
@login_required
def download_file(entry_id: int, file_id: int):
    row, path = files.get_file_for_viewer(current_user, entry_id, file_id)
    response = send_file(
        path,
        mimetype=MIME_TYPES[row.kind],
        as_attachment=True,
        download_name=row.original_name,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- organisers ---------------------------------------------------------------------------------------


@bp.get("/quan-ly/cuoc-thi")
@role_required(Role.ORGANISER)
def manage_contests():
    contests = permissions.manageable_contests(current_user)
    counts = {c.id: services.status_counts(c) for c in contests}
    return render_template("contests/manage_list.html", contests=contests, counts=counts)


@bp.route("/quan-ly/cuoc-thi/moi", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def create_contest():
    permissions.require_contest_creator(current_user)
    form = forms.ContestForm()
    if request.method == "GET":
        forms.default_contest_form_values(form)
    if form.validate_on_submit():
        try:
            contest = services.create_contest(current_user, form.to_data())
        except DomainError as error:
            apply_error(form, error)
        else:
            flash("Đã tạo cuộc thi.", "success")
            return redirect(url_for("contests.manage_contest", slug=contest.slug))
    return render_template("contests/contest_form.html", form=form, contest=None), form_status(form)


@bp.get("/quan-ly/cuoc-thi/<slug>")
@role_required(Role.ORGANISER)
def manage_contest(slug: str):
    contest = permissions.get_contest_for_organiser(current_user, slug)
    return render_template(
        "contests/manage_contest.html",
        contest=contest,
        counts=services.status_counts(contest),
        staff=permissions.contest_staff(contest),
        staff_form=forms.StaffForm(),
        confirm=forms.ConfirmForm(),
    )


@bp.route("/quan-ly/cuoc-thi/<slug>/sua", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def edit_contest(slug: str):
    contest = permissions.get_contest_for_organiser(current_user, slug)
    form = forms.ContestForm()
    if request.method == "GET":
        form.load(contest)
    if form.validate_on_submit():
        try:
            services.update_contest(current_user, contest, form.to_data())
        except DomainError as error:
            apply_error(form, error)
        else:
            flash("Đã lưu cấu hình cuộc thi.", "success")
            return redirect(url_for("contests.manage_contest", slug=contest.slug))
    return render_template(
        "contests/contest_form.html",
        form=form,
        contest=contest,
        templates_form=forms.templates_form_class(contest)(),
    ), form_status(form)


@bp.post("/quan-ly/cuoc-thi/<slug>/mau-tai-lieu")
@role_required(Role.ORGANISER)
def update_templates(slug: str):
    """The organisers' templates of the dossier's documents (a form of its own on the contest form)."""
    contest = permissions.get_contest_for_organiser(current_user, slug)
    form = forms.templates_form_class(contest)()
    if not form.validate_on_submit():
        abort(400)  # nothing but the CSRF token can fail here
    uploads = {
        name.removeprefix("template_"): f for name, f in request.files.items() if name.startswith("template_")
    }
    errors = files.update_templates(current_user, contest, uploads, form.removed())
    if not errors:
        flash("Đã lưu các tệp mẫu.", "success")
        return redirect(url_for("contests.edit_contest", slug=contest.slug) + "#mau-tai-lieu")
    form = forms.templates_form_class(contest)()  # the fields of the templates saved meanwhile
    for name, message in errors.items():
        if name in form:
            form[name].errors = [message]
    form.form_errors.append(
        "Các tệp mẫu hợp lệ đã được lưu. Vui lòng chọn lại các tệp được đánh dấu bên dưới."
    )
    contest_form = forms.ContestForm(formdata=None)  # this request posted the templates, not the settings
    contest_form.load(contest)
    return render_template(
        "contests/contest_form.html", form=contest_form, contest=contest, templates_form=form
    ), 422


@bp.post("/quan-ly/cuoc-thi/<slug>/nhan-su")
@role_required(Role.ORGANISER)
def add_staff(slug: str):
    contest = permissions.get_contest_for_organiser(current_user, slug)
    form = forms.StaffForm()
    if form.validate_on_submit():
        try:
            permissions.add_staff(
                current_user, contest, form.email.data, form.role.data, form.organisation.data
            )
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(
                "Đã thêm vào danh sách."
                + (
                    " Người này chỉ quản lý các cuộc thi có tên mình."
                    if form.role.data == "organiser"
                    else ""
                ),
                "success",
            )
    else:
        flash(" ".join(sum(form.errors.values(), [])), "error")
    return redirect(url_for("contests.manage_contest", slug=contest.slug) + "#nhan-su")


@bp.post("/quan-ly/cuoc-thi/<slug>/nhan-su/<int:staff_id>/xoa")
@role_required(Role.ORGANISER)
def remove_staff(slug: str, staff_id: int):
    contest = permissions.get_contest_for_organiser(current_user, slug)
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    try:
        permissions.remove_staff(current_user, contest, staff_id)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash("Đã xoá khỏi danh sách.", "info")
    return redirect(url_for("contests.manage_contest", slug=contest.slug) + "#nhan-su")


def _int_arg(name: str) -> int | None:
    return whole_number(request.args.get(name))


@bp.get("/quan-ly/ho-so")
@role_required(Role.ORGANISER)
def list_entries():
    contests = permissions.manageable_contests(current_user)
    contest_id = _int_arg("cuoc_thi")
    contest = next((c for c in contests if c.id == contest_id), None)
    if contest_id and contest is None:
        # A co-organiser naming another contest in the URL: refuse rather than show an empty list.
        permissions.get_contest_for_organiser(current_user, contest_id)
    status = request.args.get("trang_thai", "")
    filters = services.EntryFilters(
        contest_id=contest.id if contest else None,
        track_id=_int_arg("bang"),
        field=request.args.get("linh_vuc", "")[:120],
        status=status if status in STATUS_LABELS else "",
        commune_code=request.args.get("xa", "")[:10],
        organisation=request.args.get("don_vi", "")[:160],
        query=request.args.get("q", "")[:200],
        page=_int_arg("trang") or 1,
        sort=request.args.get("sap_xep", "")[:20],
        direction=request.args.get("chieu", "")[:10],
    )
    found = services.list_entries_page(current_user, filters)
    return render_template(
        "contests/manage_entries.html",
        entries=found.entries,
        total=found.total,
        found=found,
        filters=filters,
        contests=contests,
        contest=contest,
        communes=units.communes(),
        page_size=services.ENTRIES_PAGE_SIZE,
    )


@bp.route("/quan-ly/ho-so/<int:entry_id>", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def screen_entry(entry_id: int):
    entry = permissions.get_entry_for_organiser(current_user, entry_id)
    form = forms.ScreenForm()
    if form.validate_on_submit():
        try:
            entries.screen_entry(current_user, entry, form.decision.data, form.reason.data or "")
        except DomainError as error:
            apply_error(form, error)
        else:
            flash(
                f"Đã ghi kết quả thẩm định: {entry.status_label}. Thí sinh đã được thông báo qua email.",
                "success",
            )
            return redirect(url_for("contests.screen_entry", entry_id=entry.id))
    problems = eligibility.check_eligibility(entry, window=False) if entry.status != EntryStatus.DRAFT else []
    return render_template(
        "contests/manage_entry.html",
        entry=entry,
        form=form,
        problems=problems,
        can_screen=entry.status in (EntryStatus.SUBMITTED, EntryStatus.ELIGIBLE, EntryStatus.INELIGIBLE),
    ), form_status(form)


@bp.route("/quan-ly/cuoc-thi/<slug>/ho-so-giay", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def paper_entry(slug: str):
    contest = permissions.get_contest_for_organiser(current_user, slug)
    form = forms.PaperEntryForm()
    form.fill_choices()
    form.track_id.choices = forms.track_choices(contest)
    if form.validate_on_submit():
        try:
            entry = entries.key_in_paper_entry(
                current_user,
                contest,
                title=form.title.data,
                track_id=form.track_id.data or None,
                leader=form.person_data(
                    full_name=form.full_name.data, phone=form.phone.data or "", email=form.email.data or ""
                ),
                consents=consent_choices(form),
                note=form.note.data or "",
            )
        except DomainError as error:
            apply_error(form, error)
        else:
            flash(
                "Đã tạo hồ sơ giấy. Tiếp tục nhập nội dung, thành viên và tệp, rồi bấm Nộp thay.", "success"
            )
            return redirect(url_for("contests.edit_entry", entry_id=entry.id))
    return render_template(
        "contests/paper.html", form=form, contest=contest, show_district=contest.year < 2025
    ), form_status(form)
