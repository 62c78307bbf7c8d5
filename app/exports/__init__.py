"""Excel exports, the annual report and the organisers' dashboard (SPEC §6)."""

from flask import Blueprint

bp = Blueprint("exports", __name__)

from app.exports import views  # noqa: E402,F401
