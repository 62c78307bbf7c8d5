"""Judging: rounds, rubrics, assignment, scoring, results (SPEC §4)."""

from flask import Blueprint

bp = Blueprint("judging", __name__)
