"""Check-in at the gate (SPEC §9): who is scanning, one scan's answer, undo, walk-ins, delegations,
the desk's search and the live counts. Services commit (or roll back) their own transaction.

A scan's answer (`record_checkin`) is decided by the database in one statement: `INSERT … ON
CONFLICT DO NOTHING` against the partial unique index "one active check-in per ticket", on SQLite
and PostgreSQL alike, without an exception on the common paths. The statements the gate runs
thousands of times a minute speak to the driver directly (see "the gate's SQL" below).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, NoReturn

from flask import current_app
from sqlalchemy import select, update

from app import shared_cache
from app.accounts.models import User
from app.audit.services import record
from app.database import rowcount
from app.errors import Conflict, DomainError, Invalid, NotFound, PermissionDenied
from app.events import tickets
from app.events.models import Attendee, Checkin, Event, Ticket
from app.events.permissions import can_scan, get_event
from app.events.registration import (
    add_registration,
    required_reason,
    send_ticket_email,
    ticket_key,
)
from app.extensions import db
from app.localtime import format_datetime, utcnow
from app.text import tidy, truncate
from app.tokens import hash_token

RESULTS = ("ok", "already_checked_in", "invalid", "revoked", "wrong_event", "event_ended")
MESSAGES = {
    "ok": "Hợp lệ – mời vào.",
    "already_checked_in": "Vé này đã được check-in trước đó.",
    "invalid": "Mã vé không hợp lệ.",
    "revoked": "Vé đã bị thu hồi (đã cấp vé mới hoặc huỷ đăng ký).",
    "wrong_event": "Vé của sự kiện khác.",
    "event_ended": "Sự kiện đã kết thúc.",
}
EVENT_ENDED = MESSAGES["event_ended"]
# Why a later check-in was undone when an offline scan made earlier reached the server.
SUPERSEDED_REASON = "Lượt quét ngoại tuyến sớm hơn tại {gate}"
OFFLINE_GRACE = timedelta(hours=24)  # how old a queued offline scan's own timestamp may be
DEVICE_CACHE_SECONDS = 5  # how long the shared cache keeps a valid device token (see scope_for_device)
_REVOKED = "revoked"  # what a revoked token's cache entry holds for that long (see forget_device)

Answer = dict[str, Any]  # the JSON a scanner receives


class NotAuthenticated(DomainError):
    """No valid credentials (unknown or revoked device token, no session)."""

    status = 401


# --- the gate's SQL on the driver connection -------------------------------------------------------
# A check-in is one SELECT, one INSERT and a COMMIT. Run through SQLAlchemy — even as statements
# built once and cached — a statement took 5 times as long as straight on the DBAPI connection the
# session has already checked out (same connection, same transaction) on SQLite, 1.2–1.7 times on
# PostgreSQL where the round trip dominates (issue 10, per statement: device 43 → 8 µs and ticket
# 58 → 11 µs on SQLite, 133 → 108 µs and 232 → 140 µs on PostgreSQL). So every statement of the
# scan path speaks to the driver directly. The SQL is plain and identical on SQLite and PostgreSQL
# (only the placeholder differs); the values are converted as the models' column types would
# (`_db_time`, `_from_db_time`, `_from_db_json`). Everything else in the package stays on SQLAlchemy.
_SQL = {
    "device": (
        "SELECT d.id, d.name, d.revoked_at, e.id, e.slug, e.name, e.gates, e.ends_at, e.late_checkin"
        " FROM event_device_tokens d JOIN events e ON e.id = d.event_id WHERE d.token_hash = ?"
    ),
    "ticket": (
        "SELECT (SELECT response FROM event_scans WHERE event_id = ? AND scan_id = ?),"
        " t.id, t.event_id, t.revoked_at, a.id, a.full_name, a.category, a.organisation, a.group_name"
        " FROM event_tickets t JOIN event_attendees a ON a.id = t.attendee_id WHERE t.code = ?"
    ),
    "insert_checkin": (
        "INSERT INTO event_checkins"
        " (event_id, ticket_id, attendee_id, at, gate, staff_id, device_id, scan_id, undo_reason)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, '') ON CONFLICT DO NOTHING RETURNING id"
    ),
    "active_checkin": (
        "SELECT c.id, c.at, c.gate, u.full_name, d.name FROM event_checkins c"
        " LEFT JOIN users u ON u.id = c.staff_id LEFT JOIN event_device_tokens d ON d.id = c.device_id"
        " WHERE c.ticket_id = ? AND c.undone_at IS NULL"
    ),
    "stored_scan": "SELECT response FROM event_scans WHERE event_id = ? AND scan_id = ?",
    "checkin_by_scan": (
        "SELECT c.id, c.at, c.gate, u.full_name, d.name,"
        " a.id, a.full_name, a.category, a.organisation, a.group_name"
        " FROM event_checkins c JOIN event_attendees a ON a.id = c.attendee_id"
        " LEFT JOIN users u ON u.id = c.staff_id LEFT JOIN event_device_tokens d ON d.id = c.device_id"
        " WHERE c.event_id = ? AND c.scan_id = ?"
    ),
    "supersede": (
        "UPDATE event_checkins SET undone_at = ?, undone_by_id = ?, undo_reason = ?"
        " WHERE id = ? AND undone_at IS NULL"
    ),
    "insert_scan": (
        "INSERT INTO event_scans (event_id, scan_id, result, response, at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id"
    ),
}
_SQL["insert_checkin_autocommit"] = _SQL["insert_checkin"].replace(" RETURNING id", "")
_SQL_PG = {name: sql.replace("?", "%s") for name, sql in _SQL.items()}


class DeviceRow(NamedTuple):
    id: int
    name: str
    revoked_at: object
    event_id: int
    slug: str
    event_name: str
    gates: list[str]
    ends_at: datetime
    late_checkin: bool


class TicketRow(NamedTuple):
    """A ticket with its attendee; `stored`: the answer already given to this scan_id, if any."""

    stored: Answer | None
    ticket_id: int
    event_id: int
    revoked_at: object
    attendee_id: int
    full_name: str
    category: str
    organisation: str
    group_name: str


class CheckinRow(NamedTuple):
    id: int
    at: datetime
    gate: str
    full_name_staff: str | None
    device_name: str | None


class ScannedCheckin(NamedTuple):
    """The check-in a scan_id created, with its attendee (a replayed "ok")."""

    id: int
    at: datetime
    gate: str
    full_name_staff: str | None
    device_name: str | None
    attendee_id: int
    full_name: str
    category: str
    organisation: str
    group_name: str


def _driver() -> tuple[Any, bool]:
    """The DBAPI connection under the session's connection, and whether it is PostgreSQL."""
    connection = db.session.connection()
    return connection.connection.driver_connection, connection.dialect.name == "postgresql"


