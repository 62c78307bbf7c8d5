"""Consent checkboxes for any form: one unticked box per purpose offered in a context."""

from __future__ import annotations

from wtforms import BooleanField

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
