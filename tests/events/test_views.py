"""Event pages over HTTP: registration with consents, the ticket page and its QR (decoded), resend,
organiser screens, device tokens from the UI and the CLI, permissions, the home section."""

from __future__ import annotations

import io
import re

import zxingcpp
from PIL import Image
from sqlalchemy import select

from app.events.models import Attendee, DeviceToken
from app.extensions import db
from app.privacy.models import Consent
from tests.conftest import csrf_from, submit

FORM = {
    "full_name": "Nguyễn Thị Hồng",
    "phone": "0905 123 456",
    "email": "hong@example.vn",
    "organisation": "Trường ĐH Phạm Văn Đồng",
    "category": "Khách tham quan",
    "group_name": "",
    "consent_process_registration": "y",
}


def decode_qr(png: bytes) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_registration_issues_ticket_with_qr_that_decodes_to_ticket_url(client, event, outbox):
    page = client.get(f"/su-kien/{event.slug}")
    assert page.status_code == 200 and "Đăng ký tham dự" in page.get_data(as_text=True)
    response = submit(client, f"/su-kien/{event.slug}", FORM)
    assert response.status_code == 302
    ticket_path = response.headers["Location"]
    assert re.fullmatch(r"/ve/[a-z2-7]{39}", ticket_path)
    code = ticket_path.rsplit("/", 1)[1]

    html = client.get(ticket_path).get_data(as_text=True)
    assert "Nguyễn Thị Hồng" in html and event.name in html and "Khách tham quan" in html
    data_uri = re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1)
    import base64

    assert decode_qr(base64.b64decode(data_uri)) == [f"http://localhost/ve/{code}"]

    png = client.get(f"{ticket_path}/ve.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert "attachment" in png.headers["Content-Disposition"]
    assert decode_qr(png.data) == [f"http://localhost/ve/{code}"]

    # The confirmation email carries the ticket link; consents are stored with the registration.
    assert outbox[-1]["To"] == "hong@example.vn"
    assert f"/ve/{code}" in outbox[-1].get_content()
    attendee = db.session.scalar(select(Attendee))
    assert attendee.phone == "+84905123456" and attendee.search_text.startswith("nguyen thi hong")
    consents = {
        c.purpose: c.granted
        for c in db.session.scalars(select(Consent).where(Consent.subject_id == attendee.id))
    }
    assert consents == {"process_registration": True, "newsletter": False}


def test_registration_errors_are_in_vietnamese_and_keep_input(client, event):
    no_consent = submit(client, f"/su-kien/{event.slug}", {**FORM, "consent_process_registration": ""})
    assert no_consent.status_code == 422
    html = no_consent.get_data(as_text=True)
    assert "Bạn cần đánh dấu ô đồng ý" in html and 'value="Nguyễn Thị Hồng"' in html
    bad_phone = submit(client, f"/su-kien/{event.slug}", {**FORM, "phone": "0212 345 678"})
    assert bad_phone.status_code == 422 and "Số điện thoại di động không hợp lệ" in bad_phone.get_data(
        as_text=True
    )
    bad_category = submit(client, f"/su-kien/{event.slug}", {**FORM, "category": "VIP"})
    assert bad_category.status_code == 422
    assert submit(client, f"/su-kien/{event.slug}", FORM).status_code == 302
    twice = submit(client, f"/su-kien/{event.slug}", {**FORM, "full_name": "Người Khác"})
    assert twice.status_code == 422 and "đã đăng ký sự kiện" in twice.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(Attendee)) == 1


def test_closed_full_and_unknown_events(client, make_event):
    from datetime import timedelta

    from app.localtime import utcnow

    closed = make_event(slug="da-dong", registration_closes_at=utcnow() - timedelta(hours=1))
    html = client.get(f"/su-kien/{closed.slug}").get_data(as_text=True)
    assert "không nhận đăng ký" in html
    assert submit(client, f"/su-kien/{closed.slug}", FORM).status_code == 422
    full = make_event(slug="nho", capacity=1)
    assert submit(client, f"/su-kien/{full.slug}", FORM).status_code == 302
    refused = submit(
        client, f"/su-kien/{full.slug}", {**FORM, "phone": "0905 999 888"}, page=f"/su-kien/{full.slug}"
    )
    assert refused.status_code in (200, 422)
    assert (
        db.session.scalar(select(db.func.count()).select_from(Attendee).where(Attendee.event_id == full.id))
        == 1
    )
    assert client.get("/su-kien/khong-ton-tai").status_code == 404
    assert client.get("/ve/khong-phai-ma-ve").status_code == 404


