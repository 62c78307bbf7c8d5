"""Growth (issue 11): the demo grown ×N, and what each organiser, judge and event page costs.

    .venv/bin/python bench/bench_growth.py [--scale 10 100] [--repeat 5] [--limit 60]

For each scale, in a fresh process of its own (so peak RSS belongs to that scale):
1. a fresh SQLite file database in a temp folder, the `flask seed-demo` data (every feature's
   demo.seed(), as app/demo/cli.py runs them), then grown ×N with Core `insert()`: N−1 copies of every
   entry (new codes, team members, file records), copies of each round entry with its judges' sheets
   (all submitted, scores valid for the round's rubric), and the festival's 2,000 attendees copied to
   N × 2,000 with tickets and a third of them checked in (spread over gates, categories and hours);
2. the Flask test client, logged in through the real login form as the demo organiser and the demo
   judge, requests every page (after one warm-up: median of `--repeat` runs of `time.process_time()`
   around the request and reading its body) next to GET /healthz (median of 200, start and end);
   each export is downloaded once (after a warm-up on the smallest contest, round or event) and cut
   after `--limit` seconds of wall time (0: no limit), with the process's peak RSS
   (`resource.getrusage`) before and after.
Prints the seeding time, a table (page, ×N, CPU ms, bytes, ratio to /healthz, over-target marks) and,
with two scales, each page's growth factor (CPU at the larger / CPU at the smaller scale).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import io
import json
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask, url_for  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import func, insert, select, update  # noqa: E402

from app import create_app  # noqa: E402
from app.agenda.models import EventSession, SessionCheckin, SessionRegistration  # noqa: E402
from app.booths.models import BoothApplication  # noqa: E402
from app.contests.models import Contest, Entry, EntryFile, TeamMember  # noqa: E402
from app.events import tickets  # noqa: E402
from app.events.models import Attendee, Checkin, DeviceToken, Event, Ticket  # noqa: E402
from app.extensions import db  # noqa: E402
from app.features import FEATURES  # noqa: E402
from app.judging import scoring  # noqa: E402
from app.judging.models import Assignment, Round, RoundEntry  # noqa: E402
from tests.conftest import csrf_from, make_config  # noqa: E402

ORGANISER = ("bantochuc@demo.kndmst.vn", "ToChuc@2024")
JUDGE = ("giamkhao@demo.kndmst.vn", "ChamDiem@2024")
FESTIVAL = "ngay-hoi-kndmst-2024"  # the demo's big event (2,000 registrations)
SMALL_EVENT = "chung-ket-lan-5"  # warms up the attendance export
BATCH = 5_000
KB = 1000
# Issue 11's targets: (CPU seconds, bytes) per page at ×10; the stats API; any page at ×100.
TARGET_10 = (0.300, 400 * KB)
TARGET_STATS = 0.060
TARGET_100 = 1.0


# --- seeding ---------------------------------------------------------------------------------------


def seed_demo(app: Flask) -> None:
    """What `flask seed-demo` does: each feature's demo.seed() in FEATURES order (output swallowed)."""
    app.config["MAIL_CAPTURE"] = True
    with app.test_request_context(), contextlib.redirect_stdout(io.StringIO()):
        for name in FEATURES:
            if importlib.util.find_spec(f"app.{name}.demo"):
                importlib.import_module(f"app.{name}.demo").seed()


def rows_of(model, *where) -> list[dict]:
    return [dict(row) for row in db.session.execute(select(model.__table__).where(*where)).mappings()]


def bulk(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(model), rows[start : start + BATCH])


def clone(row: dict, **changes) -> dict:
    """A copy of a row for a Core insert: without its id (the database numbers it), with changes."""
    return {**{k: v for k, v in row.items() if k != "id"}, **changes}


