"""seed-demo's judging part: rounds, a panel, balanced assignments, partial and complete scores."""

from collections import Counter

from sqlalchemy import func, select

from app.accounts import demo as accounts_demo
from app.accounts.services import find_user_by_email
from app.contests import demo as contests_demo
from app.contests import services as contests
from app.contests.permissions import get_contest
from app.extensions import db
from app.judging import demo, services
from app.judging.models import Assignment, Round


def test_demo_rounds_judges_and_scores(app):
    accounts_demo.seed()
    contests_demo.seed()
    demo.seed()
    demo.seed()  # idempotent
    idea = get_contest("y-tuong-kndmst-2024")
    final = get_contest("kndmst-quang-ngai-lan-5")
    assert [r.name for r in services.contest_rounds(idea)] == ["Sơ khảo", "Chung kết"]
    first = services.contest_rounds(idea)[0]
    assert first.blind and len(services.round_judges(first)) == 4
    judge = find_user_by_email("giamkhao@demo.kndmst.vn")
    mine = Counter(a.status for a in services.round_assignments(first) if a.judge_id == judge.id)
    # 2024 is over (issue 13): every sheet submitted, both rounds of the idea contest published.
    assert set(mine) == {"submitted"}
    assert all(r.published_at is not None for r in services.contest_rounds(idea))
    others = [a for a in services.round_assignments(first) if a.judge_id != judge.id]
    assert all(a.status == "submitted" for a in others)
    loads = Counter(a.judge_id for a in services.round_assignments(first))
    blocked = services.blocked_pairs(first)
    # The demo judge's university matches some teams (flagged conflicts): the others share the rest.
    free = [load for j, load in loads.items() if not any(b[0] == j for b in blocked)]
    assert len(free) >= 2 and max(free) - min(free) <= 1
    assert not {(a.judge_id, a.entry_id) for a in services.round_assignments(first)} & blocked
    live = services.contest_rounds(final)[0]
    assert {e.id for e in services.round_entries(live)} == {e.id for e in contests.list_finalists(final)}
    results = services.compute_results(live)
    assert results.ranking is not None and results.prizes.awards and results.unsubmitted == 2
    assert db.session.scalar(select(func.count(Round.id))) == 3
    waiting = services.list_invitations(services.contest_rounds(idea)[1])
    assert len(waiting) == 1 and waiting[0].accepted_at is None
    assert db.session.scalar(select(func.count(Assignment.id))) > 80
