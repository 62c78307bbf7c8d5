"""Account rules: sign-up, verification, login throttling, password reset, roles. Services commit."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import func, select, update

from app.accounts.models import AccountToken, LoginAttempt, Role, User, UserRole, UserSession
from app.accounts.validation import (
    ValidationFailed,
    check_password_strength,
    normalize_email,
    normalize_name,
    normalize_phone,
)
from app.audit.services import record
from app.database import flush, page_of
from app.errors import Conflict, FieldErrors, Invalid, NotFound, PermissionDenied, TooManyAttempts
from app.extensions import db
from app.localtime import utcnow
from app.mail.services import send_email
from app.text import fold_query, like_pattern
from app.tokens import hash_token, new_token


def _hasher() -> PasswordHasher:
    """Argon2id; the library's RFC 9106 defaults unless the config lowers them (tests only)."""
    cached = current_app.extensions.get("password_hasher")
    if cached is None:
        params = current_app.config.get("ARGON2_PARAMS") or {}
        hasher = PasswordHasher(**params)
        # Verified against when the email is unknown, so both paths cost the same time.
        dummy = hasher.hash("không-phải-mật-khẩu-thật-0")
        cached = current_app.extensions["password_hasher"] = (hasher, dummy)
    return cached[0]


def _dummy_hash() -> str:
    _hasher()
    dummy: str = current_app.extensions["password_hasher"][1]
    return dummy


VERIFY_EMAIL = "verify_email"
RESET_PASSWORD = "reset_password"  # noqa: S105 (a token purpose, not a password)
USERS_PAGE_SIZE = 50
T = TypeVar("T")


def field_value(check: Callable[..., T], value: str, field: str, **kwargs: object) -> T:
    """Run one of accounts.validation's pure checks; its refusal becomes Invalid on the named field.

    The one bridge from `ValidationFailed` to the platform's typed error, for every package."""
    try:
        return check(value, **kwargs)
    except ValidationFailed as exc:
        raise Invalid(str(exc), field=field) from exc


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def _verify_password(user: User | None, password: str) -> bool:
    try:
        _hasher().verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    if user is None:
        return False
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = _hasher().hash(password)
    return True


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("Không tìm thấy người dùng.")
    return user


def find_user_by_email(email: str) -> User | None:
    try:
        normalized = normalize_email(email)
    except ValidationFailed:
        return None
    return db.session.scalar(select(User).where(User.email == normalized))


def start_session(user: User) -> User:
    """Open a server-side session for one browser (commits); hand the user to `login_user`."""
    raw = new_token(24)
    db.session.add(UserSession(user_id=user.id, key_hash=hash_token(raw)))
    db.session.commit()
    user.session_key = raw
    return user


def end_session(user: User) -> None:
    """Logging out: this browser's session and remember-me cookies stop working, even if copied."""
    if user.session_key:
        db.session.execute(
            update(UserSession)
            .where(UserSession.key_hash == hash_token(user.session_key), UserSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )
        db.session.commit()


def _end_all_sessions(user: User) -> None:
    user.session_version = (user.session_version or 1) + 1
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's loader: the id carries the session version (a password change logs every
    device out) and the browser's session key (logging out ends that key server-side)."""
    parts = (session_id or "").split(":")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or not parts[2]:
        return None
    user = db.session.scalar(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            User.id == int(parts[0]),
            UserSession.key_hash == hash_token(parts[2]),
            UserSession.ended_at.is_(None),
        )
    )
    if user is None or user.session_version != int(parts[1]):
        return None
    user.session_key = parts[2]
    return user


def check_signup(full_name: str, email: str, phone: str, password: str) -> tuple[str, str, str]:
    """Every sign-up field checked, every refusal in one `Invalid.many`; the normalised name,
    email and phone when all pass. Writes nothing (the sign-up page also calls it when the form's
    own checks failed, so the person sees every problem in one answer)."""
    errors = FieldErrors()
    name = errors.check(field_value, normalize_name, full_name or "", "full_name") or ""
    email_n = errors.check(field_value, normalize_email, email or "", "email") or ""
    phone_n = errors.check(field_value, normalize_phone, phone or "", "phone") or ""
    errors.check(
        field_value, check_password_strength, password or "", "password", email=email_n, phone=phone_n
    )
    if email_n and db.session.scalar(select(User.id).where(User.email == email_n)) is not None:
        errors.add(
            "email", "Email này đã được dùng để đăng ký. Hãy đăng nhập hoặc dùng chức năng quên mật khẩu."
        )
    errors.raise_if_any()
    return name, email_n, phone_n


