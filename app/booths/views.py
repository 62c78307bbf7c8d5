"""Routes of the booths package: the exhibitor's application (apply, edit, photos, withdraw, an
offered team's confirmation, naming the passes) and the organisers' review (list, one application,
decisions, offering booths to the linked contest's teams). Thin: parse, call one service, answer.
"""

from __future__ import annotations

import time
from typing import Any

from flask import flash, g, redirect, render_template, request, send_file, session, url_for
from flask_login import current_user, login_required

from app.accounts.access import role_required
from app.accounts.models import Role
from app.accounts.validation import format_phone
from app.booths import applications, bp, forms, offers, passes, photos
from app.booths.models import ORG_KINDS, PROVISIONS, STATUS_LABELS, ApplicationStatus
from app.contests.units import commune_name
from app.errors import DomainError, NotFound, apply_error, form_status
from app.events.permissions import get_event, get_event_for_manager
from app.events.services import is_past
from app.extensions import limiter, login_manager
from app.localtime import utcnow
from app.privacy.forms import PostForm, consent_choices
from app.text import page_number, whole_number

S = ApplicationStatus
NAV_KEY = "booth_nav"  # [user id, has applications, when it was read] in the session
NAV_RECHECK_SECONDS = 300


@bp.app_context_processor
def booth_helpers():
    def has_booth_applications() -> bool:
        """Whether the menu shows "Gian hàng của tôi": read at most every NAV_RECHECK_SECONDS per
        session (the menu is on every page; an offer made meanwhile also arrives by mail with its link)."""
        if not current_user.is_authenticated:
            return False
        if "has_booth_applications" not in g:
            cached = session.get(NAV_KEY)
            now = int(time.time())
            if (
                cached
                and cached[0] == current_user.id
                and (cached[1] or now - cached[2] < NAV_RECHECK_SECONDS)
            ):
                g.has_booth_applications = cached[1]
            else:
                g.has_booth_applications = applications.has_applications(current_user)
                session[NAV_KEY] = [current_user.id, g.has_booth_applications, now]
        return bool(g.has_booth_applications)

    return {
        "has_booth_applications": has_booth_applications,
        "booth_exhibition_of": applications.exhibition_of,
        "booth_offered_types": applications.offered_types,
        "booth_window_refusal": applications.window_refusal,
        "booth_provisions": PROVISIONS,
        "booth_org_kinds": ORG_KINDS,
        "booth_status_labels": {s.value: label for s, label in STATUS_LABELS.items()},
        "booth_commune_name": commune_name,
        "booth_format_phone": format_phone,
    }


def _form_data(form) -> dict[str, Any]:
    data = {
        key: getattr(form, key).data or ""
        for key in (
            "organisation",
            "org_kind",
            "tax_code",
            "sector",
            "products",
            "ocop_stars",
            "commune_code",
            "contact_name",
            "contact_phone",
            "contact_email",
            "needs_note",
        )
    }
    data["needs"] = list(form.needs.data or [])
    if getattr(form, "booth_type_id", None) is not None:
        data["booth_type_id"] = whole_number(form.booth_type_id.data)
    return data


def _fill_from(form, application) -> None:
    """Show a saved application in the form (a GET of an application that can still change)."""
    for key in (
        "organisation",
        "org_kind",
        "tax_code",
        "sector",
        "products",
        "commune_code",
        "contact_name",
        "contact_phone",
        "contact_email",
        "needs_note",
    ):
        value = getattr(application, key)
        getattr(form, key).data = value or ""
    if application.contact_phone:
        form.contact_phone.data = application.contact_phone.replace("+84", "0", 1)
    form.ocop_stars.data = str(application.ocop_stars or "")
    form.needs.data = list(application.needs or [])
    if getattr(form, "booth_type_id", None) is not None:
        form.booth_type_id.data = str(application.booth_type_id or "")


# --- the exhibitor --------------------------------------------------------------------------------


