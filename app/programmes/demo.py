"""Demo programmes: 2024 (the idea contest, the 5th provincial final and Ngày hội 2024) and the current
year's. Idempotent: an existing programme is left as it is, and an activity already in a programme
stays where an organiser put it. Runs after the contests and events seeds (FEATURES order)."""

from __future__ import annotations

import click
from sqlalchemy import select, update

from app.contests.models import Contest
from app.events.demo import FESTIVAL, FINAL, UPCOMING
from app.events.models import Event
from app.extensions import db
from app.localtime import to_local, utcnow
from app.programmes.models import Programme

NAME = "Chương trình hỗ trợ khởi nghiệp đổi mới sáng tạo tỉnh Quảng Ngãi năm {year}"
DESCRIPTION = (
    "Chương trình do Sở Khoa học và Công nghệ chủ trì, phối hợp với Tỉnh đoàn và Hội Liên hiệp Phụ nữ tỉnh: "
    "cuộc thi tìm kiếm ý tưởng, vòng chung kết cấp tỉnh và Ngày hội khởi nghiệp đổi mới sáng tạo, "
    "nhằm phát hiện, hỗ trợ và kết nối các ý tưởng, dự án khởi nghiệp của tỉnh."
)


def _programme(year: int) -> Programme:
    slug = f"kndmst-{year}"
    programme = db.session.scalar(select(Programme).where(Programme.slug == slug))
    if programme is None:
        programme = Programme(slug=slug, name=NAME.format(year=year), year=year, description=DESCRIPTION)
        db.session.add(programme)
        db.session.flush()
    return programme


def _attach(programme: Programme, contests: list[str], events: list[str]) -> None:
    for model, slugs in ((Contest, contests), (Event, events)):
        db.session.execute(
            update(model)
            .where(model.slug.in_(slugs), model.programme_id.is_(None))
            .values(programme_id=programme.id)
            .execution_options(synchronize_session=False)
        )


def seed() -> None:
    year = to_local(utcnow()).year
    past = _programme(2024)
    _attach(past, ["y-tuong-kndmst-2024", "kndmst-quang-ngai-lan-5"], [FINAL, FESTIVAL])
    current = _programme(year)
    _attach(current, [f"y-tuong-kndmst-{year}"], [UPCOMING])
    db.session.commit()
    click.echo(f"Chương trình demo: /chuong-trinh/{past.slug}, /chuong-trinh/{current.slug}.")
