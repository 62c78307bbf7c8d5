"""`flask --app wsgi backup DIR [--keep N]` and `flask --app wsgi restore DIR [--yes]` (app/admin/backup.py);
`flask --app wsgi retention purge [--dry-run]` (app/admin/retention.py)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from sqlalchemy.engine import make_url

from app.admin import backup, retention
from app.errors import DomainError
from app.extensions import db
from app.localtime import format_datetime
from app.text import format_size


def _fail(error: DomainError | OSError) -> click.ClickException:
    if isinstance(error, DomainError):
        return click.ClickException(error.message)
    where = f" ({error.filename})" if error.filename else ""
    return click.ClickException(f"Lỗi hệ thống tệp{where}: {error.strerror or error}")


def register_cli(app: Flask) -> None:
    @app.cli.command("backup")
    @click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
    @click.option(
        "--keep",
        type=click.IntRange(min=1),
        metavar="N",
        help="Sau khi sao lưu xong, chỉ giữ N bản hoàn chỉnh mới nhất (xoá các bản cũ hơn).",
    )
    def backup_command(directory: Path, keep: int | None) -> None:
        """Sao lưu cơ sở dữ liệu và tệp tải lên vào DIRECTORY/<thời điểm UTC>/ kèm manifest.json (SHA-256)."""
        try:
            made = backup.create_backup(directory)
            removed = backup.prune_backups(directory, keep, protect=made.path) if keep else []
        except (DomainError, OSError) as error:
            raise _fail(error) from error
        manifest = made.manifest
        click.echo(
            f"Đã sao lưu vào {made.path}: cơ sở dữ liệu {backup.KIND_LABELS[manifest.database_kind]}, "
            f"{len(manifest.upload_files)} tệp tải lên, tổng {format_size(manifest.size)}."
        )
        for path in removed:
            click.echo(f"Đã xoá bản cũ {path}.")
        for path in backup.unfinished_backups(directory):
            click.echo(
                f"Lưu ý: {path} là bản dở dang (đang ghi hoặc bị gián đoạn) — không dùng để khôi phục."
            )

    @app.cli.command("restore")
    @click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
    @click.option("--yes", is_flag=True, help="Không hỏi xác nhận (dùng trong kịch bản).")
    def restore_command(directory: Path, yes: bool) -> None:
        """Khôi phục cơ sở dữ liệu và tệp tải lên từ một bản sao lưu (thư mục chứa manifest.json)."""
        try:
            checked = backup.check_backup(directory)
        except (DomainError, OSError) as error:
            raise _fail(error) from error
        manifest = checked.manifest
        target = make_url(db.engine.url).render_as_string(hide_password=True)
        click.echo(
            f"Bản sao lưu {checked.path}: tạo lúc {format_datetime(manifest.created_at)} trên {manifest.host}, "
            f"phiên bản {manifest.app_version}, {len(manifest.upload_files)} tệp tải lên, "
            f"{format_size(manifest.size)} — các tệp khớp mã SHA-256."
        )
        if checked.needs_upgrade:
            click.echo("Bản sao lưu cũ hơn mã nguồn: sau khi khôi phục sẽ chạy db upgrade heads.")
        if not yes:
            click.echo(
                f"Toàn bộ dữ liệu hiện tại của {target} và của thư mục tải lên {backup.upload_dir()} sẽ bị thay "
                "bằng bản sao lưu. Hãy dừng các máy chủ ứng dụng và worker trước."
            )
            try:
                confirmed = click.confirm("Tiếp tục khôi phục?", default=False)
            except click.Abort:
                confirmed = False
            if not confirmed:
                raise click.ClickException("Đã huỷ: không thay đổi gì.")
        try:
            done = backup.restore_backup(checked)
        except (DomainError, OSError) as error:
            raise _fail(error) from error
        click.echo(
            f"Đã khôi phục cơ sở dữ liệu và tệp tải lên ({done.files_written} tệp ghi lại, "
            f"{done.files_kept} tệp giữ nguyên, {done.files_removed} tệp không có trong bản sao lưu đã xoá)."
        )
        if done.upgraded_to:
            click.echo(f"Đã nâng cấp cơ sở dữ liệu lên phiên bản {', '.join(done.upgraded_to)}.")

    @app.cli.group("retention")
    def retention_group() -> None:
        """Thời hạn lưu trữ dữ liệu cá nhân theo thông báo quyền riêng tư."""

    @retention_group.command("purge")
    @click.option(
        "--dry-run", is_flag=True, help="Chỉ đếm những gì sẽ bị xoá hoặc ẩn danh, không thay đổi gì."
    )
    def retention_purge_command(dry_run: bool) -> None:
        """Xoá mã, phiên, lượt đăng nhập, thư mời đã hết hạn; ẩn danh đăng ký sự kiện và hồ sơ dự thi quá hạn lưu trữ."""
        counts, cut = retention.purge(dry_run=dry_run)
        for line in retention.summary(counts, cut, dry_run=dry_run):
            click.echo(line)
