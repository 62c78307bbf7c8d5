"""Issue 9's cross-cutting defects, each reproduced through HTTP as an attacker or a careless user
would send it: links from the Host header, one address locking everyone out behind the proxy, control
characters, logout that did not end the session, the open redirect, caching of personal pages."""

from __future__ import annotations

import importlib
import inspect
import io
import pkgutil
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

import app as app_package
from app.accounts import services as account_services
from app.accounts.models import LoginAttempt
from app.audit.models import AuditEvent
from app.errors import Invalid
from app.extensions import db
from app.forms import Form
from tests.conftest import IsolatedClient, build_app, csrf_from, submit

ROOT = Path(__file__).resolve().parent.parent
EVIL = "http://evil.example"
EXTERNAL = re.compile(r"(?<![a-z])_external\s*=")


def link_hosts(body: str) -> set[str]:
    return set(re.findall(r"https?://([^/\s]+)/", body))


# --- 1. links in mail come from BASE_URL ---------------------------------------------------------


def test_reset_and_verification_mail_ignore_the_host_header(app, client, outbox, make_user):
    app.config["BASE_URL"] = "https://kndmst.example.vn"
    make_user("an@example.vn")
    page = client.get("/tai-khoan/quen-mat-khau", base_url=EVIL).get_data(as_text=True)
    client.post(
        "/tai-khoan/quen-mat-khau",
        data={"email": "an@example.vn", "csrf_token": csrf_from(page)},
        base_url=EVIL,
    )
    body = outbox[-1].get_content()
    assert "https://kndmst.example.vn/tai-khoan/dat-lai-mat-khau/" in body
    assert link_hosts(body) == {"kndmst.example.vn"}

    page = client.get("/tai-khoan/dang-ky", base_url=EVIL).get_data(as_text=True)
    client.post(
        "/tai-khoan/dang-ky",
        data={
            "full_name": "Lê Thị Bình",
            "email": "binh@example.vn",
            "phone": "0905 111 222",
            "password": "GaoLua2024",
            "password_confirm": "GaoLua2024",
            "csrf_token": csrf_from(page),
        },
        base_url=EVIL,
    )
    body = outbox[-1].get_content()
    assert "/tai-khoan/xac-nhan/" in body and link_hosts(body) == {"kndmst.example.vn"}


def test_no_template_or_module_builds_links_from_the_request_host():
    # The class of defect: `url_for(..., _external=True)` takes the host from the request.
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("app", "templates")
        for path in (ROOT / folder).rglob("*")
        if path.suffix in {".py", ".html", ".txt"} and EXTERNAL.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "use app.urls.absolute_url (BASE_URL) instead: " + ", ".join(offenders)


def test_untrusted_hosts_are_refused_when_configured(database_url, tmp_path):
    trusted = build_app(database_url, tmp_path, TRUSTED_HOSTS=["kndmst.example.vn"])
    client = trusted.test_client()
    assert client.get("/", base_url="https://kndmst.example.vn").status_code == 200
    assert client.get("/", base_url=EVIL).status_code == 400


# --- 2. the client's address behind the proxy ----------------------------------------------------


@pytest.fixture
def proxied(database_url, tmp_path):
    app = build_app(database_url, tmp_path, PROXY_FIX_X_FOR=1, RATELIMIT_ENABLED=True)
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        db.session.remove()


def _forwarded(ip: str) -> dict:
    return {"X-Forwarded-For": ip}


def test_rate_limits_count_each_client_behind_the_proxy(proxied):
    client = proxied.test_client()
    page = client.get("/tai-khoan/quen-mat-khau").get_data(as_text=True)
    token = csrf_from(page)
    answers = [
        client.post(
            "/tai-khoan/quen-mat-khau",
            data={"email": f"x{i}@example.vn", "csrf_token": token},
            headers=_forwarded("203.0.113.7"),
        ).status_code
        for i in range(11)
    ]
    assert answers[:10] == [200] * 10 and answers[10] == 429
    # Another person behind the same nginx is not affected.
    other = client.post(
        "/tai-khoan/quen-mat-khau",
        data={"email": "y@example.vn", "csrf_token": token},
        headers=_forwarded("198.51.100.9"),
    )
    assert other.status_code == 200


