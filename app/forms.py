"""The base of every form: Flask-WTF's CSRF plus the one text-cleaning path on every text field."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms.fields import Field, PasswordField, StringField, TextAreaField
from wtforms.widgets import PasswordInput

from app.text import UnsafeText, normalize, unsafe_message

# WTForms ships no Vietnamese catalogue: its built-in messages (a field with no message of its own)
# would reach people in English. Singular and plural map to one text (Vietnamese has no plural).
WTFORMS_VI = {
    "Field must be equal to %(other_name)s.": "Giá trị phải trùng với ô %(other_name)s.",
    "Field must be at least %(min)d character long.": "Cần ít nhất %(min)d ký tự.",
    "Field must be at least %(min)d characters long.": "Cần ít nhất %(min)d ký tự.",
    "Field cannot be longer than %(max)d character.": "Không được dài quá %(max)d ký tự.",
    "Field cannot be longer than %(max)d characters.": "Không được dài quá %(max)d ký tự.",
    "Field must be exactly %(max)d character long.": "Cần đúng %(max)d ký tự.",
    "Field must be exactly %(max)d characters long.": "Cần đúng %(max)d ký tự.",
    "Field must be between %(min)d and %(max)d characters long.": "Cần từ %(min)d đến %(max)d ký tự.",
    "Number must be at least %(min)s.": "Số phải từ %(min)s trở lên.",
    "Number must be at most %(max)s.": "Số không được lớn hơn %(max)s.",
    "Number must be between %(min)s and %(max)s.": "Số phải từ %(min)s đến %(max)s.",
    "This field is required.": "Vui lòng điền ô này.",
    "Invalid input.": "Giá trị không hợp lệ.",
    "Invalid email address.": "Địa chỉ email không hợp lệ.",
    "Invalid URL.": "Địa chỉ web không hợp lệ.",
    "Invalid value, must be one of: %(values)s.": "Giá trị không hợp lệ; chỉ nhận: %(values)s.",
    "Invalid value, can't be any of: %(values)s.": "Giá trị không hợp lệ; không được là: %(values)s.",
    "This field cannot be edited.": "Ô này không sửa được.",
    "This field is disabled and cannot have a value.": "Ô này bị khoá, không nhận giá trị.",
    "Invalid Choice: could not coerce.": "Lựa chọn không hợp lệ.",
    "Not a valid choice.": "Lựa chọn không có trong danh sách.",
    "Invalid choice(s): one or more data inputs could not be coerced.": "Có lựa chọn không hợp lệ.",
    "'%(value)s' is not a valid choice for this field.": "“%(value)s” không có trong danh sách.",
    "'%(value)s' are not valid choices for this field.": "“%(value)s” không có trong danh sách.",
    "Not a valid datetime value.": "Ngày giờ không hợp lệ (ngày/tháng/năm giờ:phút).",
    "Not a valid date value.": "Ngày không hợp lệ (ngày/tháng/năm).",
    "Not a valid time value.": "Giờ không hợp lệ (giờ:phút).",
    "Not a valid week value.": "Tuần không hợp lệ.",
    "Not a valid integer value.": "Vui lòng nhập một số nguyên.",
    "Not a valid decimal value.": "Vui lòng nhập một số (dùng dấu phẩy hoặc dấu chấm cho phần thập phân).",
    "Not a valid float value.": "Vui lòng nhập một số.",
}


class _WTFormsTranslations:
    """WTForms' own messages in the page's language: Vietnamese from WTFORMS_VI, else English."""

    @staticmethod
    def _vietnamese() -> bool:
        locale = get_locale()
        return locale is None or locale.language == "vi"

    def gettext(self, string: str) -> str:
        return WTFORMS_VI.get(string, string) if self._vietnamese() else string

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


TRANSLATIONS = _WTFormsTranslations()


def _text_filter(multiline: bool) -> Callable[[object], object]:
    def clean(value: object) -> object:
        if not isinstance(value, str):
            return value
        try:
            return normalize(value, multiline=multiline, strip=False)
        except UnsafeText as exc:
            # WTForms turns a ValueError raised by a filter into an error on this field only,
            # so the rest of what was typed is kept and shown again.
            raise ValueError(unsafe_message(exc.char)) from exc

    return clean


class Form(FlaskForm):
    """Every feature's forms inherit this (tests/test_text.py checks that none forgets).

    Each text field (StringField and its kinds, TextAreaField) gets the cleaning filter: NFC, and a
    field error for control, bidi or — outside text areas — format characters. Passwords are left
    exactly as typed (never stored, never normalised: changing them would lock people out).
    """

    class Meta:
        def get_translations(self, form):
            return TRANSLATIONS

        def bind_field(self, form, unbound_field, options):
            kind = unbound_field.field_class
            if issubclass(kind, StringField) and not issubclass(kind, PasswordField):
                multiline = issubclass(kind, TextAreaField)
                filters = list(unbound_field.kwargs.get("filters", ()))
                options["filters"] = [_text_filter(multiline), *filters]
            return super().bind_field(form, unbound_field, options)  # type: ignore[misc]  # WTForms' DefaultMeta, untyped


class NewPasswordField(PasswordField):
    """A new password and its confirmation: shown again after a refused submission only when the
    view says so (`keep_new_passwords`), never by default (WTForms' PasswordField always blanks)."""

    widget = PasswordInput(hide_value=False)


def keep_new_passwords(password: Field, confirmation: Field) -> None:
    """After a refused form: the two new-password fields are typed again only when the password
    itself passed every check and both matched; otherwise both are emptied (retyping one of them
    next to a kept, hidden other would be guesswork)."""
    if password.errors or confirmation.errors or password.data != confirmation.data:
        password.data = confirmation.data = ""
