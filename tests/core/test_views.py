"""Public pages, health check, error pages, security headers, language switch."""

import re

import pytest
from sqlalchemy.exc import OperationalError

from tests.conftest import submit


def test_home_is_vietnamese(client):
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Khởi nghiệp đổi mới sáng tạo tỉnh Quảng Ngãi" in html
    # Nothing loaded from a CDN (the attributes that load things; a random CSRF token may spell "cdn").
    loaded = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert loaded and not [
        url for url in loaded if "cdn" in url.lower() or url.startswith(("http:", "https:", "//"))
    ]


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok" and response.json["database"] == "ok"


def test_healthz_reports_a_dead_database_as_503(client, monkeypatch):
    from app.extensions import db

    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json["database"] == "unreachable"


def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_flags(client, make_user):
    make_user("an@example.vn")
    response = submit(client, "/tai-khoan/dang-nhap", {"email": "an@example.vn", "password": "GaoLua2024"})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize(
    ("method", "path", "status", "title"),
    [
        ("get", "/khong-ton-tai", 404, "Không tìm thấy trang"),
        ("post", "/", 405, "Phương thức không được phép"),
        ("get", "/quan-tri/nguoi-dung", 302, None),  # anonymous → login
    ],
)
def test_error_pages_are_friendly_vietnamese(client, method, path, status, title):
    response = getattr(client, method)(path)
    assert response.status_code == status
    if title:
        html = response.get_data(as_text=True)
        assert title in html and "Về trang chủ" in html


def test_400_413_429_500_pages(fresh_app):
    from flask import abort

    app, client = fresh_app, fresh_app.test_client()

    @app.get("/_test/boom")
    def boom():
        raise RuntimeError("kaboom")

    @app.get("/_test/<int:code>")
    def raise_code(code):
        abort(code)

    for code, title in [
        (400, "Yêu cầu không hợp lệ"),
        (403, "Không có quyền truy cập"),
        (413, "Tệp hoặc dữ liệu quá lớn"),
        (429, "Quá nhiều yêu cầu"),
    ]:
        response = client.get(f"/_test/{code}")
        assert response.status_code == code
        assert title in response.get_data(as_text=True)
    response = client.get("/_test/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Lỗi hệ thống" in html and "kaboom" not in html


def test_too_large_upload_is_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/tai-khoan/dang-nhap", data={"email": "x" * 5000})
    assert response.status_code == 413
    assert "vượt quá dung lượng" in response.get_data(as_text=True)


def test_api_paths_get_json_errors(client):
    response = client.get("/api/v1/khong-co")
    assert response.status_code == 404
    assert response.is_json and response.json["error"] == "404"


def test_language_switch_to_english_and_back(client):
    submit(client, "/ngon-ngu", {"lang": "en", "next": "/"}, page="/")
    html = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in html
    assert ">Log in</a>" in html and "Innovative startups in Quảng Ngãi" in html
    signup = client.get("/tai-khoan/dang-ky").get_data(as_text=True)
    assert ">Full name</label>" in signup
    assert submit(client, "/ngon-ngu", {"lang": "xx"}, page="/").status_code == 400
    submit(client, "/ngon-ngu", {"lang": "vi", "next": "//evil.example"}, page="/")
    assert 'lang="vi"' in client.get("/").get_data(as_text=True)


def test_help_pages(client):
    assert client.get("/tro-giup").status_code == 200
    assert "Quên mật khẩu" in client.get("/tro-giup/tai-khoan").get_data(as_text=True)
    assert client.get("/tro-giup/khong-co").status_code == 404


def test_every_help_topic_renders_with_its_title(client):
    from app.core.views import HELP_TOPICS

    index = client.get("/tro-giup").get_data(as_text=True)
    for slug, title in HELP_TOPICS.items():
        response = client.get(f"/tro-giup/{slug}")
        assert response.status_code == 200, slug
        html = response.get_data(as_text=True)
        assert f"<h1>{title}</h1>" in html, slug
        assert html.count("<h1>") == 1, f"{slug}: the page says its title once"
        assert f"/tro-giup/{slug}" in index


def test_production_refuses_default_secret_key(monkeypatch):
    from config import load_config

    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        load_config("production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.delenv("BASE_URL", raising=False)
    # Every link in mail and every QR code is built from BASE_URL: production needs it set.
    with pytest.raises(RuntimeError, match="BASE_URL"):
        load_config("production")
    monkeypatch.setenv("BASE_URL", "https://kndmst.quangngai.gov.vn/")
    settings = load_config("production")
    assert settings.SESSION_COOKIE_SECURE is True
    assert settings.BASE_URL == "https://kndmst.quangngai.gov.vn"


def test_suite_runs_on_the_configured_backend(app):
    import os

    from app.extensions import db

    expected = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgresql") else "sqlite"
    assert db.engine.dialect.name == expected
