"""Mail the SMTP server refused for good, or that still failed after every retry: listed for the
Sở's organisers (who can send it again or drop it) and deleted after MAIL_FAILURE_DAYS."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.localtime import utcnow
from app.types import UTCDateTime


class MailFailure(Model):
    __tablename__ = "mail_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)  # the recipient
    subject: Mapped[str] = mapped_column(String(500))
    message: Mapped[bytes] = mapped_column(LargeBinary)  # the whole message, to send it again as it was
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer)
    permanent: Mapped[bool] = mapped_column(
        default=False
    )  # refused by the server (5xx): retrying is pointless
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