def _fetch_one(name: str, params: tuple[object, ...]) -> tuple[Any, ...] | None:
    """Run one statement of `_SQL` in the session's transaction; its first row, or None."""
    driver, postgres = _driver()
    cursor = driver.cursor()
    try:
        cursor.execute((_SQL_PG if postgres else _SQL)[name], params)
        row: tuple[Any, ...] | None = cursor.fetchone()
        return row
    finally:
        cursor.close()


def _db_time(value: datetime, postgres: bool) -> datetime | str:
    """As UTCDateTime stores it: aware on PostgreSQL; naive UTC text on SQLite (SQLAlchemy's format)."""
    if postgres:
        return value
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _from_db_time(value: datetime | str) -> datetime:
    """As UTCDateTime reads it back: aware UTC (SQLite hands back the naive UTC text we stored)."""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _from_db_json(value: Any) -> Any:
    """SQLite hands JSON back as text; psycopg has already decoded it."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def _fetch_rowcount(name: str, params: tuple[object, ...]) -> int:
    """Run one writing statement of `_SQL` in the session's transaction; the rows it changed."""
    driver, postgres = _driver()
    cursor = driver.cursor()
    try:
        cursor.execute((_SQL_PG if postgres else _SQL)[name], params)
        return int(cursor.rowcount)
    finally:
        cursor.close()


def _stored_response(event_id: int, scan_id: str) -> Answer | None:
    row = _fetch_one("stored_scan", (event_id, scan_id))
    return None if row is None else _from_db_json(row[0])


def _active_checkin(ticket_id: int) -> CheckinRow | None:
    row = _fetch_one("active_checkin", (ticket_id,))
    return None if row is None else CheckinRow(row[0], _from_db_time(row[1]), *row[2:])


