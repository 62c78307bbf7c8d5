"""One JSON line per request in `kndmst.request`: what it holds, what it never holds, the request id."""

from __future__ import annotations

import re

import pytest

from app.observability.hooks import request_id_from

HEX32 = re.compile(r"[0-9a-f]{32}")


def test_a_line_names_the_route_not_the_path_and_keeps_no_secret(client, log_lines, event, register):
    attendee = register(event, name="Lê Thị Bí Mật", phone="0905111222")
    code = attendee.active_ticket.code
    response = client.get(f"/ve/{code}?email=le.thi.bi.mat@example.vn&token=abc123SECRET")
    assert response.status_code == 200
    [line] = log_lines("kndmst.request")
    assert line["route"] == "/ve/<code>"
    assert line["method"] == "GET" and line["status"] == 200
    assert line["user_id"] is None and line["client"] == "127.0.0.1"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert set(line) == {
        "time",
        "request_id",
        "method",
        "route",
        "status",
        "duration_ms",
        "user_id",
        "client",
    }
    raw = str(line)
    for secret in (code, "abc123SECRET", "le.thi.bi.mat", "Bí Mật", "905111222", "?"):
        assert secret not in raw


def test_a_signed_in_request_carries_the_user_id_and_never_the_session_key(
    app, client, log_lines, make_user, login
):
    user = make_user("an@example.vn")
    login("an@example.vn")
    client.get("/tai-khoan/ho-so")
    line = log_lines("kndmst.request")[-1]
    assert line["route"] == "/tai-khoan/ho-so" and line["status"] == 200
    assert line["user_id"] == user.id
    # Flask-Login's id for this user is "id:version:session key": only the id may reach the log.
    cookie = client.get_cookie("session")
    session = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    session_key = session["_user_id"].split(":")[2]
    assert len(session_key) > 20 and session_key not in str(log_lines("kndmst.request"))


def test_an_unknown_address_is_logged_without_its_path(client, log_lines):
    client.get("/khong-co-trang-nay/0905123456")
    [line] = log_lines("kndmst.request")
    assert line["route"] is None and line["status"] == 404
    assert "0905123456" not in str(line)


def test_static_files_are_not_logged(client, log_lines):
    assert client.get("/static/css/app.css").status_code == 200
    assert log_lines("kndmst.request") == []


def test_a_sane_request_id_from_the_proxy_is_passed_through(client, log_lines):
    nginx_id = "4f1c2a9be07d4c1f8e3a5b6c7d8e9f00"
    response = client.get("/healthz", headers={"X-Request-ID": nginx_id})
    assert response.headers["X-Request-ID"] == nginx_id
    assert log_lines("kndmst.request")[0]["request_id"] == nginx_id


@pytest.mark.parametrize(
    "header",
    [
        "",
        "short",
        "x" * 129,
        "có dấu tiếng Việt",
        "a b c d e f g h",
        "<script>alert(1)</script>",
        "-leading-dash",
    ],
)
def test_a_missing_or_odd_request_id_is_replaced_by_a_new_one(client, log_lines, header):
    response = client.get("/healthz", headers={"X-Request-ID": header} if header else {})
    given = response.headers["X-Request-ID"]
    assert HEX32.fullmatch(given)
    assert log_lines("kndmst.request")[0]["request_id"] == given


def test_every_request_gets_its_own_id():
    assert request_id_from(None) != request_id_from(None)
    assert request_id_from("req-2026.03.14:gate-A") == "req-2026.03.14:gate-A"


def test_a_request_refused_before_any_view_is_still_logged_with_its_id(client, log_lines):
    # CSRF refuses the post in a before_request hook; the line and the id are there all the same.
    response = client.post(
        "/tai-khoan/dang-nhap", data={"email": "a@b.vn"}, headers={"X-Request-ID": "abcdef0123456789"}
    )
    assert response.status_code == 400
    assert response.headers["X-Request-ID"] == "abcdef0123456789"
    [line] = log_lines("kndmst.request")
    assert line["status"] == 400 and line["route"] == "/tai-khoan/dang-nhap" and line["method"] == "POST"
    assert line["request_id"] == "abcdef0123456789"


def test_a_server_error_is_logged_with_status_500(fresh_app, log_lines):
    @fresh_app.get("/hong")
    def broken():
        raise RuntimeError("lỗi thử")

    response = fresh_app.test_client().get("/hong")
    assert response.status_code == 500
    assert HEX32.fullmatch(response.headers["X-Request-ID"])
    [line] = log_lines("kndmst.request")
    assert line["route"] == "/hong" and line["status"] == 500
