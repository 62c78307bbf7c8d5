"""The booth floor: exhibition settings, booth types generating numbered booths placed on the grid,
the plan image (sniffed by content), booth positions, and the pages with ugly input."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.booths import floor as service
from app.booths import floor_allocation
from app.booths.models import Booth, BoothType, Exhibition
from app.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.extensions import db
from tests.booths.floor_fixtures import (
    accepted,
    add_type,
    floor_fixture,  # noqa: F401 (the `floor` fixture)
    image_bytes,
    signed_in,
)
from tests.conftest import submit

BASE = "/su-kien/quan-ly/ngay-hoi-san/gian-hang"


def numbers(event) -> list[str]:
    return sorted(
        db.session.scalars(select(Booth.number).where(Booth.event_id == event.id)),
        key=service.number_key,
    )


def settings(event, **extra):
    return {
        "is_open": True,
        "opens_at": None,
        "closes_at": event.ends_at - timedelta(hours=1),
        "exhibitor_rules": "Mang theo sản phẩm mẫu.",
        "grid_columns": 8,
        "grid_rows": 4,
        **extra,
    }


# --- settings ---------------------------------------------------------------------------------------


def test_settings_saved_and_audited(floor):
    exhibition = service.save_settings(floor.co, floor.event, settings(floor.event))
    assert exhibition.id is not None and exhibition.is_open
    assert exhibition.accepting(floor.event.starts_at - timedelta(days=2))
    assert not exhibition.accepting(floor.event.ends_at)
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "booths.settings"))


def test_reading_settings_never_writes(floor):
    exhibition = service.exhibition_for(floor.event)
    assert exhibition.id is None and exhibition.grid_columns == 8 and not exhibition.is_open
    assert db.session.scalar(select(func.count()).select_from(Exhibition)) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"closes_at": "hôm qua"}, "closes_at"),
        ({"opens_at": "2024"}, "opens_at"),
        ({"grid_columns": 0}, "grid_columns"),
        ({"grid_columns": 31}, "grid_columns"),
        ({"grid_rows": "٣"}, "grid_rows"),
        ({"grid_rows": True}, "grid_rows"),
        ({"exhibitor_rules": "x" * 5001}, "exhibitor_rules"),
    ],
)
def test_settings_refuse_bad_values(floor, change, field):
    with pytest.raises(Invalid) as refused:
        service.save_settings(floor.co, floor.event, settings(floor.event, **change))
    assert refused.value.field == field


def test_window_must_close_by_the_end_of_the_event(floor):
    event = floor.event
    with pytest.raises(Invalid, match="sự kiện kết thúc") as refused:
        service.save_settings(
            floor.co, event, settings(event, closes_at=event.ends_at + timedelta(minutes=1))
        )
    assert refused.value.field == "closes_at"
    with pytest.raises(Invalid, match="phải sau"):
        service.save_settings(
            floor.co,
            event,
            settings(
                event,
                opens_at=event.ends_at - timedelta(hours=1),
                closes_at=event.ends_at - timedelta(hours=2),
            ),
        )


def test_only_the_events_managers_change_the_floor(floor):
    with pytest.raises(PermissionDenied):
        service.save_settings(floor.other, floor.event, settings(floor.event))
    with pytest.raises(PermissionDenied):
        add_type(floor.other, floor.event)
    with pytest.raises(PermissionDenied):
        service.save_settings(floor.applicant, floor.event, settings(floor.event))


def test_a_grid_too_small_for_the_booths_is_refused(floor):
    add_type(floor.so, floor.event, count=10)
    with pytest.raises(Invalid, match="ít hơn 10 gian") as refused:
        service.save_settings(floor.so, floor.event, settings(floor.event, grid_columns=3, grid_rows=3))
    assert refused.value.field == "grid_rows"


def test_a_smaller_grid_moves_the_booths_left_outside(floor):
    add_type(floor.so, floor.event, count=6)  # 8 × 4: A01 … A06 on the first row
    service.save_settings(floor.so, floor.event, settings(floor.event, grid_columns=3, grid_rows=2))
    cells = {b.number: (b.grid_column, b.grid_row) for b in db.session.scalars(select(Booth))}
    assert sorted(cells.values()) == [(c, r) for c in (1, 2, 3) for r in (1, 2)]


# --- booth types and generation -----------------------------------------------------------------------


def test_types_generate_numbered_booths_on_the_grid_in_order(floor):
    standard = add_type(floor.so, floor.event, count=3)
    corner = add_type(floor.so, floor.event, "Gian góc", count=2)
    assert numbers(floor.event) == ["A01", "A02", "A03", "B01", "B02"]
    placed = {
        b.number: (b.grid_column, b.grid_row)
        for b in db.session.scalars(select(Booth).where(Booth.event_id == floor.event.id))
    }
    assert placed == {"A01": (1, 1), "A02": (2, 1), "A03": (3, 1), "B01": (4, 1), "B02": (5, 1)}
    assert service.type_prefix(standard, list(db.session.scalars(select(Booth)))) == "A"
    assert corner.id != standard.id
    # The exhibition row exists now (it holds the grid the booths were placed on).
    assert db.session.scalar(select(func.count()).select_from(Exhibition)) == 1


def test_an_organiser_chosen_prefix_and_renumbering(floor):
    ocop = add_type(floor.so, floor.event, "Gian OCOP", count=2, prefix="ocop")
    assert numbers(floor.event) == ["OCOP01", "OCOP02"]
    service.save_booth_type(
        floor.so, floor.event, ocop, {"name": "Gian OCOP", "count": 3, "passes": 2, "prefix": "K"}
    )
    assert numbers(floor.event) == ["K01", "K02", "K03"]
    with pytest.raises(Invalid, match="đã được dùng") as refused:
        add_type(floor.so, floor.event, "Gian khác", count=1, prefix="K")
    assert refused.value.field == "prefix"


def test_raising_and_lowering_a_count(floor):
    standard = add_type(floor.so, floor.event, count=3)
    data = {"name": standard.name, "count": 5, "passes": 2}
    service.save_booth_type(floor.so, floor.event, standard, data)
    assert numbers(floor.event) == ["A01", "A02", "A03", "A04", "A05"]
    service.save_booth_type(floor.so, floor.event, standard, {**data, "count": 2})
    assert numbers(floor.event) == ["A01", "A02"]


def test_an_allocated_booth_is_never_removed(floor):
    standard = add_type(floor.so, floor.event, count=3)
    application = accepted(floor.event, standard)
    a03 = db.session.scalar(select(Booth).where(Booth.number == "A03"))
    floor_allocation.allocate(floor.so, application, a03)
    with pytest.raises(Invalid, match="A03 \\(HTX Nông sản Nghĩa Hành\\)") as refused:
        service.save_booth_type(
            floor.so, floor.event, standard, {"name": standard.name, "count": 2, "passes": 2}
        )
    assert refused.value.field == "count"
    assert numbers(floor.event) == ["A01", "A02", "A03"]
    assert db.session.get(BoothType, standard.id).count == 3  # nothing half-saved
    with pytest.raises(Invalid, match="gỡ phân gian"):
        service.save_booth_type(
            floor.so, floor.event, standard, {"name": standard.name, "count": 3, "passes": 2, "prefix": "Z"}
        )
    with pytest.raises(Conflict, match="A03"):
        service.delete_booth_type(floor.so, floor.event, db.session.get(BoothType, standard.id))


def test_deleting_a_type_removes_its_booths(floor):
    add_type(floor.so, floor.event, count=2)
    corner = add_type(floor.so, floor.event, "Gian góc", count=2)
    service.delete_booth_type(floor.so, floor.event, corner)
    assert numbers(floor.event) == ["A01", "A02"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": " "}, "name"),
        ({"name": "G" * 121}, "name"),
        ({"count": -1}, "count"),
        ({"count": 301}, "count"),
        ({"count": "1e3"}, "count"),
        ({"passes": 21}, "passes"),
        ({"provides": ["table", "piano"]}, "provides"),
        ({"prefix": "A-1"}, "prefix"),
        ({"prefix": "1A"}, "prefix"),
        ({"size": "x" * 61}, "size"),
    ],
)
def test_booth_type_refuses_bad_values(floor, change, field):
    with pytest.raises(Invalid) as refused:
        add_type(floor.so, floor.event, **change)
    assert refused.value.field == field
    assert db.session.scalar(select(func.count()).select_from(BoothType)) == 0


def test_type_names_are_unique_per_event(floor):
    add_type(floor.so, floor.event, "Gian tiêu chuẩn")
    with pytest.raises(Invalid, match="cùng tên"):
        add_type(floor.so, floor.event, "gian tiêu chuẩn")


def test_the_event_has_at_most_500_booths(floor):
    add_type(floor.so, floor.event, count=300)
    with pytest.raises(Invalid, match="tối đa 500"):
        add_type(floor.so, floor.event, "Gian góc", count=201)


# --- positions --------------------------------------------------------------------------------------


def test_place_a_booth_on_a_free_cell_and_on_the_image(floor):
    add_type(floor.so, floor.event, count=2)
    a01, a02 = (db.session.scalar(select(Booth).where(Booth.number == n)) for n in ("A01", "A02"))
    service.place_booth(
        floor.so,
        floor.event,
        a01,
        {"zone": "Khu A", "grid_column": 4, "grid_row": 3, "x_percent": 10, "y_percent": 90},
    )
    assert (a01.zone, a01.grid_column, a01.grid_row, a01.x_percent, a01.y_percent) == ("Khu A", 4, 3, 10, 90)
    with pytest.raises(Invalid, match="đã có gian A01"):
        service.place_booth(floor.so, floor.event, a02, {"grid_column": 4, "grid_row": 3})
    with pytest.raises(Invalid) as half:
        service.place_booth(floor.so, floor.event, a02, {"x_percent": 5})
    assert half.value.field == "y_percent"
    with pytest.raises(Invalid):
        service.place_booth(floor.so, floor.event, a02, {"x_percent": 101, "y_percent": 5})
    with pytest.raises(Invalid):
        service.place_booth(floor.so, floor.event, a02, {"grid_column": 9, "grid_row": 1})


# --- the plan image ------------------------------------------------------------------------------------


def upload(data: bytes, name="so-do.png"):
    from werkzeug.datastructures import FileStorage

    return FileStorage(stream=io.BytesIO(data), filename=name)


def test_plan_upload_is_sniffed_stored_and_replaced(app, floor):
    first = service.upload_plan(floor.so, floor.event, upload(image_bytes("PNG")))
    old_path = service.plan_file(floor.so, floor.event)[0]
    assert old_path.is_file() and old_path.parent.name == "plans" and first.plan_kind == "png"
    assert old_path.is_relative_to(app.config["UPLOAD_DIR"])
    service.upload_plan(floor.so, floor.event, upload(image_bytes("JPEG"), "anh.png"))  # the name lies
    path, mimetype = service.plan_file(floor.so, floor.event)
    assert mimetype == "image/jpeg" and path.suffix == ".jpg" and not old_path.exists()
    assert floor_allocation.floor_plan(floor.event).kind == "image"
    service.remove_plan(floor.so, floor.event)
    assert not path.exists() and floor_allocation.floor_plan(floor.event).kind == "grid"
    with pytest.raises(NotFound):
        service.plan_file(floor.so, floor.event)


@pytest.mark.parametrize(
    "data",
    [b"", b"%PDF-1.4 not an image", b"GIF89a......", b"<svg onload=alert(1)>", b"\x89PNG"[:3] + b"x" * 40],
)
def test_plan_upload_refuses_what_is_not_a_jpeg_or_png(floor, data):
    with pytest.raises(Invalid) as refused:
        service.upload_plan(floor.so, floor.event, upload(data, "so-do.png"))
    assert refused.value.field == "plan"
    assert service.exhibition_for(floor.event).plan_stored_name is None


def test_plan_upload_over_10_mb_is_refused(floor):
    big = image_bytes("PNG") + b"\0" * (10 * 1024 * 1024)
    with pytest.raises(Invalid, match="10 MB"):
        service.upload_plan(floor.so, floor.event, upload(big))


# --- pages -------------------------------------------------------------------------------------------


def test_pages_for_the_events_managers_only(app, floor):
    add_type(floor.so, floor.event, count=2)
    pages = ["/cai-dat", "/loai-gian/them", "/so-do", "/so-do/vi-tri", "/danh-sach-in"]
    for email in ("hoi@example.vn", "tnv@example.vn"):  # another contest's organiser, check-in staff
        client = signed_in(app, email)
        for page in pages:
            assert client.get(BASE + page).status_code == 403, (email, page)
    client = signed_in(app, "hs@example.vn")
    assert client.get(BASE + "/so-do").status_code == 403
    assert app.test_client().get(BASE + "/so-do").status_code == 302  # anonymous: to the login page
    client = signed_in(app, "doan@example.vn")
    for page in pages:
        assert client.get(BASE + page).status_code == 200, page
    assert client.get("/su-kien/quan-ly/khong-co/gian-hang/so-do").status_code == 404
    assert client.get(BASE + "/loai-gian/999999").status_code == 404
    assert client.get(BASE + "/so-do/anh").status_code == 404


def test_settings_form_keeps_typed_values_on_error(client, login, floor):
    login("doan@example.vn")
    response = submit(
        client,
        BASE + "/cai-dat",
        {
            "is_open": "y",
            "closes_at": "2999-01-01T10:00",
            "grid_columns": "8",
            "grid_rows": "4",
            "exhibitor_rules": "Mang theo bàn",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "sự kiện kết thúc" in html and "Mang theo bàn" in html and 'value="2999-01-01T10:00"' in html


def test_type_form_creates_booths_and_the_event_page_counts_them(client, login, floor):
    login("doan@example.vn")
    response = submit(
        client,
        BASE + "/loai-gian/them",
        {
            "name": "Gian tiêu chuẩn",
            "size": "3 m × 3 m",
            "count": "3",
            "passes": "2",
            "position": "1",
            "provides": ["table", "power"],
        },
    )
    assert response.status_code == 302
    assert numbers(floor.event) == ["A01", "A02", "A03"]
    page = client.get("/su-kien/quan-ly/ngay-hoi-san").get_data(as_text=True)
    assert "Gian hàng" in page and "3 gian: 0 đã phân, 3 còn trống." in page
    plan = client.get(BASE + "/so-do?gian=A02").get_data(as_text=True)
    assert 'id="gian-A02"' in plan and "spot free chosen" in plan


@pytest.mark.parametrize(
    "data",
    [
        {"name": "Gian\u202e", "count": "3"},
        {"name": "Gian", "count": "99999999999999999999"},
        {"name": "Gian", "count": "ba"},
        {"name": "Gian\x00", "count": "1"},
        {"name": "G" * 10_000, "count": "1"},
        {"name": "Gian", "count": "1", "provides": ["<script>"]},
    ],
)
def test_type_form_answers_ugly_input_with_422(client, login, floor, data):
    login("doan@example.vn")
    response = submit(client, BASE + "/loai-gian/them", {"passes": "2", **data})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(BoothType)) == 0


def test_plan_upload_through_the_page(client, login, floor):
    add_type(floor.so, floor.event, count=2)
    login("doan@example.vn")
    page = BASE + "/so-do/vi-tri"
    bad = submit(
        client,
        BASE + "/so-do/tai-anh",
        {"so-do-plan": (io.BytesIO(b"MZ\x90\x00 exe"), "so-do.jpg")},
        page=page,
    )
    assert bad.status_code == 422 and "JPEG hoặc PNG" in bad.get_data(as_text=True)
    good = submit(
        client,
        BASE + "/so-do/tai-anh",
        {"so-do-plan": (io.BytesIO(image_bytes("PNG")), "plan.png")},
        page=page,
    )
    assert good.status_code == 302
    image = client.get(BASE + "/so-do/anh")
    assert image.status_code == 200 and image.mimetype == "image/png"
    html = client.get(page).get_data(as_text=True)
    assert "Chọn trên ảnh" in html and 'name="g' in html


def test_position_form_saves_and_refuses(client, login, floor):
    add_type(floor.so, floor.event, count=2)
    a01 = db.session.scalar(select(Booth).where(Booth.number == "A01"))
    login("doan@example.vn")
    page = BASE + "/so-do/vi-tri"
    prefix = f"g{a01.id}-"
    ok = submit(
        client,
        f"{BASE}/gian/{a01.id}",
        {prefix + "zone": "Khu OCOP", prefix + "grid_column": "6", prefix + "grid_row": "2"},
        page=page,
    )
    assert ok.status_code == 302
    db.session.expire_all()
    assert (a01.zone, a01.grid_column, a01.grid_row) == ("Khu OCOP", 6, 2)
    taken = submit(
        client, f"{BASE}/gian/{a01.id}", {prefix + "grid_column": "2", prefix + "grid_row": "1"}, page=page
    )
    assert taken.status_code == 422 and "đã có gian A02" in taken.get_data(as_text=True)
    hostile = submit(
        client,
        f"{BASE}/gian/{a01.id}",
        {prefix + "grid_column": "-1e9", prefix + "zone": "Khu\u202e"},
        page=page,
    )
    assert hostile.status_code == 422
    no_csrf = client.post(f"{BASE}/gian/{a01.id}", data={prefix + "zone": "X"})
    assert no_csrf.status_code in (400, 422)
    assert client.post(f"{BASE}/gian/999999", data={}).status_code in (400, 404)
