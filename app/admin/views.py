"""Admins list users, create staff accounts and set roles."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import forms as account_forms
from app.accounts import services as accounts
from app.accounts.access import role_required
from app.accounts.models import ROLE_LABELS, Role
from app.admin import bp
from app.errors import Conflict, Invalid, apply_error
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