def test_resend_ticket_answers_the_same_whether_or_not_registered(client, event, register, outbox):
    attendee = register(event, "Lê Văn Tám", phone="0905111222", email="tam@example.vn")
    outbox.clear()
    known = submit(client, f"/su-kien/{event.slug}/gui-lai-ve", {"contact": "0905 111 222"})
    unknown = submit(client, f"/su-kien/{event.slug}/gui-lai-ve", {"contact": "khong@example.vn"})
    assert known.status_code == unknown.status_code == 302
    assert len(outbox) == 1 and attendee.active_ticket.code in outbox[0].get_content()
    assert submit(client, f"/su-kien/{event.slug}/gui-lai-ve", {"contact": "abc"}).status_code == 422


def test_reissued_ticket_page_says_revoked(client, event, register, organiser, login):
    attendee = register(event)
    old = attendee.active_ticket.code
    login(organiser.email)
    target = f"/su-kien/quan-ly/{event.slug}/nguoi-tham-du/{attendee.id}"
    response = submit(
        client, f"{target}/cap-lai-ve", {"reissue-reason": "Khách làm mất điện thoại"}, page=target
    )
    assert response.status_code == 302
    assert client.get(f"/ve/{old}").status_code == 410
    db.session.refresh(attendee)
    assert client.get(f"/ve/{attendee.active_ticket.code}").status_code == 200


