"""The Sở's system page (who sees it, what it shows) and `/metrics` (the token rules, the figures)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.events import checkin
from app.extensions import db
from app.localtime import to_local, utcnow
from app.mail.models import MailFailure

PAGE = "/quan-tri/so-lieu-he-thong"
TOKEN = "m3tr1cs-" + "x" * 40


@pytest.fixture
def people(make_user, co_organised, event, staff):
    """Every kind of signed-in person, by e-mail."""
    make_user("thisinh@example.vn")
    make_user("giamkhao@example.vn", roles=("judge",))
    make_user("admin@example.vn", roles=("admin",))
    return {
        "applicant": "thisinh@example.vn",
        "judge": "giamkhao@example.vn",
        "co_organiser": "tinhdoan@example.vn",  # organises one contest only
        "staff": "tnv@example.vn",  # check-in staff of the event
        "organiser": "btc@example.vn",  # Sở staff
        "admin": "admin@example.vn",
    }


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/tai-khoan/dang-nhap" in response.headers["Location"]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("applicant", 403),
        ("judge", 403),
        ("co_organiser", 403),
        ("staff", 403),
        ("organiser", 200),
        ("admin", 200),
    ],
)
def test_only_the_sos_organisers_and_admins_see_the_page(client, login, people, who, status):
    login(people[who])
    response = client.get(PAGE)
    assert response.status_code == status
    if status == 403:
        assert "Số liệu hệ thống" not in response.get_data(as_text=True)


def test_the_page_counts_requests_errors_and_checkins_per_minute(
    client, login, people, event, register, device_scope
):
    for n in range(3):
        ticket = register(event, phone=f"090522233{n}").active_ticket
        assert checkin.record_checkin(device_scope, ticket.code, gate="Cổng A")["result"] == "ok"
    login(people["organiser"])
    for _ in range(4):
        client.get("/healthz")
    html = client.get(PAGE).get_data(as_text=True)
    assert "Số liệu hệ thống" in html
    now = to_local(utcnow())
    # The table: one row per minute, newest first (3 hours = 180 rows), this minute's check-ins.
    rows = re.findall(r"<tr(?: class=\"metrics-alert\")?><th scope=\"row\">(\d\d:\d\d \d\d/\d\d)</th>", html)
    assert len(rows) == 180
    assert rows[0] in {f"{now:%H:%M %d/%m}", f"{now - timedelta(minutes=1):%H:%M %d/%m}"}
    cells = re.findall(
        r'<td class="num">([\d.]+)</td><td class="num">([\d.]+)</td><td class="num">([\d.]+)</td>', html
    )
    assert sum(int(c[2]) for c in cells) == 3  # check-ins
    # login (GET + POST) + 4 × healthz (the page counts itself once it has answered)
    assert sum(int(c[0]) for c in cells) == 6
    assert sum(int(c[1]) for c in cells) == 0
    assert "data-chart=" in html and "vendor/chartjs/chart.umd.min.js" in html


def test_the_period_can_be_chosen_and_anything_else_falls_back(client, login, people):
    login(people["admin"])
    html = client.get(PAGE + "?gio=1").get_data(as_text=True)
    assert len(re.findall(r'<th scope="row">', html)) == 60
    for odd in ("999999999999", "-3", "abc", "1.5", "%F0%9F%98%80", "3" * 5000):
        response = client.get(f"{PAGE}?gio={odd}")
        assert response.status_code == 200
        assert len(re.findall(r'<th scope="row">', response.get_data(as_text=True))) == 180


def test_the_page_links_to_the_mail_failures(client, login, people):
    db.session.add(MailFailure(email="a@b.vn", subject="Vé", message=b"x", error="550", attempts=1))
    db.session.commit()
    login(people["organiser"])
    html = client.get(PAGE).get_data(as_text=True)
    assert "/quan-tri/thu-khong-gui-duoc" in html


# --- /metrics -------------------------------------------------------------------------------------


def test_metrics_do_not_exist_without_a_token_setting(app, client):
    app.config["METRICS_TOKEN"] = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer wrong",
        f"Basic {TOKEN}",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        TOKEN,
    ],
)
def test_metrics_need_the_right_bearer_token(app, client, authorization):
    app.config["METRICS_TOKEN"] = TOKEN
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "kndmst_" not in response.get_data(as_text=True)


def metric(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} ([0-9.e+]+)$", text, re.MULTILINE)
    assert match, f"{name} not in the scrape"
    return float(match.group(1))


def test_metrics_count_requests_by_route_and_read_the_platform_state(
    app, client, event, register, device_scope
):
    app.config["METRICS_TOKEN"] = TOKEN
    auth = {"Authorization": f"bearer {TOKEN}"}  # the scheme is case-insensitive
    before = client.get("/metrics", headers=auth).get_data(as_text=True)
    healthz = 'kndmst_http_requests_total{method="GET",route="/healthz",status="200"}'
    start = metric(before, healthz) if healthz in before else 0.0
    for _ in range(3):
        client.get("/healthz")
    ticket = register(event).active_ticket
    checkin.record_checkin(device_scope, ticket.code)
    db.session.add(MailFailure(email="a@b.vn", subject="Vé", message=b"x", error="550", attempts=1))
    db.session.commit()
    response = client.get("/metrics", headers=auth)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    text = response.get_data(as_text=True)
    assert metric(text, healthz) == start + 3
    assert 'kndmst_http_request_duration_seconds_bucket{le="0.5",route="/healthz"}' in text
    assert metric(text, "kndmst_checkins_total") == 1
    assert metric(text, "kndmst_mail_failures") == 1
    assert metric(text, 'kndmst_jobs{status="failed"}') == 0
    assert metric(text, "kndmst_task_queue_length") == 0
    assert ticket.code not in text and "_created" not in text
