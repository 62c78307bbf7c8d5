"""The person's data rights (SPEC §7) through HTTP: see, download, withdraw, request deletion; and the
staff queue with due dates, limited to Sở staff."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from app.contests import services as contests
from app.contests.entries import start_entry
from app.contests.files import file_path
from app.contests.permissions import add_staff, manageable_contests
from app.extensions import db
from app.privacy import registry, services
from app.privacy.models import DataRequest
from tests.conftest import csrf_from, submit
from tests.contests.conftest import (  # noqa: F401 (fixtures)
    ALL_CONSENTS,
    make_contest,
    make_entry,
    organiser,
    person,
)
from tests.privacy.conftest import EMAIL, NAME, rows_mentioning


@pytest.fixture
def applicant_with_entry(make_user, make_contest, login):  # noqa: F811 (imported fixture)
    user = make_user("nhung@example.vn", name="Lê Thị Hồng Nhung")
    contest = make_contest()
    start_entry(
        user,
        contest,
        title="Trà thảo mộc Minh Long",
        track_id=None,
        leader=person("Lê Thị Hồng Nhung", organisation="Hội LHPN xã Minh Long"),
        consents={**ALL_CONSENTS, "newsletter": True},
    )
    login("nhung@example.vn")
    return user


def test_my_data_page_shows_account_entries_and_consents(client, applicant_with_entry):
    html = client.get("/du-lieu-ca-nhan/").get_data(as_text=True)
    assert "nhung@example.vn" in html and "Trà thảo mộc Minh Long" in html
    assert "Hội LHPN xã Minh Long" in html and "đang đồng ý" in html
    assert "Nhận bản tin" in html


def test_download_a_copy_as_json(client, applicant_with_entry):
    response = client.get("/du-lieu-ca-nhan/tai-ve")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["tai_khoan"]["email"] == "nhung@example.vn"
    entry = data["bai_du_thi"][0]
    assert entry["ten_y_tuong"] == "Trà thảo mộc Minh Long" and entry["vai_tro"] == "Trưởng nhóm"
    assert entry["thong_tin_ca_nhan_trong_ho_so"][0]["ngay_sinh"] == "2000-05-17"
    assert {c["ma_muc_dich"] for c in data["dong_y_xu_ly_du_lieu"] if c["dong_y"]} >= {
        "process_entry",
        "newsletter",
    }


def test_withdraw_a_consent(client, applicant_with_entry):
    user = applicant_with_entry
    response = submit(client, "/du-lieu-ca-nhan/dong-y/newsletter/rut", {}, page="/du-lieu-ca-nhan/")
    assert response.status_code == 302
    assert not services.has_consent("user", user.id, "newsletter")
    html = client.get("/du-lieu-ca-nhan/").get_data(as_text=True)
    assert "đã rút lại lúc" in html
    response = submit(client, "/du-lieu-ca-nhan/dong-y/newsletter/rut", {}, page="/du-lieu-ca-nhan/")
    assert "Không có sự đồng ý nào đang hiệu lực" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )


def test_request_deletion_then_staff_resolve_it(client, applicant_with_entry, make_user, login, outbox, app):
    response = submit(
        client, "/du-lieu-ca-nhan/yeu-cau", {"kind": "deletion", "details": ""}, page="/du-lieu-ca-nhan/"
    )
    assert response.status_code == 302
    row = db.session.query(DataRequest).one()
    assert row.due_at - row.created_at == timedelta(hours=72) and row.status == "open"
    response = submit(client, "/du-lieu-ca-nhan/yeu-cau", {"kind": "deletion"}, page="/du-lieu-ca-nhan/")
    assert response.status_code == 422 and "cùng loại đang chờ xử lý" in response.get_data(as_text=True)
    response = submit(
        client, "/du-lieu-ca-nhan/yeu-cau", {"kind": "correction", "details": ""}, page="/du-lieu-ca-nhan/"
    )
    assert response.status_code == 422 and "Vui lòng mô tả" in response.get_data(as_text=True)

    # A co-organiser limited to one contest does not see the platform-wide queue.
    doan = make_user("doan@example.vn", roles=("organiser",))
    contest = manageable_contests(make_user("so@example.vn", roles=("organiser",)))[0]
    from app.contests.models import ContestStaff

    db.session.add(
        ContestStaff(contest_id=contest.id, user_id=doan.id, role="organiser", organisation="Tỉnh đoàn")
    )
    db.session.commit()
    client.post(
        "/tai-khoan/dang-xuat", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))}
    )
    login("doan@example.vn")
    assert client.get("/du-lieu-ca-nhan/hang-doi").status_code == 403
    client.post(
        "/tai-khoan/dang-xuat", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))}
    )

    login("so@example.vn")
    html = client.get("/du-lieu-ca-nhan/hang-doi").get_data(as_text=True)
    assert "Xoá dữ liệu cá nhân" in html and "Lê Thị Hồng Nhung" in html and "hạn xử lý" in html
    response = submit(
        client,
        f"/du-lieu-ca-nhan/hang-doi/{row.id}",
        {"outcome": "done", "note": ""},
        page="/du-lieu-ca-nhan/hang-doi",
    )
    assert "Vui lòng ghi nội dung" in client.get(response.headers["Location"]).get_data(as_text=True)
    response = submit(
        client,
        f"/du-lieu-ca-nhan/hang-doi/{row.id}",
        {"outcome": "done", "note": "Đã xoá tài khoản và ẩn danh hồ sơ."},
        page="/du-lieu-ca-nhan/hang-doi",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(DataRequest, row.id).status == "done"
    assert outbox[-1]["To"] == "nhung@example.vn" and "ẩn danh" in outbox[-1].get_content()


def test_anonymous_users_are_sent_to_login(client):
    response = client.get("/du-lieu-ca-nhan/")
    assert response.status_code == 302 and "/tai-khoan/dang-nhap" in response.headers["Location"]


def _log_out(client):
    client.post(
        "/tai-khoan/dang-xuat", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))}
    )


def test_my_data_page_shows_what_every_feature_holds(client, everywhere, login):
    login(EMAIL)
    html = client.get("/du-lieu-ca-nhan/").get_data(as_text=True)
    for holder in registry.holders():
        assert holder.title in html and holder.erases in html, holder.key
    assert everywhere.event.name in html and "Cổng A" in html  # registration and check-in
    assert "Nông nghiệp công nghệ cao" in html and "Thư mời chấm" in html  # judging
    assert everywhere.led.title in html and "Trưởng nhóm" in html  # contests
    assert "203.0.113.7" in html  # login attempts
    assert "ma_muc_dich" not in html and "thong_tin_ca_nhan" not in html  # labels, not raw keys
    # Her own member row in the entry she leads can still be corrected (the contest is open).
    member = next(m for m in everywhere.led.members if m.user_id == everywhere.user.id)
    assert f"/bai-du-thi/{everywhere.led.id}/thanh-vien/{member.id}" in html
    assert "Khi bạn yêu cầu xoá dữ liệu" in html and "Giữ lại:" in html
    assert "Yêu cầu dữ liệu</a>" not in html  # the queue link is for Sở staff only


def test_download_holds_every_section(client, everywhere, login):
    login(EMAIL)
    response = client.get("/du-lieu-ca-nhan/tai-ve")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"
    data = json.loads(response.get_data(as_text=True))
    assert {h.key for h in registry.holders()} <= set(data)
    assert data["dang_ky_su_kien"][0]["ho_ten"] == NAME and data["giam_khao"]["thu_moi"]
    assert len(data["bai_du_thi"]) == 2 and data["nhan_su_check_in"]


def test_only_so_staff_and_admins_reach_the_queue(client, everywhere, make_user, login):
    w = everywhere
    assert client.get("/du-lieu-ca-nhan/hang-doi").status_code == 302  # to the login page
    co_organiser = make_user("doan@example.vn", roles=("organiser",))
    add_staff(w.staff, w.contest, co_organiser.email, "organiser", "Tỉnh đoàn")
    make_user("admin@example.vn", roles=("admin",))
    make_user("tnv@example.vn", roles=("checkin_staff",))
    expected = {
        EMAIL: 403,  # applicant, judge and check-in staff at once
        "tnv@example.vn": 403,
        "doan@example.vn": 403,  # an organiser limited to one contest
        w.staff.email: 200,  # Sở staff: the global role and no contest rows
        "admin@example.vn": 200,
    }
    for email, status in expected.items():
        login(email)
        page = client.get("/du-lieu-ca-nhan/hang-doi")
        assert page.status_code == status, email
        if status == 403:
            home = client.get("/du-lieu-ca-nhan/").get_data(as_text=True)
            assert "hang-doi" not in home, email
            token = csrf_from(home)
            response = client.post(
                f"/du-lieu-ca-nhan/hang-doi/{w.request.id}/an-danh", data={"csrf_token": token}
            )
            assert response.status_code == 403, email
        else:
            assert NAME in page.get_data(as_text=True) and "hang-doi" in page.get_data(as_text=True)
        _log_out(client)
    db.session.expire_all()
    assert db.session.get(DataRequest, w.request.id).status == "open"
    assert rows_mentioning()  # nobody without the right erased anything


def test_staff_carry_out_a_deletion_request(client, everywhere, login, outbox):
    w = everywhere
    files = [file_path(f) for f in w.led.files]
    login(w.staff.email)
    response = submit(
        client, f"/du-lieu-ca-nhan/hang-doi/{w.request.id}/an-danh", {}, page="/du-lieu-ca-nhan/hang-doi"
    )
    assert response.status_code == 302
    assert "trên toàn hệ thống" in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    row = db.session.get(DataRequest, w.request.id)
    assert row.status == "done" and "giữ lại" in row.resolution_note
    assert rows_mentioning() == [] and not any(path.exists() for path in files)
    assert outbox[-1]["To"] == EMAIL and "ẩn danh" in outbox[-1].get_content()
    # The answered request shows its note in the queue; the person can no longer sign in.
    html = client.get("/du-lieu-ca-nhan/hang-doi?trang_thai=done").get_data(as_text=True)
    assert "Đăng ký sự kiện: Lượt đăng ký đã ẩn danh" in html and NAME not in html
    assert contests.search_entries(w.staff, contests.EntryFilters(query="bui thi xuan"))[1] == 0
    _log_out(client)
    response = submit(client, "/tai-khoan/dang-nhap", {"email": EMAIL, "password": "GaoLua2024"})
    assert response.status_code != 302
    # Doing it twice is refused: the request is closed.
    login(w.staff.email)
    response = submit(
        client, f"/du-lieu-ca-nhan/hang-doi/{w.request.id}/an-danh", {}, page="/du-lieu-ca-nhan/hang-doi"
    )
    assert "đã được xử lý" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_help_page_lists_what_erasure_removes_and_keeps_from_the_registry(client):
    html = client.get("/tro-giup/du-lieu-ca-nhan").get_data(as_text=True)
    for holder in registry.holders():
        assert holder.title in html and holder.erases in html, holder.key
        if holder.keeps:
            assert holder.keeps in html, holder.key


def test_the_page_previews_long_lists_and_the_copy_has_them_all(client, make_user, login):
    # An organiser's audit trail grows with every action: the page reads only a preview (it used
    # to load 20,000 rows, 0.8 s, for a 26 KB page), the downloaded copy still has every row.
    from sqlalchemy import insert

    from app.audit.models import AuditEvent
    from app.extensions import db
    from app.privacy.views import SHOWN_PER_LIST

    user = make_user("so@example.vn", roles=("organiser",))
    db.session.execute(
        insert(AuditEvent),
        [
            {"actor_id": user.id, "action": "entry.screen", "object_type": "entry", "object_id": str(i),
             "details": {}, "ip": "1.2.3.4"}
            for i in range(SHOWN_PER_LIST + 40)
        ],
    )  # fmt: skip
    db.session.commit()
    login("so@example.vn")
    html = client.get("/du-lieu-ca-nhan/").get_data(as_text=True)
    assert "… và các mục khác: bản sao JSON có đầy đủ." in html
    assert SHOWN_PER_LIST - 2 <= html.count("entry.screen") <= SHOWN_PER_LIST  # newest first, with the login
    copy = client.get("/du-lieu-ca-nhan/tai-ve").get_json()
    assert (
        sum(1 for row in copy["nhat_ky_hoat_dong"] if row["hanh_dong"] == "entry.screen")
        == SHOWN_PER_LIST + 40
    )
    from app.privacy import services as privacy

    sections = {s.holder.key: s.data for s in privacy.data_sections(user, limit=SHOWN_PER_LIST + 1)}
    assert len(sections["nhat_ky_hoat_dong"]) == SHOWN_PER_LIST + 1  # read no more than the page shows
