"""Big exports and the annual report are prepared by the worker (issue 11): a GET never starts work,
the POST queues a job, its page shows the progress, and only the person who asked downloads the file,
for a limited time. In the tests the queue runs each task at once (JOBS_IMMEDIATE); the tests under
tests/jobs drive it the way the worker does."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select

from app.accounts.models import Role, User
from app.accounts.services import set_roles
from app.extensions import db
from app.jobs import services as jobs
from app.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job
from app.localtime import utcnow
from tests.conftest import csrf_from

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def start(client, url: str):
    """What the organiser does: open the download, press "Chuẩn bị tệp"; returns the job page."""
    offer = client.get(url)
    assert offer.status_code == 200 and offer.mimetype == "text/html"
    html = offer.get_data(as_text=True)
    assert "Chuẩn bị tệp" in html
    started = client.post(url, data={"csrf_token": csrf_from(html)})
    assert started.status_code == 303
    assert started.headers["Location"].startswith("/cong-viec/")
    return started.headers["Location"]


def the_job() -> Job:
    return db.session.scalars(select(Job)).one()


def test_a_big_attendance_export_runs_as_a_job_for_its_owner_only(world, app, client, login, make_user):
    app.config["EXPORT_JOB_ROWS"] = 3  # the event has 5 attendees and their check-ins
    login("btc@example.vn")
    url = f"/bao-cao/su-kien/{world.event.slug}/tham-du.xlsx"
    job_url = start(client, url)
    page = client.get(job_url).get_data(as_text=True)
    assert "Đã xong" in page and 'value="100"' in page and "Tải tệp" in page
    state = client.get(f"{job_url}/trang-thai").get_json()
    assert state["status"] == "done" and state["percent"] == 100
    job = the_job()
    assert job.total and job.done == job.total  # every row written was counted
    download = client.get(state["download_url"])
    assert download.status_code == 200 and download.mimetype == XLSX
    assert download.headers["Cache-Control"] == "private, no-store"
    assert load_workbook(io.BytesIO(download.data)).sheetnames == ["Đăng ký", "Theo giờ và cổng", "Check-in"]
    assert "Đăng ký và check-in" in client.get("/cong-viec").get_data(as_text=True)

    # Another organiser of the same event (here: an admin-made Sở account) is refused the file.
    make_user("so2@example.vn", roles=("organiser",))
    client.post(
        "/tai-khoan/dang-xuat",
        data={"csrf_token": csrf_from(client.get("/cong-viec").get_data(as_text=True))},
    )
    login("so2@example.vn")
    for path in (job_url, f"{job_url}/trang-thai", state["download_url"]):
        refused = client.get(path)
        assert refused.status_code == 403, path
    assert "chỉ người yêu cầu mới tải được" in client.get(state["download_url"]).get_data(as_text=True)
    assert client.get("/cong-viec/khong-co-cong-viec-nay").status_code == 404
    assert "Đăng ký và check-in" not in client.get("/cong-viec").get_data(as_text=True)


def test_a_small_export_is_still_sent_at_once(world, client, login):
    login("btc@example.vn")
    response = client.get(f"/bao-cao/su-kien/{world.event.slug}/tham-du.xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX
    assert db.session.scalars(select(Job)).all() == []


def test_the_annual_report_is_always_a_job(world, client, login):
    login("btc@example.vn")
    job_url = start(client, "/bao-cao/nam/2024.xlsx")
    state = client.get(f"{job_url}/trang-thai").get_json()
    assert state["status"] == "done", state
    workbook = load_workbook(io.BytesIO(client.get(state["download_url"]).data))
    assert len(workbook.sheetnames) > 3
    # The annual page's button posts straight away.
    page = client.get("/bao-cao/nam/2024").get_data(as_text=True)
    assert 'method="post" action="/bao-cao/nam/2024.xlsx"' in page


def test_a_post_without_its_form_token_starts_nothing(world, client, login):
    login("btc@example.vn")
    assert client.post("/bao-cao/nam/2024.xlsx").status_code == 400
    assert db.session.scalars(select(Job)).all() == []


def test_the_entries_export_past_the_threshold_is_a_job(world, app, client, login):
    app.config["EXPORT_JOB_ROWS"] = 2
    login("btc@example.vn")
    job_url = start(client, f"/bao-cao/cuoc-thi/{world.contest.slug}/ho-so.xlsx")
    state = client.get(f"{job_url}/trang-thai").get_json()
    assert state["status"] == "done"
    assert load_workbook(io.BytesIO(client.get(state["download_url"]).data)).sheetnames[0]


def test_a_job_whose_owner_lost_the_right_fails_with_the_reason(world, app, make_user):
    organiser = db.session.get(User, world.organiser.id)
    job = jobs.create(organiser, "export.report", "Báo cáo tổng hợp năm 2024")
    admin = make_user("admin@example.vn", roles=("admin",))
    set_roles(admin, organiser, {Role.APPLICANT.value}, True)  # taken away between the click and the worker
    db.session.commit()
    from app.exports.jobs import build_export

    build_export(job.id, "2024")
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status == FAILED and "Chỉ cán bộ Sở" in job.error
    assert not jobs.job_folder(job.id).exists()
    with app.test_request_context():
        try:
            jobs.file_of(job)
        except Exception as error:  # noqa: BLE001
            assert getattr(error, "status", None) == 409 and "không thành công" in error.message
        else:
            raise AssertionError("a failed job has no file")


def test_expired_files_are_refused_then_removed(world, app, client, login):
    login("btc@example.vn")
    job_url = start(client, "/bao-cao/nam/2024.xlsx")
    job = the_job()
    folder = jobs.job_folder(job.id)
    assert any(folder.iterdir())
    job.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    expired = client.get(f"{job_url}/tai-ve")
    assert expired.status_code == 404 and "hết hạn" in expired.get_data(as_text=True)
    assert jobs.purge_expired() == 1
    assert not folder.exists() and db.session.scalars(select(Job)).all() == []
    assert client.get(job_url).status_code == 404


def test_a_job_whose_worker_died_is_failed_by_the_clean_up(world, app):
    organiser = db.session.get(User, world.organiser.id)
    running = jobs.create(organiser, "export.report", "Báo cáo năm 2024")
    waiting = jobs.create(organiser, "export.report", "Báo cáo năm 2025")
    running.status, running.updated_at = RUNNING, utcnow() - timedelta(minutes=11)
    waiting.status, waiting.updated_at = (
        QUEUED,
        utcnow() - timedelta(minutes=30),
    )  # may still be behind others
    stray = Path(app.config["JOB_DIR"]) / "thu-muc-khong-con-cong-viec"
    stray.mkdir(parents=True)
    db.session.commit()
    jobs.purge_expired()
    db.session.expire_all()
    assert db.session.get(Job, running.id).status == FAILED
    assert "gián đoạn" in db.session.get(Job, running.id).error
    assert db.session.get(Job, waiting.id).status == QUEUED
    assert not stray.exists()


def test_a_job_that_already_ran_is_not_run_again(world):
    organiser = db.session.get(User, world.organiser.id)
    job = jobs.create(organiser, "export.report", "Báo cáo năm 2024")
    from app.exports.jobs import build_export

    build_export(job.id, "2024")
    db.session.expire_all()  # the task ran in a session of its own
    first = db.session.get(Job, job.id).finished_at
    assert first is not None
    build_export(job.id, "2024")  # a second delivery of the same task
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == DONE and db.session.get(Job, job.id).finished_at == first
