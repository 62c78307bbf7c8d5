"""Booth applications: an exhibitor applies (or edits, or withdraws), an offered contest team
confirms or declines, the event's organisers review (accept / waitlist / refuse) and list them.

Every service here commits its own transaction (with its audit row) and sends its mail after the
commit. Object-level permissions live here: the applicant for their own application, the event's
managers (`events.permissions.can_manage`) for review.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage

from app.accounts.models import User
from app.accounts.services import field_value
from app.accounts.validation import normalize_email, normalize_name, normalize_phone
from app.audit.services import record
from app.booths import passes as booth_passes
from app.booths import photos as booth_photos
from app.booths.models import (
    ORG_KINDS,
    PROVISIONS,
    ApplicationStatus,
    BoothApplication,
    BoothPass,
    BoothType,
    Exhibition,
)
from app.contests.units import commune_name
from app.database import flush, matching_every_word, page_of
from app.errors import Conflict, FieldErrors, Invalid, NotFound, PermissionDenied
from app.events.models import Event
from app.events.permissions import require_manager
from app.events.registration import required_reason, ticket_url
from app.extensions import db
from app.localtime import format_datetime, utcnow
from app.mail.services import send_email
from app.privacy import services as privacy
from app.text import clean_text, fold, phone_search_forms, tidy

S = ApplicationStatus
ACTIVE = (S.OFFERED.value, S.SUBMITTED.value, S.ACCEPTED.value, S.WAITLISTED.value)
EDITABLE = (S.OFFERED.value, S.SUBMITTED.value, S.WAITLISTED.value)
DECISIONS = (S.ACCEPTED.value, S.WAITLISTED.value, S.REFUSED.value)
CONSENT_CONTEXT = "event_registration"  # the same notice as an event registration: data to get a pass
CONSENT_SUBJECT = "booth_application"
PAGE_SIZE = 50
_TAX_CODE = re.compile(r"[0-9]{10}([0-9]{3})?")  # ASCII digits: \d takes full-width ones


# --- reading ----------------------------------------------------------------------------------------


def exhibition_of(event: Event) -> Exhibition | None:
    """The event's booth settings, or None when it takes no booths."""
    return db.session.scalar(select(Exhibition).where(Exhibition.event_id == event.id))


def booth_types_of(event: Event) -> list[BoothType]:
    """The event's booth types in their order (those with no booths included)."""
    return list(
        db.session.scalars(
            select(BoothType).where(BoothType.event_id == event.id).order_by(BoothType.position, BoothType.id)
        )
    )


def offered_types(event: Event) -> list[BoothType]:
    """The booth types an exhibitor may ask for: the event's, with at least one booth."""
    return [t for t in booth_types_of(event) if t.count > 0]


def window_refusal(exhibition: Exhibition | None, event: Event, now: datetime) -> str | None:
    """Why applications are not taken now, or None while they are."""
    if exhibition is None or not exhibition.is_open:
        return "Sự kiện này hiện không nhận đăng ký gian hàng."
    if event.is_over(now) or (exhibition.closes_at and now > exhibition.closes_at):
        return "Đã hết hạn đăng ký gian hàng."
    if exhibition.opens_at and now < exhibition.opens_at:
        return f"Chưa mở đăng ký gian hàng; mở từ {format_datetime(exhibition.opens_at)}."
    return None


def active_application(user: User, event: Event) -> BoothApplication | None:
    """The user's application for this event that is not withdrawn or refused."""
    return db.session.scalar(
        select(BoothApplication)
        .where(
            BoothApplication.event_id == event.id,
            BoothApplication.user_id == user.id,
            BoothApplication.status.in_(ACTIVE),
        )
        .order_by(BoothApplication.id.desc())
    )


def has_applications(user: User) -> bool:
    """Whether the user has any booth application (the menu shows "Gian hàng của tôi")."""
    return (
        db.session.scalar(select(BoothApplication.id).where(BoothApplication.user_id == user.id).limit(1))
        is not None
    )


