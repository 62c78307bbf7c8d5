"""Vietnamese sort order for strings and for people's names (pure, no Flask).

Public API::

    sort_key(text: str | None) -> CollationKey
        Key for ``sorted(..., key=sort_key)``: Vietnamese alphabetical order, case-insensitive,
        the same for NFC and NFD input.
    name_sort_key(full_name: str | None) -> tuple[CollationKey, CollationKey, CollationKey]
        Key for lists of people: by tên (last word), then tên đệm (middle words), then họ
        (first word), each compared with ``sort_key``.
    split_name(full_name: str | None) -> VietnameseName
        ``VietnameseName(ho, dem, ten)``: "Nguyễn Thị Minh Khai" → ("Nguyễn", "Thị Minh", "Khai").
    ALPHABET, TONE_ORDER: the orders used, for documentation and tests.

The order (the one used by Vietnamese dictionaries and by CLDR's ``vi`` collation):

* Letters, compared first (primary level), word by word, a shorter word before a longer one
  with the same start ("an" < "an bình" < "anh")::

      a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y

  f, j, w and z (foreign names) sit in their Latin places. Digits come before letters;
  any other character after them, by code point. Spaces, hyphens and punctuation only separate
  words. Digraphs (ch, gh, kh, ng, nh, ph, th, tr …) are compared letter by letter, as modern
  dictionaries and CLDR do.
* Tones, compared only between strings whose letters are equal (secondary level), syllable by
  syllable: ngang < huyền < hỏi < ngã < sắc < nặng (ma < mà < mả < mã < má < mạ). The tone belongs
  to the syllable, so the old and new tone placements ("hoà" / "hòa", "thuý" / "thúy") are equal.
* Other accents (ü, ç in foreign names) only break ties (tertiary level).
* Upper and lower case are equal: ties keep their input order (``sorted`` is stable), so callers
  add their own tie-breaker (an entry code, an id) when they need a total order.

Why not PyICU or pyuca: PyICU needs the ICU C++ libraries and a compiler at install time, heavy
for one ordering; pyuca implements the default Unicode order, where ă, â, ê, ô, ơ, ư are only
accented variants of a, e, o, u (so "ăn" would sort between "an" and "ao"), which is wrong for
Vietnamese. The rules above are small enough to implement exactly and test thoroughly.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

from app.text import tidy

ALPHABET = tuple("aăâbcdđeêfghijklmnoôơpqrstuưvwxyz")
TONE_ORDER = ("ngang", "huyền", "hỏi", "ngã", "sắc", "nặng")

# Combining marks (NFD) that carry a tone, by rank in TONE_ORDER.
_TONE_MARKS = {
    "\u0300": 1,  # huyền (grave)
    "\u0309": 2,  # hỏi (hook above)
    "\u0303": 3,  # ngã (tilde)
    "\u0301": 4,  # sắc (acute)
    "\u0323": 5,  # nặng (dot below)
}
# Combining marks that make a separate letter: (base letter, mark) → letter.
_LETTER_MARKS = {
    ("a", "\u0306"): "ă",  # breve
    ("a", "\u0302"): "â",  # circumflex
    ("e", "\u0302"): "ê",
    ("o", "\u0302"): "ô",
    ("o", "\u031b"): "ơ",  # horn
    ("u", "\u031b"): "ư",
}
_LETTER_WEIGHT = {letter: 100 + rank for rank, letter in enumerate(ALPHABET)}
# Eth (Ð/ð) is sometimes typed for Đ/đ by old input methods and font converters.
_LETTER_WEIGHT["ð"] = _LETTER_WEIGHT["đ"]
_DIGIT_WEIGHT = {str(d): 1 + d for d in range(10)}
_OTHER_BASE = 1000  # + code point, after every letter

# Words are runs of letters/digits (after NFC every Vietnamese letter is one code point).
_SEPARATORS = re.compile(r"[\W_]+")

CollationKey = tuple[tuple[int, ...], tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...]]


class VietnameseName(NamedTuple):
    ho: str
    dem: str
    ten: str


@lru_cache(maxsize=100_000)
def _word_key(word: str) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """Primary weights of the letters, the syllable's tone(s), and any other accents."""
    primary: list[int] = []
    tones: list[int] = []
    others: list[int] = []
    base = ""
    for char in unicodedata.normalize("NFD", word.casefold()):
        if unicodedata.combining(char):
            letter = _LETTER_MARKS.get((base, char))
            if letter is not None and primary:
                primary[-1] = _LETTER_WEIGHT[letter]
                base = letter
            elif char in _TONE_MARKS:
                tones.append(_TONE_MARKS[char])
            else:
                others.append(ord(char))
            continue
        base = char
        weight = _LETTER_WEIGHT.get(char) or _DIGIT_WEIGHT.get(char)
        primary.append(weight if weight is not None else _OTHER_BASE + ord(char))
    return tuple(primary), tuple(tones), tuple(others)


def sort_key(text: str | None) -> CollationKey:
    """Vietnamese collation key: letters, then tones, then other accents; case-insensitive."""
    words = [w for w in _SEPARATORS.split(tidy(text)) if w]
    primary: list[int] = []
    tones: list[tuple[int, ...]] = []
    others: list[tuple[int, ...]] = []
    for index, word in enumerate(words):
        word_primary, word_tones, word_others = _word_key(word)
        if index:
            primary.append(0)  # a word boundary sorts before any letter
        primary.extend(word_primary)
        tones.append(word_tones)
        others.append(word_others)
    return tuple(primary), tuple(tones), tuple(others)


def split_name(full_name: str | None) -> VietnameseName:
    """Split a Vietnamese full name into họ (first word), tên đệm (middle words), tên (last word).

    One word is taken as the tên alone; two words as họ + tên. Compound family names
    ("Tôn Nữ", "Nguyễn Phước") end up partly in the tên đệm, which sorts them correctly anyway.
    """
    words = tidy(full_name).split()
    if not words:
        return VietnameseName("", "", "")
    if len(words) == 1:
        return VietnameseName("", "", words[0])
    return VietnameseName(words[0], " ".join(words[1:-1]), words[-1])


def name_sort_key(full_name: str | None) -> tuple[CollationKey, CollationKey, CollationKey]:
    """Key that lists people the Vietnamese way: by tên, then tên đệm, then họ."""
    name = split_name(full_name)
    return sort_key(name.ten), sort_key(name.dem), sort_key(name.ho)
