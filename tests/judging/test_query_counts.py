"""The organiser and judge pages of a round run a fixed number of queries, whatever the number of
entries: counted with SQLAlchemy's `before_cursor_execute` event on 5 and 25 entries."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, func, select

from app.contests.entries import refresh_search_text
from app.contests.models import Entry, EntryStatus, TeamMember
from app.extensions import db
from app.judging import services
from app.judging.models import Assignment, SheetStatus
from tests.conftest import csrf_from
from tests.factories import contest_with_tracks
from tests.judging.conftest import FULL, scores

PAGES = ["", "/phan-cong", "/tien-do", "/ket-qua", "/xung-dot"]


@contextmanager
def counted():
    """Count the SQL statements run inside the block."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _add_entries(contest, tracks, start: int, n: int) -> None:
    for i in range(start, start + n):
        entry = Entry(
            contest_id=contest.id,
            track_id=tracks[i % 2].id,
            status=EntryStatus.ELIGIBLE.value,
            code=f"{contest.code_prefix}24-{i:04d}",
            code_number=i,
            title=f"Ý tưởng số {i}",
            field="Nông nghiệp",
            summary="Tóm tắt.",
            answers={},
            organisation=f"Đơn vị {i}",
            commune_code="21211",
            commune_name="Xã 21211",
        )
        entry.members.append(
            TeamMember(full_name=f"Trưởng nhóm {i}", is_leader=True, email=f"d{i}@example.vn")
        )
        entry.members.append(TeamMember(full_name=f"Thành viên {i}", position=1))
        refresh_search_text(entry)
        db.session.add(entry)
    db.session.commit()


def _fill(organiser, round_) -> None:
    """Every entry gets 2 judges; every other sheet is submitted."""
    services.add_entries(organiser, round_)
    services.auto_assign(organiser, round_, 2)
    for index, sheet in enumerate(db.session.scalars(select(Assignment).order_by(Assignment.id))):
        if index % 2 == 0 and sheet.status != SheetStatus.SUBMITTED.value:
            sheet.scores, sheet.status = dict(FULL), SheetStatus.SUBMITTED.value
    services.results_changed(round_)
    db.session.commit()


def _counts(client, paths: list[str]) -> dict[str, int]:
    counts = {}
    for path in paths:
        client.get(path)  # warm: the first view of results computes them
        with counted() as seen:
            response = client.get(path)
        assert response.status_code == 200, path
        counts[path] = len(seen)
    return counts


def _logout(client) -> None:
    client.post(
        "/tai-khoan/dang-xuat", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))}
    )


def test_round_pages_run_as_many_queries_for_25_entries_as_for_5(make_user, client, login):
    contest, tracks = contest_with_tracks()
    _add_entries(contest, tracks, 1, 5)
    organiser = make_user("btc@example.vn", roles=("organiser",), name="Trần Thị Thu Hà")
    names = ["An", "Bình", "Cường", "Dũng"]
    judges = [
        make_user(f"gk{i}@example.vn", roles=("judge",), name=f"Giám khảo {n}") for i, n in enumerate(names)
    ]
    round_ = services.create_round(
        organiser, contest, services.RoundSettings(name="Sơ khảo", judges_per_entry=2)
    )
    for judge in judges:
        services.add_judge(organiser, round_, judge.email)
    _fill(organiser, round_)
    base = f"/cham-diem/quan-ly/vong/{round_.id}"
    organiser_pages = [base + suffix for suffix in PAGES]
    judge_pages = ["/cham-diem/", "/cham-diem/thong-tin-giam-khao"]

    def measure() -> dict[str, int]:
        login("btc@example.vn")
        counts = _counts(client, organiser_pages)
        _logout(client)
        login("gk0@example.vn")
        counts |= _counts(client, judge_pages)
        _logout(client)
        return counts

    small = measure()
    _add_entries(contest, tracks, 6, 20)
    _fill(organiser, round_)
    assert db.session.scalar(select(func.count(Assignment.id))) == 50
    large = measure()
    print("\nCOUNTS", small, large)
    assert large == small
    # And they stay small (the round page read its entries twice, progress its sheets twice).
    assert small[base] <= 20 and small[base + "/tien-do"] <= 15 and small[base + "/phan-cong"] <= 16