def _checkin_by_scan(event_id: int, scan_id: str) -> ScannedCheckin | None:
    row = _fetch_one("checkin_by_scan", (event_id, scan_id))
    return None if row is None else ScannedCheckin(row[0], _from_db_time(row[1]), *row[2:])


def _ticket_row(code: str, event_id: int, scan_id: str | None) -> TicketRow | None:
    row = _fetch_one("ticket", (event_id, scan_id, code))
    return None if row is None else TicketRow(_from_db_json(row[0]), *row[1:])


def _checkin_params(
    scope: ScanScope, ticket_row: TicketRow, gate: str, at: datetime, scan_id: str | None, postgres: bool
) -> tuple[object, ...]:
    return (
        scope.event_id,
        ticket_row.ticket_id,
        ticket_row.attendee_id,
        _db_time(at, postgres),
        gate,
        scope.staff_id,
        scope.device_id,
        scan_id,
    )


def _insert_checkin_and_commit(
    scope: ScanScope, ticket_row: TicketRow, gate: str, at: datetime, scan_id: str | None
) -> int | None:
    """Insert the check-in and commit; returns its id, or None when a unique index refused it.

    Called with no write pending in the transaction. On SQLite the INSERT runs as one autocommit
    statement without RETURNING, so the database's write lock is taken and released inside a
    single C call: a writer never holds it while waiting for Python's GIL, and the other gunicorn
    workers' writers are not left sleeping in SQLite's busy handler meanwhile.
    """
    driver, postgres = _driver()
    params = _checkin_params(scope, ticket_row, gate, at, scan_id, postgres)
    cursor = driver.cursor()
    try:
        if postgres:
            cursor.execute(_SQL_PG["insert_checkin"], params)
            row = cursor.fetchone()
            (driver.commit if row is not None else driver.rollback)()
            return None if row is None else int(row[0])
        previous = driver.isolation_level
        driver.isolation_level = None  # autocommit for this one statement
        try:
            cursor.execute(_SQL["insert_checkin_autocommit"], params)
        finally:
            driver.isolation_level = previous
        return int(cursor.lastrowid) if cursor.rowcount == 1 else None
    finally:
        cursor.close()


def _insert_checkin(scope: ScanScope, ticket_row: TicketRow, gate: str, at: datetime) -> int | None:
    """Insert the check-in in the caller's transaction (a walk-in: no scan_id on the row)."""
    _driver_connection, postgres = _driver()
    row = _fetch_one("insert_checkin", _checkin_params(scope, ticket_row, gate, at, None, postgres))
    return None if row is None else int(row[0])


def _claim_scan(scope: ScanScope, scan_id: str, answer: Answer, at: datetime) -> bool:
    """Store the answer given to this scan_id; False when another request already stored one."""
    _driver_connection, postgres = _driver()
    params = (scope.event_id, scan_id, answer["result"], json.dumps(answer), _db_time(at, postgres))
    return _fetch_one("insert_scan", params) is not None


# --- who is scanning -------------------------------------------------------------------------------


@dataclass
class ScanScope:
    """Who scans for which event: the checked credentials, in plain values for the hot path."""

    event_id: int
    event_slug: str
    event_name: str
    gates: list[str]
    staff_id: int | None = None
    device_id: int | None = None
    label: str = ""
    user: User | None = field(default=None, repr=False)
    # Read with the credentials (no extra query per scan): a ticket is refused once the event has
    # ended, unless its organisers allowed late check-in.
    ends_at: datetime | None = None
    late_checkin: bool = False

    def ended(self, at: datetime) -> bool:
        """Has the event ended at `at` with no late check-in allowed?"""
        return not self.late_checkin and self.ends_at is not None and at > self.ends_at


def _device(token_hash: str) -> DeviceRow | None:
    row = _fetch_one("device", (token_hash,))
    return (
        None
        if row is None
        else DeviceRow(
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            row[5],
            _from_db_json(row[6]),
            _from_db_time(row[7]),
            bool(row[8]),
        )
    )


def _device_ttl() -> float:
    return float(current_app.config.get("EVENT_DEVICE_CACHE_SECONDS", DEVICE_CACHE_SECONDS))


def _device_to_cache(row: DeviceRow) -> list[Any]:
    ends = row.ends_at.isoformat()
    return [row.id, row.name, row.event_id, row.slug, row.event_name, row.gates, ends, row.late_checkin]


