"""The system page's figures (requests, server errors and check-ins per minute) and who may see them;
the token that opens `/metrics`."""

from __future__ import annotations

import hmac
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from redis import RedisError
from sqlalchemy import func, select

from app.accounts.models import User
from app.contests.permissions import is_global_organiser
from app.errors import PermissionDenied
from app.events.models import Checkin
from app.extensions import db
from app.jobs.models import FAILED, Job
from app.localtime import to_local, utcnow
from app.mail.models import MailFailure
from app.observability.counters import ERRORS, REQUESTS, minute_of, minutes_between, tally
from app.queue import queue

HOURS_CHOICES = (1, 3, 6)
DEFAULT_HOURS = 3


def require_metrics_access(user: User | None) -> None:
    """The figures cover every contest and event: the Sở's organisers and admins only."""
    if not is_global_organiser(user):
        raise PermissionDenied("Chỉ cán bộ Sở hoặc quản trị hệ thống được xem số liệu hệ thống.")


def parse_hours(value: str | None) -> int:
    """The period asked for in the address (`?gio=6`); anything else is the default."""
    return int(value) if value in {str(h) for h in HOURS_CHOICES} else DEFAULT_HOURS


@dataclass
class MinuteRow:
    minute: datetime  # local time
    requests: int
    errors: int
    checkins: int


@dataclass
class SystemFigures:
    hours: int
    since: datetime  # local time, the first minute shown
    until: datetime  # local time, the current minute
    store: str  # "redis" or "database": where the per-minute counts live
    rows: list[MinuteRow]  # oldest first
    tasks_waiting: int | None  # None when the queue's storage did not answer
    jobs_failed: int
    mail_failures: int
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def newest_first(self) -> list[MinuteRow]:
        return self.rows[::-1]

    def chart(self, labels: dict[str, str]) -> dict[str, object]:
        """The spec `static/js/exports/dashboard.js` draws (one line per figure)."""
        return {
            "type": "line",
            "labels": [f"{row.minute:%H:%M}" for row in self.rows],
            "series": [
                {"label": labels[name], "data": [getattr(row, name) for row in self.rows]}
                for name in ("requests", "errors", "checkins")
            ],
        }


def checkins_per_minute(since: datetime, until: datetime) -> Counter[datetime]:
    """Check-ins recorded at any gate between two moments, by UTC minute (undone ones included:
    each was a scan the gates handled)."""
    moments = db.session.scalars(select(Checkin.at).where(Checkin.at >= since, Checkin.at < until))
    return Counter(minute_of(at) for at in moments)


def system_figures(hours: int, now: datetime | None = None) -> SystemFigures:
    """Every minute of the last `hours` hours, oldest first, and the queues' state."""
    now = now or utcnow()
    minutes = minutes_between(now - timedelta(hours=hours) + timedelta(minutes=1), now)
    counts = tally().read((REQUESTS, ERRORS), minutes)
    checkins = checkins_per_minute(minutes[0], minutes[-1] + timedelta(minutes=1))
    rows = [
        MinuteRow(
            minute=to_local(minute),
            requests=counts.get((minute, REQUESTS), 0),
            errors=counts.get((minute, ERRORS), 0),
            checkins=checkins.get(minute, 0),
        )
        for minute in minutes
    ]
    return SystemFigures(
        hours=hours,
        since=to_local(minutes[0]),
        until=to_local(minutes[-1]),
        store=tally().store.name,
        rows=rows,
        tasks_waiting=tasks_waiting(),
        jobs_failed=db.session.scalar(select(func.count()).select_from(Job).where(Job.status == FAILED)) or 0,
        mail_failures=db.session.scalar(select(func.count()).select_from(MailFailure)) or 0,
        totals={name: sum(getattr(row, name) for row in rows) for name in ("requests", "errors", "checkins")},
    )


def tasks_waiting() -> int | None:
    """Tasks (mail, jobs) in the queue waiting for a worker; None when its storage does not answer."""
    try:
        return int(queue.pending_count())
    except (RedisError, sqlite3.Error, OSError):
        return None


def token_matches(authorization: str | None, expected: str) -> bool:
    """`Authorization: Bearer <METRICS_TOKEN>`, compared in constant time."""
    scheme, _, given = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not expected:
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())
