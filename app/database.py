"""The session helpers every service shares.

Flush and commit where a database constraint, broken by a simultaneous request, must become a
typed `DomainError` (a 409 or 422 with a Vietnamese message) instead of a 500; the rows an UPDATE
or DELETE touched; one page of a list.

    db.session.add(row)
    flush(Invalid("Đường dẫn này đã được dùng.", field="slug"))

The rule lives in the constraint; the message lives here, next to the write that can break it.
"""

from __future__ import annotations

from typing import Any, NoReturn, TypeVar, cast

from sqlalchemy import ColumnElement, CursorResult, Result, Select, func, select
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, DomainError
from app.extensions import db
from app.text import fold_query, like_pattern

RACE = "Dữ liệu vừa được thay đổi cùng lúc ở nơi khác. Vui lòng tải lại trang và thử lại."


def _raise(exc: Exception, error: DomainError | None) -> NoReturn:
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


T = TypeVar("T")


def page_of(stmt: Select[tuple[T]], page: int, per_page: int) -> tuple[list[T], int]:
    """One page of the rows `stmt` selects, in its order (a page below 1 is the first; past the end,
    none), and how many rows it selects in all: every paged list of the platform."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = db.session.scalars(stmt.limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return list(rows), total


SEARCH_WORDS = 6  # words of a search box that become conditions; the rest are ignored


def matching_every_word(search_text: Any, query: str | None) -> list[ColumnElement[bool]]:
    """The conditions a row meets when its folded search column holds every word of `query`:
    accents and case folded, a phone in any usual form (`text.fold_query`), the user's % and _
    taken literally; none for a blank query. Every list with a search box uses it."""
    words = fold_query(query or "").split()[:SEARCH_WORDS]
    return [search_text.like(like_pattern(word), escape="\\") for word in words]
