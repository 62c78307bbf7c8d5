"""The booth application pages over HTTP: the public part, the form (422 with every field's error
and the typed values kept), photos checked by content and size and shown only to the applicant and
the event's organisers, the exhibitor's page with passes, and the organisers' review and offers."""

from __future__ import annotations

import io

from sqlalchemy import select

from app.booths import applications, passes
from app.booths.models import BoothApplication
from app.extensions import db
from tests.booths.conftest import jpeg_bytes, png_bytes
from tests.conftest import csrf_from, submit

URL = "/su-kien/ngay-hoi-2024/gian-hang"
MANAGE = "/su-kien/quan-ly/ngay-hoi-2024/gian-hang/ho-so"


def form_data(world, **extra):
    return {
        "organisation": "HTX Nông nghiệp Nghĩa Hành",
        "org_kind": "cooperative",
        "tax_code": "",
        "sector": "Nông sản",
        "products": "Nước mắm Sa Huỳnh",
        "ocop_stars": "",
        "commune_code": "",
        "contact_name": "Phạm Thị Mai",
        "contact_phone": "0905111222",
        "contact_email": "mai@htx.vn",
        "booth_type_id": str(world.standard.id),
        "needs": ["table", "power"],
        "needs_note": "",
        "consent_process_registration": "y",
        **extra,
    }


def test_public_event_page_and_anonymous_apply_page(client, world):
    html = client.get("/su-kien/ngay-hoi-2024").get_data(as_text=True)
    assert "Đăng ký gian hàng" in html and "Gian tiêu chuẩn" in html and "1 bàn, 2 ghế" in html
    assert "Gian ngoài trời" not in html  # a type with no booths is not offered
    page = client.get(URL)
    assert page.status_code == 200
    assert "Đăng nhập để đăng ký" in page.get_data(as_text=True)
    assert client.get("/su-kien/khong-co/gian-hang").status_code == 404


def test_empty_form_answers_422_with_every_field_error(client, world, login):
    login("mai@htx.vn")
    response = submit(
        client,
        URL,
        {
            "organisation": "",
            "org_kind": "",
            "products": "",
            "contact_name": "",
            "contact_phone": "",
            "contact_email": "",
            "booth_type_id": "",
            "sector": "Nông sản <b>sạch</b>",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for message in (
        "Vui lòng nhập tên đơn vị.",
        "Vui lòng chọn loại hình đơn vị.",
        "Vui lòng giới thiệu sản phẩm sẽ trưng bày.",
        "Vui lòng nhập họ và tên người liên hệ.",
        "Vui lòng nhập số điện thoại di động.",
        "Vui lòng nhập email.",
        "Vui lòng chọn loại gian hàng.",
    ):
        assert message in html
    assert "Nông sản &lt;b&gt;sạch&lt;/b&gt;" in html  # kept, escaped


def test_service_error_keeps_the_typed_values(client, world, login):
    login("mai@htx.vn")
    response = submit(client, URL, form_data(world, contact_phone="0123", products="Tỏi cô đơn Lý Sơn"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Số điện thoại di động không hợp lệ" in html
    assert "Tỏi cô đơn Lý Sơn" in html and 'value="0123"' in html
    response = submit(client, URL, form_data(world, consent_process_registration=""))
    assert response.status_code == 422
    assert "Bạn cần đánh dấu ô đồng ý" in response.get_data(as_text=True)
    response = submit(client, URL, form_data(world, booth_type_id="99999999999999999999"))
    assert response.status_code == 422
    assert db.session.scalar(select(BoothApplication.id)) is None


def test_photos_are_sniffed_and_limited(client, app, world, login):
    login("mai@htx.vn")
    fake = b"%PDF-1.7\n" + b"0" * 2000
    response = submit(client, URL, form_data(world, photos=[(io.BytesIO(fake), "san-pham.jpg")]))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "không phải ảnh JPEG hoặc PNG" in html and "HTX Nông nghiệp Nghĩa Hành" in html
    big = jpeg_bytes() + b"\0" * (6 * 1024 * 1024)
    response = submit(client, URL, form_data(world, photos=[(io.BytesIO(big), "to.jpg")]))
    assert response.status_code == 422
    assert "vượt quá giới hạn 5,0 MB" in response.get_data(as_text=True)
    six = [(io.BytesIO(jpeg_bytes()), f"{i}.jpg") for i in range(6)]
    response = submit(client, URL, form_data(world, photos=six))
    assert response.status_code == 422 and "tối đa 5 ảnh" in response.get_data(as_text=True)
    assert db.session.scalar(select(BoothApplication.id)) is None
    response = submit(
        client,
        URL,
        form_data(world, photos=[(io.BytesIO(jpeg_bytes()), "a.jpg"), (io.BytesIO(png_bytes()), "b.png")]),
    )
    assert response.status_code == 302
    application = db.session.scalar(select(BoothApplication))
    assert [p.kind for p in application.photos] == ["jpg", "png"]
    photo_url = f"/gian-hang/ho-so/{application.id}/anh/{application.photos[0].id}"
    shown = client.get(photo_url)
    assert shown.status_code == 200 and shown.mimetype == "image/jpeg"
    assert shown.headers["Cache-Control"] == "private, no-store"
    # Delete one photo, then it is gone from disk and from the page.
    page = client.get(f"/gian-hang-cua-toi/{application.id}").get_data(as_text=True)
    second = application.photos[1]
    response = client.post(
        f"/gian-hang-cua-toi/{application.id}/anh/{second.id}/xoa", data={"csrf_token": csrf_from(page)}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert len(db.session.get(BoothApplication, application.id).photos) == 1


def test_photos_are_refused_to_others(client, app, world, login):
    login("mai@htx.vn")
    submit(client, URL, form_data(world, photos=[(io.BytesIO(jpeg_bytes()), "a.jpg")]))
    application = db.session.scalar(select(BoothApplication))
    photo_url = f"/gian-hang/ho-so/{application.id}/anh/{application.photos[0].id}"
    client.post(
        "/tai-khoan/dang-xuat", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))}
    )
    assert client.get(photo_url).status_code == 302  # to the sign-in page
    login("an@example.vn")
    assert client.get(photo_url).status_code == 403
    assert client.get(f"/gian-hang-cua-toi/{application.id}").status_code == 403
    client.post(
        "/tai-khoan/dang-xuat", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))}
    )
    login("tinhdoan@example.vn")
    assert client.get(photo_url).status_code == 403
    assert client.get(MANAGE).status_code == 403
    assert client.get(f"{MANAGE}/{application.id}").status_code == 403
    client.post(
        "/tai-khoan/dang-xuat", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))}
    )
    login("btc@example.vn")
    assert client.get(photo_url).status_code == 200
    assert client.get(f"/gian-hang/ho-so/{application.id}/anh/999999").status_code == 404


