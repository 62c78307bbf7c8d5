"""The real export paths (database → app.exports.downloads → workbook): the attendance of 50,000
attendees and the results of a round with 10,000 entries × 7 judges × 6 criteria, each next to a
same-run baseline that reads the same rows with plain queries and writes them with openpyxl's
write-only mode and no styling (no ranking, no sort, no layout).

bench_exports.py measures the workbook module on generated rows; this script adds what the web
download and `flask export attendance` really do: the queries, the Vietnamese name sort and the
join of first check-ins. Each measurement runs in a fresh subprocess on a seeded SQLite database,
so its peak RSS (ru_maxrss, interpreter and imports included) is its own.

Usage: .venv/bin/python bench/bench_exports_real.py [--case attendance|results|all] [--attendees N]
       [--entries N] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HO = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
DEM = ["Văn", "Thị", "Minh", "Hoàng", "Thanh", "Ngọc", "Đức", "Thu", "Quốc", "Kim"]
TEN = ["An", "Ánh", "Ân", "Bình", "Cường", "Dũng", "Đức", "Giang", "Hà", "Hải", "Hoa", "Khánh", "Lan", "Mai"]


def seed(attendees: int) -> None:
    from app import create_app
    from app.events.models import Attendee, Checkin, Event, Ticket
    from app.extensions import db

    app = create_app()
    with app.app_context():
        db.create_all()
        rng = random.Random(6)
        start = datetime(2024, 5, 18, 0, 0, tzinfo=UTC)
        event = Event(
            slug="bench",
            name="Ngày hội KNĐMST (bench)",
            starts_at=start,
            ends_at=start + timedelta(hours=10),
            registered_count=attendees,
            gates=["Cổng A", "Cổng B", "Cổng C"],
        )
        db.session.add(event)
        db.session.flush()
        rows = [
            {
                "id": i,
                "event_id": event.id,
                "full_name": f"{rng.choice(HO)} {rng.choice(DEM)} {rng.choice(TEN)}",
                "phone": f"+8490{i:07d}",
                "email": f"khach{i}@example.vn",
                "organisation": rng.choice(
                    ["Trường THPT Lê Khiết", "Công ty TNHH Mía Việt", "UBND xã Tịnh Khê"]
                ),
                "category": "Khách tham quan",
                "group_name": "",
                "search_text": "",
                "source": "web",
                "created_at": start - timedelta(days=rng.randint(1, 30)),
            }
            for i in range(1, attendees + 1)
        ]
        db.session.execute(Attendee.__table__.insert(), rows)
        db.session.execute(
            Ticket.__table__.insert(),
            [
                {"id": i, "event_id": event.id, "attendee_id": i, "code": f"t{i:08d}", "issued_at": start}
                for i in range(1, attendees + 1)
            ],
        )
        db.session.execute(
            Checkin.__table__.insert(),
            [
                {
                    "event_id": event.id,
                    "ticket_id": i,
                    "attendee_id": i,
                    "at": start + timedelta(seconds=rng.randint(0, 5 * 3600)),
                    "gate": rng.choice(["Cổng A", "Cổng B", "Cổng C"]),
                    "undo_reason": "",
                }
                for i in range(1, attendees + 1)
                if i % 3
            ],
        )
        db.session.commit()


def seed_results(entries: int) -> None:
    from app import create_app
    from app.accounts import services as accounts
    from app.contests.models import Entry, TeamMember
    from app.extensions import db
    from app.judging import services as judging
    from app.judging.models import Assignment, RoundEntry, RoundJudge
    from tests.factories import contest_with_tracks

    app = create_app()
    with app.app_context():
        db.create_all()
        rng = random.Random(7)
        organiser, _ = accounts.create_user(
            "btc@bench.vn", "organiser", password="Bench2024x", full_name="Trần Thu Hà"
        )
        judges = [
            accounts.create_user(
                f"gk{i}@bench.vn", "judge", password="Bench2024x", full_name=f"{HO[i]} {DEM[i]} {TEN[i]}"
            )[0]
            for i in range(7)
        ]
        start = datetime(2024, 3, 1, tzinfo=UTC)
        contest, tracks = contest_with_tracks(
            "bench",
            "BE",
            "Cuộc thi (bench)",
            opens_at=start,
            closes_at=start + timedelta(days=60),
            fields=["Khác"],
        )
        db.session.commit()
        round_ = judging.create_round(
            organiser, contest, judging.RoundSettings(name="Sơ khảo", judges_per_entry=7, top_n=50)
        )
        rubric = judging.rubric_of(round_)
        db.session.execute(
            Entry.__table__.insert(),
            [
                {
                    "id": i,
                    "contest_id": contest.id,
                    "track_id": tracks[i % 2].id,
                    "status": "eligible",
                    "code": f"BE24-{i:05d}",
                    "code_number": i,
                    "title": f"Ý tưởng khởi nghiệp số {i}",
                    "answers": {},
                    "submitted_at": start + timedelta(days=i % 60),
                }
                for i in range(1, entries + 1)
            ],
        )
        db.session.execute(
            TeamMember.__table__.insert(),
            [
                {
                    "entry_id": i,
                    "is_leader": True,
                    "full_name": f"{rng.choice(HO)} {rng.choice(DEM)} {rng.choice(TEN)}",
                }
                for i in range(1, entries + 1)
            ],
        )
        db.session.execute(
            RoundEntry.__table__.insert(),
            [{"round_id": round_.id, "entry_id": i} for i in range(1, entries + 1)],
        )
        db.session.execute(
            RoundJudge.__table__.insert(), [{"round_id": round_.id, "user_id": j.id} for j in judges]
        )
        db.session.execute(
            Assignment.__table__.insert(),
            [
                {
                    "round_id": round_.id,
                    "entry_id": i,
                    "judge_id": j.id,
                    "status": "submitted",
                    "version": 1,
                    "scores": {c.id: str(rng.randint(0, int(c.high))) for c in rubric.criteria},
                    "comments": {},
                    "submitted_at": start + timedelta(days=70),
                }
                for i in range(1, entries + 1)
                for j in judges
            ],
        )
        db.session.commit()


def run(kind: str, out: str) -> None:
    from app import create_app
    from app.extensions import db

    app = create_app()
    with app.app_context():
        started = time.perf_counter()
        if kind == "real-results":
            from app.exports import downloads, permissions

            contest = permissions.get_contest("bench")
            downloads.write_export(downloads.results_export(permissions.round_of(contest, 1)), out)
        elif kind == "baseline-results":
            from openpyxl import Workbook
            from sqlalchemy import select

            from app.accounts.models import User
            from app.contests.models import Entry, TeamMember, Track
            from app.judging.models import Assignment

            wb = Workbook(write_only=True)
            ws = wb.create_sheet("Xếp hạng")
            ws.append(["STT", "Mã hồ sơ", "Tên ý tưởng", "Bảng", "Trưởng nhóm"])
            stmt = (
                select(Entry.code, Entry.title, Track.name, TeamMember.full_name)
                .join(Track, Track.id == Entry.track_id)
                .join(TeamMember, TeamMember.entry_id == Entry.id)
            )
            for n, row in enumerate(db.session.execute(stmt), 1):
                ws.append([n, *row])
            ws = wb.create_sheet("Điểm từng giám khảo")
            ws.append(["STT", "Mã hồ sơ", "Tên ý tưởng", "Giám khảo", *[f"TC{i}" for i in range(1, 7)]])
            stmt = (
                select(Entry.code, Entry.title, User.full_name, Assignment.scores)
                .join(Entry, Entry.id == Assignment.entry_id)
                .join(User, User.id == Assignment.judge_id)
            )
            for n, (code, title, judge, scores) in enumerate(db.session.execute(stmt), 1):
                ws.append([n, code, title, judge, *[float(v) for v in scores.values()]])
            wb.save(out)
        elif kind == "real":
            from app.exports import downloads, permissions

            downloads.write_export(downloads.attendance_export(permissions.get_event("bench")), out)
        else:
            from openpyxl import Workbook
            from sqlalchemy import select

            from app.events.models import Attendee

            wb = Workbook(write_only=True)
            ws = wb.create_sheet("Đăng ký")
            ws.append(["STT", "Họ và tên", "Điện thoại", "Email", "Đơn vị", "Loại khách", "Đăng ký lúc"])
            stmt = select(
                Attendee.full_name,
                Attendee.phone,
                Attendee.email,
                Attendee.organisation,
                Attendee.category,
                Attendee.created_at,
            )
            for n, row in enumerate(db.session.execute(stmt), 1):
                ws.append([n, *row[:5], row[5].replace(tzinfo=None)])
            wb.save(out)
        elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "peak_mb": peak}))


def measure(case: str, seed_call: str, kinds: tuple[str, str], repeat: int) -> dict[str, tuple[float, float]]:
    with tempfile.TemporaryDirectory() as work:
        env = {**os.environ, "INSTANCE_PATH": work, "DATABASE_URL": f"sqlite:///{work}/bench.db"}
        code = f"import sys; sys.path.insert(0, {str(ROOT)!r}); from bench.bench_exports_real import *; {seed_call}"
        subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
        results: dict[str, list[dict]] = {k: [] for k in kinds}
        for _ in range(repeat):
            for kind in kinds:
                out = subprocess.run(
                    [sys.executable, __file__, "--child", kind, f"{work}/{kind}.xlsx"],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                results[kind].append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {
        k: (statistics.median(r["seconds"] for r in v), max(r["peak_mb"] for r in v))
        for k, v in results.items()
    }


def report(title: str, med: dict[str, tuple[float, float]], baseline: str, real: str) -> None:
    print(title)
    for kind, (seconds, peak) in med.items():
        print(f"  {kind:17} {seconds:7.2f} s   peak RSS {peak:6.0f} MB")
    print(f"  ratio real/baseline: {med[real][0] / med[baseline][0]:.2f}x (time)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--case", choices=["attendance", "results", "all"], default="all")
    parser.add_argument("--attendees", type=int, default=50_000)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=2)
    args = parser.parse_args()
    if args.child:
        run(*args.child)
        return
    if args.case in ("attendance", "all"):
        med = measure("attendance", f"seed({args.attendees})", ("baseline", "real"), args.repeat)
        report(
            f"attendance export, {args.attendees:,} attendees (2/3 checked in), median of {args.repeat} runs",
            med,
            "baseline",
            "real",
        )
    if args.case in ("results", "all"):
        med = measure(
            "results", f"seed_results({args.entries})", ("baseline-results", "real-results"), args.repeat
        )
        report(
            f"results export, {args.entries:,} entries x 7 judges x 6 criteria, median of {args.repeat} runs",
            med,
            "baseline-results",
            "real-results",
        )


if __name__ == "__main__":
    main()
