"""The live final (SPEC §4): stage console, judges' phones that follow the stage, the projector, the
audience vote and the minutes."""

from flask import Blueprint

bp = Blueprint("live", __name__)

from app.live import judge_views, minutes_views, views, vote_views  # noqa: E402,F401  (routes)
