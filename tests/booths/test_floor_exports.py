"""The booth downloads opened with openpyxl: "Danh sách gian hàng" and the exhibitors workbook (rows,
summary counts, the government layout), the printed list, who may download, and a 500-application
export staying a handful of queries."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import event as sa_event
from sqlalchemy import select

from app.booths import exports
from app.booths import floor_allocation as allocation
from app.booths.models import Booth, BoothApplication
from app.extensions import db
from tests.booths.floor_fixtures import (
    accepted,
    add_type,
    floor_fixture,  # noqa: F401 (the `floor` fixture)
    signed_in,
)

BASE = "/su-kien/quan-ly/ngay-hoi-san/gian-hang"


def table(ws) -> tuple[list[str], list[list]]:
    """The header row (the one starting with STT) and the data rows under it, until a blank STT."""
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows) if r[0] == "STT")
    data = []
    for r in rows[start + 1 :]:
        if not isinstance(r[0], int):
            break
        data.append(r)
    return rows[start], data


def workbook(export: exports.BoothExport):
    out = io.BytesIO()
    export.write(out)
    out.seek(0)
    return load_workbook(out)


@pytest.fixture
def exhibiting(floor):
    f = floor
    f.standard = add_type(f.so, f.event, count=3)
    f.ocop = add_type(f.so, f.event, "Gian OCOP", count=2, prefix="K")
    garlic = accepted(
        f.event, f.standard, "Công ty Tỏi Lý Sơn", org_kind="company", sector="Nông sản", ocop_stars=5
    )
    sauce = accepted(
        f.event,
        f.ocop,
        "HTX Nước mắm Sa Huỳnh",
        sector="Thực phẩm",
        ocop_stars=4,
        needs=["power"],
        needs_note="Tủ mát",
    )
    app_ = accepted(
        f.event,
        f.standard,
        "=Startup AgriTech",
        org_kind="startup",
        sector="",
        ocop_stars=None,
        contact_phone="+84912345678",
    )
    waiting = accepted(f.event, f.standard, "Hộ kinh doanh Bánh tráng", org_kind="household", ocop_stars=None)
    waiting.status = "waitlisted"
    for number, application in (("A02", garlic), ("K01", sauce), ("A01", app_)):
        application_booth = db.session.scalar(select(Booth).where(Booth.number == number))
        if number == "K01":
            application_booth.zone = "Khu OCOP"
        allocation.allocate(f.so, application, application_booth)
    db.session.commit()
    return f


def test_booth_list_sheet(exhibiting):
    wb = workbook(exports.booth_list_export(exhibiting.event))
    ws = wb["Danh sách gian hàng"]
    header, rows = table(ws)
    assert header[:5] == ["STT", "Số gian", "Khu", "Loại gian", "Đơn vị trưng bày"]
    assert [r[1] for r in rows] == ["K01", "A01", "A02", "A03", "K02"]  # zones first, then the others
    by_number = {r[1]: r for r in rows}
    assert by_number["A01"][4] == "=Startup AgriTech"  # text, never a formula
    assert by_number["A01"][8] == "0912 345 678"
    assert by_number["K01"][9] == "Điện 220 V; Tủ mát"
    assert by_number["A03"][4] == "(Còn trống)" and by_number["A03"][8] in (None, "")
    texts = [c for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert "Tổng số gian: 5 – Đã phân: 3 – Còn trống: 2" in texts
    assert "SỞ KHOA HỌC VÀ CÔNG NGHỆ" in texts


def test_exhibitors_workbook_rows_and_summary(exhibiting):
    wb = workbook(exports.exhibitors_export(exhibiting.event))
    assert wb.sheetnames == ["Đơn vị trưng bày", "Tổng hợp"]
    header, rows = table(wb["Đơn vị trưng bày"])
    assert header[1:6] == ["Đơn vị", "Loại hình", "Mã số thuế", "Lĩnh vực", "Sản phẩm"]
    by_org = {r[1]: r for r in rows}
    assert len(rows) == 4
    garlic = by_org["Công ty Tỏi Lý Sơn"]
    assert garlic[2] == "Doanh nghiệp" and garlic[3] == "4300123456" and garlic[6] == 5
    assert garlic[9] == "0905 111 222" and garlic[10] == "mai@htx.vn" and garlic[12] == "A02"
    assert garlic[13] == "Đã được nhận"
    assert by_org["Hộ kinh doanh Bánh tráng"][13] == "Danh sách chờ"
    assert by_org["Hộ kinh doanh Bánh tráng"][12] in (None, "")
    _header, summary = table(wb["Tổng hợp"])
    counts = {(r[1], r[2]): (r[3], r[4]) for r in summary}
    assert counts[("Loại hình", "Hợp tác xã")] == (1, 1)
    assert counts[("Loại hình", "Hộ kinh doanh")] == (1, 0)
    assert counts[("Lĩnh vực", "Nông sản")] == (2, 1)
    assert counts[("Lĩnh vực", "(Chưa ghi lĩnh vực)")] == (1, 1)
    assert counts[("Sản phẩm OCOP", "OCOP 5 sao")] == (1, 1)
    assert counts[("Sản phẩm OCOP", "Không có sản phẩm OCOP")] == (2, 1)
    values = [c for row in wb["Tổng hợp"].iter_rows(values_only=True) for c in row]
    assert "Tổng cộng" in values


def test_a_500_application_export_is_a_handful_of_queries(floor):
    f = floor
    standard = add_type(f.so, f.event, count=300)
    corner = add_type(f.so, f.event, "Gian góc", count=200)
    rows = accepted(f.event, standard, "Đơn vị", n=500)
    booths = list(db.session.scalars(select(Booth).where(Booth.event_id == f.event.id).order_by(Booth.id)))
    for application, spot in zip(rows, booths, strict=True):
        application.booth_id = spot.id
    db.session.commit()
    assert corner.id
    count = 0

    def counter(*_args, **_kwargs):
        nonlocal count
        count += 1

    sa_event.listen(db.engine, "before_cursor_execute", counter)
    try:
        db.session.expire_all()
        workbook(exports.exhibitors_export(f.event))
        workbook(exports.booth_list_export(f.event))
        plan = allocation.floor_plan(f.event)
        allocation.floor_summary(f.event)
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", counter)
    assert len(plan.spots) == 500 and plan.free == 0
    assert count <= 10, count


def test_downloads_and_print_for_managers_only(app, exhibiting):
    for email in ("hoi@example.vn", "tnv@example.vn", "hs@example.vn"):
        client = signed_in(app, email)
        for path in ("/danh-sach-gian-hang.xlsx", "/don-vi-trung-bay.xlsx", "/danh-sach-in"):
            assert client.get(BASE + path).status_code == 403, (email, path)
    client = signed_in(app, "doan@example.vn")
    response = client.get(BASE + "/don-vi-trung-bay.xlsx")
    assert response.status_code == 200
    assert response.mimetype == exports.XLSX_MIMETYPE
    assert "don-vi-trung-bay-ngay-hoi-san.xlsx" in response.headers["Content-Disposition"]
    assert load_workbook(io.BytesIO(response.data)).sheetnames == ["Đơn vị trưng bày", "Tổng hợp"]
    assert client.get(BASE + "/danh-sach-gian-hang.xlsx").status_code == 200
    html = client.get(BASE + "/danh-sach-in").get_data(as_text=True)
    assert "Khu OCOP" in html and "HTX Nước mắm Sa Huỳnh" in html and "0912 345 678" in html
    assert html.index("Khu OCOP") < html.index("A01") < html.index("A02")


def test_empty_event_exports(floor):
    wb = workbook(exports.exhibitors_export(floor.event))
    assert table(wb["Đơn vị trưng bày"])[1] == []
    assert table(workbook(exports.booth_list_export(floor.event))["Danh sách gian hàng"])[1] == []
    assert db.session.scalar(select(BoothApplication.id)) is None
