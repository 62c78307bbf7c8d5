"""The printable ticket card (PNG and A6 PDF): the QR decoded back (zxing-cpp) from the PNG, from a
phone-screenshot-like downscale of it and from the PDF rendered by poppler; the PDF's text read back
with pdftotext (Vietnamese diacritics, long names wrapped and never cut); the routes' access rules.
Renders are also written to screenshots/ (ticket-card-*) for a person to look at."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from app.events import registration, ticket_card, tickets
from app.events.ticket_card import MIN_QR_MM, PAGE_H, PAGE_W, QrBlock, TicketCard
from app.extensions import db
from app.localtime import utcnow
from tests.conftest import SCREENSHOT_DIR

ROOT = Path(__file__).resolve().parents[2]
FONTS = ROOT / "static" / "vendor" / "fonts" / "dejavu"
BASE = "https://kndmst.quangngai.gov.vn"  # a real host makes a longer link, so a denser QR
NAME = "Nguyễn Thị Hồng Nhung"
LONG_NAME = "Tôn Nữ Hoàng Bảo Ngọc Phương Thảo Nguyễn Thị Hồng Nhung Trần Lê Quỳnh Hương Đặng Quốc Bảo"
LONG_EVENT = (
    "Chung kết Cuộc thi Khởi nghiệp đổi mới sáng tạo tỉnh Quảng Ngãi lần thứ năm năm 2024 kết hợp "
    "Ngày hội Khởi nghiệp và Triển lãm sản phẩm đổi mới sáng tạo của thanh niên các huyện miền núi"
)
LONG_VENUE = (
    "Hội trường lớn Trung tâm Hội nghị tỉnh Quảng Ngãi, số 1 đường Hùng Vương, phường Trần Phú, "
    "thành phố Quảng Ngãi, tỉnh Quảng Ngãi, Việt Nam (lối vào cổng phía Đông, gửi xe tầng hầm B2)"
)


def a_code() -> str:
    return tickets.new_code(tickets.derive_key("test"))


def make_card(**extra) -> TicketCard:
    code = extra.pop("code", a_code())
    values = {
        "event_name": "Ngày hội Khởi nghiệp đổi mới sáng tạo tỉnh Quảng Ngãi năm 2026",
        # 08:00–17:00 in Quảng Ngãi (UTC+7)
        "starts_at": datetime(2026, 11, 14, 1, 0, tzinfo=UTC),
        "ends_at": datetime(2026, 11, 14, 10, 0, tzinfo=UTC),
        "venue": "Quảng trường Phạm Văn Đồng, TP. Quảng Ngãi",
        "attendee_name": NAME,
        "category": "Khách tham quan",
        "code": code,
        "qr_text": f"{BASE}/ve/{code}",
        **extra,
    }
    return TicketCard(**values)


def decode(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image)]


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "ve.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout


def pdf_page_png(pdf: bytes, tmp_path: Path, dpi: int = 150) -> Image.Image:
    path = tmp_path / "ve.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(dpi), "-singlefile", str(path), str(tmp_path / "page")], check=True
    )
    return Image.open(tmp_path / "page.png")


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def keep(name: str, data: bytes | Image.Image) -> None:
    """A copy in screenshots/ to look at (tests assert; people judge the look)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    if isinstance(data, Image.Image):
        data.save(SCREENSHOT_DIR / name)
    else:
        (SCREENSHOT_DIR / name).write_bytes(data)


@pytest.fixture(autouse=True)
def poppler():
    # poppler-utils is a test dependency of the project (Makefile installs it with LibreOffice).
    assert shutil.which("pdftotext") and shutil.which("pdftoppm") and shutil.which("pdfimages")


# --- the pure renderer ------------------------------------------------------------------------------


def test_png_is_a6_at_300_dpi_and_its_qr_decodes_to_the_ticket_link():
    card = make_card()
    png = ticket_card.render_png(card, FONTS)
    keep("ticket-card-png.png", png)
    image = Image.open(io.BytesIO(png))
    assert image.size == (1240, 1748) and round(image.info["dpi"][0]) == 300
    assert decode(image) == [card.qr_text]
    qr = next(i for i in ticket_card.layout(card, FONTS).items if isinstance(i, QrBlock))
    assert qr.module_px >= 6 and qr.symbol_side >= MIN_QR_MM


