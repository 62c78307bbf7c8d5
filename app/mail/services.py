"""The one way the platform sends email."""

from __future__ import annotations

import re
import smtplib
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app, render_template

from app.localtime import utcnow


def outbox() -> list[EmailMessage]:
    """Messages captured in memory when MAIL_CAPTURE is on (tests)."""
    box: list[EmailMessage] = current_app.extensions.setdefault("mail_outbox", [])
    return box


def send_email(to: str, subject: str, template: str, **context: object) -> bool:
    """Render `template` (plain text, Vietnamese) and deliver it. Never raises on delivery failure:
    the action that triggered the mail has already been committed, and the user can ask again."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the proxy's real app, for the thread
    # Links in mail come from `absolute_url` (BASE_URL), never from the request's Host header.
    body = render_template(template, **context)
    message = EmailMessage()
    message["From"] = app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="kndmst.local")
    message.set_content(body)

    if app.config.get("MAIL_CAPTURE"):
        outbox().append(message)
        return True
    if app.config.get("SMTP_HOST"):
        try:
            with smtplib.SMTP(app.config["SMTP_HOST"], app.config["SMTP_PORT"], timeout=20) as smtp:
                if app.config.get("SMTP_STARTTLS"):
                    smtp.starttls()
                if app.config.get("SMTP_USER"):
                    smtp.login(app.config["SMTP_USER"], app.config["SMTP_PASSWORD"])
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException):
            app.logger.exception("Gửi email tới %s thất bại", to)
            return False
        return True
    folder = Path(app.config["MAIL_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    safe_to = re.sub(r"[^a-zA-Z0-9@._-]", "_", to)
    path = folder / f"{utcnow():%Y%m%d-%H%M%S}-{safe_to}-{uuid.uuid4().hex[:6]}.eml"
    path.write_bytes(bytes(message))
    app.logger.info("Email (không có SMTP) tới %s: %s → %s\n%s", to, subject, path, body)
    return True
