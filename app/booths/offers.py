"""Offering booths to the linked contest's teams in one action (finalists exhibit at the festival).

An offer is an application in status "offered" made out to the entry's leader, pre-filled from the
entry and the leader's account; the team completes it and confirms or declines
(applications.confirm_offer / withdraw). UNIQUE (event, entry) makes offering twice a skip, never
a duplicate, even when two organisers press the button at the same moment.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.audit.services import record
from app.booths.applications import ACTIVE, search_text
from app.booths.models import ApplicationStatus, BoothApplication, BoothType
from app.contests.models import Entry, EntryStatus
from app.database import commit, flush
from app.errors import Conflict, Invalid
from app.events.models import Event
from app.events.permissions import require_manager
from app.events.services import linked_contest
from app.extensions import db
from app.mail.services import send_email

FINALIST_STATES = (EntryStatus.FINALIST.value, EntryStatus.AWARDED.value, EntryStatus.NOT_AWARDED.value)
NOT_OFFERABLE = (EntryStatus.DRAFT.value, EntryStatus.WITHDRAWN.value)
SCOPES = {"finalists": "Đội vào chung kết", "all": "Mọi hồ sơ đã nộp"}
MAX_ENTRIES = 500  # one page: a provincial contest has at most a few hundred submitted entries


def offerable_entries(actor: User, event: Event, scope: str = "finalists") -> list[Entry]:
    """The linked contest's entries that may be offered a booth (finalists, or every submitted one),
    with their leaders loaded, ordered by code."""
    require_manager(actor, event)
    contest = linked_contest(event)
    if contest is None:
        return []
    stmt = select(Entry).where(Entry.contest_id == contest.id, Entry.leader_id.is_not(None))
    if scope == "all":
        stmt = stmt.where(Entry.status.not_in(NOT_OFFERABLE))
    else:
        stmt = stmt.where(Entry.status.in_(FINALIST_STATES))
    stmt = stmt.options(selectinload(Entry.leader), selectinload(Entry.members))
    return list(db.session.scalars(stmt.order_by(Entry.code_number, Entry.id).limit(MAX_ENTRIES)))


def offered_entry_ids(event: Event) -> set[int]:
    """Entries that already have an application at this event (whatever its status)."""
    return set(
        db.session.scalars(
            select(BoothApplication.entry_id).where(
                BoothApplication.event_id == event.id, BoothApplication.entry_id.is_not(None)
            )
        )
    )


RACE_MESSAGE = (
    "Một số đội vừa được mời (hoặc vừa tự đăng ký) cùng lúc ở nơi khác. Vui lòng tải lại trang và thử lại."
)


def offer_to_entries(
    actor: User, event: Event, entry_ids: Iterable[int], booth_type_id: int | None
) -> dict[str, int]:
    """Offer a booth of one type to each chosen entry of the linked contest; entries already offered
    (or whose leader already applied) are skipped. Each leader gets a mail. Returns the counts."""
    require_manager(actor, event)
    contest = linked_contest(event)
    if contest is None:
        raise Conflict("Sự kiện chưa liên kết với cuộc thi nào.")
    booth_type = db.session.get(BoothType, booth_type_id) if booth_type_id else None
    if booth_type is None or booth_type.event_id != event.id or booth_type.count <= 0:
        raise Invalid("Vui lòng chọn loại gian hàng trong danh sách.", field="booth_type_id")
    ids = sorted({i for i in entry_ids if isinstance(i, int)})
    if not ids:
        raise Invalid("Vui lòng chọn ít nhất một đội.", field="entries")
    entries = db.session.scalars(
        select(Entry)
        .where(
            Entry.id.in_(ids),
            Entry.contest_id == contest.id,
            Entry.status.not_in(NOT_OFFERABLE),
            Entry.leader_id.is_not(None),
        )
        .options(selectinload(Entry.leader), selectinload(Entry.members))
    ).all()
    already = offered_entry_ids(event)
    applied_users = set(
        db.session.scalars(
            select(BoothApplication.user_id).where(
                BoothApplication.event_id == event.id, BoothApplication.status.in_(ACTIVE)
            )
        )
    )
    created: list[BoothApplication] = []
    skipped = len(ids) - len(entries)
    for entry in entries:
        if entry.id in already or entry.leader_id in applied_users:
            skipped += 1
            continue
        leader: User | None = entry.leader
        member = next((m for m in entry.members if m.is_leader), None)
        application = BoothApplication(
            event_id=event.id,
            user_id=entry.leader_id,
            entry_id=entry.id,
            booth_type_id=booth_type.id,
            status=ApplicationStatus.OFFERED.value,
            organisation=(entry.organisation or entry.title or (leader.full_name if leader else ""))[:200],
            org_kind="startup",
            sector=(entry.field or "")[:120],
            products=entry.title or "",
            commune_code=entry.commune_code or "",
            contact_name=(member.full_name if member else getattr(leader, "full_name", ""))[:120],
            contact_phone=(member.phone if member and member.phone else getattr(leader, "phone", None))
            or None,
            contact_email=(member.email if member and member.email else getattr(leader, "email", None))
            or None,
        )
        application.search_text = search_text(application)
        db.session.add(application)
        applied_users.add(entry.leader_id)
        created.append(application)
    # Two organisers offering the same entry at once, or a leader applying meanwhile: the UNIQUE
    # indexes (event, entry) and (event, user) refuse this transaction as a whole — nothing twice.
    flush(Conflict(RACE_MESSAGE))
    record(
        actor,
        "booth.offer",
        "event",
        event.id,
        booth_type=booth_type.name,
        offered=len(created),
        skipped=skipped,
        entries=[a.entry_id for a in created],
    )
    commit(Conflict(RACE_MESSAGE))
    for application in created:
        if application.contact_email:
            send_email(
                application.contact_email,
                f"Mời tham gia gian hàng – {event.name}",
                "mail/booth_offered.txt",
                application=application,
                event=event,
                booth_type=booth_type,
            )
    return {"offered": len(created), "skipped": skipped}
