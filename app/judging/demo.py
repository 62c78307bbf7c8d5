"""Demo judging data: rounds for the demo contests, a panel of judges, balanced assignments and
realistic scores — complete for most judges, partial (drafts, untouched sheets) for the demo judge.

Idempotent: a contest that already has rounds is left as it is. Runs after the contests seed.
Everything goes through the judging services, so the demo obeys the same rules as real use.

The 2024 programmes are over in the demo's present (issue 13): `publish_past_results` finishes and
publishes their rounds as the organisers would have — the judges' last sheets submitted, boundary
ties settled by a recorded decision, the idea contest's finalists judged — so visitors see winners.
`seed` publishes the idea contest's rounds; the lần 5 final is published only once the live demo's
replay round follows it (its finalists must stay finalists for the events and live seeds), so run
`publish_past_results()` after the live seed (see the report of issue 13) or seed-demo twice.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import cast

import click
from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import User
from app.contests import services as contests
from app.contests.models import Contest
from app.extensions import db
from app.judging.models import Round, RoundResult, SheetStatus
from app.judging.scoring import Criterion
from app.judging.services import common, panel, results, rounds, sheets
from app.localtime import local_to_utc

JUDGE_PASSWORD = "ChamDiem@2024"
# email, name, organisation
PANEL = [
    ("giamkhao@demo.kndmst.vn", "Nguyễn Minh Tuấn", "Trường Đại học Phạm Văn Đồng"),
    ("gk.lehoang@demo.kndmst.vn", "Lê Hoàng Nam", "Trung tâm Hỗ trợ khởi nghiệp tỉnh"),
    ("gk.phanlan@demo.kndmst.vn", "Phan Thị Lan", "Ngân hàng Nông nghiệp chi nhánh Quảng Ngãi"),
    ("gk.hoson@demo.kndmst.vn", "Hồ Văn Sơn", "Hiệp hội Doanh nghiệp tỉnh"),
    ("gk.tranmai@demo.kndmst.vn", "Trần Thị Ngọc Mai", "Quỹ đầu tư khởi nghiệp Miền Trung"),
]
COMMENTS = [
    "Ý tưởng gắn với sản phẩm địa phương, cần làm rõ thị trường.",
    "Kế hoạch tài chính còn sơ sài.",
    "Đội có kinh nghiệm thực tế, sản phẩm mẫu thuyết phục.",
    "Nên tính thêm chi phí vận chuyển và bảo quản.",
    "",
]


def _panel() -> list[User]:
    judges = []
    for email, name, organisation in PANEL:
        user = accounts.find_user_by_email(email)
        if user is None:
            user, _ = accounts.create_user(email, "judge", password=JUDGE_PASSWORD, full_name=name)
        profile = panel.ensure_profile(user)
        if not profile.organisation:
            profile.organisation = organisation
        judges.append(user)
    db.session.commit()
    return judges


def _score(rng: random.Random, quality: float, bias: float, crit: Criterion) -> str:
    """A plausible score for one criterion: the entry's quality, the judge's leniency, some noise."""
    share = min(max(quality + bias + rng.gauss(0, 0.07), 0.05), 1.0)
    if crit.kind == "scale":
        return str(min(max(round(1 + 4 * share), 1), 5))
    value = (Decimal(str(share)) * crit.max_points * 2).quantize(Decimal(1), rounding=ROUND_HALF_UP) / 2
    return str(value)


def _fill(round_: Round, rng: random.Random, *, partial_judge: User | None) -> None:
    rubric = rounds.rubric_of(round_)
    quality = {e.id: rng.uniform(0.45, 0.9) for e in common.round_entries(round_)}
    bias: dict[int, float] = {}
    for index, sheet in enumerate(sheets.round_assignments(round_)):
        judge = sheet.judge
        bias.setdefault(judge.id, rng.uniform(-0.08, 0.08))
        values = {c.id: _score(rng, quality[sheet.entry_id], bias[judge.id], c) for c in rubric.criteria}
        comments = {rubric.criteria[0].id: rng.choice(COMMENTS)}
        if partial_judge is not None and judge.id == partial_judge.id:
            mine = index % 4
            if mine == 0:
                continue  # untouched
            if mine == 1:  # a draft with half of the criteria
                half = dict(list(values.items())[: len(values) // 2])
                sheets.save_sheet(judge, sheet, half, comments, "", sheet.version)
                continue
        sheets.save_sheet(
            judge, sheet, values, comments, "Đề nghị hội đồng xem xét.", sheet.version, submit=True
        )


# The sơ khảo reads the written dossiers only: no presentation, so no "Khả năng thuyết trình"
# criterion; its 15 points go to what a paper shows (innovation, market, plan), 100 in all.
PAPER_RUBRIC_POINTS = {"doi_moi": 30, "thuong_mai_hoa": 25, "ke_hoach": 20, "dinh_huong": 10, "tac_dong": 15}


def _paper_rubric(organiser: User, round_: Round) -> None:
    """The default rubric without its presentation criterion (a round judged on paper)."""
    rows = [
        {**row, "max_points": str(PAPER_RUBRIC_POINTS[row["id"]])}
        for row in round_.rubric
        if row["id"] in PAPER_RUBRIC_POINTS
    ]
    rounds.save_rubric(organiser, round_, rows)


def _round(
    contest: Contest,
    organiser: User,
    judges: list[User],
    settings: rounds.RoundSettings,
    entry_ids: list[int] | None = None,
    *,
    on_paper: bool = False,
) -> Round:
    round_ = rounds.create_round(organiser, contest, settings)
    if on_paper:
        _paper_rubric(organiser, round_)
    panel.add_entries(organiser, round_, entry_ids)
    for judge in judges:
        panel.add_judge(organiser, round_, judge.email)
    sheets.auto_assign(organiser, round_)
    return round_


def seed() -> None:
    organiser = accounts.find_user_by_email("bantochuc@demo.kndmst.vn")
    organiser = organiser or accounts.find_user_by_email("admin@demo.kndmst.vn")
    if organiser is None:
        return
    rng = random.Random(4)
    judges = None
    idea = db.session.scalar(select(Contest).where(Contest.slug == "y-tuong-kndmst-2024"))
    if idea is not None and not rounds.contest_rounds(idea):
        judges = judges or _panel()
        first = _round(
            idea,
            organiser,
            judges[:4],
            rounds.RoundSettings(
                name="Sơ khảo",
                description="Chấm hồ sơ thuyết minh; chấm ẩn danh. Mỗi hồ sơ do 3 giám khảo chấm.",
                opens_at=local_to_utc(datetime(2024, 9, 5, 8, 0)),
                closes_at=local_to_utc(datetime(2024, 9, 20, 17, 0)),
                blind=True,
                judges_per_entry=3,
                top_n=8,
                min_average="50",
            ),
            on_paper=True,
        )
        _fill(first, rng, partial_judge=judges[0])
        final_round = rounds.create_round(
            organiser,
            idea,
            rounds.RoundSettings(
                name="Chung kết",
                description="Thuyết trình trực tiếp 8 phút, hỏi đáp 10 phút.",
                opens_at=local_to_utc(datetime(2024, 10, 12, 8, 0)),
                closes_at=local_to_utc(datetime(2024, 10, 12, 17, 0)),
                method="trimmed_mean",
                judges_per_entry=5,
            ),
        )
        # An invitation waiting for an answer (the mail is in instance/mail/ without SMTP).
        panel.invite_judge(
            organiser,
            final_round,
            "chuyengia.moi@demo.kndmst.vn",
            "Đoàn Văn Mới",
            "Viện Khoa học Nông nghiệp Duyên hải Nam Trung Bộ",
        )
    final = db.session.scalar(select(Contest).where(Contest.slug == "kndmst-quang-ngai-lan-5"))
    if final is not None and not rounds.contest_rounds(final):
        judges = judges or _panel()
        live = _round(
            final,
            organiser,
            judges,
            rounds.RoundSettings(
                name="Chung kết",
                description="Chung kết lần thứ 5: thuyết trình trực tiếp, giám khảo chấm trên điện thoại.",
                opens_at=local_to_utc(datetime(2024, 3, 15, 8, 0)),
                closes_at=local_to_utc(datetime(2024, 3, 15, 17, 0)),
                judges_per_entry=5,
            ),
            [e.id for e in contests.list_finalists(final)],
        )
        rounds.save_prize_plan(
            organiser,
            live,
            {
                "Bảng Ý tưởng": {"nhat": 1, "nhi": 1, "ba": 1, "khuyen_khich": 2},
                "Bảng Dự án": {"nhat": 1, "nhi": 1, "ba": 1, "khuyen_khich": 1},
            },
            [{"name": "Giải ý tưởng sáng tạo nhất", "criterion": "doi_moi", "count": 1}],
        )
        _fill(live, rng, partial_judge=None)
        # The demo judge asked to look again at two sheets of the final: reopened, with the reason.
        mine = [a for a in sheets.round_assignments(live) if a.judge_id == judges[0].id][:2]
        for sheet in mine:
            sheets.reopen_sheet(organiser, live, sheet.id, "Giám khảo đề nghị xem lại sau phần hỏi đáp.")
    publish_past_results()


# --- the 2024 results (issue 13) -----------------------------------------------------------------

PAST_CONTESTS = ("y-tuong-kndmst-2024", "kndmst-quang-ngai-lan-5")
SETTLE_REASON = "Hội đồng giám khảo họp và thống nhất quyết định đối với các hồ sơ đồng điểm."
IDEA_FINAL_PRIZES = {
    "Bảng Ý tưởng": {"nhat": 1, "nhi": 1, "ba": 1, "khuyen_khich": 1},
    "Bảng Dự án": {"nhat": 1, "nhi": 1, "ba": 1},
}


def _finish_sheets(round_: Round, rng: random.Random) -> None:
    """Every sheet submitted: a reopened or draft sheet keeps what the judge entered and is completed."""
    rubric = rounds.rubric_of(round_)
    for sheet in sheets.round_assignments(round_):
        if sheet.status == SheetStatus.SUBMITTED.value:
            continue
        values = {c.id: str(sheet.scores.get(c.id) or "") for c in rubric.criteria}
        for crit in rubric.criteria:
            if not values[crit.id]:
                values[crit.id] = _score(rng, rng.uniform(0.5, 0.85), 0.0, crit)
        sheets.save_sheet(
            sheet.judge,
            sheet,
            values,
            dict(sheet.comments or {}),
            sheet.general_comment or "Đã chấm xong.",
            sheet.version,
            submit=True,
        )


def _settle_ties(organiser: User, round_: Round) -> None:
    """Entries tied at the advancement cut-off: the council lets them all through (a recorded override)."""
    outcome = results.compute_results(round_)
    if outcome.advancement is None:
        return
    for decision in outcome.advancement.pending:
        entry_id = cast(int, decision.entry.id)  # the services rank Entry rows: ids are ints
        results.set_override(organiser, round_, entry_id, "advance", SETTLE_REASON)


def _publish(organiser: User, round_: Round) -> bool:
    """Publish a finished round once (False, with the reason printed, if something still blocks it)."""
    if round_.published_at is not None:
        return True
    _settle_ties(organiser, round_)
    blockers = results.compute_results(round_).blockers
    if blockers:
        click.echo(f"Chưa công bố được {round_.name} – {round_.contest.name}: {' '.join(blockers)}")
        return False
    results.publish_results(organiser, round_)
    # Demo only: these results came out in 2024, a day after the round closed, not on the day the
    # demo was seeded (the snapshot's rows say the same).
    if round_.closes_at is not None:
        when = round_.closes_at + timedelta(days=1)
        round_.published_at = when
        for row in db.session.scalars(select(RoundResult).where(RoundResult.round_id == round_.id)):
            row.published_at = when
        _sheets_in_window(round_)
        db.session.commit()
    return True


def _sheets_in_window(round_: Round) -> None:
    """Demo only: the sheets of a 2024 round were submitted while it was open, not when the demo was
    seeded (the workbook's "Nộp lúc" and the judges' pages show these times)."""
    if round_.opens_at is None or round_.closes_at is None:
        return
    span = round_.closes_at - round_.opens_at
    assigned = [a for a in sheets.round_assignments(round_) if a.submitted_at is not None]
    for index, sheet in enumerate(assigned):
        offset = span * (index + 1) / (len(assigned) + 1)
        sheet.submitted_at = round_.opens_at + offset
        sheet.updated_at = sheet.submitted_at


def _idea_final(organiser: User, first: Round, final: Round, judges: list[User], rng: random.Random) -> None:
    """The idea contest's Chung kết: the entries of the sơ khảo that advanced, judged and awarded."""
    if final.published_at is not None:
        return
    if first.advanced_at is None:
        results.advance_entries(organiser, first)
        if first.published_at is not None:  # demo only: moved on in 2024, the day after publishing
            first.advanced_at = first.published_at + timedelta(days=1)
            db.session.commit()
    if not common.round_judges(final):
        for judge in judges:
            panel.add_judge(organiser, final, judge.email)
    if not (final.prize_plan or {}).get("tracks"):
        rounds.save_prize_plan(organiser, final, IDEA_FINAL_PRIZES, [])
    if not sheets.round_assignments(final):
        sheets.auto_assign(organiser, final)
        _fill(final, rng, partial_judge=None)
    _finish_sheets(final, rng)
    _publish(organiser, final)