def register_user(full_name: str, email: str, phone: str, password: str) -> User:
    """Create an applicant account and mail the verification link."""
    name, email_n, phone_n = check_signup(full_name, email, phone, password)
    user = User(full_name=name, email=email_n, phone=phone_n, password_hash=hash_password(password))
    user.role_rows.append(UserRole(role=Role.APPLICANT.value))
    db.session.add(user)
    flush(Invalid("Email này đã được dùng để đăng ký.", field="email"))  # two sign-ups at the same moment
    raw = _issue_token(user, VERIFY_EMAIL, hours=current_app.config["EMAIL_VERIFY_HOURS"])
    record(user, "user.signup", "user", user.id)
    db.session.commit()
    _mail_verification(user, raw)
    return user


def _mail_verification(user: User, raw: str) -> None:
    send_email(
        user.email,
        "Xác nhận địa chỉ email – Nền tảng KNĐMST Quảng Ngãi",
        "mail/verify_email.txt",
        user=user,
        token=raw,
        hours=current_app.config["EMAIL_VERIFY_HOURS"],
    )


def resend_verification(email: str) -> None:
    """Silently does nothing for unknown or already verified emails (no enumeration)."""
    user = find_user_by_email(email)
    if user is None or user.is_verified:
        return
    raw = _issue_token(user, VERIFY_EMAIL, hours=current_app.config["EMAIL_VERIFY_HOURS"])
    db.session.commit()
    _mail_verification(user, raw)


def _issue_token(user: User, purpose: str, *, hours: int) -> str:
    raw = new_token()
    db.session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=hash_token(raw),
            expires_at=utcnow() + timedelta(hours=hours),
        )
    )
    return raw


def _redeem_token(raw: str, purpose: str, *, consume: bool) -> AccountToken:
    token = db.session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == hash_token(raw), AccountToken.purpose == purpose
        )
    )
    if token is None:
        raise Invalid("Liên kết không hợp lệ. Vui lòng kiểm tra lại email hoặc yêu cầu liên kết mới.")
    if token.used_at is not None:
        raise Invalid("Liên kết này đã được sử dụng. Vui lòng yêu cầu liên kết mới.")
    if token.expires_at <= utcnow():
        raise Invalid("Liên kết đã hết hạn. Vui lòng yêu cầu liên kết mới.")
    if consume:
        token.used_at = utcnow()
    return token


def verify_email(raw: str) -> User:
    token = _redeem_token(raw, VERIFY_EMAIL, consume=True)
    user = token.user
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        record(user, "user.verify_email", "user", user.id)
    db.session.commit()
    return user


def ip_delay_seconds(failures_from_ip: int) -> float:
    """How long a login from an address waits: nothing for the first LOGIN_IP_FREE_FAILURES
    failures in the window, then ½ s doubling with each failure, up to LOGIN_IP_MAX_DELAY_SECONDS.

    A delay, never a refusal: everyone at a venue or behind one school's NAT shares an address, so
    one person guessing must not lock the others out; guessing just becomes slow.
    """
    cfg = current_app.config
    excess = failures_from_ip - cfg["LOGIN_IP_FREE_FAILURES"]
    if excess < 0:
        return 0.0
    return float(min(0.5 * 2 ** min(excess, 16), cfg["LOGIN_IP_MAX_DELAY_SECONDS"]))