def test_review_accept_then_the_exhibitor_sees_passes(client, world, applied, login, outbox):
    login("btc@example.vn")
    listing = client.get(MANAGE + "?q=nghia+hanh&trang=abc")
    assert listing.status_code == 200
    assert "HTX Nông nghiệp Nghĩa Hành" in listing.get_data(as_text=True)
    assert client.get(MANAGE + "?trang_thai=refused").get_data(as_text=True).count("Nghĩa Hành") == 0
    page_url = f"{MANAGE}/{applied.id}"
    response = submit(client, page_url, {"status": "refused", "reason": ""})
    assert response.status_code == 422
    assert "Vui lòng ghi lý do không nhận" in response.get_data(as_text=True)
    response = submit(client, page_url, {"status": "accepted", "reason": "Chào mừng HTX"})
    assert response.status_code == 302
    assert "đã được NHẬN" in outbox[-1].get_content()
    client.post(
        "/tai-khoan/dang-xuat", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))}
    )
    login("mai@htx.vn")
    html = client.get("/").get_data(as_text=True)
    assert "Gian hàng của tôi" in html
    html = client.get(f"/gian-hang-cua-toi/{applied.id}").get_data(as_text=True)
    assert "Đã được nhận" in html and "Mở vé thẻ 1" in html and "Mở vé thẻ 2" in html
    second = passes.passes_of(applied)[1]
    response = submit(
        client,
        f"/gian-hang-cua-toi/{applied.id}/the/{second.id}",
        {f"the{second.id}-full_name": "Đỗ Văn Hùng", f"the{second.id}-phone": "12"},
        page=f"/gian-hang-cua-toi/{applied.id}",
    )
    assert response.status_code == 422
    assert "Số điện thoại di động không hợp lệ" in response.get_data(as_text=True)
    response = submit(
        client,
        f"/gian-hang-cua-toi/{applied.id}/the/{second.id}",
        {f"the{second.id}-full_name": "Đỗ Văn Hùng", f"the{second.id}-phone": ""},
        page=f"/gian-hang-cua-toi/{applied.id}",
    )
    assert response.status_code == 302
    assert "Đỗ Văn Hùng" in client.get(f"/gian-hang-cua-toi/{applied.id}").get_data(as_text=True)
    # Withdraw: the passes' tickets are revoked.
    response = submit(
        client, f"/gian-hang-cua-toi/{applied.id}/rut", {}, page=f"/gian-hang-cua-toi/{applied.id}"
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(BoothApplication, applied.id).status == "withdrawn"


def test_offer_page(client, world, login, make_user):
    from tests.booths.test_applications import _finalist

    entry, leader = _finalist(world, make_user, 1)
    login("btc@example.vn")
    url = "/su-kien/quan-ly/ngay-hoi-2024/gian-hang/moi-du-an"
    html = client.get(url).get_data(as_text=True)
    assert "Dự án số 1" in html
    response = submit(client, url, {"booth_type_id": "", "entries": [str(entry.id)]})
    assert response.status_code == 422
    response = submit(
        client, url, {"booth_type_id": str(world.standard.id), "entries": [str(entry.id), "x", "-1"]}
    )
    assert response.status_code == 302
    assert applications.status_counts(world.event)["offered"] == 1
    client.post(
        "/tai-khoan/dang-xuat", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))}
    )
    login("tinhdoan@example.vn")
    assert client.get(url).status_code == 403
