"""What the audit trail holds about a person (their own actions, their address), for the privacy
registry: copied into "my data", scrubbed on erasure, the rows themselves kept as the record."""

from __future__ import annotations

import json

from sqlalchemy import String, and_, cast, or_, select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.extensions import db
from app.privacy.registry import ERASED, Erasure, Holder, iso, register
from app.text import like_pattern

# --- the audit trail --------------------------------------------------------------------------------

# Detail keys that carry a person's data when the row is their own action or about their account;
# "note" is free text the person wrote (a conflict declaration).
PERSONAL_DETAIL_KEYS = {"email", "phone", "full_name", "organisation", "commune", "note"}


def _yours(user: User):
    return or_(
        AuditEvent.actor_id == user.id,
        and_(AuditEvent.object_type == "user", AuditEvent.object_id == str(user.id)),
    )


def export_audit(user: User, limit: int | None = None) -> list:
    # Details are left out: a row the person wrote may name other people (an invitation's email).
    return [
        {
            "luc": iso(row.at),
            "hanh_dong": row.action,
            "doi_tuong": row.object_type,
            "ma_doi_tuong": row.object_id,
            "boi_ban": row.actor_id == user.id,
            "dia_chi_ip": row.ip if row.actor_id == user.id else None,
        }
        for row in db.session.scalars(
            select(AuditEvent)
            .where(_yours(user))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    ]


def _scrub(value, needles: set[str]):
    if isinstance(value, str):
        for needle in needles:
            value = value.replace(needle, ERASED)
        return value
    if isinstance(value, dict):
        return {k: _scrub(v, needles) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, needles) for v in value]
    return value


def _needles(user: User) -> set[str]:
    """The person's email, phone (stored +84… and typed 0… forms) and a name of two words or more
    (a one-word name is too likely to be part of other text)."""
    found = {user.email}
    if user.phone:
        found.add(user.phone)
        if user.phone.startswith("+84"):
            found.add("0" + user.phone[3:])
    if user.full_name and len(user.full_name.split()) >= 2:
        found.add(user.full_name)
    return found


def erase_audit(actor: User | None, user: User) -> Erasure:
    """Keep every row (who did what, when: the platform's accountability), drop the IP addresses of
    the person's own actions, and replace the person's email, phone and name wherever a row's
    details quote them (an organiser's invitation to this email, a profile update …)."""
    needles = _needles(user)
    # Details are JSON; as text, non-ASCII is \\u-escaped, so the name is looked for in that form.
    patterns = [like_pattern(json.dumps(v)[1:-1]) for v in needles]
    candidates = db.session.scalars(
        select(AuditEvent).where(
            or_(_yours(user), *[cast(AuditEvent.details, String).like(p, escape="\\") for p in patterns])
        )
    )
    changed = 0
    for row in candidates:
        before = (row.ip, row.details)
        details = _scrub(row.details or {}, needles)
        if row.actor_id == user.id or (row.object_type == "user" and row.object_id == str(user.id)):
            details = {k: (ERASED if k in PERSONAL_DETAIL_KEYS and v else v) for k, v in details.items()}
        if row.actor_id == user.id:
            row.ip = None
        if details != row.details:
            row.details = details
        changed += (row.ip, row.details) != before
    return Erasure(
        [f"địa chỉ IP và thông tin cá nhân trong {changed} dòng nhật ký hoạt động"] if changed else []
    )


register(
    Holder(
        key="nhat_ky_hoat_dong",
        title="Nhật ký hoạt động",
        models=(AuditEvent,),
        export=export_audit,
        erase=erase_audit,
        erases="Địa chỉ IP của các thao tác bạn làm; email, điện thoại, họ tên của bạn trong nội dung nhật ký.",
        keeps="Thao tác và thời điểm (không còn thông tin nhận diện): nhật ký để kiểm tra trách nhiệm giải trình.",
        labels={
            "hanh_dong": "Thao tác",
            "doi_tuong": "Loại đối tượng",
            "ma_doi_tuong": "Mã đối tượng",
            "boi_ban": "Do bạn thực hiện",
        },
        order=90,
    )
)
