"""Booth application rules through the services: the window, every field's checks (ugly input
included), one active application per person, decisions with passes that never take a public place,
offers to contest teams, the organisers' list, and the privacy holder."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.booths import applications, offers, passes
from app.booths.models import EXHIBITOR_CATEGORY, BoothApplication, BoothPass
from app.errors import Conflict, Invalid, PermissionDenied
from app.events.models import Attendee, Event
from app.extensions import db
from app.localtime import utcnow
from tests.booths.conftest import CONSENT, application_data


def apply(world, user=None, **extra):
    return applications.apply(
        user or world.exhibitor, world.event, application_data(world, **extra), (), dict(CONSENT)
    )


def test_apply_cleans_and_folds_every_field(world):
    application = apply(world, organisation="  HTX   Nông nghiệp  Nghĩa Hành ", tax_code="0101.234.567-001")
    assert application.status == "submitted"
    assert application.organisation == "HTX Nông nghiệp Nghĩa Hành"
    assert application.tax_code == "0101234567-001"
    assert application.contact_phone == "+84905111222"
    assert application.ocop_stars == 4
    assert application.needs == ["table", "power"]
    assert "htx nong nghiep nghia hanh" in application.search_text
    assert "0905111222" in application.search_text
    from app.privacy.services import current_consents

    assert current_consents("booth_application", application.id)["process_registration"].granted


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("tax_code", "12345", "Mã số thuế"),
        ("tax_code", "０１０１２３４５６７", "Mã số thuế"),  # full-width digits are not a tax code
        ("ocop_stars", "2", "OCOP"),
        ("ocop_stars", "５", "OCOP"),
        ("commune_code", "99999999", "xã, phường"),
        ("contact_phone", "0123", "điện thoại"),
        ("contact_email", "mai@", "email"),
        ("contact_name", "Mai 123", "Họ và tên"),
        ("organisation", "   ", "tên doanh nghiệp"),
        ("organisation", "HTX\u202eabc", "không được phép"),
        ("products", "", "sản phẩm"),
        ("products", "x" * 3001, "dài quá"),
        ("org_kind", "bank", "loại hình"),
        ("needs", ["table", "jacuzzi"], "nhu cầu"),
        ("needs", "table", "nhu cầu"),
        ("booth_type_id", None, "loại gian hàng"),
        ("booth_type_id", True, "loại gian hàng"),
        ("booth_type_id", "1", "loại gian hàng"),
    ],
)
def test_every_field_refuses_ugly_input(world, field, value, message):
    with pytest.raises(Invalid) as caught:
        apply(world, **{field: value})
    assert caught.value.field == field
    assert message.lower() in caught.value.message.lower()
    assert db.session.scalar(select(func.count()).select_from(BoothApplication)) == 0


def test_booth_type_must_be_this_events_and_have_booths(world, make_user):
    from app.booths.models import BoothType
    from app.events import services
    from tests.factories import event_data

    elsewhere = services.create_event(world.organiser, event_data("cho-phien", "Chợ phiên khởi nghiệp"))
    foreign = BoothType(event_id=elsewhere.id, name="Gian chợ phiên", count=5)
    db.session.add(foreign)
    db.session.commit()
    for type_id in (foreign.id, world.empty.id, 999999):
        with pytest.raises(Invalid) as caught:
            apply(world, booth_type_id=type_id)
        assert caught.value.field == "booth_type_id"


def test_required_consent(world):
    with pytest.raises(Invalid) as caught:
        applications.apply(
            world.exhibitor, world.event, application_data(world), (), {"process_registration": False}
        )
    assert caught.value.field == "consent_process_registration"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"is_open": False}, "không nhận đăng ký gian hàng"),
        ({"opens_at": utcnow() + timedelta(days=1)}, "Chưa mở đăng ký gian hàng; mở từ"),
        ({"closes_at": utcnow() - timedelta(minutes=1)}, "Đã hết hạn đăng ký gian hàng"),
    ],
)
def test_window_refusals_say_why(world, change, message):
    for key, value in change.items():
        setattr(world.exhibition, key, value)
    db.session.commit()
    with pytest.raises(Conflict) as caught:
        apply(world)
    assert message in caught.value.message


def test_applying_again_edits_the_same_application_until_accepted(world):
    first = apply(world)
    again = apply(world, products="Mật ong rừng Ba Tơ", booth_type_id=world.double.id)
    assert again.id == first.id
    assert again.products == "Mật ong rừng Ba Tơ" and again.booth_type_id == world.double.id
    applications.decide(world.organiser, again, "waitlisted", "Chờ thêm gian trống")
    assert apply(world, sector="Thực phẩm").status == "waitlisted"  # edits keep the waitlist place
    applications.decide(world.organiser, again, "accepted", "")
    with pytest.raises(Conflict):
        apply(world)
    assert db.session.scalar(select(func.count()).select_from(BoothApplication)) == 1


def test_accept_issues_passes_that_take_no_public_place(world, outbox):
    event = world.event
    # The event is full for visitors (capacity 2): exhibitor passes must still be issued.
    event.registered_count = 2
    db.session.commit()
    application = apply(world)
    applications.decide(world.organiser, application, "accepted", "")
    rows = passes.passes_of(application)
    assert [p.position for p in rows] == [1, 2]
    assert [p.attendee.full_name for p in rows] == ["Phạm Thị Mai", "Nhân sự gian hàng 2"]
    assert {p.attendee.category for p in rows} == {EXHIBITOR_CATEGORY}
    assert {p.attendee.source for p in rows} == {"booth"}
    assert all(p.attendee.active_ticket for p in rows)
    assert rows[0].attendee.organisation == "HTX Nông nghiệp Nghĩa Hành"
    db.session.refresh(event)
    assert event.registered_count == 2
    assert EXHIBITOR_CATEGORY in event.categories
    assert len(outbox) == 1  # one mail, every pass in it
    body = outbox[0].get_content()
    assert "đã được NHẬN" in body
    for p in rows:
        assert p.attendee.active_ticket.code in body
    assert "Mang theo sản phẩm mẫu" in body


def test_an_organiser_cancelling_a_pass_gives_no_public_place_back(world):
    """A pass never took a place, so cancelling it from the attendee page must not add one."""
    from app.events import registration

    event = world.event
    event.registered_count = 1
    db.session.commit()
    application = apply(world)
    applications.decide(world.organiser, application, "accepted", "")
    first = passes.passes_of(application)[0].attendee
    registration.cancel_registration(world.organiser, first, "Nhân sự không đến")
    db.session.refresh(event)
    assert event.registered_count == 1


def test_a_second_live_application_of_the_same_person_is_refused_by_the_database(world):
    """Two submits at the same moment both pass the "already applied?" check; the partial UNIQUE
    index keeps one (here the second row is written directly, as the losing request would)."""
    from app.database import flush

    apply(world)
    db.session.add(
        BoothApplication(
            event_id=world.event.id, user_id=world.exhibitor.id, organisation="HTX khác", status="submitted"
        )
    )
    with pytest.raises(Conflict):
        flush(Conflict("trùng"))
    # A refused or withdrawn one does not count: applying again after a refusal is allowed.
    db.session.add(
        BoothApplication(
            event_id=world.event.id, user_id=world.exhibitor.id, organisation="HTX cũ", status="refused"
        )
    )
    db.session.commit()


def test_accepting_more_than_the_type_has_is_refused(world, make_user):
    first = apply(world)
    second = apply(world, user=world.stranger, contact_email="an@example.vn", contact_phone="0905333444")
    third_user = make_user("binh@example.vn", roles=("applicant",), name="Lê Văn Bình")
    third = apply(world, user=third_user, contact_email="binh@example.vn", contact_phone="0905555666")
    applications.decide(world.organiser, first, "accepted")
    applications.decide(world.organiser, second, "accepted")
    with pytest.raises(Conflict) as caught:
        applications.decide(world.organiser, third, "accepted")
    assert "Đã nhận đủ 2 gian hàng" in caught.value.message
    db.session.rollback()
    assert db.session.get(BoothApplication, third.id).status == "submitted"


def test_refuse_and_waitlist_need_a_reason_and_mail_it(world, applied, outbox):
    for status in ("refused", "waitlisted"):
        with pytest.raises(Invalid) as caught:
            applications.decide(world.organiser, applied, status, "  ")
        assert caught.value.field == "reason"
    applications.decide(world.organiser, applied, "waitlisted", "Hết gian tiêu chuẩn")
    assert "DANH SÁCH CHỜ" in outbox[-1].get_content() and "Hết gian tiêu chuẩn" in outbox[-1].get_content()
    with pytest.raises(Invalid):
        applications.decide(world.organiser, applied, "maybe", "x")
    with pytest.raises(Conflict):
        applications.decide(world.organiser, applied, "waitlisted", "Lần nữa")


def test_refuse_after_accept_cancels_passes_and_reaccept_restores_without_duplicates(world, applied):
    from app.booths.models import Booth

    applications.decide(world.organiser, applied, "accepted")
    booth = Booth(event_id=world.event.id, booth_type_id=world.standard.id, number="A01")
    db.session.add(booth)
    db.session.flush()
    applied.booth_id = booth.id
    db.session.commit()
    codes = [p.attendee.active_ticket.code for p in passes.passes_of(applied)]
    applications.decide(world.organiser, applied, "refused", "Sản phẩm không phù hợp chủ đề")
    rows = passes.passes_of(applied)
    assert all(p.attendee.cancelled_at is not None for p in rows)
    assert all(p.attendee.active_ticket is None for p in rows)
    assert applied.booth_id is None
    applications.decide(world.organiser, applied, "accepted")
    rows = passes.passes_of(applied)
    assert len(rows) == 2
    assert db.session.scalar(select(func.count()).select_from(BoothPass)) == 2
    assert all(p.attendee.cancelled_at is None and p.attendee.active_ticket for p in rows)
    assert not {p.attendee.active_ticket.code for p in rows} & set(codes)  # the old QR codes stay revoked


def test_organiser_of_another_contest_cannot_decide_or_list(world, applied):
    with pytest.raises(PermissionDenied):
        applications.decide(world.other_organiser, applied, "accepted")
    with pytest.raises(PermissionDenied):
        applications.list_applications(world.other_organiser, world.event)
    with pytest.raises(PermissionDenied):
        applications.get_for_manager(world.other_organiser, world.event, applied.id)
    with pytest.raises(PermissionDenied):
        applications.get_for_owner(world.stranger, applied.id)


def test_withdraw_after_accept_frees_everything(world, applied):
    applications.decide(world.organiser, applied, "accepted")
    with pytest.raises(PermissionDenied):
        applications.withdraw(world.stranger, applied)
    applications.withdraw(world.exhibitor, applied)
    assert applied.status == "withdrawn"
    assert all(p.attendee.cancelled_at for p in passes.passes_of(applied))
    with pytest.raises(Conflict):
        applications.withdraw(world.exhibitor, applied)
    with pytest.raises(Conflict):
        applications.decide(world.organiser, applied, "accepted")
    # Withdrawn is not active: the exhibitor may apply afresh.
    assert apply(world).id != applied.id


def test_rename_pass(world, applied):
    applications.decide(world.organiser, applied, "accepted")
    second = passes.passes_of(applied)[1]
    attendee = passes.rename_pass(world.exhibitor, applied, second.id, " Đỗ  Văn Hùng ", "0912 000 111")
    assert attendee.full_name == "Đỗ Văn Hùng" and attendee.phone == "+84912000111"
    assert "do van hung" in attendee.search_text
    first = passes.passes_of(applied)[0]
    with pytest.raises(Invalid) as caught:
        passes.rename_pass(world.exhibitor, applied, first.id, "Lê Thị Na", "0912000111")
    assert caught.value.field == "phone"
    db.session.rollback()
    with pytest.raises(Invalid):
        passes.rename_pass(world.exhibitor, applied, first.id, "<script>", "")
    with pytest.raises(PermissionDenied):
        passes.rename_pass(world.stranger, applied, first.id, "Lê Thị Na", "")


def _finalist(world, make_user, n: int):
    from app.contests.models import Entry, TeamMember

    leader = make_user(f"doi{n}@example.vn", roles=("applicant",), name=f"Trưởng Nhóm {chr(64 + n)}")
    entry = Entry(
        contest_id=world.contest.id,
        leader_id=leader.id,
        status="finalist",
        code=f"GH-000{n}",
        code_number=n,
        title=f"Dự án số {n}",
        organisation=f"Nhóm khởi nghiệp {n}",
    )
    db.session.add(entry)
    db.session.flush()
    db.session.add(
        TeamMember(
            entry_id=entry.id,
            user_id=leader.id,
            is_leader=True,
            full_name=leader.full_name,
            phone=f"+8490500000{n}",
            email=leader.email,
        )
    )
    db.session.commit()
    return entry, leader


def test_offers_never_duplicate_and_the_team_confirms_or_declines(world, make_user, outbox):
    e1, leader1 = _finalist(world, make_user, 1)
    e2, leader2 = _finalist(world, make_user, 2)
    assert {e.id for e in offers.offerable_entries(world.organiser, world.event)} == {e1.id, e2.id}
    result = offers.offer_to_entries(world.organiser, world.event, [e1.id, e2.id], world.double.id)
    assert result == {"offered": 2, "skipped": 0}
    assert len(outbox) == 2 and "Xác nhận tham gia" in outbox[0].get_content()
    assert offers.offer_to_entries(world.organiser, world.event, [e1.id, e2.id], world.double.id) == {
        "offered": 0,
        "skipped": 2,
    }
    with pytest.raises(PermissionDenied):
        offers.offer_to_entries(world.other_organiser, world.event, [e1.id], world.double.id)
    with pytest.raises(Invalid):
        offers.offer_to_entries(world.organiser, world.event, [e1.id], world.empty.id)
    first = db.session.scalar(select(BoothApplication).where(BoothApplication.entry_id == e1.id))
    assert first.status == "offered" and first.user_id == leader1.id and first.contact_phone == "+84905000001"
    with pytest.raises(Conflict):  # organisers cannot accept for the team
        applications.decide(world.organiser, first, "accepted")
    data = application_data(
        world,
        contact_name=leader1.full_name,
        contact_email=leader1.email,
        contact_phone="0905000001",
        booth_type_id=world.standard.id,
    )
    with pytest.raises(Invalid):  # the team has not consented yet
        applications.confirm_offer(leader1, first, data, (), {})
    applications.confirm_offer(leader1, first, data, (), dict(CONSENT))
    assert first.status == "accepted"
    assert first.booth_type_id == world.double.id  # the offered type, whatever the form said
    assert len(passes.passes_of(first)) == 3
    second = db.session.scalar(select(BoothApplication).where(BoothApplication.entry_id == e2.id))
    applications.withdraw(leader2, second)
    assert second.status == "withdrawn"
    # Only one "Gian đôi": a third team confirming would find it full.
    assert applications.accepted_by_type(world.event) == {world.double.id: 1}


def test_list_filters_search_and_counts(world, applied, make_user):
    other = apply(
        world,
        user=world.stranger,
        organisation="Công ty Cà phê Đắk Tô",
        contact_email="an@example.vn",
        contact_phone="0905333444",
        booth_type_id=world.double.id,
    )
    applications.decide(world.organiser, other, "refused", "Không đúng chủ đề")
    rows, total = applications.list_applications(world.organiser, world.event, query="ca phe dak to")
    assert total == 1 and rows[0].id == other.id
    rows, total = applications.list_applications(world.organiser, world.event, query="0905 111 222")
    assert [r.id for r in rows] == [applied.id]
    rows, total = applications.list_applications(world.organiser, world.event, status="submitted")
    assert [r.id for r in rows] == [applied.id]
    rows, total = applications.list_applications(world.organiser, world.event, booth_type_id=world.double.id)
    assert [r.id for r in rows] == [other.id]
    rows, total = applications.list_applications(world.organiser, world.event, query="100%_")
    assert total == 0
    counts = applications.status_counts(world.event)
    assert counts["submitted"] == 1 and counts["refused"] == 1 and counts["accepted"] == 0


def test_privacy_copy_and_erasure(world, applied, tmp_path):
    from app.booths.privacy import erase_applications, export_applications

    applications.decide(world.organiser, applied, "accepted")
    copy = export_applications(world.exhibitor)
    assert copy[0]["don_vi"] == "HTX Nông nghiệp Nghĩa Hành" and len(copy[0]["the_gian_hang"]) == 2
    erasure = erase_applications(None, world.exhibitor)
    db.session.commit()
    for action in erasure.after_commit:
        action()
    assert applied.contact_name == "[đã xoá]" and applied.contact_phone is None and applied.tax_code == ""
    assert applied.status == "withdrawn"
    assert all(p.attendee.cancelled_at for p in passes.passes_of(applied))
    assert db.session.get(Event, world.event.id).registered_count == 0
    assert (
        db.session.scalar(select(func.count()).select_from(Attendee).where(Attendee.cancelled_at.is_(None)))
        == 0
    )
