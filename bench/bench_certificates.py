"""Attendance certificates for a whole event (issue 13): the batch job's two files for 500 people,
next to the cost of drawing one certificate and of reading the 500 without drawing, in the same run.

    .venv/bin/python bench/bench_certificates.py [--count 500] [--no-seal] [--no-trace] [--keep]

1. A fresh SQLite file in a temp folder (tests.conftest.make_config + app.create_app, JOBS_IMMEDIATE on:
   a job runs in the process that starts it): an organiser (Sở staff), an event with a long name and
   `--count` attendees with Vietnamese names (every tone mark on every vowel among them, a tenth long,
   a few typed in decomposed Unicode as some phones do), each with a ticket and an active check-in;
   the event's template with the seal image (a 600 × 600 PNG, saved by services.save_template), and
   the certificates issued by services.issue(organiser, "attendance", event=…).
2. Each case in a fresh process of its own (so its peak RSS is its own): the batch job through
   app.certificates.jobs.start (the code the worker runs: jobs.run → _build), as (a) one PDF with a
   page each and (b) a .zip with one PDF each; wall time, CPU time (process_time) and the peak RSS
   (VmHWM of /proc/self/status, before and after; getrusage's ru_maxrss is printed too, but it starts
   at the parent's peak, see rss_mb). With tracing, each batch runs once more in another process
   under tracemalloc (slower: its times are not reported) for the peak of the Python heap.
3. The baselines, also in processes of their own: drawing ONE certificate (pdf.render_pages of one
   page: the first, with the fonts read, and the median of 5 after it; also the median of 5 new
   empty documents, which is what each file of the zip pays before drawing), and reading the same
   certificates' data without drawing (jobs._live_certificates, the template, the layout, page_of).
4. The files are checked: pdfinfo says the PDF has `--count` pages; the zip has `--count` entries,
   each a PDF with one page (pdfinfo on a sample of 10); pdftotext of the PDF holds every name.
Targets from the issue: each batch under 30 s and 300 MB on this machine.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import unicodedata
import zipfile
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402
from sqlalchemy import select  # noqa: E402
from werkzeug.datastructures import FileStorage  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts import services as accounts  # noqa: E402
from app.accounts.models import User  # noqa: E402
from app.certificates import jobs as certificate_jobs  # noqa: E402
from app.certificates import pdf, services  # noqa: E402
from app.events.models import Attendee, Checkin, Event, Ticket  # noqa: E402
from app.extensions import db  # noqa: E402
from app.jobs.models import DONE, Job  # noqa: E402
from app.jobs.services import job_folder  # noqa: E402
from app.localtime import utcnow  # noqa: E402
from tests.conftest import make_config  # noqa: E402

ORGANISER = "so.khcn@example.vn"
SLUG = "ngay-hoi-kndmst-2026"
EVENT_NAME = (
    "Ngày hội Khởi nghiệp Đổi mới Sáng tạo tỉnh Quảng Ngãi lần thứ VI năm 2026 – "
    "Kết nối hệ sinh thái khởi nghiệp vùng Duyên hải Nam Trung Bộ"
)
TARGET_SECONDS = 30.0
TARGET_MB = 300.0
SAMPLE = 10  # zip entries opened with pdfinfo

# --- names ----------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


FAMILY = _words(
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Trương Lưu Tạ "
    "Châu Quách Mạc Thái Khổng Ông Ưng Âu Đàm Lữ Nghiêm Tôn Thất Diệp Kiều Từ Hứa"
)
MIDDLE = _words(
    "Văn Thị Hữu Đức Ngọc Quốc Minh Xuân Thu Thanh Hồng Bảo Gia Khánh Nhật Trọng Phước Diễm "
    "Tường Kỳ Mỹ Quỳnh Thuỳ Hải Ánh Cẩm Tuệ Vĩnh Ỷ Uyển"
)
GIVEN = _words(
    "An Ánh Bảo Cường Dũng Đạt Hằng Hường Khuê Lộc Lũy Ngọc Nguyệt Phượng Quỳnh Thủy Tường Uyên "
    "Vỹ Yến Thắng Tuấn Cẩm Mẫn Thuận Chiều Tiến Kiểu Nghĩa Hiệp Trí Sĩ Hòa Võ Quốc Khổng Thục "
    "Phú Vũ Tùng Đức Hữu Lực Thực Kỷ Mỹ Thảo Hà Hiếu Thoại Khuyến Quyết Diệu Kiều Thường Trường "
    "Phước Hưởng Lợi Loan Trâm Huệ Tuyết Nhàn Chiểu Điềm Vượng Khiêm Thiện Nhẫn Lẫm Mãi Dĩ Hoè "
    "Khoẻ Tử"
)
# A tenth are long: compound family names, several middle names (royal-family and Hoa-origin names).
LONG = [
    "Công Tôn Nữ Thị Hồng Nhung Phượng Hoàng",
    "Nguyễn Phước Bửu Hoàng Thị Diễm Kiều Ngọc Trâm",
    "Tôn Thất Nguyễn Phước Quỳnh Như Ý Thiên Hương",
    "Trương Thị Ngọc Tuyết Khánh Huyền Trân Châu",
    "Huỳnh Lê Nguyễn Thị Mỹ Hạnh Diệu Hiền Thục Đoan Trang",
    "Âu Dương Lệ Quyên Ỷ Lan Ưng Hoàng Phúc Ẩn",
]
RARE = {"é": "Bé", "ì": "Nhì", "ỏ": "Nhỏ", "ỡ": "Mỡ", "ó": "Có", "ẹ": "Mẹn", "ỉ": "Ỉnh", "ẵ": "Hẵn"}
VOWELS = "aăâeêioôơuưy"
TONES = "\u0300\u0301\u0309\u0303\u0323"  # huyền, sắc, hỏi, ngã, nặng


def all_toned() -> set[str]:
    """Every Vietnamese vowel with each of the five tone marks (60 letters), plus đ, lowercase."""
    letters = {unicodedata.normalize("NFC", v + t) for v in VOWELS for t in TONES}
    return letters | set("ăâêôơưđ")


def names(count: int, rng: random.Random) -> list[str]:
    out = []
    for i in range(count):
        if i % 10 == 9:
            name = f"{rng.choice(LONG)} {rng.choice(GIVEN)}"
        else:
            parts = [rng.choice(FAMILY), *rng.sample(MIDDLE, rng.choice((1, 1, 2))), rng.choice(GIVEN)]
            name = " ".join(parts)
        if i % 50 == 7:
            name = unicodedata.normalize("NFD", name)  # decomposed tone marks, as some phones type
        out.append(name)
    # The first names cover every toned vowel: old given names where there are some, else a made-up one.
    for _ in range(5):  # a replaced name may have held a letter of its own: look again
        missing = sorted(all_toned() - set("".join(unicodedata.normalize("NFC", n).lower() for n in out)))
        extra = [f"{rng.choice(FAMILY)} Thị {RARE.get(letter, letter.upper() + 'n')}" for letter in missing]
        out = (extra + out)[:count]
    return out


# --- the database ---------------------------------------------------------------------------------


def make_app(folder: Path) -> Flask:
    return create_app(
        make_config(
            f"sqlite:///{folder / 'certificates.db'}",
            folder / "instance",
            RATELIMIT_ENABLED=False,
            JOBS_IMMEDIATE=True,
            BASE_URL="https://kndmst.quangngai.gov.vn",
        )
    )


def seal_png() -> bytes:
    """A red round seal with a transparent background, 600 × 600 (what a scanned seal looks like)."""
    image = Image.new("RGBA", (600, 600), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, 590, 590), outline=(200, 20, 20, 230), width=24)
    draw.ellipse((70, 70, 530, 530), outline=(200, 20, 20, 200), width=8)
    draw.regular_polygon((300, 300, 120), 5, fill=(200, 20, 20, 220))
    rng = random.Random(3)
    for _ in range(4000):  # ink texture: a scanned seal does not compress to nothing
        x, y = rng.randrange(600), rng.randrange(600)
        draw.point((x, y), fill=(200, 20, 20, rng.randrange(30, 120)))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def build(folder: Path, count: int, seal: bool) -> dict:
    app = make_app(folder)
    rng = random.Random(13)
    people = names(count, rng)
    with app.app_context():
        db.create_all()
        organiser, _ = accounts.create_user(
            ORGANISER, "organiser", password="ChungNhan@2026", full_name="Cán bộ Sở KH&CN"
        )
        now = utcnow()
        event = Event(
            slug=SLUG,
            name=EVENT_NAME,
            venue="Trung tâm Hội nghị tỉnh Quảng Ngãi",
            starts_at=now - timedelta(hours=8),
            ends_at=now - timedelta(hours=1),
            registered_count=count,
            created_by_id=organiser.id,
        )
        db.session.add(event)
        db.session.flush()
        attendees = [
            Attendee(
                event_id=event.id,
                full_name=name,
                phone=f"+84905{i:06d}",
                email=f"khach{i:04d}@example.vn" if i % 2 else None,
                category="Khách tham quan",
            )
            for i, name in enumerate(people)
        ]
        db.session.add_all(attendees)
        db.session.flush()
        tickets = [
            Ticket(event_id=event.id, attendee_id=a.id, code=f"bench-{a.id:06d}-{rng.getrandbits(64):016x}")
            for a in attendees
        ]
        db.session.add_all(tickets)
        db.session.flush()
        db.session.add_all(
            Checkin(
                event_id=event.id,
                ticket_id=t.id,
                attendee_id=t.attendee_id,
                at=event.starts_at + timedelta(seconds=rng.randrange(5 * 3600)),
                gate="Cổng chính",
            )
            for t in tickets
        )
        db.session.commit()
        template = services.template_for(event=event)
        upload = FileStorage(io.BytesIO(seal_png()), filename="con-dau.png") if seal else None
        services.save_template(
            organiser,
            template,
            {"signer_name": "Nguyễn Thị Thu Hương", "signer_title": "Phó Giám đốc"},
            seal=upload,
        )
        start = time.perf_counter()
        issued = services.issue(organiser, "attendance", event=event)
        seconds = time.perf_counter() - start
        created = len(issued.created)
        db.session.remove()
        db.engine.dispose()
    assert created == count, f"issued {created} certificates, not {count}"
    covered = all_toned() & set("".join(unicodedata.normalize("NFC", n).lower() for n in people))
    return {
        "issued": created,
        "issue_s": seconds,
        "mailed": issued.mailed,
        "toned": f"{len(covered)}/{len(all_toned())}",
        "longest": max(len(unicodedata.normalize("NFC", n)) for n in people),
        "names": [unicodedata.normalize("NFC", n) for n in people],
    }


# --- the cases, each in a process of its own -------------------------------------------------------


def rss_mb() -> float:
    """This process's peak RSS in MiB: VmHWM of /proc/self/status. getrusage's ru_maxrss is kept too
    (maxrss()), but on Linux a child starts with its parent's peak at fork (kept across exec), so in
    a child of the 180 MB parent it cannot show a case's own peak below that."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return maxrss()


