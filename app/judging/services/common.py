"""What every part of the judging services reads: a round (with the organiser check), its entries
and judges, whether scoring has started, the blind-round redaction, and the bridge from the pure
scoring rules' refusals to the platform's typed errors."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator

from sqlalchemy import event, select
from sqlalchemy.orm import Session, joinedload, lazyload
from sqlalchemy.orm.interfaces import LoaderOption

from app.accounts.models import User
from app.contests.models import Entry
from app.contests.permissions import require_contest_manager
from app.database import matching_every_word, page_of
from app.errors import Invalid, NotFound
from app.extensions import db
from app.judging import scoring
from app.judging.models import Assignment, Round, RoundEntry, RoundJudge, SheetStatus

REDACTED = "[đã ẩn]"
# Session.info key: ids of the rounds whose results this session's open transaction has changed.
_CHANGED = "judging.results_changed"


@contextlib.contextmanager
def scoring_rule(field: str | None = None, prefix: str = "") -> Iterator[None]:
    """A refusal of the pure scoring rules (bounds, rubric) becomes an Invalid on `field` (422)."""
    try:
        yield
    except scoring.ScoringError as exc:
        raise Invalid(prefix + exc.message, field=field or exc.field, code=exc.code) from exc


def get_round(round_id: int) -> Round:
    round_ = db.session.get(Round, round_id, options=[joinedload(Round.contest)])
    if round_ is None:
        raise NotFound("Không tìm thấy vòng chấm.")
    return round_


def get_round_for_organiser(user: User, round_id: int) -> Round:
    """The round if `user` manages its contest: 404 when missing, 403 for another contest's staff."""
    round_ = get_round(round_id)
    require_contest_manager(user, round_.contest)
    return round_


def round_entry_ids(round_: Round) -> list[int]:
    return list(db.session.scalars(select(RoundEntry.entry_id).where(RoundEntry.round_id == round_.id)))


def round_entries(round_: Round, *, team: bool = False) -> list[Entry]:
    """The round's entries in code order; their members and files only with `team` (the lists
    show code, title and track)."""
    stmt = (
        select(Entry)
        .join(RoundEntry, RoundEntry.entry_id == Entry.id)
        .where(RoundEntry.round_id == round_.id)
        .order_by(Entry.code_number, Entry.id)
    )
    if not team:
        stmt = stmt.options(*entry_alone())
    return list(db.session.scalars(stmt))


ROUND_PAGE_SIZE = 50  # entries per page of an organiser's list of a round


def round_entry_page(
    round_: Round, page: int = 1, query: str = "", *, page_size: int = ROUND_PAGE_SIZE
) -> tuple[list[Entry], int]:
    """One page of the round's entries in code order, those matching `query` (every word, in the
    entry's folded search text: code, title, organisation, team), and how many match in all."""
    stmt = (
        select(Entry)
        .join(RoundEntry, RoundEntry.entry_id == Entry.id)
        .where(RoundEntry.round_id == round_.id, *matching_every_word(Entry.search_text, query))
        .order_by(Entry.code_number, Entry.id)
        .options(*entry_alone())
    )
    return page_of(stmt, page, page_size)


def entry_alone() -> tuple[LoaderOption, ...]:
    """Loader options for entries listed without their team and files (Entry loads both by default)."""
    return (lazyload(Entry.members), lazyload(Entry.files))


def round_judges(round_: Round) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(RoundJudge, RoundJudge.user_id == User.id)
            .where(RoundJudge.round_id == round_.id)
            .order_by(User.full_name, User.id)
        )
    )


def results_changed(*rounds: Round) -> None:
    """Bump the rounds' `results_version` (as the SQL `results_version + 1`, flushed with the rest of
    the current transaction): the computed results cached under the old version are no longer read,
    by any app instance.

    Every write that can change a round's results calls this before its commit: a sheet submitted
    or reopened, an override, a rule, rubric, method, tie-break, component, component score or
    prize-plan change, entries or judges added or removed, sheets dropped for a conflict, a panel
    decision, publishing."""
    for round_ in rounds:
        round_.results_version = Round.results_version + 1  # an SQL expression; expired after the flush
        db.session.info.setdefault(_CHANGED, set()).add(round_.id)


def results_changed_uncommitted(round_id: int) -> bool:
    """True while this session's transaction has changed the round's results and not committed:
    what it computes now must not be cached (the version it would be cached under may roll back)."""
    return round_id in db.session.info.get(_CHANGED, ())


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _transaction_over(session: Session) -> None:
    session.info.pop(_CHANGED, None)


def scoring_started(round_: Round) -> bool:
    """True once any judge has saved a sheet (draft or submitted) in the round: from then on its
    rubric is fixed and the round cannot be deleted."""
    first = db.session.scalar(
        select(Assignment.id)
        .where(Assignment.round_id == round_.id, Assignment.status != SheetStatus.TODO.value)
        .limit(1)
    )
    return first is not None


def redactor(entry: Entry) -> Callable[[str], str]:
    """Blind rounds: teams often write their own names into the dossier text, so every member's
    name, organisation, email and phone (and the leader account's) is replaced in what is shown."""
    secrets_: set[str] = {entry.organisation}
    people = list(entry.members)
    for member in people:
        secrets_ |= {member.full_name, member.organisation, member.email, member.phone}
        if member.phone.startswith("+84"):
            secrets_.add("0" + member.phone[3:])
    if entry.leader is not None:
        secrets_ |= {entry.leader.full_name, entry.leader.email, entry.leader.phone or ""}
    words = sorted((s.strip() for s in secrets_ if s and len(s.strip()) >= 3), key=len, reverse=True)
    if not words:
        return lambda text: text
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    return lambda text: pattern.sub(REDACTED, text or "")
