"""Per-minute counters kept in the database when there is no Redis (`REDIS_URL` unset)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.types import UTCDateTime


class MetricMinute(Model):
    """How many times `counter` ("requests", "errors") happened during the UTC minute `minute`, summed
    over every process and server (each adds its share with an upsert). Rows older than
    METRICS_KEEP_HOURS are deleted as new minutes are written."""

    __tablename__ = "metrics_minutes"

    minute: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    counter: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
