"""Event rules without HTTP: capacity, tickets, cancel, undo, search, linked contest, demo data."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.errors import Conflict, Invalid, PermissionDenied
from app.events import checkin, desk, permissions, registration, services
from app.events.models import Attendee, Checkin, Event, Ticket
from app.events.stats import event_stats
from app.extensions import db

CONSENT = {"process_registration": True}


def test_capacity_counts_and_cancel_frees_a_place(make_event, register, organiser):
    event = make_event(slug="nho", capacity=2)
    a = register(event)
    register(event)
    with pytest.raises(Conflict) as full:
        register(event)
    assert full.value.code == "full"
    registration.cancel_registration(organiser, a, "Khách báo bận")
    assert db.session.get(Event, event.id).registered_count == 1
    assert a.active_ticket is None
    register(event)
    with pytest.raises(Invalid):
        registration.cancel_registration(organiser, a, "")


def test_one_active_ticket_per_attendee_is_a_database_rule(event, register):
    attendee = register(event)
    db.session.add(Ticket(event_id=event.id, attendee_id=attendee.id, code="x" * 39))
    with pytest.raises(Exception):  # noqa: B017 - IntegrityError from the partial unique index
        db.session.flush()
    db.session.rollback()


def test_one_active_registration_per_phone_is_a_database_rule(event, register, organiser):
    """The partial unique index behind the service's pre-check: cancelled rows don't count, active do."""
    first = register(event, phone="0905 123 456")
    registration.cancel_registration(organiser, first, "Khách báo bận")
    again = register(event, phone="0905123456")  # the cancelled row no longer holds the phone
    with pytest.raises(Invalid) as twice:  # the service's own check, with the field it belongs to
        register(event, phone="+84 905 123 456")
    assert twice.value.field == "phone" and "đã đăng ký sự kiện" in twice.value.message
    # Below the service: a second active row with the phone is refused by the database itself …
    db.session.add(
        Attendee(event_id=event.id, full_name="Lê Văn Chen", phone=again.phone, category="Báo chí")
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    # … while another cancelled row with the same phone is fine, and so are rows without a phone.
    db.session.add_all(
        [
            Attendee(
                event_id=event.id,
                full_name="Lê Văn Huỷ",
                phone=again.phone,
                category="Báo chí",
                cancelled_at=again.created_at,
            ),
            Attendee(event_id=event.id, full_name="Khách Vãng Lai Một", phone=None, category="Báo chí"),
            Attendee(event_id=event.id, full_name="Khách Vãng Lai Hai", phone=None, category="Báo chí"),
        ]
    )
    db.session.commit()
    active = select(func.count()).where(
        Attendee.event_id == event.id, Attendee.phone == "+84905123456", Attendee.cancelled_at.is_(None)
    )
    assert db.session.scalar(active) == 1


def test_one_active_checkin_per_ticket_is_a_database_rule(event, register, device_scope):
    attendee = register(event)
    ticket = attendee.active_ticket
    first = checkin.record_checkin(device_scope, ticket.code)
    db.session.add(Checkin(event_id=event.id, ticket_id=ticket.id, attendee_id=attendee.id, gate="Cổng B"))
    with pytest.raises(Exception):  # noqa: B017
        db.session.flush()
    db.session.rollback()
    checkin.undo_checkin(device_scope, first["checkin"]["id"], "Nhầm vé")
    assert checkin.record_checkin(device_scope, ticket.code)["result"] == "ok"
    assert db.session.scalar(select(func.count()).select_from(Checkin)) == 2


def test_only_organisers_manage(event, make_user, register):
    volunteer = make_user("tnv@example.vn", roles=("checkin_staff",))
    with pytest.raises(PermissionDenied):
        services.create_device_token(volunteer, event, "Máy")
    with pytest.raises(PermissionDenied):
        registration.reissue_ticket(volunteer, register(event), "Mất vé")


def test_search_is_accent_insensitive(event, register, device_scope):
    register(event, "Nguyễn Thị Hồng Đào")
    register(event, "Đặng Văn Ơn", phone="0987654321")
    register(event, "Nguyen Thi Mai")
    names = lambda q: sorted(r["name"] for r in desk.search_attendees(device_scope, q))  # noqa: E731
    assert names("nguyen thi") == ["Nguyen Thi Mai", "Nguyễn Thị Hồng Đào"]
    assert names("NGUYỄN THỊ hồng") == ["Nguyễn Thị Hồng Đào"]
    assert names("dang van on") == ["Đặng Văn Ơn"]
    assert names("0987 654") == ["Đặng Văn Ơn"]
    assert names("+84987654321") == ["Đặng Văn Ơn"]
    assert names("dao nguyen") == ["Nguyễn Thị Hồng Đào"]


def test_offline_scan_keeps_its_own_time_within_reason(event, register, device_scope):
    from datetime import timedelta

    from app.localtime import utcnow

    earlier = utcnow() - timedelta(minutes=20)
    answer = checkin.record_checkin(
        device_scope, register(event).active_ticket.code, scanned_at=earlier.isoformat()
    )
    assert answer["checkin"]["at"] == earlier.isoformat()
    future = (utcnow() + timedelta(days=2)).isoformat()
    later = checkin.record_checkin(device_scope, register(event).active_ticket.code, scanned_at=future)
    assert later["checkin"]["at"] < future


def _contest_with_a_finalist_team_and_a_judge(make_user):
    """A finished contest: one finalist team of two and one judge (three people to register)."""
    from datetime import timedelta

    from app.contests.models import Contest, ContestStaff, Entry, EntryStatus, TeamMember
    from app.localtime import utcnow

    now = utcnow()
    contest = Contest(
        slug="thu-nghiem",
        name="Cuộc thi thử",
        year=2024,
        description="",
        rules_text="",
        code_prefix="KN24",
        last_code_number=0,
        opens_at=now - timedelta(days=30),
        closes_at=now - timedelta(days=1),
        is_published=True,
        team_min=1,
        team_max=5,
    )
    db.session.add(contest)
    db.session.flush()
    judge = make_user("gk@example.vn", roles=("judge",), name="Giám Khảo Một")
    db.session.add(ContestStaff(contest_id=contest.id, user_id=judge.id, role="judge"))
    leader = make_user("leader@example.vn", roles=("applicant",), name="Trưởng Nhóm")
    entry = Entry(
        contest_id=contest.id,
        leader_id=leader.id,
        status=EntryStatus.FINALIST.value,
        code="KN24-0001",
        code_number=1,
        title="Máy sấy nông sản năng lượng mặt trời",
    )
    db.session.add(entry)
    db.session.flush()
    db.session.add_all(
        [
            TeamMember(
                entry_id=entry.id,
                user_id=leader.id,
                is_leader=True,
                full_name="Trưởng Nhóm",
                phone="+84905000001",
            ),
            TeamMember(entry_id=entry.id, full_name="Thành Viên Hai", phone=""),
        ]
    )
    db.session.commit()
    return contest


def test_linked_contest_registers_finalists_and_judges_once(app, make_event, organiser, make_user):
    contest = _contest_with_a_finalist_team_and_a_judge(make_user)
    event = make_event(slug="chung-ket-thu", contest_id=contest.id)  # linking registers them at once
    rows = db.session.scalars(select(Attendee).where(Attendee.event_id == event.id)).all()
    assert sorted((a.full_name, a.category, a.group_name) for a in rows) == [
        ("Giám Khảo Một", "Khách tham quan", "Ban giám khảo"),
        ("Thành Viên Hai", "Thí sinh", "KN24-0001 – Máy sấy nông sản năng lượng mặt trời"),
        ("Trưởng Nhóm", "Thí sinh", "KN24-0001 – Máy sấy nông sản năng lượng mặt trời"),
    ]
    assert all(a.active_ticket for a in rows)
    again = services.sync_contest_attendees(organiser, event)
    assert again == {"added": 0, "skipped": 3, "full": 0}


def test_a_sync_that_fills_the_event_keeps_who_it_added_and_counts_the_rest_as_full(
    app, make_event, organiser, make_user
):
    """Found in the events split: taking the last place used to roll back the whole session, so the
    people added before it vanished while the answer still counted them (and mailed them tickets)."""
    contest = _contest_with_a_finalist_team_and_a_judge(make_user)
    event = make_event(slug="chung-ket-nho", capacity=2)
    event.contest_id = contest.id
    db.session.commit()
    result = services.sync_contest_attendees(organiser, event)
    rows = db.session.scalars(select(Attendee).where(Attendee.event_id == event.id)).all()
    assert result == {"added": 2, "skipped": 0, "full": 1}
    assert len(rows) == 2 and all(a.active_ticket for a in rows)
    assert db.session.get(Event, event.id).registered_count == 2


def test_demo_seed_is_fast_idempotent_and_complete(app, make_user):
    from app.accounts import demo as accounts_demo
    from app.events import demo

    accounts_demo.seed()
    demo.seed()
    demo.seed()
    festival = permissions.get_event(demo.FESTIVAL)
    assert festival.registered_count == 2000
    assert (
        db.session.scalar(select(func.count()).select_from(Attendee).where(Attendee.event_id == festival.id))
        == 2000
    )
    checked = db.session.scalar(
        select(func.count()).select_from(Checkin).where(Checkin.event_id == festival.id)
    )
    assert 500 < checked < 1000
    stats = event_stats(festival.id)
    assert len(stats["by_gate"]) == 3 and len(stats["by_category"]) == 6
    scope = checkin.scope_for_device(demo.FESTIVAL, demo.demo_device_token())
    assert scope.event_id == festival.id
    staff_user = db.session.scalar(select(User).where(User.email == demo.CHECKIN_EMAIL))
    assert permissions.can_scan(staff_user, festival) and permissions.can_scan(
        staff_user, permissions.get_event(demo.FINAL)
    )


def test_an_event_belongs_to_its_contests_organisers_and_the_so(
    make_event, register, organiser, co_organised
):
    """Defect 8: a co-organiser reached every event's attendees, tokens and staff."""
    from app.errors import NotFound

    doan = co_organised.co_organiser
    theirs = make_event(slug="ngay-hoi-phu-nu", contest_id=co_organised.theirs.id)
    unlinked = make_event(slug="ngay-hoi-so")
    ours = make_event(slug="chung-ket-doan", contest_id=co_organised.ours.id)
    guest = register(theirs)
    for event in (theirs, unlinked):
        assert not permissions.can_manage(doan, event)
        with pytest.raises(PermissionDenied):
            permissions.get_event_for_manager(doan, event.slug)
        with pytest.raises(PermissionDenied):
            services.create_device_token(doan, event, "Máy của Đoàn")
        with pytest.raises(PermissionDenied):
            services.assign_staff(doan, event, doan.email)
        with pytest.raises(PermissionDenied):
            services.sync_contest_attendees(doan, event)
    with pytest.raises(PermissionDenied):
        registration.reissue_ticket(doan, guest, "Mất vé")
    with pytest.raises(PermissionDenied):
        registration.resend_ticket(doan, guest)
    with pytest.raises(NotFound):
        permissions.get_event_for_manager(doan, "khong-co")
    assert permissions.get_event_for_manager(doan, ours.slug) == ours
    assert permissions.manageable_events(doan) == [ours]
    assert {e.slug for e in permissions.manageable_events(organiser)} == {
        "ngay-hoi-phu-nu",
        "ngay-hoi-so",
        ours.slug,
    }
    # Scanning: the event's managers, and the staff assigned to it (whoever manages the event).
    assert permissions.can_scan(doan, ours) and not permissions.can_scan(doan, theirs)
    services.assign_staff(organiser, theirs, doan.email)
    assert permissions.can_scan(doan, theirs) and not permissions.can_manage(doan, theirs)
    assert {e.slug for e in permissions.events_for_staff(doan)} == {ours.slug, theirs.slug}