def test_failed_logins_behind_the_proxy_never_lock_out_a_correct_password(proxied, monkeypatch):
    proxied.config["RATELIMIT_ENABLED"] = False
    monkeypatch.setattr(account_services.time, "sleep", lambda _s: None)
    account_services.create_user("an@example.vn", "applicant", password="GaoLua2024")
    client = proxied.test_client()
    token = csrf_from(client.get("/tai-khoan/dang-nhap").get_data(as_text=True))
    for i in range(25):
        wrong = client.post(
            "/tai-khoan/dang-nhap",
            data={"email": f"doan{i}@example.vn", "password": "SaiMatKhau1", "csrf_token": token},
            headers=_forwarded("203.0.113.7"),
        )
        assert wrong.status_code == 401
    assert {a.ip for a in db.session.scalars(select(LoginAttempt))} == {"203.0.113.7"}
    for ip in ("198.51.100.9", "203.0.113.7"):  # someone else, and even the guesser's address
        fresh = proxied.test_client()
        token = csrf_from(fresh.get("/tai-khoan/dang-nhap").get_data(as_text=True))
        ok = fresh.post(
            "/tai-khoan/dang-nhap",
            data={"email": "an@example.vn", "password": "GaoLua2024", "csrf_token": token},
            headers=_forwarded(ip),
        )
        assert ok.status_code == 302, ip
    assert db.session.scalar(select(AuditEvent.ip).where(AuditEvent.action == "user.login").limit(1))


def test_forwarded_for_is_ignored_without_a_configured_proxy(client, make_user, monkeypatch):
    make_user("an@example.vn")
    submit_login = client.get("/tai-khoan/dang-nhap").get_data(as_text=True)
    client.post(
        "/tai-khoan/dang-nhap",
        data={"email": "an@example.vn", "password": "Sai12345a", "csrf_token": csrf_from(submit_login)},
        headers=_forwarded("203.0.113.7"),
    )
    assert db.session.scalar(select(LoginAttempt.ip)) == "127.0.0.1"


# --- 3. control characters -------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "shown"), [("Lê\x00 Thị Bình", "U+0000"), ("Lê Thị \u202eBình", "U+202E")])
def test_a_control_or_bidi_character_is_a_field_error_and_the_rest_is_kept(client, name, shown):
    page = client.get("/tai-khoan/dang-ky").get_data(as_text=True)
    response = client.post(
        "/tai-khoan/dang-ky",
        data={
            "full_name": name,
            "email": "binh@example.vn",
            "phone": "0905 111 222",
            "password": "GaoLua2024",
            "password_confirm": "GaoLua2024",
            "csrf_token": csrf_from(page),
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert shown in html and "binh@example.vn" in html


def test_every_store_refuses_controls_even_outside_forms(app, make_user):
    user = make_user("an@example.vn")
    with pytest.raises(Invalid) as error:
        user.full_name = "An\x00"
    assert error.value.field == "full_name"
    user.full_name = "Nguye\u0302\u0303n Văn An"  # NFD from an iPhone is stored NFC
    db.session.commit()
    assert user.full_name == "Nguyễn Văn An"


@pytest.mark.parametrize("path", ["/quan-tri/nguoi-dung?q=%00", "/cuoc-thi?q=a%00b", "/?x=%1b"])
def test_control_characters_in_the_query_string_are_a_clear_4xx(client, make_user, login, path):
    make_user("admin@example.vn", roles=("admin",))
    login("admin@example.vn")
    response = client.get(path)
    assert response.status_code == 422
    assert "ký tự không hợp lệ" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path", ["/su-kien/%00", "/ve/ab%00cd", "/cuoc-thi/x%1by", "/api/v1/events/%00/stats"]
)
def test_control_characters_in_the_path_are_not_found(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/cham-diem/quan-ly/vong/99999999999999999999999",
        "/quan-ly/cuoc-thi/%C2%B2",  # "²": str.isdigit() says yes, int() says no
        "/quan-tri/nguoi-dung/99999999999999999999999",
    ],
)
def test_huge_or_odd_numbers_in_the_path_are_not_found(client, make_user, login, path):
    make_user("admin@example.vn", roles=("admin", "organiser"))
    login("admin@example.vn")
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("page", ["99999999999999999999999", "%C2%B2", "-3", "abc"])
@pytest.mark.parametrize("path", ["/quan-tri/nguoi-dung", "/quan-tri/nhat-ky/", "/du-lieu-ca-nhan/hang-doi"])
def test_page_numbers_of_any_shape_show_a_page(client, make_user, login, path, page):
    make_user("admin@example.vn", roles=("admin",))
    login("admin@example.vn")
    assert client.get(f"{path}?trang={page}").status_code == 200


