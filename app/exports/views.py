"""Reports pages: the organisers' dashboard, .xlsx downloads, the annual report with its targets,
and the import of invited guests. Thin: parse, call one service, send the file or show the error."""

from __future__ import annotations

import tempfile
from datetime import date
from io import BytesIO

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from app.accounts.access import role_required
from app.accounts.models import Role
from app.contests import services as contests
from app.errors import DomainError, Invalid, apply_error
from app.exports import bp, forms, services
from app.exports.models import TARGET_KINDS
from app.exports.xlsx_reader import MAX_BYTES
from app.localtime import to_local, utcnow


def _send(export: services.Export):
    """Stream the workbook through a temporary file: a 50,000-row export never sits in memory."""
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (send_file closes it)
    services.write_export(export, spool)
    spool.seek(0)
    return send_file(
        spool, mimetype=services.XLSX_MIMETYPE, as_attachment=True, download_name=export.filename
    )


@bp.app_context_processor
def export_helpers():
    return {"exports_report_access": lambda: contests.is_global_organiser(current_user)}


# --- downloads ------------------------------------------------------------------------------------


@bp.get("/bao-cao/cuoc-thi/<slug>/ho-so.xlsx")
@role_required(Role.ORGANISER)
def download_entries(slug: str):
    return _send(services.entries_export(services.contest_for_user(current_user, slug)))


@bp.get("/bao-cao/cuoc-thi/<slug>/thong-ke.xlsx")
@role_required(Role.ORGANISER)
def download_contest_stats(slug: str):
    return _send(services.contest_stats_export(services.contest_for_user(current_user, slug)))


@bp.get("/bao-cao/vong/<int:round_id>/ket-qua.xlsx")
@role_required(Role.ORGANISER)
def download_results(round_id: int):
    round_ = services.round_for_user(current_user, round_id)
    try:
        export = services.results_export(round_)
    except Invalid as error:
        flash(error.message, "error")
        return redirect(url_for("exports.dashboard", **{"cuoc-thi": round_.contest.slug}))
    return _send(export)


@bp.get("/bao-cao/vong/<int:round_id>/giam-khao.xlsx")
@role_required(Role.ORGANISER)
def download_judges(round_id: int):
    return _send(services.judges_export(services.round_for_user(current_user, round_id)))


@bp.get("/bao-cao/su-kien/<slug>/tham-du.xlsx")
@role_required(Role.ORGANISER)
def download_attendance(slug: str):
    return _send(services.attendance_export(services.event_for_user(current_user, slug)))


@bp.get("/bao-cao/yeu-cau-du-lieu.xlsx")
@role_required(Role.ORGANISER)
def download_requests():
    services.require_report_access(current_user)
    status = request.args.get("trang-thai", "")
    return _send(services.requests_export(status))


@bp.get("/bao-cao/nam/<int:year>.xlsx")
@role_required(Role.ORGANISER)
def download_report(year: int):
    services.require_report_access(current_user)
    if not 2000 <= year <= 2100:
        abort(404)
    return _send(services.report_export(year))


# --- dashboard ------------------------------------------------------------------------------------


@bp.get("/bao-cao")
@role_required(Role.ORGANISER)
def dashboard():
    contest_list = contests.manageable_contests(current_user)
    wanted = request.args.get("cuoc-thi", "")
    contest = next((c for c in contest_list if c.slug == wanted), contest_list[0] if contest_list else None)
    if wanted and (contest is None or contest.slug != wanted):
        services.contest_for_user(current_user, wanted)  # 404 or 403 with the usual message
    event_list = services.dashboard_events(current_user)
    wanted_event = request.args.get("su-kien", "")
    event = next((e for e in event_list if e.slug == wanted_event), event_list[0] if event_list else None)
    if wanted_event and (event is None or event.slug != wanted_event):
        services.event_for_user(current_user, wanted_event)
    context = {"contests": contest_list, "contest": contest, "events": event_list, "event": event}
    if contest is not None:
        context.update(
            submissions=services.submissions_over_time(contest),
            breakdowns=services.contest_breakdowns(contest),
            judging=services.judging_overview(contest),
            deadline=to_local(contest.closes_at),
        )
    if event is not None:
        context["checkins"] = services.checkins_by_hour_and_gate(event)
    context["year"] = to_local(utcnow()).year
    return render_template("exports/dashboard.html", **context)


# --- annual report and the plan's targets ---------------------------------------------------------


