"""Browser journey on the demo data: an organiser opens the dashboard on a phone and a desktop,
sees the charts drawn by the vendored Chart.js and their tables, downloads an export, opens the
annual report and gets its workbook through the job page, and imports invited guests from an .xlsx
file (preview, then confirm)."""

from __future__ import annotations

import importlib
import importlib.util
import re

from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.conftest import assert_accessible_form, assert_fits_width
from tests.exports.test_services import guest_file


def _seed_demo(app) -> None:
    from app import FEATURES

    with app.app_context():
        for name in FEATURES:
            if importlib.util.find_spec(f"app.{name}.demo"):
                importlib.import_module(f"app.{name}.demo").seed()


def _login(page, base):
    page.goto(f"{base}/tai-khoan/dang-nhap")
    page.get_by_label("Email").fill("bantochuc@demo.kndmst.vn")
    page.get_by_label("Mật khẩu").fill("ToChuc@2024")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/quan-ly/cuoc-thi")  # an organiser lands on the management overview


def test_dashboard_charts_export_report_and_import(live_server, page, shoot, tmp_path):
    _seed_demo(live_server.app)
    base = live_server.url
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _login(page, base)

    page.goto(f"{base}/bao-cao")
    page.select_option("#pick-contest", "y-tuong-kndmst-2024")
    page.select_option("#pick-event", "ngay-hoi-kndmst-2024")
    page.get_by_role("button", name="Xem", exact=True).click()
    page.wait_for_load_state()
    assert "cuoc-thi=y-tuong-kndmst-2024" in page.url, page.url
    expect(page.locator("canvas[data-chart]")).to_have_count(6)
    expect(page.locator("canvas[data-drawn='1']")).to_have_count(6)  # Chart.js drew every chart
    assert errors == [], errors  # no CSP violation, no script error
    assert_fits_width(page)
    assert_accessible_form(page)
    shoot("dashboard")

    # Every chart has its table: open one and read it.
    field = page.locator("figure.chart-block", has=page.locator("#chart-field"))
    field.get_by_text("Xem dạng bảng").click()
    expect(page.locator("#chart-field-table")).to_be_visible()
    expect(page.locator("#chart-checkins-table")).to_contain_text("Cổng A")
    page.locator("#chart-checkins").scroll_into_view_if_needed()
    shoot("checkins")

    with page.expect_download() as info:
        page.get_by_role("link", name="Hồ sơ và thành viên (.xlsx)").click()
    download = info.value
    assert download.suggested_filename == "ho-so-y-tuong-kndmst-2024.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert load_workbook(path).sheetnames == ["Hồ sơ", "Thành viên"]

    with page.expect_download() as info:
        page.get_by_role("link", name="Đăng ký và check-in (.xlsx)").click()
    assert info.value.suggested_filename == "tham-du-ngay-hoi-kndmst-2024.xlsx"

    # The annual report with its targets.
    page.get_by_role("button", name="Mở báo cáo năm").click()
    page.fill("#pick-year", "2024") if page.url.endswith("/bao-cao") else None
    page.goto(f"{base}/bao-cao/nam/2024")
    expect(page.get_by_role("heading", name="Báo cáo tổng hợp năm 2024")).to_be_visible()
    page.fill("#ideas_target", "60")
    page.get_by_role("button", name="Lưu chỉ tiêu").click()
    expect(page.locator(".flash-success")).to_contain_text("Đã lưu chỉ tiêu kế hoạch năm 2024")
    assert_fits_width(page)
    assert_accessible_form(page)
    shoot("annual-report")

    # The annual report's workbook is always a background job: the button posts, the job page
    # follows (here the queue runs the task at once) and offers the file.
    live_server.app.config["JOB_DIR"] = str(tmp_path / "jobs")
    page.get_by_role("button", name="⬇ Tải báo cáo năm 2024 (.xlsx)").click()
    page.wait_for_url(re.compile(r"/cong-viec/[\w-]+$"))
    expect(page.get_by_label("Tiến độ")).to_have_attribute("value", "100")
    expect(page.get_by_role("status")).to_contain_text("Đã xong")
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile(r"^Tải tệp\b")).click()
    assert info.value.suggested_filename == "bao-cao-kndmst-2024.xlsx"
    report = tmp_path / info.value.suggested_filename
    info.value.save_as(report)
    sheets = load_workbook(report).sheetnames
    assert sheets[0] == "Theo cuộc thi" and sheets[-1] == "Chỉ tiêu kế hoạch"
    page.goto(f"{base}/bao-cao/nam/2024")

    # Import invited guests: upload, preview with a bad row, confirm the valid ones.
    upload = tmp_path / "khach-moi.xlsx"
    upload.write_bytes(
        guest_file(
            [
                ("Nguyễn Thị Hoa", "0905111222", "", "UBND xã Tịnh Khê", "Khách mời/đại biểu", ""),
                ("Trần Văn Nam", "0905333444", "", "Báo Quảng Ngãi", "Báo chí", ""),
                ("Lê Văn Tám", "12345", "", "", "Báo chí", ""),
            ]
        )
    )
    page.goto(f"{base}/bao-cao/su-kien/ngay-hoi-kndmst-2024/nhap-khach")
    assert_accessible_form(page)
    page.set_input_files("#file", str(upload))
    page.check("#consent")
    page.get_by_role("button", name="Kiểm tra và xem trước").click()
    expect(page.locator(".import-summary")).to_contain_text("2 dòng hợp lệ")
    expect(page.locator("tr.row-bad")).to_contain_text("Số điện thoại")
    assert_fits_width(page)
    shoot("import-preview")
    page.get_by_role("button", name="Nhập 2 khách hợp lệ").click()
    expect(page.locator(".flash-success")).to_contain_text("Đã nhập 2 khách mời")
    shoot("import-done")
