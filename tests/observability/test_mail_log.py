"""Every mail sent or failed is one line in `kndmst.mail`: the domain and a keyed hash of the address,
never the address, the subject or the body."""

from __future__ import annotations

from app.mail.services import recipient_hash, send_email
from tests.jobs.conftest import free_port

SUBJECT = "Đặt lại mật khẩu tài khoản của Nguyễn Văn An"


def send_one(to: str) -> None:
    send_email(
        to,
        SUBJECT,
        "mail/verify_email.txt",
        user={"full_name": "Nguyễn Văn An"},
        hours=72,
        token="ma-bi-mat-123",
    )


def assert_private(lines: list[dict], address: str) -> None:
    raw = str(lines)
    for secret in (address, address.split("@")[0], "Nguyễn", "mật khẩu", "ma-bi-mat-123"):
        assert secret not in raw


def test_a_captured_mail_is_logged_as_sent(app, log_lines):
    send_one("an.nguyen@example.vn")
    [line] = log_lines("kndmst.mail")
    assert line["outcome"] == "sent" and line["transport"] == "capture"
    assert line["to_domain"] == "example.vn"
    assert line["to_hash"] == recipient_hash("An.Nguyen@example.vn ") and len(line["to_hash"]) == 16
    assert line["message_id"].startswith("<") and line["attempt"] == 1
    assert_private(log_lines("kndmst.mail"), "an.nguyen@example.vn")


def test_a_mail_written_to_a_file_is_logged_without_its_body(app, log_lines, caplog):
    app.config.update(MAIL_CAPTURE=False, SMTP_HOST="")
    send_one("an.nguyen@example.vn")
    [line] = log_lines("kndmst.mail")
    assert line["outcome"] == "sent" and line["transport"] == "file"
    assert "ma-bi-mat-123" not in caplog.text and "an.nguyen" not in caplog.text


def test_smtp_sent_retried_and_failed_are_one_line_each(app, worker, smtp_server, log_lines, caplog):
    smtp_server(["451 4.3.0 Hệ thống bận, thử lại sau"])
    send_one("an.nguyen@example.vn")
    worker.drain()
    assert [(line["outcome"], line["attempt"]) for line in log_lines("kndmst.mail")] == [
        ("retry", 1),
        ("sent", 2),
    ]
    retry = log_lines("kndmst.mail")[0]
    assert retry["error"] == "SMTPRecipientsRefused" or retry["smtp_code"] == 451
    assert_private(log_lines("kndmst.mail"), "an.nguyen@example.vn")
    assert "an.nguyen" not in caplog.text


def test_a_refused_mail_is_logged_as_failed_with_the_code_only(app, worker, smtp_server, log_lines, caplog):
    smtp_server(["550 5.1.1 <khong-ton-tai@example.vn>: Hộp thư không tồn tại"])
    send_one("khong-ton-tai@example.vn")
    worker.drain()
    [line] = log_lines("kndmst.mail")
    assert line["outcome"] == "failed" and line["smtp_code"] == 550
    assert_private([line], "khong-ton-tai@example.vn")
    assert "khong-ton-tai" not in caplog.text  # nor in any other log line


def test_a_server_that_never_answers_ends_in_one_failed_line(app, worker, log_lines):
    app.config.update(MAIL_CAPTURE=False, SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_STARTTLS=False)
    send_one("an.nguyen@example.vn")
    worker.drain()
    outcomes = [line["outcome"] for line in log_lines("kndmst.mail")]
    assert outcomes == ["retry"] * 5 + ["failed"]
    assert log_lines("kndmst.mail")[-1]["error"] == "ConnectionRefusedError"
