"""The one text-cleaning path: every form field, API field, search term and stored string passes here.

Why refuse instead of silently dropping: a NUL byte breaks PostgreSQL (psycopg refuses it), and
control or bidi characters in a name or a title can disguise what staff read on screen and in
workbooks ("Trojan source" spoofing). People rarely type them on purpose, so the kind answer is
to say which field holds one and let them fix it, keeping everything else they typed.

Rules (pure, no Flask):
- always NFC (a name typed on an iPhone, in NFD, matches the same name typed on Windows);
- always refused: C0 controls except tab and newline in long text, DEL, C1 controls, lone
  surrogates, and the bidi embedding/override/isolate/mark characters;
- in one-line text (names, titles, codes): also newlines, tabs and every other format character
  (zero-width space, soft hyphen, BOM …).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

from app.errors import Invalid

# Bidi controls: marks, embeddings, overrides, isolates (Unicode TR9) and the Arabic letter mark.
BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_ALWAYS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff" + "".join(sorted(BIDI)) + "]")
# Format characters (Unicode category Cf: zero-width space and joiners, soft hyphen, BOM, invisible
# operators, tags …) as ranges, so one regex finds them; tests/test_text.py checks that every Cf
# character of the running Python's Unicode tables is covered.
FORMAT_RANGES = (
    (0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD), (0x070F, 0x070F),
    (0x0890, 0x0891), (0x08E2, 0x08E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD),
    (0x110CD, 0x110CD), (0x13430, 0x1343F), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)  # fmt: skip
_FORMAT_CLASS = "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in FORMAT_RANGES)
# One-line text (names, titles, codes) also refuses tab, newline and every format character.
_LINE = re.compile(_ALWAYS.pattern[:-1] + "\t\n\r" + _FORMAT_CLASS + "]")

MAX_ECHO = 80  # characters of a refused value quoted back in an error message

# The address part of a contest or event (/cuoc-thi/<slug>): lower-case ASCII words joined by hyphens.
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class UnsafeText(ValueError):
    """A pure-level refusal: `char` is the first character not allowed."""

    def __init__(self, char: str):
        super().__init__(describe(char))
        self.char = char


def describe(char: str) -> str:
    """'U+202E, ký tự đổi hướng chữ' — how a refused character is named to a person."""
    code = f"U+{ord(char):04X}"
    if char in BIDI:
        kind = "ký tự đổi hướng chữ"
    elif char in "\t\n\r":
        kind = "xuống dòng hoặc tab"
    elif unicodedata.category(char) == "Cc":
        kind = "ký tự điều khiển"
    elif unicodedata.category(char) == "Cs":
        kind = "mã ký tự hỏng"
    else:
        kind = "ký tự định dạng ẩn"
    return f"{code}, {kind}"


def first_unsafe(text: str, *, multiline: bool = False) -> str | None:
    """The first character this kind of text may not hold, or None."""
    found = (_ALWAYS if multiline else _LINE).search(text)
    return found.group() if found else None


def normalize(text: str, *, multiline: bool = False, strip: bool = True) -> str:
    """NFC, Windows line ends made Unix ones; raises UnsafeText. The pure core of clean_text."""
    value = text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    bad = first_unsafe(value, multiline=multiline)
    if bad is not None:
        raise UnsafeText(bad)
    return value.strip() if strip else value


def _subject(label: str | None, default: str = "Nội dung") -> str:
    return f"Trường “{label}”" if label else default


def unsafe_message(char: str, label: str | None = None) -> str:
    return f"{_subject(label)} có ký tự không được phép: {describe(char)}. Vui lòng xoá ký tự đó rồi gửi lại."


def clean_text(
    value: object,
    *,
    field: str | None = None,
    label: str | None = None,
    multiline: bool = False,
    strip: bool = True,
    max_length: int | None = None,
) -> str:
    """Clean one piece of user text or raise Invalid naming the field (422 on the web edge).

    `None` becomes "", anything that is not a string is refused (JSON bodies send numbers and
    lists where text belongs).
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid(f"{_subject(label or field, 'Giá trị')} phải là văn bản.", field=field)
    try:
        cleaned = normalize(value, multiline=multiline, strip=strip)
    except UnsafeText as exc:
        raise Invalid(unsafe_message(exc.char, label or field), field=field, code="invalid_text") from exc
    if max_length is not None and len(cleaned) > max_length:
        raise Invalid(
            f"{_subject(label or field)} không được dài quá {max_length} ký tự.", field=field, code="too_long"
        )
    return cleaned


