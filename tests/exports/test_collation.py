"""Vietnamese sort order: letters, tones, case and normal forms, and people's names by tên."""

import random
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from app.spreadsheet.collation import ALPHABET, TONE_ORDER, name_sort_key, sort_key, split_name


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def by_key(words):
    return sorted(words, key=sort_key)


def by_name(names):
    return sorted(names, key=name_sort_key)


def shuffled(items, seed=7):
    items = list(items)
    random.Random(seed).shuffle(items)
    return items


# --- letters -----------------------------------------------------------------------------------


def test_alphabet_is_the_vietnamese_one_with_foreign_letters_in_latin_places():
    assert "".join(ALPHABET) == "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
    assert all(len(letter) == 1 and unicodedata.is_normalized("NFC", letter) for letter in ALPHABET)
    assert by_key(shuffled(ALPHABET)) == list(ALPHABET)
    assert by_key(shuffled(letter.upper() for letter in ALPHABET)) == [letter.upper() for letter in ALPHABET]


def test_letters_with_marks_are_separate_letters_after_their_base():
    assert by_key(["â", "a", "ă"]) == ["a", "ă", "â"]
    assert by_key(["đ", "d"]) == ["d", "đ"]
    assert by_key(["ê", "e"]) == ["e", "ê"]
    assert by_key(["ơ", "ô", "o"]) == ["o", "ô", "ơ"]
    assert by_key(["ư", "u"]) == ["u", "ư"]


def test_a_letter_counts_before_any_later_letter_unlike_the_default_unicode_order():
    # In the default Unicode order ă is an accented a, so "ăn" would come between "an" and "ao".
    assert by_key(["ao", "ăn", "an", "ba", "âm"]) == ["an", "ao", "ăn", "âm", "ba"]
    assert by_key(["đa", "dương", "duy"]) == ["duy", "dương", "đa"]  # u < ư, d < đ
    assert by_key(["ơn", "ông", "oi"]) == ["oi", "ông", "ơn"]
    assert by_key(["ưa", "uy", "ủy"]) == ["uy", "ủy", "ưa"]


def test_words_compare_one_by_one_and_a_shorter_word_comes_first():
    assert by_key(["anh", "an bình", "an"]) == ["an", "an bình", "anh"]
    assert by_key(["Bình Sơn", "Bình", "Ba Tơ"]) == ["Ba Tơ", "Bình", "Bình Sơn"]


def test_hyphens_and_punctuation_separate_words_like_spaces():
    assert sort_key("Ê-đê") == sort_key("Ê đê")
    assert sort_key("  Lý   Sơn ") == sort_key("Lý Sơn")


def test_digits_come_before_letters():
    assert by_key(["Bảng A", "1 Bảng", "Đội 2", "Đội 10"]) == ["1 Bảng", "Bảng A", "Đội 10", "Đội 2"]


# --- tones -------------------------------------------------------------------------------------


def test_tone_order_is_the_dictionary_order_ngang_huyen_hoi_nga_sac_nang():
    assert TONE_ORDER == ("ngang", "huyền", "hỏi", "ngã", "sắc", "nặng")
    expected = ["ma", "mà", "mả", "mã", "má", "mạ"]
    assert by_key(shuffled(expected)) == expected
    assert by_key(shuffled(["an", "ản", "ấn", "ẩn", "ận", "ần", "ẫn", "ân"])) == [
        "an",
        "ản",
        "ân",
        "ần",
        "ẩn",
        "ẫn",
        "ấn",
        "ận",
    ]


def test_tones_only_matter_when_the_letters_are_equal():
    assert by_key(["mai", "mạ"]) == ["mạ", "mai"]
    assert by_key(["má", "mà bà"]) == ["má", "mà bà"]  # "ma" is a prefix of "ma ba"
    assert by_key(["ma bà", "mà ba"]) == ["ma bà", "mà ba"]  # the first syllable's tone decides


def test_tone_belongs_to_the_syllable_so_old_and_new_placement_are_equal():
    assert sort_key("hoà") == sort_key("hòa")
    assert sort_key("Thuý") == sort_key("Thúy")
    assert sort_key("hoá") != sort_key("hoà")


# --- case and normal forms ---------------------------------------------------------------------


def test_case_insensitive():
    assert sort_key("ĐỨC") == sort_key("đức") == sort_key("Đức")
    assert by_key(["bình", "An", "Ân", "an"]) == ["An", "an", "Ân", "bình"]  # ties keep input order


def test_nfd_input_sorts_like_nfc():
    for word in ["Nguyễn", "Đặng", "Trương", "Huỳnh", "Ngọc", "ậ", "ợ", "ự", "ắ"]:
        assert sort_key(nfd(word)) == sort_key(word)
    assert by_key([nfd("Ân"), "An", nfd("Ăn")]) == ["An", nfd("Ăn"), nfd("Ân")]


def test_eth_typed_for_d_with_stroke_sorts_as_d_with_stroke():
    assert sort_key("\u00d0\u1ee9c") == sort_key("Đức")


def test_foreign_accents_only_break_ties():
    assert by_key(["zoë", "zoe", "zof"]) == ["zoe", "zoë", "zof"]


def test_empty_and_none():
    assert sort_key("") == sort_key(None) == sort_key("  - ")
    assert by_key(["a", ""]) == ["", "a"]