@bp.route("/su-kien/<slug>/gian-hang", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"])
def apply(slug: str):
    """What the exhibition offers, and the application form (signed in) while it takes applications."""
    event = get_event(slug)
    now = utcnow()
    exhibition = applications.exhibition_of(event)
    if exhibition is None or not event.is_published:
        raise NotFound("Sự kiện này không nhận đăng ký gian hàng.")
    types = applications.offered_types(event)
    refusal = applications.window_refusal(exhibition, event, now)
    context = {
        "event": event,
        "exhibition": exhibition,
        "types": types,
        "refusal": refusal,
        "past": is_past(event, now),
    }
    if not current_user.is_authenticated:
        if request.method == "POST":  # a session that expired while the form was open
            return login_manager.unauthorized()
        return render_template("booths/apply.html", form=None, application=None, **context)
    application = applications.active_application(current_user, event)
    if application is not None and application.status not in applications.EDITABLE:
        return render_template("booths/apply.html", form=None, application=application, **context)
    if application is not None and application.status == S.OFFERED.value:
        return redirect(url_for("booths.my_application", application_id=application.id))
    form = forms.ApplicationForm()
    form.booth_type_id.choices = [("", "— Chọn —")] + [(str(t.id), t.name) for t in types]
    if request.method == "GET":
        if application is not None:
            _fill_from(form, application)
        else:
            form.contact_name.data = current_user.full_name
            form.contact_email.data = current_user.email
            form.contact_phone.data = (current_user.phone or "").replace("+84", "0", 1)
    if form.validate_on_submit():
        try:
            saved = applications.apply(
                current_user, event, _form_data(form), form.photos.data or [], consent_choices(form), now=now
            )
        except DomainError as error:
            apply_error(form, error)
        else:
            flash(
                "Đã lưu hồ sơ đăng ký gian hàng. Ban tổ chức sẽ xét duyệt và báo kết quả qua email."
                if application is None
                else "Đã cập nhật hồ sơ gian hàng.",
                "success",
            )
            session[NAV_KEY] = [current_user.id, True, int(time.time())]  # the menu link shows at once
            return redirect(url_for("booths.my_application", application_id=saved.id))
    needs_consent = application is None or applications.consents_needed(application)
    html = render_template(
        "booths/apply.html", form=form, application=application, needs_consent=needs_consent, **context
    )
    return html, form_status(form)


@bp.get("/gian-hang-cua-toi")
@login_required
def my_applications():
    return render_template("booths/my_applications.html", rows=applications.my_applications(current_user))


def _application_page(
    application, event, *, confirm_form=None, photos_form=None, pass_forms=None, status=200
):
    pass_rows = passes.passes_of(application)
    pass_forms = pass_forms or {}
    for booth_pass in pass_rows:
        if booth_pass.id not in pass_forms:
            form = forms.PassForm(prefix=f"the{booth_pass.id}")
            form.full_name.data = booth_pass.attendee.full_name
            form.phone.data = (booth_pass.attendee.phone or "").replace("+84", "0", 1)
            pass_forms[booth_pass.id] = form
    if confirm_form is None and application.status == S.OFFERED.value:
        confirm_form = forms.OfferConfirmForm()
        _fill_from(confirm_form, application)
    html = render_template(
        "booths/application.html",
        application=application,
        event=event,
        passes=pass_rows,
        pass_forms=pass_forms,
        confirm_form=confirm_form,
        photos_form=photos_form or forms.PhotosForm(),
        post_form=PostForm(),
        editable=application.status in applications.EDITABLE,
        needs_consent=applications.consents_needed(application) if confirm_form is not None else False,
    )
    return html, status


@bp.get("/gian-hang-cua-toi/<int:application_id>")
@login_required
def my_application(application_id: int):
    application, event = applications.get_for_owner(current_user, application_id)
    return _application_page(application, event)


@bp.post("/gian-hang-cua-toi/<int:application_id>/xac-nhan")
@login_required
def confirm_offer(application_id: int):
    application, event = applications.get_for_owner(current_user, application_id)
    form = forms.OfferConfirmForm()
    if form.validate_on_submit():
        try:
            applications.confirm_offer(
                current_user, application, _form_data(form), form.photos.data or [], consent_choices(form)
            )
        except DomainError as error:
            apply_error(form, error)
        else:
            flash("Cảm ơn bạn đã xác nhận tham gia. Thẻ gian hàng đã được cấp bên dưới.", "success")
            return redirect(url_for("booths.my_application", application_id=application.id))
    return _application_page(application, event, confirm_form=form, status=form_status(form))


@bp.post("/gian-hang-cua-toi/<int:application_id>/rut")
@login_required
def withdraw(application_id: int):
    application, _event = applications.get_for_owner(current_user, application_id)
    if not PostForm().validate_on_submit():
        return redirect(url_for("booths.my_application", application_id=application.id))
    declined = application.status == S.OFFERED.value
    applications.withdraw(current_user, application)
    flash("Đã từ chối lời mời." if declined else "Đã rút hồ sơ đăng ký gian hàng.", "success")
    return redirect(url_for("booths.my_application", application_id=application.id))


@bp.post("/gian-hang-cua-toi/<int:application_id>/anh")
@login_required
def add_photos(application_id: int):
    application, event = applications.get_for_owner(current_user, application_id)
    form = forms.PhotosForm()
    if form.validate_on_submit():
        try:
            added = applications.add_photos(current_user, application, form.photos.data or [])
        except DomainError as error:
            apply_error(form, error)
        else:
            flash(f"Đã thêm {added} ảnh.", "success")
            return redirect(url_for("booths.my_application", application_id=application.id))
    return _application_page(application, event, photos_form=form, status=form_status(form))


@bp.post("/gian-hang-cua-toi/<int:application_id>/anh/<int:photo_id>/xoa")
@login_required
def delete_photo(application_id: int, photo_id: int):
    application, _event = applications.get_for_owner(current_user, application_id)
    if PostForm().validate_on_submit():
        photos.delete_photo(current_user, application, photo_id)
        flash("Đã xoá ảnh.", "success")
    return redirect(url_for("booths.my_application", application_id=application.id))


@bp.post("/gian-hang-cua-toi/<int:application_id>/the/<int:pass_id>")
@login_required
def rename_pass(application_id: int, pass_id: int):
    application, event = applications.get_for_owner(current_user, application_id)
    form = forms.PassForm(prefix=f"the{pass_id}")
    if form.validate_on_submit():
        try:
            passes.rename_pass(current_user, application, pass_id, form.full_name.data, form.phone.data or "")
        except DomainError as error:
            apply_error(form, error)
        else:
            flash("Đã lưu tên trên thẻ.", "success")
            return redirect(url_for("booths.my_application", application_id=application.id))
    return _application_page(application, event, pass_forms={pass_id: form}, status=form_status(form))


@bp.get("/gian-hang/ho-so/<int:application_id>/anh/<int:photo_id>")
@login_required
def show_photo(application_id: int, photo_id: int):
    """A photo, for the applicant and the event's organisers only (403 for anyone else)."""
    photo, path = photos.get_photo_for_viewer(current_user, application_id, photo_id)
    response = send_file(
        path, mimetype=photos.MIME_TYPES[photo.kind], download_name=photo.original_name, max_age=0
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- organisers -----------------------------------------------------------------------------------


@bp.get("/su-kien/quan-ly/<slug>/gian-hang/ho-so")
@role_required(Role.ORGANISER)
def review_list(slug: str):
    event = get_event_for_manager(current_user, slug)
    status = request.args.get("trang_thai", "")
    type_id = whole_number(request.args.get("loai", ""))
    query = (request.args.get("q") or "")[:200]
    page = page_number(request.args.get("trang"))
    rows, total = applications.list_applications(
        current_user, event, status=status, booth_type_id=type_id, query=query, page=page
    )
    return render_template(
        "booths/review_list.html",
        event=event,
        rows=rows,
        total=total,
        page=page,
        page_size=applications.PAGE_SIZE,
        counts=applications.status_counts(event),
        types=applications.booth_types_of(event),
        accepted=applications.accepted_by_type(event),
        status=status if status in {s.value for s in S} else "",
        type_id=type_id,
        query=query,
    )


@bp.route("/su-kien/quan-ly/<slug>/gian-hang/ho-so/<int:application_id>", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def review_application(slug: str, application_id: int):
    event = get_event_for_manager(current_user, slug)
    application = applications.get_for_manager(current_user, event, application_id)
    form = forms.DecisionForm()
    if form.validate_on_submit():
        try:
            applications.decide(current_user, application, form.status.data, form.reason.data or "")
        except DomainError as error:
            apply_error(form, error)
        else:
            flash(f"Đã cập nhật: {application.status_label}. Đơn vị đã được báo qua email.", "success")
            return redirect(url_for("booths.review_application", slug=slug, application_id=application.id))
    html = render_template(
        "booths/review.html",
        event=event,
        application=application,
        form=form,
        passes=passes.passes_of(application),
        accepted=applications.accepted_by_type(event),
    )
    return html, form_status(form)


@bp.route("/su-kien/quan-ly/<slug>/gian-hang/moi-du-an", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def offer_entries(slug: str):
    """Offer a booth to the linked contest's teams (finalists, or every submitted entry), in one action."""
    event = get_event_for_manager(current_user, slug)
    scope = request.args.get("pham_vi", "")
    scope = scope if scope in offers.SCOPES else "finalists"
    entries = offers.offerable_entries(current_user, event, scope)
    if not entries and "pham_vi" not in request.args:  # no finalists yet: every submitted entry
        scope = "all"
        entries = offers.offerable_entries(current_user, event, scope)
    form = forms.OfferForm()
    types = applications.offered_types(event)
    form.booth_type_id.choices = [("", "— Chọn —")] + [(str(t.id), t.name) for t in types]
    chosen = {n for n in (whole_number(v) for v in request.form.getlist("entries")) if n is not None}
    if form.validate_on_submit():
        try:
            result = offers.offer_to_entries(
                current_user, event, chosen, whole_number(form.booth_type_id.data)
            )
        except DomainError as error:
            apply_error(form, error)
        else:
            flash(
                f"Đã mời {result['offered']} đội; bỏ qua {result['skipped']} đội đã được mời hoặc đã đăng ký.",
                "success",
            )
            return redirect(url_for("booths.review_list", slug=slug, trang_thai=S.OFFERED.value))
    html = render_template(
        "booths/offer.html",
        event=event,
        form=form,
        scope=scope,
        scopes=offers.SCOPES,
        entries=entries,
        offered=offers.offered_entry_ids(event),
        chosen=chosen,
        contest=offers.linked_contest(event),
    )
    return html, form_status(form)
