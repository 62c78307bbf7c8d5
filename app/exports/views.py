"""Reports pages: the organisers' dashboard, .xlsx downloads, the annual report with its targets,
and the import of invited guests. Thin: parse, call one service, send the file or show the error."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date
from io import BytesIO
from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from app.accounts.access import role_required
from app.accounts.models import Role
from app.contests.permissions import is_global_organiser, manageable_contests
from app.errors import DomainError, Invalid, apply_error
from app.events import guests
from app.exports import bp, downloads, forms, uploads
from app.exports import jobs as export_jobs
from app.exports.annual_report import checkins_per_event, save_targets, target_rows, year_data
from app.exports.dashboard import (
    checkins_by_hour_and_gate,
    contest_breakdowns,
    dashboard_events,
    judging_overview,
    submissions_over_time,
)
from app.exports.models import TARGET_KINDS
from app.exports.permissions import contest_for_user, event_for_user, require_report_access, round_for_user
from app.localtime import to_local, utcnow
from app.mail.services import failure_count
from app.spreadsheet.reader import MAX_BYTES


def _send(export: downloads.Export) -> Response:
    """Stream the workbook through a temporary file: a 50,000-row export never sits in memory."""
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (send_file closes it)
    downloads.write_export(export, spool)
    spool.seek(0)
    return send_file(
        spool, mimetype=downloads.XLSX_MIMETYPE, as_attachment=True, download_name=export.filename
    )


@bp.app_context_processor
def export_helpers():
    return {"exports_report_access": lambda: is_global_organiser(current_user)}


# --- downloads ------------------------------------------------------------------------------------


def _in_background(kind: str, key: str | int, title: str, back_url: str) -> Response:
    """POST: queue the export for the worker and show its progress page."""
    job = export_jobs.start(current_user, kind, key, title, back_url)
    return redirect(url_for("jobs.show", job_id=job.id), 303)  # type: ignore[return-value]


def _offer_background(title: str, rows: int | None, back_url: str) -> tuple[str, int]:
    """GET of a big export: a page with one button that starts it in the background (a GET never
    starts work on the server)."""
    return render_template("exports/prepare.html", title=title, rows=rows, back_url=back_url), 200


def _sized_export(
    kind: str,
    key: str,
    title: str,
    back_url: str,
    rows: Callable[[], int],
    build: Callable[[], downloads.Export],
):
    """An export that may be big: POST queues it; GET sends it at once up to EXPORT_JOB_ROWS rows
    (counted in the database), else offers to prepare it in the background."""
    if request.method == "POST":
        return _in_background(kind, key, title, back_url)
    count = rows()
    if count > current_app.config["EXPORT_JOB_ROWS"]:
        return _offer_background(title, count, back_url)
    return _send(build())


@bp.route("/bao-cao/cuoc-thi/<slug>/ho-so.xlsx", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def download_entries(slug: str):
    contest = contest_for_user(current_user, slug)
    query: dict[str, Any] = {"cuoc-thi": contest.slug}  # a hyphenated query key, as on the dashboard
    return _sized_export(
        "export.entries",
        contest.slug,
        f"Hồ sơ và thành viên – {contest.name}",
        url_for("exports.dashboard", **query),
        lambda: export_jobs.entries_rows(contest),
        lambda: downloads.entries_export(contest),
    )


@bp.get("/bao-cao/cuoc-thi/<slug>/thong-ke.xlsx")
@role_required(Role.ORGANISER)
def download_contest_stats(slug: str):
    return _send(downloads.contest_stats_export(contest_for_user(current_user, slug)))


@bp.get("/bao-cao/vong/<int:round_id>/ket-qua.xlsx")
@role_required(Role.ORGANISER)
def download_results(round_id: int):
    round_ = round_for_user(current_user, round_id)
    try:
        export = downloads.results_export(round_)
    except Invalid as error:
        flash(error.message, "error")
        return redirect(url_for("exports.dashboard", **{"cuoc-thi": round_.contest.slug}))
    return _send(export)


@bp.get("/bao-cao/vong/<int:round_id>/giam-khao.xlsx")
@role_required(Role.ORGANISER)
def download_judges(round_id: int):
    return _send(downloads.judges_export(round_for_user(current_user, round_id)))


@bp.route("/bao-cao/su-kien/<slug>/tham-du.xlsx", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def download_attendance(slug: str):
    event = event_for_user(current_user, slug)
    query: dict[str, Any] = {"su-kien": event.slug}
    return _sized_export(
        "export.attendance",
        event.slug,
        f"Đăng ký và check-in – {event.name}",
        url_for("exports.dashboard", **query),
        lambda: export_jobs.attendance_rows(event),
        lambda: downloads.attendance_export(event),
    )


@bp.get("/bao-cao/yeu-cau-du-lieu.xlsx")
@role_required(Role.ORGANISER)
def download_requests():
    require_report_access(current_user)
    status = request.args.get("trang-thai", "")
    return _send(downloads.requests_export(status))


@bp.route("/bao-cao/nam/<int:year>.xlsx", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def download_report(year: int):
    """The annual report reads every contest and event of the year: always prepared in the background."""
    require_report_access(current_user)
    if not 2000 <= year <= 2100:
        abort(404)
    title = f"Báo cáo tổng hợp năm {year}"
    back = url_for("exports.annual_report", year=year)
    if request.method == "POST":
        return _in_background("export.report", year, title, back)
    return _offer_background(title, None, back)


# --- dashboard ------------------------------------------------------------------------------------


@bp.get("/bao-cao")
@role_required(Role.ORGANISER)
def dashboard():
    contest_list = manageable_contests(current_user)
    wanted = request.args.get("cuoc-thi", "")
    contest = next((c for c in contest_list if c.slug == wanted), contest_list[0] if contest_list else None)
    if wanted and (contest is None or contest.slug != wanted):
        contest_for_user(current_user, wanted)  # 404 or 403 with the usual message
    event_list = dashboard_events(current_user)
    wanted_event = request.args.get("su-kien", "")
    event = next((e for e in event_list if e.slug == wanted_event), event_list[0] if event_list else None)
    if wanted_event and (event is None or event.slug != wanted_event):
        event_for_user(current_user, wanted_event)
    context: dict[str, Any] = {
        "contests": contest_list,
        "contest": contest,
        "events": event_list,
        "event": event,
    }
    if contest is not None:
        context.update(
            submissions=submissions_over_time(contest),
            breakdowns=contest_breakdowns(contest),
            judging=judging_overview(contest),
            deadline=to_local(contest.closes_at),
        )
    if event is not None:
        context["checkins"] = checkins_by_hour_and_gate(event)
    context["year"] = to_local(utcnow()).year
    if is_global_organiser(current_user):
        context["mail_failures"] = failure_count()
    return render_template("exports/dashboard.html", **context)


# --- annual report and the plan's targets ---------------------------------------------------------


@bp.route("/bao-cao/nam/<int:year>", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def annual_report(year: int):
    require_report_access(current_user)
    if not 2000 <= year <= 2100:
        abort(404)
    data = year_data(year)
    targets = target_rows(year, data)
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
            save_targets(current_user, year, values)
        except DomainError as error:
            apply_error(form, error)
        else:
            flash(f"Đã lưu chỉ tiêu kế hoạch năm {year}.", "success")
            return redirect(url_for("exports.annual_report", year=year))
    stats = checkins_per_event([e.id for e in data.events])
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
    event = event_for_user(current_user, slug)
    return send_file(
        BytesIO(guests.guest_template(event)),
        mimetype=downloads.XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"mau-khach-moi-{event.slug}.xlsx",
    )


@bp.route("/bao-cao/su-kien/<slug>/nhap-khach", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def import_guests(slug: str):
    """Upload → every row checked, nothing saved → a preview with per-row messages."""
    event = event_for_user(current_user, slug)
    form = forms.GuestUploadForm()
    if form.validate_on_submit():
        data = form.file.data.read(MAX_BYTES + 1)
        try:
            check = guests.check_guest_file(event, data)
        except DomainError as error:
            apply_error(form, error)
        else:
            token = uploads.stash_upload(current_user, event, data)
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
    event = event_for_user(current_user, slug)
    form = forms.GuestConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    data = uploads.load_upload(current_user, event, form.token.data)
    try:
        result = guests.import_guests(
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
    uploads.drop_upload(form.token.data)
    message = f"Đã nhập {len(result.imported)} khách mời."
    if result.rejected:
        message += f" {len(result.rejected)} dòng có lỗi không được nhập."
    if result.emailed:
        message += f" Vé đang được gửi qua email cho {result.emailed} khách."
    flash(message, "success")
    query: dict[str, Any] = {"su-kien": event.slug}  # a hyphenated query key, as on the dashboard
    return redirect(url_for("exports.dashboard", **query))


@bp.get("/bao-cao/su-kien/<slug>/nhap-khach/<token>/dong-bi-loai.xlsx")
@role_required(Role.ORGANISER)
def rejected_rows(slug: str, token: str):
    event = event_for_user(current_user, slug)
    check = guests.check_guest_file(event, uploads.load_upload(current_user, event, token))
    return _send(downloads.rejected_rows_export(event, check))
