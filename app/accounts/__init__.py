"""Accounts: sign-up, email verification, login, passwords, profile, roles."""

from flask import Blueprint

bp = Blueprint("accounts", __name__, url_prefix="/tai-khoan")

from app.accounts import views  # noqa: E402,F401
