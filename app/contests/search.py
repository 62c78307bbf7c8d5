"""Accent-insensitive search text: the same folding on every database ("nguyen thi" finds "Nguyễn Thị")."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower-case, without Vietnamese diacritics (đ → d), single spaces."""
    decomposed = unicodedata.normalize("NFD", (text or "").replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.lower().split())
