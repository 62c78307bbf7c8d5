"""`flask --app wsgi create-device-token --event SLUG --name NAME` (prints the token once)."""

import click
from flask import Flask

from app.errors import DomainError
from app.events import permissions, services


def register_cli(app: Flask) -> None:
    @app.cli.command("create-device-token")
    @click.option("--event", "slug", required=True, help="Đường dẫn (slug) của sự kiện.")
    @click.option("--name", required=True, help="Tên thiết bị, ví dụ “Điện thoại cổng A”.")
    def create_device_token(slug: str, name: str) -> None:
        """Tạo mã cho một thiết bị quét vé (chỉ in ra một lần; có thể thu hồi trên trang sự kiện)."""
        try:
            event = permissions.get_event(slug)
            row, token = services.create_device_token(None, event, name)
        except DomainError as error:
            raise click.ClickException(error.message) from error
        click.echo(f"Thiết bị “{row.name}” (id {row.id}) cho sự kiện {event.slug}.")
        click.echo("Mã thiết bị (chỉ hiện một lần, hãy lưu lại):")
        click.echo(token)
