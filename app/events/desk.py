"""What the organisers' and the desk's screens list: an attendee's check-ins, the latest check-ins,
the delegations (for "check in the whole group"), a volunteer's events by day, and the desk's search."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, func, select

from app.errors import Invalid
from app.events.checkin import ScanScope, checkin_json
from app.events.models import Attendee, Checkin, Event, Ticket
from app.events.registration import filter_by_search
from app.extensions import db
from app.localtime import to_local
from app.text import fold_query, phone_search_forms


def attendee_checkins(attendee: Attendee) -> list[Checkin]:
    """Every check-in of this registration (undone ones too), oldest first."""
    return list(
        db.session.scalars(
            select(Checkin).where(Checkin.attendee_id == attendee.id).order_by(Checkin.at, Checkin.id)
        )
    )


def recent_checkins(event: Event, limit: int = 20) -> list[Checkin]:
    """The event's latest check-ins, newest first."""
    return list(
        db.session.scalars(
            select(Checkin)
            .where(Checkin.event_id == event.id)
            .order_by(Checkin.at.desc(), Checkin.id.desc())
            .limit(limit)
        )
    )


def list_groups(event: Event) -> list[tuple[str, int]]:
    """The event's delegations with their number of valid registrations, by name."""
    return [
        (name, count)
        for name, count in db.session.execute(
            select(Attendee.group_name, func.count())
            .where(Attendee.event_id == event.id, Attendee.group_name != "", Attendee.cancelled_at.is_(None))
            .group_by(Attendee.group_name)
            .order_by(Attendee.group_name)
        )
    ]


class ScanningAgenda(NamedTuple):
    today: list[Event]
    upcoming: list[Event]
    past: list[Event]


PAST_SHOWN = 10  # the scanner's index lists only the latest past events


def scanning_agenda(events: list[Event], now: datetime) -> ScanningAgenda:
    """A volunteer's events for the /quet-ve index: those happening today (local calendar day)
    first, then upcoming soonest first, then the latest past ones; each event once."""
    today = to_local(now).date()
    buckets: dict[str, list[Event]] = {"today": [], "upcoming": [], "past": []}
    seen: set[int] = set()
    for event in sorted(events, key=lambda e: (e.starts_at, e.id)):
        if event.id in seen:
            continue
        seen.add(event.id)
        if to_local(event.starts_at).date() > today:
            buckets["upcoming"].append(event)
        elif to_local(event.ends_at).date() < today:
            buckets["past"].append(event)
        else:
            buckets["today"].append(event)
    return ScanningAgenda(buckets["today"], buckets["upcoming"], buckets["past"][::-1][:PAST_SHOWN])


def search_attendees(scope: ScanScope, query: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """Accent-insensitive search by name, phone or organisation, with ticket and check-in state."""
    folded = fold_query(query or "")
    if len(folded.replace(" ", "")) < 2:
        raise Invalid("Nhập ít nhất 2 ký tự để tìm.", field="q", code="query_too_short")
    stmt = (
        select(
            Attendee.id,
            Attendee.full_name,
            Attendee.phone,
            Attendee.category,
            Attendee.organisation,
            Attendee.group_name,
            Ticket.code,
            Checkin.id.label("checkin_id"),
            Checkin.at.label("checkin_at"),
            Checkin.gate.label("checkin_gate"),
        )
        .outerjoin(Ticket, and_(Ticket.attendee_id == Attendee.id, Ticket.revoked_at.is_(None)))
        .outerjoin(Checkin, and_(Checkin.ticket_id == Ticket.id, Checkin.undone_at.is_(None)))
        .where(Attendee.event_id == scope.event_id, Attendee.cancelled_at.is_(None))
    )
    rows = db.session.execute(filter_by_search(stmt, query).order_by(Attendee.full_name).limit(limit)).all()
    results = []
    for r in rows:
        phone = phone_search_forms(r.phone)
        results.append(
            {
                "id": r.id,
                "name": r.full_name,
                "phone_tail": phone[-3:] if phone else "",
                "category": r.category,
                "organisation": r.organisation,
                "group": r.group_name,
                "code": r.code,
                "checkin": checkin_json(r.checkin_id, r.checkin_at, r.checkin_gate, "")
                if r.checkin_id
                else None,
            }
        )
    return results
