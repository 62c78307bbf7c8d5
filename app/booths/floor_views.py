"""Routes of the booths package: the exhibition settings, booth types, the floor plan, allocation, the
printable booth list and the downloads — for the event's managers. Thin: parse the form, call one
service (app.booths.floor, floor_allocation, exports), show the result or the error."""

from __future__ import annotations

import tempfile
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from app.accounts.access import role_required
from app.accounts.models import Role
from app.booths import bp, exports, floor, floor_allocation
from app.booths.floor_forms import AllocateForm, BoothTypeForm, PlaceForm, PlanForm, SettingsForm
from app.booths.models import ORG_KINDS, PROVISIONS, STATUS_LABELS, ApplicationStatus
from app.errors import DomainError, apply_error, form_status
from app.events.models import Event
from app.events.permissions import can_manage
from app.forms import Form
from app.localtime import local_to_utc, to_local
from app.text import page_number, whole_number

BASE = "/su-kien/quan-ly/<slug>/gian-hang"
PAGE_SIZE = 50
REVIEW_ENDPOINT = "booths.review_list"  # the applications review list (app/booths/views.py)


@bp.app_context_processor
def floor_helpers() -> dict[str, Any]:
    def booth_floor_summary(event: Event) -> floor_allocation.FloorSummary | None:
        """The counts of the organiser's event page (None for someone who does not manage it)."""
        return floor_allocation.floor_summary(event) if can_manage(current_user, event) else None

    def booths_review_url(event: Event) -> str | None:
        if REVIEW_ENDPOINT not in current_app.view_functions:
            return None
        return url_for(REVIEW_ENDPOINT, slug=event.slug)

    return {
        "booth_floor_summary": booth_floor_summary,
        "booths_review_url": booths_review_url,
        "BOOTH_STATUS_LABELS": STATUS_LABELS,
    }


def _event(slug: str) -> Event:
    return floor.get_event_for_floor(current_user, slug)


def _posted() -> None:
    """A POST with only a CSRF token (delete, release, remove): 400 when the token is missing."""
    if not Form().validate_on_submit():
        abort(400)


# --- settings and booth types ------------------------------------------------------------------------


def _utc(value):
    return local_to_utc(value) if value else None


