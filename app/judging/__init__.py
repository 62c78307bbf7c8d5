"""Judging: rounds, rubrics, assignment, scoring, results (SPEC §4)."""

from flask import Blueprint

bp = Blueprint("judging", __name__, url_prefix="/cham-diem")

from app.judging import public, sheet_views, views  # noqa: E402,F401
