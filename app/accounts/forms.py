"""Account forms: shape only (required, lengths, matching); services check meaning."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
)
from wtforms.validators import DataRequired, EqualTo, Length
from wtforms.widgets import CheckboxInput, ListWidget

from app.accounts.models import ROLE_LABELS
from app.forms import Form, NewPasswordField

REQUIRED_NAME = _l("Vui lòng nhập họ và tên.")
REQUIRED_EMAIL = _l("Vui lòng nhập địa chỉ email.")
REQUIRED_PHONE = _l("Vui lòng nhập số điện thoại di động.")
REQUIRED_PASSWORD = _l("Vui lòng nhập mật khẩu.")
MISMATCH = _l("Hai mật khẩu không khớp nhau.")


class SignupForm(Form):
    full_name = StringField(_l("Họ và tên"), validators=[DataRequired(REQUIRED_NAME), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired(REQUIRED_EMAIL), Length(max=254)])
    phone = TelField(_l("Số điện thoại di động"), validators=[DataRequired(REQUIRED_PHONE), Length(max=20)])
    password = NewPasswordField(_l("Mật khẩu"), validators=[DataRequired(REQUIRED_PASSWORD)])
    password_confirm = NewPasswordField(
        _l("Nhập lại mật khẩu"),
        validators=[DataRequired(_l("Vui lòng nhập lại mật khẩu.")), EqualTo("password", MISMATCH)],
    )


class LoginForm(Form):
    email = EmailField("Email", validators=[DataRequired(REQUIRED_EMAIL), Length(max=254)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(REQUIRED_PASSWORD)])
    remember = BooleanField(_l("Ghi nhớ đăng nhập trên thiết bị này"))


class EmailOnlyForm(Form):
    email = EmailField("Email", validators=[DataRequired(REQUIRED_EMAIL), Length(max=254)])


class ResetPasswordForm(Form):
    password = NewPasswordField(_l("Mật khẩu mới"), validators=[DataRequired(REQUIRED_PASSWORD)])
    password_confirm = NewPasswordField(
        _l("Nhập lại mật khẩu mới"),
        validators=[DataRequired(_l("Vui lòng nhập lại mật khẩu.")), EqualTo("password", MISMATCH)],
    )


class ChangePasswordForm(Form):
    current_password = PasswordField(
        _l("Mật khẩu hiện tại"), validators=[DataRequired(_l("Vui lòng nhập mật khẩu hiện tại."))]
    )
    new_password = NewPasswordField(_l("Mật khẩu mới"), validators=[DataRequired(REQUIRED_PASSWORD)])
    new_password_confirm = NewPasswordField(
        _l("Nhập lại mật khẩu mới"),
        validators=[DataRequired(_l("Vui lòng nhập lại mật khẩu.")), EqualTo("new_password", MISMATCH)],
    )


class ProfileForm(Form):
    full_name = StringField(_l("Họ và tên"), validators=[DataRequired(REQUIRED_NAME), Length(max=120)])
    phone = TelField(_l("Số điện thoại di động"), validators=[DataRequired(REQUIRED_PHONE), Length(max=20)])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserRolesForm(Form):
    roles = MultiCheckboxField(
        _l("Vai trò"), choices=[(role.value, label) for role, label in ROLE_LABELS.items()]
    )
    active = BooleanField(_l("Tài khoản đang hoạt động"))


class CreateUserForm(Form):
    full_name = StringField(_l("Họ và tên"), validators=[DataRequired(REQUIRED_NAME), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired(REQUIRED_EMAIL), Length(max=254)])
    role = SelectField(
        _l("Vai trò"), choices=[(role.value, label) for role, label in ROLE_LABELS.items()], default="judge"
    )
