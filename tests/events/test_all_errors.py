"""Event services name every bad field in one refusal (issue 15): a registration (its fields, a
phone already registered and the consent together), the walk-in API's one JSON error listing the
fields, a guest row's cells, and the organisers' event form; a refused event is left as it was."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import Workbook

from app.errors import Invalid
from app.events import guests, registration, services
from app.events.models import Attendee
from app.extensions import db
from tests.factories import event_data

PHONE = "Số điện thoại di động không hợp lệ (ví dụ: 0912 345 678 hoặc +84 912 345 678)."
EMAIL = "Địa chỉ email không hợp lệ."


def test_clean_registration_names_every_bad_field(event):
    with pytest.raises(Invalid) as info:
        registration.clean_registration(
            event,
            {"full_name": "B", "phone": "12345", "email": "khong-phai-email", "category": "Khách VIP"},
            phone_required=True,
        )
    assert info.value.errors == {
        "full_name": "Vui lòng nhập họ và tên đầy đủ.",
        "phone": PHONE,
        "email": EMAIL,
        "category": "Vui lòng chọn loại khách trong danh sách.",
    }


def test_a_taken_phone_and_a_missing_consent_come_with_the_other_problems(event, register):
    register(event, phone="0905123456")
    data = {
        "full_name": "Trần Văn Nam",
        "phone": "0905 123 456",
        "email": "nam@",
        "category": "Khách tham quan",
    }
    with pytest.raises(Invalid) as info:
        registration.register_attendee(event, data, {"process_registration": False})
    errors = info.value.errors
    assert errors["phone"] == registration.PHONE_TAKEN and errors["email"] == EMAIL
    assert set(errors) == {"phone", "email", "consent_process_registration"}
    db.session.rollback()
    assert db.session.query(Attendee).count() == 1


def test_walk_in_api_answers_one_error_with_its_fields(client, event, device_token):
    auth = {"Authorization": f"Bearer {device_token}"}
    body = {
        "full_name": "Hồ Văn Vãng Lai",
        "phone": "12345",
        "email": "khong-phai-email",
        "category": "Khách tham quan",
        "consents": {"process_registration": True},
    }
    answer = client.post(f"/api/v1/events/{event.slug}/walkins", json=body, headers=auth)
    assert answer.status_code == 422
    data = answer.get_json()
    assert data["fields"] == {"phone": PHONE, "email": EMAIL}
    assert data["message"] == f"{PHONE} {EMAIL}" and data["error"]
    one = client.post(f"/api/v1/events/{event.slug}/walkins", json={**body, "phone": ""}, headers=auth)
    assert one.status_code == 422 and one.get_json()["message"] == EMAIL and "fields" not in one.get_json()


def test_guest_row_names_each_bad_cell_with_its_column(event):
    wb = Workbook()
    ws = wb.active
    ws.append(list(guests.GUEST_HEADERS))
    ws.append(["Lê Văn Tám", "12345", "khong-phai-email", "", "Báo chí", ""])
    stream = io.BytesIO()
    wb.save(stream)
    check = guests.check_guest_file(event, stream.getvalue())
    assert check.rejected[0].errors == [f"Số điện thoại: {PHONE}", f"Email: {EMAIL}"]


def test_event_form_refuses_every_bad_field_and_keeps_the_event(organiser, event):
    data = event_data(
        "Ngay Hoi",
        "Ngày hội",
        ends_at=event.starts_at - timedelta(hours=1),
        starts_at=event.starts_at,
        capacity=0,
        categories=[],
        gates=[],
    )
    with pytest.raises(Invalid) as info:
        services.update_event(organiser, event, data)
    assert info.value.errors == {
        "slug": "Đường dẫn chỉ gồm chữ thường không dấu, số và dấu gạch ngang.",
        "ends_at": "Thời gian kết thúc phải sau thời gian bắt đầu.",
        "capacity": "Sức chứa phải từ 1 đến 1.000.000 (bỏ trống nếu không giới hạn).",
        "categories": "Cần ít nhất một loại khách.",
        "gates": "Cần ít nhất một cổng check-in.",
    }
    db.session.rollback()
    db.session.refresh(event)
    assert event.slug == "ngay-hoi" and event.gates == ["Cổng A", "Cổng B"]


def test_a_taken_slug_is_named_with_the_other_fields(organiser, event):
    data = event_data(event.slug, "Ngày hội khác", public_categories=["Khách VIP"])
    with pytest.raises(Invalid) as info:
        services.create_event(organiser, {**data, "registration_closes_at": data["registration_opens_at"]})
    assert info.value.errors == {
        "slug": services.SLUG_TAKEN,
        "registration_closes_at": "Hạn đăng ký phải sau thời điểm mở đăng ký.",
        "public_categories": "“Khách VIP” không có trong danh sách loại khách của sự kiện.",
    }
