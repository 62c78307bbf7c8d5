"""Programmes: a year's plan (contest → final → festival) as one public page, and where a contest or
an event stands (sắp diễn ra / đang diễn ra / đã kết thúc). Only Sở staff create and edit programmes;
the writes record to audit and commit here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from app.accounts.models import User
from app.audit.services import record
from app.contests.models import Contest
from app.contests.permissions import is_global_organiser
from app.database import flush
from app.errors import FieldErrors, Invalid, NotFound, PermissionDenied
from app.events.models import Event
from app.extensions import db
from app.judging.models import Round
from app.localtime import utcnow
from app.programmes.models import Programme
from app.text import SLUG_RE, tidy, whole_number

__all__ = [
    "PHASE_LABELS",
    "Activity",
    "ContestState",
    "activities",
    "contest_slugs",
    "contest_states",
    "contests_with_results",
    "create_programme",
    "get_programme_for_manager",
    "get_public_programme",
    "list_programmes",
    "programme_choices",
    "programme_members",
    "programmes_by_year",
    "require_programme_manager",
    "update_programme",
]

UPCOMING, ONGOING, FINISHED = "upcoming", "ongoing", "finished"
PHASE_LABELS = {UPCOMING: "Sắp diễn ra", ONGOING: "Đang diễn ra", FINISHED: "Đã kết thúc"}
YEAR_MIN, YEAR_MAX = 2000, 2100
SLUG_TAKEN = "Đường dẫn này đã được dùng cho chương trình khác."
MAX_DESCRIPTION = 5000


# --- where a contest or an event stands -------------------------------------------------------------


@dataclass(frozen=True)
class ContestState:
    phase: str  # upcoming | ongoing | finished
    has_results: bool  # a round of it has published results

    @property
    def label(self) -> str:
        return PHASE_LABELS[self.phase]


def contests_with_results(contest_ids: Iterable[int]) -> set[int]:
    """The contests among these with at least one published round: one query."""
    ids = {i for i in contest_ids if i}
    if not ids:
        return set()
    rows = db.session.scalars(
        select(Round.contest_id).where(Round.contest_id.in_(ids), Round.published_at.is_not(None)).distinct()
    )
    return set(rows)


def contest_slugs(contest_ids: Iterable[int]) -> dict[int, str]:
    ids = set(contest_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(Contest.id, Contest.slug).where(Contest.id.in_(ids)))
    return {contest_id: slug for contest_id, slug in rows}


def contest_states(contests: Iterable[Contest], now: datetime | None = None) -> dict[int, ContestState]:
    """Where each contest stands, from one query on its rounds. Finished: submissions closed and either
    its last round published or no round still running (not published and not yet past its closing)."""
    now = now or utcnow()
    contests = list(contests)
    rounds: dict[int, list[tuple[int, datetime | None, datetime | None]]] = {c.id: [] for c in contests}
    if contests:
        rows = db.session.execute(
            select(Round.contest_id, Round.position, Round.published_at, Round.closes_at).where(
                Round.contest_id.in_(list(rounds))
            )
        )
        for contest_id, position, published_at, closes_at in rows:
            rounds[contest_id].append((position, published_at, closes_at))
    states = {}
    for contest in contests:
        its = sorted(rounds[contest.id], key=lambda r: r[0])
        has_results = any(published for _p, published, _c in its)
        if now < contest.opens_at:
            phase = UPCOMING
        elif now <= contest.closes_at:
            phase = ONGOING
        else:
            last_published = bool(its) and its[-1][1] is not None
            running = any(
                published is None and (closes is None or closes >= now) for _p, published, closes in its
            )
            phase = FINISHED if last_published or not running else ONGOING
        states[contest.id] = ContestState(phase, has_results)
    return states


def event_phase(event: Event, now: datetime) -> str:
    if now < event.starts_at:
        return UPCOMING
    return ONGOING if now <= event.ends_at else FINISHED


# --- reading programmes ----------------------------------------------------------------------------


def programmes_by_year(*, published_only: bool = True) -> list[tuple[int, list[Programme]]]:
    """Programmes grouped by year, newest year first."""
    stmt = select(Programme).order_by(Programme.year.desc(), Programme.name)
    if published_only:
        stmt = stmt.where(Programme.is_published.is_(True))
    years: dict[int, list[Programme]] = {}
    for programme in db.session.scalars(stmt):
        years.setdefault(programme.year, []).append(programme)
    return list(years.items())


def list_programmes() -> list[Programme]:
    """Every programme, for Sở staff: newest year first."""
    return list(db.session.scalars(select(Programme).order_by(Programme.year.desc(), Programme.name)))


def get_public_programme(slug: str) -> Programme:
    programme = db.session.scalar(select(Programme).where(Programme.slug == slug))
    if programme is None or not programme.is_published:
        raise NotFound("Không tìm thấy chương trình.")
    return programme


@dataclass
class Activity:
    """One line of a programme's page: a contest or an event, with its dates and where it stands."""

    kind: str  # contest | event
    name: str
    slug: str
    starts_at: datetime
    ends_at: datetime
    phase: str
    contest_slug: str | None = None  # the contest whose results belong here (the contest, or the final's)
    has_results: bool = False
    venue: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def phase_label(self) -> str:
        return PHASE_LABELS[self.phase]


