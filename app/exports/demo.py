"""Demo data for reports: the plan's 2024 targets (idempotent: existing targets are kept)."""

from __future__ import annotations

import click
from sqlalchemy import select

from app.accounts.models import User
from app.exports.models import PlanTarget
from app.extensions import db

# Figures in the spirit of the province's 2024 KNĐMST plan: ideas, projects and startups supported.
DEMO_TARGETS = {
    2024: {
        "ideas": (40, None, ""),
        "projects": (15, None, ""),
        "startups": (10, 12, "Gồm các doanh nghiệp được hỗ trợ qua Vườn ươm và Quỹ KH&CN tỉnh."),
    }
}


def seed() -> None:
    admin = db.session.scalar(select(User).where(User.email == "bantochuc@demo.kndmst.vn"))
    added = 0
    for year, kinds in DEMO_TARGETS.items():
        for kind, (target, override, note) in kinds.items():
            exists = db.session.scalar(
                select(PlanTarget.id).where(PlanTarget.year == year, PlanTarget.kind == kind)
            )
            if exists is None:
                db.session.add(
                    PlanTarget(
                        year=year,
                        kind=kind,
                        target=target,
                        actual_override=override,
                        note=note,
                        updated_by_id=admin.id if admin else None,
                    )
                )
                added += 1
    db.session.commit()
    if added:
        click.echo(f"Chỉ tiêu kế hoạch demo: {added} chỉ tiêu năm 2024 (báo cáo: /bao-cao/nam/2024).")
