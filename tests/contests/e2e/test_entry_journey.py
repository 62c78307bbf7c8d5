"""Browser journey on a phone and a desktop: sign up → create an entry with two members and a PDF →
save draft → submit → see the code; then an organiser finds it (accent-free search) and screens it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from playwright.sync_api import expect

from app.contests import services
from app.localtime import to_local, utcnow
from tests.conftest import assert_accessible_form, assert_fits_width
from tests.contests.conftest import COMMUNE, PDF


def setup_contest(app):
    with app.app_context():
        from app.accounts import services as accounts

        organiser, _ = accounts.create_user(
            "bantochuc@example.vn", "organiser", password="ToChuc2024x", full_name="Trần Thị Thu Hà"
        )
        today = to_local(utcnow()).date()
        contest = services.create_contest(
            organiser,
            services.ContestData(
                name="Cuộc thi tìm kiếm ý tưởng khởi nghiệp 2026",
                slug="y-tuong-2026",
                year=today.year,
                code_prefix="KN26",
                opens_local=datetime.combine(today - timedelta(days=5), datetime.min.time()),
                closes_local=datetime.combine(today + timedelta(days=20), datetime.min.time()).replace(
                    hour=23, minute=59
                ),
                fields=["Nông nghiệp công nghệ cao", "Du lịch, dịch vụ", "Khác"],
                tracks=[("Bảng Ý tưởng", None), ("Bảng Dự án", 5)],
                slots=[services.SlotSpec("thuyet-minh", "Bản thuyết minh ý tưởng", ["pdf", "docx"], 5, True)],
                form_fields={"problem": "required", "solution": "optional"},
                team_min=3,
                team_max=5,
            ),
        )
        return contest.slug


def mail_link(live_server, marker):
    with live_server.app.app_context():
        from app.mail.services import outbox

        body = outbox()[-1].get_content()
    return live_server.url + re.search(rf"https?://[^/\s]+(/tai-khoan/{marker}/\S+)", body).group(1)


def add_member(page, name, phone, born):
    page.get_by_role("link", name="Thêm thành viên").click()
    assert_accessible_form(page)
    page.get_by_label("Họ và tên").fill(name)
    page.get_by_label("Số điện thoại di động").fill(phone)
    page.get_by_label("Ngày sinh").fill(born)
    page.get_by_label("Giới tính").select_option("nu")
    page.get_by_label("Xã/phường (từ 01/7/2025)").select_option(COMMUNE)
    page.get_by_role("button", name="Lưu thành viên").click()
    expect(page.get_by_text("Đã lưu thông tin thành viên.")).to_be_visible()


def test_entry_journey_then_screening(page, live_server, shoot, tmp_path):
    setup_contest(live_server.app)
    pdf = tmp_path / "Thuyết minh ý tưởng.pdf"
    pdf.write_bytes(PDF)
    base = live_server.url

    # Sign up and verify the email.
    page.goto(base + "/tai-khoan/dang-ky")
    page.get_by_label("Họ và tên").fill("Phạm Thị Ngọc Ánh")
    page.get_by_label("Email").fill("anh@example.vn")
    page.get_by_label("Số điện thoại di động").fill("0905 246 810")
    page.get_by_label("Mật khẩu", exact=True).fill("MiQuang2024")
    page.get_by_label("Nhập lại mật khẩu").fill("MiQuang2024")
    page.get_by_role("button", name="Đăng ký").click()
    page.goto(mail_link(live_server, "xac-nhan"))
    page.get_by_label("Email").fill("anh@example.vn")
    page.get_by_label("Mật khẩu").fill("MiQuang2024")
    page.get_by_role("button", name="Đăng nhập").click()

    # The home page lists the open contest; register an entry.
    page.goto(base + "/")
    page.get_by_role("link", name="Cuộc thi tìm kiếm ý tưởng khởi nghiệp 2026").first.click()
    shoot("contest")
    assert_fits_width(page)
    page.get_by_role("link", name="Đăng ký dự thi").click()
    assert_accessible_form(page)
    page.get_by_label("Tên ý tưởng/dự án").fill("Mì Quảng khô đóng gói cho du khách")
    page.get_by_label("Bảng thi").select_option(label="Bảng Ý tưởng")
    page.get_by_label("Ngày sinh").fill("1998-07-21")
    page.get_by_label("Giới tính").select_option("nu")
    page.get_by_label("Đơn vị/trường/tổ chức").fill("Hội LHPN xã An Phú")
    page.get_by_label("Xã/phường (từ 01/7/2025)").select_option(COMMUNE)
    shoot("start-form")
    page.get_by_role("button", name="Tạo bản nháp").click()
    expect(page.get_by_text("Bạn cần đánh dấu ô đồng ý này").first).to_be_visible()  # required box left empty
    assert page.get_by_label("Tên ý tưởng/dự án").input_value() == "Mì Quảng khô đóng gói cho du khách"
    page.locator("#consent_process_entry").check()
    page.get_by_role("button", name="Tạo bản nháp").click()
    expect(page.get_by_text("Đã tạo bản nháp")).to_be_visible()

    # Fill the dossier, attach the PDF, save the draft.
    page.get_by_label("Lĩnh vực").select_option("Du lịch, dịch vụ")
    page.get_by_label("Tóm tắt ý tưởng").fill(
        "Mì Quảng sấy khô kèm gói nước dùng, làm quà cho khách du lịch."
    )
    page.get_by_label("Vấn đề cần giải quyết").fill("Du khách muốn mang đặc sản về nhưng mì tươi nhanh hỏng.")
    page.get_by_label("Bản thuyết minh ý tưởng").set_input_files(str(pdf))
    page.get_by_label("Tôi cam đoan").check()
    assert_accessible_form(page)
    page.get_by_role("button", name="Lưu nháp").click()
    expect(page.get_by_text("Đã lưu.")).to_be_visible()
    expect(page.get_by_text("Thuyết minh ý tưởng.pdf").first).to_be_visible()
    shoot("draft-saved")
    assert_fits_width(page)

    add_member(page, "Nguyễn Văn Bảo", "0912 345 678", "2000-02-29")
    add_member(page, "Lê Thị Cúc", "0935 111 222", "1999-12-31")
    shoot("members")

    page.get_by_role("link", name="Kiểm tra và nộp bài").click()
    expect(page.get_by_text("Hồ sơ đã đủ điều kiện")).to_be_visible()
    page.get_by_role("button", name="Nộp bài").click()
    expect(page.get_by_text("Đã nộp bài thành công. Mã hồ sơ của bạn: KN26-0001")).to_be_visible()
    assert page.locator(".entry-code").first.inner_text() == "KN26-0001"
    shoot("submitted")
    assert_fits_width(page)
    page.get_by_role("button", name="Đăng xuất").click()

    # The organiser finds it without diacritics and screens it.
    page.goto(base + "/tai-khoan/dang-nhap")
    page.get_by_label("Email").fill("bantochuc@example.vn")
    page.get_by_label("Mật khẩu").fill("ToChuc2024x")
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("link", name="Hồ sơ dự thi").click()
    page.get_by_label("Tìm (mã, tên ý tưởng").fill("mi quang pham thi")
    page.get_by_role("button", name="Lọc").click()
    shoot("organiser-list")
    assert_fits_width(page)
    page.get_by_role("link", name="Mì Quảng khô đóng gói cho du khách").click()
    expect(page.get_by_text("hồ sơ đáp ứng các điều kiện")).to_be_visible()
    page.get_by_label("Hợp lệ", exact=True).check()
    page.get_by_label("Lý do / ghi chú").fill("Đủ hồ sơ theo thể lệ.")
    page.get_by_role("button", name="Ghi kết quả và thông báo cho thí sinh").click()
    expect(page.get_by_text("Đã ghi kết quả thẩm định: Hợp lệ")).to_be_visible()
    shoot("screened")
    assert_fits_width(page)
    with live_server.app.app_context():
        from app.mail.services import outbox

        assert "Kết quả: Hợp lệ" in outbox()[-1].get_content()
