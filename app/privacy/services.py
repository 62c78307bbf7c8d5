"""Consents, data-subject requests, and the registry at work (`personal_data`, `erase_for_request`).

`record_choices` joins the caller's transaction (the entry or registration it belongs to commits
both together); `withdraw`, `file_data_request`, `resolve_request` and `erase_for_request` commit.
What each feature holds about a person comes from `app.privacy.registry`; this module imports no
feature.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.accounts.models import User
from app.audit.services import record
from app.database import page_of
from app.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.extensions import db
from app.localtime import format_datetime, utcnow
from app.mail.services import send_email
from app.privacy import registry
from app.privacy.models import Consent, DataRequest
from app.privacy.notices import CONTEXTS, PURPOSES, Purpose
from app.text import clean_text

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
    keyed_by: User | None = None,
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


def withdraw(subject_kind: str, subject_id: int, purpose: str, *, actor: User | None = None) -> Consent:
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
    return int(current_app.config.get("DATA_REQUEST_DUE_HOURS", 72))


def file_data_request(user: User, kind: str, details: str = "") -> DataRequest:
    """A person asks about their data; staff see it in the queue with its due date."""
    if kind not in REQUEST_KINDS:
        raise Invalid("Vui lòng chọn loại yêu cầu.", field="kind")
    details = clean_text(details, field="details", label="Nội dung", multiline=True)[:4000]
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


def my_requests(user: User) -> list[DataRequest]:
    return list(
        db.session.scalars(
            select(DataRequest).where(DataRequest.user_id == user.id).order_by(DataRequest.created_at.desc())
        )
    )


def _require_queue_access(user: User) -> None:
    # Who counts as Sở staff is the contests package's rule, registered with the privacy
    # registry: asking it here imports no feature (no privacy ⇄ contests import cycle).
    if not registry.is_platform_staff(user):
        raise PermissionDenied("Chỉ cán bộ Sở hoặc quản trị hệ thống xử lý yêu cầu về dữ liệu cá nhân.")


def may_work_queue(user: User) -> bool:
    """Whether to offer the queue (navigation); the services check it again."""
    return registry.is_platform_staff(user)


def request_queue(user: User, *, status: str = "open", page: int = 1) -> tuple[list[DataRequest], int]:
    """Requests for staff, the soonest due first; returns (rows, total)."""
    _require_queue_access(user)
    stmt = select(DataRequest)
    if status:
        stmt = stmt.where(DataRequest.status == status)
    return page_of(stmt.order_by(DataRequest.due_at, DataRequest.id), page, REQUESTS_PAGE_SIZE)


def _open_request(actor: User, request_id: int) -> DataRequest:
    _require_queue_access(actor)
    row = db.session.get(DataRequest, request_id)
    if row is None:
        raise NotFound("Không tìm thấy yêu cầu.")
    if row.status != "open":
        raise Conflict("Yêu cầu này đã được xử lý.")
    return row


def _close(actor: User, row: DataRequest, outcome: str, note: str) -> None:
    """Mark the request answered, in the caller's transaction."""
    row.status, row.resolution_note = outcome, note
    row.resolved_at, row.resolved_by_id = utcnow(), actor.id
    record(actor, "privacy.resolve", "data_request", row.id, outcome=outcome)


def _mail_answer(row: DataRequest, to: str, name: str) -> None:
    # `to` and `name` are passed in: after an erasure the row itself no longer holds them.
    send_email(
        to,
        "Phản hồi yêu cầu về dữ liệu cá nhân – Nền tảng KNĐMST Quảng Ngãi",
        "privacy/mail/request_resolved.txt",
        request=row,
        name=name,
        kind_label=REQUEST_KINDS[row.kind],
    )


