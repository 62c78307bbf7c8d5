"""Data builders shared by the tests and the benchmarks (bench/ imports them too).

They write rows directly (no services, no audit, no mail): a fixture that needs a contest to hang
rounds, events or exports on should not depend on the applicant flow it is not testing. The flows
themselves are built through the services in each package's conftest (e.g. `make_entry`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from app.contests.models import Contest, Track
from app.extensions import db

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
