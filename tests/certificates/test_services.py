"""Certificate rules without HTTP: codes, issuing per member and idempotently, who is an attendee,
revoking, the seal image's checks, the privacy holder, and the PDF's text, look and QR code."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.certificates import pdf, services
from app.certificates.models import Certificate
from app.errors import Invalid, NotFound, PermissionDenied
from app.extensions import db
from app.privacy.registry import ERASED
from app.urls import absolute_url

NAMES = ["Nguyễn Thị Hồng Nhung", "Đặng Quốc Bảo", "Trương Thị Ý"]


def _all() -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).order_by(Certificate.id)))


# --- codes ----------------------------------------------------------------------------------------


def test_codes_are_grouped_unambiguous_and_read_loosely():
    codes = {services.new_code() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert len(code) == 9 and code[4] == "-"
        assert not set(code.replace("-", "")) & set("01OIL")
    assert services.normalize_code("abcd efgh") == "ABCD-EFGH"
    assert services.normalize_code(" ABCDEFGH ") == "ABCD-EFGH"
    assert services.normalize_code("http://x.vn/xac-minh/abcd-efgh") == "ABCD-EFGH"
    for bad in (
        "",
        "ABCD-EFG",
        "ABCD-EFGHJ",
        "ABCD-EFG0",
        "ABCD-EFGI",
        "<script>",
        "ÀBCD-EFGH",
        "A" * 5000,
        None,
    ):
        assert services.normalize_code(bad) is None


def test_tampered_or_unknown_code_is_not_found(world):
    done = services.issue(world.staff, "prize", contest=world.contest)
    code = done.created[0].code
    assert services.find_by_code(code.lower().replace("-", "")).id == done.created[0].id
    tampered = code[:-1] + ("X" if code[-1] != "X" else "Y")
    for text in (tampered, "ZZZZ-ZZZZ", "not a code"):
        with pytest.raises(NotFound, match="Không tìm thấy mã xác minh"):
            services.find_by_code(text)


# --- issuing --------------------------------------------------------------------------------------


def test_prize_certificates_one_per_team_member_and_idempotent(world, outbox):
    done = services.issue(world.staff, "prize", contest=world.contest)
    # Giải Nhất: 3 members, Giải Nhì: 2; the unpublished round's Giải Ba gives nothing.
    assert len(done.created) == 5 and done.reused == 0
    rows = _all()
    assert [c.full_name for c in rows if c.entry_id == world.winner.id] == NAMES
    assert all(c.kind == "prize" and c.contest_id == world.contest.id for c in rows)
    assert "Giải Nhất" in rows[0].reason and world.winner.title in rows[0].reason
    assert world.contest.name in rows[0].reason
    assert rows[0].user_id == world.leader.id  # the leader's own row is linked to the account
    assert all(c.entry_id != world.finalist.id for c in rows)
    again = services.issue(world.staff, "prize", contest=world.contest)
    assert again.created == [] and again.reused == 5
    assert [c.code for c in _all()] == [c.code for c in rows]
    assert outbox == []  # contest certificates are found on the entry page, not mailed


def test_finalists_are_the_entries_of_the_chosen_round(world):
    done = services.issue(world.staff, "finalist", contest=world.contest, round_id=world.final.id)
    assert len(done.created) == 6
    assert all("Vòng chung kết" in c.reason for c in done.created)
    with pytest.raises(Invalid):
        services.issue(world.staff, "finalist", contest=world.contest, round_id=None)
    with pytest.raises(Invalid):
        services.issue(world.staff, "finalist", contest=world.other, round_id=world.final.id)


def test_only_attendees_with_an_active_checkin_and_they_are_mailed(world, outbox):
    done = services.issue(world.staff, "attendance", event=world.event)
    assert sorted(c.full_name for c in done.created) == ["Võ Thị Sáu", "Đỗ Văn Ấn"]
    assert done.mailed == 1  # Đỗ Văn Ấn gave no email
    assert len(outbox) == 1
    body = outbox[0].get_content()
    sau = next(c for c in done.created if c.full_name == "Võ Thị Sáu")
    assert sau.code in body and "/chung-nhan/" in body and "?t=" in body
    assert services.issue(world.staff, "attendance", event=world.event).reused == 2
    assert len(outbox) == 1  # no second mail for the same certificate


def test_revoke_then_issue_again_gives_a_new_code(world):
    first = services.issue(world.staff, "attendance", event=world.event).created[0]
    with pytest.raises(Invalid):
        services.revoke(world.staff, first, "   ")
    services.revoke(world.staff, first, "Cấp nhầm người")
    assert first.revoked_at is not None and first.revoked_reason == "Cấp nhầm người"
    again = services.issue(world.staff, "attendance", event=world.event)
    assert len(again.created) == 1 and again.created[0].code != first.code


def test_permissions_of_issuing_and_revoking(world):
    with pytest.raises(PermissionDenied):
        services.issue(world.co, "prize", contest=world.contest)
    with pytest.raises(PermissionDenied):
        services.issue(world.co, "attendance", event=world.event)  # a Sở event: not theirs
    cert = services.issue(world.staff, "prize", contest=world.contest).created[0]
    with pytest.raises(PermissionDenied):
        services.revoke(world.co, cert, "thử")
    assert _all()[0].revoked_at is None


def test_placeholders_are_filled_and_nothing_else_is_evaluated():
    text = services.fill(
        "Đạt {prize} {entry.__class__} {0} {{event}} {contest}", {"prize": "Giải Nhì", "contest": "CT"}
    )
    assert text == "Đạt Giải Nhì {entry.__class__} {0} {} CT"


# --- seal image -----------------------------------------------------------------------------------


def _upload(data: bytes, name: str = "dau.png") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


def _image(fmt: str, size=(120, 120)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt)
    return out.getvalue()


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"MZ\x90\x00" + b"\x00" * 4000, "dau.png", "PNG hoặc JPEG"),  # a Windows program renamed .png
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * (5 * 1024 * 1024), "dau.png", "2 MB"),  # 5 MB
        (_image("GIF"), "dau.gif", "PNG hoặc JPEG"),
        (_image("PNG")[:60], "dau.png", "PNG hoặc JPEG"),  # cut short
        (b"", "dau.png", "trống"),
    ],
    ids=["exe-renamed", "5MB", "gif", "truncated", "empty"],
)
def test_seal_upload_refuses_ugly_input(world, data, name, message):
    template = services.template_for(contest=world.contest)
    with pytest.raises(Invalid, match=message):
        services.save_template(world.staff, template, {"title": "GIẤY CHỨNG NHẬN"}, seal=_upload(data, name))
    assert template.seal_path == "" and not services.seal_folder().exists()


def test_seal_png_and_jpeg_are_stored_as_png_and_replaced(world, app):
    template = services.template_for(contest=world.contest)
    services.save_template(
        world.staff, template, {"signer_name": "Trương Thị Ý"}, seal=_upload(_image("JPEG"), "x.jpg")
    )
    first = services.seal_file(template)
    assert first is not None and first.parent == Path(app.config["UPLOAD_DIR"]) / "certificates"
    assert Image.open(first).format == "PNG"
    services.save_template(world.staff, template, {}, seal=_upload(_image("PNG")))
    second = services.seal_file(template)
    assert second != first and not first.exists() and second.exists()
    services.save_template(world.staff, template, {}, remove_seal=True)
    assert services.seal_file(template) is None and not second.exists()
    with pytest.raises(PermissionDenied):
        services.save_template(world.co, template, {"title": "X"})


# --- the PDF --------------------------------------------------------------------------------------


def _pdftotext(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "c.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def test_pdf_text_keeps_every_diacritic_and_the_qr_opens_the_verification_page(world, tmp_path):
    template = services.template_for(contest=world.contest)
    services.save_template(
        world.staff, template, {"signer_name": "Phạm Văn Đồng"}, seal=_upload(_image("PNG"))
    )
    services.issue(world.staff, "prize", contest=world.contest)
    rows = [c for c in _all() if c.entry_id == world.winner.id]
    data = pdf.render(rows, template, services.seal_file(template))
    text = " ".join(_pdftotext(data, tmp_path).split())
    for name in NAMES:
        assert name in text
    for row in rows:
        assert f"Mã xác minh: {row.code}" in text
    for words in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "UBND TỈNH QUẢNG NGÃI",
        "SỞ KHOA HỌC VÀ CÔNG NGHỆ",
        "GIẤY CHỨNG NHẬN",
        "Chứng nhận:",
        "Phạm Văn Đồng",
        "GIÁM ĐỐC",
    ):
        assert words in text
    assert " ".join(rows[0].reason.split()) in text
    day = rows[0].issued_on
    assert f"Quảng Ngãi, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}" in text
    info = subprocess.run(
        ["pdfinfo", str(tmp_path / "c.pdf")], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"^Pages:\s+3$", info, re.M)
    assert "841.89 x 595.28 pts (A4)" in info  # A4, wider than tall: landscape
    # Page 1 as an image (kept for a human to look at), and its QR code read back.
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(tmp_path / "c.pdf"), str(tmp_path / "p")],
        check=True,
    )
    png = next(tmp_path.glob("p*.png"))
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(png))]
    assert decoded == [absolute_url("certificates.verify", code=rows[0].code)]


def test_long_names_and_reasons_shrink_and_wrap_but_are_never_cut(app, tmp_path):
    from datetime import date

    long_name = "Tôn Nữ Hoàng Thị Ngọc Diễm Phương Thảo Nguyễn Lê Đặng Quốc Bảo Trương Thị Ý Huỳnh Lý"
    long_reason = "Đã đạt Giải Khuyến khích " * 14
    page = pdf.Page(
        long_name, long_reason, date(2026, 1, 9), "WXYZ-2345", "https://kndmst.example/xac-minh/WXYZ-2345"
    )
    layout = pdf.Layout(
        "UBND TỈNH QUẢNG NGÃI",
        "SỞ KHOA HỌC VÀ CÔNG NGHỆ TỈNH QUẢNG NGÃI RẤT DÀI",
        "GIẤY CHỨNG NHẬN " * 4,
        "Quảng Ngãi",
        "KT. GIÁM ĐỐC",
        "Trương Thị Ý",
    )
    text = " ".join(_pdftotext(pdf.render_pages([page], layout), tmp_path).split())
    assert long_name in text
    assert " ".join(long_reason.split()) in text
    assert "ngày 09 tháng 01 năm 2026" in text


# --- privacy --------------------------------------------------------------------------------------


def test_privacy_export_and_erase_keep_a_revoked_anonymous_record(world):
    from app.certificates.privacy import REVOKED_REASON, erase_certificates, export_certificates

    services.issue(world.staff, "prize", contest=world.contest)
    mine = export_certificates(world.leader)
    assert [row["ho_ten"] for row in mine] == ["Nguyễn Thị Hồng Nhung"]
    assert set(mine[0]) >= {"ma_xac_minh", "noi_dung", "ngay_cap"}
    assert "email" not in str(mine)
    erasure = erase_certificates(world.staff, world.leader)
    db.session.commit()
    assert erasure.done
    row = db.session.scalar(select(Certificate).where(Certificate.code == mine[0]["ma_xac_minh"]))
    assert row.full_name == ERASED and row.revoked_reason == REVOKED_REASON and row.revoked_at
    others = [c for c in _all() if c.id != row.id]
    assert all(c.revoked_at is None and c.full_name != ERASED for c in others)
