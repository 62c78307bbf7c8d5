"""Jobs: start one for a person, report its progress from the worker, hand its file to its owner
only, and clear what has expired.

A job's work is a function `work(job, progress, folder) -> filename` given by the package that
owns the subject (exports builds workbooks); `run` turns what happens into the job's state. Progress
is written through a connection of its own, so the work's long read (a server-side cursor on
PostgreSQL) is never interrupted by a commit, and at most twice a second.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from flask import current_app
from huey import crontab
from sqlalchemy import and_, delete, or_, select, update

from app.accounts.models import User
from app.errors import Conflict, DomainError, NotFound, PermissionDenied
from app.extensions import db
from app.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job
from app.localtime import utcnow
from app.mail.services import purge_failures
from app.queue import periodic
from app.tokens import new_token

# A running job writes its progress every half second while it writes its file (and its longest
# silent step, reading 200,000 rows, takes seconds): one silent this long lost its worker (restart,
# crash). A queued job may wait behind others, so it is given much longer.
RUNNING_STALE_AFTER = timedelta(minutes=10)
QUEUED_STALE_AFTER = timedelta(hours=6)


def create(user: User, kind: str, title: str, back_url: str = "") -> Job:
    """A queued job for `user` (committed: the task that runs it may start at once elsewhere)."""
    job = Job(id=new_token(24), user_id=user.id, kind=kind, title=title[:300], back_url=back_url[:500])
    db.session.add(job)
    db.session.commit()
    return job


def for_owner(user: User, job_id: str) -> Job:
    """The job, for the person who asked for it; anyone else is refused (even an admin: the file
    may hold personal data the other person was never shown)."""
    job = db.session.get(Job, job_id[:43])
    if job is None:
        raise NotFound("Không tìm thấy công việc này (có thể đã hết hạn và được xoá).")
    if job.user_id != user.id:
        raise PermissionDenied("Tệp này do người khác yêu cầu; chỉ người yêu cầu mới tải được.")
    return job


def file_of(job: Job) -> Path:
    """The job's finished file, or a clear refusal."""
    if job.status == FAILED:
        raise Conflict(f"Công việc không thành công: {job.error}")
    if job.status != DONE:
        raise Conflict("Tệp chưa sẵn sàng; vui lòng đợi thanh tiến độ đến 100%.")
    path = job_folder(job.id) / job.filename
    if (job.expires_at and job.expires_at <= utcnow()) or not path.is_file():
        raise NotFound("Tệp đã hết hạn và được xoá; vui lòng tạo lại.")
    return path


def recent(user: User, limit: int = 20) -> list[Job]:
    stmt = select(Job).where(Job.user_id == user.id).order_by(Job.created_at.desc()).limit(limit)
    return list(db.session.scalars(stmt))


def job_folder(job_id: str) -> Path:
    return Path(current_app.config["JOB_DIR"]) / job_id


class Progress:
    """Told by the work how far it has got; writes it to the job's row now and then."""

    def __init__(self, job_id: str, interval: float = 0.5) -> None:
        self.job_id = job_id
        self.interval = interval
        self.done = 0
        self.total: int | None = None
        self._written = 0.0

    def stage(self, text: str, total: int | None = None) -> None:
        """A new step ("Đang đọc dữ liệu", "Đang ghi tệp"): always written."""
        self.done, self.total = 0, total
        self._write(stage=text[:200])

    def advance(self, done: int) -> None:
        self.done = done
        if time.monotonic() - self._written >= self.interval:
            self._write()

    def _write(self, **values: object) -> None:
        self._written = time.monotonic()
        with db.engine.begin() as connection:
            connection.execute(
                update(Job)
                .where(Job.id == self.job_id)
                .values(done=self.done, total=self.total, updated_at=utcnow(), **values)
            )


def run(job_id: str, work: Callable[[Job, Progress, Path], str]) -> None:
    """Run `work` for a queued job and record the outcome. A rule that says no (DomainError) fails
    the job with its message; anything else fails it with a general one (and is logged)."""
    job = db.session.get(Job, job_id)
    if job is None or job.status != QUEUED:
        return  # deleted meanwhile, or a second delivery of the same task
    job.status, job.updated_at = RUNNING, utcnow()
    db.session.commit()
    folder = job_folder(job.id)
    folder.mkdir(parents=True, exist_ok=True)
    progress = Progress(job.id)
    try:
        filename = work(job, progress, folder)
    except DomainError as error:
        db.session.rollback()
        _finish(job_id, FAILED, error=error.message)
    except Exception:
        db.session.rollback()
        current_app.logger.exception("Công việc %s (%s) lỗi", job_id, job.kind)
        _finish(
            job_id,
            FAILED,
            error="Có lỗi khi chuẩn bị tệp. Vui lòng thử lại; nếu vẫn lỗi, báo quản trị hệ thống.",
        )
    else:
        size = (folder / filename).stat().st_size
        _finish(job_id, DONE, filename=filename, size=size, done=progress.total or progress.done)


def _finish(job_id: str, status: str, **values: object) -> None:
    now = utcnow()
    hours = current_app.config["JOB_FILE_HOURS"]
    db.session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(
            status=status, finished_at=now, updated_at=now, expires_at=now + timedelta(hours=hours), **values
        )
    )
    db.session.commit()
    if status == FAILED:
        shutil.rmtree(job_folder(job_id), ignore_errors=True)


def purge_expired() -> int:
    """Delete expired jobs with their files, fail jobs whose worker died (or that waited too long),
    remove orphan folders."""
    now = utcnow()
    stale = or_(
        and_(Job.status == RUNNING, Job.updated_at < now - RUNNING_STALE_AFTER),
        and_(Job.status == QUEUED, Job.updated_at < now - QUEUED_STALE_AFTER),
    )
    db.session.execute(
        update(Job)
        .where(stale)
        .values(
            status=FAILED,
            error="Công việc bị gián đoạn (máy chủ khởi động lại). Vui lòng tạo lại.",
            finished_at=now,
            expires_at=now + timedelta(hours=current_app.config["JOB_FILE_HOURS"]),
        )
    )
    expired = list(db.session.scalars(select(Job.id).where(Job.expires_at < now)))
    if expired:
        db.session.execute(delete(Job).where(Job.id.in_(expired)))
    db.session.commit()
    root = Path(current_app.config["JOB_DIR"])
    if root.is_dir():
        alive = set(db.session.scalars(select(Job.id)))
        for folder in root.iterdir():
            if folder.is_dir() and folder.name not in alive:
                shutil.rmtree(folder, ignore_errors=True)
    return len(expired)


@periodic(crontab(minute="*/15"))
def clean_up() -> None:
    """Every 15 minutes in the worker: expired job files, interrupted jobs, old mail failures."""
    purge_expired()
    purge_failures()
