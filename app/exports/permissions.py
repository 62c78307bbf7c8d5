"""Who may download what (SPEC §6): the per-object lookups of the report pages.

`*_for_user` lookups raise NotFound/PermissionDenied with the owning package's rule (contests,
judging, events); the CLI, run by the server's operator, uses the plain lookups `get_contest`,
`get_event` and `round_of`.
"""

from __future__ import annotations

from app.accounts.models import User
from app.contests import permissions as contest_permissions
from app.contests.models import Contest
from app.errors import NotFound, PermissionDenied
from app.events import permissions as event_permissions
from app.events.models import Event
from app.judging import services as judging
from app.judging.models import Round


def contest_for_user(user: User, slug: str) -> Contest:
    """404 when missing; 403 for anyone who does not organise it (co-organisers: their own only)."""
    return contest_permissions.get_contest_for_organiser(user, slug)


def round_of(contest: Contest, position: int) -> Round:
    """The contest's round number `position` (1 = first round), as organisers count them."""
    rounds = judging.contest_rounds(contest)
    if not 1 <= position <= len(rounds):
        raise NotFound(f"Cuộc thi này không có vòng {position} (có {len(rounds)} vòng).")
    return rounds[position - 1]


def round_for_user(user: User, round_id: int) -> Round:
    """The round, for an organiser of its contest (the judging package's rule)."""
    return judging.get_round_for_organiser(user, round_id)


def event_for_user(user: User, slug: str) -> Event:
    """404 when missing; 403 unless the user manages the event (the events package's rule: the
    linked contest's organisers and the Sở-wide ones; an unlinked event, the Sở-wide ones only)."""
    return event_permissions.get_event_for_manager(user, slug)


def require_report_access(user: User) -> None:
    """The annual report and the data-request queue cover every contest: Sở staff and admins only."""
    if not contest_permissions.is_global_organiser(user):
        raise PermissionDenied("Chỉ cán bộ Sở hoặc quản trị hệ thống được xem báo cáo tổng hợp toàn tỉnh.")


def get_contest(slug: str) -> Contest:
    """The contest, without a permission check (the operator's CLI)."""
    return contest_permissions.get_contest(slug)


def get_event(slug: str) -> Event:
    """The event, without a permission check (the operator's CLI)."""
    return event_permissions.get_event(slug)
