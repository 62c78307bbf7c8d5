"""What every part of the judging services reads: a round (with the organiser check), its entries
and judges, whether scoring has started, the blind-round redaction, and the bridge from the pure
scoring rules' refusals to the platform's typed errors."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator

from sqlalchemy import select

from app.accounts.models import User
from app.contests.models import Entry
from app.contests.permissions import require_contest_manager
from app.errors import Invalid, NotFound
from app.extensions import db
from app.judging import scoring
from app.judging.models import Assignment, Round, RoundEntry, RoundJudge, SheetStatus

REDACTED = "[đã ẩn]"


@contextlib.contextmanager
def scoring_rule(field: str | None = None, prefix: str = "") -> Iterator[None]:
    """A refusal of the pure scoring rules (bounds, rubric) becomes an Invalid on `field` (422)."""
    try:
        yield
    except scoring.ScoringError as exc:
        raise Invalid(prefix + exc.message, field=field or exc.field, code=exc.code) from exc


def get_round(round_id: int) -> Round:
    round_ = db.session.get(Round, round_id)
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


def round_entries(round_: Round) -> list[Entry]:
    return list(
        db.session.scalars(
            select(Entry)
            .join(RoundEntry, RoundEntry.entry_id == Entry.id)
            .where(RoundEntry.round_id == round_.id)
            .order_by(Entry.code_number, Entry.id)
        )
    )


def round_judges(round_: Round) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(RoundJudge, RoundJudge.user_id == User.id)
            .where(RoundJudge.round_id == round_.id)
            .order_by(User.full_name, User.id)
        )
    )


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
