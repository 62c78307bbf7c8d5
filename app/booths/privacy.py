"""What the booths package holds about a person (their booth applications, the photos they sent,
the passes issued for their booth), registered with the privacy registry.

Erasure anonymises an application (contact name, phone, email, tax code) instead of deleting it, so
the exhibition's counts stay the same; an application still running is withdrawn, its passes
cancelled and its booth freed; the photos are deleted from disk once the erasure is committed.
The pass holders' own registrations belong to the events holder. The caller commits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.accounts.models import User
from app.audit.services import record
from app.booths.applications import ACTIVE, CONSENT_SUBJECT, search_text
from app.booths.models import (
    ORG_KINDS,
    STATUS_LABELS,
    ApplicationStatus,
    BoothApplication,
    BoothPass,
    BoothPhoto,
)
from app.booths.passes import cancel_passes, passes_of
from app.booths.photos import forget_files, photo_path
from app.events.models import Event
from app.extensions import db
from app.privacy.notices import PURPOSES
from app.privacy.registry import ERASED, Erasure, Holder, Link, iso, register
from app.privacy.services import current_consents


def applications_of(user: User) -> list[BoothApplication]:
    return list(
        db.session.scalars(
            select(BoothApplication).where(BoothApplication.user_id == user.id).order_by(BoothApplication.id)
        )
    )


def export_applications(user: User, limit: int | None = None) -> list[dict[str, Any]]:
    rows = applications_of(user)
    events = {
        e.id: e for e in db.session.scalars(select(Event).where(Event.id.in_({a.event_id for a in rows})))
    }
    data = []
    for application in rows:
        event = events.get(application.event_id)
        data.append(
            {
                "su_kien": event.name if event else "",
                "trang_thai": STATUS_LABELS.get(ApplicationStatus(application.status), application.status),
                "don_vi": application.organisation,
                "loai_hinh": ORG_KINDS.get(application.org_kind, application.org_kind),
                "ma_so_thue": application.tax_code,
                "linh_vuc": application.sector,
                "san_pham": application.products,
                "ocop": application.ocop_stars,
                "ho_ten": application.contact_name,
                "dien_thoai": application.contact_phone,
                "email": application.contact_email,
                "ly_do": application.decision_reason,
                "dang_ky_luc": iso(application.created_at),
                "anh": [
                    {"ten_tep": p.original_name, "tai_luc": iso(p.uploaded_at)} for p in application.photos
                ],
                "the_gian_hang": [
                    {
                        "vi_tri": p.position,
                        "ho_ten": p.attendee.full_name,
                        "huy_luc": iso(p.attendee.cancelled_at),
                    }
                    for p in passes_of(application)
                ],
                "dong_y": [
                    {
                        "muc_dich": PURPOSES[code].label if code in PURPOSES else code,
                        "dong_y": c.granted and c.withdrawn_at is None,
                        "thoi_diem": iso(c.given_at),
                    }
                    for code, c in current_consents(CONSENT_SUBJECT, application.id).items()
                ],
            }
        )
    return data


def anonymise_application(application: BoothApplication) -> list[Path]:
    """Strip an application of its contact person (name → ERASED, no phone, email or tax code) and
    of its photos (rows removed; the returned files are the caller's to delete once committed), and
    rebuild its search text. Status, booth and organisation are the caller's. Used by the erasure
    below and by the retention purge (app/admin/retention.py); the caller commits."""
    application.contact_name = ERASED
    application.contact_phone = application.contact_email = None
    application.tax_code = ""
    files = [photo_path(p) for p in application.photos]
    application.photos.clear()
    application.search_text = search_text(application)
    return files


def erase_applications(actor: User | None, user: User) -> Erasure:
    rows = applications_of(user)
    if not rows:
        return Erasure()
    files: list[Path] = []
    withdrawn = 0
    for application in rows:
        if application.status in ACTIVE:
            cancel_passes(application, "Xoá dữ liệu cá nhân theo yêu cầu")
            application.booth_id = None
            application.status = ApplicationStatus.WITHDRAWN.value
            withdrawn += 1
        files.extend(anonymise_application(application))
    record(actor, "booth.erase_person", "user", user.id, applications=len(rows), withdrawn=withdrawn)
    done = [f"người liên hệ, điện thoại, email, mã số thuế và ảnh của {len(rows)} hồ sơ gian hàng"]
    if withdrawn:
        done.append(f"{withdrawn} hồ sơ gian hàng đang xét hoặc đã nhận được rút, thẻ gian hàng bị huỷ")
    return Erasure(done, after_commit=[lambda: forget_files(files)])


register(
    Holder(
        key="gian_hang",
        title="Đăng ký gian hàng",
        models=(BoothApplication, BoothPhoto, BoothPass),
        export=export_applications,
        erase=erase_applications,
        erases=(
            "Người liên hệ, điện thoại, email, mã số thuế và ảnh trong hồ sơ gian hàng; hồ sơ đang xét "
            "hoặc đã nhận được rút và thẻ gian hàng bị huỷ."
        ),
        keeps="Tên đơn vị, sản phẩm và trạng thái hồ sơ (đã ẩn danh người liên hệ): để số gian hàng của sự kiện không đổi.",
        labels={
            "loai_hinh": "Loại hình",
            "ma_so_thue": "Mã số thuế",
            "linh_vuc": "Lĩnh vực",
            "san_pham": "Sản phẩm",
            "ocop": "Hạng sao OCOP",
            "ly_do": "Lý do của Ban tổ chức",
            "dang_ky_luc": "Đăng ký lúc",
            "anh": "Ảnh",
            "ten_tep": "Tên tệp",
            "tai_luc": "Tải lên lúc",
            "the_gian_hang": "Thẻ gian hàng",
            "vi_tri": "Thẻ số",
            "huy_luc": "Huỷ lúc",
            "muc_dich": "Mục đích",
            "thoi_diem": "Thời điểm",
        },
        links=lambda user: [Link("Gian hàng của tôi", "booths.my_applications")],
        order=52,
    )
)
