"""Certificate pages: the organisers' page per contest and per event (template, issuing, the list,
batches), the person's PDF, and the public verification page. Thin: parse, call one service, map
the result or the error."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.accounts.access import role_required
from app.accounts.models import Role
from app.certificates import bp, forms, services
from app.certificates import jobs as certificate_jobs
from app.certificates.models import KINDS, Certificate
from app.contests.models import Contest
from app.contests.permissions import get_contest, manageable_contests, require_contest_manager
from app.errors import DomainError, NotFound, apply_error, form_status
from app.events.models import Event
from app.events.permissions import get_event_for_manager, manageable_events, may_run_events
from app.extensions import limiter
from app.text import page_number, whole_number


@bp.app_context_processor
def certificate_helpers():
    return {
        "certificates_for_entry": lambda entry: services.certificates_for_entry(current_user, entry),
        "certificates_manage_access": lambda: current_user.is_authenticated and may_run_events(current_user),
    }


# --- the organisers' pages ------------------------------------------------------------------------


@bp.get("/quan-ly/chung-nhan")
@role_required(Role.ORGANISER)
def index():
    return render_template(
        "certificates/index.html",
        contests=manageable_contests(current_user),
        events=manageable_events(current_user),
    )


def _contest(slug: str) -> Contest:
    contest = get_contest(slug)
    require_contest_manager(current_user, contest)
    return contest


def _page(contest: Contest | None, event: Event | None, template_form=None, status: int = 200):
    template = services.template_for(contest=contest, event=event)
    if template_form is None:
        template_form = forms.TemplateForm(
            obj=template,
            wording_prize=services.wording_of(template, "prize"),
            wording_finalist=services.wording_of(template, "finalist"),
            wording_attendance=services.wording_of(template, "attendance"),
        )
    issue_form = forms.IssueForm()
    rounds = services.contest_rounds(contest) if contest else []
    issue_form.round_id.choices = [(str(r.id), r.name) for r in rounds]
    published = [r for r in rounds if r.published_at] or rounds
    if published:
        issue_form.round_id.data = str(published[-1].id)  # the last published round: the final, usually
    issued = services.issued_page(contest=contest, event=event, page=page_number(request.args.get("trang")))
    return (
        render_template(
            "certificates/manage.html",
            contest=contest,
            event=event,
            owner="event" if event else "contest",
            slug=(event or contest).slug,  # type: ignore[union-attr]
            template=template,
            has_seal=services.seal_file(template) is not None,
            template_form=template_form,
            issue_form=issue_form,
            revoke_form=forms.RevokeForm(),
            batch_form=forms.BatchForm(),
            certificates=issued.rows,
            total=issued.total,
            live=issued.live,
            page=page_number(request.args.get("trang")),
            page_size=services.ISSUED_PAGE_SIZE,
            kinds=KINDS,
            groups=["attendance"] if event else ["prize", "finalist"],
        ),
        status,
    )


def _owner(owner: str, slug: str) -> tuple[Contest | None, Event | None]:
    if owner == "su-kien":
        return None, get_event_for_manager(current_user, slug)
    return _contest(slug), None


def _back(owner: str, slug: str) -> str:
    return url_for("certificates.manage", owner=owner, slug=slug)


@bp.get("/quan-ly/chung-nhan/<any('cuoc-thi', 'su-kien'):owner>/<slug>")
@role_required(Role.ORGANISER)
def manage(owner: str, slug: str):
    contest, event = _owner(owner, slug)
    return _page(contest, event)


@bp.post("/quan-ly/chung-nhan/<any('cuoc-thi', 'su-kien'):owner>/<slug>/mau")
@role_required(Role.ORGANISER)
def save_template(owner: str, slug: str):
    contest, event = _owner(owner, slug)
    form = forms.TemplateForm()
    if form.validate_on_submit():
        template = services.template_for(contest=contest, event=event)
        values = {
            name: form[name].data or ""
            for name in form.data
            if name not in ("seal", "remove_seal", "csrf_token")
        }
        try:
            services.save_template(
                current_user, template, values, seal=form.seal.data, remove_seal=bool(form.remove_seal.data)
            )
        except DomainError as error:
            apply_error(form, error)
        else:
            flash("Đã lưu mẫu giấy chứng nhận.", "success")
            return redirect(_back(owner, slug), 303)
    return _page(contest, event, form, form_status(form))


@bp.post("/quan-ly/chung-nhan/<any('cuoc-thi', 'su-kien'):owner>/<slug>/cap")
@role_required(Role.ORGANISER)
def issue(owner: str, slug: str):
    contest, event = _owner(owner, slug)
    form = forms.IssueForm()
    group = form.group.data or ""
    if not form.validate_on_submit() or group not in (["attendance"] if event else ["prize", "finalist"]):
        flash("Vui lòng chọn nhóm người nhận giấy chứng nhận.", "error")
        return redirect(_back(owner, slug), 303)
    round_id = whole_number(form.round_id.data)  # at most 9 digits: an id, never an overflow
    try:
        done = services.issue(current_user, group, contest=contest, event=event, round_id=round_id)
    except DomainError as error:
        flash(error.message, "error")
    else:
        message = f"Đã cấp {len(done.created)} giấy chứng nhận mới"
        if done.reused:
            message += f"; {done.reused} người đã có giấy (giữ nguyên mã cũ)"
        if done.mailed:
            message += f"; đã gửi thư cho {done.mailed} người"
        flash(message + ".", "success")
    return redirect(_back(owner, slug), 303)


@bp.post("/quan-ly/chung-nhan/<any('cuoc-thi', 'su-kien'):owner>/<slug>/tai")
@role_required(Role.ORGANISER)
def batch(owner: str, slug: str):
    contest, event = _owner(owner, slug)
    form = forms.BatchForm()
    kind = {"zip": "certificates.zip", "pdf": "certificates.pdf"}.get(form.format.data or "")
    if not form.validate_on_submit() or kind is None:
        flash("Vui lòng chọn cách tải.", "error")
        return redirect(_back(owner, slug), 303)
    name = (event or contest).name  # type: ignore[union-attr]
    title = f"Giấy chứng nhận – {name}" + (" (.zip)" if kind == "certificates.zip" else " (PDF nhiều trang)")
    job = certificate_jobs.start(
        current_user, kind, "event" if event else "contest", slug, title, _back(owner, slug)
    )
    return redirect(url_for("jobs.show", job_id=job.id), 303)


@bp.post("/quan-ly/chung-nhan/<int:certificate_id>/thu-hoi")
@role_required(Role.ORGANISER)
def revoke(certificate_id: int):
    certificate = services.get_for_manager(current_user, certificate_id)
    contest, event = services.owner_of(certificate)
    back = _back("su-kien", event.slug) if event else _back("cuoc-thi", contest.slug)  # type: ignore[union-attr]
    form = forms.RevokeForm()
    if not form.validate_on_submit():
        flash("Vui lòng nhập lý do thu hồi.", "error")
        return redirect(back, 303)
    try:
        services.revoke(current_user, certificate, form.reason.data or "")
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(f"Đã thu hồi giấy chứng nhận {certificate.code}.", "success")
    return redirect(back, 303)


# --- the person's PDF and the public verification -------------------------------------------------


@bp.get("/chung-nhan/<code>.pdf")
@limiter.limit("60 per minute")
def download(code: str):
    certificate = services.certificate_for_download(current_user, code, request.args.get("t"))
    response = Response(services.render_one(certificate), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{services.file_name(certificate)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/xac-minh")
def verify_form():
    typed = request.args.get("ma")
    if typed is not None:
        code = services.normalize_code(typed)
        if code:
            return redirect(url_for("certificates.verify", code=code), 303)
        return render_template(
            "certificates/verify_form.html", typed=typed[:40], error=services.NOT_FOUND
        ), 404
    return render_template("certificates/verify_form.html", typed="", error=None)


@bp.get("/xac-minh/<code>")
@limiter.limit("30 per minute")
def verify(code: str):
    try:
        certificate: Certificate | None = services.find_by_code(code)
    except NotFound:
        certificate = None
    if certificate is None:
        return render_template("certificates/verify.html", certificate=None, typed=code[:40]), 404
    template = services.template_of(certificate)
    return render_template(
        "certificates/verify.html",
        certificate=certificate,
        issuer=template.issuer,
        authority=template.authority,
    )
