"""Account pages. Thin: parse the form, call one service, show the result or the error."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.accounts import bp, forms, services
from app.accounts.landing import landing_url
from app.accounts.models import ROLE_LABELS, Role
from app.errors import DomainError, Invalid, apply_error, form_status
from app.extensions import limiter, login_manager
from app.forms import keep_new_passwords


@login_manager.user_loader
def load_user(session_id: str):
    return services.load_session_user(session_id)


@bp.route("/dang-ky", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.profile"))
    form = forms.SignupForm()
    if form.is_submitted():
        shape_ok = form.validate()
        values = (form.full_name.data, form.email.data, form.phone.data, form.password.data)
        try:
            if shape_ok:
                user = services.register_user(*values)
                return render_template("accounts/check_email.html", email=user.email)
            # The form refused something: the service still checks the rest, so every field's
            # problem shows in this one answer (not one per try).
            services.check_signup(*values)
        except Invalid as error:
            apply_error(form, error)
        keep_new_passwords(form.password, form.password_confirm)
    return render_template("accounts/signup.html", form=form), form_status(form)


@bp.get("/xac-nhan/<token>")
def verify_email(token: str):
    try:
        services.verify_email(token)
    except Invalid as error:
        return render_template("accounts/link_problem.html", message=error.message), 400
    flash(_("Email đã được xác nhận. Mời bạn đăng nhập."), "success")
    return redirect(url_for("accounts.login"))


@bp.route("/gui-lai-xac-nhan", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def resend_verification():
    form = forms.EmailOnlyForm()
    if form.validate_on_submit():
        services.resend_verification(form.email.data)
        flash(_("Nếu email này đã đăng ký và chưa xác nhận, chúng tôi vừa gửi lại thư xác nhận."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/resend.html", form=form), 422 if form.errors else 200


@bp.route("/dang-nhap", methods=["GET", "POST"])
@limiter.limit("60 per hour", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(landing_url(current_user, request.args.get("next")))
    form = forms.LoginForm()
    status = 200
    unverified = False
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, request.remote_addr or "")
        except DomainError as error:
            form.form_errors.append(error.message)
            unverified = error.code == "unverified"
            status = error.status if error.status != 422 else 401
        else:
            login_user(services.start_session(user), remember=form.remember.data)
            flash(_("Xin chào %(name)s!", name=user.full_name), "success")
            return redirect(landing_url(user, request.args.get("next")))
    elif form.errors:
        status = 422
    return render_template("accounts/login.html", form=form, unverified=unverified), status


@bp.post("/dang-xuat")
@login_required
def logout():
    services.end_session(current_user)
    logout_user()
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("core.home"))


@bp.route("/quen-mat-khau", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def forgot_password():
    form = forms.EmailOnlyForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        # The same answer whether or not the email has an account.
        return render_template("accounts/check_email.html", email=None, reset=True)
    return render_template("accounts/forgot.html", form=form), 422 if form.errors else 200


@bp.route("/dat-lai-mat-khau/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        services.check_reset_token(token)
    except Invalid as error:
        return render_template("accounts/link_problem.html", message=error.message, reset=True), 400
    form = forms.ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except Invalid as error:
            apply_error(form, error)
        else:
            flash(_("Đã đặt mật khẩu mới. Mời bạn đăng nhập."), "success")
            return redirect(url_for("accounts.login"))
    if form.is_submitted():
        keep_new_passwords(form.password, form.password_confirm)
    status = form_status(form)
    return render_template("accounts/reset.html", form=form), status


@bp.route("/doi-mat-khau", methods=["GET", "POST"])
@login_required
def change_password():
    form = forms.ChangePasswordForm()
    if form.is_submitted():
        shape_ok = form.validate()
        try:
            if shape_ok:
                services.change_password(current_user, form.current_password.data, form.new_password.data)
            elif form.new_password.data:
                services.check_new_password(current_user, form.new_password.data)
        except Invalid as error:
            apply_error(form, error)
        else:
            if shape_ok:
                # The session version changed; log in again on this device only.
                login_user(services.start_session(current_user._get_current_object()))
                flash(_("Đã đổi mật khẩu. Các thiết bị khác đã được đăng xuất."), "success")
                return redirect(url_for("accounts.profile"))
        keep_new_passwords(form.new_password, form.new_password_confirm)
    status = form_status(form)
    return render_template("accounts/change_password.html", form=form), status


@bp.route("/ho-so", methods=["GET", "POST"])
@login_required
def profile():
    form = forms.ProfileForm(obj=current_user if request.method == "GET" else None)
    if request.method == "GET":
        form.phone.data = current_user.phone_display
    if form.is_submitted():
        shape_ok = form.validate()
        try:
            if shape_ok:
                services.update_profile(current_user, form.full_name.data, form.phone.data)
            else:
                services.check_profile(form.full_name.data, form.phone.data)
        except Invalid as error:
            apply_error(form, error)
        else:
            if shape_ok:
                flash(_("Đã lưu thông tin cá nhân."), "success")
                return redirect(url_for("accounts.profile"))
    status = form_status(form)
    return render_template("accounts/profile.html", form=form), status


@bp.app_context_processor
def role_helpers():
    return {"role_label": lambda role: ROLE_LABELS.get(Role(role), role)}