def next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def valid_scores(rubric: scoring.Rubric, rng: random.Random, quality: float) -> dict[str, str]:
    """A submitted sheet's scores for the rubric (scale 1–5, points in halves up to the maximum)."""
    scores = {}
    for crit in rubric.criteria:
        share = min(max(quality + rng.gauss(0, 0.07), 0.05), 1.0)
        if crit.kind == "scale":
            scores[crit.id] = str(min(max(round(1 + 4 * share), 1), 5))
        else:
            half = (Decimal(str(share)) * crit.max_points * 2).quantize(Decimal(1), rounding=ROUND_HALF_UP)
            scores[crit.id] = str(half / 2)
    scoring.validate_sheet(rubric, scores)  # raises if the bench ever writes an invalid sheet
    return scores


def grow_contests(scale: int, rng: random.Random) -> None:
    """N−1 copies of every entry (new codes), its members and file records; copies of round entries
    join the same round with the original's judges, every sheet submitted."""
    entries = rows_of(Entry)
    members = rows_of(TeamMember)
    files = rows_of(EntryFile)
    round_entries = rows_of(RoundEntry)
    sheets = rows_of(Assignment)
    rubrics = {
        r.id: scoring.Rubric.from_data(r.rubric) if r.rubric else scoring.DEFAULT_RUBRIC
        for r in db.session.scalars(select(Round))
    }
    closes = {r.id: r.closes_at for r in db.session.scalars(select(Round))}
    last_number = {c.id: c.last_code_number for c in db.session.scalars(select(Contest))}
    prefix = {c.id: c.code_prefix for c in db.session.scalars(select(Contest))}
    base = next_id(Entry)
    for copy in range(1, scale):
        new_id: dict[int, int] = {}
        new_entries = []
        for row in entries:
            new = dict(row, id=base + len(new_id))
            new_id[row["id"]] = new["id"]
            if row["code_number"] is not None:
                last_number[row["contest_id"]] += 1
                new["code_number"] = number = last_number[row["contest_id"]]
                new["code"] = f"{prefix[row['contest_id']]}-{number:04d}"
                new["search_text"] = f"{new['code'].lower()} {row['search_text']}"
            new_entries.append(new)
        base += len(new_id)
        bulk(Entry, new_entries)
        bulk(TeamMember, [clone(m, entry_id=new_id[m["entry_id"]]) for m in members])
        bulk(
            EntryFile,
            [clone(f, entry_id=new_id[f["entry_id"]], stored_name=f"g{copy}x{f['id']}") for f in files],
        )
        bulk(RoundEntry, [clone(r, entry_id=new_id[r["entry_id"]]) for r in round_entries])
        quality = {e["id"]: rng.uniform(0.45, 0.9) for e in entries}
        bulk(
            Assignment,
            [
                clone(
                    s,
                    entry_id=new_id[s["entry_id"]],
                    status="submitted",
                    scores=valid_scores(rubrics[s["round_id"]], rng, quality[s["entry_id"]]),
                    comments={},
                    general_comment="",
                    version=2,
                    reopen_reason="",
                    updated_at=closes[s["round_id"]] or s["created_at"],
                    submitted_at=closes[s["round_id"]] or s["created_at"],
                )
                for s in sheets
            ],
        )
    for contest_id, number in last_number.items():
        db.session.execute(update(Contest).where(Contest.id == contest_id).values(last_code_number=number))


