"""Consent checkboxes for any form: one unticked box per purpose offered in a context."""

from __future__ import annotations

from wtforms import BooleanField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.forms import Form
from app.privacy import services
from app.privacy.services import purposes_for


def with_consents(form_class: type, context: str) -> type:
    """A subclass of `form_class` with a BooleanField `consent_<code>` per purpose (all unticked).

    Required boxes are checked by the service (privacy.services.check_choices), not the form, so
    every rule has one home.
    """
    fields = {
        f"consent_{purpose.code}": BooleanField(purpose.label, default=False)
        for purpose, _required in purposes_for(context)
    }
    return type(f"{form_class.__name__}WithConsents", (form_class,), {**fields, "consent_context": context})


def consent_choices(form) -> dict[str, bool]:
    """The ticked state of every consent box on a form built by with_consents."""
    return {
        purpose.code: bool(getattr(form, f"consent_{purpose.code}").data)
        for purpose, _required in purposes_for(form.consent_context)
    }


class DataRequestForm(Form):
    kind = SelectField(
        "Loại yêu cầu",
        choices=[("", "— Chọn —")] + list(services.REQUEST_KINDS.items()),
        validate_choice=False,
    )
    details = TextAreaField(
        "Nội dung (bắt buộc với yêu cầu sửa hoặc yêu cầu khác)", validators=[Length(max=4000)]
    )


class ResolveForm(Form):
    outcome = RadioField(
        "Kết quả",
        choices=[("done", "Đã xử lý"), ("refused", "Từ chối (ghi rõ lý do)")],
        validators=[DataRequired("Vui lòng chọn kết quả xử lý.")],
    )
    note = TextAreaField("Nội dung phản hồi gửi người yêu cầu", validators=[Length(max=4000)])


class PostForm(Form):
    """A button that only carries the CSRF token."""
