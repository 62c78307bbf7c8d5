"""The applicant's journey on a phone, found by visible labels only (issue 15): sign up → verify by the
mail's link → land on the open contest → start an entry → download the organisers' template next to
the upload field → fill the dossier and upload → add a member who is too young (warned at once, the
member kept) → fix → "Kiểm tra và nộp bài" → submit → the confirmation says what comes next."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.localtime import to_local, utcnow
from tests.conftest import assert_accessible_form, assert_fits_width
from tests.contests.conftest import COMMUNE, PDF, upload

TEMPLATE = b"%PDF-1.4\n% Mau thuyet minh y tuong\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def setup_contest(app) -> tuple[str, str]:
    """An open contest for 16–35-year-olds, teams of 2–4, with a template on its idea description."""
    from app.accounts import services as accounts
    from app.contests import eligibility, files, services

    with app.app_context():
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
                tracks=[("Bảng Ý tưởng", None)],
                slots=[
                    services.SlotSpec(
                        "thuyet-minh", "Bản thuyết minh ý tưởng (theo mẫu)", ["pdf", "docx"], 5, True
                    )
                ],
                form_fields={"problem": "required"},
                min_age=16,
                max_age=35,
                team_min=2,
                team_max=4,
            ),
        )
        errors = files.update_templates(
            organiser, contest, {"thuyet-minh": upload(TEMPLATE, "Mẫu thuyết minh ý tưởng.pdf")}, set()
        )
        assert errors == {}
        closing = eligibility.closing_date(contest)
        fourteen = closing.replace(year=closing.year - 14)
        return contest.slug, fourteen.isoformat()


def mail_link(live_server, marker: str) -> str:
    from app.mail.services import outbox

    with live_server.app.app_context():
        body = outbox()[-1].get_content()
    return live_server.url + re.search(rf"https?://[^/\s]+(/tai-khoan/{marker}/\S+)", body).group(1)


@pytest.mark.parametrize("page", ["phone"], indirect=True)
def test_applicant_journey_on_a_phone(page, live_server, shoot, tmp_path):
    slug, fourteen = setup_contest(live_server.app)
    dossier = tmp_path / "Thuyết minh Mì Quảng.pdf"
    dossier.write_bytes(PDF)
    base = live_server.url

    # Sign up, then verify with the link the mail carries.
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

    # A new applicant lands on the one open contest, whose page offers the template too.
    expect(page).to_have_url(re.compile(rf"/cuoc-thi/{slug}$"))
    expect(page.get_by_role("heading", name="Cuộc thi tìm kiếm ý tưởng khởi nghiệp 2026")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Tải mẫu"))).to_be_visible()
    shoot("landed-on-contest")
    assert_fits_width(page)
    page.get_by_role("link", name="Đăng ký dự thi").click()
    assert_accessible_form(page)
    page.get_by_label("Tên ý tưởng/dự án").fill("Mì Quảng khô đóng gói cho du khách")
    page.get_by_label("Bảng thi").select_option(label="Bảng Ý tưởng")
    page.get_by_label("Ngày sinh").fill("1998-07-21")
    page.get_by_label("Giới tính").select_option(label="Nữ")
    page.get_by_label("Đơn vị/trường/tổ chức").fill("Hội LHPN xã An Phú")
    page.get_by_label("Xã/phường (từ 01/7/2025)").select_option(COMMUNE)
    page.get_by_label("Tôi đồng ý để Ban tổ chức xử lý dữ liệu cá nhân trong hồ sơ dự thi").check()
    page.get_by_role("button", name="Tạo bản nháp").click()
    expect(page.get_by_text("Đã tạo bản nháp")).to_be_visible()

    # The template sits next to the upload field it belongs to.
    with page.expect_download() as downloading:
        page.get_by_role("link", name=re.compile("^Tải mẫu “Mẫu thuyết minh ý tưởng.pdf”")).click()
    download = downloading.value
    assert download.suggested_filename == "Mẫu thuyết minh ý tưởng.pdf"
    assert Path(download.path()).read_bytes() == TEMPLATE
    shoot("template-next-to-upload")

    page.get_by_label("Lĩnh vực").select_option("Du lịch, dịch vụ")
    page.get_by_label("Tóm tắt ý tưởng").fill("Mì Quảng sấy khô kèm gói nước dùng, làm quà cho du khách.")
    page.get_by_label("Vấn đề cần giải quyết").fill("Du khách muốn mang đặc sản về nhưng mì tươi nhanh hỏng.")
    page.get_by_label("Bản thuyết minh ý tưởng (theo mẫu)").set_input_files(str(dossier))
    page.get_by_label("Tôi cam đoan").check()
    assert_accessible_form(page)
    page.get_by_role("button", name="Lưu nháp").click()
    expect(page.get_by_text("Đã lưu.")).to_be_visible()
    expect(page.get_by_role("link", name="Thuyết minh Mì Quảng.pdf")).to_be_visible()

    # A member who is too young: saved, and warned at once with the rule and why.
    page.get_by_role("link", name="Thêm thành viên").click()
    assert_accessible_form(page)
    page.get_by_label("Họ và tên").fill("Trần Minh Khang")
    page.get_by_label("Số điện thoại di động").fill("0912 345 678")
    page.get_by_label("Ngày sinh").fill(fourteen)
    page.get_by_label("Giới tính").select_option(label="Nam")
    page.get_by_role("button", name="Lưu thành viên").click()
    expect(page.get_by_text("Đã lưu thông tin thành viên.")).to_be_visible()
    rule = "Thành viên Trần Minh Khang 14 tuổi: cuộc thi dành cho người từ 16 đến 35 tuổi"
    expect(page.get_by_role("status").get_by_text(rule)).to_be_visible()  # the message after saving
    expect(page.get_by_role("listitem").filter(has_text=rule).last).to_be_visible()  # and by the name
    expect(page.get_by_text(re.compile(r"Trần Minh Khang chưa đủ 18 tuổi \(14 tuổi\)")).first).to_be_visible()
    shoot("member-too-young")
    assert_fits_width(page)

    # Fix the birth date: the warnings go.
    page.get_by_role("link", name="Sửa Trần Minh Khang").click()
    page.get_by_label("Ngày sinh").fill("2001-03-08")
    page.get_by_role("button", name="Lưu thành viên").click()
    expect(page.get_by_text("Đã lưu thông tin thành viên.")).to_be_visible()
    expect(page.get_by_text(re.compile("Trần Minh Khang (14 tuổi|chưa đủ)"))).to_have_count(0)
    shoot("member-fixed")

    page.get_by_role("link", name="Kiểm tra và nộp bài").click()
    expect(page.get_by_text("Hồ sơ đã đủ điều kiện")).to_be_visible()
    page.get_by_role("button", name="Nộp bài").click()
    expect(page.get_by_text("Đã nộp bài thành công. Mã hồ sơ của bạn: KN26-0001")).to_be_visible()

    # What comes next, and when.
    steps = page.get_by_role("region", name="Tiếp theo")
    expect(steps).to_be_visible()
    expect(steps.get_by_text("Mã hồ sơ của nhóm là KN26-0001")).to_be_visible()
    expect(steps.get_by_text("Thẩm định hồ sơ")).to_be_visible()
    expect(steps.get_by_text("Ban tổ chức chưa công bố lịch các vòng chấm")).to_be_visible()
    expect(steps.get_by_text("Ban tổ chức chưa công bố ngày có kết quả")).to_be_visible()
    expect(steps.get_by_text("Rút bài dự thi")).to_be_visible()
    shoot("submitted-what-next")
    assert_fits_width(page)

    from app.mail.services import outbox

    with live_server.app.app_context():
        body = outbox()[-1].get_content()
    assert "Tiếp theo:" in body and "Mã hồ sơ của nhóm là KN26-0001" in body
