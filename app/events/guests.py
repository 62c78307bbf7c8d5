"""The import of invited guests from .xlsx (SPEC §5): the blank template, the check of every row
(nothing written) and the one-transaction import of the valid rows.

Guests of an event (đại biểu, khách mời, báo chí …) reach the Sở as Excel lists from the offices
that send them; keying 200 names into the form one by one is what organisers most want to avoid.
Every row is checked by the registration rules of this package (`clean_registration`) and saved
through `add_registration`, so an imported guest is the same as one typed into the form. The
report pages (app.exports.views) serve the upload, preview and confirmation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from app.accounts.models import User
from app.audit.services import record
from app.errors import Conflict, DomainError, Invalid
from app.events.models import Attendee, Event
from app.events.permissions import require_manager
from app.events.registration import add_registration, clean_registration, send_ticket_email
from app.extensions import db
from app.spreadsheet import reader
from app.text import tidy

GUEST_HEADERS = ("Họ và tên", "Số điện thoại", "Email", "Đơn vị", "Loại khách", "Đoàn")
GUEST_FIELDS = {
    "full_name": "Họ và tên",
    "phone": "Số điện thoại",
    "email": "Email",
    "organisation": "Đơn vị",
    "category": "Loại khách",
    "group_name": "Đoàn",
}


@dataclass
class RowCheck:
    """One row of the file: its number in Excel, its cells as text, what is wrong with it, and the
    cleaned registration when nothing is."""

    number: int
    values: dict[str, Any]
    errors: list[str] = field(default_factory=list)
    clean: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportCheck:
    """Every row of a file, checked; nothing has been written."""

    rows: list[RowCheck]

    @property
    def valid(self) -> list[RowCheck]:
        return [r for r in self.rows if r.ok]

    @property
    def rejected(self) -> list[RowCheck]:
        return [r for r in self.rows if not r.ok]


def guest_template(event: Event) -> bytes:
    """The blank list to fill in: the headers the import expects, the event's guest categories as a
    drop-down, and a guide sheet."""
    categories = list(event.categories)
    return reader.template_bytes(
        GUEST_HEADERS,
        examples=[
            ("Nguyễn Văn An", "0905123456", "an.nguyen@example.vn", "UBND xã Tịnh Khê", categories[0], "")
        ],
        notes=[
            f"Danh sách khách mời cho sự kiện: {event.name}.",
            "Điền mỗi khách một dòng ở trang “Danh sách”, giữ nguyên dòng tiêu đề; xoá dòng ví dụ trước khi tải lên.",
            "Họ và tên: bắt buộc, viết có dấu. Số điện thoại: di động Việt Nam (0905 123 456, +84 905 123 456);"
            " mỗi số chỉ đăng ký một lần cho một sự kiện.",
            "Email: không bắt buộc; nếu có, hệ thống có thể gửi vé qua email.",
            "Loại khách: chọn trong danh sách: " + "; ".join(categories) + ".",
            "Đoàn: tên đoàn/đơn vị cử đi (để check-in cả đoàn một lần), có thể để trống.",
            "Trước khi nhập, hệ thống kiểm tra từng dòng và cho xem trước; không có dòng nào được lưu cho tới khi"
            " bạn xác nhận.",
        ],
        choices={"Loại khách": categories},
        widths={
            "Họ và tên": 26,
            "Số điện thoại": 16,
            "Email": 28,
            "Đơn vị": 34,
            "Loại khách": 20,
            "Đoàn": 24,
        },
    )


def _cell_text(value: Any) -> str:
    """A cell as the text a person typed (the registration rules read text)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        # A phone typed into a number cell lost its leading zero: 905123456 → 0905123456.
        text = str(value)
        return "0" + text if len(text) == 9 else text
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    return tidy(str(value))