def grow_festival(app: Flask, scale: int, rng: random.Random) -> None:
    """The festival's attendees copied to N × the demo's, each with a ticket; a third checked in at
    the event's gates (weights 5:3:2) over its first five hours, half by staff, half by the device."""
    event = db.session.scalar(select(Event).where(Event.slug == FESTIVAL))
    attendees = rows_of(Attendee, Attendee.event_id == event.id)
    device_id = db.session.scalar(select(DeviceToken.id).where(DeviceToken.event_id == event.id))
    staff_id = db.session.scalar(select(Checkin.staff_id).where(Checkin.staff_id.is_not(None)).limit(1))
    with app.test_request_context():
        from app.events.registration import ticket_key  # noqa: PLC0415 — needs the app's SECRET_KEY

        key = ticket_key()
    aid, tid = next_id(Attendee), next_id(Ticket)
    gates = event.gates
    for copy in range(1, scale):
        new_attendees, new_tickets, checkins = [], [], []
        for i, row in enumerate(attendees):
            phone = f"+8493{copy:02d}{i:05d}"
            new_attendees.append(
                {
                    **row,
                    "id": aid,
                    "phone": phone,
                    "email": f"g{copy}k{i:04d}@example.vn" if row["email"] else None,
                    "search_text": tickets.search_key(row["full_name"], phone, row["organisation"]),
                    "created_at": row["created_at"] + timedelta(seconds=copy),
                }
            )
            new_tickets.append(
                {
                    "id": tid,
                    "event_id": event.id,
                    "attendee_id": aid,
                    "code": tickets.new_code(key),
                    "issued_at": row["created_at"],
                    "revoked_reason": "",
                }
            )
            if rng.random() < 1 / 3:
                staffed = staff_id is not None and rng.random() < 0.5
                checkins.append(
                    {
                        "event_id": event.id,
                        "ticket_id": tid,
                        "attendee_id": aid,
                        "at": event.starts_at + timedelta(seconds=int(rng.triangular(0, 5 * 3600, 3600))),
                        "gate": rng.choices(gates, [5, 3, 2][: len(gates)])[0],
                        "staff_id": staff_id if staffed else None,
                        "device_id": None if staffed else device_id,
                        "scan_id": None,
                        "undo_reason": "",
                    }
                )
            aid, tid = aid + 1, tid + 1
        bulk(Attendee, new_attendees)
        bulk(Ticket, new_tickets)
        bulk(Checkin, checkins)
    total = db.session.scalar(
        select(func.count(Attendee.id)).where(Attendee.event_id == event.id, Attendee.cancelled_at.is_(None))
    )
    db.session.execute(update(Event).where(Event.id == event.id).values(registered_count=total))


def grow_floor(scale: int, rng: random.Random) -> None:
    """The festival's booth applications (6 in the demo) copied N times in every status, and its
    sessions' registrations and room check-ins N times over (extra places beyond a session's
    capacity go to its waitlist), spread over the grown attendees."""
    event = db.session.scalar(select(Event).where(Event.slug == FESTIVAL))
    applications = rows_of(BoothApplication, BoothApplication.event_id == event.id)
    statuses = ["submitted", "accepted", "waitlisted", "refused", "withdrawn"]
    new_rows = []
    for copy in range(1, scale):
        for i, row in enumerate(applications):
            new_rows.append(
                clone(
                    row,
                    organisation=f"{row['organisation']} – cơ sở {copy}",
                    status=rng.choice(statuses),
                    booth_id=None,
                    user_id=None,
                    search_text=f"{row['search_text']} co so {copy}",
                    created_at=row["created_at"] + timedelta(minutes=copy * 10 + i),
                )
            )
    if new_rows:
        bulk(BoothApplication, new_rows)
    people = db.session.execute(
        select(Attendee.id, Ticket.id)
        .join(Ticket, Ticket.attendee_id == Attendee.id)
        .where(Attendee.event_id == event.id, Ticket.revoked_at.is_(None))
    ).all()
    sessions = db.session.scalars(select(EventSession).where(EventSession.event_id == event.id)).all()
    for session in sessions:
        taken = set(
            db.session.scalars(
                select(SessionRegistration.attendee_id).where(SessionRegistration.session_id == session.id)
            )
        )
        wanted = max(session.registered_count, 20) * (scale - 1)
        chosen = [p for p in rng.sample(people, min(len(people), wanted + len(taken))) if p[0] not in taken][
            :wanted
        ]
        room = session.capacity or wanted
        registrations, checkins = [], []
        for n, (attendee_id, ticket_id) in enumerate(chosen):
            registered = session.registered_count + n < room
            registrations.append(
                {
                    "session_id": session.id,
                    "attendee_id": attendee_id,
                    "status": "registered" if registered else "waitlisted",
                    "created_at": session.starts_at - timedelta(days=1, minutes=n),
                }
            )
            if registered and rng.random() < 0.5:
                checkins.append(
                    {
                        "session_id": session.id,
                        "event_id": event.id,
                        "ticket_id": ticket_id,
                        "attendee_id": attendee_id,
                        "at": session.starts_at + timedelta(seconds=n),
                        "undo_reason": "",
                    }
                )
        bulk(SessionRegistration, registrations)
        bulk(SessionCheckin, checkins)
        registered_now = sum(1 for r in registrations if r["status"] == "registered")
        db.session.execute(
            update(EventSession)
            .where(EventSession.id == session.id)
            .values(
                registered_count=EventSession.registered_count + registered_now,
                present_count=EventSession.present_count + len(checkins),
            )
        )


