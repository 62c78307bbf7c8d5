"""Browser journeys: the scanner page with Chromium's fake camera showing a real ticket QR (✔, then
⚠ with the first time and gate, undo, an offline scan queued across a reload and synced), and an
attendee registering on a phone and getting a ticket, then the organiser's live counts."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.conftest import CHROMIUM_ARGS, DESKTOP, PHONE, assert_accessible_form, assert_fits_width

PASSWORD = "GaoLua2024"


def write_y4m(png: bytes, path) -> None:
    """One 640×480 frame (light grey, the QR in the middle) in the YUV4MPEG2 format Chromium loops."""
    qr = Image.open(io.BytesIO(png)).convert("RGB")
    qr.thumbnail((300, 300))  # inside the central 2/3 that qr-scanner examines
    frame = Image.new("RGB", (640, 480), (225, 225, 225))
    frame.paste(qr, ((640 - qr.width) // 2, (480 - qr.height) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    cb, cr = cb.resize((320, 240)), cr.resize((320, 240))
    with open(path, "wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        out.write(b"FRAME\n" + y.tobytes() + cb.tobytes() + cr.tobytes())


@pytest.fixture
def scene(live_server):
    """An event, its check-in volunteer and one registered attendee, in the live server's database."""
    from datetime import timedelta

    from app.accounts import services as accounts
    from app.events import registration, services
    from app.localtime import utcnow

    with live_server.app.test_request_context(base_url=live_server.url):
        organiser, _ = accounts.create_user(
            "btc@example.vn", "organiser", password=PASSWORD, full_name="Trần Thu Hà"
        )
        volunteer, _ = accounts.create_user(
            "tnv@example.vn", "checkin_staff", password=PASSWORD, full_name="Võ Thị Lan"
        )
        now = utcnow()
        event = services.create_event(
            organiser,
            {
                "name": "Ngày hội KNĐMST 2024",
                "slug": "ngay-hoi-kndmst-2024",
                "venue": "Quảng trường Phạm Văn Đồng",
                "starts_at": now - timedelta(hours=1),
                "ends_at": now + timedelta(hours=7),
                "categories": ["Khách tham quan", "Thí sinh", "Báo chí"],
                "gates": ["Cổng A", "Cổng B"],
            },
        )
        services.assign_staff(organiser, event, volunteer.email)
        attendee = registration.register_attendee(
            event,
            {"full_name": "Nguyễn Thị Hồng", "phone": "0905123456", "category": "Thí sinh", "group_name": ""},
            {"process_registration": True},
        )
        code = attendee.active_ticket.code
        url = registration.ticket_url(code)
        from app.events import tickets

        png = tickets.qr_png(url)
        slug = event.slug
    return {"slug": slug, "code": code, "url": url, "png": png}


@pytest.fixture(params=["phone", "desktop"])
def camera_page(request, browser, scene, tmp_path):
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
            "--autoplay-policy=no-user-gesture-required",
        ],
    )
    options = PHONE if request.param == "phone" else DESKTOP
    context = chromium.new_context(
        locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", permissions=["camera"], **options
    )
    page = context.new_page()
    page.viewport_name = request.param
    page.set_default_timeout(15_000)
    yield page
    context.close()
    chromium.close()


def browser_executable() -> str:
    import os

    return os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def shot(page, request, step: str) -> None:
    from tests.conftest import SCREENSHOT_DIR

    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(SCREENSHOT_DIR / f"events-scanner-{page.viewport_name}-{step}.png"), full_page=True
    )


def active_checkins(live_server):
    from app.events.models import Checkin
    from app.extensions import db

    with live_server.app.app_context():
        rows = db.session.execute(select(Checkin.gate, Checkin.undone_at).order_by(Checkin.id)).all()
        count = db.session.scalar(
            select(func.count()).select_from(Checkin).where(Checkin.undone_at.is_(None))
        )
        db.session.remove()
    return count, rows


def login(page, live_server, email):
    page.goto(live_server.url + "/tai-khoan/dang-nhap")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()


