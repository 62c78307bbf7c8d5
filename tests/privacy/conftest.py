"""A person the platform knows everywhere: an account (applicant, judge, check-in staff), an entry they
lead and one they are a member of, an event registration with a check-in and a replayed scan, a judge
profile, an invitation, a declared conflict and submitted sheets in a published round, login
attempts, consents, audit rows and a deletion request. Built through the real services on the real
database, next to other people's data that must stay untouched."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import LoginAttempt, User
from app.contests.entries import update_member
from app.contests.models import Contest, Entry
from app.events import services as events
from app.events.checkin import record_checkin, scope_for_user
from app.events.models import Attendee, Event
from app.events.registration import register_attendee
from app.extensions import db
from app.judging import services as judging
from app.privacy import services as privacy
from app.privacy.models import DataRequest
from tests.contests.conftest import (  # noqa: F401 (fixtures)
    make_contest,
    make_entry,
    organiser,
    person,
)
from tests.events.conftest import CONSENT, make_event  # noqa: F401 (fixture)
from tests.judging.conftest import World, scores, world  # noqa: F401 (fixture)

NAME = "Bùi Thị Xuân"
EMAIL = "xoa@example.vn"
PHONE = "0905111222"
ORGANISATION = "Viện Nghiên cứu Nông nghiệp Duyên hải"
# Anything that would still point at the person after erasure, as stored or as searched.
NEEDLES = (NAME, "bui thi xuan", EMAIL, "905111222", ORGANISATION, "vien nghien cuu nong nghiep")


@dataclass
class Everywhere:
    user: object
    staff: object  # Sở staff who works the queue
    contest: Contest
    led: Entry
    member_of: Entry
    event: Event
    attendee: Attendee
    other_attendee: Attendee
    world: World
    request: DataRequest


def _score_and_publish(w: World) -> None:
    w.round.top_n = 1
    db.session.commit()
    judging.auto_assign(w.organiser, w.round, 2)
    for sheet in judging.round_assignments(w.round):
        value = str(8 + sheet.entry_id % 7)  # different totals per entry: no tie at the cut-off
        judging.save_sheet(sheet.judge, sheet, scores(doi_moi=value), {}, "Ổn", sheet.version, submit=True)
    judging.publish_results(w.organiser, w.round)


@pytest.fixture
def everywhere(app, world, make_contest, make_entry, make_event, organiser):  # noqa: F811
    user, _ = accounts.create_user(EMAIL, "applicant", password="GaoLua2024", full_name=NAME, phone=PHONE)
    accounts.create_user(EMAIL, "judge")
    accounts.create_user(EMAIL, "checkin_staff")

    # Contests: leads one entry, is a member (by email) of another.
    contest = make_contest()
    led = make_entry(contest, leader=user, submit=True)
    mine = person(NAME, email=EMAIL, phone=PHONE, organisation=ORGANISATION)
    member_of = make_entry(contest, members=[mine], submit=True)
    # An edit after submitting writes "Sửa thông tin thành viên <name>" into the entry's history.
    leader = db.session.get(User, member_of.leader_id)
    member = next(m for m in member_of.members if m.email == EMAIL)
    update_member(leader, member_of, member.id, mine)

    # Judging: profile, an invitation (audited with the email), panel, a declared conflict, sheets.
    judging.update_profile(user, ORGANISATION, "", "Nông nghiệp công nghệ cao")
    judging.invite_judge(world.organiser, world.round, EMAIL, NAME, ORGANISATION)
    judging.add_judge(world.organiser, world.round, EMAIL)
    judging.declare_conflict(
        user, world.round.id, world.entries[0].id, "relative", f"{NAME}: em họ trưởng nhóm"
    )
    _score_and_publish(world)

    # Events: registered, checked in, a retried scan stored with the name; staff of the event.
    event = make_event()
    data = {"full_name": NAME, "phone": PHONE, "email": EMAIL, "organisation": ORGANISATION}
    attendee = register_attendee(event, {**data, "category": "Khách tham quan"}, dict(CONSENT))
    other = register_attendee(
        event, {"full_name": "Trần Văn Khách", "phone": "0905999888", "category": "Thí sinh"}, dict(CONSENT)
    )
    scope = scope_for_user(event.slug, organiser)
    code = attendee.active_ticket.code
    assert record_checkin(scope, code, gate="Cổng A")["result"] == "ok"
    assert record_checkin(scope, code, gate="Cổng A", scan_id="scan-2")["result"] == "already_checked_in"
    record_checkin(scope, other.active_ticket.code, gate="Cổng B")
    events.assign_staff(organiser, event, EMAIL)

    # Login attempts (throttling rows), hers and someone else's.
    db.session.add_all(
        [
            LoginAttempt(email=EMAIL, ip="203.0.113.7", succeeded=False),
            LoginAttempt(email=EMAIL, ip="203.0.113.7", succeeded=True),
            LoginAttempt(email="khac@example.vn", ip="198.51.100.2", succeeded=False),
        ]
    )
    db.session.commit()

    request = privacy.file_data_request(user, "deletion", f"Tôi là {NAME}, xin xoá toàn bộ dữ liệu của tôi.")
    db.session.expire_all()
    return Everywhere(
        user=user,
        staff=world.organiser,
        contest=contest,
        led=led,
        member_of=member_of,
        event=event,
        attendee=db.session.get(Attendee, attendee.id),
        other_attendee=db.session.get(Attendee, other.id),
        world=world,
        request=db.session.get(DataRequest, request.id),
    )


def rows_mentioning(needles=NEEDLES) -> list[tuple[str, dict]]:
    """Every row of every table holding one of `needles` (case-insensitive), as (table, row)."""
    import json

    found = []
    wanted = [n.lower() for n in needles]
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).mappings():
            text = json.dumps(dict(row), default=str, ensure_ascii=False).lower()
            if any(n in text for n in wanted):
                found.append((table.name, dict(row)))
    return found