def _device_from_cache(value: list[Any]) -> DeviceRow:
    device_id, name, event_id, slug, event_name, gates, ends, late = value
    return DeviceRow(
        device_id, name, None, event_id, slug, event_name, gates, datetime.fromisoformat(ends), late
    )


def _device_cached(token_hash: str) -> DeviceRow | None:
    """The device's row from the shared cache, or read and (when valid) remembered there."""
    ttl = _device_ttl()
    if ttl <= 0:
        return _device(token_hash)
    key = f"events:device:{token_hash}"
    hit = shared_cache.get(key)
    if isinstance(hit, list):
        try:
            return _device_from_cache(hit)
        except (TypeError, ValueError):
            shared_cache.delete(key)  # written by another version of this code: read the database
    row = _device(token_hash)
    if row is not None and row.revoked_at is None and hit != _REVOKED:
        # `add`, not `put`: a row read just before a revocation must not overwrite its tombstone.
        shared_cache.add(key, _device_to_cache(row), ttl)
    return row


def scope_for_device(slug: str, token: str) -> ScanScope:
    """A device's bearer token: unknown or revoked → 401; a token of another event → 403.

    A valid token's row is remembered for EVENT_DEVICE_CACHE_SECONDS in the shared cache (a scanner
    sends one request per ticket; re-reading the same row each time is a third of the check-in's
    queries). It is Redis when REDIS_URL is set, so revoking (`forget_device`) refuses the token on
    every app instance at once; without Redis the cache is per process (one-process setups). If
    Redis is unreachable when a token is revoked, instances stop accepting it within that TTL.
    Unknown and revoked tokens are never cached.
    """
    row = _device_cached(hash_token(token))
    if row is None or row.revoked_at is not None:
        raise NotAuthenticated("Mã thiết bị không hợp lệ hoặc đã bị thu hồi.", code="unauthorized")
    if row.slug != slug:
        raise PermissionDenied("Mã thiết bị này dành cho sự kiện khác.", code="forbidden")
    return ScanScope(
        row.event_id,
        row.slug,
        row.event_name,
        list(row.gates),
        device_id=row.id,
        label=f"Thiết bị: {row.name}",
        ends_at=row.ends_at,
        late_checkin=row.late_checkin,
    )


def forget_device(token_hash: str) -> None:
    """Drop a revoked device token from the shared cache, for every instance (called after commit).

    A tombstone rather than a delete: a scan that read the row just before the revocation
    committed cannot put it back (`_device_cached` only adds where nothing is stored)."""
    ttl = _device_ttl()
    key = f"events:device:{token_hash}"
    if ttl <= 0:
        shared_cache.delete(key)
    else:
        shared_cache.put(key, _REVOKED, max(ttl, 1.0))


def scope_for_user(slug: str, user: User | None) -> ScanScope:
    """A signed-in organiser or assigned check-in staff member: not signed in → 401; not theirs → 403."""
    if user is None or not user.is_authenticated:
        raise NotAuthenticated("Vui lòng đăng nhập.", code="unauthorized")
    event = get_event(slug)
    if not can_scan(user, event):
        raise PermissionDenied("Bạn không được phân công check-in cho sự kiện này.", code="forbidden")
    return ScanScope(
        event.id,
        event.slug,
        event.name,
        list(event.gates),
        staff_id=user.id,
        label=user.full_name,
        user=user,
        ends_at=event.ends_at,
        late_checkin=bool(event.late_checkin),
    )


# --- answers ---------------------------------------------------------------------------------------


def _attendee_json(row: TicketRow | ScannedCheckin) -> dict[str, Any]:
    return {
        "id": row.attendee_id,
        "name": row.full_name,
        "category": row.category,
        "organisation": row.organisation,
        "group": row.group_name,
    }


def checkin_json(checkin_id: int | None, at: datetime, gate: str, staff: str) -> dict[str, Any]:
    """A check-in as every scanner answer shows it (at a gate, or a room's door: `gate` is the room)."""
    return {
        "id": checkin_id,
        "at": at.isoformat(),
        "at_local": format_datetime(at, seconds=True),
        "gate": gate,
        "staff": staff,
    }


def _answer(result: str, **extra: object) -> Answer:
    return {"result": result, "message": MESSAGES[result], **extra}


def _staff_label(row: CheckinRow | ScannedCheckin) -> str:
    if row.full_name_staff:
        return row.full_name_staff
    return f"Thiết bị: {row.device_name}" if row.device_name else ""