def test_scanner_camera_undo_and_offline_queue(camera_page, live_server, scene, request):
    page = camera_page
    logs = []
    page.on("console", lambda m: logs.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: logs.append(f"pageerror: {e}"))
    request.node.console_logs = logs
    login(page, live_server, "tnv@example.vn")
    page.get_by_role("link", name="Quét vé").first.click()
    page.get_by_role("link", name="Ngày hội KNĐMST 2024").click()
    expect(page.get_by_role("heading", name=re.compile("Quét vé"))).to_be_visible()
    assert_accessible_form(page)
    assert_fits_width(page)
    page.get_by_label("Điểm quét").select_option("Cổng B")
    shot(page, request, "01-ready")

    # The fake camera shows the attendee's ticket QR: checked in, ✔.
    page.get_by_role("button", name="Bật camera").click()
    result = page.get_by_role("status", name="Kết quả quét")
    try:
        page.wait_for_selector("#result.ok")
    except Exception:
        shot(page, request, "debug")
        raise AssertionError(f"{page.locator('#camera-message').inner_text()} {logs}") from None
    assert "Hợp lệ" in result.inner_text() and "Nguyễn Thị Hồng" in result.inner_text()
    shot(page, request, "02-ok")

    # The same code is still in front of the camera: the next read says ⚠ with the first time and gate.
    try:
        page.wait_for_selector("#result.warn", timeout=20_000)
    except Exception:
        shot(page, request, "debug2")
        state = page.evaluate(
            "(() => { const v = document.querySelector('video'); return [v.paused, v.currentTime, v.readyState, v.videoWidth]; })()"
        )
        raise AssertionError(f"{state} {result.inner_text()} {logs}") from None
    warning = result.inner_text()
    assert "Đã check-in trước đó" in warning
    assert re.search(r"Lần đầu: \d\d:\d\d:\d\d \d\d/\d\d/\d{4} – Cổng B – Võ Thị Lan", warning), warning
    page.get_by_role("button", name="Tắt camera").click()
    shot(page, request, "03-already")
    assert active_checkins(live_server)[0] == 1

    # Undo (reason required) from the last scans.
    page.get_by_role("button", name="Huỷ check-in của Nguyễn Thị Hồng").first.click()
    page.get_by_role("button", name="Xác nhận huỷ").click()
    expect(page.get_by_text("Vui lòng ghi lý do")).to_be_visible()
    page.get_by_label("Lý do (bắt buộc)").fill("Quét nhầm – khách quay ra cổng")
    shot(page, request, "04-undo-dialog")
    page.get_by_role("button", name="Xác nhận huỷ").click()
    page.wait_for_selector("#recent li.undone")
    assert "Đã huỷ check-in" in result.inner_text()
    assert active_checkins(live_server)[0] == 0

    # Network cut: the scan (as a USB scanner types it, URL + newline) is queued on the device; the
    # ticket list kept on the device (refreshed after the undo) shows who it is.
    expect(page.get_by_text(re.compile(r"Danh sách vé trên máy: 1 vé"))).to_be_visible()
    page.context.set_offline(True)
    page.wait_for_selector(".net-offline")
    page.get_by_label("Mã vé (máy quét USB hoặc gõ tay)").fill(scene["url"])
    page.keyboard.press("Enter")
    page.wait_for_selector("#result.ok")
    assert "ngoại tuyến" in result.inner_text() and "Nguyễn Thị Hồng" in result.inner_text()
    expect(page.get_by_role("status", name="Lượt quét chờ gửi")).to_have_text("1 lượt quét đang chờ gửi")
    shot(page, request, "05-offline-queued")

    # Kept across a reload while the API is still unreachable.
    page.route("**/api/v1/**", lambda route: route.abort())
    page.context.set_offline(False)
    page.reload()
    expect(page.get_by_role("status", name="Lượt quét chờ gửi")).to_have_text("1 lượt quét đang chờ gửi")
    expect(page.locator("#recent li.queued")).to_have_count(1)
    assert active_checkins(live_server)[0] == 0

    # Back online: the queue syncs by itself and the attendee is checked in again, once.
    page.unroute("**/api/v1/**")
    page.context.set_offline(True)
    page.context.set_offline(False)
    page.wait_for_selector("#recent li.ok")
    expect(page.get_by_role("status", name="Lượt quét chờ gửi")).to_have_text("")
    shot(page, request, "06-synced")
    count, rows = active_checkins(live_server)
    assert count == 1 and len(rows) == 2 and rows[-1].gate == "Cổng B"


