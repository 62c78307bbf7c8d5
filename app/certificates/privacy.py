"""What the certificates package holds about a person (the certificates issued to them), registered
with the privacy registry.

An issued certificate is an official record of the Sở: erasure does not delete it but revokes it
(with the reason below, so its verification page says it was withdrawn) and replaces the printed
name with the ERASED marker. The code, the reason, the date and the contest/event stay: the Sở's
register of what it certified keeps its numbers, and a paper copy shown later verifies as revoked
instead of "unknown". Runs before the contests and events holders (order 28): they blank the email
and phone by which this one finds the person's team-member and attendee rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from app.accounts.models import User
from app.audit.services import record
from app.certificates.models import KINDS, Certificate
from app.contests.models import TeamMember
from app.contests.privacy import member_keys
from app.events.privacy import attendees_about
from app.extensions import db
from app.localtime import utcnow
from app.privacy.registry import ERASED, Erasure, Holder, iso, register

REVOKED_REASON = "Xoá dữ liệu cá nhân theo yêu cầu"


def certificates_about(user: User) -> list[Certificate]:
    """Certificates issued to this person: linked to the account, or to a team-member or attendee
    row with the account's email or phone."""
    members = select(TeamMember.id).where(or_(*member_keys(user)))
    attendee_ids = [a.id for a in attendees_about(user)]
    keys = [Certificate.user_id == user.id, Certificate.member_id.in_(members)]
    if attendee_ids:
        keys.append(Certificate.attendee_id.in_(attendee_ids))
    return list(db.session.scalars(select(Certificate).where(or_(*keys)).order_by(Certificate.id)))


def export_certificates(user: User, limit: int | None = None) -> list[dict[str, Any]]:
    return [
        {
            "ma_xac_minh": c.code,
            "ho_ten": c.full_name,
            "loai": KINDS.get(c.kind, c.kind),
            "noi_dung": c.reason,
            "ngay_cap": iso(c.issued_on),
            "thu_hoi_luc": iso(c.revoked_at),
            "ly_do_thu_hoi": c.revoked_reason,
        }
        for c in certificates_about(user)
    ]


def erase_certificates(actor: User | None, user: User) -> Erasure:
    certificates = certificates_about(user)
    if not certificates:
        return Erasure()
    now = utcnow()
    for certificate in certificates:
        certificate.full_name = ERASED
        if certificate.revoked_at is None:
            certificate.revoked_at, certificate.revoked_reason = now, REVOKED_REASON
    record(actor, "certificate.erase_person", "user", user.id, certificates=len(certificates))
    return Erasure([f"họ tên của bạn trên {len(certificates)} giấy chứng nhận (các giấy này đã bị thu hồi)"])


register(
    Holder(
        key="giay_chung_nhan",
        title="Giấy chứng nhận",
        models=(Certificate,),
        export=export_certificates,
        erase=erase_certificates,
        erases="Họ tên của bạn trên các giấy chứng nhận; các giấy này bị thu hồi.",
        keeps=(
            "Mã xác minh, nội dung, ngày cấp của giấy (đã thu hồi, không còn tên bạn): giấy chứng nhận "
            "là văn bản Sở đã cấp, nên sổ cấp giữ số liệu và bản giấy cũ khi kiểm tra sẽ báo “đã thu hồi”."
        ),
        labels={
            "ma_xac_minh": "Mã xác minh",
            "loai": "Loại",
            "noi_dung": "Nội dung",
            "ngay_cap": "Ngày cấp",
            "thu_hoi_luc": "Thu hồi lúc",
            "ly_do_thu_hoi": "Lý do thu hồi",
        },
        order=28,
    )
)
