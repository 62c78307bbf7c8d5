"""Ticket codes and search folding: pure functions, no app."""

import base64

from hypothesis import given
from hypothesis import strategies as st

from app.events import tickets
from app.text import fold_query

KEY = tickets.derive_key("test-secret")


def test_codes_are_signed_random_and_not_sequential():
    codes = {tickets.new_code(KEY) for _ in range(500)}
    assert len(codes) == 500
    assert all(len(c) == tickets.CODE_LENGTH and tickets.is_valid_code(KEY, c) for c in codes)
    # Not sequential: consecutive codes share no long common prefix.
    ordered = [tickets.new_code(KEY) for _ in range(50)]
    assert max(len(_common_prefix(a, b)) for a, b in zip(ordered, ordered[1:], strict=False)) < 8


def _common_prefix(a, b):
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def test_tampered_truncated_and_foreign_codes_fail_the_signature():
    code = tickets.new_code(KEY)
    flipped = code[:5] + ("a" if code[5] != "a" else "b") + code[6:]
    assert not tickets.is_valid_code(KEY, flipped)
    assert not tickets.is_valid_code(KEY, code[:-1])
    assert not tickets.is_valid_code(KEY, code + "a")
    assert not tickets.is_valid_code(tickets.derive_key("another-secret"), code)
    assert not tickets.is_valid_code(KEY, "")
    assert not tickets.is_valid_code(KEY, "1" * 39)  # 1 is not base32


def test_code_carries_no_readable_data():
    code = tickets.new_code(KEY)
    raw = base64.b32decode(code.upper() + "=" * (-len(code) % 8))
    assert len(raw) == tickets.RANDOM_BYTES + tickets.TAG_BYTES


def test_extract_code_from_urls_and_scanner_noise():
    code = tickets.new_code(KEY)
    for scanned in [
        code,
        f"  {code}\r\n",
        code.upper(),
        f"https://kndmst.quangngai.gov.vn/ve/{code}",
        f"http://127.0.0.1:5000/ve/{code}/",
        f"https://x.vn/ve/{code}?utm=zalo",
        f"\t/ve/{code}\n",
        f"{code[:13]}-{code[13:26]} {code[26:]}",
    ]:
        assert tickets.extract_code(scanned) == code, scanned
    assert tickets.extract_code("") == ""
    assert tickets.extract_code("https://x.vn/") == ""


@given(st.text(max_size=200))
def test_extract_code_never_crashes_and_random_text_is_never_valid(text):
    assert not tickets.is_valid_code(KEY, tickets.extract_code(text))


def test_search_keys_meet_folded_queries():
    # The folding itself is app.text's (tests/test_text.py); here: a stored key and what staff
    # type at the desk fold to the same text.
    key = tickets.search_key("Nguyễn Thị Hồng", "+84905123456", "Trường ĐH Phạm Văn Đồng")
    assert "nguyen thi hong" in key and "0905123456" in key and "pham van dong" in key
    for query in ("NGUYỄN thị", "+84 905 123 456", "84905123456", "phạm văn đồng"):
        assert fold_query(query) in key
