"""The real attendance export path (database → app.exports.services → workbook) for 50,000 attendees,
next to a same-run baseline that reads the same rows with one plain query and writes them with
openpyxl's write-only mode and no styling.

bench_exports.py measures the workbook module on generated rows; this script adds what the web
download and `flask export attendance` really do: the queries, the Vietnamese name sort and the
join of first check-ins. Each measurement runs in a fresh subprocess on a seeded SQLite database,
so its peak RSS (ru_maxrss, interpreter and imports included) is its own.

Usage: .venv/bin/python bench/bench_exports_real.py [--attendees N] [--repeat R]
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


def run(kind: str, out: str) -> None:
    from app import create_app
    from app.extensions import db

    app = create_app()
    with app.app_context():
        started = time.perf_counter()
        if kind == "real":
            from app.exports import services

            services.write_export(services.attendance_export(services.get_event("bench")), out)
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--attendees", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=2)
    args = parser.parse_args()
    if args.child:
        run(*args.child)
        return
    with tempfile.TemporaryDirectory() as work:
        env = {**os.environ, "INSTANCE_PATH": work, "DATABASE_URL": f"sqlite:///{work}/bench.db"}
        subprocess.run(
            [
                sys.executable,
                "-c",
                f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
                f"from bench.bench_exports_real import seed; seed({args.attendees})",
            ],
            env=env,
            check=True,
        )
        results: dict[str, list[dict]] = {"baseline": [], "real": []}
        for _ in range(args.repeat):
            for kind in ("baseline", "real"):
                out = subprocess.run(
                    [sys.executable, __file__, "--child", kind, f"{work}/{kind}.xlsx"],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                results[kind].append(json.loads(out.stdout.strip().splitlines()[-1]))
    med = {
        k: (statistics.median(r["seconds"] for r in v), max(r["peak_mb"] for r in v))
        for k, v in results.items()
    }
    print(f"attendance export, {args.attendees:,} attendees (2/3 checked in), median of {args.repeat} runs")
    for kind, (seconds, peak) in med.items():
        print(f"  {kind:9} {seconds:7.2f} s   peak RSS {peak:6.0f} MB")
    print(f"  ratio real/baseline: {med['real'][0] / med['baseline'][0]:.2f}x (time)")


if __name__ == "__main__":
    main()
