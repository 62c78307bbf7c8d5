"""The certificate as a PDF: one A4 landscape page per certificate, in the layout of a Vietnamese
administrative document (the issuing body top left, the national motto top right, the title, the
person's name, the reason, "Quảng Ngãi, ngày … tháng … năm …", the signer with the seal) and the
verification QR code bottom left.

fpdf2 is pure Python and embeds the vendored DejaVu Serif (static/vendor/fonts/dejavu/), which has
every Vietnamese letter with its tone marks: the same bytes on every server, no system fonts or
libraries. Long names and reasons shrink to fit and then wrap; nothing is ever cut off.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from pathlib import Path

from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

from app.certificates.models import Certificate, CertificateTemplate
from app.events.tickets import qr_png
from app.fonts import FONT, FONT_FILES, font_dir
from app.urls import absolute_url

PAGE_W, PAGE_H = 297.0, 210.0
MARGIN = 14.0
RED = (150, 20, 20)
INK = (20, 20, 20)
# Header columns (mm): the issuing body on the left, the motto on the right, as on official papers.
LEFT_X, LEFT_W = 16.0, 120.0
RIGHT_X, RIGHT_W = 146.0, 135.0
BODY_X, BODY_W = 28.0, PAGE_W - 56.0
QR_SIZE = 34.0


@dataclass(frozen=True)
class Page:
    """What one page prints: plain values, so the layout does not reach into the database."""

    full_name: str
    reason: str
    issued_on: date
    code: str
    verify_url: str


@dataclass(frozen=True)
class Layout:
    """The organisers' words (from their CertificateTemplate) and the seal image, if any."""

    authority: str
    issuer: str
    title: str
    place: str
    signer_title: str
    signer_name: str
    seal: Path | None = None


def _nfc(text: str) -> str:
    # Decomposed tone marks (typed on some phones) would print as separate marks: use one glyph each.
    return unicodedata.normalize("NFC", text or "")


def date_line(place: str, day: date) -> str:
    """ "Quảng Ngãi, ngày 05 tháng 12 năm 2026": the dateline of an administrative document."""
    return f"{_nfc(place)}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


