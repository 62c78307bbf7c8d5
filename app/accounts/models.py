"""Users, their roles, one-time tokens and login attempts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.validation import format_phone
from app.extensions import Model
from app.localtime import utcnow
from app.text import fold, phone_search_forms
from app.types import UTCDateTime


class Role(StrEnum):
    APPLICANT = "applicant"
    JUDGE = "judge"
    ORGANISER = "organiser"
    CHECKIN = "checkin_staff"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.APPLICANT: _l("Thí sinh"),
    Role.JUDGE: _l("Giám khảo"),
    Role.ORGANISER: _l("Ban tổ chức"),
    Role.CHECKIN: _l("Tình nguyện viên check-in"),
    Role.ADMIN: _l("Quản trị hệ thống"),
}


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(120))
    # Stored lower-cased and NFC: the unique constraint then catches "An@X.vn" vs "an@x.vn".
    email: Mapped[str] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(16))  # E.164, e.g. +84912345678
    password_hash: Mapped[str] = mapped_column(String(255))
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    is_active_account: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped on password change so other sessions of the same user are logged out.
    session_version: Mapped[int] = mapped_column(default=1)
    # Accent-folded name, email and phone for the admins' search (app.text.fold), kept in step by
    # the mapper events below, so "nguyen van" finds "Nguyễn Văn" on SQLite and PostgreSQL alike.
    search_text: Mapped[str] = mapped_column(String(400), default="")

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.is_active_account

    # The key of the signed-in device's UserSession (not a column): set by accounts.services when
    # a session starts or is loaded, and carried in the session and remember-me cookies.
    session_key = None  # type: str | None  # (not a column: the raw key of this browser's session)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}:{self.session_key or ''}"

    @property
    def roles(self) -> set[Role]:
        return {Role(row.role) for row in self.role_rows}

    def has_role(self, *roles: Role) -> bool:
        mine = self.roles
        return Role.ADMIN in mine or any(role in mine for role in roles)

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def phone_display(self) -> str:
        return format_phone(self.phone)


@event.listens_for(User, "before_insert")
@event.listens_for(User, "before_update")
def _refresh_search_text(_mapper, _connection, user: User) -> None:
    user.search_text = " | ".join(
        p for p in (fold(user.full_name), user.email or "", phone_search_forms(user.phone)) if p
    )[:400]


class UserRole(Model):
    __tablename__ = "user_roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="role_rows")

    __table_args__ = (UniqueConstraint("user_id", "role"),)


class AccountToken(Model):
    """A single-use, expiring token mailed to the user. Only its SHA-256 is stored."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # verify_email | reset_password
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class UserSession(Model):
    """One signed-in browser. Its cookies carry a random key; only the key's SHA-256 is stored.

    Flask's session cookie is signed, not stored, so without this row a copied cookie (or the
    one-year remember-me cookie) would outlive logging out. Logging out sets `ended_at`; the user
    loader accepts a cookie only while its row is open.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LoginAttempt(Model):
    """Failed and successful logins, for throttling and for the admins' eyes."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(45))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "at"),
        Index("ix_login_attempts_ip_at", "ip", "at"),
    )
