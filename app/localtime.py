"""Time in one place: store UTC, show Asia/Ho_Chi_Minh as dd/mm/yyyy."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import Flask

from app.text import format_number, format_size

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_local(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LOCAL_TZ)


def local_to_utc(value: datetime) -> datetime:
    """A wall-clock time typed by a person in Quảng Ngãi, as an aware UTC datetime."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(UTC)


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value)
    return value.strftime("%d/%m/%Y")


def format_datetime(value: datetime | None, seconds: bool = False) -> str:
    if value is None:
        return ""
    return to_local(value).strftime("%H:%M:%S %d/%m/%Y" if seconds else "%H:%M %d/%m/%Y")


def format_long_date(value: date | datetime) -> str:
    """'ngày 05 tháng 3 năm 2024', the form of official documents (Decree 30/2020: days below 10
    and months 1 and 2 take a leading zero)."""
    if isinstance(value, datetime):
        value = to_local(value)
    month = f"{value.month:02d}" if value.month < 3 else str(value.month)
    return f"ngày {value.day:02d} tháng {month} năm {value.year}"


def register_template_filters(app: Flask) -> None:
    """The display filters of every template: dates and times here, numbers from app.text."""
    app.add_template_filter(format_number, "number_vn")
    app.add_template_filter(format_size, "size_vn")
    app.add_template_filter(format_date, "date_vn")
    app.add_template_filter(format_datetime, "datetime_vn")
    app.add_template_filter(format_long_date, "long_date_vn")
