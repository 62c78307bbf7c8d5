"""Allocation of booths to accepted applications: the rules, the mail, the pages, and the race — N
organisers give one booth to N applications at once: one wins, N−1 are told who took it."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.booths import floor_allocation as service
from app.booths.models import Booth, BoothApplication
from app.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.extensions import db
from tests.booths.floor_fixtures import (
    accepted,
    add_type,
    floor_fixture,  # noqa: F401 (the `floor` fixture)
    signed_in,
)
from tests.conftest import csrf_from

BASE = "/su-kien/quan-ly/ngay-hoi-san/gian-hang"


def booth(number: str) -> Booth:
    return db.session.scalar(select(Booth).where(Booth.number == number))


@pytest.fixture
def laid_out(floor):
    floor.standard = add_type(floor.so, floor.event, count=3)
    floor.corner = add_type(floor.so, floor.event, "Gian góc", count=2)
    return floor


def test_allocate_moves_and_releases(laid_out, outbox):
    f = laid_out
    application = accepted(f.event, f.standard)
    service.allocate(f.co, application, booth("A02"))
    assert application.booth.number == "A02"
    assert [m["Subject"] for m in outbox] == ["Gian hàng A02 – Ngày hội KNĐMST 2024"]
    body = outbox[0].get_content()
    assert "Gian số: A02" in body and "HTX Nông sản Nghĩa Hành" in body and "http" in body
    service.allocate(f.co, application, booth("B01"))  # moved: A02 is free again
    plan = service.floor_plan(f.event)
    taken = {s.number: s.organisation for s in plan.spots if s.allocated}
    assert taken == {"B01": "HTX Nông sản Nghĩa Hành"}
    service.release(f.co, application)
    assert application.booth_id is None and service.floor_plan(f.event).free == 5
    actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("booths.%"))))
    assert actions.count("booths.allocate") == 2 and "booths.release" in actions
    with pytest.raises(Invalid, match="chưa được phân"):
        service.release(f.co, application)


def test_a_booth_is_never_given_twice(laid_out):
    f = laid_out
    first = accepted(f.event, f.standard, "Công ty Tỏi Lý Sơn")
    second = accepted(f.event, f.standard, "HTX Mía đường")
    service.allocate(f.so, first, booth("A01"))
    with pytest.raises(Conflict, match="Gian A01 vừa được phân cho Công ty Tỏi Lý Sơn — hãy chọn gian khác"):
        service.allocate(f.so, second, booth("A01"))
    assert db.session.get(BoothApplication, second.id).booth_id is None


@pytest.mark.parametrize("status", ["submitted", "waitlisted", "refused", "withdrawn", "offered"])
def test_only_accepted_applications_hold_a_booth(laid_out, status):
    application = accepted(laid_out.event, laid_out.standard)
    application.status = status
    db.session.commit()
    with pytest.raises(Invalid, match="đã được nhận"):
        service.allocate(laid_out.so, application, booth("A01"))
    assert db.session.get(BoothApplication, application.id).booth_id is None


def test_allocation_is_for_the_events_managers_and_its_own_booths(laid_out, make_user):
    from app.events import services as events
    from tests.factories import event_data

    f = laid_out
    application = accepted(f.event, f.standard)
    with pytest.raises(PermissionDenied):
        service.allocate(f.other, application, booth("A01"))
    with pytest.raises(PermissionDenied):
        service.release(f.volunteer, application)
    elsewhere = events.create_event(f.so, event_data("cho-phien", "Chợ phiên khởi nghiệp"))
    foreign = add_type(f.so, elsewhere, "Gian chợ", count=1, prefix="C")
    foreign_booth = db.session.scalar(select(Booth).where(Booth.booth_type_id == foreign.id))
    with pytest.raises(NotFound):
        service.allocate(f.so, application, foreign_booth)
    with pytest.raises(NotFound):
        service.get_application_for_floor(f.so, elsewhere, application.id)


def test_choices_put_the_applied_type_first(laid_out):
    f = laid_out
    application = accepted(f.event, f.corner, "Hộ kinh doanh Bánh tráng")
    service.allocate(f.so, accepted(f.event, f.standard, "Khác"), booth("A02"))
    groups = service.allocation_choices(f.event, application)
    assert [label for label, _ in groups] == ["Gian góc (loại đã đăng ký)", "Gian tiêu chuẩn"]
    assert [text for _id, text in groups[1][1]] == ["A01", "A03"]


def test_the_race_one_booth_many_organisers(app, laid_out, is_postgres):
    """N threads give booth A01 to N different accepted applications at the same moment."""
    f = laid_out
    n = 12 if is_postgres else 8  # each thread holds a connection; the pool has 15
    ids = [a.id for a in accepted(f.event, f.standard, "Đơn vị", n=n)]
    booth_id, actor_id = booth("A01").id, f.so.id
    db.session.remove()
    barrier = threading.Barrier(n)
    outcomes, errors = [], []

    def worker(application_id: int) -> None:
        from app.accounts.models import User

        with app.app_context():
            try:
                actor = db.session.get(User, actor_id)
                application = db.session.get(BoothApplication, application_id)
                target = db.session.get(Booth, booth_id)
                db.session.rollback()  # each starts from a fresh transaction at the barrier
                barrier.wait(timeout=30)
                service.allocate(actor, application, target)
                outcomes.append("ok")
            except Conflict as exc:
                outcomes.append(exc.code)
            except Exception as exc:  # anything else is a defect
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert outcomes.count("ok") == 1
    # Every loser is told the booth is taken (on SQLite a busy database can also answer "try again").
    losers = [o for o in outcomes if o != "ok"]
    assert len(losers) == n - 1
    if is_postgres:
        assert set(losers) == {"booth_taken"}
    assert set(losers) <= {"booth_taken", "Conflict"}
    holders = db.session.scalar(
        select(func.count()).select_from(BoothApplication).where(BoothApplication.booth_id == booth_id)
    )
    assert holders == 1


# --- pages --------------------------------------------------------------------------------------------


def test_allocation_page_highlights_and_saves(app, laid_out, outbox):
    f = laid_out
    application = accepted(f.event, f.standard)
    client = signed_in(app, "doan@example.vn")
    url = f"{BASE}/phan-gian/{application.id}"
    page = client.get(url + "?gian=A03").get_data(as_text=True)
    assert 'value="A03"' not in page  # options carry ids, not numbers
    assert (
        f'<option selected value="{booth("A03").id}">' in page
        or f'value="{booth("A03").id}" selected' in page
    )
    assert "spot free chosen" in page and '<optgroup label="Gian tiêu chuẩn (loại đã đăng ký)">' in page
    response = client.post(url, data={"booth_id": str(booth("A03").id), "csrf_token": csrf_from(page)})
    assert response.status_code == 302 and "gian=A03" in response.headers["Location"]
    db.session.expire_all()
    assert application.booth.number == "A03"
    plan = client.get(f"{BASE}/so-do").get_data(as_text=True)
    assert "Gian A03" in plan or "A03" in plan
    assert "spot taken" in plan


def test_allocation_page_answers_a_taken_booth_with_409_and_keeps_the_form(app, laid_out):
    f = laid_out
    winner = accepted(f.event, f.standard, "Công ty Tỏi Lý Sơn")
    loser = accepted(f.event, f.standard, "HTX Mía đường")
    client = signed_in(app, "doan@example.vn")
    url = f"{BASE}/phan-gian/{loser.id}"
    token = csrf_from(client.get(url).get_data(as_text=True))
    service.allocate(f.so, winner, booth("A01"))  # someone else was quicker
    response = client.post(url, data={"booth_id": str(booth("A01").id), "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Gian A01 vừa được phân cho Công ty Tỏi Lý Sơn — hãy chọn gian khác" in html
    assert "<select" in html


@pytest.mark.parametrize("value", ["", "abc", "-1", "99999999999999999999", "1e3", "\u202e1", "0"])
def test_allocation_page_refuses_ugly_booth_ids(app, laid_out, value):
    application = accepted(laid_out.event, laid_out.standard)
    client = signed_in(app, "doan@example.vn")
    url = f"{BASE}/phan-gian/{application.id}"
    token = csrf_from(client.get(url).get_data(as_text=True))
    response = client.post(url, data={"booth_id": value, "csrf_token": token})
    assert response.status_code in (404, 422)
    assert "<select" in response.get_data(as_text=True)
    assert db.session.get(BoothApplication, application.id).booth_id is None


def test_allocation_pages_for_managers_only(app, laid_out):
    application = accepted(laid_out.event, laid_out.standard)
    url = f"{BASE}/phan-gian/{application.id}"
    for email in ("hoi@example.vn", "tnv@example.vn", "hs@example.vn"):
        client = signed_in(app, email)
        assert client.get(url).status_code == 403
        assert client.post(url + "/go").status_code in (400, 403)
    assert signed_in(app, "so@example.vn").get(f"{BASE}/phan-gian/999999").status_code == 404


def test_release_through_the_page(app, laid_out):
    f = laid_out
    application = accepted(f.event, f.standard)
    service.allocate(f.so, application, booth("A01"))
    client = signed_in(app, "doan@example.vn")
    url = f"{BASE}/phan-gian/{application.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Gỡ gian" in page
    assert client.post(url + "/go").status_code == 400  # no CSRF token
    response = client.post(url + "/go", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert db.session.get(BoothApplication, application.id).booth_id is None
