"""What the booth plan shows (every booth, free or allocated, on the image or the grid), the counts
on the organiser's event page, and the allocation of booths to accepted applications.

A booth is never given twice: `booth_applications.booth_id` is UNIQUE, `allocate` sets it in one
UPDATE, and the loser of two organisers allocating one booth at once is told which organisation took
it (a Conflict), never a 500. The writes check the actor, record to audit and commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from app import database
from app.accounts.models import User
from app.audit.services import record
from app.booths.floor import BUSY, exhibition_for, number_key, require_floor_manager
from app.booths.models import PROVISIONS, ApplicationStatus, Booth, BoothApplication, BoothType
from app.errors import Conflict, Invalid, NotFound
from app.events.models import Event
from app.extensions import db
from app.localtime import utcnow
from app.mail.services import send_email
from app.urls import absolute_url

__all__ = [
    "BoothSpot",
    "FloorPlan",
    "FloorSummary",
    "allocate",
    "allocation_choices",
    "allocation_page",
    "floor_plan",
    "floor_summary",
    "get_application_for_floor",
    "release",
]


# --- what the plan shows -------------------------------------------------------------------------------


@dataclass
class BoothSpot:
    """One booth as the plan and the lists draw it."""

    id: int
    number: str
    type_id: int
    type_name: str
    zone: str
    column: int | None
    row: int | None
    x: int | None
    y: int | None
    application_id: int | None = None
    organisation: str = ""

    @property
    def allocated(self) -> bool:
        return self.application_id is not None


@dataclass
class FloorPlan:
    kind: str  # "image" | "grid"
    columns: int
    rows: int
    spots: list[BoothSpot]
    cells: list[BoothSpot | None] = field(default_factory=list)  # the grid, row by row
    unplaced: list[BoothSpot] = field(default_factory=list)  # image plan: booths without a point yet

    @property
    def free(self) -> int:
        return sum(1 for s in self.spots if not s.allocated)


def floor_plan(event: Event) -> FloorPlan:
    """Every booth with its type and holder (one query), laid out on the image or the grid."""
    exhibition = exhibition_for(event)
    rows = db.session.execute(
        select(
            Booth.id,
            Booth.number,
            Booth.booth_type_id,
            BoothType.name,
            Booth.zone,
            Booth.grid_column,
            Booth.grid_row,
            Booth.x_percent,
            Booth.y_percent,
            BoothApplication.id,
            BoothApplication.organisation,
        )
        .join(BoothType, BoothType.id == Booth.booth_type_id)
        .outerjoin(BoothApplication, BoothApplication.booth_id == Booth.id)
        .where(Booth.event_id == event.id)
    )
    spots = sorted(
        (
            BoothSpot(
                id=r[0],
                number=r[1],
                type_id=r[2],
                type_name=r[3],
                zone=r[4],
                column=r[5],
                row=r[6],
                x=r[7],
                y=r[8],
                application_id=r[9],
                organisation=r[10] or "",
            )
            for r in rows
        ),
        key=lambda s: (s.zone, number_key(s.number)),
    )
    columns, height = exhibition.grid_columns or 8, exhibition.grid_rows or 4
    if exhibition.plan_stored_name:
        return FloorPlan(
            "image", columns, height, spots, unplaced=[s for s in spots if s.x is None or s.y is None]
        )
    at = {(s.column, s.row): s for s in spots}
    cells = [at.get((c, r)) for r in range(1, height + 1) for c in range(1, columns + 1)]
    return FloorPlan("grid", columns, height, spots, cells=cells)


@dataclass
class FloorSummary:
    booths: int
    allocated: int
    by_status: dict[str, int]
    types: int

    @property
    def free(self) -> int:
        return self.booths - self.allocated


def floor_summary(event: Event) -> FloorSummary:
    """Counts for the organiser's event page: booths free and allocated, applications by status."""
    booths = db.session.scalar(select(func.count()).select_from(Booth).where(Booth.event_id == event.id)) or 0
    allocated = (
        db.session.scalar(
            select(func.count())
            .select_from(BoothApplication)
            .where(BoothApplication.event_id == event.id, BoothApplication.booth_id.is_not(None))
        )
        or 0
    )
    by_status = {
        status: count
        for status, count in db.session.execute(
            select(BoothApplication.status, func.count())
            .where(BoothApplication.event_id == event.id)
            .group_by(BoothApplication.status)
        )
    }
    types = db.session.scalar(
        select(func.count()).select_from(BoothType).where(BoothType.event_id == event.id)
    )
    return FloorSummary(booths, allocated, by_status, types or 0)


# --- allocation -----------------------------------------------------------------------------------------


def get_application_for_floor(actor: User, event: Event, application_id: int) -> BoothApplication:
    require_floor_manager(actor, event)
    application = db.session.get(BoothApplication, application_id)
    if application is None or application.event_id != event.id:
        raise NotFound("Không tìm thấy hồ sơ đăng ký gian hàng này.")
    return application


def allocation_page(event: Event, page: int, per_page: int = 50) -> tuple[list[BoothApplication], int]:
    """Accepted applications (those still without a booth first, then by organisation), one page."""
    stmt = (
        select(BoothApplication)
        .where(
            BoothApplication.event_id == event.id, BoothApplication.status == ApplicationStatus.ACCEPTED.value
        )
        .order_by(BoothApplication.booth_id.is_not(None), BoothApplication.organisation, BoothApplication.id)
    )
    rows, total = database.page_of(stmt, page, per_page)
    booth_ids = [a.booth_id for a in rows if a.booth_id]
    type_ids = {a.booth_type_id for a in rows if a.booth_type_id}
    # The booths and types of the page in two queries (the identity map serves a.booth / a.booth_type).
    if booth_ids:
        db.session.scalars(select(Booth).where(Booth.id.in_(booth_ids))).all()
    if type_ids:
        db.session.scalars(select(BoothType).where(BoothType.id.in_(type_ids))).all()
    return rows, total


