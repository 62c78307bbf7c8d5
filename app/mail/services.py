"""The one way the platform sends email: rendered in the request, delivered by the task queue.

`send_email` renders the message where the data is (the request or the service that decided to
write) and hands it to the queue; the worker delivers it. When the SMTP server is down or answers
"try later" (4xx), the delivery is retried with back-off (1, 2, 4, 8, 16 minutes); when it refuses
for good (5xx: no such mailbox) or every retry failed, the message is kept in `mail_failures`, listed
for the Sở's organisers, who can send it again. Nothing here raises into the caller's action.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import smtplib
import uuid
from datetime import timedelta
from email import message_from_bytes
from email.header import Header
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from sqlalchemy import delete, func, select

from app.database import page_of, rowcount
from app.errors import NotFound
from app.extensions import db
from app.localtime import utcnow
from app.mail.models import MailFailure
from app.queue import task

# Delivery attempts after the first, and the wait before the first retry (doubled each time).
MAIL_RETRIES = 5
MAIL_RETRY_SECONDS = 60


class _MailPolicy(EmailPolicy):
    """The standard policy, except how a non-ASCII subject is folded.

    Python's folder (3.11) can put the space between two words *outside* the encoded words at a
    fold, where RFC 2047 says a reader drops it: "khởi nghiệp đổi mới" arrived as "khởi
    nghiệpđổi mới". `email.header.Header` keeps every space inside an encoded word (the folding
    whitespace between encoded words carries nothing), so the subject decodes back exactly.
    """

    def _subject(self, name: str, value: str) -> str | None:
        text = str(value)
        if name.lower() != "subject" or text.isascii():
            return None
        encoded = Header(text, "utf-8", header_name=name).encode(linesep=self.linesep)
        return f"{name}: {encoded}{self.linesep}"

    def fold(self, name: str, value: str) -> str:
        folded = self._subject(name, value)
        return folded if folded is not None else super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        folded = self._subject(name, value)
        return folded.encode("ascii") if folded is not None else super().fold_binary(name, value)


MAIL_POLICY = _MailPolicy()


def outbox() -> list[EmailMessage]:
    """Messages captured in memory when MAIL_CAPTURE is on (tests)."""
    box: list[EmailMessage] = current_app.extensions.setdefault("mail_outbox", [])
    return box


def send_email(to: str, subject: str, template: str, **context: object) -> bool:
    """Render `template` (plain text, Vietnamese) and queue it for delivery. Returns True once
    queued; delivery problems are handled by the worker (retries, then the failures list)."""
    # Links in mail come from `absolute_url` (BASE_URL), never from the request's Host header.
    body = render_template(template, **context)
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="kndmst.local")
    message.set_content(body)
    deliver(message)
    return True


FAILURES_PAGE_SIZE = 50


def failures_page(page: int) -> tuple[list[MailFailure], int]:
    """Undelivered mail, newest first, one page of it, and how many there are."""
    return page_of(
        select(MailFailure).order_by(MailFailure.failed_at.desc(), MailFailure.id.desc()),
        page,
        FAILURES_PAGE_SIZE,
    )


def failure_count() -> int:
    return db.session.scalar(select(func.count()).select_from(MailFailure)) or 0


def get_failure(failure_id: int) -> MailFailure:
    failure = db.session.get(MailFailure, failure_id)
    if failure is None:
        raise NotFound("Thư này không còn trong danh sách (đã gửi lại hoặc đã xoá).")
    return failure


def resend_failure(failure: MailFailure) -> None:
    """Queue the message again, as it was, and take it off the list (the caller commits)."""
    deliver(_parse(failure.message))
    db.session.delete(failure)


def dismiss_failure(failure: MailFailure) -> None:
    """Take the message off the list without sending it (the caller commits)."""
    db.session.delete(failure)


class PermanentFailure(Exception):
    """The server refused the message for good: retrying cannot help."""


@task(retries=MAIL_RETRIES, retry_delay=MAIL_RETRY_SECONDS, retry_backoff=2, context=True)
def deliver(message: EmailMessage, task: Any = None) -> None:
    """Deliver one message: SMTP when configured, the test outbox, or a .eml file (development)."""
    app = current_app
    if app.config.get("MAIL_CAPTURE"):
        outbox().append(message)
        log_mail("sent", message, transport="capture")
        return
    if not app.config.get("SMTP_HOST"):
        _write_file(message)
        log_mail("sent", message, transport="file")
        return
    attempt = MAIL_RETRIES - (task.retries if task is not None else 0) + 1
    try:
        _smtp_send(message)
    except PermanentFailure as error:
        log_mail("failed", message, transport="smtp", attempt=attempt, error=error.__cause__ or error)
        _record_failure(message, str(error), attempt, permanent=True)
    except (OSError, smtplib.SMTPException) as error:
        last = task is None or task.retries == 0
        log_mail("failed" if last else "retry", message, transport="smtp", attempt=attempt, error=error)
        if last:
            _record_failure(message, _describe(error), attempt, permanent=False)
            return
        raise  # Huey schedules the retry after the back-off
    else:
        log_mail("sent", message, transport="smtp", attempt=attempt)


MAIL_LOG = logging.getLogger("kndmst.mail")
LOG_LEVELS = {"sent": logging.INFO, "retry": logging.WARNING, "failed": logging.ERROR}


def log_mail(
    outcome: str,
    message: EmailMessage,
    *,
    transport: str,
    attempt: int = 1,
    error: BaseException | None = None,
) -> None:
    """One JSON line in the `kndmst.mail` log per message sent, attempt that will be retried, or
    message given up on. Never the body, the subject or the address: the recipient's domain, and
    a keyed hash of the address (HMAC with SECRET_KEY) that finds every line about one person
    without revealing it to whoever reads the log; the Message-ID ties the line to the SMTP
    server's own log. The server's refusal text often quotes the address: only its code is kept
    (the whole text is in `mail_failures`, for the Sở)."""
    address = parseaddr(str(message["To"] or ""))[1].strip().lower()
    fields: dict[str, object] = {
        "event": "mail",
        "outcome": outcome,
        "transport": transport,
        "message_id": str(message["Message-ID"] or ""),
        "to_domain": address.rpartition("@")[2],
        "to_hash": recipient_hash(address),
        "attempt": attempt,
    }
    if error is not None:
        fields["error"] = type(error).__name__
        code = getattr(error, "smtp_code", None)
        if code is None and isinstance(error, smtplib.SMTPRecipientsRefused):
            code = next((c for c, _text in error.recipients.values()), None)
        fields["smtp_code"] = code
    MAIL_LOG.log(LOG_LEVELS[outcome], json.dumps(fields, separators=(",", ":")))


def recipient_hash(address: str) -> str:
    """16 hex characters of HMAC-SHA256(SECRET_KEY, the lower-case address)."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, address.strip().lower().encode(), hashlib.sha256).hexdigest()[:16]


