"""Mail goes through the queue: retried with back-off while the SMTP server says "try later",
kept for the Sở's organisers when it is refused for good or never gets through, sent again from
their list."""

from __future__ import annotations

from email import message_from_bytes, policy

from sqlalchemy import select

from app.extensions import db
from app.mail.models import MailFailure
from app.mail.services import MAIL_RETRIES, send_email
from tests.conftest import csrf_from
from tests.jobs.conftest import free_port

TRY_LATER = "451 4.3.0 Hệ thống bận, thử lại sau"


def send_one(to: str = "an@example.vn") -> None:
    send_email(
        to,
        "Xác nhận đã nộp hồ sơ dự thi khởi nghiệp đổi mới sáng tạo",
        "mail/verify_email.txt",
        user={"full_name": "Nguyễn Văn An"},
        hours=72,
        token="ma-thu",
    )


def failures() -> list[MailFailure]:
    return list(db.session.scalars(select(MailFailure).order_by(MailFailure.id)))


def test_a_mail_that_fails_twice_then_succeeds_is_sent_once(app, worker, smtp_server):
    server = smtp_server([TRY_LATER, TRY_LATER])
    send_one()
    assert server.received == []  # queued, not sent inside the request
    worker.drain()
    assert len(server.received) == 1
    message = message_from_bytes(server.received[0], policy=policy.default)
    assert message["To"] == "an@example.vn"
    assert message["Subject"] == "Xác nhận đã nộp hồ sơ dự thi khởi nghiệp đổi mới sáng tạo"
    assert worker.runs == 3
    assert worker.delays == [60, 120]  # back-off: each wait doubles
    assert failures() == []


def test_a_refused_recipient_is_not_retried_and_is_listed(app, worker, smtp_server):
    server = smtp_server(["550 5.1.1 Hộp thư không tồn tại"])
    send_one("khong-ton-tai@example.vn")
    worker.drain()
    assert server.received == [] and worker.runs == 1
    [failure] = failures()
    assert failure.email == "khong-ton-tai@example.vn" and failure.permanent and failure.attempts == 1
    assert "550" in failure.error


def test_a_server_that_never_answers_gives_up_after_every_retry(app, worker, smtp_server):
    app.config.update(MAIL_CAPTURE=False, SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_STARTTLS=False)
    send_one()
    worker.drain()
    assert worker.runs == MAIL_RETRIES + 1
    assert worker.delays == [60 * 2**i for i in range(MAIL_RETRIES)]
    [failure] = failures()
    assert not failure.permanent and failure.attempts == MAIL_RETRIES + 1
    assert "Không kết nối được máy chủ thư" in failure.error


def test_organisers_see_the_failures_and_send_one_again(app, worker, smtp_server, client, make_user, login):
    make_user("so@example.vn", roles=("organiser",))
    make_user("btc-tinh-doan@example.vn", roles=("organiser",))
    server = smtp_server(["550 5.1.1 Hộp thư không tồn tại"])
    send_one("sai-dia-chi@example.vn")
    worker.drain()
    [failure] = failures()

    login("so@example.vn")
    page = client.get("/quan-tri/thu-khong-gui-duoc")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "sai-dia-chi@example.vn" in html and "bị từ chối hẳn" in html
    assert "Thư không gửi được (1)" in client.get("/bao-cao").get_data(as_text=True)

    token = csrf_from(html)
    bad = client.post(
        f"/quan-tri/thu-khong-gui-duoc/{failure.id}", data={"csrf_token": token, "thao-tac": "xoa-het"}
    )
    assert bad.status_code == 422
    gone = client.post(
        "/quan-tri/thu-khong-gui-duoc/999999", data={"csrf_token": token, "thao-tac": "gui-lai"}
    )
    assert gone.status_code == 404
    again = client.post(
        f"/quan-tri/thu-khong-gui-duoc/{failure.id}", data={"csrf_token": token, "thao-tac": "gui-lai"}
    )
    assert again.status_code == 303
    assert failures() == []
    worker.drain()  # the server now accepts it
    assert len(server.received) == 1
    assert message_from_bytes(server.received[0], policy=policy.default)["To"] == "sai-dia-chi@example.vn"
