"""Browser journeys on a 360-px phone: the scanner page opens from a cold start with no network
(service worker), an offline scan shows the name from the ticket list kept on the device, a second
scan there says already checked in, and after the network is back the queue syncs and the scan the
server answered differently is listed; plus the fixes found at 360 px (camera above the result,
the group's confirmation with its count, a mistyped code kept, today's events first)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import CHROMIUM_ARGS, PHONE, SCREENSHOT_DIR, assert_accessible_form, assert_fits_width
from tests.events.e2e.test_scanner import browser_executable, login, scene, write_y4m  # noqa: F401

pytestmark = pytest.mark.e2e


@pytest.fixture
def phone(browser, scene, tmp_path):  # noqa: F811 — scene is the imported fixture
    """A 360×740 phone whose fake camera shows the first attendee's ticket."""
    video = tmp_path / "ticket.y4m"
    write_y4m(scene["png"], video)
    chromium = browser.browser_type.launch(
        executable_path=browser_executable(),
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    context = chromium.new_context(
        locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", permissions=["camera"], **PHONE
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
    chromium.close()


def shot(page, name: str) -> None:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / f"events-offline-phone-{name}.png"))


def add_attendee(live_server, slug, name, phone, group=""):
    from app.events import permissions, registration

    with live_server.app.test_request_context(base_url=live_server.url):
        event = permissions.get_event(slug)
        attendee = registration.register_attendee(
            event,
            {"full_name": name, "phone": phone, "category": "Thí sinh", "group_name": group},
            {"process_registration": True},
        )
        return attendee.active_ticket.code


def checkin_elsewhere(live_server, slug, code, gate="Cổng A"):
    """Another gate's phone, online, checks a ticket in through the API with its device token."""
    from app.events import checkin, permissions, services

    with live_server.app.test_request_context():
        _row, token = services.create_device_token(None, permissions.get_event(slug), f"Máy {gate}")
        scope = checkin.scope_for_device(slug, token)
        return checkin.record_checkin(scope, code, gate=gate)


def standing_checkins(live_server):
    from app.events.models import Checkin
    from app.extensions import db

    with live_server.app.app_context():
        rows = db.session.execute(
            select(Checkin.attendee_id, Checkin.gate, Checkin.undone_at, Checkin.undo_reason).order_by(
                Checkin.id
            )
        ).all()
        db.session.remove()
    return rows