def authenticate(email: str, password: str, ip: str) -> User:
    """Log-in check with throttling; one vague message whether the email exists or not.

    An account that failed LOGIN_MAX_FAILURES times in the window is locked for the window (its
    owner is told to wait or reset the password); failures from one address only slow that
    address down (`ip_delay_seconds`), so they never refuse a correct password to another account.
    """
    cfg = current_app.config
    email_key = (email or "").strip().lower()[:254]
    since = utcnow() - timedelta(minutes=cfg["LOGIN_FAILURE_WINDOW_MINUTES"])
    failures_for_email = (
        db.session.scalar(
            select(func.count(LoginAttempt.id)).where(
                LoginAttempt.email == email_key, LoginAttempt.at >= since, ~LoginAttempt.succeeded
            )
        )
        or 0
    )
    failures_from_ip = (
        db.session.scalar(
            select(func.count(LoginAttempt.id)).where(
                LoginAttempt.ip == ip, LoginAttempt.at >= since, ~LoginAttempt.succeeded
            )
        )
        or 0
    )
    if failures_for_email >= cfg["LOGIN_MAX_FAILURES"]:
        raise TooManyAttempts(
            f"Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau "
            f"{cfg['LOGIN_FAILURE_WINDOW_MINUTES']} phút hoặc đặt lại mật khẩu."
        )
    delay = ip_delay_seconds(failures_from_ip)
    if delay:
        db.session.rollback()  # hold no transaction (no SQLite lock) while waiting
        time.sleep(delay)
    user = find_user_by_email(email_key)
    # Verified even for an unknown email (against a dummy hash): both answers cost the same time.
    ok = _verify_password(user, password or "") and user is not None and user.is_active_account
    db.session.add(LoginAttempt(email=email_key, ip=ip or "", succeeded=ok))
    if user is None or not ok:
        db.session.commit()
        raise Invalid("Email hoặc mật khẩu không đúng.", code="bad_credentials")
    if not user.is_verified:
        db.session.commit()
        raise PermissionDenied(
            "Email của bạn chưa được xác nhận. Hãy mở thư xác nhận chúng tôi đã gửi, "
            "hoặc yêu cầu gửi lại thư.",
            code="unverified",
        )
    user.last_login_at = utcnow()
    record(user, "user.login", "user", user.id)
    db.session.commit()
    return user


def request_password_reset(email: str) -> None:
    """Mail a reset link if the account exists; the caller always shows the same message."""
    user = find_user_by_email(email)
    if user is None or not user.is_active_account:
        return
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    raw = _issue_token(user, RESET_PASSWORD, hours=hours)
    record(user, "user.request_reset", "user", user.id)
    db.session.commit()
    send_email(
        user.email,
        "Đặt lại mật khẩu – Nền tảng KNĐMST Quảng Ngãi",
        "mail/reset_password.txt",
        user=user,
        token=raw,
        hours=hours,
    )


def check_reset_token(raw: str) -> User:
    """Validate a reset link without using it up (to show the form)."""
    return _redeem_token(raw, RESET_PASSWORD, consume=False).user


def reset_password(raw: str, new_password: str) -> User:
    token = _redeem_token(raw, RESET_PASSWORD, consume=True)
    user = token.user
    check_new_password(user, new_password, "password")
    _set_password(user, new_password)
    # Every other outstanding reset link of this user dies with this one.
    for other in db.session.scalars(
        select(AccountToken).where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == RESET_PASSWORD,
            AccountToken.used_at.is_(None),
        )
    ):
        other.used_at = utcnow()
    # Reading the link proves the mailbox, so an unverified account becomes verified.
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    record(user, "user.reset_password", "user", user.id)
    db.session.commit()
    return user


def _set_password(user: User, new_password: str) -> None:
    user.password_hash = hash_password(new_password)
    _end_all_sessions(user)


def check_new_password(user: User, new_password: str, field: str = "new_password") -> None:
    """A new password for this account: strong enough and not built from its email or phone."""
    field_value(check_password_strength, new_password or "", field, email=user.email, phone=user.phone or "")


def change_password(user: User, current: str, new_password: str) -> None:
    """Both refusals at once: a wrong current password and a weak new one."""
    errors = FieldErrors()
    if not _verify_password(user, current or ""):
        errors.add("current_password", "Mật khẩu hiện tại không đúng.")
    elif current == new_password:
        errors.add("new_password", "Mật khẩu mới phải khác mật khẩu hiện tại.")
    errors.check(check_new_password, user, new_password)
    errors.raise_if_any()
    _set_password(user, new_password)
    record(user, "user.change_password", "user", user.id)
    db.session.commit()


def check_profile(full_name: str, phone: str) -> tuple[str, str]:
    """The account's name and mobile, normalised; both refusals in one `Invalid.many`."""
    errors = FieldErrors()
    name = errors.check(field_value, normalize_name, full_name or "", "full_name") or ""
    phone_n = errors.check(field_value, normalize_phone, phone or "", "phone") or ""
    errors.raise_if_any()
    return name, phone_n