def maxrss() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def organiser() -> User:
    user = db.session.scalar(select(User).where(User.email == ORGANISER))
    assert user is not None
    return user


def run_batch(kind: str, trace: bool) -> dict:
    """One batch through the job's own code path: jobs.start → build_batch (immediate) → jobs.run → _build."""
    job_kind = {"pdf": "certificates.pdf", "zip": "certificates.zip"}[kind]
    user = organiser()
    before = rss_mb()
    if trace:
        tracemalloc.start()
    cpu, wall = time.process_time(), time.perf_counter()
    job = certificate_jobs.start(user, job_kind, "event", SLUG, "Giấy chứng nhận tham dự", "/")
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    heap = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    tracemalloc.stop()
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job is not None and job.status == DONE, f"job {job_kind} did not finish: {job and job.error}"
    path = job_folder(job.id) / job.filename
    return {
        "wall": wall,
        "cpu": cpu,
        "rss_before": before,
        "rss_after": rss_mb(),
        "maxrss": maxrss(),
        "heap": heap,
        "bytes": path.stat().st_size,
        "file": str(path),
        "done": job.done,
    }


def run_one() -> dict:
    """Drawing one certificate: the first (fonts read, QR library warmed) and the median of 5 more;
    and the median of 5 empty documents (the fonts added), which each file of the zip pays."""
    user = organiser()
    certificates, _, template = certificate_jobs._live_certificates(user, f"event:{SLUG}")
    layout = pdf.layout_of(template, services.seal_file(template))
    certificate = max(certificates, key=lambda c: len(c.full_name))  # the hardest: shrinks and wraps
    page = pdf.page_of(certificate)
    before = rss_mb()
    cpu, wall = time.process_time(), time.perf_counter()
    size = len(pdf.render_pages([page], layout))
    first = (time.process_time() - cpu, time.perf_counter() - wall)
    runs = []
    for _ in range(5):
        cpu, wall = time.process_time(), time.perf_counter()
        pdf.render_pages([page], layout)
        runs.append((time.process_time() - cpu, time.perf_counter() - wall))
    empty = []
    for _ in range(5):
        cpu = time.process_time()
        pdf._Document()
        empty.append(time.process_time() - cpu)
    return {
        "first_cpu": first[0],
        "first_wall": first[1],
        "cpu": statistics.median(r[0] for r in runs),
        "wall": statistics.median(r[1] for r in runs),
        "empty_doc_cpu": statistics.median(empty),
        "bytes": size,
        "rss_before": before,
        "rss_after": rss_mb(),
        "maxrss": maxrss(),
    }


