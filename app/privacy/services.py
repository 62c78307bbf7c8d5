"""Recording, reading and withdrawing consents. `record_choices` joins the caller's transaction
(the entry or registration it belongs to commits both together); `withdraw` commits itself."""

from __future__ import annotations

from sqlalchemy import select

from app.audit.services import record
from app.errors import Invalid, NotFound
from app.extensions import db
from app.localtime import utcnow
from app.privacy.models import Consent
from app.privacy.notices import CONTEXTS, PURPOSES, Purpose

SOURCES = {"web", "paper", "desk"}


def purposes_for(context: str) -> list[tuple[Purpose, bool]]:
    """The purposes offered in a context, with whether each is required."""
    return [(PURPOSES[code], required) for code, required in CONTEXTS[context].items()]


def check_choices(context: str, choices: dict[str, bool]) -> None:
    """Raise Invalid on the first required purpose left unticked (field `consent_<code>`)."""
    for purpose, required in purposes_for(context):
        if required and not choices.get(purpose.code):
            raise Invalid(
                "Bạn cần đánh dấu ô đồng ý này để tiếp tục: " + purpose.label,
                field=f"consent_{purpose.code}",
            )


def record_choices(
    subject_kind: str,
    subject_id: int,
    context: str,
    choices: dict[str, bool],
    *,
    source: str = "web",
    keyed_by=None,
) -> list[Consent]:
    """Store one row per offered purpose (ticked or not). The caller commits."""
    if source not in SOURCES:
        raise ValueError(f"unknown consent source {source!r}")
    check_choices(context, choices)
    now = utcnow()
    rows = []
    for purpose, _required in purposes_for(context):
        row = Consent(
            subject_kind=subject_kind,
            subject_id=subject_id,
            purpose=purpose.code,
            granted=bool(choices.get(purpose.code)),
            notice_version=purpose.version,
            given_at=now,
            source=source,
            keyed_by_id=getattr(keyed_by, "id", None),
        )
        db.session.add(row)
        rows.append(row)
    return rows


def current_consents(subject_kind: str, subject_id: int) -> dict[str, Consent]:
    """The latest choice per purpose (a later choice supersedes an earlier one)."""
    rows = db.session.scalars(
        select(Consent)
        .where(Consent.subject_kind == subject_kind, Consent.subject_id == subject_id)
        .order_by(Consent.given_at, Consent.id)
    )
    latest: dict[str, Consent] = {}
    for row in rows:
        latest[row.purpose] = row
    return latest


def has_consent(subject_kind: str, subject_id: int, purpose: str) -> bool:
    row = current_consents(subject_kind, subject_id).get(purpose)
    return bool(row and row.granted and row.withdrawn_at is None)


def withdraw(subject_kind: str, subject_id: int, purpose: str, *, actor=None) -> Consent:
    """Withdraw a granted consent; the history row stays, marked with the time of withdrawal."""
    row = current_consents(subject_kind, subject_id).get(purpose)
    if row is None or not row.granted or row.withdrawn_at is not None:
        raise NotFound("Không có sự đồng ý nào đang hiệu lực cho mục này.")
    row.withdrawn_at = utcnow()
    record(actor, "consent.withdraw", subject_kind, subject_id, purpose=purpose)
    db.session.commit()
    return row
