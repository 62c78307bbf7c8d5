"""Public pages: home, help, language choice, health check."""

from flask import Blueprint

bp = Blueprint("core", __name__)

from app.core import landing, views  # noqa: E402,F401  (landing registers the post-login page)
