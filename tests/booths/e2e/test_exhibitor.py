"""The exhibitor's journey in a real browser: on a phone, sign in, find "Đăng ký gian hàng" on the
event page, fill the form by its labels with a photo and submit; the organiser (desktop) accepts it;
the exhibitor sees "Đã được nhận" and the passes, opens a pass's ticket (QR visible); the acceptance
mail arrived with every pass's link."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from tests.booths.conftest import jpeg_bytes
from tests.conftest import DESKTOP, PHONE, SCREENSHOT_DIR, assert_accessible_form, assert_fits_width

PASSWORD = "GaoLua2024"


def setup_world(app) -> str:
    from app.accounts import services as accounts
    from app.booths.models import BoothType, Exhibition
    from app.events import services
    from app.extensions import db
    from app.localtime import utcnow
    from tests.factories import event_data

    with app.app_context():
        organiser, _ = accounts.create_user(
            "btc@example.vn", "organiser", password=PASSWORD, full_name="Trần Thu Hà"
        )
        accounts.create_user("mai@htx.vn", "applicant", password=PASSWORD, full_name="Phạm Thị Mai")
        event = services.create_event(organiser, event_data("ngay-hoi-kndmst-2024", "Ngày hội KNĐMST 2024"))
        now = utcnow()
        db.session.add_all(
            [
                Exhibition(
                    event_id=event.id,
                    opens_at=now - timedelta(days=1),
                    closes_at=now + timedelta(hours=20),
                    is_open=True,
                    exhibitor_rules="Mang theo sản phẩm mẫu, giấy chứng nhận OCOP (nếu có).",
                ),
                BoothType(
                    event_id=event.id,
                    name="Gian tiêu chuẩn",
                    size="3 m × 3 m",
                    count=10,
                    provides=["table", "chairs", "power"],
                    provides_note="1 bàn, 2 ghế, 1 ổ cắm",
                    passes=2,
                    position=1,
                ),
            ]
        )
        db.session.commit()
        return event.slug


def sign_in(page, base, email):
    page.goto(base + "/tai-khoan/dang-nhap")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def test_exhibitor_applies_on_a_phone_and_receives_passes(browser, live_server, tmp_path):
    slug = setup_world(live_server.app)
    base = live_server.url
    photo = tmp_path / "nuoc-mam-sa-huynh.jpg"
    photo.write_bytes(jpeg_bytes((800, 600)))
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    shots = {"n": 0}

    def shoot(page, step):
        shots["n"] += 1
        page.screenshot(
            path=str(SCREENSHOT_DIR / f"booth_exhibitor-{shots['n']:02d}-{step}.png"), full_page=True
        )

    phone = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", **PHONE)
    desk = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", **DESKTOP)
    try:
        page = phone.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, base, "mai@htx.vn")
        page.goto(f"{base}/su-kien/{slug}")
        expect(page.get_by_role("heading", name="Gian hàng trưng bày")).to_be_visible()
        shoot(page, "event-page")
        assert_fits_width(page)
        page.get_by_role("link", name="Đăng ký gian hàng").click()
        expect(page.get_by_role("heading", name="Phiếu đăng ký")).to_be_visible()
        assert_accessible_form(page)
        page.get_by_label("Tên doanh nghiệp, hợp tác xã hoặc hộ kinh doanh").fill("HTX Nước mắm Sa Huỳnh")
        page.get_by_label("Loại hình").select_option(label="Hợp tác xã")
        page.get_by_label("Mã số thuế (nếu có)").fill("4300 123 456")
        page.get_by_label("Lĩnh vực").fill("Thực phẩm")
        page.get_by_label("Sản phẩm sẽ trưng bày").fill("Nước mắm truyền thống Sa Huỳnh, OCOP 4 sao")
        page.get_by_label("Sản phẩm OCOP (hạng sao cao nhất)").select_option(label="4 sao")
        page.get_by_label("Số điện thoại di động").fill("0905 111 222")
        page.get_by_label("Loại gian hàng").select_option(label="Gian tiêu chuẩn")
        page.get_by_label("Bàn").check()
        page.get_by_label("Điện 220 V").check()
        page.get_by_label("Ảnh sản phẩm hoặc gian hàng").set_input_files(str(photo))
        page.get_by_label("Tôi đồng ý để Ban tổ chức xử lý thông tin đăng ký tham dự").check()
        shoot(page, "form-filled")
        assert_fits_width(page)
        page.get_by_role("button", name="Gửi đăng ký").click()
        expect(page.get_by_text("Đã lưu hồ sơ đăng ký gian hàng.")).to_be_visible()
        expect(page.get_by_text("Chờ xét duyệt").first).to_be_visible()
        expect(page.get_by_role("img", name="Ảnh 1 của HTX Nước mắm Sa Huỳnh")).to_be_visible()
        shoot(page, "submitted")
        assert_fits_width(page)

        # The organiser, on a desktop, accepts it.
        office = desk.new_page()
        office.set_default_timeout(10_000)
        sign_in(office, base, "btc@example.vn")
        office.goto(f"{base}/su-kien/quan-ly/{slug}/gian-hang/ho-so")
        office.get_by_label("Tìm đơn vị, người liên hệ, điện thoại, sản phẩm").fill("nuoc mam sa huynh")
        office.get_by_role("button", name="Lọc").click()
        office.get_by_role("link", name="HTX Nước mắm Sa Huỳnh").click()
        expect(office.get_by_role("img", name="Ảnh 1 của HTX Nước mắm Sa Huỳnh")).to_be_visible()
        assert_accessible_form(office)
        office.get_by_label("Nhận – cấp thẻ gian hàng").check()
        office.get_by_role("button", name="Lưu quyết định và gửi email").click()
        expect(office.get_by_text("Đã cập nhật: Đã được nhận.")).to_be_visible()
        shoot(office, "organiser-accepted")

        # The exhibitor sees the decision and the passes, and opens a pass's ticket.
        page.goto(base + "/")
        page.get_by_role("link", name="Gian hàng của tôi").first.click()
        page.get_by_role("link", name="Ngày hội KNĐMST 2024").click()
        expect(page.get_by_text("Đã được nhận").first).to_be_visible()
        expect(page.get_by_role("link", name="Mở vé thẻ 2")).to_be_visible()
        shoot(page, "accepted-passes")
        assert_fits_width(page)
        page.get_by_role("link", name="Mở vé thẻ 1").click()
        qr = page.get_by_role("img", name="Mã QR")
        expect(qr.first).to_be_visible()
        assert qr.first.evaluate("img => img.naturalWidth") > 0
        expect(page.get_by_text("Gian hàng").first).to_be_visible()
        shoot(page, "pass-ticket")
        assert_fits_width(page)

        with live_server.app.app_context():
            from app.mail.services import outbox

            mails = [m for m in outbox() if m["To"] == "mai@htx.vn"]
        assert len(mails) == 1
        body = mails[0].get_content()
        assert "đã được NHẬN" in body
        assert body.count(base + "/ve/") == 2  # one mail lists both passes' tickets
    finally:
        phone.close()
        desk.close()
