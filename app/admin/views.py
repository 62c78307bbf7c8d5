"""Admins list users, create staff accounts and set roles; the Sở's organisers see the mail that
could not be delivered and send it again."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from app.accounts import forms as account_forms
from app.accounts import services as accounts
from app.accounts.access import role_required
from app.accounts.models import ROLE_LABELS, Role
from app.admin import bp
from app.audit.services import record
from app.contests.permissions import is_global_organiser
from app.errors import Conflict, Invalid, PermissionDenied, apply_error
from app.extensions import db
from app.mail import services as mail
from app.text import page_number


@bp.get("/")
@role_required(Role.ADMIN)
def index():
    return redirect(url_for("admin.list_users"))


@bp.get("/nguoi-dung")
@role_required(Role.ADMIN)
def list_users():
    query = request.args.get("q", "").strip()[:100]
    role = request.args.get("vai_tro", "")
    role = role if role in Role._value2member_map_ else ""
    page = page_number(request.args.get("trang"))
    users, total = accounts.list_users(query=query, role=role, page=page)
    return render_template(
        "admin/users.html",
        users=users,
        total=total,
        query=query,
        role=role,
        page=page,
        page_size=accounts.USERS_PAGE_SIZE,
        role_labels=ROLE_LABELS,
        create_form=account_forms.CreateUserForm(),
    )


@bp.post("/nguoi-dung/moi")
@role_required(Role.ADMIN)
def create_user():
    form = account_forms.CreateUserForm()
    if form.validate_on_submit():
        try:
            user, _generated = accounts.create_user(
                form.email.data, form.role.data, full_name=form.full_name.data, actor=current_user
            )
            accounts.request_password_reset(user.email)  # the new person sets their own password
        except Invalid as error:
            apply_error(form, error)
        else:
            flash(_("Đã tạo tài khoản %(email)s; thư đặt mật khẩu đã được gửi.", email=user.email), "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    users, total = accounts.list_users()
    return (
        render_template(
            "admin/users.html",
            users=users,
            total=total,
            query="",
            role="",
            page=1,
            page_size=accounts.USERS_PAGE_SIZE,
            role_labels=ROLE_LABELS,
            create_form=form,
        ),
        422,
    )


@bp.route("/nguoi-dung/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_user(user_id: int):
    user = accounts.get_user(user_id)
    form = account_forms.UserRolesForm()
    if request.method == "GET":
        form.roles.data = [str(r) for r in user.roles]
        form.active.data = user.is_active_account
    status = 200
    if form.validate_on_submit():
        try:
            accounts.set_roles(current_user, user, set(form.roles.data or []), form.active.data)
        except Conflict as error:
            form.form_errors.append(error.message)
            status = 409
        else:
            flash(_("Đã cập nhật vai trò."), "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    elif form.errors:
        status = 422
    return render_template("admin/user.html", user=user, form=form, role_labels=ROLE_LABELS), status


# --- mail that could not be delivered -------------------------------------------------------------


def _require_mail_access() -> None:
    """Undelivered mail concerns every contest and event: the Sở's organisers and admins."""
    if not is_global_organiser(current_user):
        raise PermissionDenied(_("Chỉ cán bộ Sở hoặc quản trị hệ thống được xem thư không gửi được."))


@bp.get("/thu-khong-gui-duoc")
@role_required(Role.ORGANISER)
def mail_failures():
    _require_mail_access()
    page = page_number(request.args.get("trang"))
    failures, total = mail.failures_page(page)
    return render_template(
        "admin/mail_failures.html",
        failures=failures,
        total=total,
        page=page,
        page_size=mail.FAILURES_PAGE_SIZE,
        form=FlaskForm(),
    )


@bp.post("/thu-khong-gui-duoc/<int:failure_id>")
@role_required(Role.ORGANISER)
def mail_failure_action(failure_id: int):
    _require_mail_access()
    form = FlaskForm()
    action = request.form.get("thao-tac", "")
    if not form.validate_on_submit() or action not in ("gui-lai", "xoa"):
        raise Invalid(_("Thao tác không hợp lệ. Vui lòng tải lại trang và thử lại."))
    failure = mail.get_failure(failure_id)
    if action == "gui-lai":
        record(current_user, "mail.resend", "mail_failure", failure.id, subject=failure.subject)
        mail.resend_failure(failure)
        flash(_("Đã đưa thư gửi %(to)s vào hàng đợi gửi lại.", to=failure.email), "success")
    else:
        record(current_user, "mail.dismiss", "mail_failure", failure.id, subject=failure.subject)
        mail.dismiss_failure(failure)
        flash(_("Đã xoá thư gửi %(to)s khỏi danh sách.", to=failure.email), "success")
    db.session.commit()
    return redirect(url_for("admin.mail_failures"), 303)