def test_every_form_class_uses_the_cleaning_base():
    for module in pkgutil.walk_packages(app_package.__path__, "app."):
        if module.name.endswith(".forms"):
            importlib.import_module(module.name)
    from flask_wtf import FlaskForm

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    forgotten = [
        f"{c.__module__}.{c.__name__}"
        for c in subclasses(FlaskForm)
        if c.__module__.startswith("app.") and c is not Form and not issubclass(c, Form)
    ]
    assert forgotten == []
    assert inspect.getsourcefile(Form).endswith("app/forms.py")


# --- 5. logout ends the session server-side -------------------------------------------------------


def test_logout_kills_copied_session_and_remember_cookies(app, client, make_user):
    make_user("an@example.vn")
    page = client.get("/tai-khoan/dang-nhap").get_data(as_text=True)
    client.post(
        "/tai-khoan/dang-nhap",
        data={
            "email": "an@example.vn",
            "password": "GaoLua2024",
            "remember": "y",
            "csrf_token": csrf_from(page),
        },
    )
    session_cookie = client.get_cookie("session").value
    remember_cookie = client.get_cookie("remember_token").value
    assert client.get("/tai-khoan/ho-so").status_code == 200

    thief = app.test_client()
    thief.set_cookie("session", session_cookie)
    assert thief.get("/tai-khoan/ho-so").status_code == 200  # a copied cookie works while logged in

    token = csrf_from(client.get("/tai-khoan/ho-so").get_data(as_text=True))
    assert client.post("/tai-khoan/dang-xuat", data={"csrf_token": token}).status_code == 302

    for cookies in ({"session": session_cookie}, {"remember_token": remember_cookie}):
        stale = app.test_client()
        for name, value in cookies.items():
            stale.set_cookie(name, value)
        response = stale.get("/tai-khoan/ho-so")
        assert response.status_code == 302 and "/tai-khoan/dang-nhap" in response.headers["Location"], cookies


def test_logging_out_one_device_keeps_the_others(app, make_user):
    make_user("an@example.vn")
    phone, laptop = app.test_client(), app.test_client()
    for device in (phone, laptop):
        submit(device, "/tai-khoan/dang-nhap", {"email": "an@example.vn", "password": "GaoLua2024"})
    token = csrf_from(laptop.get("/tai-khoan/ho-so").get_data(as_text=True))
    laptop.post("/tai-khoan/dang-xuat", data={"csrf_token": token})
    assert laptop.get("/tai-khoan/ho-so").status_code == 302
    assert phone.get("/tai-khoan/ho-so").status_code == 200


# --- 6. no open redirect ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.com",
        "/\n/evil.com",
        "//evil.com",
        "/\\evil.com",
        "https://evil.com",
        "javascript:alert(1)",
        "/%09/evil.com",
        " /x",
        "/ok\r\nSet-Cookie: a=b",
    ],
)
def test_language_switch_never_redirects_off_site(client, target):
    token = csrf_from(client.get("/").get_data(as_text=True))
    response = client.post("/ngon-ngu", data={"lang": "en", "next": target, "csrf_token": token})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location in ("/", "/%09/evil.com"), location


def test_language_switch_keeps_a_local_next(client):
    token = csrf_from(client.get("/").get_data(as_text=True))
    response = client.post("/ngon-ngu", data={"lang": "en", "next": "/cuoc-thi?trang=2", "csrf_token": token})
    assert response.headers["Location"] == "/cuoc-thi?trang=2"


