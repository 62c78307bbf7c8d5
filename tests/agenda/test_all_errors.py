"""The organisers' session form names every bad field in one refusal (issue 15); on an edit, fewer
places than people registered is said together with the rest."""

from __future__ import annotations

from datetime import time

import pytest

from app.agenda import registrations, services
from app.errors import Invalid
from app.extensions import db
from tests.agenda.conftest import session_values


def test_clean_session_names_every_bad_field(event):
    values = session_values(
        event, title=" ", kind="hop-kin", start=time(10, 0), end=time(9, 0), capacity=0, speakers="x" * 3001
    )
    with pytest.raises(Invalid) as info:
        services.clean_session(event, values)
    assert info.value.errors == {
        "title": "Vui lòng nhập tên phiên.",
        "kind": "Vui lòng chọn loại hoạt động trong danh sách.",
        "end": "Giờ kết thúc phải sau giờ bắt đầu.",
        "capacity": "Số chỗ phải từ 1 đến 100.000 (bỏ trống nếu không giới hạn).",
        "speakers": "Danh sách speakers không được dài quá 3000 ký tự.",
    }


def test_times_are_not_compared_on_a_day_outside_the_event(event):
    with pytest.raises(Invalid) as info:
        services.clean_session(
            event, session_values(event, day="2000-01-01", start=time(10, 0), end=time(9, 0))
        )
    assert info.value.errors == {"day": "Vui lòng chọn một ngày trong thời gian diễn ra sự kiện."}


def test_an_edit_names_the_places_already_given_with_the_other_problems(
    organiser, event, make_session, register
):
    session = make_session(capacity=10)
    for _ in range(2):
        registrations.register_for_session(register(event).active_ticket, session.id)
    with pytest.raises(Invalid) as info:
        services.update_session(
            organiser, session, session_values(event, start=time(10, 0), end=time(9, 0), capacity=1)
        )
    assert info.value.errors == {
        "end": "Giờ kết thúc phải sau giờ bắt đầu.",
        "capacity": "Phiên đã có 2 người đăng ký: không thể giảm số chỗ xuống 1. Hãy để từ 2 chỗ trở lên.",
    }
    db.session.rollback()
    db.session.refresh(session)
    assert session.capacity == 10 and session.registered_count == 2