def my_applications(user: User) -> list[tuple[BoothApplication, Event]]:
    """The user's applications with their events, newest first (two queries)."""
    rows = db.session.execute(
        select(BoothApplication, Event)
        .join(Event, Event.id == BoothApplication.event_id)
        .where(BoothApplication.user_id == user.id)
        .options(selectinload(BoothApplication.booth_type), selectinload(BoothApplication.booth))
        .order_by(BoothApplication.created_at.desc(), BoothApplication.id.desc())
    ).all()
    return [(application, event) for application, event in rows]


def get_for_owner(user: User, application_id: int) -> tuple[BoothApplication, Event]:
    """An application and its event for the applicant: 404 when missing, 403 when someone else's."""
    application = db.session.get(BoothApplication, application_id)
    if application is None:
        raise NotFound("Không tìm thấy hồ sơ gian hàng.")
    if application.user_id != user.id:
        raise PermissionDenied("Hồ sơ gian hàng này không phải của bạn.")
    return application, db.session.get_one(Event, application.event_id)


def get_for_manager(actor: User, event: Event, application_id: int) -> BoothApplication:
    """One application of this event for its organisers (403 for others, 404 when not this event's)."""
    require_manager(actor, event)
    application = db.session.get(BoothApplication, application_id)
    if application is None or application.event_id != event.id:
        raise NotFound("Không tìm thấy hồ sơ gian hàng.")
    return application


def status_counts(event: Event) -> dict[str, int]:
    """How many applications of the event are in each status (every status present, 0 included)."""
    counts = dict.fromkeys((s.value for s in S), 0)
    for status, n in db.session.execute(
        select(BoothApplication.status, func.count())
        .where(BoothApplication.event_id == event.id)
        .group_by(BoothApplication.status)
    ):
        counts[status] = n
    return counts


def accepted_by_type(event: Event) -> dict[int, int]:
    """Accepted applications per booth type id."""
    return {
        type_id: n
        for type_id, n in db.session.execute(
            select(BoothApplication.booth_type_id, func.count())
            .where(BoothApplication.event_id == event.id, BoothApplication.status == S.ACCEPTED.value)
            .group_by(BoothApplication.booth_type_id)
        )
        if type_id is not None
    }


