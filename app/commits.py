"""Flush and commit where a database constraint, broken by a simultaneous request, must become a
typed `DomainError` (a 409 or 422 with a Vietnamese message) instead of a 500.

    db.session.add(row)
    flush(Invalid("Đường dẫn này đã được dùng.", field="slug"))

The rule lives in the constraint; the message lives here, next to the write that can break it.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, DomainError
from app.extensions import db

RACE = "Dữ liệu vừa được thay đổi cùng lúc ở nơi khác. Vui lòng tải lại trang và thử lại."


def _raise(exc: Exception, error: DomainError | None) -> None:
    db.session.rollback()
    raise (error or Conflict(RACE)) from exc


def flush(
    error: DomainError | None = None, *, catch: tuple[type[Exception], ...] = (IntegrityError,)
) -> None:
    """Flush the session; a violated constraint rolls back and raises `error` (default: a Conflict)."""
    try:
        db.session.flush()
    except catch as exc:
        _raise(exc, error)


def commit(
    error: DomainError | None = None, *, catch: tuple[type[Exception], ...] = (IntegrityError,)
) -> None:
    """Commit the session; a violated constraint rolls back and raises `error` (default: a Conflict)."""
    try:
        db.session.commit()
    except catch as exc:
        _raise(exc, error)


def rowcount(result: Result[Any]) -> int:
    """The number of rows an UPDATE or DELETE touched. SQLAlchemy types `Session.execute` as a
    `Result`; for those statements it is a `CursorResult`, which carries the count."""
    return cast("CursorResult[Any]", result).rowcount
