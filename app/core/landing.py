"""Where a person lands after signing in: where they were going (a safe `next`), else the page their
role needs. With several roles the narrowest task wins (a judge's sheets, the gate's scanner) over
the broad management overview, and any staff role over the applicant's pages, which stay one link
away in the menu."""

from __future__ import annotations

from flask import current_app, url_for
from sqlalchemy import select

from app.accounts.landing import set_landing
from app.accounts.models import Role, User
from app.contests.models import Entry
from app.contests.services import open_contests
from app.extensions import db
from app.urls import safe_next

# Role → the page it needs, most specific first (an admin holds every role through has_role).
ROLE_PAGES = (
    (Role.JUDGE, "judging.dashboard"),
    (Role.CHECKIN, "events.my_scanning_events"),
    (Role.ORGANISER, "contests.manage_contests"),
)


def _served(endpoint: str) -> bool:
    """Whether the page exists in this deployment (a feature can be left out of FEATURES)."""
    return endpoint in current_app.view_functions


def applicant_landing(user: User) -> str:
    """My entries when there are any; with none, the one open contest (the list when several are open,
    my entries, which says there is none, when none is)."""
    has_entry = db.session.scalar(select(Entry.id).where(Entry.leader_id == user.id).limit(1))
    if has_entry is None:
        contests = open_contests()
        if len(contests) == 1:
            return url_for("contests.show_contest", slug=contests[0].slug)
        if contests:
            return url_for("contests.list_contests")
    return url_for("contests.my_entries")


@set_landing
def landing_url(user: User, target: str | None) -> str:
    """`target` when it is a path on this site; otherwise the page of the user's most specific role."""
    if target and safe_next(target) == target:
        return target
    roles = user.roles
    for role, endpoint in ROLE_PAGES:
        held = user.has_role(role) if role == Role.ORGANISER else role in roles
        if held and _served(endpoint):
            return url_for(endpoint)
    if _served("contests.my_entries"):
        return applicant_landing(user)
    return url_for("accounts.profile")
