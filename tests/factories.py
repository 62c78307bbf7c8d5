"""Data builders shared by the tests and the benchmarks (bench/ imports them too).

They write rows directly (no services, no audit, no mail): a fixture that needs a contest to hang
rounds, events or exports on should not depend on the applicant flow it is not testing. The flows
themselves are built through the services in each package's conftest (e.g. `make_entry`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from app.contests.models import Contest, Track
from app.extensions import db
from app.localtime import utcnow

TRACKS = ("Bảng Ý tưởng", "Bảng Dự án")


def contest_with_tracks(
    slug: str = "y-tuong-test",
    prefix: str = "KT",
    name: str = "Cuộc thi tìm kiếm ý tưởng KNĐMST (thử)",
    *,
    year: int = 2024,
    opens_at: datetime = datetime(2024, 3, 1, tzinfo=UTC),
    closes_at: datetime = datetime(2024, 5, 31, 16, 59, tzinfo=UTC),
    fields: Sequence[str] = ("Nông nghiệp", "Khác"),
    tracks: Sequence[str] = TRACKS,
    **extra: Any,
) -> tuple[Contest, list[Track]]:
    """A contest (the 2024 idea contest's dates by default) with its tracks, flushed, not committed."""
    contest = Contest(
        slug=slug,
        name=name,
        year=year,
        code_prefix=prefix,
        opens_at=opens_at,
        closes_at=closes_at,
        form_fields=extra.pop("form_fields", {}),
        fields=list(fields),
        **extra,
    )
    db.session.add(contest)
    db.session.flush()
    rows = [Track(contest_id=contest.id, name=track, position=i) for i, track in enumerate(tracks, start=1)]
    db.session.add_all(rows)
    db.session.flush()
    return contest, rows


def event_data(
    slug: str = "ngay-hoi", name: str = "Ngày hội KNĐMST thử nghiệm", **extra: Any
) -> dict[str, Any]:
    """What the organisers' event form sends (for `events.services.create_event`): an event tomorrow,
    open for registration since yesterday, no capacity; `extra` overrides or adds fields."""
    now = utcnow()
    return {
        "name": name,
        "slug": slug,
        "venue": "Quảng trường Phạm Văn Đồng",
        "starts_at": now + timedelta(days=1),
        "ends_at": now + timedelta(days=1, hours=8),
        "registration_opens_at": now - timedelta(days=1),
        "registration_closes_at": None,
        "capacity": None,
        "categories": ["Khách tham quan", "Thí sinh", "Báo chí"],
        "gates": ["Cổng A", "Cổng B"],
        **extra,
    }
