"""Calendar files (.ics, RFC 5545) of sessions, for phones' calendars. Pure: plain values in, bytes out.

Each session keeps one UID (`session-<id>@<host>`), so downloading it again updates the entry in
the person's calendar instead of adding a second one; times are written in UTC (…Z), which every
calendar shows in the phone's own zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from icalendar import Calendar
from icalendar import Event as CalendarEvent

PRODID = "-//Sở Khoa học và Công nghệ tỉnh Quảng Ngãi//Lịch hoạt động KNĐMST//VI"


@dataclass(frozen=True)
class Entry:
    uid: str
    title: str
    starts_at: datetime  # aware
    ends_at: datetime
    location: str
    description: str
    url: str


def session_uid(session_id: int, host: str) -> str:
    return f"session-{session_id}@{host or 'kndmst.local'}"


def ics_bytes(name: str, entries: Iterable[Entry], *, stamp: datetime) -> bytes:
    """A VCALENDAR with one VEVENT per entry."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for entry in entries:
        item = CalendarEvent()
        item.add("uid", entry.uid)
        item.add("dtstamp", stamp.astimezone(UTC))
        item.add("dtstart", entry.starts_at.astimezone(UTC))
        item.add("dtend", entry.ends_at.astimezone(UTC))
        item.add("summary", entry.title)
        if entry.location:
            item.add("location", entry.location)
        if entry.description:
            item.add("description", entry.description)
        if entry.url:
            item.add("url", entry.url)
        calendar.add_component(item)
    return calendar.to_ical()
