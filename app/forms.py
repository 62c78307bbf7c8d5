"""The base of every form: Flask-WTF's CSRF plus the one text-cleaning path on every text field."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms.fields import HiddenField, PasswordField, StringField, TextAreaField

from app.text import UnsafeText, normalize, unsafe_message


def _text_filter(multiline: bool):
    def clean(value):
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
        def bind_field(self, form, unbound_field, options):
            kind = unbound_field.field_class
            if issubclass(kind, StringField) and not issubclass(kind, PasswordField):
                multiline = issubclass(kind, TextAreaField)
                if issubclass(kind, HiddenField):
                    multiline = False
                filters = list(unbound_field.kwargs.get("filters", ()))
                options["filters"] = [_text_filter(multiline), *filters]
            return super().bind_field(form, unbound_field, options)
