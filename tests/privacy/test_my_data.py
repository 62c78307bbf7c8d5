"""The person's data rights (SPEC §7) through HTTP: see, download, withdraw, request deletion; and the
staff queue with due dates, limited to Sở staff."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from app.contests import services as contests
from app.extensions import db
from app.privacy import services
from app.privacy.models import DataRequest
from tests.conftest import csrf_from, submit
from tests.contests.conftest import (  # noqa: F401 (fixtures)
    ALL_CONSENTS,
    make_contest,
    make_entry,
    organiser,
    person,
)


@pytest.fixture
def applicant_with_entry(make_user, make_contest, login):  # noqa: F811 (imported fixture)
    user = make_user("nhung@example.vn", name="Lê Thị Hồng Nhung")
    contest = make_contest()
    contests.start_entry(
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
    contest = contests.manageable_contests(make_user("so@example.vn", roles=("organiser",)))[0]
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


def test_staff_carry_out_a_deletion_request(client, make_user, make_contest, make_entry, login, outbox):  # noqa: F811
    from app.contests.models import Entry, TeamMember

    user = make_user("xoa@example.vn", name="Bùi Thị Xuân")
    contest = make_contest()
    led = make_entry(contest, leader=user, submit=True)
    other = make_entry(contest, members=[person("Bùi Thị Xuân", email="xoa@example.vn")])
    path = contests.file_path(led.files[0])
    assert path.is_file()
    row = services.file_data_request(user, "deletion")
    make_user("so@example.vn", roles=("organiser",))
    login("so@example.vn")
    response = submit(
        client, f"/du-lieu-ca-nhan/hang-doi/{row.id}/an-danh", {}, page="/du-lieu-ca-nhan/hang-doi"
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(DataRequest, row.id).status == "done"
    names = {
        m.full_name for m in db.session.query(TeamMember).filter(TeamMember.entry_id.in_([led.id, other.id]))
    }
    assert "Bùi Thị Xuân" not in names and contests.ERASED_NAME in names
    erased = db.session.query(TeamMember).filter_by(full_name=contests.ERASED_NAME).all()
    assert len(erased) == 2 and all(not (m.email or m.phone or m.birth_date) for m in erased)
    assert db.session.get(Entry, led.id).files == [] and not path.exists()
    assert db.session.get(Entry, led.id).code  # the entry itself (code, counts) stays
    assert "ẩn danh" in outbox[-1].get_content() and outbox[-1]["To"] == "xoa@example.vn"
    staff = make_user("so2@example.vn", roles=("organiser",))
    assert (
        contests.search_entries(staff, contests.EntryFilters(query="bui thi xuan", status="submitted"))[1]
        == 0
    )
