"""Booth services name every bad field in one refusal (issue 15): the application (with its photos
and consent), the exhibition settings, a booth type and a booth's place."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from werkzeug.datastructures import FileStorage

from app.booths import applications
from app.booths import floor as service
from app.booths.models import Booth, BoothApplication
from app.errors import Invalid
from app.extensions import db
from tests.booths.conftest import application_data
from tests.booths.floor_fixtures import add_type, floor_fixture  # noqa: F401 (the `floor` fixture)

PHONE = "Số điện thoại di động không hợp lệ (ví dụ: 0912 345 678 hoặc +84 912 345 678)."


def test_clean_application_names_every_bad_field(world):
    data = application_data(
        world,
        organisation="",
        org_kind="khac",
        tax_code="123",
        ocop_stars="7",
        contact_phone="12345",
        contact_email="khong-phai-email",
        booth_type_id=world.empty.id,
        needs=["may-bay"],
    )
    with pytest.raises(Invalid) as info:
        applications.clean_application(world.event, data)
    assert info.value.errors == {
        "organisation": "Vui lòng nhập tên doanh nghiệp, hợp tác xã hoặc hộ kinh doanh.",
        "org_kind": "Vui lòng chọn loại hình đơn vị trong danh sách.",
        "tax_code": "Mã số thuế gồm 10 chữ số, hoặc 13 chữ số với đơn vị phụ thuộc (ví dụ 0101234567-001).",
        "ocop_stars": "Hạng sao OCOP là 3, 4 hoặc 5 sao (bỏ trống nếu sản phẩm chưa có).",
        "contact_phone": PHONE,
        "contact_email": "Địa chỉ email không hợp lệ.",
        "booth_type_id": "Vui lòng chọn loại gian hàng trong danh sách.",
        "needs": "Vui lòng chọn nhu cầu trong danh sách.",
    }


def test_apply_names_fields_photos_and_consent_together_and_saves_nothing(world):
    empty_photo = FileStorage(stream=io.BytesIO(b""), filename="anh.jpg", content_type="image/jpeg")
    with pytest.raises(Invalid) as info:
        applications.apply(
            world.exhibitor,
            world.event,
            application_data(world, contact_phone="12345"),
            [empty_photo],
            {"process_registration": False},
        )
    assert set(info.value.errors) == {"contact_phone", "photos", "consent_process_registration"}
    db.session.rollback()
    assert db.session.query(BoothApplication).count() == 0


def test_settings_name_every_bad_value(floor):
    event = floor.event
    with pytest.raises(Invalid) as info:
        service.save_settings(
            floor.co,
            event,
            {
                "opens_at": event.ends_at + timedelta(hours=1),
                "closes_at": event.ends_at + timedelta(hours=2),
                "exhibitor_rules": "x" * 5001,
                "grid_columns": 0,
                "grid_rows": 31,
            },
        )
    errors = info.value.errors
    assert set(errors) == {"opens_at", "closes_at", "exhibitor_rules", "grid_columns", "grid_rows"}
    assert errors["grid_rows"] == "Số hàng phải từ 1 đến 30."
    assert "sự kiện kết thúc" in errors["closes_at"]


def test_booth_type_names_its_fields_and_the_event_wide_limits_together(floor):
    add_type(floor.so, floor.event, name="Gian tiêu chuẩn", prefix="A")
    with pytest.raises(Invalid) as info:
        add_type(
            floor.so,
            floor.event,
            name="gian tiêu chuẩn",
            size="x" * 61,
            passes=99,
            prefix="A",
            provides=["?"],
        )
    assert info.value.errors == {
        "name": "Sự kiện đã có loại gian cùng tên.",
        "size": "Kích thước không được dài quá 60 ký tự.",
        "passes": f"Số thẻ mỗi gian phải từ 0 đến {service.MAX_PASSES}.",
        "provides": "Có mục “được cung cấp” không có trong danh sách.",
        "prefix": "Tiền tố A đã được dùng cho một loại gian khác.",
    }


def test_booth_place_names_every_bad_value(floor):
    add_type(floor.so, floor.event, count=2)
    booth = db.session.query(Booth).filter(Booth.number == "A02").one()
    with pytest.raises(Invalid) as info:
        service.place_booth(
            floor.so,
            floor.event,
            booth,
            {"zone": "x" * 61, "x_percent": 101, "grid_column": 99, "grid_row": 1},
        )
    assert set(info.value.errors) == {"zone", "x_percent", "grid_column"}
