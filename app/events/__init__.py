"""Events, registrations, QR tickets and check-in (SPEC §5, §9)."""

from flask import Blueprint

bp = Blueprint("events", __name__)

from app.events import api, ticket_views, views  # noqa: E402,F401
