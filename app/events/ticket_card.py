"""The printable ticket card: event, date and time, venue, attendee, category, the QR and its code,
as a PNG (Pillow) and an A6 PDF (fpdf2). Pure: it takes plain values, never Flask or the database.

One layout, two painters: the card is laid out once in millimetres on an A6 page (text measured with
the same TrueType font both painters embed), then painted at 300 dpi into a PNG or as vector text
into a PDF. The PNG is A6 at 300 dpi, so printing it at A6 gives the same card as the PDF. The QR is
drawn from whole pixels per module (never resampled: a blurred edge is what stops a phone from
reading a screenshot), with the 4-module quiet zone the standard asks for.
"""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from app.events.tickets import qr_png
from app.localtime import to_local

PAGE_W, PAGE_H = 105.0, 148.0  # A6 portrait, mm
MARGIN = 7.0
DPI = 300
PDF_QR_OVERSAMPLE = 2  # the PDF's QR image: 600 dpi, whole pixels per module
PT = 25.4 / 72  # one point in mm
MIN_MODULE_PX = 6  # in the PNG: a phone screenshot scaled down by half still has 3 px per module
FONT_FILES = {False: "DejaVuSerif.ttf", True: "DejaVuSerif-Bold.ttf"}
PAST_NOTICE = "Sự kiện đã diễn ra"
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")

Rgb = tuple[int, int, int]
INK = (17, 17, 17)
MUTED = (85, 85, 85)
BRAND = (11, 83, 148)  # the site's primary blue
WHITE = (255, 255, 255)
PAST = (150, 30, 30)

QUIET_ZONE = 4  # modules of white around the symbol (ISO/IEC 18004)
MIN_QR_MM = 35.0  # the symbol's side, quiet zone excluded: an A6 print scans from arm's length
# (text scale, target side of the QR symbol in mm), tried in order until everything fits on the page:
# long event names and venues shrink the type first, then the QR, never below MIN_QR_MM.
FITS = (
    (1.0, 44.0),
    (0.92, 42.0),
    (0.85, 40.0),
    (0.78, 38.0),
    (0.72, 36.0),
    (0.66, 35.0),
    (0.6, 35.0),
    (0.54, 35.0),
)


@dataclass(frozen=True)
class TicketCard:
    """What a card shows. Times are aware datetimes (UTC is fine): the card shows Quảng Ngãi time."""

    event_name: str
    starts_at: datetime
    ends_at: datetime
    venue: str
    attendee_name: str
    category: str
    code: str
    qr_text: str  # what the QR holds: the ticket's link
    is_past: bool = False


# --- layout ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    x: float  # left edge, mm
    baseline: float  # mm from the top
    text: str
    size: float  # points
    bold: bool = False
    color: Rgb = INK


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float
    fill: Rgb | None = None
    outline: Rgb | None = None


@dataclass(frozen=True)
class QrBlock:
    x: float
    y: float
    modules: int  # per side, quiet zone included
    module_px: int  # at DPI

    @property
    def side(self) -> float:
        """The block's side in mm, quiet zone included."""
        return self.modules * self.module_px * 25.4 / DPI

    @property
    def symbol_side(self) -> float:
        """The dark symbol's side in mm (what print guidance calls the QR's size)."""
        return (self.modules - 2 * QUIET_ZONE) * self.module_px * 25.4 / DPI


@dataclass
class Layout:
    items: list[Text | Box | QrBlock] = field(default_factory=list)
    header: int = 0  # how many of the first items form the header band (pinned to the top)
    bottom: float = 0.0


def _clean(text: str) -> str:
    """NFC (a name typed on some phones arrives decomposed) and no stray whitespace or newlines."""
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def wrap(text: str, max_width: float, measure: Callable[[str], float]) -> list[str]:
    """Greedy word wrap; a word wider than the line (a long code, a URL) is split by characters,
    so nothing is ever cut off."""
    lines: list[str] = []
    line = ""
    for word in _clean(text).split(" "):
        if not word:
            continue
        candidate = f"{line} {word}" if line else word
        if measure(candidate) <= max_width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        for char in word:
            if line and measure(line + char) > max_width:
                lines.append(line)
                line = ""
            line += char
    if line:
        lines.append(line)
    return lines