def publish_past_results() -> None:
    """Finish and publish the 2024 rounds (idempotent: published rounds are skipped). The live demo's
    replay round is never touched, and the lần 5 final waits until that round follows it."""
    organiser = accounts.find_user_by_email("bantochuc@demo.kndmst.vn")
    organiser = organiser or accounts.find_user_by_email("admin@demo.kndmst.vn")
    if organiser is None:
        return
    rng = random.Random(2024)
    idea = db.session.scalar(select(Contest).where(Contest.slug == PAST_CONTESTS[0]))
    if idea is not None:
        by_name = {r.name: r for r in rounds.contest_rounds(idea)}
        first, final = by_name.get("Sơ khảo"), by_name.get("Chung kết")
        if first is not None:
            _finish_sheets(first, rng)
            if _publish(organiser, first) and final is not None:
                _idea_final(organiser, first, final, _panel(), rng)
    edition = db.session.scalar(select(Contest).where(Contest.slug == PAST_CONTESTS[1]))
    if edition is not None:
        by_position = rounds.contest_rounds(edition)
        scored = next((r for r in by_position if r.name == "Chung kết"), None)
        # Published as the last round it would award the finalists, which the events seed (the
        # final's attendees) and the live seed (its replay round) still need as finalists.
        if scored is not None and not rounds.is_last_round(scored):
            _finish_sheets(scored, rng)
            _publish(organiser, scored)