@bp.route(f"{BASE}/cai-dat", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def floor_settings(slug: str):
    event = _event(slug)
    exhibition = floor.exhibition_for(event)
    form = SettingsForm(obj=exhibition if request.method == "GET" else None)
    if request.method == "GET":
        for name in ("opens_at", "closes_at"):
            value = getattr(exhibition, name)
            getattr(form, name).data = to_local(value).replace(tzinfo=None) if value else None
    if form.validate_on_submit():
        try:
            floor.save_settings(
                current_user,
                event,
                {
                    "is_open": form.is_open.data,
                    "opens_at": _utc(form.opens_at.data),
                    "closes_at": _utc(form.closes_at.data),
                    "exhibitor_rules": form.exhibitor_rules.data or "",
                    "grid_columns": form.grid_columns.data,
                    "grid_rows": form.grid_rows.data,
                },
            )
        except DomainError as error:
            apply_error(form, error)
        else:
            flash("Đã lưu cài đặt gian hàng.", "success")
            return redirect(url_for("booths.floor_settings", slug=slug))
    types = floor.booth_types(event)
    return (
        render_template(
            "booths/setup.html",
            event=event,
            form=form,
            exhibition=exhibition,
            types=types,
            prefixes=_prefixes(event, types),
            provisions=PROVISIONS,
        ),
        form_status(form),
    )


def _prefixes(event: Event, types) -> dict[int, str]:
    plan = floor_allocation.floor_plan(event)
    counts: dict[int, str] = {}
    for spot in plan.spots:
        counts.setdefault(spot.type_id, spot.number)
    return {t.id: floor.number_key(counts[t.id])[0] if t.id in counts else "" for t in types}


def _type_data(form: BoothTypeForm) -> dict[str, Any]:
    return {
        "name": form.name.data or "",
        "size": form.size.data or "",
        "count": form.count.data if form.count.data is not None else 0,
        "prefix": form.prefix.data or "",
        "provides": form.provides.data or [],
        "provides_note": form.provides_note.data or "",
        "passes": form.passes.data if form.passes.data is not None else 0,
        "position": form.position.data if form.position.data is not None else 0,
    }


@bp.route(f"{BASE}/loai-gian/them", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def create_booth_type(slug: str):
    event = _event(slug)
    form = BoothTypeForm()
    if request.method == "GET":
        form.position.data = len(floor.booth_types(event)) + 1
    if form.validate_on_submit():
        try:
            booth_type = floor.save_booth_type(current_user, event, None, _type_data(form))
        except DomainError as error:
            apply_error(form, error)
        else:
            flash(f"Đã thêm loại gian “{booth_type.name}” với {booth_type.count} gian.", "success")
            return redirect(url_for("booths.floor_settings", slug=slug) + "#loai-gian")
    return (
        render_template("booths/setup_type.html", event=event, form=form, booth_type=None),
        form_status(form),
    )


@bp.route(f"{BASE}/loai-gian/<int:type_id>", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def edit_booth_type(slug: str, type_id: int):
    event = _event(slug)
    booth_type = floor.get_booth_type(current_user, event, type_id)
    form = BoothTypeForm(obj=booth_type if request.method == "GET" else None)
    if request.method == "GET":
        form.prefix.data = _prefixes(event, [booth_type]).get(booth_type.id, "")
    if form.validate_on_submit():
        try:
            floor.save_booth_type(current_user, event, booth_type, _type_data(form))
        except DomainError as error:
            apply_error(form, error)
        else:
            flash("Đã lưu loại gian.", "success")
            return redirect(url_for("booths.floor_settings", slug=slug) + "#loai-gian")
    return (
        render_template("booths/setup_type.html", event=event, form=form, booth_type=booth_type),
        form_status(form),
    )


@bp.post(f"{BASE}/loai-gian/<int:type_id>/xoa")
@role_required(Role.ORGANISER)
def delete_booth_type(slug: str, type_id: int):
    event = _event(slug)
    booth_type = floor.get_booth_type(current_user, event, type_id)
    _posted()
    try:
        floor.delete_booth_type(current_user, event, booth_type)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("booths.edit_booth_type", slug=slug, type_id=type_id))
    flash("Đã xoá loại gian và các gian của loại này.", "info")
    return redirect(url_for("booths.floor_settings", slug=slug) + "#loai-gian")


# --- the plan ----------------------------------------------------------------------------------------


def _highlight(plan: floor_allocation.FloorPlan) -> floor_allocation.BoothSpot | None:
    wanted = (request.args.get("gian") or "").strip().upper()[:20]
    return next((spot for spot in plan.spots if spot.number == wanted), None) if wanted else None


@bp.get(f"{BASE}/so-do")
@role_required(Role.ORGANISER)
def floor_plan(slug: str):
    event = _event(slug)
    plan = floor_allocation.floor_plan(event)
    page = page_number(request.args.get("trang"))
    applications, total = floor_allocation.allocation_page(event, page, PAGE_SIZE)
    return render_template(
        "booths/floor.html",
        event=event,
        plan=plan,
        highlight=_highlight(plan),
        applications=applications,
        total=total,
        page=page,
        page_size=PAGE_SIZE,
    )


def _positions_page(event: Event, *, failed: tuple[int, PlaceForm] | None = None, plan_form=None, status=200):
    plan = floor_allocation.floor_plan(event)
    page = page_number(request.args.get("trang"))
    spots = plan.spots[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    forms = {}
    for spot in spots:
        if failed and failed[0] == spot.id:
            forms[spot.id] = failed[1]
            continue
        form = PlaceForm(prefix=f"g{spot.id}", formdata=None)
        form.zone.data, form.x_percent.data, form.y_percent.data = spot.zone, spot.x, spot.y
        form.grid_column.data, form.grid_row.data = spot.column, spot.row
        forms[spot.id] = form
    return (
        render_template(
            "booths/floor_positions.html",
            event=event,
            plan=plan,
            spots=spots,
            forms=forms,
            plan_form=plan_form or PlanForm(prefix="so-do"),
            highlight=_highlight(plan),
            page=page,
            total=len(plan.spots),
            page_size=PAGE_SIZE,
        ),
        status,
    )


@bp.get(f"{BASE}/so-do/vi-tri")
@role_required(Role.ORGANISER)
def floor_positions(slug: str):
    return _positions_page(_event(slug))


@bp.post(f"{BASE}/gian/<int:booth_id>")
@role_required(Role.ORGANISER)
def place_booth(slug: str, booth_id: int):
    event = _event(slug)
    booth = floor.get_booth(current_user, event, booth_id)
    form = PlaceForm(prefix=f"g{booth.id}")
    if form.validate_on_submit():
        try:
            floor.place_booth(
                current_user,
                event,
                booth,
                {
                    "zone": form.zone.data or "",
                    "x_percent": form.x_percent.data,
                    "y_percent": form.y_percent.data,
                    "grid_column": form.grid_column.data,
                    "grid_row": form.grid_row.data,
                },
            )
        except DomainError as error:
            apply_error(form, error)
        else:
            flash(f"Đã lưu vị trí gian {booth.number}.", "success")
            page = page_number(request.args.get("trang"))
            target = url_for(
                "booths.floor_positions", slug=slug, trang=page if page > 1 else None, gian=booth.number
            )
            return redirect(target + f"#vi-tri-{booth.id}")
    if not form.errors and not form.form_errors:
        form.form_errors.append("Biểu mẫu đã hết hạn. Vui lòng tải lại trang và thử lại.")
    return _positions_page(event, failed=(booth.id, form), status=422)


@bp.post(f"{BASE}/so-do/tai-anh")
@role_required(Role.ORGANISER)
def upload_plan(slug: str):
    event = _event(slug)
    form = PlanForm(prefix="so-do")
    if form.validate_on_submit():
        try:
            floor.upload_plan(current_user, event, form.plan.data)
        except DomainError as error:
            apply_error(form, error)
        else:
            flash("Đã tải ảnh sơ đồ. Hãy đặt vị trí từng gian trên ảnh.", "success")
            return redirect(url_for("booths.floor_positions", slug=slug))
    elif not form.errors:
        form.form_errors.append("Biểu mẫu đã hết hạn. Vui lòng tải lại trang và thử lại.")
    return _positions_page(event, plan_form=form, status=422)


@bp.post(f"{BASE}/so-do/xoa-anh")
@role_required(Role.ORGANISER)
def remove_plan(slug: str):
    event = _event(slug)
    _posted()
    try:
        floor.remove_plan(current_user, event)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash("Đã bỏ ảnh sơ đồ; sơ đồ dùng lưới ô.", "info")
    return redirect(url_for("booths.floor_positions", slug=slug))


@bp.get(f"{BASE}/so-do/anh")
@role_required(Role.ORGANISER)
def plan_image(slug: str):
    path, mimetype = floor.plan_file(current_user, _event(slug))
    return send_file(path, mimetype=mimetype, max_age=0)


# --- allocation ----------------------------------------------------------------------------------------


def _allocation_page(event: Event, application, form: AllocateForm, status: int = 200):
    plan = floor_allocation.floor_plan(event)
    groups = floor_allocation.allocation_choices(event, application)
    form.booth_id.choices = {label: [(str(i), text) for i, text in options] for label, options in groups}
    highlight = _highlight(plan)
    if highlight is None and form.booth_id.data:
        chosen = whole_number(form.booth_id.data)
        highlight = next((s for s in plan.spots if s.id == chosen), None)
    if highlight is None and application.booth_id:
        highlight = next((s for s in plan.spots if s.id == application.booth_id), None)
    if request.method == "GET" and not form.booth_id.data:
        if highlight is None and application.booth_id is None and groups and groups[0][1]:
            # Suggest the first free booth of the type applied for; the plan shows where it is.
            first = groups[0][1][0][0]
            highlight = next((s for s in plan.spots if s.id == first), None)
        if highlight is not None and not highlight.allocated:
            form.booth_id.data = str(highlight.id)
    return (
        render_template(
            "booths/floor_allocate.html",
            event=event,
            application=application,
            plan=plan,
            highlight=highlight,
            form=form,
            has_free=any(options for _label, options in groups),
            org_kinds=ORG_KINDS,
            accepted=application.status == ApplicationStatus.ACCEPTED.value,
        ),
        status,
    )


@bp.route(f"{BASE}/phan-gian/<int:application_id>", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def allocate_booth(slug: str, application_id: int):
    event = _event(slug)
    application = floor_allocation.get_application_for_floor(current_user, event, application_id)
    form = AllocateForm()
    if form.validate_on_submit():
        booth_id = whole_number(form.booth_id.data)
        try:
            booth = floor.get_booth(current_user, event, booth_id or 0)
            floor_allocation.allocate(current_user, application, booth)
        except DomainError as error:
            error.field, error.errors = "booth_id", {"booth_id": error.message}  # shown at the booth list
            apply_error(form, error)
            return _allocation_page(event, application, form, error.status)
        flash(f"Đã phân gian {booth.number} cho {application.organisation}.", "success")
        return redirect(url_for("booths.floor_plan", slug=slug, gian=booth.number) + "#so-do")
    return _allocation_page(event, application, form, form_status(form))


@bp.post(f"{BASE}/phan-gian/<int:application_id>/go")
@role_required(Role.ORGANISER)
def release_booth(slug: str, application_id: int):
    event = _event(slug)
    application = floor_allocation.get_application_for_floor(current_user, event, application_id)
    _posted()
    try:
        floor_allocation.release(current_user, application)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(f"Đã gỡ gian của {application.organisation}; gian đó trở lại còn trống.", "info")
    return redirect(url_for("booths.allocate_booth", slug=slug, application_id=application_id))


# --- the printed list and the downloads --------------------------------------------------------------------


@bp.get(f"{BASE}/danh-sach-in")
@role_required(Role.ORGANISER)
def print_booths(slug: str):
    event = _event(slug)
    lines = exports.booth_lines(event)
    zones: dict[str, list[exports.BoothLine]] = {}
    for line in lines:
        zones.setdefault(line.zone, []).append(line)
    return render_template(
        "booths/floor_print.html",
        event=event,
        zones=list(zones.items()),
        total=len(lines),
        taken=sum(1 for line in lines if line.organisation),
    )


def _send(export: exports.BoothExport):
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (send_file closes it)
    export.write(spool)
    spool.seek(0)
    return send_file(spool, mimetype=exports.XLSX_MIMETYPE, as_attachment=True, download_name=export.filename)


@bp.get(f"{BASE}/danh-sach-gian-hang.xlsx")
@role_required(Role.ORGANISER)
def download_booth_list(slug: str):
    return _send(exports.booth_list_export(_event(slug)))


@bp.get(f"{BASE}/don-vi-trung-bay.xlsx")
@role_required(Role.ORGANISER)
def download_exhibitors(slug: str):
    return _send(exports.exhibitors_export(_event(slug)))