def test_a_co_organiser_links_only_to_their_contest_and_cannot_take_an_event_over(
    make_event, organiser, co_organised
):
    from datetime import timedelta

    from app.localtime import utcnow

    doan = co_organised.co_organiser
    now = utcnow()
    data = {
        "name": "Chung kết thanh niên",
        "slug": "chung-ket-thanh-nien",
        "starts_at": now + timedelta(days=3),
        "ends_at": now + timedelta(days=3, hours=4),
        "categories": ["Thí sinh", "Khách mời/đại biểu"],
        "gates": ["Cổng chính"],
    }
    for contest_id in (None, co_organised.theirs.id):  # unlinked is the Sở's; the other contest is not theirs
        with pytest.raises(PermissionDenied) as refused:
            services.create_event(doan, {**data, "contest_id": contest_id})
        assert refused.value.field == "contest_id"
    mine = services.create_event(doan, {**data, "contest_id": co_organised.ours.id})
    assert permissions.can_manage(doan, mine)
    for contest_id in (None, co_organised.theirs.id):
        with pytest.raises(PermissionDenied):
            services.update_event(doan, mine, {**data, "contest_id": contest_id})
        db.session.rollback()
    assert db.session.get(Event, mine.id).contest_id == co_organised.ours.id
    # The Sở's organisers may link any event to any contest; a contest that does not exist is refused.
    sos = make_event(slug="ngay-hoi-so")
    with pytest.raises(Invalid):
        services.update_event(organiser, sos, {**data, "slug": sos.slug, "contest_id": 99999})
    db.session.rollback()
    services.update_event(organiser, sos, {**data, "slug": sos.slug, "contest_id": co_organised.theirs.id})
    assert not permissions.can_manage(doan, sos)


