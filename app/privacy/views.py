"""Privacy pages: "my data" (see, correct, download, withdraw a consent, ask for deletion) and the
staff queue of data requests with their due dates."""

from __future__ import annotations

import json
import re
from datetime import date, datetime

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.accounts.access import role_required
from app.accounts.models import Role
from app.errors import DomainError, apply_error
from app.localtime import format_date, format_datetime, utcnow
from app.privacy import bp, services
from app.privacy.forms import DataRequestForm, PostForm, ResolveForm
from app.privacy.notices import PURPOSES
from app.privacy.registry import label
from app.privacy.services import purposes_for
from app.text import page_number

# Long lists (a busy organiser's activity log) show their first items; the JSON copy has them all.
SHOWN_PER_LIST = 50
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2})?)?")


def shown_text(value: str) -> str:
    """How a text value of the copy reads on the page: ISO dates and times in local dd/mm/yyyy.
    Only a whole value that parses is converted: text a person typed stays as typed."""
    if not _ISO.fullmatch(value):
        return value
    try:
        return (
            format_datetime(datetime.fromisoformat(value))
            if "T" in value
            else format_date(date.fromisoformat(value))
        )
    except ValueError:
        return value


# A template global (not a context processor) so the consent_boxes macro works when imported
# without context.
bp.add_app_template_global(purposes_for, "privacy_purposes")
bp.add_app_template_global(lambda: services.may_work_queue(current_user), "privacy_queue_access")
# The help page lists what erasure removes and keeps from the registry itself, so it stays true.
bp.add_app_template_global(services.erasure_policy, "privacy_erasure_policy")


def _my_data_page(request_form, status=200):
    return render_template(
        "privacy/my_data.html",
        sections=services.data_sections(current_user, limit=SHOWN_PER_LIST + 1),
        consents=services.current_consents("user", current_user.id),
        purposes=PURPOSES,
        label=label,
        shown_text=shown_text,
        shown=SHOWN_PER_LIST,
        request_form=request_form,
        post_form=PostForm(),
        kinds=services.REQUEST_KINDS,
        statuses=services.REQUEST_STATUSES,
        requests=services.my_requests(current_user),
        nothing_kept=services.NOTHING_KEPT,
    ), status


@bp.get("/")
@login_required
def my_data():
    return _my_data_page(DataRequestForm())


@bp.get("/tai-ve")
@login_required
def download_my_data():
    data = services.personal_data(current_user)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": "attachment; filename=du-lieu-ca-nhan.json",
            "Cache-Control": "private, no-store",
        },
    )


@bp.post("/dong-y/<purpose>/rut")
@login_required
def withdraw_consent(purpose: str):
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        services.withdraw("user", current_user.id, purpose, actor=current_user)
    except DomainError as error:
        flash(error.message, "error")
    else:
        label = PURPOSES[purpose].label if purpose in PURPOSES else purpose
        flash(f"Đã rút lại sự đồng ý: {label}", "success")
    return redirect(url_for("privacy.my_data") + "#dong-y")


@bp.post("/yeu-cau")
@login_required
def file_request():
    form = DataRequestForm()
    if form.validate_on_submit():
        try:
            row = services.file_data_request(current_user, form.kind.data, form.details.data or "")
        except DomainError as error:
            apply_error(form, error)
        else:
            flash(
                f"Đã gửi yêu cầu. Ban tổ chức sẽ phản hồi qua email trước {format_datetime(row.due_at)}.",
                "success",
            )
            return redirect(url_for("privacy.my_data") + "#yeu-cau")
    return _my_data_page(form, 422)


@bp.get("/hang-doi")
@role_required(Role.ORGANISER)
def request_queue():
    status = request.args.get("trang_thai", "open")
    if status not in services.REQUEST_STATUSES and status != "":
        status = "open"
    page = page_number(request.args.get("trang"))
    rows, total = services.request_queue(current_user, status=status, page=page)
    return render_template(
        "privacy/queue.html",
        rows=rows,
        total=total,
        status=status,
        statuses=services.REQUEST_STATUSES,
        kinds=services.REQUEST_KINDS,
        now=utcnow(),
        form=ResolveForm(),
        post_form=PostForm(),
        page=page,
        page_size=services.REQUESTS_PAGE_SIZE,
    )


@bp.post("/hang-doi/<int:request_id>")
@role_required(Role.ORGANISER)
def resolve_request(request_id: int):
    form = ResolveForm()
    if form.validate_on_submit():
        try:
            services.resolve_request(current_user, request_id, form.outcome.data, form.note.data or "")
        except DomainError as error:
            if error.status in (403, 404):
                raise
            flash(error.message, "error")
        else:
            flash("Đã ghi kết quả và gửi phản hồi cho người yêu cầu.", "success")
    else:
        flash(" ".join(sum(form.errors.values(), [])) or "Biểu mẫu không hợp lệ.", "error")
    return redirect(url_for("privacy.request_queue"))


@bp.post("/hang-doi/<int:request_id>/an-danh")
@role_required(Role.ORGANISER)
def erase_for_request(request_id: int):
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        services.erase_for_request(current_user, request_id)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        flash(error.message, "error")
    else:
        flash(
            "Đã xoá, ẩn danh hoá dữ liệu của người yêu cầu trên toàn hệ thống, khoá tài khoản và gửi phản hồi.",
            "success",
        )
    return redirect(url_for("privacy.request_queue"))
