"""Certificates (giấy chứng nhận): issued to prize winners, finalists and attendees, printed as PDF
with a verification QR code, and checked by anyone on the public verification page."""

from flask import Blueprint

bp = Blueprint("certificates", __name__)

from app.certificates import views  # noqa: E402,F401  (registers the routes on bp)
