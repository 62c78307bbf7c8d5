"""Recording, reading and withdrawing consents. `record_choices` joins the caller's transaction
(the entry or registration it belongs to commits both together); `withdraw` commits itself."""

from __future__ import annotations

from sqlalchemy import select

from app.audit.services import record
from app.errors import Invalid, NotFound
from app.extensions import db
from app.localtime import utcnow
from app.privacy.models import Consent
from app.privacy.notices import CONTEXTS, PURPOSES, Purpose

SOURCES = {"web", "paper", "desk"}


def purposes_for(context: str) -> list[tuple[Purpose, bool]]:
    """The purposes offered in a context, with whether each is required."""
    return [(PURPOSES[code], required) for code, required in CONTEXTS[context].items()]


def check_choices(context: str, choices: dict[str, bool]) -> None:
    """Raise Invalid on the first required purpose left unticked (field `consent_<code>`)."""
    for purpose, required in purposes_for(context):
        if required and not choices.get(purpose.code):
            raise Invalid(
                "Bạn cần đánh dấu ô đồng ý này để tiếp tục: " + purpose.label,
                field=f"consent_{purpose.code}",
            )


def record_choices(
    subject_kind: str,
    subject_id: int,
    context: str,
    choices: dict[str, bool],
    *,
    source: str = "web",
    keyed_by=None,
) -> list[Consent]:
    """Store one row per offered purpose (ticked or not). The caller commits."""
    if source not in SOURCES:
        raise ValueError(f"unknown consent source {source!r}")
    check_choices(context, choices)
    now = utcnow()
    rows = []
    for purpose, _required in purposes_for(context):
        row = Consent(
            subject_kind=subject_kind,
            subject_id=subject_id,
            purpose=purpose.code,
            granted=bool(choices.get(purpose.code)),
            notice_version=purpose.version,
            given_at=now,
            source=source,
            keyed_by_id=getattr(keyed_by, "id", None),
        )
        db.session.add(row)
        rows.append(row)
    return rows


def current_consents(subject_kind: str, subject_id: int) -> dict[str, Consent]:
    """The latest choice per purpose (a later choice supersedes an earlier one)."""
    rows = db.session.scalars(
        select(Consent)
        .where(Consent.subject_kind == subject_kind, Consent.subject_id == subject_id)
        .order_by(Consent.given_at, Consent.id)
    )
    latest: dict[str, Consent] = {}
    for row in rows:
        latest[row.purpose] = row
    return latest


def has_consent(subject_kind: str, subject_id: int, purpose: str) -> bool:
    row = current_consents(subject_kind, subject_id).get(purpose)
    return bool(row and row.granted and row.withdrawn_at is None)


def withdraw(subject_kind: str, subject_id: int, purpose: str, *, actor=None) -> Consent:
    """Withdraw a granted consent; the history row stays, marked with the time of withdrawal."""
    row = current_consents(subject_kind, subject_id).get(purpose)
    if row is None or not row.granted or row.withdrawn_at is not None:
        raise NotFound("Không có sự đồng ý nào đang hiệu lực cho mục này.")
    row.withdrawn_at = utcnow()
    record(actor, "consent.withdraw", subject_kind, subject_id, purpose=purpose)
    db.session.commit()
    return row


# --- data-subject requests (SPEC §7) ---------------------------------------------------------------

REQUEST_KINDS = {
    "deletion": "Xoá dữ liệu cá nhân",
    "correction": "Sửa dữ liệu không chính xác",
    "copy": "Cung cấp bản sao dữ liệu",
    "restriction": "Hạn chế xử lý dữ liệu",
    "other": "Yêu cầu khác",
}
REQUEST_STATUSES = {"open": "Đang chờ xử lý", "done": "Đã xử lý", "refused": "Từ chối (có lý do)"}
REQUESTS_PAGE_SIZE = 50


def request_due_hours() -> int:
    """Answer time promised to the person; 72 h by default (DATA_REQUEST_DUE_HOURS overrides)."""
    from flask import current_app

    return int(current_app.config.get("DATA_REQUEST_DUE_HOURS", 72))


def file_data_request(user, kind: str, details: str = ""):
    """A person asks about their data; staff see it in the queue with its due date."""
    from datetime import timedelta

    from app.accounts.validation import nfc
    from app.privacy.models import DataRequest

    if kind not in REQUEST_KINDS:
        raise Invalid("Vui lòng chọn loại yêu cầu.", field="kind")
    details = nfc(details)[:4000]
    if kind in ("correction", "other", "restriction") and len(details) < 5:
        raise Invalid("Vui lòng mô tả nội dung cần xử lý.", field="details")
    open_same = db.session.scalar(
        select(DataRequest).where(
            DataRequest.user_id == user.id, DataRequest.kind == kind, DataRequest.status == "open"
        )
    )
    if open_same is not None:
        raise Invalid(
            "Bạn đã có một yêu cầu cùng loại đang chờ xử lý. Ban tổ chức sẽ phản hồi sớm.", field="kind"
        )
    now = utcnow()
    row = DataRequest(
        user_id=user.id,
        requester_name=user.full_name,
        requester_email=user.email,
        kind=kind,
        details=details,
        status="open",
        created_at=now,
        due_at=now + timedelta(hours=request_due_hours()),
    )
    db.session.add(row)
    db.session.flush()
    record(user, "privacy.request", "data_request", row.id, kind=kind)
    db.session.commit()
    return row


def my_requests(user) -> list:
    from app.privacy.models import DataRequest

    return list(
        db.session.scalars(
            select(DataRequest).where(DataRequest.user_id == user.id).order_by(DataRequest.created_at.desc())
        )
    )


