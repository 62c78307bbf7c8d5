"""Attendance per session as an Excel workbook in the government layout (SPEC §6): a summary sheet
(one row per session: time, room, capacity, registered, waiting, checked in) and one long sheet of
the people checked in, session by session, names in Vietnamese order (tên, tên đệm, họ)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.accounts.models import User
from app.agenda.models import KINDS, SessionCheckin
from app.agenda.services import list_sessions, waitlist_counts
from app.events.models import Attendee, Event
from app.events.permissions import require_manager
from app.extensions import db
from app.localtime import format_date, to_local, utcnow
from app.spreadsheet.collation import name_sort_key
from app.spreadsheet.workbook import Column, Sheet, workbook_bytes

SUMMARY_COLUMNS = [
    Column("Phiên", width=34),
    Column("Loại hoạt động", width=16),
    Column("Bắt đầu", "datetime"),
    Column("Kết thúc", "datetime"),
    Column("Phòng", width=16),
    Column("Số chỗ", "int"),
    Column("Đã đăng ký", "int", width=11),
    Column("Danh sách chờ", "int", width=11),
    Column("Đã check-in", "int", width=11),
]
PEOPLE_COLUMNS = [
    Column("Phiên", width=30),
    Column("Phòng", width=14),
    Column("Họ và tên", width=24),
    Column("Loại khách", width=16),
    Column("Đơn vị", width=26),
    Column("Giờ vào", "datetime"),
]


def attendance_sheets(event: Event) -> list[Sheet]:
    sessions = list_sessions(event, published_only=False)
    waiting = waitlist_counts([s.id for s in sessions])
    subtitle = [
        event.name,
        f"Ngày {format_date(event.starts_at)}" + (f" – {event.venue}" if event.venue else ""),
    ]
    summary = Sheet(
        name="Tổng hợp",
        title="Tổng hợp tham dự theo phiên",
        columns=SUMMARY_COLUMNS,
        rows=[
            [
                s.title,
                KINDS.get(s.kind, s.kind),
                s.starts_at,
                s.ends_at,
                s.room,
                s.capacity,
                s.registered_count,
                waiting.get(s.id, 0),
                s.present_count,
            ]
            for s in sessions
        ],
        subtitle=subtitle,
        totals=[
            "Tổng cộng",
            "",
            None,
            None,
            "",
            None,
            sum(s.registered_count for s in sessions),
            sum(waiting.values()),
            sum(s.present_count for s in sessions),
        ],
    )
    order = {s.id: i for i, s in enumerate(sessions)}
    rows = db.session.execute(
        select(
            SessionCheckin.session_id,
            SessionCheckin.at,
            Attendee.full_name,
            Attendee.category,
            Attendee.organisation,
        )
        .join(Attendee, Attendee.id == SessionCheckin.attendee_id)
        .where(SessionCheckin.event_id == event.id, SessionCheckin.undone_at.is_(None))
    ).all()
    by_id = {s.id: s for s in sessions}
    people = sorted(rows, key=lambda r: (order.get(r.session_id, 0), name_sort_key(r.full_name)))
    checked_in = Sheet(
        name="Người check-in",
        title="Danh sách người tham dự theo phiên",
        columns=PEOPLE_COLUMNS,
        rows=[
            [
                by_id[r.session_id].title,
                by_id[r.session_id].room,
                r.full_name,
                r.category,
                r.organisation,
                r.at,
            ]
            for r in people
            if r.session_id in by_id
        ],
        subtitle=subtitle,
    )
    return [summary, checked_in]


def attendance_workbook(actor: User, event: Event) -> tuple[bytes, str]:
    """The workbook and its file name (its managers only)."""
    require_manager(actor, event)
    today: date = to_local(utcnow()).date()
    return workbook_bytes(
        attendance_sheets(event), report_date=today
    ), f"tham-du-theo-phien-{event.slug}.xlsx"
