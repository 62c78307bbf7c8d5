"""The Sở's organiser opens the system page on a phone and a desktop: the chart is drawn, the table
is there, the period can be changed, nothing overflows the screen."""

from __future__ import annotations

from playwright.sync_api import expect

from app.accounts import services as accounts
from tests.conftest import assert_accessible_form, assert_fits_width


def test_system_page_on_phone_and_desktop(live_server, page, shoot):
    with live_server.app.app_context():
        accounts.create_user(
            "btc@example.vn", "organiser", password="GaoLua2024", full_name="Trần Thị Thu Hà"
        )
    base = live_server.url
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{base}/tai-khoan/dang-nhap")
    page.get_by_label("Email").fill("btc@example.vn")
    page.get_by_label("Mật khẩu").fill("GaoLua2024")
    page.get_by_role("main").get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(lambda url: "/dang-nhap" not in url)
    for _ in range(3):
        page.request.get(f"{base}/healthz")

    page.goto(f"{base}/quan-tri/so-lieu-he-thong")
    expect(page.get_by_role("heading", name="Số liệu hệ thống", level=1)).to_be_visible()
    expect(page.get_by_role("img", name="Theo từng phút, 3 giờ qua")).to_have_attribute("data-drawn", "1")
    table = page.get_by_role("table", name="Bảng theo phút (mới nhất trước)")
    expect(table.get_by_role("row")).to_have_count(181)  # the header and 180 minutes
    expect(page.get_by_role("link", name="3 giờ qua")).to_have_attribute("aria-current", "page")
    assert_fits_width(page)
    assert_accessible_form(page)
    assert errors == [], errors  # no CSP violation, no script error
    shoot("three-hours")

    page.get_by_role("link", name="1 giờ qua").click()
    expect(table.get_by_role("row")).to_have_count(61)
    expect(page.get_by_role("img", name="Theo từng phút, 1 giờ qua")).to_have_attribute("data-drawn", "1")
    assert_fits_width(page)
    shoot("one-hour")