def test_organiser_creates_event_and_device_token_once(client, organiser, login):
    login(organiser.email)
    form = {
        "name": "Ngày hội phụ nữ KNĐMST",
        "slug": "ngay-hoi-phu-nu",
        "venue": "Nhà văn hóa tỉnh",
        "starts_at": "2026-12-20T07:30",
        "ends_at": "2026-12-20T11:30",
        "capacity": "300",
        "categories": "Khách mời\nKhách tham quan",
        "gates": "Cổng chính",
        "contest_id": "0",
        "is_published": "y",
    }
    bad = submit(client, "/su-kien/quan-ly/tao-moi", {**form, "ends_at": "2026-12-20T06:00"})
    assert bad.status_code == 422 and "kết thúc phải sau" in bad.get_data(as_text=True)
    reserved = submit(client, "/su-kien/quan-ly/tao-moi", {**form, "slug": "quan-ly"})
    assert reserved.status_code == 422
    created = submit(client, "/su-kien/quan-ly/tao-moi", form)
    assert created.headers["Location"].endswith("/su-kien/quan-ly/ngay-hoi-phu-nu")
    page = client.get("/su-kien/quan-ly/ngay-hoi-phu-nu").get_data(as_text=True)
    assert "07:30 20/12/2026" in page

    shown = submit(
        client,
        "/su-kien/quan-ly/ngay-hoi-phu-nu/thiet-bi",
        {"device-name": "Điện thoại cổng chính"},
        page="/su-kien/quan-ly/ngay-hoi-phu-nu",
    )
    token = re.search(r'<code class="token">(kdt_[^<]+)</code>', shown.get_data(as_text=True)).group(1)
    assert "no-store" in shown.headers["Cache-Control"]
    assert token not in client.get("/su-kien/quan-ly/ngay-hoi-phu-nu").get_data(as_text=True)
    stored = db.session.scalar(select(DeviceToken))
    assert token not in stored.token_hash and len(stored.token_hash) == 64
    ok = client.get("/api/v1/events/ngay-hoi-phu-nu/stats", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200 and ok.get_json()["registered"] == 0


def test_pages_need_the_right_role(client, event, make_user, login, staff):
    assert client.get("/su-kien/quan-ly").status_code == 302  # to login
    login(staff.email)
    assert client.get("/su-kien/quan-ly").status_code == 403
    assert client.get(f"/su-kien/{event.slug}/so-lieu").status_code == 403
    mine = client.get("/quet-ve").get_data(as_text=True)
    assert event.name in mine
    nav = client.get("/").get_data(as_text=True)
    # Check-in staff scan; the management list is not theirs (the public "Sự kiện" list is everyone's).
    assert "Quét vé" in nav and "Quản lý sự kiện" not in nav


def test_staff_assignment_needs_a_checkin_account(client, event, organiser, make_user, login):
    applicant = make_user("ts@example.vn", roles=("applicant",), name="Thí Sinh Một")
    login(organiser.email)
    page = f"/su-kien/quan-ly/{event.slug}"
    refused = submit(client, f"{page}/nhan-su", {"staff-email": applicant.email}, page=page)
    assert refused.status_code == 422 and "chưa có vai trò" in refused.get_data(as_text=True)
    volunteer = make_user("tnv2@example.vn", roles=("checkin_staff",), name="Tình Nguyện")
    assert submit(client, f"{page}/nhan-su", {"staff-email": volunteer.email}, page=page).status_code == 302


def test_live_counts_page_and_home_section(client, event, register, organiser, login, device_scope):
    from app.events import checkin

    attendee = register(event, "Đinh Thị Vào Cổng")
    checkin.record_checkin(device_scope, attendee.active_ticket.code, gate="Cổng B")
    home = client.get("/").get_data(as_text=True)
    assert event.name in home and "Đăng ký tham dự" in home
    login(organiser.email)
    live = client.get(f"/su-kien/{event.slug}/so-lieu").get_data(as_text=True)
    assert (
        "Số liệu trực tiếp" in live and 'id="live-registered">1<' in live and 'id="live-checked">1<' in live
    )
    manage = client.get(f"/su-kien/quan-ly/{event.slug}").get_data(as_text=True)
    recent = manage[manage.index("Check-in gần đây") :]
    assert "Đinh Thị Vào Cổng" in recent and "Cổng B" in recent


def test_create_device_token_cli(runner, event):
    result = runner.invoke(args=["create-device-token", "--event", event.slug, "--name", "Máy quét cổng B"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("kdt_")
    from app.events import checkin

    assert checkin.scope_for_device(event.slug, token).label == "Thiết bị: Máy quét cổng B"
    missing = runner.invoke(args=["create-device-token", "--event", "khong-co", "--name", "X"])
    assert missing.exit_code != 0 and "Không tìm thấy sự kiện" in missing.output


def test_a_co_organiser_sees_and_runs_only_their_contests_events(
    client, make_event, register, organiser, co_organised, login
):
    """Defect 8 over HTTP: events, attendees, downloads, devices, staff and the scanner API."""
    theirs = make_event(slug="ngay-hoi-phu-nu", name="Ngày hội phụ nữ", contest_id=co_organised.theirs.id)
    unlinked = make_event(slug="ngay-hoi-so", name="Ngày hội của Sở")
    ours = make_event(slug="chung-ket-doan", name="Chung kết thanh niên", contest_id=co_organised.ours.id)
    guest = register(theirs, "Khách Của Hội Phụ Nữ", email="khach@example.vn")
    login(co_organised.co_organiser.email)
    listing = client.get("/su-kien/quan-ly").get_data(as_text=True)
    assert ours.name in listing and theirs.name not in listing and unlinked.name not in listing
    csrf = csrf_from(client.get(f"/su-kien/quan-ly/{ours.slug}").get_data(as_text=True))
    for event in (theirs, unlinked):
        base = f"/su-kien/quan-ly/{event.slug}"
        for url in (
            base,
            f"{base}/sua",
            f"{base}/dang-ky-ho",
            f"/su-kien/{event.slug}/so-lieu",
            f"/su-kien/{event.slug}/quet-ve",
            f"/bao-cao/su-kien/{event.slug}/tham-du.xlsx",
            f"/bao-cao/su-kien/{event.slug}/nhap-khach",
            f"/bao-cao/su-kien/{event.slug}/mau-khach-moi.xlsx",
            f"/bao-cao?su-kien={event.slug}",
            f"/api/v1/events/{event.slug}/stats",
        ):
            assert client.get(url).status_code == 403, url
        for url, data in (
            (f"{base}/sua", {"name": "Chiếm quyền", "contest_id": str(co_organised.ours.id)}),
            (f"{base}/thiet-bi", {"device-name": "Máy lạ"}),
            (f"{base}/nhan-su", {"staff-email": co_organised.co_organiser.email}),
            (f"{base}/dong-bo-cuoc-thi", {}),
        ):
            assert client.post(url, data={**data, "csrf_token": csrf}).status_code == 403, url
    attendee_url = f"/su-kien/quan-ly/{theirs.slug}/nguoi-tham-du/{guest.id}"
    assert client.get(attendee_url).status_code == 403
    assert client.post(f"{attendee_url}/gui-lai-ve", data={"csrf_token": csrf}).status_code == 403
    assert client.get("/su-kien/quan-ly/khong-co").status_code == 404
    assert db.session.scalar(select(db.func.count()).select_from(DeviceToken)) == 0
    # Their own contest's event: all of it.
    for url in (f"/su-kien/quan-ly/{ours.slug}", f"/bao-cao/su-kien/{ours.slug}/tham-du.xlsx"):
        assert client.get(url).status_code == 200, url
    dashboard = client.get("/bao-cao").get_data(as_text=True)
    assert ours.name in dashboard and theirs.name not in dashboard
    # The event form offers only their contest, and no "unlinked" choice.
    form = client.get("/su-kien/quan-ly/tao-moi").get_data(as_text=True)
    assert co_organised.ours.name in form and co_organised.theirs.name not in form
    assert "Không liên kết" not in form


def category_options(html: str) -> list[str]:
    select_html = re.search(r'<select[^>]*name="category".*?</select>', html, re.S).group()
    return re.findall(r'<option[^>]*value="([^"]*)"', select_html)


def test_public_form_offers_only_self_service_categories(client, make_event, organiser, login):
    event = make_event(categories=["Khách mời/đại biểu", "Thí sinh", "Báo chí", "Khách tham quan"])
    page = client.get(f"/su-kien/{event.slug}").get_data(as_text=True)
    assert category_options(page) == ["", "Thí sinh", "Khách tham quan"]
    press = submit(client, f"/su-kien/{event.slug}", {**FORM, "category": "Báo chí"})
    assert press.status_code == 422
    assert db.session.scalar(select(db.func.count()).select_from(Attendee)) == 0
    # Organisers still register the press, and choose which categories are self-service.
    login(organiser.email)
    keyed = submit(
        client,
        f"/su-kien/quan-ly/{event.slug}/dang-ky-ho",
        {**FORM, "category": "Báo chí", "phone": "0905 000 111"},
    )
    assert keyed.status_code == 302
    edit = f"/su-kien/quan-ly/{event.slug}/sua"
    html = client.get(edit).get_data(as_text=True)
    assert "Thí sinh\nKhách tham quan</textarea>" in html
    fields = {
        "name": event.name,
        "slug": event.slug,
        "starts_at": "2026-12-20T07:30",
        "ends_at": "2026-12-20T11:30",
        "categories": "\n".join(event.categories),
        "gates": "Cổng A",
        "contest_id": "0",
        "is_published": "y",
    }
    refused = submit(client, edit, {**fields, "public_categories": "Khách VIP"})
    assert refused.status_code == 422 and "không có trong danh sách loại khách" in refused.get_data(
        as_text=True
    )
    assert submit(client, edit, {**fields, "public_categories": "Khách tham quan"}).status_code == 302
    client.post("/tai-khoan/dang-xuat", data={"csrf_token": csrf_from(html)})
    page = client.get(f"/su-kien/{event.slug}").get_data(as_text=True)
    assert category_options(page) == ["", "Khách tham quan"]


def test_an_invitation_only_event_shows_no_public_form(client, make_event):
    event = make_event(public_categories=[])
    html = client.get(f"/su-kien/{event.slug}").get_data(as_text=True)
    assert "không nhận tự đăng ký" in html and 'name="full_name"' not in html
    assert submit(client, f"/su-kien/{event.slug}", FORM).status_code == 422