def update_profile(user: User, full_name: str, phone: str) -> User:
    name, phone_n = check_profile(full_name, phone)
    changed = {k: v for k, v in {"full_name": name, "phone": phone_n}.items() if getattr(user, k) != v}
    for key, value in changed.items():
        setattr(user, key, value)
    if changed:
        record(user, "user.update_profile", "user", user.id, fields=sorted(changed))
    db.session.commit()
    return user


# --- administration -------------------------------------------------------------------------


def list_users(*, query: str = "", role: str = "", page: int = 1) -> tuple[list[User], int]:
    stmt = select(User)
    folded = fold_query(query)
    if folded:
        stmt = stmt.where(User.search_text.like(like_pattern(folded), escape="\\"))
    if role:
        stmt = stmt.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    return page_of(stmt.order_by(User.created_at.desc(), User.id.desc()), page, USERS_PAGE_SIZE)


def set_roles(actor: User, user: User, roles: set[str], active: bool) -> User:
    """Admins grant and revoke roles; an admin cannot lock themselves out."""
    if not actor.has_role(Role.ADMIN):
        raise PermissionDenied("Chỉ quản trị hệ thống được phân quyền.")
    wanted = {Role(r) for r in roles if r in Role._value2member_map_} | {Role.APPLICANT}
    if actor.id == user.id and (Role.ADMIN not in wanted or not active):
        raise Conflict("Bạn không thể tự bỏ quyền quản trị hoặc khoá tài khoản của chính mình.")
    before = sorted(user.roles)
    for row in list(user.role_rows):
        if Role(row.role) not in wanted:
            user.role_rows.remove(row)
    for role in wanted - user.roles:
        user.role_rows.append(UserRole(role=role.value))
    was_active = user.is_active_account
    user.is_active_account = active
    if not active and was_active:
        _end_all_sessions(user)  # log the locked account out everywhere
    record(
        actor,
        "user.set_roles",
        "user",
        user.id,
        before=[str(r) for r in before],
        after=sorted(str(r) for r in wanted),
        active=active,
    )
    db.session.commit()
    return user


def create_user(
    email: str,
    role: str,
    *,
    password: str | None = None,
    full_name: str | None = None,
    phone: str | None = None,
    actor: User | None = None,
) -> tuple[User, str | None]:
    """Create (or grant a role to) a verified account from the CLI or by an admin.

    Returns the user and the generated password when none was given.
    """
    errors = FieldErrors()
    if role not in Role._value2member_map_:
        errors.add("role", f"Vai trò không hợp lệ: {role}. Chọn một trong: {', '.join(Role)}.")
    email_n = errors.check(field_value, normalize_email, email, "email") or ""
    if full_name:
        errors.check(field_value, normalize_name, full_name, "full_name")
    if phone:
        errors.check(field_value, normalize_phone, phone, "phone")
    if password is not None:
        errors.check(field_value, check_password_strength, password, "password", email=email_n)
    errors.raise_if_any()
    generated = None
    user = db.session.scalar(select(User).where(User.email == email_n))
    if password is None and user is None:
        generated = password = new_token(9) + "7a"
    if user is None:
        user = User(
            full_name=field_value(normalize_name, full_name or _name_from_email(email_n), "full_name"),
            email=email_n,
            phone=field_value(normalize_phone, phone, "phone") if phone else None,
            password_hash=hash_password(password or ""),
            email_verified_at=utcnow(),
        )
        user.role_rows.append(UserRole(role=Role.APPLICANT.value))
        db.session.add(user)
        db.session.flush()
        record(actor, "user.create", "user", user.id, role=role)
    elif password is not None:
        _set_password(user, password)
    if Role(role) not in user.roles:
        user.role_rows.append(UserRole(role=role))
        record(actor, "user.grant_role", "user", user.id, role=role)
    db.session.commit()
    return user, generated


def _name_from_email(email: str) -> str:
    """A placeholder display name ("nguyen.van.a@x" → "Nguyen Van A") the person can correct later."""
    words = "".join(ch if ch.isalpha() else " " for ch in email.split("@")[0]).split()
    name = " ".join(words).title()
    return name if len(name) >= 2 else "Người dùng mới"
