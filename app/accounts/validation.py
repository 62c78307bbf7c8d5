"""Pure normalisation and checks for emails, Vietnamese phone numbers, names and passwords."""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from app.text import tidy

MOBILE_NATIONAL = re.compile(r"^0[35789]\d{8}$")
COMMON_PASSWORDS = {
    "12345678",
    "123456789",
    "1234567890",
    "password",
    "password1",
    "matkhau",
    "matkhau123",
    "abc12345",
    "qwerty123",
    "11111111",
    "88888888",
    "iloveyou",
    "quangngai",
    "admin123",
    "abcd1234",
    "a1234567",
    "12345678a",
    "123456aa",
    "vietnam123",
    "khoinghiep",
}


class ValidationFailed(ValueError):
    """Carries a Vietnamese message for the user."""


def normalize_name(raw: str) -> str:
    """Họ và tên: NFC, single spaces. Refuses digits and markup-like characters."""
    name = tidy(raw, one_line=True)
    if len(name) < 2:
        raise ValidationFailed("Vui lòng nhập họ và tên đầy đủ.")
    if len(name) > 120:
        raise ValidationFailed("Họ và tên không được dài quá 120 ký tự.")
    if any(ch.isdigit() or ch in "<>{}[]@#$%^*=/\\|" for ch in name):
        raise ValidationFailed("Họ và tên chỉ gồm chữ cái và khoảng trắng.")
    return name


def normalize_email(raw: str) -> str:
    """Lower-cased, NFC; syntax checked without DNS (venues are offline)."""
    text = tidy(raw).lower()
    if not text:
        raise ValidationFailed("Vui lòng nhập địa chỉ email.")
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationFailed("Địa chỉ email không hợp lệ.") from exc
    return result.normalized.lower()


def normalize_phone(raw: str) -> str:
    """Accepts 0912345678, 0912 345 678, +84912345678, 84912345678; returns E.164 (+84…).

    Only Vietnamese mobiles (0[35789] + 8 digits) are accepted: the contest reaches people by SMS
    and Zalo, which need a mobile.
    """
    text = re.sub(r"[\s.\-()]", "", tidy(raw))
    if not text:
        raise ValidationFailed("Vui lòng nhập số điện thoại di động.")
    if text.startswith("+84"):
        national = "0" + text[3:]
    elif text.startswith("84") and len(text) == 11:
        national = "0" + text[2:]
    else:
        national = text
    if not MOBILE_NATIONAL.match(national):
        raise ValidationFailed(
            "Số điện thoại di động không hợp lệ (ví dụ: 0912 345 678 hoặc +84 912 345 678)."
        )
    parsed = phonenumbers.parse(national, "VN")
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationFailed("Số điện thoại này không thuộc đầu số di động Việt Nam đang dùng.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def format_phone(phone: str | None) -> str:
    """+84912345678 → 0912 345 678, how people write it; anything else is shown as stored."""
    if not phone or not phone.startswith("+84"):
        return phone or ""
    national = "0" + phone[3:]
    return f"{national[:4]} {national[4:7]} {national[7:]}"


def check_password_strength(password: str, *, email: str = "", phone: str = "") -> None:
    """At least 8 characters with a letter and a digit; not a well-known or personal password."""
    if len(password) < 8:
        raise ValidationFailed("Mật khẩu phải có ít nhất 8 ký tự.")
    if len(password) > 128:
        raise ValidationFailed("Mật khẩu không được dài quá 128 ký tự.")
    if not any(ch.isalpha() for ch in password) or not any(ch.isdigit() for ch in password):
        raise ValidationFailed("Mật khẩu phải có cả chữ và số.")
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS:
        raise ValidationFailed("Mật khẩu này quá phổ biến, dễ bị đoán. Vui lòng chọn mật khẩu khác.")
    local_part = email.split("@")[0].lower() if email else ""
    subscriber = phone.replace("+84", "") if phone else ""  # the 9 digits after the 0
    if (len(local_part) >= 4 and local_part in lowered) or (len(subscriber) >= 8 and subscriber in lowered):
        raise ValidationFailed("Mật khẩu không được chứa email hoặc số điện thoại của bạn.")