@pytest.mark.parametrize("target", ["/\t/evil.com", "//evil.com", "/\\evil.com", "https://evil.com"])
def test_login_next_is_checked_the_same_way(client, make_user, target):
    make_user("an@example.vn")
    page = client.get("/tai-khoan/dang-nhap").get_data(as_text=True)
    response = client.post(
        "/tai-khoan/dang-nhap",
        query_string={"next": target},
        data={"email": "an@example.vn", "password": "GaoLua2024", "csrf_token": csrf_from(page)},
    )
    assert response.headers["Location"] == "/bai-du-thi"  # the applicant's page: the target is ignored


# --- 10. smaller ones -------------------------------------------------------------------------------


def test_admin_user_search_folds_accents_and_takes_wildcards_literally(client, make_user, login):
    make_user("admin@example.vn", roles=("admin",), name="Quản Trị Viên")
    make_user("an@example.vn", name="Nguyễn Văn An")
    make_user("x_y@example.vn", name="Trần Thị Bích")
    login("admin@example.vn")

    def found(q: str) -> set[str]:
        html = client.get("/quan-tri/nguoi-dung", query_string={"q": q}).get_data(as_text=True)
        return set(re.findall(r"[\w.]+@example\.vn", html)) - {"admin@example.vn"}

    assert found("nguyen van") == {"an@example.vn"}
    assert found("Nguye\u0302\u0303n") == {"an@example.vn"}  # NFD typed
    assert found("%") == set() and found("_") == {"x_y@example.vn"}
    assert found("0905") == set()


def test_pages_with_personal_data_are_never_cached(client, make_user, login):
    make_user("an@example.vn")
    login("an@example.vn")
    assert client.get("/tai-khoan/ho-so").headers["Cache-Control"] == "private, no-store"
    assert "no-store" not in client.get("/static/css/app.css").headers.get("Cache-Control", "")


def _zip(members: int) -> bytes:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w/>")
        for i in range(members):
            archive.writestr(f"x/{i}", "")
    return stream.getvalue()


def test_a_zip_with_too_many_members_is_not_a_document():
    from app.contests.files import MAX_ZIP_MEMBERS, sniff_bytes

    assert sniff_bytes(_zip(10)) == "docx"
    assert sniff_bytes(_zip(MAX_ZIP_MEMBERS + 1)) is None


def test_guest_template_writes_typed_categories_as_text():
    from app.spreadsheet.reader import template_bytes

    data = template_bytes(
        ["Họ và tên", "Loại khách"],
        examples=[("An", "=1+1")],
        notes=['=HYPERLINK("http://evil.example")'],
        choices={"Loại khách": ["=1+1", "Thí sinh"]},
    )
    workbook = load_workbook(io.BytesIO(data))
    cells = [c for ws in workbook for row in ws.iter_rows() for c in row if c.value]
    risky = [c for c in cells if str(c.value).startswith("=")]
    assert len(risky) == 3
    assert all(c.data_type == "s" and c.quotePrefix for c in risky)


def test_wtforms_own_messages_are_vietnamese_and_english_on_the_english_site(app):
    from werkzeug.datastructures import MultiDict
    from wtforms import DateField, IntegerField, StringField
    from wtforms.validators import DataRequired, Length

    class Sample(Form):
        class Meta:
            csrf = False

        count = IntegerField("Số lượng")
        day = DateField("Ngày")
        name = StringField("Tên", validators=[DataRequired(), Length(max=3)])

    data = MultiDict({"count": "mười", "day": "31/02/2024", "name": "Phạm"})
    with app.test_request_context():
        form = Sample(formdata=data)
        form.validate()
        assert form.errors == {
            "count": ["Vui lòng nhập một số nguyên."],
            "day": ["Ngày không hợp lệ (ngày/tháng/năm)."],
            "name": ["Không được dài quá 3 ký tự."],
        }
    with app.test_request_context():
        from flask import session
        from flask_babel import refresh

        session["lang"] = "en"
        refresh()
        form = Sample(formdata=data)
        form.validate()
        assert form.errors["count"] == ["Not a valid integer value."]
