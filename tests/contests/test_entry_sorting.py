"""The organisers' entries list (issue 15): submitted-at shown, sortable columns through the URL
(`?sap_xep=…&chieu=…`, aria-sort on the active one, filters and paging kept), a score column where
a round's results are published, and nonsense in the URL falling back to the default order."""

from __future__ import annotations

from datetime import UTC, datetime

from app.contests import services
from app.extensions import db
from app.judging import services as judging
from tests.factories import contest_with_tracks
from tests.judging.conftest import FULL, make_entries

WHEN = [
    datetime(2024, 5, 20, 2, 30, tzinfo=UTC),
    datetime(2024, 4, 2, 9, 15, tzinfo=UTC),
    datetime(2024, 3, 5, 1, 0, tzinfo=UTC),
    datetime(2024, 4, 28, 15, 45, tzinfo=UTC),
]


def _world(make_user):
    contest, tracks = contest_with_tracks()
    entries = make_entries(contest, tracks, n=4)
    for entry, when in zip(entries, WHEN, strict=True):
        entry.submitted_at = when
    entries[1].status = "finalist"
    db.session.commit()
    organiser = make_user("btc@example.vn", roles=("organiser",), name="Trần Thị Thu Hà")
    return contest, entries, organiser


def _codes(organiser, **kw) -> list[str]:
    return [e.code for e in services.list_entries_page(organiser, services.EntryFilters(**kw)).entries]


def test_sorts_by_date_code_and_status_both_ways(app, make_user):
    _contest, entries, organiser = _world(make_user)
    c = [e.code for e in entries]
    assert _codes(organiser) == [c[0], c[3], c[1], c[2]]  # newest submission first, as before
    assert _codes(organiser, sort="ngay", direction="tang") == [c[2], c[1], c[3], c[0]]
    assert _codes(organiser, sort="ma", direction="tang") == c
    assert _codes(organiser, sort="ma", direction="giam") == c[::-1]
    # Status in the lifecycle's order (Hợp lệ before Vào chung kết), ties by id.
    assert _codes(organiser, sort="trang_thai", direction="tang") == [c[0], c[2], c[3], c[1]]
    # Nonsense falls back to the default order; a score sort without published results too.
    for sort, direction in (("'; drop", "tang"), ("ma", "lên"), ("diem", "tang"), ("", "")):
        found = services.list_entries_page(organiser, services.EntryFilters(sort=sort, direction=direction))
        assert (found.sort, found.score_label) != ("diem", "")
        assert [e.code for e in found.entries] == (
            c if sort == "ma" else [c[0], c[3], c[1], c[2]]
        )  # "ma": ascending first


def test_score_column_after_publishing_and_sorted_by_it(app, make_user):
    contest, entries, organiser = _world(make_user)
    judge = make_user("gk@example.vn", roles=("judge",), name="Nguyễn Minh Tuấn")
    round_ = judging.create_round(
        organiser, contest, judging.RoundSettings(name="Sơ khảo", judges_per_entry=1)
    )
    judging.add_entries(organiser, round_, [e.id for e in entries[:3]])
    judging.add_judge(organiser, round_, judge.email)
    judging.auto_assign(organiser, round_)
    for n, sheet in enumerate(judging.round_assignments(round_)):
        judging.save_sheet(
            judge, sheet, {**FULL, "doi_moi": str(10 + 5 * n)}, {}, "", sheet.version, submit=True
        )
    assert (
        services.list_entries_page(organiser, services.EntryFilters(contest_id=contest.id)).score_label == ""
    )
    judging.publish_results(organiser, round_)
    found = services.list_entries_page(
        organiser, services.EntryFilters(contest_id=contest.id, sort="diem", direction="giam")
    )
    assert found.score_label == "Điểm (Sơ khảo)" and found.sort == "diem"
    scores = [found.scores.get(e.id) for e in found.entries]
    assert scores[:3] == sorted(scores[:3], reverse=True) and scores[3] is None  # not in the round: last
    # Without a contest chosen, scores of different contests are not compared: no column.
    assert services.list_entries_page(organiser, services.EntryFilters(sort="diem")).score_label == ""


def test_list_page_shows_dates_and_sort_links_keeping_filters(app, client, make_user, login):
    contest, entries, _organiser = _world(make_user)
    login("btc@example.vn")
    page = client.get(f"/quan-ly/ho-so?cuoc_thi={contest.id}&sap_xep=ngay&chieu=tang")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'aria-sort="ascending"' in html and "Ngày nộp" in html
    assert "02/04/2024 16:15" in html  # 09:15 UTC in Quảng Ngãi, dd/mm/yyyy hh:mm
    # The heading links flip the active column and keep the filters; the others start ascending.
    assert f"sap_xep=ngay&amp;chieu=giam&amp;cuoc_thi={contest.id}" in html
    assert f"sap_xep=ma&amp;chieu=tang&amp;cuoc_thi={contest.id}" in html
    for ugly in ("sap_xep=%00&chieu=%FF", "sap_xep=" + "x" * 5000, "chieu[]=1", "sap_xep=diem&trang=-3"):
        assert client.get("/quan-ly/ho-so?" + ugly).status_code in (200, 422)  # NUL: the app-wide 422