def run_data() -> dict:
    """The batch's reading without drawing: the live certificates, the template, the layout, the pages."""
    user = organiser()
    before = rss_mb()
    cpu, wall = time.process_time(), time.perf_counter()
    certificates, _, template = certificate_jobs._live_certificates(user, f"event:{SLUG}")
    layout = pdf.layout_of(template, services.seal_file(template))
    pages = [pdf.page_of(c) for c in certificates]
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert layout.seal is not None or not template.seal_path
    return {
        "cpu": cpu,
        "wall": wall,
        "rows": len(pages),
        "rss_before": before,
        "rss_after": rss_mb(),
        "maxrss": maxrss(),
    }


def child(case: str, folder: Path, out: Path) -> None:
    app = make_app(folder)
    with app.app_context():
        if case == "one":
            result = run_one()
        elif case == "data":
            result = run_data()
        else:
            kind, _, traced = case.partition("+")
            result = run_batch(kind, trace=traced == "trace")
    out.write_text(json.dumps(result))


def in_process(case: str, folder: Path) -> dict:
    out = folder / f"{case}.json"
    command = [sys.executable, __file__, "--case", case, "--folder", str(folder), "--json", str(out)]
    subprocess.run(command, check=True)
    return json.loads(out.read_text())


# --- checks ---------------------------------------------------------------------------------------


