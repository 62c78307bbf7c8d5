"""Event pages: public registration and tickets, the scanner and live counts, organisers' screens.
Thin: parse the form, call one service, show the result or the error."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.accounts.access import role_required
from app.accounts.models import Role
from app.contests.permissions import is_global_organiser
from app.errors import Conflict, DomainError, Invalid, apply_error, form_status
from app.events import bp, desk, forms, offline, permissions, registration, scanpoints, services, tickets
from app.events.models import DEFAULT_CATEGORIES, DEFAULT_GATES, DEFAULT_PUBLIC_CATEGORIES
from app.events.stats import event_stats, event_totals
from app.extensions import limiter
from app.features import CSP
from app.localtime import local_to_utc, to_local, utcnow
from app.privacy.forms import consent_choices
from app.text import page_number

# The camera decoder (qr-scanner) runs its decoding in a Worker built from a blob: URL.
SCANNER_CSP = CSP.replace("default-src 'self';", "default-src 'self'; worker-src 'self' blob:;")
# What the scanner's service worker caches besides the scanner pages (static/…), and its own code.
SW_SOURCE = "js/events/sw.js"
SW_ASSETS = (
    "js/events/scanner.js",
    "js/events/offline-list.js",
    "css/events.css",
    "css/app.css",
    "vendor/pico/pico.min.css",
    "vendor/qr-scanner/qr-scanner.min.js",
    "vendor/qr-scanner/qr-scanner-worker.min.js",
    "img/favicon.svg",
)
SW_SCOPE = "/su-kien/"
# The scanner pages the worker answers for offline: /su-kien/<slug>/quet-ve.
SW_PAGE_PATTERN = r"^/su-kien/[a-z0-9-]+/quet-ve$"


@bp.app_context_processor
def events_helpers():
    def open_events():
        return services.list_public_events()

    return {"events_open": open_events, "now_utc": utcnow}


def _contest_choices() -> list[tuple[int, str]]:
    """Only the contests this organiser may link to; unlinked events are the Sở's alone."""
    choices = [(c.id, c.name) for c in permissions.linkable_contests(current_user)]
    if is_global_organiser(current_user):
        choices.insert(0, (0, "— Không liên kết —"))
    return choices


# --- public -------------------------------------------------------------------------------------


@bp.get("/su-kien")
def list_events():
    now = utcnow()
    past = services.past_events_by_year(now)
    past_events = [event for _year, events in past for event in events]
    return render_template(
        "events/list.html",
        events=services.list_public_events(now),
        past_years=past,
        attendance=services.attendance_counts(past_events),
        # Which have results is judging's to say (another layer): the template asks contest_results_urls.
        linked_contest_ids={event.contest_id for event in past_events if event.contest_id},
    )