def check_stored(value: object, *, field: str) -> object:
    """The last line of defence for anything written to a String/Text/JSON column (see
    `app.extensions._guard_text_columns`): NFC strings, refuse what is never allowed, walk JSON."""
    if isinstance(value, str):
        return clean_text(value, field=field, multiline=True, strip=False)
    if isinstance(value, dict):
        return {check_stored(k, field=field): check_stored(v, field=field) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(check_stored(v, field=field) for v in value)
    return value


def tidy(text: str | None, limit: int | None = None, *, one_line: bool = False) -> str:
    """Text a service keeps: NFC and stripped; one-line text has each run of spaces made one space;
    cut at `limit` characters. It refuses nothing — the form or API edge (`clean_text`) and the
    stored-text guard (`check_stored`) do that."""
    value = text or ""
    if not unicodedata.is_normalized("NFC", value):
        value = unicodedata.normalize("NFC", value)
    value = " ".join(value.split()) if one_line else value.strip()
    return value[:limit] if limit is not None else value


def truncate(text: str, limit: int = MAX_ECHO) -> str:
    """A user value short enough to quote back in a message or a log line."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fold(text: str) -> str:
    """Search text: lower-case, no Vietnamese diacritics (đ → d), single spaces, no controls.

    The same folding for what is stored and what is searched, on every database ("nguyen thi" finds
    "Nguyễn Thị"); controls and format characters are dropped so a stray NUL in a search box is
    simply ignored.
    """
    decomposed = unicodedata.normalize("NFD", (text or "").replace("đ", "d").replace("Đ", "D"))
    kept = "".join(
        ch for ch in decomposed if ch.isspace() or unicodedata.category(ch) not in ("Mn", "Cc", "Cf", "Cs")
    )
    return " ".join(kept.lower().split())


def phone_search_forms(phone_e164: str | None) -> str:
    """How people type a phone when searching: 0912345678 (national) — +84 forms fold to it."""
    if not phone_e164:
        return ""
    if phone_e164.startswith("+84"):
        return "0" + phone_e164[3:]
    return phone_e164.lstrip("+")


def fold_query(query: str) -> str:
    """A search query folded like search_key; a phone typed as +84… or 84… becomes 0…."""
    text = fold(query)
    compact = re.sub(r"[\s.\-()]", "", text)
    if re.fullmatch(r"\+?\d{4,}", compact):
        if compact.startswith("+84"):
            compact = "0" + compact[3:]
        elif compact.startswith("84") and len(compact) == 11:
            compact = "0" + compact[2:]
        return compact
    return text


_WHOLE = re.compile(r"-?[0-9]{1,9}")


def whole_number(value: object, *, signed: bool = False) -> int | None:
    """A whole number sent as text (an id in a form, a page number in a URL), or None.

    ASCII digits only — int() would take '²', '١٢' and '1_000' — and at most 9 of them, so the
    value always fits PostgreSQL's integer and a page offset SQLite's (a 23-digit page number
    was a 500). A minus sign only when `signed`.
    """
    text = value.strip() if isinstance(value, str) else ""
    if not _WHOLE.fullmatch(text) or (text.startswith("-") and not signed):
        return None
    return int(text)


def page_number(value: object) -> int:
    """`?trang=` as a page number: 1 when missing, malformed or below 1."""
    return max(whole_number(value) or 1, 1)


def like_pattern(text: str) -> str:
    """`%text%` for LIKE … ESCAPE '\\' with the user's own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# --- numbers as Vietnamese write them --------------------------------------------------------------

_NUMBER_CONTEXT = Context(prec=60)


def format_number(value: object, places: int | None = None) -> str:
    """A number as Vietnamese write it: decimal comma, and dots between thousands from 10 000 on.

    77.5 → "77,5"; format_number(10, 1) → "10,0"; 12345.6 → "12.345,6"; "15.5" or "15,5" (a typed
    score) → "15,5". `places` None keeps the value's own decimals (Decimal("77.50") → "77,50"); a
    number fixes them (half up). None or "" → "—"; anything that is not a number is shown as given.
    """
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(value)
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite() or abs(number.adjusted()) > 30:
        return str(value)
    if places is None:
        text = f"{number:f}"
    else:
        text = f"{number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=_NUMBER_CONTEXT):f}"
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, _, fraction = text.partition(".")
    if len(whole) > 4:
        whole = f"{int(whole):,}".replace(",", ".")
    if sign and set(whole + fraction) <= {"0"}:
        sign = ""  # no "-0,0"
    return sign + whole + ("," + fraction if fraction else "")


def format_size(n_bytes: int) -> str:
    """A file's size or a size limit: "850 KB" below 1 MB, else megabytes with one decimal ("10,0 MB")."""
    if n_bytes < 1024 * 1024:
        return f"{max(1, round(n_bytes / 1024))} KB"
    return format_number(n_bytes / (1024 * 1024), 1) + " MB"
