"""Account pages through the Flask test client: validation messages, statuses, CSRF, enumeration."""

import re

from app.accounts.models import User
from app.extensions import db
from tests.conftest import submit

SIGNUP = "/tai-khoan/dang-ky"
LOGIN = "/tai-khoan/dang-nhap"
GOOD = {
    "full_name": "Trần Thị Bình",
    "email": "binh@example.vn",
    "phone": "0987 654 321",
    "password": "LuaGao2024",
    "password_confirm": "LuaGao2024",
}


def link_in(message, marker):
    return re.search(rf"(/tai-khoan/{marker}/\S+)", message.get_content()).group(1)


def test_signup_page_renders_in_vietnamese_with_labels(client):
    html = client.get(SIGNUP).get_data(as_text=True)
    assert 'lang="vi"' in html
    for label in ["Họ và tên", "Email", "Số điện thoại di động", "Mật khẩu", "Nhập lại mật khẩu"]:
        assert f">{label}</label>" in html


def test_signup_missing_fields_get_vietnamese_field_errors_and_keep_input(client):
    response = submit(
        client, SIGNUP, {"full_name": "", "email": "binh@example.vn", "phone": "", "password": ""}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Vui lòng nhập họ và tên." in html
    assert "Vui lòng nhập số điện thoại di động." in html
    assert "Vui lòng nhập mật khẩu." in html
    assert 'value="binh@example.vn"' in html  # nothing typed is lost
    assert 'aria-invalid="true"' in html


def test_signup_bad_phone_and_weak_password(client):
    html = submit(client, SIGNUP, {**GOOD, "phone": "0212345678"}).get_data(as_text=True)
    assert "Số điện thoại di động không hợp lệ" in html
    response = submit(client, SIGNUP, {**GOOD, "password": "12345678", "password_confirm": "12345678"})
    assert response.status_code == 422
    assert "Mật khẩu phải có cả chữ và số." in response.get_data(as_text=True)
    html = submit(client, SIGNUP, {**GOOD, "password_confirm": "khac2024x"}).get_data(as_text=True)
    assert "Hai mật khẩu không khớp nhau." in html


def test_signup_duplicate_email_in_other_case(client, make_user):
    make_user("binh@example.vn")
    response = submit(client, SIGNUP, {**GOOD, "email": "BINH@Example.vn"})
    assert response.status_code == 422
    assert "Email này đã được dùng để đăng ký" in response.get_data(as_text=True)
    assert db.session.query(User).count() == 1


def test_signup_html_in_name_is_refused_and_rendered_inert(client):
    response = submit(client, SIGNUP, {**GOOD, "full_name": "<script>alert(1)</script>"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_full_signup_verify_login_profile_flow(client, outbox):
    response = submit(client, SIGNUP, GOOD)
    assert response.status_code == 200 and "Hãy kiểm tra hộp thư" in response.get_data(as_text=True)
    response = submit(client, LOGIN, {"email": GOOD["email"], "password": GOOD["password"]})
    assert response.status_code == 403
    assert "chưa được xác nhận" in response.get_data(as_text=True)
    response = client.get(link_in(outbox[0], "xac-nhan"))
    assert response.status_code == 302
    response = submit(client, LOGIN, {"email": "Binh@Example.vn", "password": GOOD["password"]})
    # An applicant with no entry and no open contest lands on "my entries" (it says how to start).
    assert response.status_code == 302 and response.headers["Location"].endswith("/bai-du-thi")
    html = client.get("/tai-khoan/ho-so").get_data(as_text=True)
    assert "Trần Thị Bình" in html and "0987 654 321" in html


def test_login_failure_is_vague_and_throttled_with_429(client, make_user, app):
    make_user("an@example.vn")
    unknown = submit(client, LOGIN, {"email": "ai-do@example.vn", "password": "SaiMatKhau1"})
    wrong = submit(client, LOGIN, {"email": "an@example.vn", "password": "SaiMatKhau1"})
    assert unknown.status_code == wrong.status_code == 401
    assert "Email hoặc mật khẩu không đúng." in unknown.get_data(as_text=True)
    assert "Email hoặc mật khẩu không đúng." in wrong.get_data(as_text=True)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        submit(client, LOGIN, {"email": "an@example.vn", "password": "SaiMatKhau1"})
    throttled = submit(client, LOGIN, {"email": "an@example.vn", "password": "GaoLua2024"})
    assert throttled.status_code == 429
    assert "quá nhiều lần" in throttled.get_data(as_text=True)


def test_forgot_password_answers_the_same_for_unknown_emails(client, make_user, outbox):
    make_user("an@example.vn")
    known = submit(client, "/tai-khoan/quen-mat-khau", {"email": "an@example.vn"})
    unknown = submit(client, "/tai-khoan/quen-mat-khau", {"email": "khong@example.vn"})
    strip = lambda r: re.sub(r'value="[^"]+"', "", r.get_data(as_text=True))  # noqa: E731
    assert known.status_code == unknown.status_code == 200
    assert strip(known) == strip(unknown)
    assert len(outbox) == 1


def test_reset_link_page_expired_and_reused(client, make_user, outbox):
    make_user("an@example.vn")
    submit(client, "/tai-khoan/quen-mat-khau", {"email": "an@example.vn"})
    link = link_in(outbox[0], "dat-lai-mat-khau")
    response = submit(client, link, {"password": "GaoMoi2025x", "password_confirm": "GaoMoi2025x"})
    assert response.status_code == 302
    reused = client.get(link)
    assert reused.status_code == 400 and "đã được sử dụng" in reused.get_data(as_text=True)
    bogus = client.get("/tai-khoan/dat-lai-mat-khau/khong-hop-le")
    assert bogus.status_code == 400 and "không hợp lệ" in bogus.get_data(as_text=True)


def test_csrf_missing_or_wrong_token_is_rejected(client, make_user):
    make_user("an@example.vn")
    no_token = client.post(LOGIN, data={"email": "an@example.vn", "password": "GaoLua2024"})
    assert no_token.status_code == 400
    assert "biểu mẫu không hợp lệ" in no_token.get_data(as_text=True)
    client.get(LOGIN)
    wrong = client.post(LOGIN, data={"email": "an@example.vn", "password": "GaoLua2024", "csrf_token": "x"})
    assert wrong.status_code == 400


def test_logout_is_post_only(client, make_user, login):
    make_user("an@example.vn")
    login("an@example.vn")
    assert client.get("/tai-khoan/dang-xuat").status_code == 405
    html = client.get("/tai-khoan/ho-so").get_data(as_text=True)
    response = client.post(
        "/tai-khoan/dang-xuat",
        data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)},
    )
    assert response.status_code == 302
    assert client.get("/tai-khoan/ho-so").status_code == 302  # back to login


def test_open_redirect_after_login_is_blocked(client, make_user):
    make_user("an@example.vn")
    for target in ["https://evil.example/", "//evil.example/", "/\\evil.example"]:
        client.get("/")
        response = submit(
            client, f"{LOGIN}?next={target}", {"email": "an@example.vn", "password": "GaoLua2024"}, page=LOGIN
        )
        assert response.headers["Location"].endswith("/bai-du-thi"), target  # the role's page, not the target
        client.post("/tai-khoan/dang-xuat", data={"csrf_token": "skip"})
        client.delete_cookie("session")


def test_profile_update_and_bad_phone(client, make_user, login):
    make_user("an@example.vn")
    login("an@example.vn")
    bad = submit(client, "/tai-khoan/ho-so", {"full_name": "Nguyễn Văn An", "phone": "123"})
    assert bad.status_code == 422 and "không hợp lệ" in bad.get_data(as_text=True)
    ok = submit(
        client, "/tai-khoan/ho-so", {"full_name": "Nguyễn Văn Ân", "phone": "+84 35 234 5678"}, follow=True
    )
    assert "Đã lưu thông tin cá nhân." in ok.get_data(as_text=True)
    assert "0352 345 678" in ok.get_data(as_text=True)


def test_change_password_keeps_this_session(client, make_user, login):
    make_user("an@example.vn")
    login("an@example.vn")
    wrong = submit(
        client,
        "/tai-khoan/doi-mat-khau",
        {"current_password": "sai", "new_password": "GaoMoi2025x", "new_password_confirm": "GaoMoi2025x"},
    )
    assert wrong.status_code == 422 and "Mật khẩu hiện tại không đúng." in wrong.get_data(as_text=True)
    ok = submit(
        client,
        "/tai-khoan/doi-mat-khau",
        {
            "current_password": "GaoLua2024",
            "new_password": "GaoMoi2025x",
            "new_password_confirm": "GaoMoi2025x",
        },
    )
    assert ok.status_code == 302
    assert client.get("/tai-khoan/ho-so").status_code == 200
