"""The plan's yearly targets (ideas, projects, startups supported), set by organisers for the report."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.localtime import utcnow
from app.types import UTCDateTime

# The indicators of the provincial KNĐMST plan that the annual report tracks, in report order.
TARGET_KINDS = {
    "ideas": "Ý tưởng khởi nghiệp ĐMST được hỗ trợ",
    "projects": "Dự án khởi nghiệp ĐMST được hỗ trợ",
    "startups": "Doanh nghiệp khởi nghiệp ĐMST được hỗ trợ",
}


class PlanTarget(Model):
    """One indicator's target for one year; `actual_override` is the organisers' own figure when
    the platform cannot count everything (support given outside the contests)."""

    __tablename__ = "export_plan_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    target: Mapped[int | None] = mapped_column(Integer)
    actual_override: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("year", "kind"),)
