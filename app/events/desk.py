"""What the organisers' and the desk's screens list: an attendee's check-ins, the latest check-ins,
the delegations (for "check in the whole group"), a volunteer's events by day."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select

from app.events.models import Attendee, Checkin, Event
from app.extensions import db
from app.localtime import to_local


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
