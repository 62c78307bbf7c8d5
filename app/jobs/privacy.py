"""What the queue keeps about a person: the files they asked for (jobs) and mail to their address that
could not be delivered. Both are short-lived (JOB_FILE_HOURS, MAIL_FAILURE_DAYS); erasure deletes them
now, files included, after the erasure is committed."""

from __future__ import annotations

import shutil
from typing import Any

from sqlalchemy import delete, select

from app.accounts.models import User
from app.database import rowcount
from app.extensions import db
from app.jobs.models import STATUS_LABELS, Job
from app.jobs.services import job_folder
from app.mail.models import MailFailure
from app.privacy.registry import Erasure, Holder, iso, register


def export_queue_data(user: User, limit: int | None = None) -> dict[str, Any]:
    jobs = db.session.scalars(
        select(Job).where(Job.user_id == user.id).order_by(Job.created_at.desc()).limit(limit)
    )
    failures = db.session.scalars(
        select(MailFailure)
        .where(MailFailure.email == user.email)
        .order_by(MailFailure.failed_at.desc())
        .limit(limit)
    )
    return {
        "tep_da_yeu_cau": [
            {
                "cong_viec": j.title,
                "yeu_cau_luc": iso(j.created_at),
                "trang_thai": str(STATUS_LABELS[j.status]),
            }
            for j in jobs
        ],
        "thu_chua_gui_duoc": [
            {"tieu_de": f.subject, "luc": iso(f.failed_at), "loi": f.error} for f in failures
        ],
    }


def erase_queue_data(_actor: User | None, user: User) -> Erasure:
    job_ids = list(db.session.scalars(select(Job.id).where(Job.user_id == user.id)))
    failures = db.session.execute(delete(MailFailure).where(MailFailure.email == user.email))
    if job_ids:
        db.session.execute(delete(Job).where(Job.id.in_(job_ids)))
    done = []
    if job_ids:
        done.append(f"{len(job_ids)} tệp bạn đã yêu cầu tải")
    removed = rowcount(failures)
    if removed:
        done.append(f"{removed} thư chưa gửi được tới địa chỉ của bạn")
    folders = [job_folder(job_id) for job_id in job_ids]

    def remove_files() -> None:
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)

    return Erasure(done, after_commit=[remove_files])


register(
    Holder(
        key="cong_viec_nen",
        title="Tệp đã yêu cầu và thư chưa gửi được",
        models=(Job, MailFailure),
        export=export_queue_data,
        erase=erase_queue_data,
        erases="Các tệp bạn đã yêu cầu tải và thư chưa gửi được tới địa chỉ của bạn.",
        keeps="Không giữ lại gì.",
        labels={"tep_da_yeu_cau": "Tệp đã yêu cầu", "thu_chua_gui_duoc": "Thư chưa gửi được"},
        order=90,
    )
)
