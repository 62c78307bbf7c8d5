"""Programmes (issue 13): Sở staff create and edit them; the public sees published ones by year and
each programme's activities in date order with where they stand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.audit.models import AuditEvent
from app.contests.models import Contest
from app.errors import Invalid, PermissionDenied
from app.events.models import Event
from app.extensions import db
from app.localtime import utcnow
from app.programmes import services
from app.programmes.models import Programme
from tests.conftest import submit
from tests.factories import contest_with_tracks, event_data


@pytest.fixture
def so_staff(make_user):
    return make_user("so@example.vn", roles=("organiser",), name="Trần Thị Thu Hà")


@pytest.fixture
def activities_2024(app, so_staff):
    from app.events import services as events

    idea, _ = contest_with_tracks(
        "y-tuong-2024",
        "KN24",
        "Cuộc thi ý tưởng 2024",
        opens_at=datetime(2024, 4, 1, 1, tzinfo=UTC),
        closes_at=datetime(2024, 8, 31, 16, 59, tzinfo=UTC),
    )
    final_contest, _ = contest_with_tracks(
        "lan-5",
        "QN5",
        "Cuộc thi KNĐMST lần thứ 5",
        opens_at=datetime(2023, 10, 2, tzinfo=UTC),
        closes_at=datetime(2024, 1, 15, 16, 59, tzinfo=UTC),
    )
    hidden, _ = contest_with_tracks("nhap", "NH", "Cuộc thi chưa công bố", is_published=False)
    db.session.commit()
    final = events.create_event(so_staff, event_data("chung-ket-lan-5", "Chung kết lần thứ 5"))
    festival = events.create_event(so_staff, event_data("ngay-hoi-2024", "Ngày hội KNĐMST 2024"))
    for event, start in (
        (final, datetime(2024, 3, 22, 0, 30, tzinfo=UTC)),
        (festival, datetime(2024, 5, 18, 0, 30, tzinfo=UTC)),
    ):
        event.starts_at, event.ends_at = start, start + timedelta(hours=9)
    final.contest_id = final_contest.id
    db.session.commit()
    return {
        "idea": idea,
        "final_contest": final_contest,
        "hidden": hidden,
        "final": final,
        "festival": festival,
    }


def _data(acts, **extra):
    return {
        "name": "Chương trình hỗ trợ KNĐMST năm 2024",
        "slug": "kndmst-2024",
        "year": "2024",
        "description": "Cuộc thi, chung kết và ngày hội.",
        "plan_reference": "Kế hoạch của UBND tỉnh",
        "contest_ids": [str(acts["idea"].id), str(acts["final_contest"].id), str(acts["hidden"].id)],
        "event_ids": [str(acts["final"].id), str(acts["festival"].id)],
        "is_published": True,
        **extra,
    }


def test_create_sets_programme_on_contests_and_events_and_is_audited(so_staff, activities_2024):
    programme = services.create_programme(so_staff, _data(activities_2024))
    assert (
        db.session.scalar(db.select(db.func.count(Contest.id)).where(Contest.programme_id == programme.id))
        == 3
    )
    assert (
        db.session.scalar(db.select(db.func.count(Event.id)).where(Event.programme_id == programme.id)) == 2
    )
    assert db.session.scalar(db.select(AuditEvent.action).where(AuditEvent.object_type == "programme")) == (
        "programme.create"
    )
    # Unticking lets an activity go; the others stay.
    data = _data(activities_2024, event_ids=[str(activities_2024["festival"].id)])
    services.update_programme(so_staff, programme, data)
    db.session.refresh(activities_2024["final"])
    assert activities_2024["final"].programme_id is None
    db.session.refresh(activities_2024["festival"])
    assert activities_2024["festival"].programme_id == programme.id


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": ""}, "name", "Vui lòng nhập tên chương trình"),
        ({"name": "   "}, "name", "Vui lòng nhập tên chương trình"),
        ({"slug": "Có Dấu"}, "slug", "chữ thường không dấu"),
        ({"year": "hai nghìn"}, "year", "Năm phải là số"),
        ({"year": "1999"}, "year", "Năm phải là số"),
        ({"year": "２０２４"}, "year", "Năm phải là số"),
        ({"contest_ids": ["999999"]}, "contest_ids", "không còn tồn tại"),
        ({"contest_ids": ["-1"]}, "contest_ids", "không hợp lệ"),
        ({"event_ids": ["abc"]}, "event_ids", "không hợp lệ"),
        ({"event_ids": ["99999999999999"]}, "event_ids", "không hợp lệ"),
    ],
)
def test_bad_input_is_refused_on_its_field(so_staff, activities_2024, change, field, message):
    with pytest.raises(Invalid) as error:
        services.create_programme(so_staff, _data(activities_2024, **change))
    assert error.value.field == field and message in error.value.message
    assert db.session.scalar(db.select(db.func.count(Programme.id))) == 0


def test_duplicate_slug_is_refused(so_staff, activities_2024):
    services.create_programme(so_staff, _data(activities_2024))
    with pytest.raises(Invalid) as error:
        services.create_programme(so_staff, _data(activities_2024, name="Khác"))
    assert error.value.field == "slug" and "đã được dùng" in error.value.message


def test_only_so_staff_manage_programmes(make_user, app):
    from app.contests.models import ContestStaff

    contest, _ = contest_with_tracks()
    co = make_user("tinhdoan@example.vn", roles=("organiser",))
    db.session.add(ContestStaff(contest_id=contest.id, user_id=co.id, role="organiser"))
    db.session.commit()
    for user in (co, make_user("gk@example.vn", roles=("judge",)), make_user("ts@example.vn")):
        with pytest.raises(PermissionDenied):
            services.create_programme(user, {"name": "X y z", "slug": "x", "year": "2024"})


def test_http_permissions(client, login, make_user, so_staff, app):
    from app.contests.models import ContestStaff

    contest, _ = contest_with_tracks()
    co = make_user("tinhdoan@example.vn", roles=("organiser",))
    db.session.add(ContestStaff(contest_id=contest.id, user_id=co.id, role="organiser"))
    db.session.commit()
    make_user("gk@example.vn", roles=("judge",))
    make_user("ts@example.vn")
    urls = ("/quan-ly/chuong-trinh", "/quan-ly/chuong-trinh/tao-moi")
    for url in urls:
        assert client.get(url).status_code == 302  # anonymous: to the login page
    for email in ("tinhdoan@example.vn", "gk@example.vn", "ts@example.vn"):
        login(email)
        for url in urls:
            assert client.get(url).status_code == 403, (email, url)
        client.post("/tai-khoan/dang-xuat", data={})
        client.delete_cookie("session")
        client.delete_cookie("remember_token")
    login(so_staff.email)
    for url in urls:
        assert client.get(url).status_code == 200


def test_http_create_and_bad_input_in_vietnamese(client, login, so_staff, activities_2024):
    login(so_staff.email)
    page = client.get("/quan-ly/chuong-trinh/tao-moi").get_data(as_text=True)
    assert "Cuộc thi ý tưởng 2024" in page and "Ngày hội KNĐMST 2024" in page
    url = "/quan-ly/chuong-trinh/tao-moi"
    form = {
        "name": "Chương trình hỗ trợ KNĐMST năm 2024",
        "slug": "kndmst-2024",
        "year": "2024",
        "contest_ids": [str(activities_2024["idea"].id)],
        "event_ids": [str(activities_2024["festival"].id)],
        "is_published": "y",
    }
    for change, text in (
        ({"name": ""}, "Vui lòng nhập tên chương trình."),
        ({"year": "20x4"}, "Năm phải là số từ 2000 đến 2100"),
        ({"contest_ids": ["424242"]}, "Có cuộc thi đã chọn không còn tồn tại"),
    ):
        response = submit(client, url, {**form, **change})
        assert response.status_code == 422, change
        assert text in response.get_data(as_text=True)
    response = submit(client, url, form)
    assert response.status_code == 302
    response = submit(client, url, {**form, "name": "Trùng đường dẫn"})
    assert response.status_code == 422
    assert "Đường dẫn này đã được dùng cho chương trình khác." in response.get_data(as_text=True)
    programme = db.session.scalar(db.select(Programme))
    edit = f"/quan-ly/chuong-trinh/{programme.id}/sua"
    page = client.get(edit).get_data(as_text=True)
    assert f'value="{activities_2024["idea"].id}" checked' in page or "checked" in page
    response = submit(client, edit, {**form, "name": "Chương trình năm 2024 (sửa)"})
    assert response.status_code == 302
    assert client.get("/quan-ly/chuong-trinh/999999/sua").status_code == 404


def test_public_pages_show_only_published_items_in_date_order(client, so_staff, activities_2024):
    programme = services.create_programme(so_staff, _data(activities_2024))
    hidden = services.create_programme(
        so_staff,
        _data(
            activities_2024,
            slug="an",
            name="Chương trình ẩn",
            contest_ids=[],
            event_ids=[],
            is_published=False,
        ),
    )
    activities_2024["festival"].is_published = False
    db.session.commit()
    listing = client.get("/chuong-trinh").get_data(as_text=True)
    assert programme.name in listing and hidden.name not in listing and "Năm 2024" in listing
    assert client.get("/chuong-trinh/an").status_code == 404
    assert client.get("/chuong-trinh/khong-co").status_code == 404
    html = client.get("/chuong-trinh/kndmst-2024").get_data(as_text=True)
    assert "Cuộc thi chưa công bố" not in html and "Ngày hội KNĐMST 2024" not in html
    names = ["Cuộc thi KNĐMST lần thứ 5", "Chung kết lần thứ 5", "Cuộc thi ý tưởng 2024"]
    positions = [html.index(n) for n in names]
    assert positions == sorted(positions)
    assert html.count("Đã kết thúc") == 3 and "Nhận hồ sơ: 02/10/2023 – 15/01/2024" in html


def test_contest_states(app, so_staff):
    from app.judging.models import Round

    now = utcnow()
    future, _ = contest_with_tracks(
        "sap", "SA", opens_at=now + timedelta(days=3), closes_at=now + timedelta(days=30)
    )
    open_, _ = contest_with_tracks(
        "mo", "MO", opens_at=now - timedelta(days=3), closes_at=now + timedelta(days=30)
    )
    judging, _ = contest_with_tracks(
        "cham", "CH", opens_at=now - timedelta(days=60), closes_at=now - timedelta(days=3)
    )
    done, _ = contest_with_tracks(
        "xong", "XO", opens_at=now - timedelta(days=60), closes_at=now - timedelta(days=30)
    )
    db.session.add(
        Round(contest_id=judging.id, position=1, name="Sơ khảo", closes_at=now + timedelta(days=5))
    )
    db.session.add(
        Round(contest_id=done.id, position=1, name="Sơ khảo", published_at=now - timedelta(days=9))
    )
    db.session.add(
        Round(contest_id=done.id, position=2, name="Chung kết", published_at=now - timedelta(days=1))
    )
    db.session.commit()
    states = services.contest_states([future, open_, judging, done])
    assert [states[c.id].phase for c in (future, open_, judging, done)] == [
        "upcoming",
        "ongoing",
        "ongoing",
        "finished",
    ]
    assert [states[c.id].has_results for c in (future, open_, judging, done)] == [False, False, False, True]
    assert services.contests_with_results([future.id, done.id]) == {done.id}


def test_contests_list_marks_finished_contests(client, app):
    contest_with_tracks("xong", "XO", "Cuộc thi đã xong")
    db.session.commit()
    html = client.get("/cuoc-thi").get_data(as_text=True)
    assert "Đã kết thúc" in html and "không nhận hồ sơ" not in html


def test_header_links_the_public_lists_for_everyone(client):
    html = client.get("/").get_data(as_text=True)
    for href in ('href="/cuoc-thi"', 'href="/su-kien"', 'href="/chuong-trinh"'):
        assert href in html