def test_a_phone_screenshot_of_the_png_scaled_to_half_still_decodes():
    card = make_card()
    image = Image.open(io.BytesIO(ticket_card.render_png(card, FONTS))).convert("RGB")
    half = image.resize((image.width // 2, image.height // 2), Image.Resampling.BILINEAR)
    assert decode(half) == [card.qr_text]
    # …and after the JPEG compression a messaging app applies to a screenshot.
    buffer = io.BytesIO()
    half.save(buffer, format="JPEG", quality=60)
    assert decode(Image.open(buffer)) == [card.qr_text]


def test_pdf_is_one_a6_page_with_vector_text_and_a_qr_that_decodes_after_rendering(tmp_path):
    card = make_card()
    pdf = ticket_card.render_pdf(card, FONTS)
    keep("ticket-card.pdf", pdf)
    (tmp_path / "ve.pdf").write_bytes(pdf)
    info = subprocess.run(
        ["pdfinfo", str(tmp_path / "ve.pdf")], check=True, capture_output=True, text=True
    ).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M)
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert (round(width * 25.4 / 72), round(height * 25.4 / 72)) == (PAGE_W, PAGE_H)  # A6 portrait

    text = flat(pdf_text(pdf, tmp_path))
    assert NAME in text and card.event_name in text and card.code in text
    assert "Khách tham quan" in text and "Quảng trường Phạm Văn Đồng" in text
    assert "Thứ Bảy, 14/11/2026" in text and "08:00 – 17:00" in text
    assert "Sự kiện đã diễn ra" not in text

    page = pdf_page_png(pdf, tmp_path, dpi=150)
    keep("ticket-card-pdf-page.png", page)
    assert decode(page) == [card.qr_text]

    # The QR is one image of at least 300 dpi, at least 35 mm wide (its symbol, quiet zone excluded).
    listing = subprocess.run(
        ["pdfimages", "-list", str(tmp_path / "ve.pdf")], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    assert len(listing) == 1
    columns = listing[0].split()
    x_ppi, y_ppi = int(columns[12]), int(columns[13])
    assert x_ppi >= 300 and y_ppi >= 300
    qr = next(i for i in ticket_card.layout(card, FONTS).items if isinstance(i, QrBlock))
    assert qr.symbol_side >= 35


def test_long_names_wrap_and_nothing_is_cut(tmp_path):
    card = make_card(attendee_name=LONG_NAME, event_name=LONG_EVENT, venue=LONG_VENUE, is_past=True)
    lay = ticket_card.layout(card, FONTS)
    assert lay.bottom <= PAGE_H  # everything on the page
    name_lines = [i.text for i in lay.items if isinstance(i, ticket_card.Text) and i.text in LONG_NAME]
    assert len(name_lines) >= 2 and " ".join(name_lines) == LONG_NAME  # wrapped on words, in order
    for item in lay.items:
        if isinstance(item, ticket_card.Text):
            assert item.x >= ticket_card.MARGIN - 0.01  # nothing runs off the left…
    qr = next(i for i in lay.items if isinstance(i, QrBlock))
    assert qr.symbol_side >= MIN_QR_MM  # …and the QR never shrinks below print size

    pdf = ticket_card.render_pdf(card, FONTS)
    text = flat(pdf_text(pdf, tmp_path))
    for whole in (LONG_NAME, LONG_EVENT, LONG_VENUE, card.code, "Sự kiện đã diễn ra"):
        assert whole in text
    page = pdf_page_png(pdf, tmp_path)
    keep("ticket-card-long-past-pdf-page.png", page)
    assert decode(page) == [card.qr_text]
    png = ticket_card.render_png(card, FONTS)
    keep("ticket-card-long-past.png", png)
    assert decode(Image.open(io.BytesIO(png))) == [card.qr_text]
    # The widest text line stays inside the page at the size it is drawn.
    for item in lay.items:
        if isinstance(item, ticket_card.Text):
            width = ticket_card.measurer(FONTS, item.bold, item.size)(item.text)
            assert item.x + width <= PAGE_W - ticket_card.MARGIN + 0.01


def test_decomposed_input_is_drawn_composed_and_a_word_longer_than_a_line_is_split_not_cut(tmp_path):
    decomposed = unicodedata.normalize("NFD", NAME)
    card = make_card(attendee_name=decomposed + "\n", category="Báo chí")
    assert NAME in flat(pdf_text(ticket_card.render_pdf(card, FONTS), tmp_path))

    measure = lambda s: float(len(s))  # noqa: E731 - one unit per character
    assert ticket_card.wrap("ab " + "x" * 12 + " cd", 5, measure) == ["ab", "xxxxx", "xxxxx", "xx cd"]
    assert ticket_card.wrap("  \n ", 5, measure) == []


def test_times_are_shown_in_quang_ngai_time_as_dd_mm_yyyy():
    # 18:00 UTC on the 13th is 01:00 on the 14th in Quảng Ngãi.
    one_day = ticket_card.when_lines(
        datetime(2026, 3, 13, 18, 0, tzinfo=UTC), datetime(2026, 3, 14, 2, 30, tzinfo=UTC)
    )
    assert one_day == ["Thứ Bảy, 14/03/2026", "01:00 – 09:30"]
    two_days = ticket_card.when_lines(
        datetime(2026, 3, 14, 1, 0, tzinfo=UTC), datetime(2026, 3, 15, 10, 0, tzinfo=UTC)
    )
    assert two_days == ["Từ 08:00 14/03/2026", "đến 17:00 15/03/2026"]


# --- the routes ---------------------------------------------------------------------------------------


@pytest.fixture
def ticket(app, event, register):
    app.config["BASE_URL"] = BASE
    attendee = register(event, name=NAME)
    return attendee.active_ticket


def test_png_route_gives_the_card_whose_qr_is_the_ticket_link(client, ticket, event):
    response = client.get(f"/ve/{ticket.code}/ve.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["Content-Disposition"] == f'attachment; filename="ve-{event.slug}.png"'
    image = Image.open(io.BytesIO(response.data))
    assert image.size == (1240, 1748)  # the A6 card, not a bare QR
    assert decode(image) == [registration.ticket_url(ticket.code)]
    assert registration.ticket_url(ticket.code) == f"{BASE}/ve/{ticket.code}"


def test_pdf_route_gives_the_a6_card_with_the_name_event_and_code(client, ticket, event, tmp_path):
    response = client.get(f"/ve/{ticket.code.upper()}/ve.pdf")  # codes are typed in any case
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="ve-{event.slug}.pdf"'
    text = flat(pdf_text(response.data, tmp_path))
    assert NAME in text and event.name in text and ticket.code in text and "Khách tham quan" in text
    assert "Sự kiện đã diễn ra" not in text
    assert decode(pdf_page_png(response.data, tmp_path)) == [f"{BASE}/ve/{ticket.code}"]


def test_a_past_events_card_says_it_has_taken_place(client, ticket, event, tmp_path):
    event.starts_at, event.ends_at = utcnow() - timedelta(days=30, hours=8), utcnow() - timedelta(days=30)
    db.session.commit()
    text = flat(pdf_text(client.get(f"/ve/{ticket.code}/ve.pdf").data, tmp_path))
    assert "Sự kiện đã diễn ra" in text and NAME in text
    png = client.get(f"/ve/{ticket.code}/ve.png")
    assert png.status_code == 200
    keep("ticket-card-past-route.png", png.data)


def test_a_revoked_ticket_gets_no_card_but_the_explanation(client, ticket, organiser):
    registration.cancel_registration(organiser, ticket.attendee, "Trùng đăng ký")
    db.session.commit()
    for ext in ("png", "pdf"):
        response = client.get(f"/ve/{ticket.code}/ve.{ext}")
        assert response.status_code == 410 and response.mimetype == "text/html"
        assert "Vé không còn hiệu lực" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "code",
    ["unknown", "a" * 39, "%2e%2e%2fetc%2fpasswd", "Nguyễn", "x" * 5000],
    ids=["malformed", "bad-signature", "traversal", "unicode", "huge"],
)
def test_unknown_or_ugly_codes_are_404_never_500(client, app, code):
    for ext in ("png", "pdf"):
        assert client.get(f"/ve/{code}/ve.{ext}").status_code == 404


def test_a_well_signed_code_that_was_never_issued_is_404(client, app):
    code = tickets.new_code(registration.ticket_key())
    for ext in ("png", "pdf"):
        response = client.get(f"/ve/{code}/ve.{ext}")
        assert response.status_code == 404 and "Không tìm thấy vé" in response.get_data(as_text=True)