def pages_of(data: bytes | Path) -> int:
    args = ["pdfinfo", str(data)] if isinstance(data, Path) else ["pdfinfo", "-"]
    text = subprocess.run(
        args, input=None if isinstance(data, Path) else data, capture_output=True, check=True
    ).stdout.decode()
    return int(next(line.split()[-1] for line in text.splitlines() if line.startswith("Pages:")))


def check(pdf_file: Path, zip_file: Path, people: list[str], count: int) -> list[str]:
    problems = []
    pages = pages_of(pdf_file)
    if pages != count:
        problems.append(f"PDF: {pages} pages, not {count}")
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf_file), "-"], capture_output=True, check=True
    ).stdout.decode()
    flat = "".join(unicodedata.normalize("NFC", text).split())
    absent = [n for n in people if "".join(n.split()) not in flat]
    if absent:
        problems.append(f"PDF text lacks {len(absent)} names, e.g. {absent[:3]}")
    with zipfile.ZipFile(zip_file) as archive:
        entries = archive.namelist()
        if len(entries) != count or len(set(entries)) != count:
            problems.append(f"zip: {len(entries)} entries ({len(set(entries))} distinct), not {count}")
        for name in random.Random(5).sample(entries, min(SAMPLE, len(entries))):
            data = archive.read(name)
            if not data.startswith(b"%PDF-") or pages_of(data) != 1:
                problems.append(f"zip entry {name}: not a one-page PDF")
    return problems


