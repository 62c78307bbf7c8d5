"""Certificates over HTTP: the organisers' page, issuing and revoking by POST, who downloads which
PDF, the public verification page, the batches through the job queue, and ugly input (never a 500)."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile

import pytest
from flask import render_template
from flask_login import login_user
from sqlalchemy import select

from app.certificates import services
from app.certificates.models import Certificate
from app.extensions import db
from tests.conftest import SCREENSHOT_DIR, csrf_from, submit

MANAGE = "/quan-ly/chung-nhan/cuoc-thi/y-tuong-test"
EVENT = "/quan-ly/chung-nhan/su-kien/ngay-hoi"


def _certs() -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).order_by(Certificate.id)))


def _client_of(client, email: str):
    """A fresh browser signed in as `email`."""
    fresh = client.application.test_client()
    assert (
        submit(fresh, "/tai-khoan/dang-nhap", {"email": email, "password": "GaoLua2024"}).status_code == 302
    )
    return fresh


def _issue(client, page: str, group: str, **extra):
    return submit(client, f"{page}/cap", {"group": group, **extra}, page=page)


def test_organiser_page_issue_and_list(world, client, login):
    login("so@example.vn")
    page = client.get(MANAGE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for label in (
        "Cấp cho người đạt giải",
        "Cấp cho các đội vào vòng",
        "Mẫu giấy chứng nhận",
        "Lý do thu hồi" if False else "Lưu mẫu",
    ):
        assert label in html
    response = _issue(client, MANAGE, "prize")
    assert response.status_code == 303
    html = client.get(MANAGE).get_data(as_text=True)
    assert "Đã cấp 5 giấy chứng nhận mới" in html
    assert "Đặng Quốc Bảo" in html and "Tải tất cả (.zip)" in html and "Tải một tệp PDF nhiều trang" in html
    _issue(client, MANAGE, "prize")
    assert "5 người đã có giấy" in client.get(MANAGE).get_data(as_text=True)
    assert len(_certs()) == 5
    _issue(client, MANAGE, "finalist", round_id=str(world.final.id))
    assert len(_certs()) == 11
    # A group that does not belong to a contest, a foreign round, junk: refused, never a 500.
    for data in (
        {"group": "attendance"},
        {"group": "x" * 500},
        {"group": "finalist", "round_id": "99999"},
        {"group": "finalist", "round_id": "-1; drop table"},
    ):
        assert _issue(client, MANAGE, **data).status_code == 303
    assert len(_certs()) == 11


def test_event_attendance_and_mail(world, client, login, outbox):
    login("so@example.vn")
    assert client.get(EVENT).status_code == 200
    assert _issue(client, EVENT, "attendance").status_code == 303
    assert sorted(c.full_name for c in _certs()) == ["Võ Thị Sáu", "Đỗ Văn Ấn"]
    assert len(outbox) == 1
    link = re.search(r"http\S+/chung-nhan/\S+\.pdf\?t=\S+", outbox[0].get_content()).group(0)
    anonymous = client.application.test_client()
    path = link.split("/", 3)[3]
    response = anonymous.get("/" + path)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    # The token of one certificate opens no other.
    other = next(c for c in _certs() if c.code not in path)
    token = path.split("t=")[1]
    assert anonymous.get(f"/chung-nhan/{other.code}.pdf?t={token}").status_code == 404
    assert anonymous.get(f"/chung-nhan/{other.code}.pdf?t=garbage").status_code == 404


@pytest.mark.parametrize("who, status", [("co@example.vn", 403), ("la@example.vn", 403), (None, 302)])
def test_others_cannot_open_the_organiser_pages(world, client, login, who, status):
    if who:
        login(who)
    for url in (MANAGE, EVENT):
        assert client.get(url).status_code == status
    if who == "co@example.vn":
        assert client.get("/quan-ly/chung-nhan/cuoc-thi/cuoc-thi-khac").status_code == 200
        token = csrf_from(client.get("/quan-ly/chung-nhan/cuoc-thi/cuoc-thi-khac").get_data(as_text=True))
        assert client.post(f"{MANAGE}/cap", data={"group": "prize", "csrf_token": token}).status_code == 403
        assert client.post(f"{MANAGE}/tai", data={"format": "zip", "csrf_token": token}).status_code == 403
        assert _certs() == []


def test_who_downloads_which_pdf(world, client, login):
    services.issue(world.staff, "prize", contest=world.contest)
    mine = [c for c in _certs() if c.entry_id == world.winner.id]
    theirs = next(c for c in _certs() if c.entry_id == world.runner_up.id)
    assert client.get(f"/chung-nhan/{mine[0].code}.pdf").status_code == 404  # anonymous
    login("nhung@example.vn")
    for cert in mine:  # the leader: every certificate of her entry
        response = client.get(f"/chung-nhan/{cert.code.lower()}.pdf")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert "no-store" in response.headers["Cache-Control"]
    assert client.get(f"/chung-nhan/{theirs.code}.pdf").status_code == 403
    client = _client_of(client, "co@example.vn")
    assert client.get(f"/chung-nhan/{mine[0].code}.pdf").status_code == 403
    client = _client_of(client, "so@example.vn")
    assert client.get(f"/chung-nhan/{theirs.code}.pdf").status_code == 200
    services.revoke(world.staff, theirs, "Sai tên")
    assert client.get(f"/chung-nhan/{theirs.code}.pdf").status_code == 409
    for junk in ("ZZZZ-ZZZZ", "x" * 3000, "%00", "..%2F..%2Fetc%2Fpasswd", "ABCD-EFG%C3%80"):
        assert client.get(f"/chung-nhan/{junk}.pdf").status_code == 404


def test_public_verification_page(world, client):
    services.issue(world.staff, "prize", contest=world.contest)
    cert = next(c for c in _certs() if c.full_name == "Trương Thị Ý")
    response = client.get(f"/xac-minh/{cert.code}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Giấy chứng nhận hợp lệ" in html and "Trương Thị Ý" in html and "Giải Nhất" in html
    assert "SỞ KHOA HỌC VÀ CÔNG NGHỆ" in html and cert.issued_on.strftime("%d/%m/%Y") in html
    # Nothing else about the person or the entry.
    for private in ("@example.vn", "KT-001", "Nguyễn Thị Hồng Nhung", "Đặng Quốc Bảo"):
        assert private not in html
    assert client.get(f"/xac-minh/{cert.code.lower().replace('-', '')}").status_code == 200
    services.revoke(world.staff, cert, "Trùng lặp")
    html = client.get(f"/xac-minh/{cert.code}").get_data(as_text=True)
    assert "Giấy chứng nhận này đã bị thu hồi (ngày" in html and "lý do: Trùng lặp" in html
    assert "Giấy chứng nhận hợp lệ" not in html
    tampered = cert.code[:-1] + ("X" if cert.code[-1] != "X" else "Y")
    for code in (tampered, "ZZZZ-ZZZZ", "<script>alert(1)<script>", "x" * 3000):
        response = client.get(f"/xac-minh/{code}")
        assert response.status_code == 404
        assert "Không tìm thấy mã xác minh" in response.get_data(as_text=True)
        assert "<script>alert" not in response.get_data(as_text=True)


def test_verification_form(world, client):
    services.issue(world.staff, "prize", contest=world.contest)
    code = _certs()[0].code
    page = client.get("/xac-minh")
    assert page.status_code == 200 and 'for="ma"' in page.get_data(as_text=True)
    response = client.get("/xac-minh", query_string={"ma": code.lower().replace("-", " ")})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/xac-minh/{code}")
    bad = client.get("/xac-minh", query_string={"ma": "12"})
    assert bad.status_code == 404 and "Không tìm thấy mã xác minh" in bad.get_data(as_text=True)


def test_revoke_over_http(world, client, login):
    services.issue(world.staff, "attendance", event=world.event)
    cert = _certs()[0]
    login("so@example.vn")
    assert (
        submit(client, f"/quan-ly/chung-nhan/{cert.id}/thu-hoi", {"reason": ""}, page=EVENT).status_code
        == 303
    )
    db.session.refresh(cert)
    assert cert.revoked_at is None
    submit(client, f"/quan-ly/chung-nhan/{cert.id}/thu-hoi", {"reason": "Check-in nhầm"}, page=EVENT)
    db.session.refresh(cert)
    assert cert.revoked_reason == "Check-in nhầm"
    assert "Đã thu hồi" in client.get(EVENT).get_data(as_text=True)
    assert (
        submit(client, "/quan-ly/chung-nhan/999999/thu-hoi", {"reason": "x"}, page=EVENT).status_code == 404
    )


def test_revoke_refused_to_another_contests_organiser(world, client, login):
    services.issue(world.staff, "prize", contest=world.contest)
    cert = _certs()[0]
    login("co@example.vn")
    page = "/quan-ly/chung-nhan/cuoc-thi/cuoc-thi-khac"
    assert (
        submit(client, f"/quan-ly/chung-nhan/{cert.id}/thu-hoi", {"reason": "x"}, page=page).status_code
        == 403
    )
    db.session.refresh(cert)
    assert cert.revoked_at is None


@pytest.mark.parametrize(
    "data, name",
    [
        (b"MZ\x90\x00" + b"\x00" * 4000, "con-dau.png"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * (5 * 1024 * 1024), "con-dau.png"),
        (
            b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;",
            "con-dau.gif",
        ),
    ],
    ids=["exe-renamed-png", "5MB", "gif"],
)
def test_seal_upload_over_http_refuses_ugly_files(world, client, login, data, name):
    login("so@example.vn")
    token = csrf_from(client.get(MANAGE).get_data(as_text=True))
    form = {
        "csrf_token": token,
        "authority": "UBND TỈNH QUẢNG NGÃI",
        "issuer": "SỞ KHOA HỌC VÀ CÔNG NGHỆ",
        "title": "GIẤY CHỨNG NHẬN",
        "place": "Quảng Ngãi",
        "signer_title": "GIÁM ĐỐC",
        "signer_name": "",
        "seal": (io.BytesIO(data), name),
    }
    response = client.post(f"{MANAGE}/mau", data=form, content_type="multipart/form-data")
    assert response.status_code in (413, 422)
    if response.status_code == 422:
        assert "PNG hoặc JPEG" in response.get_data(as_text=True) or "2 MB" in response.get_data(as_text=True)


def test_template_saved_and_printed(world, client, login, tmp_path):
    login("so@example.vn")
    token = csrf_from(client.get(MANAGE).get_data(as_text=True))
    png = io.BytesIO()
    from PIL import Image, ImageDraw

    seal = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    ImageDraw.Draw(seal).ellipse((10, 10, 290, 290), outline=(200, 0, 0, 255), width=14)
    seal.save(png, "PNG")
    png.seek(0)
    form = {
        "csrf_token": token,
        "authority": "UBND TỈNH QUẢNG NGÃI",
        "issuer": "SỞ KHOA HỌC VÀ CÔNG NGHỆ",
        "title": "Giấy chứng nhận",
        "place": "Quảng Ngãi",
        "signer_title": "KT. GIÁM ĐỐC – PHÓ GIÁM ĐỐC",
        "signer_name": "Trương Thị Ý",
        "wording_prize": "Đạt {prize} tại {contest} với dự án “{entry}”.",
        "wording_finalist": "",
        "seal": (png, "dau.png"),
    }
    response = client.post(f"{MANAGE}/mau", data=form, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    _issue(client, MANAGE, "prize")
    cert = next(c for c in _certs() if c.full_name == "Nguyễn Thị Hồng Nhung")
    assert cert.reason.startswith("Đạt Giải Nhất tại Cuộc thi Khởi nghiệp")
    data = client.get(f"/chung-nhan/{cert.code}.pdf").data
    (tmp_path / "c.pdf").write_bytes(data)
    text = subprocess.run(["pdftotext", str(tmp_path / "c.pdf"), "-"], capture_output=True, text=True).stdout
    assert "KT. GIÁM ĐỐC – PHÓ GIÁM ĐỐC" in text and "Trương Thị Ý" in text
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "1",
            str(tmp_path / "c.pdf"),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    shots = SCREENSHOT_DIR / "certificates"
    shots.mkdir(parents=True, exist_ok=True)
    next(tmp_path.glob("page*.png")).replace(shots / "certificate-page1-50dpi.png")


def _run_batch(client, page: str, fmt: str) -> bytes:
    response = submit(client, f"{page}/tai", {"format": fmt}, page=page)
    assert response.status_code == 303 and "/cong-viec/" in response.headers["Location"]
    job_url = response.headers["Location"]
    download = client.get(job_url.rstrip("/") + "/tai-ve")
    assert download.status_code == 200, client.get(job_url).get_data(as_text=True)[:1500]
    return download.data


def test_batches_zip_and_multipage_pdf(world, client, login, tmp_path):
    services.issue(world.staff, "prize", contest=world.contest)
    services.revoke(world.staff, _certs()[-1], "Sai")  # revoked ones are not printed
    login("so@example.vn")
    with zipfile.ZipFile(io.BytesIO(_run_batch(client, MANAGE, "zip"))) as archive:
        names = archive.namelist()
        assert len(names) == 4 and all(n.endswith(".pdf") for n in names)
        assert all(archive.read(n).startswith(b"%PDF") for n in names)
    (tmp_path / "all.pdf").write_bytes(_run_batch(client, MANAGE, "pdf"))
    info = subprocess.run(
        ["pdfinfo", str(tmp_path / "all.pdf")], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"^Pages:\s+4$", info, re.M)
    # Junk format, or nothing to print: refused, no job.
    assert submit(client, f"{MANAGE}/tai", {"format": "exe"}, page=MANAGE).status_code == 303


def test_batch_of_many_attendees(world, client, login, tmp_path):
    """Slow: 120 certificates drawn in one job."""
    from app.events.models import Attendee, Checkin, Ticket

    for i in range(118):
        attendee = Attendee(
            event_id=world.event.id, full_name=f"Khách mời số {i} Nguyễn Văn Đức", category="Khách"
        )
        db.session.add(attendee)
        db.session.flush()
        ticket = Ticket(
            event_id=world.event.id, attendee_id=attendee.id, code=f"bulk-{i:05d}-xxxxxxxxxxxxxxxxxxx"
        )
        db.session.add(ticket)
        db.session.flush()
        db.session.add(Checkin(event_id=world.event.id, ticket_id=ticket.id, attendee_id=attendee.id))
    db.session.commit()
    assert len(services.issue(world.staff, "attendance", event=world.event).created) == 120
    login("so@example.vn")
    (tmp_path / "all.pdf").write_bytes(_run_batch(client, EVENT, "pdf"))
    info = subprocess.run(
        ["pdfinfo", str(tmp_path / "all.pdf")], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"^Pages:\s+120$", info, re.M)
    with zipfile.ZipFile(io.BytesIO(_run_batch(client, EVENT, "zip"))) as archive:
        assert len(archive.namelist()) == 120


def test_entry_section_lists_the_leaders_certificates(world, app):
    services.issue(world.staff, "prize", contest=world.contest)
    with app.test_request_context("/"):
        login_user(world.leader)
        html = render_template("certificates/_for_entry.html", entry=world.winner)
        assert "Giấy chứng nhận" in html and all(n in html for n in ("Đặng Quốc Bảo", "Trương Thị Ý"))
        other = render_template("certificates/_for_entry.html", entry=world.runner_up)
        assert "Giấy chứng nhận" not in other


def test_the_list_of_issued_certificates_is_paged(world, client, login):
    # A festival issues thousands: the organisers' list shows 50 at a time, with the counts of all.
    from app.certificates.models import Certificate
    from app.extensions import db
    from app.localtime import utcnow

    for i in range(55):
        db.session.add(
            Certificate(
                code=f"TEST{i:04d}",
                kind="attendance",
                event_id=world.event.id,
                full_name=f"Khách {i:02d}",
                reason="Đã tham dự",
                issued_on=utcnow().date(),
            )
        )
    db.session.commit()
    login("so@example.vn")
    first = client.get(EVENT).get_data(as_text=True)
    assert first.count("Tải PDF") == 50 and "(55 còn hiệu lực / 55)" in first
    second = client.get(EVENT + "?trang=2").get_data(as_text=True)
    assert second.count("Tải PDF") == 5 and "Trang 2 / 2" in second
    assert client.get(EVENT + "?trang=99999999999999").status_code == 200