def check_guest_file(event: Event, data: bytes) -> ImportCheck:
    """Read and check every row without writing anything. Invalid for a bad file or template."""
    try:
        rows = reader.read_table(data, GUEST_HEADERS)
    except (reader.BadFile, reader.WrongTemplate) as error:
        raise Invalid(str(error), field="file") from error
    if not rows:
        raise Invalid("Tệp không có dòng dữ liệu nào dưới dòng tiêu đề.", field="file")
    existing = set(
        db.session.scalars(
            select(Attendee.phone).where(
                Attendee.event_id == event.id, Attendee.cancelled_at.is_(None), Attendee.phone.is_not(None)
            )
        )
    )
    seen_phones: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    checks: list[RowCheck] = []
    for row in rows:
        check = RowCheck(row.number, {h: _cell_text(v) for h, v in row.values.items()})
        data_row = {name: check.values[header] for name, header in GUEST_FIELDS.items()}
        try:
            clean = clean_registration(event, data_row, phone_required=False)
        except Invalid as error:  # every refused cell of the row, each with its column's name
            for field, message in (error.errors or {"": error.message}).items():
                label = GUEST_FIELDS.get(field, "")
                check.errors.append(f"{label}: {message}" if label else message)
            clean = None
        if clean is not None:
            phone, email = clean["phone"], clean["email"]
            if not phone and not email:
                check.errors.append("Cần số điện thoại hoặc email để gửi vé và liên hệ.")
            if phone and phone in existing:
                check.errors.append("Số điện thoại: đã đăng ký sự kiện này từ trước.")
            elif phone and phone in seen_phones:
                check.errors.append(f"Số điện thoại: trùng với dòng {seen_phones[phone]}.")
            if email and email in seen_emails:
                check.errors.append(f"Email: trùng với dòng {seen_emails[email]}.")
            if not check.errors:
                check.clean = clean
                if phone:
                    seen_phones[phone] = row.number
                if email:
                    seen_emails[email] = row.number
        checks.append(check)
    places = event.places_left
    if places is not None:
        valid = [c for c in checks if c.ok]
        for c in valid[places:]:
            c.errors.append(f"Sự kiện chỉ còn {places} chỗ: dòng này vượt quá sức chứa.")
            c.clean = None
    return ImportCheck(checks)


@dataclass
class ImportResult:
    """What an import saved, what it refused, and how many tickets went out by email."""

    imported: list[Attendee]
    rejected: list[RowCheck]
    emailed: int = 0


def import_guests(
    actor: User,
    event: Event,
    data: bytes,
    *,
    all_or_nothing: bool,
    consent_confirmed: bool,
    send_tickets: bool = False,
) -> ImportResult:
    """Register every valid row as a guest, in ONE transaction: nothing is saved if any write fails,
    and with all_or_nothing nothing is saved when any row is bad."""
    require_manager(actor, event)
    if not consent_confirmed:
        raise Invalid(
            "Hãy xác nhận các khách trong danh sách đã đồng ý cho Ban tổ chức xử lý thông tin đăng ký.",
            field="consent",
        )
    check = check_guest_file(event, data)
    if all_or_nothing and check.rejected:
        raise Invalid(
            f"Không nhập dòng nào: {len(check.rejected)} dòng có lỗi và bạn đã chọn “chỉ nhập khi mọi dòng hợp lệ”.",
            field="file",
        )
    if not check.valid:
        raise Invalid("Không có dòng hợp lệ nào để nhập.", field="file")
    choices = {"process_registration": True, "newsletter": False}
    imported: list[Attendee] = []
    try:
        for clean in (row.clean for row in check.valid if row.clean is not None):  # all of them
            imported.append(add_registration(event, clean, source="organiser", actor=actor, choices=choices))
        record(
            actor,
            "exports.import_guests",
            "event",
            event.id,
            imported=len(imported),
            rejected=len(check.rejected),
            all_or_nothing=all_or_nothing,
        )
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        message = error.message if isinstance(error, DomainError) else ""
        raise Conflict(
            "Không nhập được danh sách, chưa có dòng nào được lưu. " + (message or "Vui lòng thử lại."),
            code="import_failed",
        ) from error
    emailed = 0
    if send_tickets:
        for attendee in imported:
            if attendee.email and send_ticket_email(attendee):
                emailed += 1
    return ImportResult(imported, check.rejected, emailed)
