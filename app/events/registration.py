"""Registration and tickets: who may register for what, the capacity counter, a person's ticket
(issued, e-mailed, re-issued, revoked) and the organisers' list of attendees. Services commit (or
roll back) their own transaction, except `add_registration`, the building block the public form,
the organisers' form, the check-in desk and the guest import share.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import ColumnElement, Select, or_, select, update

from app.accounts.models import User
from app.accounts.services import field_value
from app.accounts.validation import ValidationFailed, normalize_email, normalize_name, normalize_phone
from app.audit.services import record
from app.database import flush, matching_every_word, page_of, rowcount
from app.errors import Conflict, FieldErrors, Invalid, NotFound
from app.events import tickets
from app.events.models import Attendee, Event, Ticket
from app.events.permissions import require_manager
from app.extensions import db
from app.localtime import utcnow
from app.mail.services import send_email
from app.privacy import services as privacy
from app.text import tidy
from app.urls import absolute_url

SelectT = TypeVar("SelectT", bound=Select[Any])
PHONE_TAKEN = "Số điện thoại này đã đăng ký sự kiện. Nếu mất vé, hãy dùng chức năng “Gửi lại vé”."


# --- tickets --------------------------------------------------------------------------------------


def ticket_key() -> bytes:
    """The ticket signing key, derived once per app from SECRET_KEY."""
    key: bytes | None = current_app.extensions.get("event_ticket_key")
    if key is None:
        key = current_app.extensions["event_ticket_key"] = tickets.derive_key(
            current_app.config["SECRET_KEY"]
        )
    return key


def ticket_url(code: str) -> str:
    """The link a QR code holds: from BASE_URL, so a printed ticket never points elsewhere."""
    return absolute_url("events.ticket_page", code=code)


def issue_ticket(attendee: Attendee) -> Ticket:
    """A new signed ticket for a flushed attendee, added to the session (the caller flushes)."""
    ticket = Ticket(event_id=attendee.event_id, attendee_id=attendee.id, code=tickets.new_code(ticket_key()))
    db.session.add(ticket)
    return ticket


def send_ticket_email(attendee: Attendee) -> bool:
    """Mail the attendee's valid ticket; False when there is no email or no valid ticket."""
    ticket = attendee.active_ticket
    if not attendee.email or ticket is None:
        return False
    return send_email(
        attendee.email,
        f"Vé tham dự: {attendee.event.name}",
        "mail/event_ticket.txt",
        attendee=attendee,
        event=attendee.event,
        code=ticket.code,  # the template builds the link: from the CLI it needs BASE_URL's host
    )


def get_ticket(code: str) -> Ticket:
    """The ticket behind a ticket-page URL (signature checked first: forged codes never hit the DB)."""
    clean = tickets.extract_code(code)
    if not tickets.is_valid_code(ticket_key(), clean):
        raise NotFound("Không tìm thấy vé.")
    ticket = db.session.scalar(select(Ticket).where(Ticket.code == clean))
    if ticket is None:
        raise NotFound("Không tìm thấy vé.")
    return ticket


# --- registration ---------------------------------------------------------------------------------


def public_categories(event: Event) -> list[str]:
    """What the public registration form offers, in the order of the event's categories."""
    allowed = set(event.public_categories or [])
    return [c for c in event.categories if c in allowed]


def clean_registration(
    event: Event, data: dict[str, Any], *, phone_required: bool, self_service: bool = False
) -> dict[str, Any]:
    """Check one registration's values, every refusal in one Invalid (issue 15). `self_service`:
    the public form, which may only use the event's public categories (organisers, the desk and
    guest imports may use them all)."""
    errors = FieldErrors()
    clean = _registration_values(
        event, data, errors, phone_required=phone_required, self_service=self_service
    )
    errors.raise_if_any()
    return clean


def _registration_values(
    event: Event, data: dict[str, Any], errors: FieldErrors, *, phone_required: bool, self_service: bool
) -> dict[str, Any]:
    """`clean_registration`'s checks, each refusal added to `errors` (a refused field's value is None)."""
    name = errors.check(field_value, normalize_name, data.get("full_name", ""), "full_name")
    raw_phone = (data.get("phone") or "").strip()
    phone = (
        errors.check(field_value, normalize_phone, raw_phone, "phone")
        if (raw_phone or phone_required)
        else None
    )
    raw_email = (data.get("email") or "").strip()
    email = errors.check(field_value, normalize_email, raw_email, "email") if raw_email else None
    category = tidy(data.get("category", ""))
    if category not in event.categories:
        errors.add("category", "Vui lòng chọn loại khách trong danh sách.")
    elif self_service and category not in public_categories(event):
        errors.add(
            "category", "Loại khách này do Ban tổ chức đăng ký; vui lòng chọn loại khách trong danh sách."
        )
    organisation = tidy(data.get("organisation", ""), one_line=True)
    if len(organisation) > 200:
        errors.add("organisation", "Tên đơn vị không được dài quá 200 ký tự.")
    group = tidy(data.get("group_name", ""), one_line=True)
    if len(group) > 200:
        errors.add("group_name", "Tên đoàn không được dài quá 200 ký tự.")
    return {
        "full_name": name,
        "phone": phone,
        "email": email,
        "category": category,
        "organisation": organisation,
        "group_name": group,
    }