def test_lists_are_paged_and_searchable_and_the_judge_sees_counts_by_status(make_user, client, login):
    """60 entries, one judge with 60 sheets: every list shows a page, the search finds one entry."""
    contest, tracks = contest_with_tracks()
    _add_entries(contest, tracks, 1, 60)
    organiser = make_user("btc@example.vn", roles=("organiser",), name="Trần Thị Thu Hà")
    judge = make_user("gk0@example.vn", roles=("judge",), name="Giám khảo An")
    round_ = services.create_round(
        organiser, contest, services.RoundSettings(name="Sơ khảo", judges_per_entry=1)
    )
    services.add_judge(organiser, round_, judge.email)
    services.add_entries(organiser, round_)
    services.auto_assign(organiser, round_, 1)
    for index, sheet in enumerate(services.round_assignments(round_)):
        if index < 12:
            sheet.scores, sheet.status = scores(doi_moi=str(5 + index)), SheetStatus.SUBMITTED.value
        elif index < 15:
            sheet.status = SheetStatus.DRAFT.value
    services.results_changed(round_)
    db.session.commit()

    board = services.judge_dashboard(judge)
    assert board.total == 60 and len(board.rounds[0].sheets) == 50
    assert board.counts == {"todo": 45, "draft": 3, "submitted": 12}
    assert len(services.judge_dashboard(judge, 2).rounds[0].sheets) == 10
    login("gk0@example.vn")
    page = client.get("/cham-diem/").get_data(as_text=True)
    assert "Đã nộp: 12" in page and "Trang 1 / 2" in page and "KT24-0051" not in page
    assert "KT24-0051" in client.get("/cham-diem/?trang=2").get_data(as_text=True)
    _logout(client)

    login("btc@example.vn")
    base = f"/cham-diem/quan-ly/vong/{round_.id}"
    for suffix in ("", "/phan-cong", "/tien-do"):
        first = client.get(base + suffix).get_data(as_text=True)
        assert "KT24-0001" in first and "KT24-0051" not in first and "Trang 1 / 2" in first, suffix
        second = client.get(base + suffix + "?trang=2").get_data(as_text=True)
        assert "KT24-0051" in second and "KT24-0001 " not in second, suffix
        found = client.get(base + suffix + "?q=Ý tưởng số 42").get_data(as_text=True)
        assert "KT24-0042" in found and "KT24-0043" not in found, suffix
    # Results: 20 rows of each track a page; entries without a submitted sheet rank last.
    results = client.get(base + "/ket-qua").get_data(as_text=True)
    assert results.count('<tr data-entry="') == 40 and "Trang 1 / 2" in results
    found = client.get(base + "/ket-qua?q=KT24-0007").get_data(as_text=True)
    assert found.count('<tr data-entry="') == 1 and 'data-entry="KT24-0007"' in found


def test_the_round_page_offers_the_first_candidates_and_adds_them_all_with_one_button(
    make_user, client, login
):
    """55 eligible entries not yet in the round: 50 offered one by one, the button adds all 55."""
    contest, tracks = contest_with_tracks()
    _add_entries(contest, tracks, 1, 55)
    organiser = make_user("btc@example.vn", roles=("organiser",), name="Trần Thị Thu Hà")
    round_ = services.create_round(organiser, contest, services.RoundSettings(name="Sơ khảo"))
    shown, total = services.candidate_page(round_)
    assert (len(shown), total) == (50, 55)
    login("btc@example.vn")
    page = client.get(f"/cham-diem/quan-ly/vong/{round_.id}").get_data(as_text=True)
    assert page.count('name="entry_id"') == 50
    assert "Thêm tất cả 55 hồ sơ" in page and "Đang hiện 50 hồ sơ đầu tiên trong 55" in page
    response = client.post(
        f"/cham-diem/quan-ly/vong/{round_.id}/ho-so", data={"all": "1", "csrf_token": csrf_from(page)}
    )
    assert response.status_code == 302
    assert services.candidate_page(round_) == ([], 0)
    assert len(services.round_entry_ids(round_)) == 55
