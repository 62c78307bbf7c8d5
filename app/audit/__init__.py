"""Audit log: who did what to which object, when."""

from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/quan-tri/nhat-ky")

from app.audit import views  # noqa: E402,F401
