"""Excel exports: our workbook module against plain openpyxl write-only mode, same rows, same run.

Cases (issue 6):
  results        10,000 entries x 7 judges x 6 criteria: a ranking sheet (per-judge totals,
                 aggregate, rank) + a per-judge x per-criterion sheet (70,000 rows) + notes
  registrations  50,000 attendees: name, phone, email, organisation, category, registered at,
                 checked in at, gate, staff

Each (case, writer) runs in a fresh subprocess so that its peak RSS (getrusage ru_maxrss, which
includes the interpreter and imports) belongs to it alone; runs are interleaved and repeated,
and the median is reported. The baseline writes the same header and data rows (STT included)
with `Workbook(write_only=True)` and `ws.append(values)` — no styles, no layout — doing only the
work any writer must do (aware datetimes made naive local time, which openpyxl requires).

Usage: .venv/bin/python bench/bench_exports.py [--repeat N] [--scale F]
Targets: ours within 1.5x of the baseline's time, and peak memory under 300 MB.
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
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HO = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Huỳnh",
    "Võ",
    "Phan",
    "Trương",
    "Bùi",
    "Đặng",
    "Đỗ",
    "Ngô",
    "Hồ",
    "Dương",
]
DEM = ["Văn", "Thị", "Minh", "Ngọc", "Thanh", "Quốc", "Thị Thu", "Hoàng", "Đức", "Thị Mỹ", "Công", "Xuân"]
TEN = ["An", "Anh", "Ân", "Bình", "Châu", "Dũng", "Đức", "Giang", "Hà", "Hải", "Hân", "Hùng", "Khoa", "Linh"]
TEN += [
    "Lộc",
    "Mai",
    "Nam",
    "Ngân",
    "Nhi",
    "Phúc",
    "Quân",
    "Quỳnh",
    "Sơn",
    "Tâm",
    "Thảo",
    "Trâm",
    "Uyên",
    "Vy",
]
IDEAS = [
    "Ứng dụng chuyển đổi số cho hợp tác xã nông nghiệp",
    "Nền tảng truy xuất nguồn gốc tỏi Lý Sơn",
    "Du lịch cộng đồng gắn với làng nghề truyền thống",
    "Cảm biến quan trắc mặn cho vùng ven biển",
    "Sàn thương mại điện tử cho đặc sản Quảng Ngãi",
    "Hệ thống tưới tiết kiệm nước cho cây keo",
]
ORGS = ["Trường Đại học Phạm Văn Đồng", "Trường Đại học Tài chính - Kế toán", "Công ty TNHH Dung Quất Tech"]
ORGS += ["Hợp tác xã Nông nghiệp Tịnh Hà", "Tỉnh đoàn Quảng Ngãi", "Trường THPT chuyên Lê Khiết", ""]
CATEGORIES = ["Khách mời", "Thí sinh", "Nhà đầu tư", "Báo chí", "Khán giả"]
GATES = ["Cổng A", "Cổng B", "Cổng chính", "Lối VIP"]
STAFF = ["Lê Thị Hoa", "Trần Minh Khang", "Võ Thị Ngọc Trâm", "Phan Quốc Bảo"]
JUDGES = 7
CRITERIA = ["Tính mới", "Tính khả thi", "Thị trường", "Tác động xã hội", "Năng lực đội", "Trình bày"]
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def person(rng: random.Random) -> str:
    return f"{rng.choice(HO)} {rng.choice(DEM)} {rng.choice(TEN)}"


# --- the rows: one generator per sheet, identical for both writers ----------------------------


def ranking_rows(entries: int):
    rng = random.Random(1)
    for index in range(entries):
        totals = [round(rng.uniform(50, 95), 2) for _ in range(JUDGES)]
        aggregate = round(sum(totals) / JUDGES, 2)
        yield [
            f"HS-2024-{index + 1:05d}",
            f"{rng.choice(IDEAS)} ({index + 1})",
            rng.choice(["Bảng A", "Bảng B", "Bảng C"]),
            person(rng),
            *totals,
            aggregate,
            index + 1,
            "Vào chung kết" if index < 30 else "",
        ]


def scores_rows(entries: int):
    rng = random.Random(2)
    judges = [f"GK {j + 1}: {person(rng)}" for j in range(JUDGES)]
    for index in range(entries):
        code, idea = f"HS-2024-{index + 1:05d}", f"{IDEAS[index % len(IDEAS)]} ({index + 1})"
        for judge in judges:
            scores = [round(rng.uniform(5, 10) * 2) / 2 for _ in CRITERIA]
            yield [code, idea, judge, *scores, round(sum(scores) * 100 / 60, 2)]


def registration_rows(count: int):
    rng = random.Random(3)
    start = datetime(2024, 10, 1, 1, 0, tzinfo=UTC)
    for index in range(count):
        registered = start + timedelta(minutes=rng.randint(0, 60 * 24 * 20))
        checked = registered + timedelta(days=1, minutes=rng.randint(0, 600)) if rng.random() < 0.7 else None
        name = person(rng)
        yield [
            name,
            f"+849{rng.randint(10000000, 99999999)}",
            f"nguoi{index}@example.vn",
            rng.choice(ORGS),
            rng.choice(CATEGORIES),
            registered,
            checked,
            rng.choice(GATES) if checked else None,
            rng.choice(STAFF) if checked else None,
        ]


def case_sheets(case: str, scale: float):
    """(name, title, columns, rows factory) per sheet; columns are (header, kind, width)."""
    if case == "results":
        entries = int(10_000 * scale)
        ranking_cols = [("Mã hồ sơ", "text", 13), ("Tên ý tưởng", "text", 34), ("Bảng", "text", 8)]
        ranking_cols += [("Trưởng nhóm", "text", 22)]
        ranking_cols += [(f"GK {j + 1}", "decimal", 7) for j in range(JUDGES)]
        ranking_cols += [("Điểm tổng hợp", "decimal", 9), ("Xếp hạng", "int", 8), ("Kết quả", "text", 14)]
        score_cols = [("Mã hồ sơ", "text", 13), ("Tên ý tưởng", "text", 34), ("Giám khảo", "text", 28)]
        score_cols += [(c, "decimal", 9) for c in CRITERIA] + [("Tổng (thang 100)", "decimal", 9)]
        return [
            ("Xếp hạng", "Kết quả chấm vòng sơ khảo", ranking_cols, lambda: ranking_rows(entries)),
            (
                "Điểm chi tiết",
                "Điểm của từng giám khảo theo tiêu chí",
                score_cols,
                lambda: scores_rows(entries),
            ),
        ]
    count = int(50_000 * scale)
    cols = [("Họ và tên", "text", 24), ("Điện thoại", "text", 14), ("Email", "text", 26)]
    cols += [("Đơn vị", "text", 30), ("Đối tượng", "text", 12), ("Đăng ký lúc", "datetime", 16)]
    cols += [("Check-in lúc", "datetime", 16), ("Cổng", "text", 10), ("Nhân viên", "text", 20)]
    return [("Đăng ký", "Danh sách đăng ký và check-in", cols, lambda: registration_rows(count))]


METHOD_NOTES = [
    ("Phương pháp tổng hợp", "Trung bình cộng tổng điểm của 7 giám khảo (thang 100)."),
    ("Quy tắc khi bằng điểm", "Xét điểm tiêu chí 'Tính mới', rồi 'Tính khả thi'."),
]


# --- the two writers -------------------------------------------------------------------------


def write_ours(case: str, scale: float, path: str) -> None:
    from app.spreadsheet.workbook import Column, NotesSheet, Sheet, write_workbook

    sheets = [
        Sheet(name, title, [Column(h, k, w) for h, k, w in cols], make_rows(), subtitle=["Năm 2024"])
        for name, title, cols, make_rows in case_sheets(case, scale)
    ]
    if case == "results":
        sheets.append(NotesSheet("Phương pháp", "Phương pháp xếp hạng", METHOD_NOTES))
    write_workbook(path, sheets, report_date=date(2024, 10, 25))


def write_baseline(case: str, scale: float, path: str) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for name, _title, cols, make_rows in case_sheets(case, scale):
        ws = workbook.create_sheet(name)
        ws.append(["STT"] + [header for header, _, _ in cols])
        for number, row in enumerate(make_rows(), 1):
            ws.append(
                [number]
                + [v.astimezone(LOCAL_TZ).replace(tzinfo=None) if isinstance(v, datetime) else v for v in row]
            )
    if case == "results":
        ws = workbook.create_sheet("Phương pháp")
        for item in METHOD_NOTES:
            ws.append(list(item))
    workbook.save(path)


def run_one(case: str, writer: str, scale: float) -> dict:
    """Runs in the child process: import, write, report time and peak RSS."""
    import openpyxl  # noqa: F401 — import cost outside the timed part, for both writers

    import app.spreadsheet.workbook  # noqa: F401

    start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "out.xlsx")
        started, cpu_started = time.perf_counter(), time.process_time()
        (write_ours if writer == "ours" else write_baseline)(case, scale, path)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        size = os.path.getsize(path)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "cpu": cpu, "peak_mb": peak, "start_mb": start_rss, "size_mb": size / 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the issue's row counts")
    parser.add_argument("--child", nargs=2, metavar=("CASE", "WRITER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(*args.child, args.scale)))
        return

    import lxml
    import openpyxl

    print(f"Excel exports — openpyxl {openpyxl.__version__}, lxml {lxml.__version__}, {os.cpu_count()} cores")
    print("peak = max RSS of a fresh subprocess (getrusage), includes interpreter + imports ('start')")
    results: dict[tuple[str, str], list[dict]] = {}
    for case in ("results", "registrations"):
        for _ in range(args.repeat):
            for writer in ("baseline", "ours"):
                command = [sys.executable, __file__, "--child", case, writer, "--scale", str(args.scale)]
                output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
                results.setdefault((case, writer), []).append(json.loads(output))
    ok = True
    for case in ("results", "registrations"):
        base, ours = results[(case, "baseline")], results[(case, "ours")]
        base_s = statistics.median(r["seconds"] for r in base)
        ours_s = statistics.median(r["seconds"] for r in ours)
        ours_peak = max(r["peak_mb"] for r in ours)
        ratio = ours_s / base_s
        cpu_ratio = statistics.median(r["cpu"] for r in ours) / statistics.median(r["cpu"] for r in base)
        ok &= ratio <= 1.5 and ours_peak < 300
        print(f"\n{case} (median of {args.repeat}, runs interleaved)")
        for label, runs in (("baseline write-only, no styling", base), ("app.spreadsheet.workbook", ours)):
            seconds = statistics.median(r["seconds"] for r in runs)
            each = ", ".join(f"{r['seconds']:.2f}" for r in runs)
            cpu = statistics.median(r["cpu"] for r in runs)
            print(
                f"  {label:33s} {seconds:6.2f} s wall, {cpu:6.2f} s CPU  (wall runs {each})"
                f"  peak {max(r['peak_mb'] for r in runs):5.1f} MB (start {runs[0]['start_mb']:.1f} MB)"
                f"  file {runs[0]['size_mb']:.1f} MB"
            )
        print(
            f"  ratio ours/baseline: {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU (target <= 1.5x);"
            f" ours peak {ours_peak:.0f} MB (target < 300 MB)"
        )
    print("\nTargets met." if ok else "\nTARGETS MISSED.")


if __name__ == "__main__":
    main()