def list_applications(
    actor: User,
    event: Event,
    *,
    status: str = "",
    booth_type_id: int | None = None,
    query: str = "",
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> tuple[list[BoothApplication], int]:
    """One page of the event's applications for its organisers, oldest first (first come, first
    reviewed), filtered by status, booth type and an accent-insensitive search; and the total."""
    require_manager(actor, event)
    stmt = select(BoothApplication).where(BoothApplication.event_id == event.id)
    if status in {s.value for s in S}:
        stmt = stmt.where(BoothApplication.status == status)
    if booth_type_id:
        stmt = stmt.where(BoothApplication.booth_type_id == booth_type_id)
    stmt = stmt.where(*matching_every_word(BoothApplication.search_text, query))
    stmt = stmt.options(selectinload(BoothApplication.booth_type), selectinload(BoothApplication.booth))
    return page_of(stmt.order_by(BoothApplication.created_at, BoothApplication.id), page, page_size)


# --- the exhibitor's fields -----------------------------------------------------------------------


def normalize_tax_code(raw: str) -> str:
    """Mã số thuế: 10 digits, or 13 for a branch, written 0101234567-001; spaces, dots and dashes
    as people type them are accepted. "" when blank."""
    digits = re.sub(r"[\s.\-]", "", raw or "")
    if not digits:
        return ""
    if not _TAX_CODE.fullmatch(digits):
        raise Invalid(
            "Mã số thuế gồm 10 chữ số, hoặc 13 chữ số với đơn vị phụ thuộc (ví dụ 0101234567-001).",
            field="tax_code",
        )
    return digits if len(digits) == 10 else f"{digits[:10]}-{digits[10:]}"


def _text(
    data: dict[str, Any], key: str, label: str, limit: int, *, required: str = "", multiline: bool = False
) -> str:
    value = clean_text(data.get(key), field=key, label=label, multiline=multiline, max_length=limit)
    value = tidy(value, one_line=not multiline)
    if required and not value:
        raise Invalid(required, field=key)
    return value


def _ocop(value: object) -> int | None:
    if value in (None, ""):
        return None
    stars = value if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(value, str) and value.strip() in ("3", "4", "5"):
        stars = int(value.strip())
    if stars not in (3, 4, 5):
        raise Invalid("Hạng sao OCOP là 3, 4 hoặc 5 sao (bỏ trống nếu sản phẩm chưa có).", field="ocop_stars")
    return stars


def _contact(data: dict[str, Any], key: str, label: str, limit: int, normalize: Callable[[str], str]) -> str:
    """A contact field: clean text, then the accounts' check of a name, a phone or an email."""
    return field_value(normalize, _text(data, key, label, limit), key)


def clean_application(
    event: Event, data: dict[str, Any], *, booth_type_fixed: bool = False
) -> dict[str, Any]:
    """Check one application's values: every problem, each on its field, in one Invalid (issue 15)."""
    errors = FieldErrors()
    clean: dict[str, Any] = {
        "organisation": errors.check(
            _text,
            data,
            "organisation",
            "Tên đơn vị",
            200,
            required="Vui lòng nhập tên doanh nghiệp, hợp tác xã hoặc hộ kinh doanh.",
        ),
    }
    org_kind = data.get("org_kind") or ""
    if org_kind not in ORG_KINDS:
        errors.add("org_kind", "Vui lòng chọn loại hình đơn vị trong danh sách.")
    clean["org_kind"] = org_kind
    tax = data.get("tax_code")
    clean["tax_code"] = errors.check(normalize_tax_code, tax if isinstance(tax, str) else "")
    clean["sector"] = errors.check(_text, data, "sector", "Lĩnh vực", 120)
    clean["products"] = errors.check(
        _text,
        data,
        "products",
        "Sản phẩm",
        3000,
        multiline=True,
        required="Vui lòng giới thiệu sản phẩm sẽ trưng bày.",
    )
    clean["ocop_stars"] = errors.check(_ocop, data.get("ocop_stars"))
    commune = tidy(data.get("commune_code") if isinstance(data.get("commune_code"), str) else "")
    if commune and commune_name(commune) is None:
        errors.add("commune_code", "Vui lòng chọn xã, phường trong danh sách.")
    clean["commune_code"] = commune
    clean["contact_name"] = errors.check(_contact, data, "contact_name", "Họ và tên", 120, normalize_name)
    clean["contact_phone"] = errors.check(_contact, data, "contact_phone", "Điện thoại", 20, normalize_phone)
    clean["contact_email"] = errors.check(_contact, data, "contact_email", "Email", 254, normalize_email)
    if not booth_type_fixed:
        type_id = data.get("booth_type_id")
        booth_type = (
            db.session.get(BoothType, type_id)
            if isinstance(type_id, int) and not isinstance(type_id, bool)
            else None
        )
        if booth_type is None or booth_type.event_id != event.id or booth_type.count <= 0:
            errors.add("booth_type_id", "Vui lòng chọn loại gian hàng trong danh sách.")
        else:
            clean["booth_type_id"] = booth_type.id
    needs = data.get("needs") or []
    if not isinstance(needs, list | tuple) or any(n not in PROVISIONS for n in needs):
        errors.add("needs", "Vui lòng chọn nhu cầu trong danh sách.")
    else:
        clean["needs"] = [key for key in PROVISIONS if key in needs]
    clean["needs_note"] = errors.check(_text, data, "needs_note", "Nhu cầu khác", 500, multiline=True)
    errors.raise_if_any()
    return clean


def search_text(application: BoothApplication) -> str:
    """Accent-free "organisation | contact | phone | products" for organisers' search."""
    parts = (
        fold(application.organisation),
        fold(application.contact_name),
        phone_search_forms(application.contact_phone),
        fold(application.tax_code),
        fold(application.products),
    )
    return " | ".join(p for p in parts if p)[:600]


def _save(application: BoothApplication, clean: dict[str, Any]) -> None:
    for key, value in clean.items():
        setattr(application, key, value)
    if "booth_type_id" in clean:
        application.booth_type = db.session.get(BoothType, clean["booth_type_id"])
    application.search_text = search_text(application)


def consents_needed(application: BoothApplication) -> bool:
    """Whether the applicant still has to answer the consent boxes (new, or offered by organisers)."""
    return application.id is None or not privacy.current_consents(CONSENT_SUBJECT, application.id)


def _commit_with_photos(application: BoothApplication, photos: Sequence[booth_photos.CheckedPhoto]) -> None:
    written = booth_photos.store_photos(application, photos)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        booth_photos.forget_files(written)
        raise


def apply(
    user: User,
    event: Event,
    data: dict[str, Any],
    photos: Sequence[FileStorage] = (),
    choices: dict[str, bool] | None = None,
    *,
    now: datetime | None = None,
) -> BoothApplication:
    """Apply for a booth while the exhibition takes applications, or edit one's application while
    it is submitted, waitlisted or offered (one active application per person and event)."""
    now = now or utcnow()
    refusal = window_refusal(exhibition_of(event), event, now)
    if refusal:
        raise Conflict(refusal, code="closed")
    application = active_application(user, event)
    if application is not None and application.status not in EDITABLE:
        raise Conflict(
            "Hồ sơ gian hàng của bạn đã được nhận; muốn thay đổi, vui lòng liên hệ Ban tổ chức.",
            code="accepted",
        )
    errors = FieldErrors()  # the fields, the photos and the consents refused together
    clean = errors.check(
        clean_application,
        event,
        data,
        booth_type_fixed=application is not None and application.status == S.OFFERED.value,
    )
    uploads = booth_photos.chosen(photos)
    checked = errors.check(booth_photos.check_photos, uploads, len(application.photos) if application else 0)
    new = application is None
    needs_consent = application is None or consents_needed(application)
    if needs_consent:
        errors.check(privacy.check_choices, CONSENT_CONTEXT, choices or {})
    errors.raise_if_any()
    clean, checked = clean or {}, checked or []  # None only for a refused check, raised above
    # Added to the session only once every check passed: a refusal leaves nothing to autoflush.
    if application is None:
        application = BoothApplication(event_id=event.id, user_id=user.id, status=S.SUBMITTED.value)
        db.session.add(application)
    _save(application, clean)
    # The same person submitting twice at the same moment: the partial UNIQUE index keeps one.
    flush(Conflict("Bạn vừa gửi hồ sơ gian hàng cho sự kiện này; vui lòng tải lại trang.", code="duplicate"))
    if needs_consent:
        privacy.record_choices(CONSENT_SUBJECT, application.id, CONSENT_CONTEXT, choices or {})
    record(
        user, "booth.apply" if new else "booth.edit", "booth_application", application.id, event=event.slug
    )
    _commit_with_photos(application, checked)
    return application


def add_photos(user: User, application: BoothApplication, photos: Sequence[FileStorage]) -> int:
    """The applicant adds photos to an application that can still change; how many were added."""
    if application.user_id != user.id:
        raise PermissionDenied("Hồ sơ gian hàng này không phải của bạn.")
    if application.status not in EDITABLE:
        raise Conflict("Hồ sơ đã được xét; không thể thêm ảnh.")
    checked = booth_photos.check_photos(booth_photos.chosen(photos), len(application.photos))
    if not checked:
        raise Invalid("Vui lòng chọn ít nhất một ảnh.", field="photos")
    record(user, "booth.photo_add", "booth_application", application.id, count=len(checked))
    _commit_with_photos(application, checked)
    return len(checked)


def withdraw(user: User, application: BoothApplication) -> None:
    """The exhibitor withdraws (or declines an offer). After acceptance too: the passes are
    cancelled and the booth is freed for someone else."""
    if application.user_id != user.id:
        raise PermissionDenied("Hồ sơ gian hàng này không phải của bạn.")
    if application.status not in ACTIVE:
        raise Conflict("Hồ sơ này đã được rút hoặc không được nhận.")
    was = application.status
    cancelled = booth_passes.cancel_passes(application, "Đơn vị rút đăng ký gian hàng")
    application.booth_id = None
    application.status = S.WITHDRAWN.value
    record(user, "booth.withdraw", "booth_application", application.id, was=was, passes_cancelled=cancelled)
    db.session.commit()


# --- decisions ------------------------------------------------------------------------------------


def _hold_booth_type(booth_type_id: int) -> None:
    """Serialise acceptances of one booth type: a no-op UPDATE takes the type's row lock on
    PostgreSQL (and the write lock on SQLite) before the count is read, so two organisers accepting
    at once cannot both take the last booth of a type."""
    db.session.execute(
        update(BoothType)
        .where(BoothType.id == booth_type_id)
        .values(position=BoothType.position)
        .execution_options(synchronize_session=False)
    )


def _accept(actor: User | None, event: Event, application: BoothApplication) -> list[BoothPass]:
    booth_type = application.booth_type
    if booth_type is None:
        raise Invalid("Hồ sơ chưa chọn loại gian hàng.", field="status")
    _hold_booth_type(booth_type.id)
    taken = db.session.scalar(
        select(func.count()).where(
            BoothApplication.booth_type_id == booth_type.id,
            BoothApplication.status == S.ACCEPTED.value,
            BoothApplication.id != application.id,
        )
    )
    if (taken or 0) >= booth_type.count:
        raise Conflict(
            f"Đã nhận đủ {booth_type.count} gian hàng loại “{booth_type.name}”. Hãy đưa hồ sơ vào danh sách "
            "chờ, hoặc tăng số gian hàng của loại này.",
            code="full",
        )
    application.status = S.ACCEPTED.value
    return booth_passes.issue_passes(actor, event, application)


def decide(actor: User, application: BoothApplication, status: str, reason: str = "") -> BoothApplication:
    """Accept, waitlist or refuse (a reason is required for the last two); audited, mailed to the
    contact. Acceptance issues the exhibitor passes; leaving "accepted" cancels them and frees the booth."""
    event = db.session.get_one(Event, application.event_id)
    require_manager(actor, event)
    if status not in DECISIONS:
        raise Invalid(
            "Vui lòng chọn quyết định: nhận, đưa vào danh sách chờ hoặc không nhận.", field="status"
        )
    if application.status == S.WITHDRAWN.value:
        raise Conflict("Đơn vị đã rút hồ sơ này.")
    if application.status == S.OFFERED.value and status != S.REFUSED.value:
        raise Conflict("Đang chờ đội xác nhận lời mời; chỉ có thể huỷ lời mời (không nhận).")
    if status == application.status:
        raise Conflict(f"Hồ sơ đã ở trạng thái “{application.status_label}”.")
    if status == S.ACCEPTED.value:
        reason = tidy(clean_text(reason, field="reason", label="Ghi chú", max_length=500), one_line=True)
    else:
        missing = (
            "Vui lòng ghi lý do không nhận (đơn vị sẽ nhận được lý do này)."
            if status == S.REFUSED.value
            else "Vui lòng ghi lý do đưa vào danh sách chờ (đơn vị sẽ nhận được lý do này)."
        )
        reason = required_reason(clean_text(reason, field="reason", label="Lý do", max_length=500), missing)
    was = application.status
    issued: list[BoothPass] = []
    cancelled = 0
    if status == S.ACCEPTED.value:
        issued = _accept(actor, event, application)
    else:
        cancelled = booth_passes.cancel_passes(application, f"Gian hàng: {reason}")
        application.booth_id = None
        application.status = status
    application.decision_reason = reason
    application.reviewed_by_id = actor.id
    application.reviewed_at = utcnow()
    record(
        actor,
        "booth.decide",
        "booth_application",
        application.id,
        was=was,
        status=status,
        reason=reason,
        passes=len(issued),
        passes_cancelled=cancelled,
    )
    db.session.commit()
    mail_decision(event, application)
    return application


def confirm_offer(
    user: User,
    application: BoothApplication,
    data: dict[str, Any],
    photos: Sequence[FileStorage] = (),
    choices: dict[str, bool] | None = None,
    *,
    now: datetime | None = None,
) -> BoothApplication:
    """An offered team completes its application and confirms: accepted at once, passes issued (the
    organisers chose the team; the public window does not apply, the event's end does)."""
    if application.user_id != user.id:
        raise PermissionDenied("Lời mời này gửi cho trưởng nhóm khác.")
    if application.status != S.OFFERED.value:
        raise Conflict("Lời mời này đã được trả lời.")
    event = db.session.get_one(Event, application.event_id)
    if event.is_over(now or utcnow()):
        raise Conflict("Sự kiện đã diễn ra.", code="closed")
    errors = FieldErrors()  # the fields, the photos and the consents refused together
    clean = errors.check(clean_application, event, data, booth_type_fixed=True)
    checked = errors.check(booth_photos.check_photos, booth_photos.chosen(photos), len(application.photos))
    needs_consent = consents_needed(application)
    if needs_consent:
        errors.check(privacy.check_choices, CONSENT_CONTEXT, choices or {})
    errors.raise_if_any()
    clean, checked = clean or {}, checked or []  # None only for a refused check, raised above
    if needs_consent:
        privacy.record_choices(CONSENT_SUBJECT, application.id, CONSENT_CONTEXT, choices or {})
    _save(application, clean)
    try:
        issued = _accept(None, event, application)
    except Conflict:
        db.session.rollback()  # nothing of the confirmation is kept: the team may try again later
        raise
    application.reviewed_at = utcnow()
    record(user, "booth.offer_confirm", "booth_application", application.id, passes=len(issued))
    _commit_with_photos(application, checked)
    mail_decision(event, application)
    return application


# --- mail -----------------------------------------------------------------------------------------


def pass_links(application: BoothApplication) -> list[tuple[BoothPass, str]]:
    """Each live pass with the link of its ticket page."""
    links = []
    for booth_pass in booth_passes.passes_of(application):
        ticket = booth_pass.attendee.active_ticket
        if booth_pass.attendee.cancelled_at is None and ticket is not None:
            links.append((booth_pass, ticket_url(ticket.code)))
    return links


def mail_decision(event: Event, application: BoothApplication) -> bool:
    """One mail to the contact about the decision (acceptance: with every pass's ticket link)."""
    if not application.contact_email:
        return False
    subjects = {
        S.ACCEPTED.value: f"Đăng ký gian hàng đã được nhận – {event.name}",
        S.WAITLISTED.value: f"Đăng ký gian hàng trong danh sách chờ – {event.name}",
        S.REFUSED.value: f"Kết quả đăng ký gian hàng – {event.name}",
    }
    if application.status not in subjects:
        return False
    exhibition = exhibition_of(event)
    return send_email(
        application.contact_email,
        subjects[application.status],
        f"mail/booth_{application.status}.txt",
        application=application,
        event=event,
        rules=exhibition.exhibitor_rules if exhibition else "",
        passes=pass_links(application) if application.status == S.ACCEPTED.value else [],
        provides=[
            PROVISIONS[k]
            for k in (application.booth_type.provides if application.booth_type else [])
            if k in PROVISIONS
        ],
    )
