"""Recording and reading the audit trail. `record` joins the caller's transaction."""

from __future__ import annotations

from flask import g, has_request_context
from sqlalchemy import or_, select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.database import page_of
from app.extensions import db
from app.text import fold_query, like_pattern

PAGE_SIZE = 50


def record(
    actor: User | None, action: str, object_type: str, object_id: object = None, **details: object
) -> AuditEvent:
    """Add an audit event to the current session; the calling service commits it with its change."""
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        details=details,
        ip=g.get("client_ip") if has_request_context() else "cli",
    )
    db.session.add(event)
    return event


def list_events(
    *, action: str = "", object_type: str = "", query: str = "", page: int = 1
) -> tuple[list[AuditEvent], int]:
    """Newest first, filtered; returns (events, total)."""
    stmt = select(AuditEvent)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    folded = fold_query(query)
    if folded:
        stmt = stmt.outerjoin(User, AuditEvent.actor_id == User.id).where(
            or_(
                User.search_text.like(like_pattern(folded), escape="\\"),
                AuditEvent.object_id == query.strip(),
            )
        )
    return page_of(stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()), page, PAGE_SIZE)


def distinct_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