def _ok(scope: ScanScope, ticket_row: TicketRow, checkin_id: int | None, gate: str, at: datetime) -> Answer:
    return _answer(
        "ok", attendee=_attendee_json(ticket_row), checkin=checkin_json(checkin_id, at, gate, scope.label)
    )


def _already(ticket_row: TicketRow, first: CheckinRow) -> Answer:
    first_json = checkin_json(first.id, first.at, first.gate, _staff_label(first))
    return _answer(
        "already_checked_in",
        attendee=_attendee_json(ticket_row),
        checkin=first_json,
        first_checkin=first_json,
    )


def _busy() -> NoReturn:
    raise Conflict("Lượt quét đang được xử lý ở nơi khác, vui lòng quét lại.", code="busy")


# --- check-in --------------------------------------------------------------------------------------


def _clean_gate(scope: ScanScope, gate: str | None) -> str:
    gate = tidy(gate or "", one_line=True)
    if not gate:
        return scope.gates[0] if scope.gates else ""
    if gate not in scope.gates:
        # Quote only the start of what was sent: an error must not echo a megabyte back.
        raise Invalid(
            f"Cổng “{truncate(gate)}” không có trong sự kiện này.", field="gate", code="invalid_gate"
        )
    return gate


def clean_scan_id(scan_id: object) -> str | None:
    if scan_id in (None, ""):
        return None
    if not isinstance(scan_id, str) or len(scan_id) > 64 or not re.fullmatch(r"[A-Za-z0-9_.:\-]+", scan_id):
        raise Invalid(
            "scan_id phải là chuỗi tối đa 64 ký tự (chữ, số, - _ . :).",
            field="scan_id",
            code="invalid_scan_id",
        )
    return scan_id


def clean_scanned_at(value: object, now: datetime) -> datetime:
    """A queued offline scan may carry the time it was made; absurd values fall back to now."""
    if not value:
        return now
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return now
    if when.tzinfo is None or not (now - OFFLINE_GRACE <= when <= now + timedelta(minutes=2)):
        return now
    return min(when, now)


def _stored_answer(event_id: int, scan_id: str) -> Answer | None:
    """The answer already given to a scan_id, or None. Answers that created a check-in are rebuilt
    from that check-in (its row carries the scan_id); the others were stored verbatim."""
    response = _stored_response(event_id, scan_id)
    if response is not None:
        return {**response, "replayed": True}
    row = _checkin_by_scan(event_id, scan_id)
    if row is None:
        return None
    answer = _answer(
        "ok", attendee=_attendee_json(row), checkin=checkin_json(row.id, row.at, row.gate, _staff_label(row))
    )
    return {**answer, "replayed": True}


def _remember(scope: ScanScope, scan_id: str | None, answer: Answer, now: datetime) -> Answer | None:
    """Store an answer that created no check-in, in the caller's transaction. Returns the earlier
    answer when another request already answered this scan_id (this transaction is rolled back)."""
    if scan_id is None:
        return None
    if not _claim_scan(scope, scan_id, answer, now):
        db.session.rollback()
        return _stored_answer(scope.event_id, scan_id) or _busy()
    return None


def _try_checkin(
    scope: ScanScope,
    ticket_row: TicketRow,
    gate: str,
    at: datetime,
    scan_id: str | None,
    *,
    queued: bool = False,
) -> Answer:
    """Insert the check-in unless the ticket already has an active one (or this scan_id already made
    one): the unique indexes decide. Commits a new check-in; otherwise leaves nothing written.

    `queued`: the scan carries the time it was made on a device that was offline. Only such a scan
    may replace a later standing check-in (the earliest wins); live scans racing each other are
    timed when their requests start, and the first to reach the database stands."""
    for _attempt in range(3):
        new_id = _insert_checkin_and_commit(scope, ticket_row, gate, at, scan_id)
        if new_id is not None:
            return _ok(scope, ticket_row, new_id, gate, at)
        if scan_id is not None:
            replay = _stored_answer(scope.event_id, scan_id)
            if replay is not None:
                return replay
        first = _active_checkin(ticket_row.ticket_id)
        if first is not None and queued and at < first.at:
            superseded = _supersede(scope, ticket_row, first, gate, at, scan_id)
            if superseded is not None:
                return superseded
            continue  # the standing check-in changed meanwhile: look again
        if first is not None:
            return _already(ticket_row, first)
        # The blocking check-in was undone between our INSERT and SELECT: try again.
    _busy()


