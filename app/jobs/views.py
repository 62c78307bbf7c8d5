"""A person's jobs: the list, one job's page with its progress bar, its state as JSON (polled by the
page), and its file — for the person who asked only."""

from __future__ import annotations

from flask import jsonify, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.jobs import bp, services
from app.jobs.models import DONE, STATUS_LABELS, Job
from app.localtime import format_datetime


def _state(job: Job) -> dict[str, object]:
    """What the job page shows, as the page's script receives it every second."""
    done = job.status == DONE
    return {
        "status": job.status,
        "label": str(STATUS_LABELS[job.status]),
        "stage": "" if job.finished else job.stage,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "error": job.error,
        "download_url": url_for("jobs.download", job_id=job.id) if done else None,
        "download_label": _("Tải tệp %(name)s", name=job.filename) if done else "",
        "expires_note": (
            _("Tệp được giữ đến %(at)s, chỉ bạn tải được.", at=format_datetime(job.expires_at))
            if done and job.expires_at
            else ""
        ),
    }


@bp.get("")
@login_required
def index():
    return render_template("jobs/index.html", jobs=services.recent(current_user), labels=STATUS_LABELS)


@bp.get("/<job_id>")
@login_required
def show(job_id: str):
    job = services.for_owner(current_user, job_id)
    return render_template("jobs/show.html", job=job, state=_state(job), labels=STATUS_LABELS)


@bp.get("/<job_id>/trang-thai")
@login_required
def state(job_id: str):
    job = services.for_owner(current_user, job_id)
    response = jsonify(_state(job))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<job_id>/tai-ve")
@login_required
def download(job_id: str):
    job = services.for_owner(current_user, job_id)
    path = services.file_of(job)
    response = send_file(path, as_attachment=True, download_name=job.filename, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
