"""Ticket codes: opaque, signed, unguessable; and reading them back from whatever a scanner typed.

Pure functions (no Flask, no database). A code is 16 random bytes followed by the first 8 bytes of
an HMAC-SHA256 of those bytes under a key derived from the app's SECRET_KEY, written in lower-case
base32 without padding (39 characters, URL-safe, case-insensitive when typed). It carries no
personal data and no sequence number; the signature lets the scanner reject a mistyped, truncated
or forged code without touching the database, and the random part makes it unguessable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import re
import secrets
import unicodedata
from urllib.parse import unquote, urlsplit

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.image.pil import PilImage

from app.text import fold, phone_search_forms

RANDOM_BYTES = 16
TAG_BYTES = 8
CODE_LENGTH = 39  # base32 of 24 bytes, padding removed
_CODE_RE = re.compile(r"^[a-z2-7]{39}$")


def derive_key(secret_key: str | bytes) -> bytes:
    """A key used only for tickets, so a ticket signature never doubles as anything else's."""
    raw = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return hmac.new(raw, b"kndmst-event-ticket-v1", hashlib.sha256).digest()


def _tag(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, body, hashlib.sha256).digest()[:TAG_BYTES]


def new_code(key: bytes) -> str:
    body = secrets.token_bytes(RANDOM_BYTES)
    return base64.b32encode(body + _tag(key, body)).decode().rstrip("=").lower()


def is_valid_code(key: bytes, code: str) -> bool:
    """True when `code` is well-formed and carries a valid signature (it may still be unknown)."""
    if not _CODE_RE.match(code):
        return False
    raw = base64.b32decode(code.upper() + "=" * (-len(code) % 8))
    body, tag = raw[:RANDOM_BYTES], raw[RANDOM_BYTES:]
    return hmac.compare_digest(tag, _tag(key, body))


def extract_code(scanned: str) -> str:
    """The candidate code inside what a camera or USB scanner produced.

    Accepts the bare code or the ticket URL (`https://host/ve/<code>`, with or without a query or
    a trailing slash), tolerates surrounding whitespace and newlines, upper case and the spaces or
    dashes people add when reading a code out. Returns "" when nothing code-like is present.
    """
    text = unicodedata.normalize("NFKC", scanned or "").strip()
    if not text:
        return ""
    if "/" in text:
        parts = urlsplit(text)
        path = unquote(parts.path if (parts.scheme or parts.netloc) else text.split("?")[0])
        segments = [s for s in path.split("/") if s]
        text = segments[-1] if segments else ""
    return re.sub(r"[\s\-]", "", text).lower()


def search_key(full_name: str, phone_e164: str | None, organisation: str | None = None) -> str:
    """The stored, accent-free text that staff search (name, phone, organisation)."""
    return " | ".join(
        p for p in (fold(full_name), phone_search_forms(phone_e164), fold(organisation or "")) if p
    )


def qr_png(text: str, *, box_size: int = 10, border: int = 4) -> bytes:
    """A PNG of a QR code holding `text` (error correction M: survives a crease or a glare)."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=border)
    qr.add_data(text)
    qr.make(fit=True)
    buffer = io.BytesIO()
    qr.make_image(image_factory=PilImage, fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()
