"""Personal data (SPEC §7): consents per purpose, data-subject requests."""

from flask import Blueprint

bp = Blueprint("privacy", __name__, url_prefix="/du-lieu-ca-nhan")

from app.privacy import views  # noqa: E402,F401