def when_lines(starts_at: datetime, ends_at: datetime) -> list[str]:
    """'Thứ Bảy, 15/11/2025' and '08:00 – 17:00'; an event over several days shows both ends."""
    start, end = to_local(starts_at), to_local(ends_at)
    if start.date() == end.date():
        return [f"{WEEKDAYS[start.weekday()]}, {start:%d/%m/%Y}", f"{start:%H:%M} – {end:%H:%M}"]
    return [f"Từ {start:%H:%M} {start:%d/%m/%Y}", f"đến {end:%H:%M} {end:%d/%m/%Y}"]


@cache
def _measure_font(font_dir: Path, bold: bool) -> ImageFont.FreeTypeFont:
    # 1000 units per em: a width at size `pt` points is width * pt / 1000 points.
    return ImageFont.truetype(str(font_dir / FONT_FILES[bold]), 1000)


def measurer(font_dir: Path, bold: bool, size: float) -> Callable[[str], float]:
    font = _measure_font(font_dir, bold)
    return lambda s: font.getlength(s) * size / 1000 * PT


def qr_modules(text: str) -> Image.Image:
    """The QR at one pixel per module, quiet zone of 4 modules included (mode "1")."""
    return Image.open(io.BytesIO(qr_png(text, box_size=1, border=QUIET_ZONE))).convert("1")


def layout(card: TicketCard, font_dir: Path) -> Layout:
    """The card laid out on an A6 page, shrinking type (then the QR) until it fits."""
    modules = qr_modules(card.qr_text).size[0]
    result = Layout()
    for scale, qr_mm in FITS:
        result = _layout_at(card, font_dir, modules, scale, qr_mm)
        if result.bottom <= PAGE_H - MARGIN:
            break
    # Centre what sits under the header band in the room left, so a short card is not top-heavy.
    shift = max(0.0, (PAGE_H - MARGIN - result.bottom) / 2)
    result.items = result.items[: result.header] + [_shifted(i, shift) for i in result.items[result.header :]]
    result.bottom += shift
    return result


def _shifted(item: Text | Box | QrBlock, dy: float) -> Text | Box | QrBlock:
    if isinstance(item, Text):
        return replace(item, baseline=item.baseline + dy)
    return replace(item, y=item.y + dy)


def _layout_at(card: TicketCard, font_dir: Path, modules: int, scale: float, qr_mm: float) -> Layout:
    out = Layout()
    width = PAGE_W - 2 * MARGIN
    y = 0.0

    def block(
        text: str,
        size: float,
        *,
        bold: bool = False,
        color: Rgb = INK,
        center: bool = False,
        gap: float = 1.25,
    ) -> None:
        nonlocal y
        size *= scale
        measure = measurer(font_dir, bold, size)
        for line in wrap(text, width, measure):
            y += size * PT * gap
            x = MARGIN + (width - measure(line)) / 2 if center else MARGIN
            out.items.append(Text(x, y, line, size, bold, color))

    # The header band: what this is, in the site's blue.
    band = 11.0
    out.items.append(Box(0, 0, PAGE_W, band, fill=BRAND))
    header = "VÉ THAM DỰ SỰ KIỆN"
    size = 11.0
    hx = MARGIN + (width - measurer(font_dir, True, size)(header)) / 2
    out.items.append(Text(hx, band / 2 + size * PT * 0.36, header, size, True, WHITE))
    out.header = len(out.items)
    y = band + 1.5

    block(card.event_name, 14, bold=True, center=True)
    y += 1.5
    for line in when_lines(card.starts_at, card.ends_at):
        block(line, 10.5, center=True, gap=1.3)
    if card.venue:
        block(card.venue, 10, color=MUTED, center=True, gap=1.3)

    if card.is_past:
        y += 2.5
        size = 11.0 * scale
        h = size * PT * 2.0
        out.items.append(Box(MARGIN, y, width, h, fill=(252, 235, 235), outline=PAST))
        px = MARGIN + (width - measurer(font_dir, True, size)(PAST_NOTICE)) / 2
        out.items.append(Text(px, y + h / 2 + size * PT * 0.36, PAST_NOTICE, size, True, PAST))
        y += h

    # The QR: whole pixels per module at 300 dpi, centred.
    y += 2.5
    symbol = modules - 2 * QUIET_ZONE
    module_px = max(
        math.floor(qr_mm / 25.4 * DPI / symbol), math.ceil(MIN_QR_MM / 25.4 * DPI / symbol), MIN_MODULE_PX
    )
    qr = QrBlock(0, 0, modules, module_px)
    out.items.append(QrBlock((PAGE_W - qr.side) / 2, y, modules, module_px))
    y += qr.side

    block(card.attendee_name, 15, bold=True, center=True)
    if card.category:
        y += 0.5
        block(card.category, 10.5, color=MUTED, center=True)
    y += 1.5
    block("Mã vé", 7, color=MUTED, center=True, gap=1.2)
    block(card.code, 7.5, center=True, gap=1.2)
    if not card.is_past:
        y += 0.5
        block("Đưa mã QR cho tình nguyện viên quét tại cổng.", 7, color=MUTED, center=True)
    out.bottom = y + 1.0
    return out


