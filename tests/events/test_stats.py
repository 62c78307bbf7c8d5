"""Live counts grouped by the database: local hours on both backends, a fixed number of queries
whatever the size of the event, and a cache of a few seconds for the live page and the stats API."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event as sa_event
from sqlalchemy import update

from app import shared_cache
from app.events import checkin, stats
from app.events.models import Checkin
from app.extensions import db


def _check_in(device_scope, register, event, n: int, gate: str = "Cổng A") -> list[int]:
    ids = []
    for i in range(n):
        attendee = register(
            event, name=f"Người {gate[-1]} {chr(65 + i)}", category="Thí sinh" if i % 2 else "Khách tham quan"
        )
        answer = checkin.record_checkin(device_scope, attendee.active_ticket.code, gate=gate)
        ids.append(answer["checkin"]["id"])
    return ids


def test_hours_are_local_hours_counted_by_the_database(app, event, register, device_scope):
    ids = _check_in(device_scope, register, event, 3)
    # 23:30 UTC is 06:30 the next morning in Quảng Ngãi; 00:10 UTC is 07:10.
    times = [datetime(2026, 11, 28, 23, 30, tzinfo=UTC), datetime(2026, 11, 28, 23, 59, tzinfo=UTC)]
    times.append(datetime(2026, 11, 29, 0, 10, tzinfo=UTC))
    for checkin_id, at in zip(ids, times, strict=True):
        db.session.execute(update(Checkin).where(Checkin.id == checkin_id).values(at=at))
    db.session.commit()
    result = stats.event_stats(event.id)
    assert result["by_hour"] == [
        {"hour": "2026-11-29 06:00", "label": "06h 29/11", "checked_in": 2},
        {"hour": "2026-11-29 07:00", "label": "07h 29/11", "checked_in": 1},
    ]
    assert result["checked_in"] == 3 and result["registered"] == 3
    assert stats.event_totals(event.id) == {"registered": 3, "checked_in": 3}


def _queries_for(app, call) -> int:
    count = 0

    def counter(*_args, **_kwargs):
        nonlocal count
        count += 1

    engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", counter)
    try:
        call()
    finally:
        sa_event.remove(engine, "before_cursor_execute", counter)
    return count


def test_the_number_of_queries_does_not_grow_with_the_event(app, event, register, device_scope):
    _check_in(device_scope, register, event, 2)
    db.session.expire_all()
    small = _queries_for(app, lambda: stats.event_stats(event.id))
    _check_in(device_scope, register, event, 12, gate="Cổng B")
    db.session.expire_all()
    large = _queries_for(app, lambda: stats.event_stats(event.id))
    assert small == large
    assert stats.event_stats(event.id)["checked_in"] == 14


def test_counts_are_kept_a_few_seconds_then_counted_again(app, event, register, device_scope, monkeypatch):
    app.config["STATS_CACHE_SECONDS"] = 5
    clock = [1000.0]
    monkeypatch.setattr(shared_cache.time, "monotonic", lambda: clock[0])
    _check_in(device_scope, register, event, 1)
    assert stats.event_stats(event.id)["checked_in"] == 1
    _check_in(device_scope, register, event, 1)
    clock[0] += 4
    assert stats.event_stats(event.id)["checked_in"] == 1  # the live page may lag up to 5 s
    assert _queries_for(app, lambda: stats.event_stats(event.id)) == 0
    clock[0] += 2
    assert stats.event_stats(event.id)["checked_in"] == 2
    assert stats.event_totals(event.id)["checked_in"] == 2


def test_the_attendee_list_shows_totals_without_the_whole_event_statistics(
    app, client, login, organiser, event, register, device_scope, monkeypatch
):
    _check_in(device_scope, register, event, 2)

    def refuse(_event_id):
        raise AssertionError("the attendee list must not compute the whole-event statistics")

    monkeypatch.setattr(stats, "_stats", refuse)
    login(organiser.email)
    html = client.get(f"/su-kien/quan-ly/{event.slug}").get_data(as_text=True)
    assert "<strong>2</strong> đã check-in / <strong>2</strong> đã đăng ký" in html
