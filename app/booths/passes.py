"""Exhibitor passes: the event registrations (category "Gian hàng", source "booth") of a booth's
staff, one per position 1 … the booth type's `passes`, each with its ticket checked in by the same
gate API as any other.

A pass never takes one of the event's public places: it is issued per booth, not per visitor, so
it is written here beside `events.registration.issue_ticket` instead of through
`add_registration` (which takes a place), as the linked-contest sync does. For the same reason a
pass is cancelled here without giving a place back. None of these functions commits: the
application's decision (applications.py) commits once, with its audit row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.accounts.services import field_value
from app.accounts.validation import normalize_name, normalize_phone
from app.audit.services import record
from app.booths.models import EXHIBITOR_CATEGORY, ApplicationStatus, BoothApplication, BoothPass
from app.database import commit
from app.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.events import tickets
from app.events.models import Attendee, Event
from app.events.registration import PHONE_TAKEN, issue_ticket
from app.extensions import db
from app.localtime import utcnow


def pass_name(application: BoothApplication, position: int) -> str:
    """Pass 1 carries the contact person's name; the others a placeholder the exhibitor renames."""
    if position == 1 and application.contact_name:
        return application.contact_name
    return f"Nhân sự gian hàng {position}"


def passes_of(application: BoothApplication) -> list[BoothPass]:
    """The application's passes in order, with their attendees and tickets (two queries)."""
    rows = db.session.scalars(
        select(BoothPass)
        .where(BoothPass.application_id == application.id)
        .order_by(BoothPass.position)
        .options(selectinload(BoothPass.attendee).selectinload(Attendee.tickets))
    ).all()
    return list(rows)


def _cancel(attendee: Attendee, reason: str, now: datetime) -> None:
    # No place is given back: a pass never took one (see the module's docstring).
    attendee.cancelled_at = now
    for ticket in attendee.tickets:
        if ticket.revoked_at is None:
            ticket.revoked_at, ticket.revoked_reason = now, reason[:200]


def _ensure_category(event: Event) -> None:
    if EXHIBITOR_CATEGORY not in (event.categories or []):
        event.categories = [*(event.categories or []), EXHIBITOR_CATEGORY]


def issue_passes(actor: User | None, event: Event, application: BoothApplication) -> list[BoothPass]:
    """Give the accepted application its passes: missing positions get a new registration and
    ticket, a pass cancelled by an earlier refusal is restored with a new ticket, positions beyond
    the booth type's number are cancelled. Accepting again never duplicates a pass."""
    _ensure_category(event)
    wanted = application.booth_type.passes if application.booth_type else 0
    existing = {p.position: p for p in passes_of(application)}
    now = utcnow()
    for position, booth_pass in existing.items():
        attendee = booth_pass.attendee
        if position > wanted:
            if attendee.cancelled_at is None:
                _cancel(attendee, "Loại gian hàng có ít thẻ hơn", now)
        elif attendee.cancelled_at is not None:
            attendee.cancelled_at = None
            attendee.organisation = application.organisation[:200]
            attendee.group_name = application.organisation[:200]
            db.session.flush()  # the partial unique index takes the new ticket only after this
            issue_ticket(attendee)
    for position in range(1, wanted + 1):
        if position in existing:
            continue
        name = pass_name(application, position)
        organisation = application.organisation[:200]
        attendee = Attendee(
            event_id=event.id,
            full_name=name,
            phone=None,
            # Pass 1 reaches the contact person; the acceptance mail lists every pass anyway.
            email=application.contact_email if position == 1 else None,
            organisation=organisation,
            category=EXHIBITOR_CATEGORY,
            # The booth's staff form a delegation: the desk can check the whole booth in at once.
            group_name=organisation,
            search_text=tickets.search_key(name, None, organisation),
            source="booth",
            user_id=None,
            created_by_id=getattr(actor, "id", None),
        )
        db.session.add(attendee)
        db.session.flush()
        issue_ticket(attendee)
        db.session.add(BoothPass(application_id=application.id, attendee_id=attendee.id, position=position))
    db.session.flush()
    return passes_of(application)


def cancel_passes(application: BoothApplication, reason: str) -> int:
    """Cancel the application's live passes (refused, waitlisted or withdrawn after acceptance):
    their tickets answer "revoked" at the gate. Returns how many were cancelled."""
    now = utcnow()
    cancelled = 0
    for booth_pass in passes_of(application):
        if booth_pass.attendee.cancelled_at is None:
            _cancel(booth_pass.attendee, reason, now)
            cancelled += 1
    return cancelled


def rename_pass(
    user: User, application: BoothApplication, pass_id: int, full_name: str, phone: str
) -> Attendee:
    """The exhibitor names the person who holds a pass (and, optionally, their mobile) while the
    application is accepted. The ticket stays the same."""
    if application.user_id != user.id:
        raise PermissionDenied("Chỉ người đăng ký gian hàng được đổi tên trên thẻ.")
    if application.status != ApplicationStatus.ACCEPTED.value:
        raise Conflict("Chỉ đổi tên trên thẻ khi hồ sơ gian hàng đã được nhận.")
    booth_pass = db.session.get(BoothPass, pass_id)
    if booth_pass is None or booth_pass.application_id != application.id:
        raise NotFound("Không tìm thấy thẻ gian hàng.")
    attendee = booth_pass.attendee
    if attendee.cancelled_at is not None:
        raise Conflict("Thẻ này đã bị huỷ.")
    name = field_value(normalize_name, full_name or "", "full_name")
    raw_phone = (phone or "").strip()
    clean_phone = field_value(normalize_phone, raw_phone, "phone") if raw_phone else None
    if clean_phone and db.session.scalar(
        select(Attendee.id).where(
            Attendee.event_id == attendee.event_id,
            Attendee.phone == clean_phone,
            Attendee.cancelled_at.is_(None),
            Attendee.id != attendee.id,
        )
    ):
        raise Invalid(PHONE_TAKEN, field="phone")
    attendee.full_name = name
    attendee.phone = clean_phone
    attendee.search_text = tickets.search_key(name, clean_phone, attendee.organisation)
    record(
        user,
        "booth.pass_rename",
        "attendee",
        attendee.id,
        application=application.id,
        position=booth_pass.position,
    )
    commit(Invalid(PHONE_TAKEN, field="phone"))  # the same phone given at the same moment elsewhere
    return attendee
