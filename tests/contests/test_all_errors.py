"""Contest services name every bad field in one refusal (issue 15): the contest form, a team
member, a new entry; a refused member is left as it was."""

from __future__ import annotations

from datetime import date

import pytest

from app.contests import entries
from app.contests.models import Entry
from app.errors import Invalid
from app.extensions import db
from tests.contests.conftest import ALL_CONSENTS, person

PHONE = "Số điện thoại di động không hợp lệ (ví dụ: 0912 345 678 hoặc +84 912 345 678)."


def test_contest_form_refuses_every_bad_field_at_once(make_contest):
    with pytest.raises(Invalid) as info:
        make_contest(
            name="Thi", slug="Sai Slug", code_prefix="x", team_min=0, min_age=40, max_age=30, fields=[]
        )
    errors = info.value.errors
    assert errors == {
        "name": "Vui lòng nhập tên cuộc thi.",
        "slug": "Đường dẫn chỉ gồm chữ thường không dấu, số và dấu gạch ngang (ví dụ: y-tuong-2025).",
        "code_prefix": "Tiền tố mã hồ sơ gồm 2–8 chữ in hoa hoặc số, bắt đầu bằng chữ (ví dụ: KN24).",
        "team_min": "Số thành viên tối thiểu phải từ 1 đến 20.",
        "min_age": "Tuổi tối thiểu không được lớn hơn tuổi tối đa.",
        "fields": "Cần ít nhất một lĩnh vực.",
    }
    assert info.value.field == "name"


def test_a_comparison_with_a_refused_number_is_skipped(make_contest):
    # team_min is out of range: "min greater than max" would say nothing more about it.
    with pytest.raises(Invalid) as info:
        make_contest(team_min=30, team_max=3)
    assert info.value.errors == {"team_min": "Số thành viên tối thiểu phải từ 1 đến 20."}


def test_taken_slug_and_prefix_are_named_with_the_other_fields(make_contest):
    first = make_contest()
    with pytest.raises(Invalid) as info:
        make_contest(slug=first.slug, code_prefix=first.code_prefix, video_link="bat-buoc")
    assert info.value.errors == {
        "slug": "Đường dẫn này đã được cuộc thi khác sử dụng.",
        "code_prefix": "Tiền tố mã hồ sơ này đã được cuộc thi khác sử dụng.",
        "video_link": "Cấu hình đường dẫn video không hợp lệ.",
    }


def test_member_refused_on_every_field_and_left_unchanged(make_contest, make_entry):
    entry = make_entry(make_contest())
    member = entries.add_member(entry.leader, entry, person("Phạm Văn Cường", phone="0905111222"))
    bad = person(
        "Phạm Văn Cường",
        born=date(2099, 1, 1),
        phone="12345",
        email="khong-phai-email",
        sex="khong-ro",
        commune_code="99999",
    )
    with pytest.raises(Invalid) as info:
        entries.update_member(entry.leader, entry, member.id, bad)
    assert info.value.errors == {
        "phone": PHONE,
        "email": "Địa chỉ email không hợp lệ.",
        "birth_date": "Ngày sinh không hợp lệ.",
        "sex": "Giới tính không hợp lệ.",
        "commune_code": "Xã/phường không có trong danh mục.",
    }
    db.session.rollback()
    db.session.refresh(member)
    assert member.phone == "+84905111222" and member.birth_date == date(2000, 5, 17)


def test_member_without_any_contact_is_told_so_once(make_contest, make_entry):
    entry = make_entry(make_contest())
    with pytest.raises(Invalid) as info:
        entries.add_member(entry.leader, entry, person("Phạm Văn Cường", sex="?"))
    assert info.value.errors == {
        "phone": "Cần ít nhất số điện thoại hoặc email để liên hệ.",
        "sex": "Giới tính không hợp lệ.",
    }


def test_new_entry_names_title_track_leader_and_consent_together(make_contest, make_user):
    contest = make_contest()
    leader = make_user("nhung@example.vn", name="Lê Thị Hồng Nhung")
    with pytest.raises(Invalid) as info:
        entries.start_entry(
            leader,
            contest,
            title="ab",
            track_id="999999",
            leader=person(leader.full_name, born=date(2099, 1, 1)),
            consents={**ALL_CONSENTS, "process_entry": False},
        )
    errors = info.value.errors
    assert set(errors) == {"consent_process_entry", "title", "track_id", "birth_date"}
    assert errors["title"] == "Vui lòng nhập tên ý tưởng/dự án (ít nhất 3 ký tự)."
    assert errors["track_id"] == "Vui lòng chọn bảng thi."
    assert db.session.query(Entry).count() == 0