def sizes() -> dict[str, int]:
    count = db.session.scalar
    festival = select(Event.id).where(Event.slug == FESTIVAL).scalar_subquery()
    return {
        "entries": count(select(func.count(Entry.id))),
        "team members": count(select(func.count(TeamMember.id))),
        "round entries": count(select(func.count(RoundEntry.id))),
        "sheets": count(select(func.count(Assignment.id))),
        "festival attendees": count(select(func.count(Attendee.id)).where(Attendee.event_id == festival)),
        "festival check-ins": count(select(func.count(Checkin.id)).where(Checkin.event_id == festival)),
        "booth applications": count(
            select(func.count(BoothApplication.id)).where(BoothApplication.event_id == festival)
        ),
        "session registrations": count(select(func.count(SessionRegistration.id))),
    }


# --- measuring -------------------------------------------------------------------------------------


class TooLong(Exception):
    pass


def _alarm(signum, frame):
    raise TooLong


def login(app: Flask, email: str, password: str) -> FlaskClient:
    client = app.test_client()
    token = csrf_from(client.get("/tai-khoan/dang-nhap").get_data(as_text=True))
    response = client.post(
        "/tai-khoan/dang-nhap", data={"email": email, "password": password, "csrf_token": token}
    )
    assert response.status_code in (302, 303), f"login of {email} failed: {response.status_code}"
    return client


def once(client: FlaskClient, url: str, limit: float = 0) -> tuple[float, float, int]:
    """CPU seconds, wall seconds and body bytes of one GET (the body read inside the timing)."""
    if limit:
        signal.setitimer(signal.ITIMER_REAL, limit)
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        response = client.get(url)
        body = response.get_data()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return cpu, wall, len(body)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def healthz(client: FlaskClient, n: int = 200) -> list[float]:
    for _ in range(20):
        once(client, "/healthz")
    return [once(client, "/healthz")[0] for _ in range(n)]


def targets(name: str, kind: str, scale: int, cpu: float, size: int) -> str:
    if kind == "export":
        return "> 60 s" if cpu > 60 else ""
    marks = []
    if scale >= 100 and cpu > TARGET_100:
        marks.append("> 1 s")
    if scale <= 10:
        if name == "stats API" and cpu > TARGET_STATS:
            marks.append("> 60 ms")
        elif name != "stats API" and cpu > TARGET_10[0]:
            marks.append("> 300 ms")
        if size > TARGET_10[1]:
            marks.append("> 400 KB")
    return ", ".join(marks)


