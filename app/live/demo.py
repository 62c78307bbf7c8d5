"""Demo live final (`flask --app wsgi seed-demo`, after the judging and events seeds).

The judging demo's "Chung kết" of contest lần 5 is already scored (it shows results, reopened
sheets …), so a live replay cannot use it. This seed adds a second round to the same contest,
"Chung kết – trình diễn trực tiếp": the same finalists, the same panel (every judge assigned to
every finalist except declared conflicts), the same prizes, every sheet empty. The round is made
live with the final's event (chung-ket-lan-5) for the audience vote, 60 audience members checked
in, and the running order drawn with a fixed seed so every demo starts from the same order.

Idempotent: each step is skipped when its result is already there, so a second run changes
nothing, and a replay already under way is never reset. Everything goes through the services.
"""

from __future__ import annotations

from datetime import datetime

import click
from sqlalchemy import func, select

from app.accounts import services as accounts
from app.accounts.models import User
from app.contests import services as contests
from app.contests.models import Contest
from app.events import checkin, registration
from app.events.models import Attendee, Checkin, Event
from app.extensions import db
from app.judging import services as judging
from app.judging.models import Round
from app.live import services as live
from app.localtime import local_to_utc

CONTEST = "kndmst-quang-ngai-lan-5"
EVENT = "chung-ket-lan-5"
ORGANISER_EMAIL = "bantochuc@demo.kndmst.vn"
ROUND_NAME = "Chung kết – trình diễn trực tiếp"
SEED = "kndmst-lan-5"  # the draw's seed: the same running order on every demo database
AUDIENCE = 60  # checked-in audience tickets (they may vote)
AUDIENCE_CATEGORY = "Khách tham quan"
AUDIENCE_PHONE = "+84935{:06d}"  # a block of numbers the other demo data never uses
AUDIENCE_NAMES = [
    ("Nguyễn", "Thị", "Hoa"),
    ("Trần", "Văn", "Hùng"),
    ("Lê", "Minh", "Khoa"),
    ("Phạm", "Thị Thu", "Hà"),
    ("Huỳnh", "Quốc", "Bảo"),
    ("Võ", "Ngọc", "Lan"),
    ("Phan", "Đức", "Tài"),
    ("Trương", "Thị Kim", "Yến"),
    ("Bùi", "Thanh", "Tâm"),
    ("Đặng", "Hữu", "Phúc"),
]
ORGANISATIONS = ["Trường ĐH Phạm Văn Đồng", "Tỉnh đoàn Quảng Ngãi", "Báo Quảng Ngãi", ""]


def _live_round(contest: Contest, organiser: User) -> Round | None:
    """The replay round, created once from the scored final (its entries, panel and prizes)."""
    existing = {r.name: r for r in judging.contest_rounds(contest)}
    if ROUND_NAME in existing:
        return existing[ROUND_NAME]
    scored = existing.get("Chung kết")
    finalists = [e.id for e in contests.list_finalists(contest)]
    if scored is None or not finalists:
        return None
    round_ = judging.create_round(
        organiser,
        contest,
        judging.RoundSettings(
            name=ROUND_NAME,
            description=(
                "Vòng trình diễn chế độ chung kết trực tiếp: các đội lên sân khấu theo thứ tự bốc thăm, "
                "giám khảo chấm trên điện thoại, khán giả bình chọn, màn hình trình chiếu công bố giải."
            ),
            opens_at=local_to_utc(datetime(2024, 3, 22, 7, 30)),
            closes_at=local_to_utc(datetime(2024, 3, 22, 17, 30)),
            judges_per_entry=scored.judges_per_entry,
        ),
    )
    judging.add_entries(organiser, round_, finalists)
    judges = judging.round_judges(scored)
    for judge in judges:
        judging.add_judge(organiser, round_, judge.email)
    judging.auto_assign(organiser, round_, len(judges))
    plan = scored.prize_plan or {}
    judging.save_prize_plan(organiser, round_, plan.get("tracks", {}), plan.get("side", []))
    return round_


def _audience(event: Event, organiser: User) -> None:
    """AUDIENCE guests registered by the organisers and checked in at the door (once each)."""
    phones = [AUDIENCE_PHONE.format(i) for i in range(1, AUDIENCE + 1)]
    registered = {
        attendee.phone: attendee
        for attendee in db.session.scalars(
            select(Attendee).where(Attendee.event_id == event.id, Attendee.phone.in_(phones))
        )
    }
    checked = set(
        db.session.scalars(
            select(Checkin.attendee_id).where(Checkin.event_id == event.id, Checkin.undone_at.is_(None))
        )
    )
    # The final took place in 2024; its replay today lets the hall's audience in again, which the
    # organisers allow explicitly (a ticket of an ended event is refused otherwise).
    event.late_checkin = True
    db.session.commit()
    scope = checkin.scope_for_user(event.slug, organiser)
    for i, phone in enumerate(phones):
        attendee = registered.get(phone)
        if attendee is None:
            ho, dem, ten = AUDIENCE_NAMES[i % len(AUDIENCE_NAMES)]
            attendee = registration.register_by_organiser(
                organiser,
                event,
                {
                    "full_name": f"{ho} {dem} {ten}",
                    "phone": phone,
                    "organisation": ORGANISATIONS[i % len(ORGANISATIONS)],
                    "category": AUDIENCE_CATEGORY,
                },
                {"process_registration": True},
            )
        ticket = attendee.active_ticket
        if attendee.id not in checked and ticket is not None:
            checkin.record_checkin(scope, ticket.code, gate=event.gates[0] if event.gates else None)


def seed() -> None:
    organiser = accounts.find_user_by_email(ORGANISER_EMAIL)
    contest = db.session.scalar(select(Contest).where(Contest.slug == CONTEST))
    event = db.session.scalar(select(Event).where(Event.slug == EVENT))
    if organiser is None or contest is None or event is None or event.contest_id != contest.id:
        return
    round_ = _live_round(contest, organiser)
    if round_ is None:
        return
    _audience(event, organiser)
    stage = live.stage_of(round_)
    if stage is None:
        stage = live.enable(
            organiser,
            round_,
            live.StageSettings(pitch_minutes=8, qa_minutes=10, event_id=event.id, vote_enabled=True),
        )
        live.draw_order(organiser, stage, SEED)
    checked_in = db.session.scalar(
        select(func.count(Checkin.id)).where(Checkin.event_id == event.id, Checkin.undone_at.is_(None))
    )
    click.echo(
        f"Chung kết trực tiếp demo ({len(stage.slots)} đội, {checked_in} khách đã check-in): "
        f"bàn điều khiển /truc-tiep/vong/{round_.id}, màn hình trình chiếu /man-hinh/{stage.public_key}, "
        f"bình chọn /binh-chon/{stage.public_key}"
    )
