"""`flask --app wsgi export results|entries|judges|attendance|requests|report …` — the same .xlsx files
as the web downloads, for the server's operator (no per-user permission: whoever runs the command
already holds the database)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
from flask import Flask

from app.errors import DomainError
from app.exports.annual_report import report_export
from app.exports.downloads import (
    Export,
    attendance_export,
    entries_export,
    judges_export,
    requests_export,
    results_export,
    write_export,
)
from app.exports.permissions import get_contest, get_event, round_of


def _write(export: Export, output: str | None) -> None:
    path = Path(output or export.filename)
    if path.is_dir():
        path = path / export.filename
    if not path.parent.is_dir():  # say so before building anything
        raise click.ClickException(f"Không ghi được tệp {path}: thư mục {path.parent} không tồn tại.")
    try:
        write_export(export, path)
    except OSError as error:
        raise click.ClickException(f"Không ghi được tệp {path}: {error.strerror or error}") from error
    click.echo(f"Đã ghi {path} ({path.stat().st_size:,} byte).".replace(",", "."))


def _run(build: Callable[[], Export], output: str | None) -> None:
    try:
        export = build()
    except DomainError as error:
        raise click.ClickException(error.message) from error
    _write(export, output)


OUTPUT = click.option(
    "-o",
    "--output",
    metavar="FILE",
    help="Tệp .xlsx cần ghi (hoặc một thư mục); mặc định: tên chuẩn, thư mục hiện tại.",
)

CONTEST = click.option(
    "--contest", "slug", required=True, metavar="SLUG", help="Đường dẫn (slug) của cuộc thi."
)
ROUND = click.option(
    "--round",
    "position",
    required=True,
    type=click.IntRange(1),
    metavar="N",
    help="Vòng thứ N (1 = vòng đầu).",
)


def register_cli(app: Flask) -> None:
    @app.cli.group("export")
    def export() -> None:
        """Xuất Excel (.xlsx) giống tệp tải trên web: kết quả, hồ sơ, giám khảo, tham dự, yêu cầu dữ liệu, báo cáo năm."""

    @export.command("results")
    @CONTEST
    @ROUND
    @OUTPUT
    def results(slug: str, position: int, output: str | None) -> None:
        """Kết quả một vòng chấm: xếp hạng, điểm từng giám khảo × tiêu chí, phương pháp."""
        _run(lambda: results_export(round_of(get_contest(slug), position)), output)

    @export.command("judges")
    @CONTEST
    @ROUND
    @OUTPUT
    def judges(slug: str, position: int, output: str | None) -> None:
        """Tiến độ chấm của từng giám khảo trong một vòng."""
        _run(lambda: judges_export(round_of(get_contest(slug), position)), output)

    @export.command("entries")
    @CONTEST
    @OUTPUT
    def entries(slug: str, output: str | None) -> None:
        """Hồ sơ dự thi (mỗi hồ sơ một dòng) và danh sách thành viên các nhóm."""
        _run(lambda: entries_export(get_contest(slug)), output)

    @export.command("attendance")
    @click.option("--event", "slug", required=True, metavar="SLUG", help="Đường dẫn (slug) của sự kiện.")
    @OUTPUT
    def attendance(slug: str, output: str | None) -> None:
        """Đăng ký tham dự và nhật ký check-in (thời gian, cổng, người quét) của một sự kiện."""
        _run(lambda: attendance_export(get_event(slug)), output)

    @export.command("requests")
    @click.option(
        "--status",
        type=click.Choice(["open", "done", "refused", "all"]),
        default="all",
        show_default=True,
        help="Chỉ các yêu cầu ở trạng thái này.",
    )
    @OUTPUT
    def requests(status: str, output: str | None) -> None:
        """Danh sách yêu cầu về dữ liệu cá nhân, hạn xử lý sớm nhất trước."""
        _run(lambda: requests_export("" if status == "all" else status), output)

    @export.command("report")
    @click.option(
        "--year", required=True, type=click.IntRange(2000, 2100), metavar="YYYY", help="Năm báo cáo."
    )
    @OUTPUT
    def report(year: int, output: str | None) -> None:
        """Báo cáo tổng hợp năm cho Sở: hồ sơ, người tham gia, sự kiện, chỉ tiêu kế hoạch."""
        _run(lambda: report_export(year), output)