# --- painters --------------------------------------------------------------------------------------


def _px(mm: float) -> int:
    return round(mm / 25.4 * DPI)


def render_png(card: TicketCard, font_dir: Path) -> bytes:
    """The card as an A6 PNG at 300 dpi (1240 × 1748 px)."""
    image = Image.new("RGB", (_px(PAGE_W), _px(PAGE_H)), WHITE)
    draw = ImageDraw.Draw(image)
    fonts: dict[tuple[bool, int], ImageFont.FreeTypeFont] = {}
    for item in layout(card, font_dir).items:
        if isinstance(item, Box):
            draw.rectangle(
                (_px(item.x), _px(item.y), _px(item.x + item.w) - 1, _px(item.y + item.h) - 1),
                fill=item.fill,
                outline=item.outline,
                width=3,
            )
        elif isinstance(item, QrBlock):
            side = item.modules * item.module_px
            qr = qr_modules(card.qr_text).resize((side, side), Image.Resampling.NEAREST)
            image.paste(qr.convert("RGB"), (_px(item.x), _px(item.y)))
        else:
            key = (item.bold, round(item.size * DPI / 72))
            if key not in fonts:
                fonts[key] = ImageFont.truetype(str(font_dir / FONT_FILES[item.bold]), key[1])
            draw.text(
                (_px(item.x), _px(item.baseline)), item.text, font=fonts[key], fill=item.color, anchor="ls"
            )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(DPI, DPI))
    return buffer.getvalue()


def render_pdf(card: TicketCard, font_dir: Path) -> bytes:
    """The card as one A6 portrait PDF page: vector text in embedded DejaVu Serif, the QR as a
    600 dpi image."""
    pdf = FPDF(orientation="P", unit="mm", format=(PAGE_W, PAGE_H))
    pdf.set_margin(0)
    pdf.set_auto_page_break(False)
    pdf.set_title(f"Vé tham dự – {_clean(card.event_name)}")
    pdf.set_creator("Hệ thống KNĐMST Quảng Ngãi")
    pdf.add_font("DejaVuSerif", "", str(font_dir / FONT_FILES[False]))
    pdf.add_font("DejaVuSerif", "B", str(font_dir / FONT_FILES[True]))
    pdf.add_page()
    for item in layout(card, font_dir).items:
        if isinstance(item, Box):
            style = ("F" if item.fill else "") + ("D" if item.outline else "")
            if item.fill:
                pdf.set_fill_color(*item.fill)
            if item.outline:
                pdf.set_draw_color(*item.outline)
                pdf.set_line_width(0.25)
            pdf.rect(item.x, item.y, item.w, item.h, style=style or "D")
        elif isinstance(item, QrBlock):
            side = item.modules * item.module_px * PDF_QR_OVERSAMPLE
            qr = qr_modules(card.qr_text).resize((side, side), Image.Resampling.NEAREST)
            pdf.image(qr, x=item.x, y=item.y, w=item.side, h=item.side)
        else:
            pdf.set_font("DejaVuSerif", "B" if item.bold else "", item.size)
            pdf.set_text_color(*item.color)
            pdf.text(item.x, item.baseline, item.text)
    return bytes(pdf.output())


def text_lines(card: TicketCard, font_dir: Path) -> Iterator[str]:
    """Every line of text on the card, top to bottom (for tests and accessibility checks)."""
    for item in layout(card, font_dir).items:
        if isinstance(item, Text):
            yield item.text
