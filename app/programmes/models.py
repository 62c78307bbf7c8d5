"""A year's programme (Chương trình hỗ trợ KNĐMST năm 2024): the contests and events that carry it out.
Contests and events point at it (`programme_id`); a programme has its own public page."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.localtime import utcnow
from app.types import UTCDateTime


class Programme(Model):
    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer, index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # The plan it carries out (Kế hoạch số …/KH-UBND), shown on its page.
    plan_reference: Mapped[str] = mapped_column(String(200), default="")
    is_published: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