def allocation_choices(
    event: Event, application: BoothApplication
) -> list[tuple[str, list[tuple[int, str]]]]:
    """The free booths, grouped: the application's own type first, then the others by type."""
    rows = db.session.execute(
        select(Booth.id, Booth.number, Booth.zone, Booth.booth_type_id, BoothType.name, BoothType.position)
        .join(BoothType, BoothType.id == Booth.booth_type_id)
        .outerjoin(BoothApplication, BoothApplication.booth_id == Booth.id)
        .where(Booth.event_id == event.id, BoothApplication.id.is_(None))
    ).all()
    groups: dict[int, tuple[tuple[int, int, str], str, list[tuple[int, str]]]] = {}
    for booth_id, number, zone, type_id, type_name, position in sorted(rows, key=lambda r: number_key(r[1])):
        own = type_id == application.booth_type_id
        label = f"{type_name} (loại đã đăng ký)" if own else type_name
        key = (0 if own else 1, position, type_name)
        groups.setdefault(type_id, (key, label, []))[2].append(
            (booth_id, f"{number} – {zone}" if zone else number)
        )
    return [(label, options) for _key, label, options in sorted(groups.values(), key=lambda g: g[0])]


def _holder(booth_id: int) -> str | None:
    return db.session.scalar(
        select(BoothApplication.organisation).where(BoothApplication.booth_id == booth_id)
    )


def _taken(number: str, organisation: str) -> Conflict:
    return Conflict(
        f"Gian {number} vừa được phân cho {organisation} — hãy chọn gian khác.", code="booth_taken"
    )


def allocate(actor: User, application: BoothApplication, booth: Booth) -> BoothApplication:
    """Give an accepted application this booth (moving it from its previous one, if any). The UPDATE
    is guarded by the UNIQUE index on booth_id: of two organisers allocating one booth at once, one
    wins and the other gets a Conflict naming who holds it. The exhibitor is mailed the number."""
    event = db.session.get(Event, application.event_id)
    if event is None:
        raise NotFound("Không tìm thấy sự kiện.")
    require_floor_manager(actor, event)
    if booth.event_id != application.event_id:
        raise NotFound("Không tìm thấy gian hàng này.")
    number, booth_id = booth.number, booth.id
    # The application's row, locked until commit on PostgreSQL: a review changing its status waits.
    status = db.session.scalar(
        select(BoothApplication.status).where(BoothApplication.id == application.id).with_for_update()
    )
    if status != ApplicationStatus.ACCEPTED.value:
        db.session.rollback()
        raise Invalid("Chỉ hồ sơ đã được nhận mới được phân gian.", field="booth_id")
    if application.booth_id == booth_id:
        db.session.rollback()
        return application
    holder = _holder(booth_id)
    if holder is not None:
        db.session.rollback()
        raise _taken(number, holder)
    previous = application.booth.number if application.booth else None
    application.booth_id = booth_id
    application.updated_at = utcnow()
    record(actor, "booths.allocate", "booth_application", application.id, booth=number, previous=previous)
    try:
        database.flush(Conflict(BUSY), catch=(IntegrityError, OperationalError))
        database.commit(Conflict(BUSY), catch=(IntegrityError, OperationalError))
    except Conflict:
        holder = _holder(booth_id)  # the session was rolled back: this reads what the winner committed
        db.session.rollback()
        if holder is not None:
            raise _taken(number, holder) from None
        raise
    _mail_allocated(event, application)
    return application


def _mail_allocated(event: Event, application: BoothApplication) -> None:
    to = application.contact_email or (
        db.session.scalar(select(User.email).where(User.id == application.user_id))
        if application.user_id
        else None
    )
    if not to or application.booth is None:
        return
    booth = application.booth
    send_email(
        to,
        f"Gian hàng {booth.number} – {event.name}",
        "mail/booth_allocated.txt",
        application=application,
        booth=booth,
        booth_type=booth.booth_type,
        event=event,
        exhibition=exhibition_for(event),
        provisions=[PROVISIONS[k] for k in booth.booth_type.provides if k in PROVISIONS],
        link=_exhibitor_link(event, application),
    )


def _exhibitor_link(event: Event, application: BoothApplication) -> str:
    """The exhibitor's own page of the application when the applications part offers one, else the
    event's public page."""
    if "booths.my_application" in current_app.view_functions:
        return absolute_url("booths.my_application", application_id=application.id)
    return absolute_url("events.event_page", slug=event.slug)


def release(actor: User, application: BoothApplication) -> None:
    """Take the booth back from an application (it becomes free on the plan)."""
    event = db.session.get(Event, application.event_id)
    if event is None:
        raise NotFound("Không tìm thấy sự kiện.")
    require_floor_manager(actor, event)
    if application.booth_id is None:
        raise Invalid("Hồ sơ này chưa được phân gian.")
    number = application.booth.number if application.booth else None
    application.booth_id = None
    application.updated_at = utcnow()
    record(actor, "booths.release", "booth_application", application.id, booth=number)
    database.commit(Conflict(BUSY))
