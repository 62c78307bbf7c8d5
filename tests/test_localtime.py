"""Time display: stored UTC, shown in Asia/Ho_Chi_Minh as dd/mm/yyyy."""

from datetime import UTC, date, datetime

from app.localtime import format_date, format_datetime, format_long_date, local_to_utc, to_local


def test_utc_evening_is_next_day_in_vietnam():
    late = datetime(2024, 3, 4, 18, 30, tzinfo=UTC)
    assert format_date(late) == "05/03/2024"
    assert format_datetime(late) == "01:30 05/03/2024"
    assert format_datetime(late, seconds=True) == "01:30:00 05/03/2024"
    assert to_local(late).utcoffset().total_seconds() == 7 * 3600


def test_local_wall_time_to_utc():
    assert local_to_utc(datetime(2024, 3, 31, 23, 59, 59)) == datetime(2024, 3, 31, 16, 59, 59, tzinfo=UTC)


def test_long_date_follows_decree_30():
    assert format_long_date(date(2024, 3, 5)) == "ngày 05 tháng 3 năm 2024"
    assert format_long_date(date(2025, 1, 9)) == "ngày 09 tháng 01 năm 2025"
    assert format_long_date(date(2025, 12, 10)) == "ngày 10 tháng 12 năm 2025"
    assert format_date(None) == "" and format_datetime(None) == ""
