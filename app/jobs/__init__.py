"""Background jobs a person asked for (big exports, the annual report): state, progress bar, the
file kept for its owner only for a limited time. The queue itself is app/queue.py."""

from flask import Blueprint

bp = Blueprint("jobs", __name__, url_prefix="/cong-viec")

from app.jobs import views  # noqa: E402,F401  (routes register on the blueprint)