def measure(app: Flask, scale: int, repeat: int, limit: float) -> list[dict]:
    organiser = login(app, *ORGANISER)
    judge = login(app, *JUDGE)
    with app.app_context():
        by_sheets = db.session.execute(
            select(Assignment.round_id, func.count())
            .group_by(Assignment.round_id)
            .order_by(func.count().desc())
        ).all()
        big_round, small_round = by_sheets[0][0], by_sheets[-1][0]
        entry_id = db.session.scalar(
            select(RoundEntry.entry_id).where(RoundEntry.round_id == big_round).order_by(RoundEntry.id)
        )
        contest = db.session.get(Round, big_round).contest.slug
        small_contest = db.session.scalar(
            select(Contest.slug)
            .outerjoin(Entry, Entry.contest_id == Contest.id)
            .group_by(Contest.id)
            .order_by(func.count(Entry.id))
        )
    with app.test_request_context():
        pages = [
            ("round page", organiser, url_for("judging.round_detail", round_id=big_round)),
            ("assignment", organiser, url_for("judging.assignments", round_id=big_round)),
            ("progress", organiser, url_for("judging.progress", round_id=big_round)),
            ("results", organiser, url_for("judging.results", round_id=big_round)),
            (
                "entry scores",
                organiser,
                url_for("judging.entry_scores", round_id=big_round, entry_id=entry_id),
            ),
            ("judge dashboard", judge, url_for("judging.dashboard")),
            ("entries list", organiser, url_for("contests.list_entries")),
            ("attendee list", organiser, url_for("events.manage_event", slug=FESTIVAL)),
            ("live counts", organiser, url_for("events.live_counts", slug=FESTIVAL)),
            ("stats API", organiser, url_for("events.api_stats", slug=FESTIVAL)),
            ("booth applications", organiser, url_for("booths.review_list", slug=FESTIVAL)),
            ("floor plan", organiser, url_for("booths.floor_plan", slug=FESTIVAL)),
            ("booth list (print)", organiser, url_for("booths.print_booths", slug=FESTIVAL)),
            ("timetable", organiser, url_for("agenda.timetable", slug=FESTIVAL)),
            ("sessions (manage)", organiser, url_for("agenda.manage_sessions", slug=FESTIVAL)),
            ("room counts", organiser, url_for("agenda.live_rooms", slug=FESTIVAL)),
        ]
        exports = [
            ("export: results", url_for("exports.download_results", round_id=big_round)),
            ("export: entries", url_for("exports.download_entries", slug=contest)),
            ("export: judges", url_for("exports.download_judges", round_id=big_round)),
            ("export: attendance", url_for("exports.download_attendance", slug=FESTIVAL)),
            ("export: exhibitors", url_for("booths.download_exhibitors", slug=FESTIVAL)),
            ("export: sessions", url_for("agenda.export_attendance", slug=FESTIVAL)),
        ]
        warm_ups = [
            url_for("exports.download_results", round_id=small_round),
            url_for("exports.download_entries", slug=small_contest),
            url_for("exports.download_judges", round_id=small_round),
            url_for("exports.download_attendance", slug=SMALL_EVENT),
        ]
    signal.signal(signal.SIGALRM, _alarm)
    base = healthz(organiser)
    results = []
    for name, client, url in pages:
        once(client, url)  # warm-up: templates compiled, caches filled
        runs = []
        while len(runs) < repeat and sum(r[0] for r in runs) < 20:
            runs.append(once(client, url))
        cpu = statistics.median(r[0] for r in runs)
        results.append(
            {"page": name, "kind": "page", "url": url, "cpu": cpu, "runs": len(runs), "bytes": runs[0][2]}
        )
        print(f"  {name:<20} {cpu * 1000:9.1f} ms CPU  {runs[0][2]:>10,} B  ({len(runs)} runs)", flush=True)
    for url in warm_ups:
        once(organiser, url)
    for name, url in exports:
        before = rss_mb()
        try:
            cpu, wall, size = once(organiser, url, limit)
            stopped = False
        except TooLong:
            cpu, wall, size, stopped = limit, limit, 0, True
        after = rss_mb()
        results.append(
            {
                "page": name,
                "kind": "export",
                "url": url,
                "cpu": cpu,
                "wall": wall,
                "runs": 1,
                "bytes": size,
                "stopped": stopped,
                "rss_before": before,
                "rss_after": after,
            }
        )
        note = f"STOPPED after {limit:.0f} s wall" if stopped else f"{cpu:.2f} s CPU, {wall:.2f} s wall"
        print(f"  {name:<20} {note}, {size:,} B, peak RSS {before:.0f} → {after:.0f} MB", flush=True)
    base += healthz(organiser)
    health = statistics.median(base)
    results.insert(0, {"page": "/healthz", "kind": "baseline", "cpu": health, "runs": len(base), "bytes": 0})
    for row in results:
        row["ratio"] = row["cpu"] / health
        row["scale"] = scale
        row["over"] = targets(row["page"], row["kind"], scale, row["cpu"], row["bytes"])
    return results