# --- report ---------------------------------------------------------------------------------------


def table(rows: dict, count: int, trace: bool) -> None:
    one, data = rows["one"], rows["data"]
    print()
    header = f"{'case':<34} {'wall s':>8} {'CPU s':>8} {'peak RSS MB':>15} {'heap MB':>8} {'bytes':>12}"
    print(header + "  ÷ one×N  maxrss  over target")
    for name, key in ((f"(a) one PDF, {count} pages", "pdf"), (f"(b) zip of {count} PDFs", "zip")):
        row = rows[key]
        heap = rows.get(f"{key}+trace", {}).get("heap")
        heap_text = "—" if heap is None else f"{heap:.1f}"
        over = []
        if row["wall"] > TARGET_SECONDS:
            over.append(f"> {TARGET_SECONDS:.0f} s")
        if row["rss_after"] > TARGET_MB:
            over.append(f"> {TARGET_MB:.0f} MB")
        print(
            f"{name:<34} {row['wall']:>8.2f} {row['cpu']:>8.2f}"
            f" {row['rss_before']:>6.0f} → {row['rss_after']:>5.0f} {heap_text:>8}"
            f" {row['bytes']:>12,}  {row['cpu'] / (one['cpu'] * count):>7.2f}  {row['maxrss']:>6.0f}"
            f"  {', '.join(over)}"
        )
    print(
        f"{'one certificate (first)':<34} {one['first_wall']:>8.3f} {one['first_cpu']:>8.3f}"
        f" {one['rss_before']:>6.0f} → {one['rss_after']:>5.0f} {'':>8} {one['bytes']:>12,}"
    )
    print(
        f"{'one certificate (median of 5)':<34} {one['wall']:>8.3f} {one['cpu']:>8.3f}"
        f" {'':>15} {'':>8} {one['bytes']:>12,}"
    )
    print(f"{f'  × {count}':<34} {one['wall'] * count:>8.2f} {one['cpu'] * count:>8.2f}")
    print(f"{'  of which: empty document (fonts)':<34} {'':>8} {one['empty_doc_cpu']:>8.3f}")
    print(
        f"{f'data of {count}, no drawing':<34} {data['wall']:>8.3f} {data['cpu']:>8.3f}"
        f" {data['rss_before']:>6.0f} → {data['rss_after']:>5.0f}"
    )
    if not trace:
        print("(heap: not measured, --no-trace)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=500, help="checked-in attendees (certificates)")
    parser.add_argument("--no-seal", action="store_true", help="no seal image on the template")
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc runs")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (database, files)")
    parser.add_argument("--case", help=argparse.SUPPRESS)  # a child process runs one case
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        child(args.case, Path(args.folder), Path(args.json))
        return
    folder = Path(tempfile.mkdtemp(prefix="certificates-"))
    try:
        start = time.perf_counter()
        built = build(folder, args.count, not args.no_seal)
        print(
            f"{built['issued']} certificates issued in {built['issue_s']:.1f} s ({built['mailed']} mailed);"
            f" set up in {time.perf_counter() - start:.1f} s; names: toned vowels {built['toned']},"
            f" longest {built['longest']} characters; seal: {'no' if args.no_seal else 'yes'}",
            flush=True,
        )
        cases = ["data", "one", "pdf", "zip"] + ([] if args.no_trace else ["pdf+trace", "zip+trace"])
        rows = {}
        for case in cases:
            rows[case] = in_process(case, folder)
            print(f"  {case:<10} done: {json.dumps({k: v for k, v in rows[case].items() if k != 'file'})}")
        table(rows, args.count, not args.no_trace)
        problems = check(Path(rows["pdf"]["file"]), Path(rows["zip"]["file"]), built["names"], args.count)
        print()
        print(
            "checks: "
            + (
                "; ".join(problems)
                if problems
                else f"OK (pdfinfo {args.count} pages,"
                f" {args.count} zip entries, {SAMPLE} sampled one-page PDFs, every name in the PDF text)"
            )
        )
        if problems:
            sys.exit(1)
    finally:
        if args.keep:
            print(f"kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
