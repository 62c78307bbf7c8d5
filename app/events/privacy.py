"""What the events package holds about a person (registrations, tickets, check-ins, scanner
answers, check-in staff assignments), registered with the privacy registry.

Erasure anonymises a registration instead of cancelling or deleting it: the event's registered and
checked-in counts (live stats, attendance export, the yearly report) count rows, so they stay the
same. The person's tickets are revoked, so a copied QR code no longer opens the gate. The caller
(privacy.services.erase_for_request) commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select

from app.accounts.models import User
from app.audit.services import record
from app.database import rowcount
from app.events import tickets
from app.events.models import SOURCES, Attendee, Checkin, Event, EventStaff, Scan, Ticket
from app.extensions import db
from app.localtime import utcnow
from app.privacy.notices import PURPOSES
from app.privacy.registry import ERASED, Erasure, Holder, iso, register
from app.privacy.services import current_consents

REVOKED_REASON = "Xoá dữ liệu cá nhân theo yêu cầu"


def attendees_about(user: User) -> list[Attendee]:
    """Registrations of this person: linked to the account, or with its email or phone."""
    keys = [Attendee.user_id == user.id, Attendee.email == user.email]
    if user.phone:
        keys.append(Attendee.phone == user.phone)
    return list(db.session.scalars(select(Attendee).where(or_(*keys)).order_by(Attendee.id)))


def export_registrations(user: User, limit: int | None = None) -> list[dict[str, Any]]:
    data = []
    for attendee in attendees_about(user):
        checkins = db.session.scalars(
            select(Checkin).where(Checkin.attendee_id == attendee.id).order_by(Checkin.at, Checkin.id)
        )
        data.append(
            {
                "su_kien": attendee.event.name,
                "bat_dau": iso(attendee.event.starts_at),
                "ho_ten": attendee.full_name,
                "dien_thoai": attendee.phone,
                "email": attendee.email,
                "don_vi": attendee.organisation,
                "loai_khach": attendee.category,
                "doan": attendee.group_name,
                "nguon": SOURCES.get(attendee.source, attendee.source),
                "dang_ky_luc": iso(attendee.created_at),
                "huy_luc": iso(attendee.cancelled_at),
                # Not the ticket code: it opens the gate, and a copy of the data may travel.
                "ve": [
                    {
                        "cap_luc": iso(t.issued_at),
                        "thu_hoi_luc": iso(t.revoked_at),
                        "ly_do_thu_hoi": t.revoked_reason,
                    }
                    for t in attendee.tickets
                ],
                "check_in": [
                    {"luc": iso(c.at), "cong": c.gate, "huy_luc": iso(c.undone_at)} for c in checkins
                ],
                "dong_y": [
                    {
                        "muc_dich": PURPOSES[code].label if code in PURPOSES else code,
                        "dong_y": c.granted and c.withdrawn_at is None,
                        "thoi_diem": iso(c.given_at),
                    }
                    for code, c in current_consents("attendee", attendee.id).items()
                ],
            }
        )
    return data


def anonymise_attendee(
    attendee: Attendee, now: datetime, reason: str, *, name: str = ERASED, organisation: str = ""
) -> int:
    """Strip a registration of the person: `name` for theirs, no phone or email, `organisation`
    (default none) for theirs, the staff search text rebuilt from what is left; every ticket still
    valid is revoked with `reason`, so a copied QR code no longer opens the gate. The row itself
    stays (event counts add rows). Returns how many tickets were revoked. Used by the erasure below
    and by the retention purge (app/admin/retention.py); the caller commits."""
    attendee.full_name = name
    attendee.phone = attendee.email = None
    attendee.organisation = organisation
    attendee.search_text = tickets.search_key(name, None, organisation)
    revoked = 0
    for ticket in attendee.tickets:
        if ticket.revoked_at is None:
            ticket.revoked_at, ticket.revoked_reason = now, reason
            revoked += 1
    return revoked


def scrub_scans(attendee_ids: set[int]) -> int:
    """Scanner answers replayed for a retried scan quote the attendee's name and organisation:
    replace them in the stored answers of these attendees (returns how many answers changed)."""
    event_ids = select(Attendee.event_id).where(Attendee.id.in_(attendee_ids)).distinct()
    changed = 0
    for scan in db.session.scalars(select(Scan).where(Scan.event_id.in_(event_ids))):
        quoted = (scan.response or {}).get("attendee")
        if isinstance(quoted, dict) and quoted.get("id") in attendee_ids:
            scan.response = {**scan.response, "attendee": {**quoted, "name": ERASED, "organisation": ""}}
            changed += 1
    return changed


def erase_registrations(actor: User | None, user: User) -> Erasure:
    attendees = attendees_about(user)
    if not attendees:
        return Erasure()
    now = utcnow()
    revoked = 0
    for attendee in attendees:
        # user_id stays: it points at the anonymised account, and keeps a linked contest's
        # re-sync from registering the same person again.
        revoked += anonymise_attendee(attendee, now, REVOKED_REASON)
    scrub_scans({a.id for a in attendees})
    record(actor, "event.erase_person", "user", user.id, attendees=len(attendees), tickets=revoked)
    done = [f"họ tên, điện thoại, email, đơn vị của bạn trong {len(attendees)} lượt đăng ký sự kiện"]
    if revoked:
        done.append(f"{revoked} vé đã bị thu hồi")
    return Erasure(done)


register(
    Holder(
        key="dang_ky_su_kien",
        title="Đăng ký sự kiện",
        models=(Attendee, Ticket, Checkin, Scan),
        export=export_registrations,
        erase=erase_registrations,
        erases="Họ tên, điện thoại, email, đơn vị trong các lượt đăng ký; vé của bạn bị thu hồi.",
        keeps=(
            "Lượt đăng ký đã ẩn danh (loại khách, đoàn) và giờ check-in: để số người đăng ký, "
            "số người tham dự trong báo cáo của Sở không đổi."
        ),
        labels={
            "bat_dau": "Bắt đầu",
            "loai_khach": "Loại khách",
            "doan": "Đoàn",
            "nguon": "Cách đăng ký",
            "dang_ky_luc": "Đăng ký lúc",
            "huy_luc": "Huỷ lúc",
            "ve": "Vé",
            "cap_luc": "Cấp lúc",
            "thu_hoi_luc": "Thu hồi lúc",
            "ly_do_thu_hoi": "Lý do thu hồi",
            "check_in": "Check-in",
            "cong": "Cổng",
            "muc_dich": "Mục đích",
            "thoi_diem": "Thời điểm",
        },
        order=50,
    )
)


def export_staffing(user: User, limit: int | None = None) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(Event.name, EventStaff.added_at)
        .join(Event, Event.id == EventStaff.event_id)
        .where(EventStaff.user_id == user.id)
        .order_by(EventStaff.added_at)
    )
    return [{"su_kien": name, "tu_luc": iso(added_at)} for name, added_at in rows]


def erase_staffing(actor: User | None, user: User) -> Erasure:
    # An assignment is a permission, not a record: the check-ins the person made keep pointing at
    # the anonymised account, so nothing is lost by removing it.
    count = rowcount(db.session.execute(delete(EventStaff).where(EventStaff.user_id == user.id)))
    return Erasure([f"{count} phân công check-in sự kiện"] if count else [])


register(
    Holder(
        key="nhan_su_check_in",
        title="Phân công check-in sự kiện",
        models=(EventStaff,),
        export=export_staffing,
        erase=erase_staffing,
        erases="Các phân công làm tình nguyện viên check-in.",
        keeps="Các lượt check-in bạn đã quét vẫn giữ (người quét là tài khoản đã ẩn danh) để số liệu không đổi.",
        labels={"tu_luc": "Từ lúc"},
        order=55,
    )
)