def _supersede(
    scope: ScanScope, ticket_row: TicketRow, first: CheckinRow, gate: str, at: datetime, scan_id: str | None
) -> Answer | None:
    """The earliest check-in wins: a queued offline scan made before the ticket's standing check-in
    undoes that one and takes its place, in one transaction. The UPDATE only matches a check-in
    still standing and the partial unique index admits one active check-in per ticket, so two
    syncs racing for the same ticket leave exactly one standing (the earliest, after retries).
    None: another request changed the standing check-in first (nothing written)."""
    _driver_connection, postgres = _driver()
    reason = SUPERSEDED_REASON.format(gate=gate or "?")
    now = utcnow()
    undone = _fetch_rowcount("supersede", (_db_time(now, postgres), scope.staff_id, reason, first.id))
    new = (
        _fetch_one("insert_checkin", _checkin_params(scope, ticket_row, gate, at, scan_id, postgres))
        if undone
        else None
    )
    if new is None:
        db.session.rollback()
        return None
    record(
        scope.user,
        "event.checkin_superseded",
        "checkin",
        first.id,
        event=scope.event_slug,
        by_checkin=int(new[0]),
        device_id=scope.device_id,
    )
    db.session.commit()
    earlier_than = checkin_json(first.id, first.at, first.gate, _staff_label(first))
    return {**_ok(scope, ticket_row, int(new[0]), gate, at), "superseded": earlier_than}


def record_checkin(
    scope: ScanScope,
    scanned: str,
    *,
    gate: str | None = None,
    scan_id: str | None = None,
    scanned_at: object = None,
) -> Answer:
    """Answer one scan (SPEC §9): ok / already_checked_in / invalid / revoked / wrong_event.

    `scanned` is whatever the scanner read (bare code or ticket URL). A repeated `scan_id` returns
    the first answer and creates nothing: a check-in row carries the scan_id that created it
    (UNIQUE per event), and every other answer is stored in event_scans (UNIQUE per event).
    """
    if not isinstance(scanned, str) or len(scanned) > 2000:
        raise Invalid("Thiếu nội dung mã quét (code).", field="code", code="invalid_code_field")
    gate = _clean_gate(scope, gate)
    scan_id = clean_scan_id(scan_id)
    now = utcnow()
    at = clean_scanned_at(scanned_at, now)
    code = tickets.extract_code(scanned)
    row = _ticket_row(code, scope.event_id, scan_id) if tickets.is_valid_code(ticket_key(), code) else None
    if scan_id is not None:
        # A retry of a scan that created nothing: the same answer again.
        stored = row.stored if row is not None else _stored_response(scope.event_id, scan_id)
        if stored is not None:
            return {**stored, "replayed": True}
    if row is None:
        answer = _answer("invalid")
    elif row.event_id != scope.event_id:
        other = db.session.scalar(select(Event.name).where(Event.id == row.event_id))
        answer = _answer("wrong_event", event={"name": other})
    elif row.revoked_at is not None:
        answer = _answer("revoked", attendee=_attendee_json(row))
    elif scope.ended(at):
        answer = _answer("event_ended", attendee=_attendee_json(row))
    else:
        answer = _try_checkin(scope, row, gate, at, scan_id, queued=at < now)
        if answer["result"] == "ok":
            return answer  # committed, or replayed
    if scan_id is None:
        return answer
    stored = _remember(scope, scan_id, answer, now)
    if stored is None:
        db.session.commit()
    return answer if stored is None else stored