@bp.route("/bao-cao/nam/<int:year>", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def annual_report(year: int):
    services.require_report_access(current_user)
    if not 2000 <= year <= 2100:
        abort(404)
    data = services.year_data(year)
    targets = services.target_rows(year, data)
    form = forms.TargetsForm()
    if request.method == "GET":
        for row in targets:
            getattr(form, f"{row['kind']}_target").data = row["target"]
            getattr(form, f"{row['kind']}_override").data = row["override"]
            getattr(form, f"{row['kind']}_note").data = row["note"]
    elif form.validate_on_submit():
        values = {
            kind: {
                "target": getattr(form, f"{kind}_target").data,
                "override": getattr(form, f"{kind}_override").data,
                "note": getattr(form, f"{kind}_note").data or "",
            }
            for kind in TARGET_KINDS
        }
        try:
            services.save_targets(current_user, year, values)
        except DomainError as error:
            apply_error(form, error)
        else:
            flash(f"Đã lưu chỉ tiêu kế hoạch năm {year}.", "success")
            return redirect(url_for("exports.annual_report", year=year))
    stats = services.checkins_per_event([e.id for e in data.events])
    return render_template(
        "exports/annual.html",
        year=year,
        years=list(range(date.today().year, 2022, -1)),
        data=data,
        targets=targets,
        form=form,
        kinds=TARGET_KINDS,
        event_stats=stats,
    ), (422 if form.errors else 200)


@bp.get("/bao-cao/nam")
@role_required(Role.ORGANISER)
def annual_report_pick():
    try:
        year = int(request.args.get("nam", ""))
    except ValueError:
        year = to_local(utcnow()).year
    return redirect(url_for("exports.annual_report", year=year))


# --- import of invited guests ---------------------------------------------------------------------


@bp.get("/bao-cao/su-kien/<slug>/mau-khach-moi.xlsx")
@role_required(Role.ORGANISER)
def guest_template(slug: str):
    event = services.event_for_user(current_user, slug)
    return send_file(
        BytesIO(services.guest_template(event)),
        mimetype=services.XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"mau-khach-moi-{event.slug}.xlsx",
    )


@bp.route("/bao-cao/su-kien/<slug>/nhap-khach", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def import_guests(slug: str):
    """Upload → every row checked, nothing saved → a preview with per-row messages."""
    event = services.event_for_user(current_user, slug)
    form = forms.GuestUploadForm()
    if form.validate_on_submit():
        data = form.file.data.read(MAX_BYTES + 1)
        try:
            check = services.check_guest_file(event, data)
        except DomainError as error:
            apply_error(form, error)
        else:
            token = services.stash_upload(current_user, event, data)
            confirm = forms.GuestConfirmForm(
                token=token,
                all_or_nothing="1" if form.all_or_nothing.data else "",
                send_tickets="1" if form.send_tickets.data else "",
            )
            blocked = bool(form.all_or_nothing.data and check.rejected)
            return render_template(
                "exports/import_preview.html",
                event=event,
                check=check,
                confirm=confirm,
                token=token,
                blocked=blocked,
            )
    status = 422 if form.errors else 200
    return render_template("exports/import_upload.html", event=event, form=form), status


@bp.post("/bao-cao/su-kien/<slug>/nhap-khach/xac-nhan")
@role_required(Role.ORGANISER)
def confirm_import(slug: str):
    event = services.event_for_user(current_user, slug)
    form = forms.GuestConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    data = services.load_upload(current_user, event, form.token.data)
    try:
        result = services.import_guests(
            current_user,
            event,
            data,
            all_or_nothing=bool(form.all_or_nothing.data),
            consent_confirmed=True,  # ticked on the upload form, which refuses to go on without it
            send_tickets=bool(form.send_tickets.data),
        )
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("exports.import_guests", slug=event.slug)), 303
    services.drop_upload(form.token.data)
    message = f"Đã nhập {len(result.imported)} khách mời."
    if result.rejected:
        message += f" {len(result.rejected)} dòng có lỗi không được nhập."
    if result.emailed:
        message += f" Đã gửi vé qua email cho {result.emailed} khách."
    flash(message, "success")
    return redirect(url_for("exports.dashboard", **{"su-kien": event.slug}))


@bp.get("/bao-cao/su-kien/<slug>/nhap-khach/<token>/dong-bi-loai.xlsx")
@role_required(Role.ORGANISER)
def rejected_rows(slug: str, token: str):
    event = services.event_for_user(current_user, slug)
    check = services.check_guest_file(event, services.load_upload(current_user, event, token))
    return _send(services.rejected_rows_export(event, check))