def test_cold_start_offline_scan_duplicate_and_sync_conflicts(phone, live_server, scene):  # noqa: F811
    page = phone
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    second = add_attendee(live_server, scene["slug"], "Trần Văn Bình", "0905999888")
    login(page, live_server, "tnv@example.vn")
    page.goto(live_server.url + f"/su-kien/{scene['slug']}/quet-ve")
    page.get_by_label("Điểm quét").select_option("Cổng B")
    # Loaded once online: the service worker controls the page and the ticket list is on the device.
    page.wait_for_function(
        "navigator.serviceWorker.ready.then(() => !!navigator.serviceWorker.controller)", polling=200
    )
    expect(page.get_by_text(re.compile(r"Danh sách vé trên máy: 2 vé"))).to_be_visible()

    # Cold start with no network: the page still opens (from the worker's cache) and works.
    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", name=re.compile("Quét vé"))).to_be_visible()
    expect(page.get_by_text("Mất mạng – lượt quét được lưu trên máy")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Danh sách vé trên máy: 2 vé"))).to_be_visible()
    assert_fits_width(page)

    # The fake camera shows the first ticket: valid, with the name, from the list on the device …
    page.get_by_role("button", name="Bật camera").click()
    result = page.get_by_role("status").filter(has_text=re.compile("Hợp lệ|Đã check-in|Sẵn sàng"))
    expect(page.get_by_role("status", name="Kết quả quét")).to_contain_text("Hợp lệ – mời vào (ngoại tuyến)")
    expect(page.get_by_role("status", name="Kết quả quét")).to_contain_text("Nguyễn Thị Hồng")
    shot(page, "01-offline-ok")
    # … and the same code read again on this device: already checked in, here.
    expect(page.get_by_role("status", name="Kết quả quét")).to_contain_text(
        "Đã check-in (trên máy này, lúc", timeout=20_000
    )
    shot(page, "02-offline-duplicate")
    page.get_by_role("button", name="Tắt camera").click()
    assert result.count() >= 1

    # Meanwhile, online elsewhere: gate A checks in the second guest, and (later than our scan) the first.
    assert checkin_elsewhere(live_server, scene["slug"], second)["result"] == "ok"
    assert checkin_elsewhere(live_server, scene["slug"], scene["code"])["result"] == "ok"
    # Offline here the list (downloaded before) still says the second guest is not in: "valid".
    page.get_by_label("Mã vé (máy quét USB hoặc gõ tay)").fill(second)
    page.get_by_role("button", name="Kiểm tra").click()
    expect(page.get_by_role("status", name="Kết quả quét")).to_contain_text("Trần Văn Bình")
    expect(page.get_by_role("status", name="Lượt quét chờ gửi")).to_have_text("2 lượt quét đang chờ gửi")

    # Back online: the queue syncs. Our first scan was the earliest, so it stands (gate A's is undone);
    # the second guest was in before our scan: that difference is listed with the server's answer.
    page.context.set_offline(False)
    expect(page.get_by_role("status", name="Lượt quét chờ gửi")).to_have_text("")
    differences = page.get_by_role("region", name="Khác biệt sau đồng bộ")
    expect(differences).to_be_visible()
    expect(differences).to_contain_text("Trần Văn Bình")
    expect(differences).to_contain_text("Máy chủ: Đã check-in trước đó – lần đầu")
    expect(differences).to_contain_text("Cổng A")
    expect(differences).not_to_contain_text("Nguyễn Thị Hồng")
    differences.scroll_into_view_if_needed()
    shot(page, "03-synced-differences")
    rows = standing_checkins(live_server)
    standing = [(gate, reason) for _a, gate, undone, reason in rows if undone is None]
    assert sorted(g for g, _ in standing) == ["Cổng A", "Cổng B"]  # Bình at A; Hồng at B (earliest)
    assert any(reason == "Lượt quét ngoại tuyến sớm hơn tại Cổng B" for *_x, reason in rows)

    # The list stays until dismissed.
    page.get_by_role("button", name="Đã xem, ẩn danh sách").click()
    expect(differences).to_be_hidden()
    assert errors == []


def test_scanner_fixes_at_360px(phone, live_server, scene):  # noqa: F811
    page = phone
    from app.events import permissions, services

    for name, number in (
        ("Lê Thị Một", "0905000001"),
        ("Lê Thị Hai", "0905000002"),
        ("Lê Thị Ba", "0905000003"),
    ):
        add_attendee(live_server, scene["slug"], name, number, group="Đoàn Sơn Tịnh")
    with live_server.app.test_request_context():
        from app.accounts.models import User
        from app.extensions import db
        from app.localtime import utcnow

        organiser = db.session.scalar(select(User).where(User.email == "btc@example.vn"))
        soon = utcnow() + timedelta(days=3)
        later = services.create_event(
            organiser,
            {
                "name": "Chợ phiên khởi nghiệp thanh niên",
                "slug": "cho-phien",
                "starts_at": soon,
                "ends_at": soon + timedelta(hours=5),
                "categories": ["Khách tham quan"],
                "gates": ["Cổng chính"],
            },
        )
        services.assign_staff(organiser, later, "tnv@example.vn")
        permissions.get_event(scene["slug"])
        db.session.remove()

    # /quet-ve: today's event first, one link each.
    login(page, live_server, "tnv@example.vn")
    page.goto(live_server.url + "/quet-ve")
    links = page.get_by_role("link", name=re.compile("Ngày hội KNĐMST 2024|Chợ phiên"))
    expect(links).to_have_count(2)
    assert links.nth(0).inner_text() == "Ngày hội KNĐMST 2024"
    assert_fits_width(page)
    shot(page, "10-index")
    links.nth(0).click()
    assert_accessible_form(page)

    # The camera preview sits above the result, and both are on screen while the camera runs.
    page.get_by_role("button", name="Bật camera").click()
    expect(page.get_by_role("status", name="Kết quả quét")).to_contain_text("Nguyễn Thị Hồng")
    video = page.locator("video").bounding_box()
    card = page.get_by_role("status", name="Kết quả quét").bounding_box()
    assert video["y"] + video["height"] <= card["y"]
    assert card["y"] + card["height"] <= 740, card
    shot(page, "11-camera-above-result")
    page.get_by_role("button", name="Tắt camera").click()

    # A mistyped code: refused, and kept in the box for correction.
    box = page.get_by_label("Mã vé (máy quét USB hoặc gõ tay)")
    box.fill("abc-123-sai")
    page.get_by_role("button", name="Kiểm tra").click()
    expect(page.get_by_role("status", name="Kết quả quét")).to_contain_text("Mã vé không hợp lệ")
    assert box.input_value() == "abc-123-sai"
    shot(page, "12-typed-code-kept")

    # The whole group: a confirmation with the count first.
    page.get_by_label("Đoàn", exact=True).select_option(label="Đoàn Sơn Tịnh (3)")
    page.get_by_role("button", name="Check-in cả đoàn").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Check-in 3 người của đoàn “Đoàn Sơn Tịnh”?")
    shot(page, "13-group-confirm")
    dialog.get_by_role("button", name="Không, quay lại").click()
    expect(dialog).to_be_hidden()
    assert len(standing_checkins(live_server)) == 1  # only Hồng, by the camera
    page.get_by_role("button", name="Check-in cả đoàn").click()
    page.get_by_role("dialog").get_by_role("button", name="Xác nhận check-in").click()
    expect(page.get_by_role("status", name="Kết quả quét")).to_contain_text("check-in 3 người")
    assert len(standing_checkins(live_server)) == 4
