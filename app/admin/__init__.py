"""Administration: users and roles; backups and restore (backup.py, cli.py)."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/quan-tri")

from app.admin import views  # noqa: E402,F401
