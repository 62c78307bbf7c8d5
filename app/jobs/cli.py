"""`flask --app wsgi jobs worker` runs the task queue's worker (mail, big exports, the annual report,
the clean-up every 15 minutes); `flask --app wsgi jobs purge` clears expired files now."""

from __future__ import annotations

import logging

import click
from flask import Flask

from app.jobs.services import purge_expired
from app.mail.services import purge_failures
from app.queue import backend_name, queue


def register_cli(app: Flask) -> None:
    @app.cli.group("jobs")
    def jobs() -> None:
        """Hàng đợi công việc nền: chạy worker, dọn tệp hết hạn."""

    @jobs.command("worker")
    @click.option(
        "--workers", default=2, show_default=True, type=click.IntRange(1, 32), help="Số luồng xử lý."
    )
    def worker(workers: int) -> None:
        """Chạy worker: gửi email, chuẩn bị tệp lớn, dọn dẹp định kỳ (dừng bằng Ctrl+C)."""
        if queue.immediate:
            raise click.ClickException(
                "JOBS_IMMEDIATE đang bật: công việc chạy ngay trong web, không cần worker."
            )
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
        click.echo(f"Worker: {workers} luồng, hàng đợi {backend_name()}.")
        queue.create_consumer(workers=workers, worker_type="thread", periodic=True).run()

    @jobs.command("purge")
    def purge() -> None:
        """Xoá ngay các tệp công việc đã hết hạn và thư lỗi quá hạn lưu."""
        jobs_removed = purge_expired()
        mails_removed = purge_failures()
        click.echo(f"Đã xoá {jobs_removed} công việc hết hạn và {mails_removed} thư lỗi quá hạn lưu.")