@bp.route("/su-kien/<slug>", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"])
def event_page(slug: str):
    event = permissions.get_event(slug)
    if not event.is_published and not permissions.can_manage(current_user, event):
        abort(404)
    now = utcnow()
    if services.is_past(event, now):
        return _past_event_page(event, now)
    form = forms.RegistrationForm()
    form.category.choices = [("", "— Chọn —")] + [(c, c) for c in registration.public_categories(event)]
    if form.validate_on_submit():
        try:
            attendee = registration.register_attendee(event, _registration_data(form), consent_choices(form))
        except DomainError as error:
            apply_error(form, error)
        else:
            flash("Đăng ký thành công! Đây là vé của bạn – hãy lưu lại hoặc chụp màn hình.", "success")
            return redirect(url_for("events.ticket_page", code=attendee.tickets[-1].code))
    return (
        render_template("events/event.html", event=event, form=form, now=now, past=False),
        form_status(form),
    )


def _past_event_page(event, now):
    """What happened, without registration: a POST (a stale tab, a script) is refused, 409."""
    refusal = None
    if request.method == "POST":
        try:
            services.refuse_if_past(event, now)
        except Conflict as error:
            refusal = error.message
    attendance = services.attendance_counts([event]).get(event.id)
    html = render_template(
        "events/event.html",
        event=event,
        form=None,
        now=now,
        past=True,
        refusal=refusal,
        attendance=attendance,
    )
    return html, 409 if refusal else 200


def _registration_data(form) -> dict:
    return {
        "full_name": form.full_name.data or "",
        "phone": form.phone.data or "",
        "email": form.email.data or "",
        "organisation": form.organisation.data or "",
        "category": form.category.data or "",
        "group_name": form.group_name.data or "",
    }


@bp.route("/su-kien/<slug>/gui-lai-ve", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def resend_ticket(slug: str):
    event = permissions.get_event(slug)
    form = forms.ResendForm()
    if services.is_past(event):
        # No form: the ticket of an event that has taken place opens no gate any more.
        refusal = None
        if request.method == "POST":
            try:
                services.refuse_if_past(event)
            except Conflict as error:
                refusal = error.message
        html = render_template("events/resend.html", event=event, form=None, past=True, refusal=refusal)
        return html, 409 if refusal else 200
    if form.validate_on_submit():
        try:
            registration.request_ticket_resend(event, form.contact.data)
        except Invalid as error:
            apply_error(form, error)
        else:
            flash("Nếu thông tin này đã đăng ký và có email, chúng tôi vừa gửi lại vé tới email đó.", "info")
            return redirect(url_for("events.event_page", slug=event.slug))
    return render_template("events/resend.html", event=event, form=form), form_status(form)


def _qr_data_uri(ticket) -> str:
    png = tickets.qr_png(registration.ticket_url(ticket.code), box_size=8)
    return "data:image/png;base64," + base64.b64encode(png).decode()


@bp.get("/ve/<code>")
def ticket_page(code: str):
    ticket = registration.get_ticket(code)
    attendee = ticket.attendee
    if ticket.revoked_at is not None:
        return render_template("events/ticket_revoked.html", ticket=ticket, event=attendee.event), 410
    return render_template(
        "events/ticket.html",
        ticket=ticket,
        attendee=attendee,
        event=attendee.event,
        qr=_qr_data_uri(ticket),
        past=services.is_past(attendee.event),
    )


# --- check-in staff -----------------------------------------------------------------------------


@bp.get("/quet-ve")
@role_required(Role.CHECKIN, Role.ORGANISER)
def my_scanning_events():
    now = utcnow()
    agenda = desk.scanning_agenda(permissions.events_for_staff(current_user), now)
    return render_template("events/my_events.html", agenda=agenda, now=now, past_shown=desk.PAST_SHOWN)


@bp.get("/su-kien/sw.js")
def service_worker():
    """The scanner's service worker, with its version (a hash of every file it caches) prepended."""
    static = current_app.static_folder or ""
    source = (Path(static) / SW_SOURCE).read_bytes()
    settings = {
        "version": offline.worker_version(static, SW_ASSETS, source),
        "assets": [url_for("static", filename=name) for name in SW_ASSETS],
        "page": SW_PAGE_PATTERN,
    }
    prefix = f"self.SCANNER_SW = {json.dumps(settings)};\n".encode()
    response = Response(prefix + source, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = SW_SCOPE
    return response


@bp.get("/su-kien/<slug>/quet-ve")
@login_required
def scanner(slug: str):
    event = permissions.get_event(slug)
    permissions.require_scanner(current_user, event)
    config = {
        "slug": event.slug,
        "gates": event.gates,
        "points": scanpoints.points_for(event),
        "categories": event.categories,
        "ends_at": event.ends_at.isoformat(),
        "late_checkin": event.late_checkin,
        "tickets": url_for("events.api_ticket_list", slug=event.slug),
        "sw": url_for("events.service_worker"),
        "sw_scope": SW_SCOPE,
        "api": url_for("events.api_checkin", slug=event.slug),
        "search": url_for("events.api_search", slug=event.slug),
        "walkin": url_for("events.api_walk_in", slug=event.slug),
        "group": url_for("events.api_group_checkin", slug=event.slug),
        "undo": url_for("events.api_checkin", slug=event.slug) + "/",
        "staff": current_user.full_name,
    }
    html = render_template(
        "events/scanner.html",
        event=event,
        config=json.dumps(config, ensure_ascii=False),
        points=config["points"],
        groups=desk.list_groups(event),
        consent_form=forms.OrganiserRegistrationForm(prefix="walkin"),
    )
    response = Response(html)
    response.headers["Content-Security-Policy"] = SCANNER_CSP
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/su-kien/<slug>/so-lieu")
@role_required(Role.ORGANISER)
def live_counts(slug: str):
    event = permissions.get_event_for_manager(current_user, slug)
    return render_template(
        "events/live.html",
        event=event,
        stats=event_stats(event.id),
        stats_url=url_for("events.api_stats", slug=event.slug),
    )


# --- organisers ---------------------------------------------------------------------------------


@bp.get("/su-kien/quan-ly")
@role_required(Role.ORGANISER)
def manage_events():
    return render_template(
        "events/manage_list.html", events=permissions.manageable_events(current_user), now=utcnow()
    )


def _event_data(form) -> dict:
    def utc(value):
        return local_to_utc(value) if value else None

    return {
        "name": form.name.data or "",
        "slug": form.slug.data or "",
        "venue": form.venue.data or "",
        "description": form.description.data or "",
        "starts_at": utc(form.starts_at.data),
        "ends_at": utc(form.ends_at.data),
        "registration_opens_at": utc(form.registration_opens_at.data),
        "registration_closes_at": utc(form.registration_closes_at.data),
        "capacity": form.capacity.data,
        "categories": form.categories.data or "",
        "public_categories": form.public_categories.data or "",
        "gates": form.gates.data or "",
        "contest_id": form.contest_id.data or None,
        "is_published": form.is_published.data,
        "show_attendance": form.show_attendance.data,
        "late_checkin": form.late_checkin.data,
    }


@bp.route("/su-kien/quan-ly/tao-moi", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def create_event():
    form = forms.EventForm()
    form.contest_id.choices = _contest_choices()
    if request.method == "GET":
        form.categories.data = "\n".join(DEFAULT_CATEGORIES)
        form.public_categories.data = "\n".join(DEFAULT_PUBLIC_CATEGORIES)
        form.gates.data = "\n".join(DEFAULT_GATES)
    if form.validate_on_submit():
        try:
            event = services.create_event(current_user, _event_data(form))
        except DomainError as error:
            apply_error(form, error)
        else:
            flash("Đã tạo sự kiện.", "success")
            return redirect(url_for("events.manage_event", slug=event.slug))
    return render_template("events/event_form.html", form=form, event=None), form_status(form)


@bp.route("/su-kien/quan-ly/<slug>/sua", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def edit_event(slug: str):
    event = permissions.get_event_for_manager(current_user, slug)
    form = forms.EventForm(obj=event if request.method == "GET" else None)
    form.contest_id.choices = _contest_choices()
    if request.method == "GET":
        for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
            value = getattr(event, name)
            getattr(form, name).data = to_local(value).replace(tzinfo=None) if value else None
        form.categories.data = "\n".join(event.categories)
        form.public_categories.data = "\n".join(registration.public_categories(event))
        form.gates.data = "\n".join(event.gates)
        form.contest_id.data = event.contest_id or 0
    if form.validate_on_submit():
        try:
            services.update_event(current_user, event, _event_data(form))
        except DomainError as error:
            apply_error(form, error)
        else:
            flash("Đã lưu thay đổi.", "success")
            return redirect(url_for("events.manage_event", slug=event.slug))
    return render_template("events/event_form.html", form=form, event=event), form_status(form)


def _dashboard(event, *, staff_form=None, device_form=None, new_token=None, status=200):
    page = page_number(request.args.get("trang"))
    query = request.args.get("q", "").strip()
    attendees, total = registration.list_attendees(event, query=query, page=page)
    return (
        render_template(
            "events/manage_event.html",
            event=event,
            attendees=attendees,
            total=total,
            page=page,
            query=query,
            staff=services.list_staff(event),
            devices=services.list_devices(event),
            staff_form=staff_form or forms.StaffForm(prefix="staff"),
            device_form=device_form or forms.DeviceForm(prefix="device"),
            new_token=new_token,
            stats=event_totals(event.id),
            contest=services.linked_contest(event),
            recent=desk.recent_checkins(event, limit=10),
        ),
        status,
    )


@bp.get("/su-kien/quan-ly/<slug>")
@role_required(Role.ORGANISER)
def manage_event(slug: str):
    return _dashboard(permissions.get_event_for_manager(current_user, slug))


@bp.post("/su-kien/quan-ly/<slug>/nhan-su")
@role_required(Role.ORGANISER)
def add_staff(slug: str):
    event = permissions.get_event_for_manager(current_user, slug)
    form = forms.StaffForm(prefix="staff")
    if form.validate_on_submit():
        try:
            services.assign_staff(current_user, event, form.email.data)
        except DomainError as error:
            apply_error(form, error)
        else:
            flash("Đã phân công tình nguyện viên.", "success")
            return redirect(url_for("events.manage_event", slug=slug) + "#nhan-su")
    return _dashboard(event, staff_form=form, status=422)


@bp.post("/su-kien/quan-ly/<slug>/nhan-su/<int:user_id>/xoa")
@role_required(Role.ORGANISER)
def remove_staff(slug: str, user_id: int):
    event = permissions.get_event_for_manager(current_user, slug)
    form = forms.Form()
    if not form.validate_on_submit():
        abort(400)
    services.remove_staff(current_user, event, user_id)
    flash("Đã bỏ phân công.", "info")
    return redirect(url_for("events.manage_event", slug=slug) + "#nhan-su")


@bp.post("/su-kien/quan-ly/<slug>/thiet-bi")
@role_required(Role.ORGANISER)
def create_device(slug: str):
    event = permissions.get_event_for_manager(current_user, slug)
    form = forms.DeviceForm(prefix="device")
    if form.validate_on_submit():
        try:
            _row, token = services.create_device_token(current_user, event, form.name.data)
        except DomainError as error:
            apply_error(form, error)
        else:
            # Shown once, on this response only: the database keeps only its hash.
            response, status = _dashboard(event, new_token=token)
            response = Response(response, status)
            response.headers["Cache-Control"] = "no-store"
            return response
    return _dashboard(event, device_form=form, status=422)


@bp.post("/su-kien/quan-ly/<slug>/thiet-bi/<int:device_id>/thu-hoi")
@role_required(Role.ORGANISER)
def revoke_device(slug: str, device_id: int):
    event = permissions.get_event_for_manager(current_user, slug)
    if not forms.Form().validate_on_submit():
        abort(400)
    services.revoke_device_token(current_user, event, device_id)
    flash("Đã thu hồi mã thiết bị. Thiết bị đó không còn check-in được.", "info")
    return redirect(url_for("events.manage_event", slug=slug) + "#thiet-bi")


@bp.post("/su-kien/quan-ly/<slug>/dong-bo-cuoc-thi")
@role_required(Role.ORGANISER)
def sync_contest(slug: str):
    event = permissions.get_event_for_manager(current_user, slug)
    if not forms.Form().validate_on_submit():
        abort(400)
    result = services.sync_contest_attendees(current_user, event)
    message = f"Đã đăng ký tự động {result['added']} người từ cuộc thi ({result['skipped']} người đã có)."
    if result["full"]:
        message += f" {result['full']} người chưa đăng ký được vì sự kiện đã đủ chỗ."
    flash(message, "success" if not result["full"] else "warning")
    return redirect(url_for("events.manage_event", slug=slug))


@bp.route("/su-kien/quan-ly/<slug>/dang-ky-ho", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def register_for(slug: str):
    event = permissions.get_event_for_manager(current_user, slug)
    form = forms.OrganiserRegistrationForm()
    form.category.choices = [("", "— Chọn —")] + [(c, c) for c in event.categories]
    if form.validate_on_submit():
        try:
            attendee = registration.register_by_organiser(
                current_user, event, _registration_data(form), consent_choices(form)
            )
        except DomainError as error:
            apply_error(form, error)
        else:
            flash("Đã đăng ký và cấp vé.", "success")
            return redirect(url_for("events.manage_attendee", slug=slug, attendee_id=attendee.id))
    return render_template("events/register_for.html", event=event, form=form), form_status(form)


@bp.get("/su-kien/quan-ly/<slug>/nguoi-tham-du/<int:attendee_id>")
@role_required(Role.ORGANISER)
def manage_attendee(slug: str, attendee_id: int):
    event = permissions.get_event_for_manager(current_user, slug)
    attendee = registration.get_attendee(event, attendee_id)
    return render_template(
        "events/attendee.html",
        event=event,
        attendee=attendee,
        checkins=desk.attendee_checkins(attendee),
        reissue_form=forms.ReasonForm(prefix="reissue"),
        cancel_form=forms.ReasonForm(prefix="cancel"),
    )


@bp.post("/su-kien/quan-ly/<slug>/nguoi-tham-du/<int:attendee_id>/<action>")
@role_required(Role.ORGANISER)
def attendee_action(slug: str, attendee_id: int, action: str):
    event = permissions.get_event_for_manager(current_user, slug)
    attendee = registration.get_attendee(event, attendee_id)
    target = url_for("events.manage_attendee", slug=slug, attendee_id=attendee.id)
    if action == "gui-lai-ve":
        if not forms.Form().validate_on_submit():
            abort(400)
        if registration.resend_ticket(current_user, attendee):
            flash("Đã gửi lại vé qua email.", "success")
        else:
            flash("Người này chưa có email hoặc không có vé hiệu lực.", "warning")
        return redirect(target)
    if action not in ("cap-lai-ve", "huy"):
        abort(404)
    form = forms.ReasonForm(prefix="reissue" if action == "cap-lai-ve" else "cancel")
    if not form.validate_on_submit():
        flash("Vui lòng ghi lý do.", "error")
        return redirect(target)
    try:
        if action == "cap-lai-ve":
            registration.reissue_ticket(current_user, attendee, form.reason.data)
            flash("Đã thu hồi vé cũ và cấp vé mới.", "success")
        else:
            registration.cancel_registration(current_user, attendee, form.reason.data)
            flash("Đã huỷ đăng ký; vé không còn hiệu lực.", "info")
    except (Invalid, Conflict) as error:
        flash(error.message, "error")
    return redirect(target)
