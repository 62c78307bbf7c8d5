"""HTTP: downloads for those allowed (others 403/404), the dashboard, the annual report with its
targets, the guest import from upload to preview to confirmation."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.events.models import Attendee
from app.exports.models import PlanTarget
from app.extensions import db
from tests.conftest import submit
from tests.exports.test_services import GOOD, guest_file

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def urls(world) -> dict[str, str]:
    return {
        "entries": f"/bao-cao/cuoc-thi/{world.contest.slug}/ho-so.xlsx",
        "stats": f"/bao-cao/cuoc-thi/{world.contest.slug}/thong-ke.xlsx",
        "results": f"/bao-cao/vong/{world.round.id}/ket-qua.xlsx",
        "judges": f"/bao-cao/vong/{world.round.id}/giam-khao.xlsx",
        "attendance": f"/bao-cao/su-kien/{world.event.slug}/tham-du.xlsx",
        "requests": "/bao-cao/yeu-cau-du-lieu.xlsx",
        "report": "/bao-cao/nam/2024.xlsx",
    }


def test_organiser_downloads_every_export(world, client, login):
    login("btc@example.vn")
    for name, url in urls(world).items():
        if name == "report":
            continue  # always prepared by the worker (test_background.py)
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        assert response.mimetype == XLSX
        assert re.search(r"attachment; filename=.*\.xlsx", response.headers["Content-Disposition"])
        wb = load_workbook(io.BytesIO(response.data))
        assert wb.sheetnames, name
    wb = load_workbook(io.BytesIO(client.get(urls(world)["results"]).data))
    assert wb.sheetnames == ["Xếp hạng", "Điểm từng giám khảo", "Phương pháp"]


def test_co_organiser_only_gets_their_own_contest(world, client, login):
    login("tinhdoan@example.vn")
    u = urls(world)
    for name in ("entries", "stats", "results", "judges", "requests", "report"):
        assert client.get(u[name]).status_code == 403, name
    assert client.get(f"/bao-cao/cuoc-thi/{world.other_contest.slug}/ho-so.xlsx").status_code == 200
    # An event not linked to one of their contests is the Sở's alone (issue 9, defect 8).
    assert client.get(u["attendance"]).status_code == 403
    page = client.get("/bao-cao").get_data(as_text=True)
    assert world.other_contest.name in page and world.contest.name not in page
    assert "Báo cáo tổng hợp của Sở" not in page
    assert client.get(f"/bao-cao?cuoc-thi={world.contest.slug}").status_code == 403


def test_others_are_refused(world, client, login, make_user):
    u = urls(world)
    for url in u.values():
        response = client.get(url)
        assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"]
    make_user("gk@example.vn", roles=("judge",))
    login("gk@example.vn")
    for url in [*u.values(), "/bao-cao", "/bao-cao/nam/2024"]:
        assert client.get(url).status_code == 403, url


def test_missing_objects_are_404(world, client, login):
    login("btc@example.vn")
    assert client.get("/bao-cao/cuoc-thi/khong-co/ho-so.xlsx").status_code == 404
    assert client.get("/bao-cao/vong/9999/ket-qua.xlsx").status_code == 404
    assert client.get("/bao-cao/su-kien/khong-co/tham-du.xlsx").status_code == 404
    assert client.get("/bao-cao?cuoc-thi=khong-co").status_code == 404


def test_dashboard_shows_charts_tables_and_export_buttons(world, client, login):
    login("btc@example.vn")
    response = client.get(f"/bao-cao?cuoc-thi={world.contest.slug}&su-kien={world.event.slug}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>" not in html and " style=" not in html  # CSP: no inline scripts or styles
    assert "vendor/chartjs/chart.umd.min.js" in html and "js/exports/dashboard.js" in html
    for chart in (
        "chart-submissions",
        "chart-field",
        "chart-commune",
        "chart-sex",
        "chart-judging",
        "chart-checkins",
    ):
        assert f'id="{chart}"' in html and f'id="{chart}-table"' in html
    assert html.count("data-chart=") == 6
    assert (
        urls(world)["entries"] in html
        and urls(world)["results"] in html
        and urls(world)["attendance"] in html
    )
    assert "Nông nghiệp" in html and "Cổng A" in html
    assert "17/18" in html  # judging progress


def test_annual_report_page_and_targets(world, client, login):
    login("btc@example.vn")
    page = client.get("/bao-cao/nam/2024")
    assert page.status_code == 200 and "Chỉ tiêu kế hoạch năm 2024" in page.get_data(as_text=True)
    data = {"ideas_target": "10", "ideas_override": "", "ideas_note": "", "projects_target": "abc"}
    for bad_value, message in [
        ("abc", "Vui lòng nhập một số nguyên."),
        ("1e61", "Vui lòng nhập một số nguyên."),
        ("nan", "Vui lòng nhập một số nguyên."),
        ("-1", "Nhập một số nguyên từ 0 đến 1.000.000."),
        ("1000001", "Nhập một số nguyên từ 0 đến 1.000.000."),
        ("2147483648", "Nhập một số nguyên từ 0 đến 1.000.000."),  # PostgreSQL's integer + 1
    ]:
        bad = submit(client, "/bao-cao/nam/2024", {**data, "projects_target": bad_value})
        html = bad.get_data(as_text=True)
        assert bad.status_code == 422 and message in html and "Not a valid" not in html, bad_value
    assert db.session.scalar(select(func.count(PlanTarget.id))) == 0
    data["projects_target"] = "5"
    ok = submit(client, "/bao-cao/nam/2024", data)
    assert ok.status_code == 302
    targets = {t.kind: t.target for t in db.session.scalars(select(PlanTarget))}
    assert targets == {"ideas": 10, "projects": 5, "startups": None}
    assert client.get("/bao-cao/nam?nam=2024").headers["Location"].endswith("/bao-cao/nam/2024")


def _upload(client, world, data: bytes, **fields):
    page = client.get(f"/bao-cao/su-kien/{world.event.slug}/nhap-khach").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    form = {
        "csrf_token": token.group(1),
        "file": (io.BytesIO(data), "khach-moi.xlsx"),
        "consent": "y",
        **fields,
    }
    return client.post(
        f"/bao-cao/su-kien/{world.event.slug}/nhap-khach", data=form, content_type="multipart/form-data"
    )


def attendees(world) -> int:
    return db.session.scalar(select(func.count(Attendee.id)).where(Attendee.event_id == world.event.id))


def test_import_upload_preview_then_confirm(world, client, login):
    login("btc@example.vn")
    template = client.get(f"/bao-cao/su-kien/{world.event.slug}/mau-khach-moi.xlsx")
    assert template.status_code == 200 and template.mimetype == XLSX
    data = guest_file(GOOD + [("Lê Văn Tám", "12345", "", "", "Báo chí", "")])
    preview = _upload(client, world, data)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "2 dòng hợp lệ" in html and "1 dòng có lỗi" in html
    assert "Số điện thoại:" in html and attendees(world) == 5  # nothing saved yet
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)
    report = client.get(f"/bao-cao/su-kien/{world.event.slug}/nhap-khach/{token}/dong-bi-loai.xlsx")
    ws = load_workbook(io.BytesIO(report.data))["Dòng bị loại"]
    assert any(row[1] == 4 and "Số điện thoại" in row[-1] for row in ws.iter_rows(values_only=True) if row[1])
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    confirm = client.post(
        f"/bao-cao/su-kien/{world.event.slug}/nhap-khach/xac-nhan",
        data={"csrf_token": csrf, "token": token, "all_or_nothing": "", "send_tickets": ""},
    )
    assert confirm.status_code == 302 and attendees(world) == 7
    # The stashed upload is gone: confirming twice cannot import twice.
    again = client.post(
        f"/bao-cao/su-kien/{world.event.slug}/nhap-khach/xac-nhan",
        data={"csrf_token": csrf, "token": token, "all_or_nothing": "", "send_tickets": ""},
    )
    assert again.status_code == 404 and attendees(world) == 7


def test_import_all_or_nothing_blocks_confirmation(world, client, login):
    login("btc@example.vn")
    data = guest_file(GOOD + [("Lê Văn Tám", "12345", "", "", "Báo chí", "")])
    html = _upload(client, world, data, all_or_nothing="y").get_data(as_text=True)
    assert "không thể nhập" in html and "xac-nhan" not in html
    assert attendees(world) == 5


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"MZ" + b"\x00" * 50, "tệp chương trình"),
        (b"", "Tệp rỗng"),
        (guest_file(GOOD, headers=("A", "B")), "không đúng mẫu"),
    ],
)
def test_import_refuses_bad_files_on_the_form(world, client, login, data, message):
    login("btc@example.vn")
    response = _upload(client, world, data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert attendees(world) == 5


def test_import_needs_the_consent_box_and_a_manager(world, client, login, make_user):
    login("btc@example.vn")
    page = client.get(f"/bao-cao/su-kien/{world.event.slug}/nhap-khach").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        f"/bao-cao/su-kien/{world.event.slug}/nhap-khach",
        data={"csrf_token": csrf, "file": (io.BytesIO(guest_file(GOOD)), "a.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "xác nhận sự đồng ý" in response.get_data(as_text=True)
    client.post("/tai-khoan/dang-xuat", data={"csrf_token": csrf})
    make_user("checkin@example.vn", roles=("checkin_staff",))
    login("checkin@example.vn")
    assert client.get(f"/bao-cao/su-kien/{world.event.slug}/nhap-khach").status_code == 403


def test_help_page_and_nav(world, client, login):
    assert client.get("/tro-giup/bao-cao").status_code == 200
    login("btc@example.vn")
    assert 'href="/bao-cao">Báo cáo</a>' in client.get("/tro-giup").get_data(as_text=True)


def test_plan_targets_are_bounded_for_every_caller(world):
    """The form shows these as field errors; the service refuses them for any other caller, and
    checks every value before writing, so a refusal leaves no row behind."""
    from app.errors import Invalid
    from app.exports import annual_report

    for bad in (-1, 1_000_001, 2**31, True, 7.5, "5"):
        values = {"ideas": {"target": 10}, "projects": {"target": bad}}
        with pytest.raises(Invalid) as info:
            annual_report.save_targets(world.organiser, 2024, values)
        assert info.value.field == "projects_target"
        db.session.rollback()
        assert db.session.scalar(select(func.count(PlanTarget.id))) == 0
    annual_report.save_targets(world.organiser, 2024, {"ideas": {"target": 1_000_000, "override": 0}})
    assert db.session.scalar(select(PlanTarget.target)) == 1_000_000
