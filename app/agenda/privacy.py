"""What the agenda holds about a person: their session registrations (places, waitlist) and the
room check-ins of their tickets, registered with the privacy registry.

The rows carry no name of their own: they point at the event registration, which the events holder
anonymises (and whose scanner answers, room scans included, it scrubs). Erasure here gives up the
person's places in sessions still to come (the first person waiting moves up, mailed after the
commit) and keeps the past rows, anonymous once the registration is, so attendance per session in
the Sở's reports does not change. The caller commits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from app.accounts.models import User
from app.agenda import waitlist
from app.agenda.models import EventSession, SessionCheckin, SessionRegistration
from app.audit.services import record
from app.database import rowcount
from app.events.privacy import attendees_about
from app.extensions import db
from app.localtime import utcnow
from app.privacy.registry import Erasure, Holder, iso, register

STATUS_LABELS = {"registered": "Có chỗ", "waitlisted": "Danh sách chờ", "cancelled": "Đã huỷ"}


def export_sessions(user: User, limit: int | None = None) -> list[dict[str, Any]]:
    ids = [a.id for a in attendees_about(user)]
    if not ids:
        return []
    regs = db.session.execute(
        select(SessionRegistration, EventSession)
        .join(EventSession, EventSession.id == SessionRegistration.session_id)
        .where(SessionRegistration.attendee_id.in_(ids))
        .order_by(EventSession.starts_at, SessionRegistration.id)
        .limit(limit)
    ).all()
    checkins = db.session.execute(
        select(SessionCheckin, EventSession)
        .join(EventSession, EventSession.id == SessionCheckin.session_id)
        .where(SessionCheckin.attendee_id.in_(ids))
        .order_by(SessionCheckin.at, SessionCheckin.id)
        .limit(limit)
    ).all()
    data: list[dict[str, Any]] = [
        {
            "phien": session.title,
            "bat_dau": iso(session.starts_at),
            "trang_thai": STATUS_LABELS.get(reg.status, reg.status),
            "dang_ky_luc": iso(reg.created_at),
            "huy_luc": iso(reg.cancelled_at),
        }
        for reg, session in regs
    ]
    data.extend(
        {
            "phien": session.title,
            "phong": session.room,
            "check_in_luc": iso(c.at),
            "huy_luc": iso(c.undone_at),
        }
        for c, session in checkins
    )
    return data


def forget_scan_ids(attendee_ids: list[int]) -> int:
    """Clear the scanner's scan_id on these registrations' room check-ins: it says nothing about the
    person, but nothing needs it once they are anonymised (the check-ins themselves stay, for the
    per-session attendance). Used by the erasure below and by the retention purge; the caller commits."""
    # A check-in's scan_id is the scanner's; it says nothing about the person, but nothing needs it now.
    return rowcount(
        db.session.execute(
            update(SessionCheckin)
            .where(SessionCheckin.attendee_id.in_(attendee_ids), SessionCheckin.scan_id.is_not(None))
            .values(scan_id=None)
            .execution_options(synchronize_session=False)
        )
    )


def erase_sessions(actor: User | None, user: User) -> Erasure:
    ids = [a.id for a in attendees_about(user)]
    if not ids:
        return Erasure()
    now = utcnow()
    future = db.session.execute(
        select(SessionRegistration.id, SessionRegistration.session_id, SessionRegistration.status)
        .join(EventSession, EventSession.id == SessionRegistration.session_id)
        .where(
            SessionRegistration.attendee_id.in_(ids),
            SessionRegistration.cancelled_at.is_(None),
            EventSession.starts_at > now,
        )
    ).all()
    promoted: list[int] = []
    for reg_id, session_id, status in future:
        result = db.session.execute(
            update(SessionRegistration)
            .where(SessionRegistration.id == reg_id, SessionRegistration.cancelled_at.is_(None))
            .values(status=waitlist.CANCELLED, cancelled_at=now)
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) == 1 and status == waitlist.REGISTERED:
            waitlist.release_places(session_id)
            promoted.extend(waitlist.fill_from_waitlist(session_id, now))
    forget_scan_ids(ids)
    if not future:
        return Erasure()
    record(actor, "agenda.erase_person", "user", user.id, registrations=len(future))

    def mail_promoted() -> None:
        waitlist.notify_promoted(promoted)

    return Erasure(
        [f"{len(future)} chỗ trong các phiên sắp diễn ra đã được huỷ"],
        after_commit=[mail_promoted] if promoted else [],
    )


register(
    Holder(
        key="lich_hoat_dong",
        title="Đăng ký phiên và check-in tại phòng",
        models=(SessionRegistration, SessionCheckin),
        export=export_sessions,
        erase=erase_sessions,
        erases="Chỗ của bạn trong các phiên sắp diễn ra (người trong danh sách chờ được chuyển lên).",
        keeps=(
            "Các lượt đăng ký và check-in phiên đã diễn ra, gắn với lượt đăng ký sự kiện đã ẩn danh: "
            "để số người tham dự từng phiên trong báo cáo của Sở không đổi."
        ),
        labels={
            "phien": "Phiên",
            "bat_dau": "Bắt đầu",
            "trang_thai": "Trạng thái",
            "dang_ky_luc": "Đăng ký lúc",
            "huy_luc": "Huỷ lúc",
            "phong": "Phòng",
            "check_in_luc": "Check-in lúc",
        },
        order=52,
    )
)
