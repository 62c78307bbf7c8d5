"""Where a person lands after signing in. Accounts knows no page but its own, so the choice is made
by whoever registers a chooser (app/core/landing.py: the page the person's role needs); without one,
a safe `next` or the account page."""

from __future__ import annotations

from collections.abc import Callable

from app.accounts.models import User
from app.urls import safe_next

Chooser = Callable[[User, str | None], str]
_chooser: list[Chooser] = []


def set_landing(chooser: Chooser) -> Chooser:
    """Register the function that picks the landing page (the last one registered wins)."""
    _chooser[:] = [chooser]
    return chooser


def landing_url(user: User, target: str | None) -> str:
    if _chooser:
        return _chooser[0](user, target)
    return safe_next(target, "accounts.profile")
