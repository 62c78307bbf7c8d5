"""Routes of the agenda package: the public timetable and its calendar files, an attendee's "Lịch
của tôi" (the ticket is the handle, no account), and the organisers' session pages, live counts per
room and attendance export. Thin: parse, call one service, show the result or the error."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from app.accounts.access import role_required
from app.accounts.models import Role
from app.agenda import attendance, bp, calendar, forms, registrations, services
from app.agenda.models import KINDS, EventSession
from app.errors import DomainError, Invalid, apply_error, form_status
from app.events import permissions
from app.events.models import Event, Ticket
from app.events.registration import get_ticket
from app.localtime import format_date, to_local, utcnow
from app.text import page_number, tidy
from app.urls import absolute_url, base_url

PAGE_SIZE = 50


@bp.app_context_processor
def agenda_helpers():
    return {
        "agenda_next_sessions": services.next_sessions,
        "agenda_session_count": services.session_count,
        "agenda_my_sessions": registrations.my_sessions,
        "agenda_my_places": registrations.my_places,
        "agenda_kinds": KINDS,
        "agenda_room": services.room_label,
    }


@bp.app_template_filter("agenda_time")
def agenda_time(value) -> str:
    """HH:MM in Quảng Ngãi time."""
    return f"{to_local(value):%H:%M}" if value else ""


def _public_event(slug: str) -> Event:
    event = permissions.get_event(slug)
    if not event.is_published and not permissions.can_manage(current_user, event):
        abort(404)
    return event


# --- calendar files ---------------------------------------------------------------------------------


def _entry(session: EventSession, event: Event) -> calendar.Entry:
    parts = [KINDS.get(session.kind, "")]
    if session.speakers:
        parts.append("Diễn giả: " + "; ".join(session.speakers.splitlines()))
    if session.moderators:
        parts.append("Điều phối: " + "; ".join(session.moderators.splitlines()))
    if session.description:
        parts.append(session.description)
    location = ", ".join(p for p in (services.room_label(session.room), event.venue) if p)
    return calendar.Entry(
        uid=calendar.session_uid(session.id, urlsplit(base_url()).hostname or ""),
        title=session.title,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        location=location,
        description="\n\n".join(p for p in parts if p),
        url=absolute_url("agenda.timetable", slug=event.slug) + f"#phien-{session.id}",
    )


def _ics(name: str, event: Event, sessions: Iterable[EventSession], filename: str) -> Response:
    body = calendar.ics_bytes(name, [_entry(s, event) for s in sessions], stamp=utcnow())
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- public -----------------------------------------------------------------------------------------


@bp.get("/su-kien/<slug>/lich")
def timetable(slug: str):
    event = _public_event(slug)
    room = tidy(request.args.get("phong"), one_line=True)[:120]
    kind = tidy(request.args.get("loai"))[:20]
    kind = kind if kind in KINDS else ""
    sessions = services.timetable(event, room=room, kind=kind)
    return render_template(
        "agenda/timetable.html",
        event=event,
        days=services.group_by_day(sessions),
        rooms=services.rooms(event, published_only=True),
        room=room,
        kind=kind,
        waiting=services.waitlist_counts([s.id for s in sessions]),
        now=utcnow(),
    )


@bp.get("/su-kien/<slug>/lich.ics")
def day_ics(slug: str):
    event = _public_event(slug)
    raw = request.args.get("ngay")
    day = services.parse_day(raw) if raw else None
    if raw and day is None:
        raise Invalid("Ngày không hợp lệ: dùng dạng năm-tháng-ngày, ví dụ 2024-05-18.", field="ngay")
    sessions = services.timetable(event, day=day)
    if not sessions:
        abort(404)
    suffix = f"-{day.isoformat()}" if day else ""
    name = f"{event.name} – {format_date(day)}" if day else event.name
    return _ics(name, event, sessions, f"lich-{event.slug}{suffix}.ics")


@bp.get("/su-kien/<slug>/lich/<int:session_id>.ics")
def session_ics(slug: str, session_id: int):
    event = _public_event(slug)
    session = services.get_session(event, session_id, published_only=True)
    return _ics(session.title, event, [session], f"phien-{session.id}.ics")


# --- an attendee's own programme (the ticket is the handle) -----------------------------------------


def _holder_ticket(code: str) -> Ticket | None:
    """The ticket behind the URL; None when it is revoked (the caller shows why)."""
    ticket = get_ticket(code)
    return None if ticket.revoked_at is not None else ticket


def _revoked(code: str):
    ticket = get_ticket(code)
    return render_template("events/ticket_revoked.html", ticket=ticket, event=ticket.attendee.event), 410


def _my_page(ticket: Ticket, *, error: DomainError | None = None):
    attendee = ticket.attendee
    event = attendee.event
    sessions = registrations.programme_for(attendee)
    html = render_template(
        "agenda/my_timetable.html",
        ticket=ticket,
        attendee=attendee,
        event=event,
        days=services.group_by_day(sessions),
        places=registrations.my_places(attendee),
        waiting=services.waitlist_counts([s.id for s in sessions]),
        now=utcnow(),
        error=error,
    )
    return html, error.status if error else 200


@bp.get("/ve/<code>/lich")
def my_timetable(code: str):
    ticket = _holder_ticket(code)
    return _revoked(code) if ticket is None else _my_page(ticket)


@bp.post("/ve/<code>/lich/<int:session_id>/dang-ky")
def register_session(code: str, session_id: int):
    ticket = _holder_ticket(code)
    if ticket is None:
        return _revoked(code)
    try:
        reg = registrations.register_for_session(ticket, session_id)
    except DomainError as error:
        return _my_page(ticket, error=error)
    if reg.status == registrations.WAITLISTED:
        flash(
            "Phiên đã đủ chỗ: bạn đã vào danh sách chờ. Khi có người huỷ, bạn được chuyển lên và nhận thư báo (nếu có email).",
            "warning",
        )
    else:
        flash(f"Đã đăng ký phiên “{reg.session.title}”.", "success")
    return redirect(url_for("agenda.my_timetable", code=ticket.code, _anchor=f"phien-{session_id}"))


@bp.post("/ve/<code>/lich/<int:session_id>/huy")
def cancel_session(code: str, session_id: int):
    ticket = _holder_ticket(code)
    if ticket is None:
        return _revoked(code)
    try:
        registrations.cancel_session_registration(ticket, session_id)
    except DomainError as error:
        return _my_page(ticket, error=error)
    flash("Đã huỷ đăng ký phiên.", "success")
    return redirect(url_for("agenda.my_timetable", code=ticket.code, _anchor=f"phien-{session_id}"))


@bp.get("/ve/<code>/lich.ics")
def my_ics(code: str):
    ticket = _holder_ticket(code)
    if ticket is None:
        return _revoked(code)
    attendee = ticket.attendee
    sessions = registrations.my_sessions(attendee, registered_only=True)
    if not sessions:
        raise Invalid("Bạn chưa giữ chỗ phiên nào: hãy đăng ký phiên trước khi tải lịch.")
    event = attendee.event
    return _ics(f"{event.name} – lịch của tôi", event, sessions, f"lich-cua-toi-{event.slug}.ics")


# --- organisers -------------------------------------------------------------------------------------


def _managed(slug: str) -> Event:
    return permissions.get_event_for_manager(current_user, slug)


@bp.get("/su-kien/quan-ly/<slug>/lich")
@role_required(Role.ORGANISER)
def manage_sessions(slug: str):
    event = _managed(slug)
    page = page_number(request.args.get("trang"))
    sessions, total = services.sessions_page(event, page, PAGE_SIZE)
    return render_template(
        "agenda/manage.html",
        event=event,
        sessions=sessions,
        total=total,
        page=page,
        page_size=PAGE_SIZE,
        waiting=services.waitlist_counts([s.id for s in sessions]),
    )


def _form(event: Event, session: EventSession | None = None) -> forms.SessionForm:
    form = forms.SessionForm(obj=session if request.method == "GET" else None)
    form.day.choices = [(d.isoformat(), services.day_label(d)) for d in services.event_days(event)]
    if request.method == "GET":
        if session is not None:
            start, end = to_local(session.starts_at), to_local(session.ends_at)
            form.day.data = start.date().isoformat()
            form.start.data, form.end.data = start.time(), end.time()
        else:
            form.is_published.data = True
    return form


def _session_data(form: forms.SessionForm) -> dict:
    return {
        "title": form.title.data or "",
        "kind": form.kind.data or "",
        "day": form.day.data or "",
        "start": form.start.data,
        "end": form.end.data,
        "room": form.room.data or "",
        "speakers": form.speakers.data or "",
        "moderators": form.moderators.data or "",
        "description": form.description.data or "",
        "capacity": form.capacity.data,
        "registration_required": form.registration_required.data,
        "is_published": form.is_published.data,
    }


def _form_page(event: Event, form: forms.SessionForm, session: EventSession | None):
    html = render_template(
        "agenda/session_form.html", event=event, form=form, session=session, rooms=services.rooms(event)
    )
    return html, form_status(form)


@bp.route("/su-kien/quan-ly/<slug>/lich/tao-moi", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def create_session(slug: str):
    event = _managed(slug)
    form = _form(event)
    if form.validate_on_submit():
        try:
            services.create_session(current_user, event, _session_data(form))
        except DomainError as error:
            apply_error(form, error)
        else:
            flash("Đã thêm phiên.", "success")
            return redirect(url_for("agenda.manage_sessions", slug=event.slug))
    return _form_page(event, form, None)


@bp.route("/su-kien/quan-ly/<slug>/lich/<int:session_id>/sua", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def edit_session(slug: str, session_id: int):
    event = _managed(slug)
    session = services.get_session(event, session_id)
    form = _form(event, session)
    if form.validate_on_submit():
        try:
            services.update_session(current_user, session, _session_data(form))
        except DomainError as error:
            apply_error(form, error)
        else:
            flash("Đã lưu phiên.", "success")
            return redirect(url_for("agenda.manage_sessions", slug=event.slug))
    return _form_page(event, form, session)


@bp.post("/su-kien/quan-ly/<slug>/lich/<int:session_id>/xoa")
@role_required(Role.ORGANISER)
def delete_session(slug: str, session_id: int):
    event = _managed(slug)
    session = services.get_session(event, session_id)
    try:
        services.delete_session(current_user, session)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("agenda.edit_session", slug=event.slug, session_id=session_id))
    flash("Đã xoá phiên.", "success")
    return redirect(url_for("agenda.manage_sessions", slug=event.slug))


@bp.get("/su-kien/quan-ly/<slug>/lich/so-lieu")
@role_required(Role.ORGANISER)
def live_rooms(slug: str):
    event = _managed(slug)
    return render_template(
        "agenda/live.html",
        event=event,
        counts=services.live_counts(event),
        counts_url=url_for("agenda.live_rooms_json", slug=event.slug),
    )


@bp.get("/su-kien/quan-ly/<slug>/lich/so-lieu.json")
@role_required(Role.ORGANISER)
def live_rooms_json(slug: str):
    response = jsonify(services.live_counts(_managed(slug)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/su-kien/quan-ly/<slug>/lich/tham-du.xlsx")
@role_required(Role.ORGANISER)
def export_attendance(slug: str):
    body, filename = attendance.attendance_workbook(current_user, _managed(slug))
    response = Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
