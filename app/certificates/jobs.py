"""Batches of certificates prepared by the worker: a .zip with one PDF each, or one PDF with a page
each. Both draw one document (fonts read and subset once); the zip splits it into single pages.

The job re-checks the organiser's permission when it runs (a role may have been taken away
meanwhile) and prints only live certificates.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from sqlalchemy import select

from app.accounts.models import User
from app.certificates import pdf, services
from app.certificates.models import Certificate, CertificateTemplate
from app.contests.permissions import get_contest, require_contest_manager
from app.errors import Invalid, NotFound
from app.events.permissions import get_event_for_manager
from app.extensions import db
from app.jobs import services as jobs
from app.jobs.models import Job
from app.queue import task

KINDS = {"certificates.zip": "zip", "certificates.pdf": "pdf"}


def start(user: User, kind: str, owner: str, slug: str, title: str, back_url: str) -> Job:
    """Queue a batch for `user` (permission checked by the caller and again by the job)."""
    if kind not in KINDS or owner not in ("contest", "event"):
        raise NotFound("Không có loại tệp này.")
    job = jobs.create(user, kind, title, back_url)
    build_batch(job.id, f"{owner}:{slug}")
    return job


@task()
def build_batch(job_id: str, key: str) -> None:
    jobs.run(job_id, lambda job, progress, folder: _build(job, key, progress, folder))


def _live_certificates(user: User, key: str) -> tuple[list[Certificate], str, CertificateTemplate]:
    owner, _, slug = key.partition(":")
    stmt = select(Certificate).where(Certificate.revoked_at.is_(None))
    if owner == "event":
        event = get_event_for_manager(user, slug)
        template = services.template_for(event=event)
        stmt = stmt.where(Certificate.event_id == event.id)
        name = event.slug
    else:
        contest = get_contest(slug)
        require_contest_manager(user, contest)
        template = services.template_for(contest=contest)
        stmt = stmt.where(Certificate.contest_id == contest.id, Certificate.event_id.is_(None))
        name = contest.slug
    rows = list(db.session.scalars(stmt.order_by(Certificate.kind, Certificate.full_name, Certificate.id)))
    return rows, name, template


def _build(job: Job, key: str, progress: jobs.Progress, folder: Path) -> str:
    user = db.session.get(User, job.user_id)
    if user is None or not user.is_active:
        raise NotFound("Tài khoản yêu cầu tệp không còn hoạt động.")
    progress.stage("Đang đọc danh sách giấy chứng nhận")
    certificates, name, template = _live_certificates(user, key)
    if not certificates:
        raise Invalid("Chưa có giấy chứng nhận nào còn hiệu lực để tải.")
    seal = services.seal_file(template)
    layout = pdf.layout_of(template, seal)
    progress.stage("Đang tạo giấy chứng nhận", len(certificates))
    pages = [pdf.page_of(certificate) for certificate in certificates]
    # One document for the whole batch (fonts read and subset once), drawn page by page.
    document = pdf.render_pages(pages, layout, on_page=progress.advance)
    if KINDS[job.kind] == "pdf":
        filename = f"giay-chung-nhan-{name}.pdf"
        (folder / filename).write_bytes(document)
        return filename
    filename = f"giay-chung-nhan-{name}.zip"
    progress.stage("Đang đóng gói từng tệp", len(certificates))
    with zipfile.ZipFile(folder / filename, "w", zipfile.ZIP_DEFLATED) as archive:
        for done, (certificate, single) in enumerate(
            zip(certificates, pdf.split_pages(document), strict=True), 1
        ):
            archive.writestr(services.file_name(certificate), single)
            progress.advance(done)
    return filename
