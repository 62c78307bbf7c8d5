"""The programme form names every bad field in one refusal (issue 15)."""

from __future__ import annotations

import pytest

from app.errors import Invalid
from app.programmes import services


@pytest.fixture
def so_staff(make_user):
    return make_user("so@example.vn", roles=("organiser",), name="Trần Thị Thu Hà")


def test_programme_form_names_every_bad_field(app, so_staff):
    data = {
        "name": "KN",
        "slug": "Sai Duong Dan",
        "year": "20x4",
        "plan_reference": "x" * 201,
        "contest_ids": ["abc"],
        "event_ids": ["999999"],
    }
    with pytest.raises(Invalid) as info:
        services.create_programme(so_staff, data)
    assert info.value.errors == {
        "name": "Vui lòng nhập tên chương trình (ít nhất 3 ký tự).",
        "slug": "Đường dẫn chỉ gồm chữ thường không dấu, số và dấu gạch ngang.",
        "year": f"Năm phải là số từ {services.YEAR_MIN} đến {services.YEAR_MAX}, ví dụ 2024.",
        "plan_reference": "Căn cứ kế hoạch không được dài quá 200 ký tự.",
        "contest_ids": "Có cuộc thi không hợp lệ trong danh sách đã chọn.",
        "event_ids": "Có sự kiện đã chọn không còn tồn tại; vui lòng tải lại trang.",
    }
