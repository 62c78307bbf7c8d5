"""`flask --app wsgi seed-demo` and `demo-accounts`."""

import importlib
import importlib.util

import click
from flask import Flask

from app.accounts import demo as accounts_demo
from app.accounts.models import ROLE_LABELS, Role
from app.features import FEATURES
from app.judging import demo as judging_demo


def _seeders():
    """Each feature's demo.py exposes seed(); they run in FEATURES order (later use earlier data)."""
    for name in FEATURES:
        if importlib.util.find_spec(f"app.{name}.demo"):
            yield importlib.import_module(f"app.{name}.demo")


def _print_accounts() -> None:
    click.echo("Tài khoản demo (email / mật khẩu / vai trò):")
    for email, role, _name, password in accounts_demo.DEMO_ACCOUNTS:
        click.echo(f"  {email:32} {password:16} {ROLE_LABELS[Role(role)]}")


def register_cli(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Tạo dữ liệu demo (chạy lại nhiều lần không tạo trùng)."""
        # Demo actions (reopened sheets, reminders …) must never email anyone, even with SMTP set.
        app.config["MAIL_CAPTURE"] = True
        for module in _seeders():
            module.seed()
        # The 2024 rounds are published last (issue 13): the events and live seeds still need lần 5's finalists.
        judging_demo.publish_past_results()
        _print_accounts()

    @app.cli.command("demo-accounts")
    def demo_accounts() -> None:
        """In danh sách tài khoản demo."""
        _print_accounts()