def activities(programme: Programme, now: datetime | None = None) -> list[Activity]:
    """The programme's published contests and events in date order, as the plan runs them."""
    now = now or utcnow()
    contests = list(
        db.session.scalars(
            select(Contest).where(Contest.programme_id == programme.id, Contest.is_published.is_(True))
        )
    )
    events = list(
        db.session.scalars(
            select(Event).where(Event.programme_id == programme.id, Event.is_published.is_(True))
        )
    )
    linked = {e.contest_id for e in events if e.contest_id}
    linked_contests = {
        c.id: c
        for c in db.session.scalars(
            select(Contest).where(Contest.id.in_(linked), Contest.is_published.is_(True))
        )
    }
    linked_contests.update({c.id: c for c in contests})
    states = contest_states(linked_contests.values(), now)
    items = [
        Activity(
            kind="contest",
            name=c.name,
            slug=c.slug,
            starts_at=c.opens_at,
            ends_at=c.closes_at,
            phase=states[c.id].phase,
            contest_slug=c.slug,
            has_results=states[c.id].has_results,
        )
        for c in contests
    ]
    for e in events:
        contest = linked_contests.get(e.contest_id) if e.contest_id else None
        items.append(
            Activity(
                kind="event",
                name=e.name,
                slug=e.slug,
                starts_at=e.starts_at,
                ends_at=e.ends_at,
                phase=event_phase(e, now),
                contest_slug=contest.slug if contest else None,
                has_results=bool(contest and states[contest.id].has_results),
                venue=e.venue,
            )
        )
    return sorted(items, key=lambda a: (a.starts_at, a.kind != "contest", a.name))


# --- Sở staff: create and edit ----------------------------------------------------------------------


def require_programme_manager(actor: User | None) -> None:
    """Programmes span every contest and event of a year: Sở staff (and admins) only."""
    if not is_global_organiser(actor):
        raise PermissionDenied("Chỉ cán bộ Sở quản lý các chương trình.")


def get_programme_for_manager(actor: User, programme_id: int) -> Programme:
    require_programme_manager(actor)
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        raise NotFound("Không tìm thấy chương trình.")
    return programme


def programme_members(programme: Programme) -> tuple[list[int], list[int]]:
    """Ids of the contests and events the programme groups now (the edit form's ticks)."""
    contests = db.session.scalars(select(Contest.id).where(Contest.programme_id == programme.id))
    events = db.session.scalars(select(Event.id).where(Event.programme_id == programme.id))
    return list(contests), list(events)


def programme_choices() -> tuple[list[Contest], list[Event]]:
    """Every contest and event an organiser may attach, newest first."""
    contests = list(db.session.scalars(select(Contest).order_by(Contest.opens_at.desc())))
    events = list(db.session.scalars(select(Event).order_by(Event.starts_at.desc())))
    return contests, events


def _ids(
    values: Iterable[object] | None, model: type[Contest] | type[Event], field_name: str, noun: str
) -> set[int]:
    ids = set()
    for value in values or []:
        number = value if isinstance(value, int) and not isinstance(value, bool) else whole_number(value)
        if number is None or number < 1:
            raise Invalid(f"Có {noun} không hợp lệ trong danh sách đã chọn.", field=field_name)
        ids.add(number)
    if ids:
        found = set(db.session.scalars(select(model.id).where(model.id.in_(ids))))
        if found != ids:
            raise Invalid(f"Có {noun} đã chọn không còn tồn tại; vui lòng tải lại trang.", field=field_name)
    return ids