class _Document(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.set_auto_page_break(False)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        folder = font_dir()
        for style, name in FONT_FILES.items():
            self.add_font(FONT, style, str(folder / name))
        self.set_creator("Sở Khoa học và Công nghệ tỉnh Quảng Ngãi")
        self.set_title("Giấy chứng nhận")

    def fitted_size(self, text: str, style: str, size: float, smallest: float, width: float) -> float:
        """The largest size from `size` down to `smallest` at which `text` fits on one line."""
        while size > smallest:
            self.set_font(FONT, style, size)
            if self.get_string_width(text) <= width:
                return size
            size -= 0.5
        return smallest

    def centred(self, text: str, x: float, w: float, style: str, size: float, line: float) -> None:
        """Centred text in the column [x, x+w], wrapped when it does not fit."""
        self.set_font(FONT, style, size)
        self.set_x(x)
        self.multi_cell(w, line, text, align="C", new_x="LMARGIN", new_y="NEXT")

    def rule(self, x_centre: float, y: float, length: float) -> None:
        self.set_line_width(0.3)
        self.line(x_centre - length / 2, y, x_centre + length / 2, y)


def _frame(pdf: _Document) -> None:
    pdf.set_draw_color(*RED)
    pdf.set_line_width(1.2)
    pdf.rect(7, 7, PAGE_W - 14, PAGE_H - 14)
    pdf.set_line_width(0.3)
    pdf.rect(9.5, 9.5, PAGE_W - 19, PAGE_H - 19)
    pdf.set_draw_color(*INK)


def _header(pdf: _Document, layout: Layout) -> float:
    """Both header columns; returns the y below the lower one."""
    pdf.set_text_color(*INK)
    pdf.set_y(16)
    pdf.centred(_nfc(layout.authority).upper(), LEFT_X, LEFT_W, "", 11.5, 5.5)
    pdf.centred(_nfc(layout.issuer).upper(), LEFT_X, LEFT_W, "B", 11.5, 5.5)
    left_bottom = pdf.get_y()
    pdf.rule(LEFT_X + LEFT_W / 2, left_bottom + 1, 30)

    pdf.set_y(16)
    pdf.centred("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", RIGHT_X, RIGHT_W, "B", 11.5, 5.5)
    pdf.centred("Độc lập - Tự do - Hạnh phúc", RIGHT_X, RIGHT_W, "B", 12.5, 5.5)
    right_bottom = pdf.get_y()
    pdf.set_font(FONT, "B", 12.5)
    pdf.rule(RIGHT_X + RIGHT_W / 2, right_bottom + 1, pdf.get_string_width("Độc lập - Tự do - Hạnh phúc"))
    return max(left_bottom, right_bottom) + 4


def _body(pdf: _Document, layout: Layout, page: Page, top: float) -> None:
    title = _nfc(layout.title).upper()
    pdf.set_text_color(*RED)
    size = pdf.fitted_size(title, "B", 30, 18, BODY_W)
    pdf.set_y(max(top, 50))
    pdf.centred(title, BODY_X, BODY_W, "B", size, size * 0.45)
    pdf.set_text_color(*INK)

    pdf.set_y(pdf.get_y() + 3)
    pdf.centred("Chứng nhận:", BODY_X, BODY_W, "I", 15, 8)

    name = _nfc(page.full_name)
    size = pdf.fitted_size(name, "B", 28, 16, BODY_W)
    pdf.set_text_color(*RED)
    pdf.centred(name, BODY_X, BODY_W, "B", size, size * 0.5)
    pdf.set_text_color(*INK)

    # The reason: up to three lines at 15 pt, smaller when the organisers wrote a long one.
    reason = _nfc(page.reason)
    pdf.set_y(pdf.get_y() + 3)
    size = 15.0
    while size > 10:
        pdf.set_font(FONT, "", size)
        lines = pdf.multi_cell(BODY_W, size * 0.45, reason, align="C", dry_run=True, output="LINES")
        if isinstance(lines, list) and len(lines) <= 3:
            break
        size -= 0.5
    pdf.centred(reason, BODY_X, BODY_W, "", size, size * 0.45)


def _signature(pdf: _Document, layout: Layout, page: Page) -> None:
    x, w = RIGHT_X + 5, RIGHT_W - 10
    pdf.set_y(132)
    pdf.centred(date_line(layout.place, page.issued_on), x, w, "I", 12.5, 6)
    pdf.centred(_nfc(layout.signer_title).upper(), x, w, "B", 12.5, 6)
    seal_top = pdf.get_y() + 1
    if layout.seal is not None and layout.seal.is_file():
        # Fit the seal in a 36 mm × 30 mm box, centred over the signer's name.
        pdf.image(str(layout.seal), x=x + w / 2 - 18, y=seal_top, w=36, h=30, keep_aspect_ratio=True)
    pdf.set_y(seal_top + 31)
    if layout.signer_name:
        pdf.centred(_nfc(layout.signer_name), x, w, "B", 13, 6)


def _verification(pdf: _Document, page: Page) -> None:
    x, y = 18.0, PAGE_H - 18.0 - QR_SIZE
    pdf.image(BytesIO(qr_png(page.verify_url, box_size=8, border=2)), x=x, y=y, w=QR_SIZE, h=QR_SIZE)
    pdf.set_xy(x + QR_SIZE + 3, y + QR_SIZE - 14)
    pdf.set_font(FONT, "B", 11)
    pdf.cell(0, 5.5, f"Mã xác minh: {page.code}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(x + QR_SIZE + 3)
    pdf.set_font(FONT, "", 8.5)
    pdf.multi_cell(RIGHT_X - (x + QR_SIZE + 6), 4.2, f"Quét mã QR hoặc mở {page.verify_url}", align="L")


def render_pages(
    pages: Sequence[Page], layout: Layout, on_page: Callable[[int], None] | None = None
) -> bytes:
    """A PDF with one page per certificate (at least one page); `on_page(n)` is told after each page
    is drawn (a batch's progress bar)."""
    pdf = _Document()
    for done, page in enumerate(pages, start=1):
        pdf.add_page()
        _frame(pdf)
        top = _header(pdf, layout)
        _body(pdf, layout, page, top)
        _signature(pdf, layout, page)
        _verification(pdf, page)
        if on_page is not None:
            on_page(done)
    return bytes(pdf.output())


def split_pages(document: bytes) -> Iterator[bytes]:
    """Each page of a PDF as a PDF of its own (pypdf). Drawing 500 certificates in one document and
    splitting it is about eight times faster than 500 documents: fonts are read and subset once."""
    reader = PdfReader(BytesIO(document))
    for page in reader.pages:
        writer = PdfWriter()
        writer.add_page(page)
        out = BytesIO()
        writer.write(out)
        yield out.getvalue()


def page_of(certificate: Certificate) -> Page:
    """The printed values of a Certificate row, with its verification link (from BASE_URL)."""
    return Page(
        full_name=certificate.full_name,
        reason=certificate.reason,
        issued_on=certificate.issued_on,
        code=certificate.code,
        verify_url=absolute_url("certificates.verify", code=certificate.code),
    )


def layout_of(template: CertificateTemplate, seal: Path | None) -> Layout:
    return Layout(
        authority=template.authority,
        issuer=template.issuer,
        title=template.title,
        place=template.place,
        signer_title=template.signer_title,
        signer_name=template.signer_name,
        seal=seal,
    )


def render(
    certificates: Sequence[Certificate], template: CertificateTemplate, seal: Path | None = None
) -> bytes:
    """`certificates` (Certificate rows) on one page each, in the look of `template`
    (a CertificateTemplate); `seal` is the stored seal image's path."""
    return render_pages([page_of(c) for c in certificates], layout_of(template, seal))
