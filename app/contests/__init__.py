"""Contests, entries, teams, dossiers and screening (SPEC §3)."""

from flask import Blueprint

bp = Blueprint("contests", __name__)

from app.contests import views  # noqa: E402,F401