def resolve_request(actor: User, request_id: int, outcome: str, note: str) -> DataRequest:
    """Staff answer a request by hand (done or refused, with the note mailed to the person)."""
    row = _open_request(actor, request_id)
    if outcome not in ("done", "refused"):
        raise Invalid("Vui lòng chọn kết quả xử lý.", field="outcome")
    note = clean_text(note, field="note", label="Nội dung phản hồi", multiline=True)[:4000]
    if len(note) < 5:
        raise Invalid(
            "Vui lòng ghi nội dung đã xử lý hoặc lý do từ chối (gửi cho người yêu cầu).", field="note"
        )
    _close(actor, row, outcome, note)
    db.session.commit()
    _mail_answer(row, row.requester_email, row.requester_name)
    return row


# --- the registry at work: the copy and the erasure ----------------------------------------------


@dataclass
class Section:
    """One holder's part of "my data", ready for the page."""

    holder: registry.Holder
    data: dict | list
    links: list[registry.Link]

    @property
    def is_empty(self) -> bool:
        return not self.data


def data_sections(user: User, *, limit: int | None = None) -> list[Section]:
    """Every registered holder's data about this account, in page order; `limit` bounds the lists
    that grow with activity (the page shows a few, the downloaded copy has everything)."""
    return [
        Section(holder, holder.export(user, limit=limit), holder.links(user) if holder.links else [])
        for holder in registry.holders()
    ]


def personal_data(user: User) -> dict[str, Any]:
    """Everything the platform holds about this account, as plain data (the "download a copy")."""
    data: dict[str, Any] = {"xuat_luc": format_datetime(utcnow(), seconds=True)}
    for section in data_sections(user):
        data[section.holder.key] = section.data
    data["khi_xoa_du_lieu"] = erasure_policy()
    return data


NOTHING_KEPT = "Không giữ lại gì."


def erasure_policy() -> list[dict[str, str]]:
    """What a deletion request erases and what the Sở keeps, per kind of data (page, help, copy)."""
    return [
        {"du_lieu": h.title, "se_xoa": h.erases, "duoc_giu_lai": h.keeps or NOTHING_KEPT}
        for h in registry.holders()
    ]


def _erasure_note(results: list[tuple[registry.Holder, registry.Erasure]]) -> str:
    results = sorted(results, key=lambda pair: (pair[0].order, pair[0].key))  # page order
    done = [line for _holder, result in results for line in result.done]
    kept = [f"{h.title}: {h.keeps}" for h, result in results if result.done and h.keeps]
    lines = ["Đã xoá hoặc ẩn danh hoá dữ liệu cá nhân của bạn:"]
    lines += [f"- {line}" for line in done]
    if kept:
        lines.append(
            "Theo Luật Bảo vệ dữ liệu cá nhân, Sở Khoa học và Công nghệ giữ lại ở dạng đã ẩn danh "
            "(không còn họ tên, liên hệ của bạn):"
        )
        lines += [f"- {line}" for line in kept]
    return "\n".join(lines)


def erase_for_request(actor: User, request_id: int) -> DataRequest:
    """Carry out a deletion request: every registered holder erases or anonymises this person's
    data, the request is closed with a note saying what was erased and what was kept and why, and
    all of it commits together (any refusal leaves everything as it was). Then the files removed
    by the erasure leave the disk and the note is mailed to the address the request came from."""
    row = _open_request(actor, request_id)
    if row.kind != "deletion":
        raise Conflict("Chỉ thực hiện được với yêu cầu xoá đang chờ xử lý.")
    user = db.session.get(User, row.user_id) if row.user_id else None
    if user is None:
        raise Conflict("Tài khoản của người yêu cầu không còn; hãy ghi kết quả thủ công.")
    to, name = row.requester_email, row.requester_name  # the erasure anonymises the row itself
    try:
        results = [(holder, holder.erase(actor, user)) for holder in registry.erasure_order()]
        note = _erasure_note(results)
        _close(actor, row, "done", note)
        record(
            actor,
            "privacy.erase",
            "data_request",
            row.id,
            holders=[holder.key for holder, result in results if result.done],
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    for action in (a for _holder, result in results for a in result.after_commit):
        try:
            action()
        except OSError:  # the rows are gone already; a file left behind is logged for the operator
            current_app.logger.warning("erasure: could not finish %r", action, exc_info=True)
    _mail_answer(row, to, name)
    return row
