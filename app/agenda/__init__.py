"""An event's programme of sessions: the public timetable, session registration with a waitlist,
calendar files, check-in at the room door and attendance per session."""

from flask import Blueprint

bp = Blueprint("agenda", __name__)

from app.agenda import api, views  # noqa: E402,F401  (the routes register themselves on bp)