# Registrations that never took one of the event's places (an exhibitor pass is issued per booth,
# app/booths/passes.py), so cancelling them gives none back.
UNCOUNTED_SOURCES = frozenset({"booth"})


def take_place(event: Event) -> None:
    """Raise the live count by one unless the event is full — one atomic conditional UPDATE.

    On PostgreSQL the UPDATE takes the event's row lock (a concurrent registration waits, then
    re-checks the condition on the fresh row); on SQLite writers are serialised by the database
    lock. Either way two people can never both take the last place. Full: a Conflict, and nothing
    was written — the caller decides whether its transaction goes on (a contest sync keeps the people
    it already added) or ends (a registration form answers "full" and the request's session is
    rolled back).
    """
    result = db.session.execute(
        update(Event)
        .where(
            Event.id == event.id,
            or_(Event.capacity.is_(None), Event.registered_count < Event.capacity),
        )
        .values(registered_count=Event.registered_count + 1)
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        raise Conflict("Rất tiếc, sự kiện đã đủ chỗ.", code="full")


def add_registration(
    event: Event,
    data: dict[str, Any],
    *,
    source: str,
    actor: User | None = None,
    choices: dict[str, bool] | None = None,
    user_id: int | None = None,
) -> Attendee:
    """Validate, take a place, add the attendee and its ticket, record consents. Does not commit."""
    public = source == "web"  # the public form: a phone to find the ticket again, self-service categories
    errors = FieldErrors()  # every refusal at once: the fields, a phone already registered, the consents
    clean = _registration_values(event, data, errors, phone_required=public, self_service=public)
    if clean["phone"] and db.session.scalar(
        select(Attendee.id).where(
            Attendee.event_id == event.id, Attendee.phone == clean["phone"], Attendee.cancelled_at.is_(None)
        )
    ):
        errors.add("phone", PHONE_TAKEN)
    if choices is not None:
        errors.check(privacy.check_choices, "event_registration", choices)
    errors.raise_if_any()
    take_place(event)
    attendee = Attendee(
        event_id=event.id,
        search_text=tickets.search_key(clean["full_name"], clean["phone"], clean["organisation"]),
        source=source,
        user_id=user_id,
        created_by_id=getattr(actor, "id", None),
        **clean,
    )
    db.session.add(attendee)
    flush(Invalid(PHONE_TAKEN, field="phone"))  # the same phone registering twice at the same moment
    if choices is not None:
        privacy.record_choices(
            "attendee",
            attendee.id,
            "event_registration",
            choices,
            source="desk" if source == "desk" else "web",
            keyed_by=actor if source == "desk" else None,
        )
    issue_ticket(attendee)
    db.session.flush()
    return attendee


def register_attendee(
    event: Event, data: dict[str, Any], choices: dict[str, bool], *, now: datetime | None = None
) -> Attendee:
    """Public registration without an account: window, capacity, one per phone, consents; emails the ticket."""
    now = now or utcnow()
    if not event.is_published or not event.registration_open(now):
        raise Conflict("Sự kiện hiện không nhận đăng ký.", code="closed")
    attendee = add_registration(event, data, source="web", choices=choices)
    record(None, "event.register", "attendee", attendee.id, event=event.slug)
    db.session.commit()
    send_ticket_email(attendee)
    return attendee


def register_by_organiser(
    actor: User, event: Event, data: dict[str, Any], choices: dict[str, bool]
) -> Attendee:
    """An organiser keys in a guest (invited delegates, press …); no registration window applies."""
    require_manager(actor, event)
    attendee = add_registration(event, data, source="organiser", actor=actor, choices=choices)
    record(actor, "event.register", "attendee", attendee.id, event=event.slug, by="organiser")
    db.session.commit()
    send_ticket_email(attendee)
    return attendee


def resend_ticket(actor: User, attendee: Attendee) -> bool:
    """An organiser re-sends a guest's ticket to the email on file."""
    require_manager(actor, attendee.event)
    return send_ticket_email(attendee)


def request_ticket_resend(event: Event, contact: str) -> None:
    """Re-send the ticket to the email on file for this phone or email. The same answer whether or
    not anything matched, so the form cannot be used to learn who registered."""
    if event.is_over(utcnow()):
        raise Conflict("Sự kiện đã diễn ra; không còn gửi lại vé.", code="past")
    contact = (contact or "").strip()
    if not contact:
        raise Invalid("Vui lòng nhập số điện thoại hoặc email đã đăng ký.", field="contact")
    conditions: list[ColumnElement[bool]] = []
    with contextlib.suppress(ValidationFailed):
        conditions.append(Attendee.phone == normalize_phone(contact))
    with contextlib.suppress(ValidationFailed):
        conditions.append(Attendee.email == normalize_email(contact))
    if not conditions:
        raise Invalid("Số điện thoại hoặc email không hợp lệ.", field="contact")
    attendees = db.session.scalars(
        select(Attendee).where(
            Attendee.event_id == event.id, Attendee.cancelled_at.is_(None), or_(*conditions)
        )
    ).all()
    for attendee in attendees:
        send_ticket_email(attendee)


# --- one registration, for its organisers ---------------------------------------------------------


def get_attendee(event: Event, attendee_id: int) -> Attendee:
    """One registration of this event, or NotFound."""
    attendee = db.session.get(Attendee, attendee_id)
    if attendee is None or attendee.event_id != event.id:
        raise NotFound("Không tìm thấy người tham dự.")
    return attendee


def required_reason(reason: str | None, missing: str, *, code: str | None = None) -> str:
    """The reason an organiser or a scanner gives for undoing something, on one line; fewer than three
    characters is no reason (Invalid on the field "reason" with the message `missing`)."""
    reason = tidy(reason, one_line=True)
    if len(reason) < 3:
        raise Invalid(missing, field="reason", code=code)
    return reason


def reissue_ticket(actor: User, attendee: Attendee, reason: str) -> Ticket:
    """Revoke the current ticket and issue a new one (a lost or shared ticket); emails the new one."""
    require_manager(actor, attendee.event)
    reason = required_reason(reason, "Vui lòng ghi lý do cấp lại vé.")
    if attendee.cancelled_at is not None:
        raise Conflict("Đăng ký này đã bị huỷ.")
    old = attendee.active_ticket
    if old is not None:
        old.revoked_at = utcnow()
        old.revoked_reason = reason[:200]
        db.session.flush()  # the partial unique index allows the new ticket only once the old is revoked
    ticket = issue_ticket(attendee)
    db.session.flush()
    record(
        actor,
        "event.ticket_reissue",
        "attendee",
        attendee.id,
        reason=reason,
        old_ticket=getattr(old, "id", None),
    )
    db.session.commit()
    db.session.refresh(attendee)
    send_ticket_email(attendee)
    return ticket


def cancel_registration(actor: User, attendee: Attendee, reason: str) -> None:
    """Cancel a registration: its ticket answers "revoked" and the place is freed."""
    require_manager(actor, attendee.event)
    reason = required_reason(reason, "Vui lòng ghi lý do huỷ đăng ký.")
    if attendee.cancelled_at is not None:
        raise Conflict("Đăng ký này đã bị huỷ trước đó.")
    now = utcnow()
    attendee.cancelled_at = now
    for ticket in attendee.tickets:
        if ticket.revoked_at is None:
            ticket.revoked_at, ticket.revoked_reason = now, "Huỷ đăng ký: " + reason[:180]
    if attendee.source not in UNCOUNTED_SOURCES:
        db.session.execute(
            update(Event)
            .where(Event.id == attendee.event_id, Event.registered_count > 0)
            .values(registered_count=Event.registered_count - 1)
            .execution_options(synchronize_session=False)
        )
    record(actor, "event.cancel_registration", "attendee", attendee.id, reason=reason)
    db.session.commit()


# --- the attendee list ----------------------------------------------------------------------------


def filter_by_search(stmt: SelectT, query: str) -> SelectT:
    """Keep the attendees whose search text holds every word of `query` (accents and case folded,
    a phone in any usual form; at most six words)."""
    return stmt.where(*matching_every_word(Attendee.search_text, query))


def list_attendees(
    event: Event, *, query: str = "", page: int = 1, page_size: int = 50
) -> tuple[list[Attendee], int]:
    """One page of the event's registrations, newest first, and how many match in all."""
    stmt = filter_by_search(select(Attendee).where(Attendee.event_id == event.id), query)
    return page_of(stmt.order_by(Attendee.created_at.desc(), Attendee.id.desc()), page, page_size)
