"""Contests, entries, teams, dossiers and screening (SPEC §3)."""

from flask import Blueprint

bp = Blueprint("contests", __name__)