def _apply(programme: Programme, data: dict[str, Any]) -> tuple[set[int], set[int]]:
    """Check every field of the programme form, every refusal in one Invalid (issue 15), then
    change the programme; the contests' and events' ids to attach."""
    errors = FieldErrors()
    name = tidy(data.get("name", ""), one_line=True)
    if len(name) < 3:
        errors.add("name", "Vui lòng nhập tên chương trình (ít nhất 3 ký tự).")
    elif len(name) > 200:
        errors.add("name", "Tên chương trình không được dài quá 200 ký tự.")
    slug = tidy(data.get("slug", "")).lower()
    if not SLUG_RE.match(slug) or len(slug) > 80:
        errors.add("slug", "Đường dẫn chỉ gồm chữ thường không dấu, số và dấu gạch ngang.")
    raw_year = data.get("year")
    year = (
        raw_year if isinstance(raw_year, int) and not isinstance(raw_year, bool) else whole_number(raw_year)
    )
    if year is None or not YEAR_MIN <= year <= YEAR_MAX:
        errors.add("year", f"Năm phải là số từ {YEAR_MIN} đến {YEAR_MAX}, ví dụ 2024.")
    description = tidy(data.get("description", ""))
    if len(description) > MAX_DESCRIPTION:
        errors.add("description", "Phần giới thiệu không được dài quá 5.000 ký tự.")
    plan = tidy(data.get("plan_reference", ""), one_line=True)
    if len(plan) > 200:
        errors.add("plan_reference", "Căn cứ kế hoạch không được dài quá 200 ký tự.")
    contest_ids = errors.check(_ids, data.get("contest_ids"), Contest, "contest_ids", "cuộc thi") or set()
    event_ids = errors.check(_ids, data.get("event_ids"), Event, "event_ids", "sự kiện") or set()
    if "slug" not in errors.errors:
        clash = select(Programme.id).where(Programme.slug == slug)
        if programme.id is not None:
            clash = clash.where(Programme.id != programme.id)
        if db.session.scalar(clash) is not None:
            errors.add("slug", SLUG_TAKEN)
    errors.raise_if_any()
    programme.name, programme.slug, programme.year = name, slug, year or YEAR_MIN  # year: checked above
    programme.description, programme.plan_reference = description, plan
    programme.is_published = bool(data.get("is_published", True))
    return contest_ids, event_ids


def _attach(programme: Programme, model: type[Contest] | type[Event], ids: set[int]) -> None:
    """Exactly these rows belong to the programme: others of it are let go, these are moved in."""
    db.session.execute(
        update(model)
        .where(model.programme_id == programme.id, model.id.not_in(ids))
        .values(programme_id=None)
        .execution_options(synchronize_session=False)
    )
    if ids:
        db.session.execute(
            update(model)
            .where(model.id.in_(ids))
            .values(programme_id=programme.id)
            .execution_options(synchronize_session=False)
        )


def create_programme(actor: User, data: dict[str, Any]) -> Programme:
    """A new programme with its contests and events (ids); Sở staff only."""
    return _save(actor, Programme(), data, "programme.create")


def update_programme(actor: User, programme: Programme, data: dict[str, Any]) -> Programme:
    """Change a programme and which contests and events it groups; Sở staff only."""
    return _save(actor, programme, data, "programme.update")


def _save(actor: User, programme: Programme, data: dict[str, Any], action: str) -> Programme:
    """Check and apply the form's values, attach the chosen contests and events, audit, commit. A
    refused value leaves nothing half-changed in the session."""
    require_programme_manager(actor)
    try:
        contest_ids, event_ids = _apply(programme, data)
        if programme.id is None:
            db.session.add(programme)
        flush(Invalid(SLUG_TAKEN, field="slug"))
    except Invalid:
        db.session.rollback()
        raise
    _attach(programme, Contest, contest_ids)
    _attach(programme, Event, event_ids)
    record(
        actor,
        action,
        "programme",
        programme.id,
        slug=programme.slug,
        contests=sorted(contest_ids),
        events=sorted(event_ids),
    )
    db.session.commit()
    return programme
