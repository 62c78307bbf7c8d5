"""Exhibitor booths at a festival: applications, review, the floor plan, allocation and passes."""

from flask import Blueprint

bp = Blueprint("booths", __name__)

from app.booths import floor_views, views  # noqa: E402,F401  (the routes register themselves on bp)
