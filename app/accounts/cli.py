"""`flask --app wsgi create-user EMAIL --role ROLE [--password …] [--name …]`."""

import click
from flask import Flask

from app.accounts import services
from app.accounts.models import Role
from app.errors import DomainError


def register_cli(app: Flask) -> None:
    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--role", required=True, type=click.Choice([r.value for r in Role]), help="Vai trò.")
    @click.option("--password", default=None, help="Mật khẩu; bỏ trống để sinh ngẫu nhiên.")
    @click.option("--name", "full_name", default=None, help="Họ và tên.")
    def create_user(email: str, role: str, password: str | None, full_name: str | None) -> None:
        """Tạo tài khoản đã xác nhận email (hoặc thêm vai trò cho tài khoản có sẵn)."""
        try:
            user, generated = services.create_user(email, role, password=password, full_name=full_name)
        except DomainError as error:
            raise click.ClickException(error.message) from error
        click.echo(f"Tài khoản {user.email} (id {user.id}) có vai trò: {', '.join(sorted(user.roles))}")
        if generated:
            click.echo(f"Mật khẩu: {generated}")
