"""An event's live counts: registered and checked in, by gate, by category and by local hour.

Everything is counted and grouped by the database (SQLite and PostgreSQL alike); no row comes back
to Python but one per group. The live page polls every 5 seconds and a stats API serves the
scanners, so an answer is kept for `STATS_CACHE_SECONDS` (5 by default) in the shared cache (Redis
when configured: one count per event every few seconds for all app instances together, and every
screen sees the same figures): a few seconds of staleness on a wall display, instead of re-counting
200,000 rows for every open screen.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, and_, func, select

from app import shared_cache
from app.errors import NotFound
from app.events.models import Attendee, Checkin, Event
from app.extensions import db
from app.localtime import LOCAL_TZ, format_datetime, utcnow


def _local_hour(column: Any) -> ColumnElement[str]:
    """'YYYY-MM-DD HH:00' of a UTC timestamp column in Asia/Ho_Chi_Minh, computed by the database.

    PostgreSQL converts with its own time-zone data; SQLite has none, so it adds the zone's offset
    (Vietnam has kept UTC+7 without daylight saving since 1975)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(str(LOCAL_TZ), column), "YYYY-MM-DD HH24:00")
    offset = LOCAL_TZ.utcoffset(utcnow().replace(tzinfo=None)) or timedelta(0)
    hours = int(offset.total_seconds() // 3600)
    return func.strftime("%Y-%m-%d %H:00", column, f"{hours:+d} hours")


def _cached(key: str, compute: Any) -> Any:
    seconds = float(current_app.config.get("STATS_CACHE_SECONDS", 5))
    return shared_cache.remember(key, seconds, compute)


def _active(event_id: int) -> ColumnElement[bool]:
    return and_(Checkin.event_id == event_id, Checkin.undone_at.is_(None))


def _totals(event_id: int) -> dict[str, int]:
    registered = db.session.scalar(
        select(func.count()).where(Attendee.event_id == event_id, Attendee.cancelled_at.is_(None))
    )
    checked_in = db.session.scalar(select(func.count()).select_from(Checkin).where(_active(event_id)))
    return {"registered": registered or 0, "checked_in": checked_in or 0}


def event_totals(event_id: int) -> dict[str, int]:
    """Registered and checked in, nothing else: what an attendee list shows above its page."""
    return dict(_cached(f"events:totals:{event_id}", lambda: _totals(event_id)))


def _stats(event_id: int) -> dict[str, Any]:
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotFound("Không tìm thấy sự kiện.", code="not_found")
    active = _active(event_id)
    registered: dict[str, int] = {
        category: count
        for category, count in db.session.execute(
            select(Attendee.category, func.count())
            .where(Attendee.event_id == event_id, Attendee.cancelled_at.is_(None))
            .group_by(Attendee.category)
        )
    }
    checked_by_category: dict[str, int] = {
        category: count
        for category, count in db.session.execute(
            select(Attendee.category, func.count())
            .select_from(Checkin)
            .join(Attendee, Attendee.id == Checkin.attendee_id)
            .where(active)
            .group_by(Attendee.category)
        )
    }
    by_gate = db.session.execute(
        select(Checkin.gate, func.count()).where(active).group_by(Checkin.gate).order_by(Checkin.gate)
    ).all()
    hour = _local_hour(Checkin.at).label("hour")
    by_hour = db.session.execute(select(hour, func.count()).where(active).group_by(hour).order_by(hour)).all()
    categories = list(event.categories) + [c for c in registered if c not in event.categories]
    return {
        "event": event.slug,
        "registered": sum(registered.values()),
        "checked_in": sum(checked_by_category.values()),
        "capacity": event.capacity,
        "by_gate": [{"gate": g or "—", "checked_in": n} for g, n in by_gate],
        "by_category": [
            {"category": c, "registered": registered.get(c, 0), "checked_in": checked_by_category.get(c, 0)}
            for c in categories
        ],
        "by_hour": [
            {"hour": k, "label": f"{k[11:13]}h {k[8:10]}/{k[5:7]}", "checked_in": n} for k, n in by_hour
        ],
        "updated_at": format_datetime(utcnow(), seconds=True),
    }


def event_stats(event_id: int) -> dict[str, Any]:
    """Live counts: registered vs checked in, per gate, per category, per local hour (cached a few
    seconds for every instance; `updated_at` says when they were counted)."""
    return dict(_cached(f"events:stats:{event_id}", lambda: _stats(event_id)))