def undo_checkin(scope: ScanScope, checkin_id: int, reason: str) -> Checkin:
    """Undo a check-in with a reason (audited); the ticket can then be checked in again."""
    reason = required_reason(reason, "Vui lòng ghi lý do huỷ check-in.", code="reason_required")
    if len(reason) > 300:
        raise Invalid("Lý do không được dài quá 300 ký tự.", field="reason", code="reason_too_long")
    checkin = db.session.get(Checkin, checkin_id)
    if checkin is None or checkin.event_id != scope.event_id:
        raise NotFound("Không tìm thấy lượt check-in.", code="not_found")
    if checkin.undone_at is not None:
        raise Conflict("Lượt check-in này đã được huỷ trước đó.", code="already_undone")
    result = db.session.execute(
        update(Checkin)
        .where(Checkin.id == checkin_id, Checkin.undone_at.is_(None))
        .values(undone_at=utcnow(), undone_by_id=scope.staff_id, undo_reason=reason)
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        db.session.rollback()
        raise Conflict("Lượt check-in này đã được huỷ trước đó.", code="already_undone")
    record(
        scope.user,
        "event.checkin_undo",
        "checkin",
        checkin_id,
        event=scope.event_slug,
        reason=reason,
        device_id=scope.device_id,
    )
    db.session.commit()
    db.session.refresh(checkin)
    return checkin


def _refuse_if_ended(scope: ScanScope) -> None:
    if scope.ended(utcnow()):
        raise Conflict(EVENT_ENDED, code="event_ended")


def walk_in(
    scope: ScanScope,
    data: dict[str, Any],
    choices: dict[str, bool],
    *,
    gate: str | None = None,
    scan_id: str | None = None,
) -> Answer:
    """Register someone at the desk and check them in at once (ticket + check-in, one transaction)."""
    _refuse_if_ended(scope)
    gate = _clean_gate(scope, gate)
    scan_id = clean_scan_id(scan_id)
    if scan_id:
        replay = _stored_answer(scope.event_id, scan_id)
        if replay is not None:
            return replay
    event = db.session.get(Event, scope.event_id)
    if event is None:  # deleted since the scope was checked
        raise NotFound("Không tìm thấy sự kiện.", code="not_found")
    attendee = add_registration(event, data, source="desk", actor=scope.user, choices=choices)
    ticket = attendee.active_ticket or db.session.scalar(
        select(Ticket).where(Ticket.attendee_id == attendee.id, Ticket.revoked_at.is_(None))
    )
    if ticket is None:  # add_registration has just issued it
        raise NotFound("Không tìm thấy vé.", code="not_found")
    row = TicketRow(
        None,
        ticket.id,
        event.id,
        None,
        attendee.id,
        attendee.full_name,
        attendee.category,
        attendee.organisation,
        attendee.group_name,
    )
    now = utcnow()
    # One transaction: the registration, its ticket and the check-in stand or fall together.
    checkin_id = _insert_checkin(scope, row, gate, now)
    answer = {**_ok(scope, row, checkin_id, gate, now), "walk_in": True, "ticket_code": ticket.code}
    stored = _remember(scope, scan_id, answer, now)
    if stored is not None:
        return stored
    record(scope.user, "event.walk_in", "attendee", attendee.id, event=event.slug, device_id=scope.device_id)
    db.session.commit()
    send_ticket_email(attendee)
    return answer


def checkin_group(scope: ScanScope, group_name: str, *, gate: str | None = None) -> dict[str, Any]:
    """Check in every member of a delegation who holds a valid ticket and is not yet in."""
    _refuse_if_ended(scope)
    gate = _clean_gate(scope, gate)
    group = tidy(group_name or "", one_line=True)
    if not group:
        raise Invalid("Vui lòng chọn đoàn.", field="group", code="group_required")
    rows = db.session.execute(
        select(
            Ticket.id,
            Attendee.id,
            Attendee.full_name,
            Attendee.category,
            Attendee.organisation,
            Attendee.group_name,
        )
        .join(Attendee, Attendee.id == Ticket.attendee_id)
        .where(
            Attendee.event_id == scope.event_id,
            Attendee.group_name == group,
            Attendee.cancelled_at.is_(None),
            Ticket.revoked_at.is_(None),
        )
        .order_by(Attendee.full_name)
    ).all()
    if not rows:
        raise NotFound("Không tìm thấy đoàn này.", code="not_found")
    now = utcnow()
    checked: list[Answer] = []
    already: list[Answer] = []
    # One short transaction each: a delegation never holds the gate's lock long.
    for ticket_id, attendee_id, *person in rows:
        row = TicketRow(None, ticket_id, scope.event_id, None, attendee_id, *person)
        answer = _try_checkin(scope, row, gate, now, None)
        (checked if answer["result"] == "ok" else already).append(answer)
    return {
        "result": "ok",
        "group": group,
        "checked_in": len(checked),
        "already": len(already),
        "message": f"Đoàn “{group}”: check-in {len(checked)} người, {len(already)} người đã vào trước đó.",
        "answers": checked + already,
    }


# --- the desk's search and the live counts ---------------------------------------------------------
