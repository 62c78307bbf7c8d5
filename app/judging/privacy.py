"""What the judging package holds about a person (judge profile, invitations, conflicts of
interest, score sheets), registered with the privacy registry.

Erasure keeps every score sheet, assignment, panel membership and conflict decision: published
results, rankings and the fairness record (who could not judge which entry) must stay as they were.
The judge behind them becomes the anonymised account. What only describes the person goes: the
profile (organisation, commune, expertise), the name, email and organisation on invitations, and
the free-text note the judge wrote when declaring a conflict. The caller commits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, delete, or_, select
from sqlalchemy.orm import lazyload, selectinload

from app.accounts.models import User
from app.audit.services import record
from app.contests.models import Entry
from app.database import rowcount
from app.extensions import db
from app.judging.models import (
    CONFLICT_KIND_LABELS,
    CONFLICT_STATUS_LABELS,
    SHEET_STATUS_LABELS,
    AdvancementOverride,
    Assignment,
    Conflict,
    ConflictKind,
    ConflictStatus,
    JudgeInvitation,
    JudgeProfile,
    Round,
    RoundJudge,
    SheetStatus,
)
from app.judging.services.common import results_changed
from app.localtime import utcnow
from app.privacy.registry import ERASED, Erasure, Holder, erased_email, iso, register


def _invitations(user: User) -> Select[tuple[JudgeInvitation]]:
    return select(JudgeInvitation).where(
        or_(JudgeInvitation.user_id == user.id, JudgeInvitation.email == user.email)
    )


def _scores(row: Assignment) -> list[dict[str, Any]]:
    """Criterion names, not the rubric's internal ids, so the copy reads on its own."""
    names = {c.get("id"): c.get("name") for c in (row.round.rubric or []) if isinstance(c, dict)}
    return [
        {"tieu_chi": names.get(key) or key, "diem": value}
        for key, value in (row.scores or {}).items()
        if value not in ("", None)
    ]


def export_judging(user: User, limit: int | None = None) -> dict[str, Any]:
    profile = db.session.scalar(select(JudgeProfile).where(JudgeProfile.user_id == user.id))
    data = {
        "ho_so_giam_khao": profile
        and {
            "don_vi": profile.organisation,
            "xa_phuong": profile.commune_name,
            "chuyen_mon": profile.expertise,
            "cap_nhat_luc": iso(profile.updated_at),
        },
        "thu_moi": [
            {
                "cuoc_thi": row.round.contest.name,
                "vong": row.round.name,
                "ho_ten": row.full_name,
                "email": row.email,
                "don_vi": row.organisation,
                "gui_luc": iso(row.created_at),
                "het_han": iso(row.expires_at),
                "chap_nhan_luc": iso(row.accepted_at),
                "thu_hoi_luc": iso(row.revoked_at),
            }
            for row in db.session.scalars(
                _invitations(user)
                .order_by(JudgeInvitation.id)
                .options(selectinload(JudgeInvitation.round).joinedload(Round.contest))
            )
        ],
        "xung_dot_loi_ich": [
            {
                "ma_ho_so": row.entry.code,
                "loai": str(CONFLICT_KIND_LABELS.get(ConflictKind(row.kind), row.kind)),
                "trang_thai": str(CONFLICT_STATUS_LABELS[ConflictStatus(row.status)]),
                "ghi_chu": row.note,
                "ghi_chu_cua_ban_to_chuc": row.decision_note,
            }
            for row in db.session.scalars(
                select(Conflict)
                .where(Conflict.judge_id == user.id)
                .order_by(Conflict.id)
                .options(selectinload(Conflict.entry).options(lazyload(Entry.members), lazyload(Entry.files)))
            )
        ],
        "phieu_cham": [
            {
                "cuoc_thi": row.round.contest.name,
                "vong": row.round.name,
                "ma_ho_so": row.entry.code,
                "trang_thai": str(SHEET_STATUS_LABELS[SheetStatus(row.status)]),
                "diem": _scores(row),
                "nhan_xet": row.general_comment,
                "nop_luc": iso(row.submitted_at),
            }
            for row in db.session.scalars(
                select(Assignment)
                .where(Assignment.judge_id == user.id)
                .order_by(Assignment.id)
                .options(
                    selectinload(Assignment.entry).options(lazyload(Entry.members), lazyload(Entry.files)),
                    selectinload(Assignment.round).joinedload(Round.contest),
                )
            )
        ],
    }
    return {key: value for key, value in data.items() if value}


def erase_judging(actor: User, user: User) -> Erasure:
    done: list[str] = []
    if rowcount(db.session.execute(delete(JudgeProfile).where(JudgeProfile.user_id == user.id))):
        done.append("hồ sơ giám khảo (đơn vị, xã phường, chuyên môn)")
    invitations = list(db.session.scalars(_invitations(user)))
    now = utcnow()
    for row in invitations:
        row.full_name = ERASED
        row.email = erased_email(user.id)
        row.organisation = ""
        if row.accepted_at is None and row.revoked_at is None:
            row.revoked_at = now  # the link stops working
    if invitations:
        done.append(f"họ tên, email, đơn vị trong {len(invitations)} thư mời chấm")
    notes = 0
    for conflict in db.session.scalars(
        select(Conflict).where(Conflict.judge_id == user.id, Conflict.note != "")
    ):
        conflict.note = ""
        notes += 1
    if notes:
        done.append(f"ghi chú của bạn trong {notes} khai báo xung đột lợi ích")
    if done:
        record(actor, "judging.erase_person", "user", user.id, invitations=len(invitations), notes=notes)
    # Cached results carry judges' and override authors' names: computed again without them.
    named_in = (
        select(RoundJudge.round_id)
        .where(RoundJudge.user_id == user.id)
        .union(select(AdvancementOverride.round_id).where(AdvancementOverride.by_id == user.id))
    )
    results_changed(*db.session.scalars(select(Round).where(Round.id.in_(named_in))))
    return Erasure(done)


register(
    Holder(
        key="giam_khao",
        title="Chấm thi",
        models=(JudgeProfile, JudgeInvitation, Conflict, Assignment, RoundJudge),
        export=export_judging,
        erase=erase_judging,
        erases=(
            "Hồ sơ giám khảo (đơn vị, xã phường, chuyên môn); họ tên, email, đơn vị trong thư mời chấm; "
            "ghi chú bạn viết khi khai báo xung đột lợi ích."
        ),
        keeps=(
            "Điểm, nhận xét, phân công và quyết định về xung đột lợi ích, gắn với tài khoản đã ẩn danh: "
            "để kết quả đã công bố và xếp hạng không thay đổi."
        ),
        labels={
            "ho_so_giam_khao": "Hồ sơ giám khảo",
            "chuyen_mon": "Chuyên môn",
            "cap_nhat_luc": "Cập nhật lúc",
            "thu_moi": "Thư mời chấm",
            "gui_luc": "Gửi lúc",
            "het_han": "Hết hạn",
            "chap_nhan_luc": "Chấp nhận lúc",
            "thu_hoi_luc": "Thu hồi lúc",
            "xung_dot_loi_ich": "Xung đột lợi ích",
            "loai": "Loại",
            "ghi_chu_cua_ban_to_chuc": "Ghi chú của Ban tổ chức",
            "phieu_cham": "Phiếu chấm",
            "diem": "Điểm",
            "tieu_chi": "Tiêu chí",
            "nhan_xet": "Nhận xét chung",
            "nop_luc": "Nộp lúc",
        },
        order=40,
    )
)