VOWELS_BY_TONE = [  # each group: ngang, huyền, hỏi, ngã, sắc, nặng — typed, not computed
    "aàảãáạ", "ăằẳẵắặ", "âầẩẫấậ", "eèẻẽéẹ", "êềểễếệ", "iìỉĩíị",
    "oòỏõóọ", "ôồổỗốộ", "ơờởỡớợ", "uùủũúụ", "ưừửữứự", "yỳỷỹýỵ",
]  # fmt: skip
REFERENCE = {letter: (ALPHABET.index(letter), 0) for letter in ALPHABET}
REFERENCE.update(
    {char: (ALPHABET.index(group[0]), tone) for group in VOWELS_BY_TONE for tone, char in enumerate(group)}
)
vietnamese_word = st.text(alphabet="".join(REFERENCE) + "".join(REFERENCE).upper(), max_size=12)


def reference_key(word: str):
    """An independent table-driven key for one word: letter ranks, then the non-level tones."""
    pairs = [REFERENCE[char] for char in word.lower()]
    return [rank for rank, _ in pairs], [tone for _, tone in pairs if tone]


@given(st.lists(vietnamese_word, min_size=1, max_size=4))
def test_key_ignores_case_and_normal_form(words):
    text = " ".join(words)
    assert sort_key(nfd(text)) == sort_key(text) == sort_key(text.upper()) == sort_key(text.lower())


@given(vietnamese_word, vietnamese_word)
def test_order_of_single_words_agrees_with_a_table_of_the_alphabet_and_tones(first, second):
    assert (sort_key(first) < sort_key(second)) == (reference_key(first) < reference_key(second))
    assert (sort_key(first) == sort_key(second)) == (reference_key(first) == reference_key(second))


# --- names -------------------------------------------------------------------------------------


def test_split_name():
    assert split_name("Nguyễn Thị Minh Khai") == ("Nguyễn", "Thị Minh", "Khai")
    assert split_name("  Lê   Văn  Đức ") == ("Lê", "Văn", "Đức")
    assert split_name("Trần Bình") == ("Trần", "", "Bình")
    assert split_name("Hân") == ("", "", "Hân")
    assert split_name("") == ("", "", "")
    assert split_name(None) == ("", "", "")
    name = split_name(nfd("Đặng Văn Ân"))
    assert name.ho == "Đặng" and name.dem == "Văn" and name.ten == "Ân"  # NFC out
    assert name.ten == "\u00c2n"


def test_names_sort_by_ten_first_the_issue_example():
    names = ["Lê Văn Đức", "Trần Thị Bình", "Nguyễn Văn Anh"]
    assert by_name(shuffled(names)) == ["Nguyễn Văn Anh", "Trần Thị Bình", "Lê Văn Đức"]


def test_ten_an_comes_before_ten_an_with_circumflex_whatever_the_ho():
    # Keyed by tên first: "An" < "Anh" < "Ân" (a < â), so Đặng Văn An leads although Đ > N.
    names = ["Nguyễn Văn Ân", "Đặng Văn An", "Nguyễn Văn Anh"]
    assert by_name(names) == ["Đặng Văn An", "Nguyễn Văn Anh", "Nguyễn Văn Ân"]


def test_then_ten_dem_then_ho():
    assert by_name(["Nguyễn Văn Anh", "Nguyễn Thị Anh"]) == ["Nguyễn Thị Anh", "Nguyễn Văn Anh"]
    # No tên đệm sorts before any tên đệm.
    assert by_name(["Nguyễn Văn Anh", "Trần Anh"]) == ["Trần Anh", "Nguyễn Văn Anh"]
    # Names differing only in họ: d < đ, and Vietnamese letter order.
    only_ho = ["Trần Văn Anh", "Đặng Văn Anh", "Nguyễn Văn Anh", "Dương Văn Anh", "Âu Văn Anh", "An Văn Anh"]
    assert by_name(shuffled(only_ho)) == [
        "An Văn Anh",
        "Âu Văn Anh",
        "Dương Văn Anh",
        "Đặng Văn Anh",
        "Nguyễn Văn Anh",
        "Trần Văn Anh",
    ]


def test_a_realistic_class_list():
    names = [
        "Huỳnh Thị Ngọc Hân",
        "Phạm Minh Đức",
        "Võ Thị Thu Hà",
        "Lê Hoàng Hải",
        "Nguyễn Văn Dũng",
        "Nguyễn Thị Mỹ Duyên",
        "Trần Quốc Bảo",
        "Bùi Thị Ánh",
        "Đỗ Văn Á",
        "đặng thị hà",
        nfd("Ngô Thị Hạ"),
        "Tôn Nữ Thị Hà",
    ]
    assert by_name(shuffled(names)) == [
        "Đỗ Văn Á",
        "Bùi Thị Ánh",
        "Trần Quốc Bảo",
        "Nguyễn Văn Dũng",
        "Nguyễn Thị Mỹ Duyên",
        "Phạm Minh Đức",
        "Tôn Nữ Thị Hà",
        "đặng thị hà",
        "Võ Thị Thu Hà",
        nfd("Ngô Thị Hạ"),
        "Lê Hoàng Hải",
        "Huỳnh Thị Ngọc Hân",
    ]