def test_register_on_phone_get_ticket_then_live_counts(page, live_server, scene, shoot):
    page.goto(live_server.url + "/")
    shoot("home")
    assert_fits_width(page)
    page.get_by_role("link", name="Đăng ký tham dự").first.click()
    assert_accessible_form(page)
    page.get_by_label("Họ và tên").fill("Lê Văn Tám")
    page.get_by_label("Số điện thoại di động").fill("0912 345 678")
    category = page.get_by_label("Bạn tham dự với tư cách")
    # Press and invited guests are registered by the organisers, not self-service.
    expect(category.locator("option", has_text="Báo chí")).to_have_count(0)
    category.select_option("Thí sinh")
    page.get_by_role("button", name="Đăng ký và nhận vé").click()
    expect(page.get_by_text("Bạn cần đánh dấu ô đồng ý")).to_be_visible()
    assert page.get_by_label("Họ và tên").input_value() == "Lê Văn Tám"
    page.get_by_label(re.compile("xử lý thông tin đăng ký")).check()
    shoot("registration-form")
    page.get_by_role("button", name="Đăng ký và nhận vé").click()
    expect(page.get_by_role("heading", name="Lê Văn Tám")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Mã QR"))).to_be_visible()
    expect(page.get_by_role("link", name="Tải vé (ảnh PNG)")).to_be_visible()
    expect(page.get_by_role("link", name="Tải vé (PDF, in khổ A6)")).to_be_visible()
    assert_fits_width(page)
    shoot("ticket")

    login(page, live_server, "btc@example.vn")
    page.goto(live_server.url + f"/su-kien/{scene['slug']}/so-lieu")
    expect(page.locator("#live-registered")).to_have_text("2")
    from app.events import checkin, permissions, services

    with live_server.app.test_request_context():
        scope = checkin.scope_for_device(
            scene["slug"],
            services.create_device_token(None, permissions.get_event(scene["slug"]), "Máy B")[1],
        )
        checkin.record_checkin(scope, scene["code"], gate="Cổng A")
    expect(page.locator("#live-checked")).to_have_text("1", timeout=15_000)
    expect(page.locator("#live-gates")).to_contain_text("Cổng A")
    assert_fits_width(page)
    shoot("live-counts")

    page.get_by_role("link", name="← Quản lý sự kiện").click()
    expect(page.get_by_role("link", name="Lê Văn Tám")).to_be_visible()
    page.get_by_label("Tên thiết bị").fill("Điện thoại cổng A")
    page.get_by_role("button", name="Tạo mã thiết bị").click()
    expect(page.get_by_text("chỉ hiện một lần")).to_be_visible()
    assert page.locator("code.token").inner_text().startswith("kdt_")
    assert_fits_width(page)
    shoot("manage-event")


def test_search_group_and_walk_in_at_the_desk(page, live_server, scene, shoot):
    from app.events import permissions, registration

    with live_server.app.test_request_context(base_url=live_server.url):
        event = permissions.get_event(scene["slug"])
        for name, phone in (("Trần Văn Đoàn", "0905000111"), ("Phạm Thị Đoàn", "0905000222")):
            registration.register_attendee(
                event,
                {
                    "full_name": name,
                    "phone": phone,
                    "category": "Thí sinh",
                    "group_name": "Đoàn ĐH Phạm Văn Đồng",
                },
                {"process_registration": True},
            )
    login(page, live_server, "tnv@example.vn")
    page.goto(live_server.url + f"/su-kien/{scene['slug']}/quet-ve")

    # Accent-insensitive search, then check-in from the result.
    page.get_by_label("Tên hoặc số điện thoại (gõ không dấu cũng được)").fill("nguyen thi hong")
    page.get_by_role("button", name="Tìm", exact=True).click()
    page.get_by_role("button", name="Check-in Nguyễn Thị Hồng").click()
    expect(page.get_by_role("status", name="Kết quả quét")).to_contain_text("Hợp lệ")
    expect(page.get_by_role("list", name="Tìm người tham dự")).to_contain_text("Đã vào")
    shoot("search-checkin")

    # The whole delegation at once.
    page.get_by_label("Đoàn", exact=True).select_option(label="Đoàn ĐH Phạm Văn Đồng (2)")
    page.get_by_role("button", name="Check-in cả đoàn").click()
    page.get_by_role("dialog").get_by_role("button", name="Xác nhận check-in").click()
    # The previous answer is also "ok": wait for this answer's text, not just the class.
    expect(page.get_by_role("status", name="Kết quả quét")).to_contain_text("check-in 2 người")
    expect(page.get_by_role("status", name="Kết quả quét")).to_have_class(re.compile(r"\bok\b"))

    # A walk-in: consent is required, then ticket + check-in in one go.
    page.get_by_text("Đăng ký tại chỗ (khách chưa có vé)").click()
    page.get_by_label("Họ và tên").fill("Hồ Văn Vãng Lai")
    page.get_by_role("button", name="Đăng ký và check-in").click()
    expect(page.get_by_role("alert").filter(has_text="đồng ý")).to_be_visible()
    page.get_by_label(re.compile("xử lý thông tin đăng ký")).check()
    assert_accessible_form(page)
    page.get_by_role("button", name="Đăng ký và check-in").click()
    expect(page.get_by_role("status", name="Kết quả quét")).to_contain_text("Hồ Văn Vãng Lai")
    expect(page.get_by_role("status", name="Kết quả quét")).to_have_class(re.compile(r"\bok\b"))
    assert_fits_width(page)
    shoot("walk-in")
    count, _rows = active_checkins(live_server)
    assert count == 4