def test_invited_categories_are_not_self_service(make_event, register, organiser):
    """Defect 10: anyone could register as press or as an invited guest on the public form."""
    event = make_event(categories=["Khách mời/đại biểu", "Thí sinh", "Báo chí", "Khách tham quan"])
    assert registration.public_categories(event) == ["Thí sinh", "Khách tham quan"]
    for category in ("Báo chí", "Khách mời/đại biểu"):
        with pytest.raises(Invalid) as refused:
            register(event, category=category)
        assert refused.value.field == "category"
    assert register(event, category="Khách tham quan").category == "Khách tham quan"
    assert register(event, category="Báo chí", by=organiser).category == "Báo chí"
    # The organiser chooses the list; it must come from the event's categories.
    data = {
        "name": event.name,
        "slug": event.slug,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "categories": event.categories,
        "gates": event.gates,
    }
    with pytest.raises(Invalid) as unknown:
        services.update_event(organiser, event, {**data, "public_categories": "Thí sinh\nVIP"})
    assert unknown.value.field == "public_categories"
    db.session.rollback()
    services.update_event(organiser, event, {**data, "public_categories": "Báo chí"})
    assert registration.public_categories(event) == ["Báo chí"]
    services.update_event(organiser, event, {**data, "public_categories": ""})
    with pytest.raises(Invalid):
        register(event, category="Báo chí")