def run_scale(scale: int, repeat: int, limit: float) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"growth{scale}-"))
    # EXPORT_JOB_ROWS off: each export is built in this process, so its cost is measured whole (above
    # the threshold the web answers with the "prepare" page and the worker pays this cost instead —
    # bench/bench_jobs.py measures that path with real processes).
    app = create_app(
        make_config(
            f"sqlite:///{folder / 'growth.db'}", folder, RATELIMIT_ENABLED=False, EXPORT_JOB_ROWS=10**9
        )
    )
    with app.app_context():
        db.create_all()
        start = time.perf_counter()
        seed_demo(app)
        demo_seconds = time.perf_counter() - start
        rng = random.Random(11)
        start = time.perf_counter()
        grow_contests(scale, rng)
        grow_festival(app, scale, rng)
        grow_floor(scale, rng)
        db.session.commit()
        grow_seconds = time.perf_counter() - start
        counts = sizes()
        db.session.remove()
    print(
        f"×{scale}: demo seeded in {demo_seconds:.1f} s, grown in {grow_seconds:.1f} s: {counts}", flush=True
    )
    print(f"  peak RSS after seeding {rss_mb():.0f} MB", flush=True)
    results = measure(app, scale, repeat, limit)
    return {"scale": scale, "demo_s": demo_seconds, "grow_s": grow_seconds, "sizes": counts, "rows": results}


# --- report ----------------------------------------------------------------------------------------


def table(runs: list[dict]) -> None:
    print()
    print(f"{'page':<20} {'×':>4} {'CPU ms':>10} {'runs':>4} {'bytes':>12} {'÷ healthz':>10}  over target")
    for run in runs:
        for row in run["rows"]:
            cpu = f"> {row['cpu'] * 1000:,.0f}" if row.get("stopped") else f"{row['cpu'] * 1000:,.1f}"
            size = "—" if row.get("stopped") or row["kind"] == "baseline" else f"{row['bytes']:,}"
            print(
                f"{row['page']:<20} {row['scale']:>4} {cpu:>10} {row['runs']:>4} {size:>12}"
                f" {row['ratio']:>10,.0f}  {row['over']}"
            )
    if len(runs) >= 2:
        low, high = runs[0], runs[-1]
        factor = high["scale"] / low["scale"]
        print(f"\ngrowth factor, CPU ×{high['scale']} ÷ CPU ×{low['scale']} (linear = {factor:.0f}):")
        small = {row["page"]: row for row in low["rows"]}
        for row in high["rows"]:
            before = small.get(row["page"])
            if before and before["cpu"] > 0:
                grows = row["cpu"] / before["cpu"]
                flag = "  faster than linear" if grows > factor * 1.2 else ""
                floor = "≥ " if row.get("stopped") else ""
                print(f"  {row['page']:<20} {floor}{grows:6.1f}{flag}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, nargs="+", default=[10])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per page (median)")
    parser.add_argument(
        "--limit", type=float, default=60, help="wall seconds before an export is cut (0: none)"
    )
    parser.add_argument("--json", help=argparse.SUPPRESS)  # a child process writes its scale here
    args = parser.parse_args()
    if args.json:
        result = run_scale(args.scale[0], args.repeat, args.limit)
        Path(args.json).write_text(json.dumps(result, default=str))
        return
    runs = []
    for scale in args.scale:
        out = Path(tempfile.mkdtemp()) / f"growth{scale}.json"
        command = [sys.executable, __file__, "--scale", str(scale), "--repeat", str(args.repeat)]
        subprocess.run([*command, "--limit", str(args.limit), "--json", str(out)], check=True)
        runs.append(json.loads(out.read_text()))
    for run in runs:
        print(
            f"×{run['scale']}: demo seed {run['demo_s']:.1f} s, growth {run['grow_s']:.1f} s, {run['sizes']}"
        )
    table(runs)


if __name__ == "__main__":
    main()
