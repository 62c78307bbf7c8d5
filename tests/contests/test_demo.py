"""seed-demo: the fixed slugs, ≥ 60 entries in varied states, co-organisers limited, idempotent."""

from sqlalchemy import func, select

from app.accounts import demo as accounts_demo
from app.accounts.services import find_user_by_email
from app.contests import demo, permissions, services
from app.contests.models import Entry, EntryStatus
from app.extensions import db


def test_demo_contests_and_entries(app):
    accounts_demo.seed()
    demo.seed()
    demo.seed()  # idempotent
    idea = permissions.get_contest("y-tuong-kndmst-2024")
    final = permissions.get_contest("kndmst-quang-ngai-lan-5")
    assert [t.name for t in final.tracks] == ["Bảng Ý tưởng", "Bảng Dự án"]
    total = db.session.scalar(select(func.count(Entry.id)).where(Entry.contest_id.in_([idea.id, final.id])))
    assert total >= 60
    statuses = set(db.session.scalars(select(Entry.status).where(Entry.contest_id == idea.id)))
    assert {"draft", "submitted", "eligible", "ineligible", "withdrawn"} <= statuses
    finalists = services.list_finalists(final)
    assert len(finalists) >= 6 and all(e.status == EntryStatus.FINALIST and e.members for e in finalists)
    ineligible = db.session.scalars(select(Entry).where(Entry.status == "ineligible")).all()
    assert ineligible and all(e.screening_reason for e in ineligible)
    doan = find_user_by_email("tinhdoan@demo.kndmst.vn")
    assert permissions.manageable_contests(doan) == [idea]
    judge = find_user_by_email("giamkhao@demo.kndmst.vn")
    assert judge in permissions.contest_judges(idea) and judge in permissions.contest_judges(final)
    so = find_user_by_email("bantochuc@demo.kndmst.vn")
    assert permissions.can_manage_contest(so, final)
    applicant = find_user_by_email("thisinh@demo.kndmst.vn")
    mine = permissions.my_entries(applicant)
    assert mine and mine[0].code.startswith("KN24-")
    found, _ = services.search_entries(so, services.EntryFilters(query="ly son"))
    assert found
    assert services.open_contests()  # the 2026 contest is open for the demo journey
