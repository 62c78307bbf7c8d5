"""Programmes: a year's contests and events (contest → final → festival) on one public page."""

from flask import Blueprint

bp = Blueprint("programmes", __name__)

from app.programmes import views  # noqa: E402,F401  (the routes register themselves on bp)
