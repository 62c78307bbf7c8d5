"""Organisers' entry search: accent-insensitive search over the stored folded column vs a plain filter.

    .venv/bin/python bench/bench_entry_search.py [entries]   (SQLite in a temp folder; DATABASE_URL for PostgreSQL)

Seeds N entries with 3 members each (bulk insert, realistic Vietnamese names), then times, best of 5:
  baseline  — one page of the status-filtered list (what the list costs with no search);
  search    — the same page with a two-word accent-free query ("nguyen thi") through
              contests.services.search_entries, which folds the query and LIKEs the stored column.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from tests.conftest import make_config  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000


def best(fn, runs=5):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'bench.db'}"
    app = create_app(make_config(url, folder))
    with app.app_context():
        db.drop_all()
        db.create_all()
        from app.accounts.models import Role, User, UserRole
        from app.contests import services
        from app.contests.demo import HO, IDEAS, TEN_NAM, TEN_NU
        from app.contests.models import Entry, TeamMember
        from app.localtime import utcnow
        from app.text import fold
        from tests.factories import contest_with_tracks

        admin = User(full_name="Quản Trị", email="admin@bench.vn", password_hash="x")
        admin.role_rows.append(UserRole(role=Role.ADMIN.value))
        db.session.add(admin)
        now = utcnow()
        contest, _tracks = contest_with_tracks(
            "bench",
            "BN",
            "Bench",
            year=2026,
            opens_at=now - timedelta(days=30),
            closes_at=now + timedelta(days=30),
            fields=["Khác"],
            last_code_number=N,
        )
        rng = random.Random(1)
        entries, members = [], []
        for i in range(1, N + 1):
            names = [
                f"{rng.choice(HO)} {rng.choice(['Thị', 'Văn', 'Minh'])} {rng.choice(TEN_NAM + TEN_NU)}"
                for _ in range(3)
            ]
            title = rng.choice(IDEAS)[0]
            code = f"BN-{i:05d}"
            entries.append(
                {
                    "id": i,
                    "contest_id": contest.id,
                    "status": "submitted",
                    "code": code,
                    "code_number": i,
                    "title": title,
                    "answers": {},
                    "submitted_at": now,
                    "search_text": fold(" | ".join([code, title, *names])),
                }
            )
            members += [
                {"entry_id": i, "full_name": n, "is_leader": k == 0, "position": k}
                for k, n in enumerate(names)
            ]
        db.session.execute(Entry.__table__.insert(), entries)
        db.session.execute(TeamMember.__table__.insert(), members)
        db.session.commit()
        admin = db.session.get(User, admin.id)

        def page(query: str):
            db.session.expire_all()
            found, total = services.search_entries(
                admin, services.EntryFilters(status="submitted", query=query)
            )
            return total

        hits = page("nguyen thi")
        baseline = best(lambda: page(""))
        search = best(lambda: page("nguyen thi"))
        print(f"backend={db.engine.dialect.name} entries={N} members={len(members)} matches={hits}")
        print(f"baseline (filtered page, no search): {baseline * 1000:.1f} ms")
        print(f"search 'nguyen thi' (folded LIKE):   {search * 1000:.1f} ms")
        print(f"ratio search/baseline: {search / baseline:.2f}")


if __name__ == "__main__":
    main()
