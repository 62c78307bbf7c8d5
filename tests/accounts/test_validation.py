"""Pure checks: Vietnamese phone numbers, emails, names and passwords."""

import pytest

from app.accounts.validation import (
    ValidationFailed,
    check_password_strength,
    normalize_email,
    normalize_name,
    normalize_phone,
)


@pytest.mark.parametrize(
    "raw",
    [
        "0912345678",
        "0912 345 678",
        "0912.345.678",
        "+84912345678",
        "+84 912 345 678",
        "84912345678",
        "(091) 234-5678",
    ],
)
def test_phone_formats_normalise_to_e164(raw):
    assert normalize_phone(raw) == "+84912345678"


@pytest.mark.parametrize("raw", ["0352345678", "0562345678", "0702345678", "0812345678", "0982345678"])
def test_every_mobile_prefix_is_accepted(raw):
    assert normalize_phone(raw) == "+84" + raw[1:]


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "12345",
        "0212345678",
        "02553822222",
        "091234567",
        "09123456789",
        "+1 202 555 0100",
        "0912abc678",
        "0412345678",
    ],
)
def test_bad_phones_are_refused_in_vietnamese(raw):
    with pytest.raises(ValidationFailed) as info:
        normalize_phone(raw)
    assert "điện thoại" in str(info.value)


def test_email_is_lowercased_and_checked():
    assert normalize_email("  An.Nguyen@Example.VN ") == "an.nguyen@example.vn"
    for bad in ["", "an", "an@", "an@@x.vn", "an nguyen@x.vn"]:
        with pytest.raises(ValidationFailed):
            normalize_email(bad)


def test_name_is_nfc_and_single_spaced():
    decomposed = "Nguye\u0302\u0303n  Thi\u0323   Ha\u0300"
    assert normalize_name(decomposed) == "Nguyễn Thị Hà"
    for bad in ["", "A", "Nguyễn 123", "<script>", "x" * 121]:
        with pytest.raises(ValidationFailed):
            normalize_name(bad)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("abc123", "ít nhất 8"),
        ("abcdefghij", "chữ và số"),
        ("1234567890", "chữ và số"),
        ("matkhau123", "phổ biến"),
        ("annguyen2024", "email"),
        ("x912345678", "điện thoại"),
    ],
)
def test_weak_passwords_are_refused(password, message):
    with pytest.raises(ValidationFailed) as info:
        check_password_strength(password, email="annguyen@example.vn", phone="+84912345678")
    assert message in str(info.value)


def test_a_reasonable_password_passes():
    check_password_strength("Lua-Gao-2024", email="an@example.vn", phone="+84912345678")
    check_password_strength("QuanTri@2024")  # no email or phone given: nothing personal to compare


def test_phones_are_shown_the_way_people_write_them():
    from app.accounts.validation import format_phone

    assert format_phone("+84912345678") == "0912 345 678"
    assert format_phone(None) == "" and format_phone("") == ""
    assert format_phone("+12025550100") == "+12025550100"