def _smtp_send(message: EmailMessage) -> None:
    config = current_app.config
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=20) as smtp:
        if config.get("SMTP_STARTTLS"):
            smtp.starttls()
        if config.get("SMTP_USER"):
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
        try:
            smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _text in error.recipients.values()]
            if codes and all(code >= 500 for code in codes):
                raise PermanentFailure(_describe(error)) from error
            raise
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            if error.smtp_code >= 500:
                raise PermanentFailure(_describe(error)) from error
            raise


def _describe(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        parts = [f"{code} {_text(text)}" for code, text in error.recipients.values()]
        return "Máy chủ thư từ chối người nhận: " + "; ".join(parts)
    if isinstance(error, smtplib.SMTPResponseException):
        return f"Máy chủ thư trả lời {error.smtp_code}: {_text(error.smtp_error)}"
    if isinstance(error, PermanentFailure):
        return str(error)
    return f"Không kết nối được máy chủ thư: {error}"


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _record_failure(message: EmailMessage, error: str, attempts: int, *, permanent: bool) -> None:
    db.session.add(
        MailFailure(
            email=str(message["To"] or "")[:320],
            subject=str(message["Subject"] or "")[:500],
            message=bytes(message),
            error=error[:2000],
            attempts=attempts,
            permanent=permanent,
        )
    )
    db.session.commit()


def _parse(raw: bytes) -> EmailMessage:
    # An EmailPolicy builds an EmailMessage (typeshed cannot tell from a subclass).
    message: EmailMessage = message_from_bytes(raw, policy=MAIL_POLICY)  # type: ignore[arg-type]
    return message


def _write_file(message: EmailMessage) -> None:
    folder = Path(current_app.config["MAIL_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    to = str(message["To"])
    safe_to = re.sub(r"[^a-zA-Z0-9@._-]", "_", to)
    path = folder / f"{utcnow():%Y%m%d-%H%M%S}-{safe_to}-{uuid.uuid4().hex[:6]}.eml"
    path.write_bytes(bytes(message))


def purge_failures() -> int:
    """Delete failures older than MAIL_FAILURE_DAYS (they hold people's addresses and messages)."""
    cutoff = utcnow() - timedelta(days=current_app.config["MAIL_FAILURE_DAYS"])
    result = db.session.execute(delete(MailFailure).where(MailFailure.failed_at < cutoff))
    db.session.commit()
    return rowcount(result)
