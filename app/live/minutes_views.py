"""The minutes of a live final: a print-ready page (A4 landscape, see static/css/minutes.css) and the
same record as an .xlsx in the government layout. Organisers of the contest only; a round that is not
live has no minutes (404)."""

from __future__ import annotations

import tempfile

from flask import render_template, send_file
from flask_login import current_user

from app.accounts.access import role_required
from app.accounts.models import Role
from app.judging import scoring
from app.live import bp, minutes, services

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/truc-tiep/vong/<int:round_id>/bien-ban", endpoint="minutes")
@role_required(Role.ORGANISER)
def minutes_page(round_id: int):
    round_, stage = services.stage_for_organiser(current_user, round_id)
    data = minutes.minutes_data(round_, stage)
    return render_template(
        "live/minutes.html",
        round=round_,
        stage=stage,
        m=data,
        info=minutes.info_items(data),
        score=scoring.format_score,
        sign_note=minutes.SIGN_NOTE,
    )


@bp.get("/truc-tiep/vong/<int:round_id>/bien-ban.xlsx")
@role_required(Role.ORGANISER)
def minutes_xlsx(round_id: int):
    round_, stage = services.stage_for_organiser(current_user, round_id)
    data = minutes.minutes_data(round_, stage)
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (send_file closes it)
    minutes.write_minutes(data, spool)
    spool.seek(0)
    return send_file(spool, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=data.filename)
