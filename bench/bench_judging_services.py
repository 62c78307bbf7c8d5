"""Judging services at scale: automatic assignment and the organisers' results from the database.

    .venv/bin/python bench/bench_judging_services.py [entries] [judges] [k]

1. `balanced_assignment` (pure) for `entries` × `judges` with 3 % random conflicts and k judges per
   entry, against a baseline in the same run: plain round-robin (no conflicts, no balancing).
2. `compute_results` on a real SQLite database holding one round of `entries` / 5 × 5 judges, all
   sheets submitted (loading the sheets, scoring.compare_methods, advancement, prizes), against a
   baseline in the same run: reading the same sheets' three columns and nothing else.
Prints wall time (best of 3), peak Python allocations (tracemalloc) and the ratio to the baseline.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def measure(fn, repeat=3):
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best, peak, result


def report(name, base, full):
    print(f"{name}:")
    print(f"  baseline  {base[0] * 1000:9.1f} ms  peak {base[1] / 2**20:7.1f} MiB")
    print(f"  full      {full[0] * 1000:9.1f} ms  peak {full[1] / 2**20:7.1f} MiB")
    print(f"  ratio     {full[0] / base[0]:9.1f} ×")


def bench_assignment(n_entries: int, n_judges: int, k: int) -> None:
    from app.judging.services.sheets import balanced_assignment

    rng = random.Random(7)
    entries = list(range(1, n_entries + 1))
    judges = list(range(100_000, 100_000 + n_judges))
    blocked = {(j, e) for e in entries for j in judges if rng.random() < 0.03}

    def baseline():
        return {(e, judges[(i * k + t) % n_judges]) for i, e in enumerate(entries) for t in range(k)}

    def full():
        return balanced_assignment(entries, judges, set(), blocked, k)

    base = measure(baseline)
    result = measure(full)
    new, missing = result[2]
    loads = Counter(j for _, j in new)
    report(
        f"balanced_assignment: {n_entries} entries × {n_judges} judges, k={k}, {len(blocked)} conflicts",
        base,
        result,
    )
    print(f"  loads {min(loads.values())}–{max(loads.values())}, entries short of judges: {len(missing)}")


def bench_results(n_entries: int) -> None:
    from sqlalchemy import insert, select

    from app import create_app
    from app.accounts.models import User
    from app.contests.models import Entry
    from app.extensions import db
    from app.judging import scoring
    from app.judging.models import Assignment, Round, RoundEntry, RoundJudge
    from app.judging.services.results import compute_results
    from app.judging.services.rounds import default_tie_breaks
    from app.judging.services.sheets import balanced_assignment
    from config import TestingConfig
    from tests.factories import contest_with_tracks

    folder = Path(tempfile.mkdtemp())
    cfg = TestingConfig()
    cfg.SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder / 'bench.db'}"
    cfg.INSTANCE_PATH = str(folder)
    app = create_app(cfg)
    rng = random.Random(11)
    n_judges = max(5, n_entries // 200 * 5)
    with app.app_context():
        db.create_all()
        contest, tracks = contest_with_tracks(
            "bench",
            "BN",
            "Bench",
            opens_at=datetime(2024, 1, 1, tzinfo=UTC),
            closes_at=datetime(2024, 2, 1, tzinfo=UTC),
            fields=[],
        )
        db.session.execute(
            insert(User),
            [
                {"full_name": f"Giám khảo {i}", "email": f"gk{i}@bench.vn", "password_hash": "x"}
                for i in range(n_judges)
            ],
        )
        judge_ids = list(db.session.scalars(select(User.id)))
        db.session.execute(
            insert(Entry),
            [
                {
                    "contest_id": contest.id,
                    "track_id": tracks[i % 2].id,
                    "status": "eligible",
                    "code": f"BN24-{i:05d}",
                    "code_number": i,
                    "title": f"Ý tưởng {i}",
                }
                for i in range(1, n_entries + 1)
            ],
        )
        entry_ids = list(db.session.scalars(select(Entry.id)))
        round_ = Round(
            contest_id=contest.id,
            position=1,
            name="Sơ khảo",
            rubric=scoring.DEFAULT_RUBRIC.to_data(),
            tie_breaks=default_tie_breaks(scoring.DEFAULT_RUBRIC),
            components=[],
            prize_plan={
                "tracks": {
                    "Bảng Ý tưởng": {"nhat": 1, "nhi": 1, "ba": 1, "khuyen_khich": 2},
                    "Bảng Dự án": {"nhat": 1, "nhi": 1, "ba": 1, "khuyen_khich": 2},
                },
                "side": [],
            },
            top_n=max(1, n_entries // 20),
            min_average="50",
            judges_per_entry=5,
        )
        db.session.add(round_)
        db.session.flush()
        db.session.execute(insert(RoundEntry), [{"round_id": round_.id, "entry_id": e} for e in entry_ids])
        db.session.execute(insert(RoundJudge), [{"round_id": round_.id, "user_id": j} for j in judge_ids])
        pairs, _ = balanced_assignment(entry_ids, judge_ids, set(), set(), 5)
        rubric = scoring.DEFAULT_RUBRIC
        rows = []
        for e, j in pairs:
            quality = 0.4 + (e * 7919 % 1000) / 2000
            scores = {
                c.id: str(
                    min(c.max_points, max(0, round(float(c.max_points) * (quality + rng.gauss(0, 0.08)))))
                )
                for c in rubric.criteria
            }
            rows.append(
                {
                    "round_id": round_.id,
                    "entry_id": e,
                    "judge_id": j,
                    "source": "auto",
                    "status": "submitted",
                    "scores": scores,
                    "comments": {},
                    "general_comment": "",
                    "version": 2,
                    "reopen_reason": "",
                }
            )
        db.session.execute(insert(Assignment), rows)
        db.session.commit()
        round_id = round_.id
        print(f"(database: {n_entries} entries, {n_judges} judges, {len(rows)} submitted sheets)")

        def baseline():
            db.session.expire_all()
            return list(
                db.session.execute(
                    select(Assignment.entry_id, Assignment.judge_id, Assignment.scores).where(
                        Assignment.round_id == round_id, Assignment.status == "submitted"
                    )
                )
            )

        def full():
            db.session.expire_all()
            return compute_results(db.session.get(Round, round_id))

        base = measure(baseline)
        result = measure(full)
        report("compute_results from SQLite (load + 3 methods + advancement + prizes)", base, result)
        assert not result[2].refused, result[2].refused


if __name__ == "__main__":
    entries = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    judges = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    k = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    bench_assignment(entries, judges, k)
    bench_results(max(entries // 5, 10))
