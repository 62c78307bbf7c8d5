"""What the privacy package itself holds about a person: consents and data requests."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from app.privacy.models import Consent, DataRequest
from app.privacy.notices import PURPOSES
from app.privacy.registry import ERASED, Erasure, Holder, erased_email, iso, register
from app.privacy.services import REQUEST_KINDS, REQUEST_STATUSES, my_requests

# --- consents ---------------------------------------------------------------------------------------


def export_consents(user: User, limit: int | None = None) -> list:
    return [
        {
            "muc_dich": PURPOSES[c.purpose].label if c.purpose in PURPOSES else c.purpose,
            "ma_muc_dich": c.purpose,
            "dong_y": c.granted,
            "phien_ban_thong_bao": c.notice_version,
            "thoi_diem": iso(c.given_at),
            "rut_lai_luc": iso(c.withdrawn_at),
            "nguon": c.source,
        }
        for c in db.session.scalars(
            select(Consent)
            .where(Consent.subject_kind == "user", Consent.subject_id == user.id)
            .order_by(Consent.given_at, Consent.id)
        )
    ]


def erase_consents(actor: User | None, user: User) -> Erasure:
    # Consent rows hold no name or contact (only the subject's id, the purpose and the choice), and
    # the controller must be able to prove each consent it relied on: they stay as they are.
    return Erasure()


register(
    Holder(
        key="dong_y_xu_ly_du_lieu",
        title="Các sự đồng ý của bạn",
        models=(Consent,),
        export=export_consents,
        erase=erase_consents,
        erases="Không có gì để xoá: bản ghi đồng ý không chứa họ tên hay liên hệ.",
        keeps="Lịch sử đồng ý và rút lại đồng ý, làm bằng chứng Sở chỉ xử lý dữ liệu khi được bạn đồng ý.",
        labels={
            "muc_dich": "Mục đích",
            "ma_muc_dich": "Mã mục đích",
            "phien_ban_thong_bao": "Phiên bản thông báo",
            "thoi_diem": "Thời điểm",
            "rut_lai_luc": "Rút lại lúc",
            "nguon": "Nguồn",
        },
        order=20,
    )
)


# --- data requests ----------------------------------------------------------------------------------


def export_requests(user: User, limit: int | None = None) -> list:
    return [
        {
            "loai": REQUEST_KINDS.get(r.kind, r.kind),
            "noi_dung": r.details,
            "trang_thai": REQUEST_STATUSES.get(r.status, r.status),
            "gui_luc": iso(r.created_at),
            "han_xu_ly": iso(r.due_at),
            "phan_hoi": r.resolution_note,
        }
        for r in my_requests(user)
    ]


def erase_requests(actor: User | None, user: User) -> Erasure:
    rows = list(db.session.scalars(select(DataRequest).where(DataRequest.user_id == user.id)))
    for row in rows:
        row.requester_name = ERASED
        row.requester_email = erased_email(user.id)
        row.details = ""
    return Erasure([f"họ tên, email và nội dung của {len(rows)} yêu cầu về dữ liệu"] if rows else [])


register(
    Holder(
        key="yeu_cau_ve_du_lieu",
        title="Yêu cầu về dữ liệu",
        models=(DataRequest,),
        export=export_requests,
        erase=erase_requests,
        erases="Họ tên, email và nội dung bạn viết trong các yêu cầu.",
        keeps="Loại yêu cầu, thời điểm gửi, hạn và kết quả xử lý: bằng chứng Sở đã trả lời đúng hạn.",
        labels={
            "loai": "Loại yêu cầu",
            "noi_dung": "Nội dung",
            "gui_luc": "Gửi lúc",
            "han_xu_ly": "Hạn xử lý",
            "phan_hoi": "Phản hồi",
        },
        order=80,
    )
)