def _require_queue_access(user) -> None:
    from app.contests.services import is_global_organiser
    from app.errors import PermissionDenied

    if not is_global_organiser(user):
        raise PermissionDenied("Chỉ cán bộ Sở hoặc quản trị hệ thống xử lý yêu cầu về dữ liệu cá nhân.")


def request_queue(user, *, status: str = "open", page: int = 1):
    """Requests for staff, the soonest due first; returns (rows, total)."""
    from sqlalchemy import func

    from app.privacy.models import DataRequest

    _require_queue_access(user)
    stmt = select(DataRequest)
    if status:
        stmt = stmt.where(DataRequest.status == status)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(
        stmt.order_by(DataRequest.due_at, DataRequest.id)
        .limit(REQUESTS_PAGE_SIZE)
        .offset((max(page, 1) - 1) * REQUESTS_PAGE_SIZE)
    ).all()
    return list(rows), total


def resolve_request(actor, request_id: int, outcome: str, note: str):
    from app.accounts.validation import nfc
    from app.privacy.models import DataRequest

    _require_queue_access(actor)
    row = db.session.get(DataRequest, request_id)
    if row is None:
        raise NotFound("Không tìm thấy yêu cầu.")
    if outcome not in ("done", "refused"):
        raise Invalid("Vui lòng chọn kết quả xử lý.", field="outcome")
    note = nfc(note)[:4000]
    if len(note) < 5:
        raise Invalid(
            "Vui lòng ghi nội dung đã xử lý hoặc lý do từ chối (gửi cho người yêu cầu).", field="note"
        )
    if row.status != "open":
        from app.errors import Conflict

        raise Conflict("Yêu cầu này đã được xử lý.")
    row.status, row.resolution_note = outcome, note
    row.resolved_at, row.resolved_by_id = utcnow(), actor.id
    record(actor, "privacy.resolve", "data_request", row.id, outcome=outcome)
    db.session.commit()
    from app.mail.services import send_email

    send_email(
        row.requester_email,
        "Phản hồi yêu cầu về dữ liệu cá nhân – Nền tảng KNĐMST Quảng Ngãi",
        "privacy/mail/request_resolved.txt",
        request=row,
        kind_label=REQUEST_KINDS[row.kind],
    )
    return row


def personal_data(user) -> dict:
    """Everything the platform holds about this account, as plain data (the "download a copy")."""
    from app.contests.services import entries_about
    from app.localtime import format_datetime

    def iso(value):
        return value.isoformat() if value else None

    consents = [
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
    entries = []
    for entry in entries_about(user):
        mine = [
            m
            for m in entry.members
            if m.user_id == user.id or m.email == user.email or (user.phone and m.phone == user.phone)
        ]
        entries.append(
            {
                "cuoc_thi": entry.contest.name,
                "ma_ho_so": entry.code,
                "ten_y_tuong": entry.title,
                "trang_thai": entry.status_label,
                "vai_tro": "Trưởng nhóm" if entry.leader_id == user.id else "Thành viên",
                "thong_tin_ca_nhan_trong_ho_so": [
                    {
                        "ho_ten": m.full_name,
                        "ngay_sinh": m.birth_date.isoformat() if m.birth_date else None,
                        "gioi_tinh": m.sex_label,
                        "dien_thoai": m.phone,
                        "email": m.email,
                        "don_vi": m.organisation,
                        "xa_phuong": m.commune_name,
                        "huyen_cu": m.district_name,
                        "dan_toc": m.ethnicity,
                        "nguoi_giam_ho": m.guardian_name,
                        "lien_he_nguoi_giam_ho": m.guardian_contact,
                    }
                    for m in mine
                ],
                "tep_da_nop": [f.original_name for f in entry.files] if entry.leader_id == user.id else [],
            }
        )
    return {
        "xuat_luc": format_datetime(utcnow(), seconds=True),
        "tai_khoan": {
            "ho_ten": user.full_name,
            "email": user.email,
            "dien_thoai": user.phone,
            "ngay_tao": iso(user.created_at),
            "dang_nhap_gan_nhat": iso(user.last_login_at),
            "vai_tro": sorted(str(r) for r in user.roles),
        },
        "dong_y_xu_ly_du_lieu": consents,
        "bai_du_thi": entries,
        "yeu_cau_ve_du_lieu": [
            {
                "loai": REQUEST_KINDS.get(r.kind, r.kind),
                "noi_dung": r.details,
                "trang_thai": REQUEST_STATUSES.get(r.status, r.status),
                "gui_luc": iso(r.created_at),
                "han_xu_ly": iso(r.due_at),
                "phan_hoi": r.resolution_note,
            }
            for r in my_requests(user)
        ],
    }


def erase_for_request(actor, request_id: int):
    """Carry out a deletion request: anonymise the person's data in contest entries, then close the
    request with a note (the account itself is locked or deleted by an administrator)."""
    from app.accounts.models import User
    from app.contests.services import erase_person
    from app.errors import Conflict
    from app.privacy.models import DataRequest

    _require_queue_access(actor)
    row = db.session.get(DataRequest, request_id)
    if row is None:
        raise NotFound("Không tìm thấy yêu cầu.")
    if row.kind != "deletion" or row.status != "open":
        raise Conflict("Chỉ thực hiện được với yêu cầu xoá đang chờ xử lý.")
    user = db.session.get(User, row.user_id) if row.user_id else None
    if user is None:
        raise Conflict("Tài khoản của người yêu cầu không còn; hãy ghi kết quả thủ công.")
    count = erase_person(actor, user)
    db.session.commit()
    return resolve_request(
        actor,
        request_id,
        "done",
        f"Đã ẩn danh hoá thông tin của bạn trong {count} hồ sơ thành viên dự thi và xoá tài liệu của các "
        "bài bạn làm trưởng nhóm. Tài khoản sẽ được quản trị hệ thống khoá và xoá.",
    )
