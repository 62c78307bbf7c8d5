"""The scanner's offline copy of an event's ticket list (as pretix does), and the version of the
service worker that lets the scanner page open with no network.

The list holds, per active ticket of an active registration, a hash of its code, the name,
category, organisation, delegation and check-in state: enough for an offline scan to show who it
is and to catch a ticket scanned twice on the same device. Never a phone number or an email, and
never the codes themselves: a leaked list opens no gate.

Why a shortened SHA-256 is safe: a code is 16 random bytes plus an 8-byte HMAC under a server
key (tickets.py), so a 64-bit prefix of its SHA-256 can neither be turned back into a code nor
used to forge one. Two tickets of the same event sharing a prefix has a chance of about
n² / 2⁶⁵ (3·10⁻¹² for 10,000 tickets), and would only mislead one offline hint: the server
decides every queued scan when it syncs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, select

from app.errors import Conflict
from app.events.checkin import EVENT_ENDED, ScanScope
from app.events.models import Attendee, Checkin, Ticket
from app.extensions import db
from app.localtime import utcnow

HASH_CHARS = 16  # hex characters of SHA-256 kept (64 bits)
FORMAT = 1  # bump when the rows' layout changes (the scanner drops lists of another format)
FIELDS = ["hash", "name", "category", "organisation", "group", "checked_in_at", "gate"]


def code_hash(code: str) -> str:
    """What the list holds for a ticket code; the scanner computes the same in the browser."""
    return hashlib.sha256(code.encode()).hexdigest()[:HASH_CHARS]


def refuse_if_ended(scope: ScanScope, now: datetime | None = None) -> None:
    """After the event (and with no late check-in) devices must not keep or fetch its list."""
    if scope.ended(now or utcnow()):
        raise Conflict(EVENT_ENDED, code="event_ended")


def list_fingerprint(event_id: int) -> str:
    """A cheap ETag: counts and latest ids/times of what the list shows, in one statement. Any new,
    revoked or erased ticket, cancelled registration, check-in or undo moves one of them."""
    ticket = Ticket.event_id == event_id
    checkin = Checkin.event_id == event_id
    parts = (
        select(func.max(Ticket.id)).where(ticket),
        select(func.max(Ticket.revoked_at)).where(ticket),
        select(func.count()).select_from(Ticket).where(ticket, Ticket.revoked_at.is_(None)),
        select(func.max(Attendee.cancelled_at)).where(Attendee.event_id == event_id),
        select(func.max(Checkin.id)).where(checkin),
        select(func.max(Checkin.undone_at)).where(checkin),
    )
    row = db.session.execute(select(*(part.scalar_subquery() for part in parts))).one()
    raw = f"{FORMAT}|{event_id}|" + "|".join("" if value is None else str(value) for value in row)
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


def _index(values: list[str], positions: dict[str, int], value: str) -> int:
    if value not in positions:
        positions[value] = len(values)
        values.append(value)
    return positions[value]


def ticket_list(scope: ScanScope) -> dict[str, Any]:
    """The event's ticket list for offline scanning (compact: categories and gates by index)."""
    rows = db.session.execute(
        select(
            Ticket.code,
            Attendee.full_name,
            Attendee.category,
            Attendee.organisation,
            Attendee.group_name,
            Checkin.at,
            Checkin.gate,
        )
        .join(Attendee, Attendee.id == Ticket.attendee_id)
        .outerjoin(Checkin, and_(Checkin.ticket_id == Ticket.id, Checkin.undone_at.is_(None)))
        .where(
            Ticket.event_id == scope.event_id, Ticket.revoked_at.is_(None), Attendee.cancelled_at.is_(None)
        )
        .order_by(Ticket.id)
    )
    categories: list[str] = []
    gates: list[str] = list(scope.gates)
    category_at: dict[str, int] = {}
    gate_at = {gate: i for i, gate in enumerate(gates)}
    out: list[list[Any]] = []
    for code, name, category, organisation, group, at, gate in rows:
        checked = at is not None
        out.append(
            [
                code_hash(code),
                name,
                _index(categories, category_at, category),
                organisation,
                group,
                int(at.timestamp()) if checked else None,
                _index(gates, gate_at, gate or "") if checked else None,
            ]
        )
    return {
        "format": FORMAT,
        "event": {
            "slug": scope.event_slug,
            "name": scope.event_name,
            "ends_at": scope.ends_at.isoformat() if scope.ends_at else None,
            "late_checkin": scope.late_checkin,
        },
        "generated_at": utcnow().isoformat(),
        "hash_chars": HASH_CHARS,
        "categories": categories,
        "gates": gates,
        "fields": FIELDS,
        "rows": out,
    }


def worker_version(static_folder: str, assets: Iterable[str], extra: bytes = b"") -> str:
    """The service worker's version: a hash of the contents of every file it caches (and of its own
    code), so a deploy that changes any of them installs a new worker and drops the old caches."""
    digest = hashlib.sha256(extra)
    for name in assets:
        digest.update(name.encode() + b"\0")
        digest.update((Path(static_folder) / name).read_bytes())
    return digest.hexdigest()[:12]
