"""The one text-cleaning path (app/text.py) and the `next` check (app/urls.py): pure, no database."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from app.errors import Invalid
from app.text import (
    BIDI,
    FORMAT_RANGES,
    clean_text,
    first_unsafe,
    fold,
    fold_query,
    like_pattern,
    normalize,
    page_number,
    truncate,
    whole_number,
)


def test_every_format_character_of_this_python_is_refused_in_one_line_text():
    covered = {c for a, b in FORMAT_RANGES for c in range(a, b + 1)}
    missing = [
        hex(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf" and c not in covered
    ]
    assert missing == [], f"add these to FORMAT_RANGES (Unicode {unicodedata.unidata_version})"
    for a, b in FORMAT_RANGES:
        assert first_unsafe(f"x{chr(a)}y") == chr(a) and first_unsafe(f"x{chr(b)}y") == chr(b)


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9f", "\ud800", *sorted(BIDI)])
def test_controls_surrogates_and_bidi_are_refused_everywhere(char):
    assert first_unsafe(f"a{char}b", multiline=True) == char
    assert first_unsafe(f"a{char}b", multiline=False) == char
    with pytest.raises(Invalid) as error:
        clean_text(f"Tên{char}", field="full_name", label="Họ và tên")
    assert error.value.field == "full_name" and "Họ và tên" in error.value.message
    assert f"U+{ord(char):04X}" in error.value.message


def test_long_text_keeps_tabs_newlines_and_emoji_joiners_one_line_text_does_not():
    text = "Dòng 1\r\nDòng 2\tcột\u200d🌾"
    assert normalize(text, multiline=True) == "Dòng 1\nDòng 2\tcột\u200d🌾"
    for bad in ("\n", "\t", "\u200d", "\u200b", "\u00ad", "\ufeff"):
        with pytest.raises(ValueError):
            normalize(f"Tên{bad}x")


def test_text_is_stored_nfc_and_plain_vietnamese_passes_untouched():
    nfd = unicodedata.normalize("NFD", "Nguyễn Thị Ánh Tuyết – HTX Nghĩa Hà (OCOP 4★)")
    assert normalize(nfd) == "Nguyễn Thị Ánh Tuyết – HTX Nghĩa Hà (OCOP 4★)"
    assert clean_text("  Đắk Lắk  ") == "Đắk Lắk" and clean_text(None) == ""


def test_clean_text_refuses_non_text_and_overlong_values_naming_the_field():
    with pytest.raises(Invalid) as error:
        clean_text(["a"], field="gate")
    assert error.value.field == "gate"
    with pytest.raises(Invalid) as error:
        clean_text("x" * 201, field="gate", max_length=200)
    assert error.value.code == "too_long" and "200" in error.value.message


def test_fold_is_accent_free_and_drops_invisible_characters():
    assert fold("NGUYỄN  Thị\tĐào") == "nguyen thi dao"
    assert fold(unicodedata.normalize("NFD", "Nguyễn")) == "nguyen"
    assert fold("ab\x00c\u200bd") == "abcd"
    assert fold_query("+84 905 123 456") == "0905123456"


def test_like_pattern_takes_wildcards_literally():
    assert like_pattern("50%_a\\b") == "%50\\%\\_a\\\\b%"


@pytest.mark.parametrize(
    ("text", "signed", "expected"),
    [("42", False, 42), (" 7 ", False, 7), ("-3", True, -3), ("-3", False, None), ("²", False, None),
     ("١٢", False, None), ("1_000", False, None), ("1e3", False, None), ("9" * 10, False, None),
     ("", False, None), (None, False, None), (12, False, None)],
)  # fmt: skip
def test_whole_number_takes_only_small_ascii_integers(text, signed, expected):
    assert whole_number(text, signed=signed) == expected


def test_page_number_defaults_to_the_first_page():
    assert [page_number(v) for v in (None, "", "0", "-2", "3", "9" * 30)] == [1, 1, 1, 1, 3, 1]


def test_truncate_keeps_messages_short():
    assert truncate("x" * 1_000_000) == "x" * 79 + "…"
    assert truncate("Cổng A") == "Cổng A"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/cuoc-thi?trang=2", "/cuoc-thi?trang=2"),
        ("/su-kien/ngay-hoi#ve", "/su-kien/ngay-hoi#ve"),
        ("//evil.com", "/"),
        ("/\\evil.com", "/"),
        ("/\t/evil.com", "/"),
        ("/\n/evil.com", "/"),
        ("https://evil.com", "/"),
        ("javascript:alert(1)", "/"),
        ("evil.com", "/"),
        ("", "/"),
        (None, "/"),
        ("/" + "a" * 3000, "/"),
    ],
)
def test_safe_next(app, target, expected):
    from app.urls import safe_next

    with app.test_request_context():
        assert safe_next(target) == expected


def test_absolute_url_comes_from_base_url_with_its_path(app):
    from app.urls import absolute_url

    app.config["BASE_URL"] = "https://so.quangngai.gov.vn/kndmst/"
    with app.test_request_context(base_url="http://evil.example"):
        assert absolute_url("core.home") == "https://so.quangngai.gov.vn/kndmst/"
        assert absolute_url("events.ticket_page", code="abc") == "https://so.quangngai.gov.vn/kndmst/ve/abc"
    with app.app_context():  # the CLI: no request at all
        assert absolute_url("core.help_index") == "https://so.quangngai.gov.vn/kndmst/tro-giup"
