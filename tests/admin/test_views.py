"""Admin pages: only admins get in; roles change through the UI and are audited."""

import pytest

from app.accounts.models import Role
from tests.conftest import submit

ADMIN_PAGES = ["/quan-tri/nguoi-dung", "/quan-tri/nhat-ky/"]


@pytest.mark.parametrize("role", ["applicant", "judge", "organiser", "checkin_staff"])
def test_non_admins_get_403(client, make_user, login, role):
    user = make_user("an@example.vn", roles=("applicant", role))
    login("an@example.vn")
    for path in [*ADMIN_PAGES, f"/quan-tri/nguoi-dung/{user.id}"]:
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Không có quyền truy cập" in response.get_data(as_text=True)
    assert client.post(f"/quan-tri/nguoi-dung/{user.id}", data={"roles": ["admin"]}).status_code in (400, 403)


def test_anonymous_is_sent_to_login(client):
    response = client.get("/quan-tri/nguoi-dung")
    assert response.status_code == 302 and "/tai-khoan/dang-nhap" in response.headers["Location"]


def test_admin_lists_searches_and_changes_roles(client, make_user, login):
    admin = make_user("admin@example.vn", roles=("admin",), name="Phạm Quốc Huy")
    target = make_user("binh@example.vn", name="Trần Thị Bình")
    login("admin@example.vn")
    html = client.get("/quan-tri/nguoi-dung?q=binh").get_data(as_text=True)
    assert f'/quan-tri/nguoi-dung/{target.id}">Trần Thị Bình' in html
    assert f"/quan-tri/nguoi-dung/{admin.id}" not in html
    response = submit(
        client, f"/quan-tri/nguoi-dung/{target.id}", {"roles": ["judge", "checkin_staff"], "active": "y"}
    )
    assert response.status_code == 302
    assert target.roles == {Role.APPLICANT, Role.JUDGE, Role.CHECKIN}
    log = client.get("/quan-tri/nhat-ky/?hanh_dong=user.set_roles").get_data(as_text=True)
    assert "user.set_roles" in log and "admin@example.vn" in log
    assert client.get("/quan-tri/nguoi-dung/999999").status_code == 404


def test_admin_cannot_demote_themselves(client, make_user, login):
    admin = make_user("admin@example.vn", roles=("admin",))
    login("admin@example.vn")
    response = submit(client, f"/quan-tri/nguoi-dung/{admin.id}", {"roles": ["judge"], "active": "y"})
    assert response.status_code == 409
    assert "không thể tự bỏ quyền quản trị" in response.get_data(as_text=True)


def test_admin_creates_staff_account_who_gets_a_set_password_mail(client, make_user, login, outbox):
    make_user("admin@example.vn", roles=("admin",))
    login("admin@example.vn")
    bad = submit(
        client,
        "/quan-tri/nguoi-dung/moi",
        {"full_name": "Võ Lan", "email": "sai", "role": "checkin_staff"},
        page="/quan-tri/nguoi-dung",
    )
    assert bad.status_code == 422 and "Địa chỉ email không hợp lệ." in bad.get_data(as_text=True)
    ok = submit(
        client,
        "/quan-tri/nguoi-dung/moi",
        {"full_name": "Võ Thị Lan", "email": "lan@example.vn", "role": "checkin_staff"},
        page="/quan-tri/nguoi-dung",
    )
    assert ok.status_code == 302
    assert outbox[-1]["To"] == "lan@example.vn" and "/dat-lai-mat-khau/" in outbox[-1].get_content()
