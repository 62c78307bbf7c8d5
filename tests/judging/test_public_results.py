"""Public results (issue 13): per published round, only the fields the contest publishes; never a
phone number, an email, a birth date, or the score of an entry without a prize."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts import demo as accounts_demo
from app.accounts.validation import format_phone
from app.contests import demo as contests_demo
from app.contests import services as contest_services
from app.contests.models import DEFAULT_PUBLIC_RESULT_FIELDS, Contest, TeamMember
from app.events import services as event_services
from app.extensions import db
from app.judging import demo as judging_demo
from app.judging import public, services
from app.judging.models import Round, RoundResult
from tests.conftest import assert_fits_width, csrf_from
from tests.contests.test_views import contest_form_data
from tests.factories import event_data
from tests.judging.conftest import scores

BIRTHS = [date(1998, 4, 7), date(2001, 11, 23), date(1995, 1, 30), date(1999, 8, 15), date(2000, 2, 9)]


def _submit_all(round_: Round, points: dict[int, int]) -> None:
    for sheet in services.round_assignments(round_):
        services.save_sheet(
            sheet.judge,
            sheet,
            scores(doi_moi=str(points[sheet.entry_id])),
            {},
            "",
            sheet.version,
            submit=True,
        )


@pytest.fixture
def published(world):
    """Sơ khảo (top 2 per track) published; a Chung kết with one Nhất per track and a side prize,
    published too. Members carry birth dates, phones and emails that must never show."""
    for i, entry in enumerate(world.entries):
        for member in entry.members:
            member.birth_date = BIRTHS[i % len(BIRTHS)]
            member.phone = member.phone or f"+8490566{i:04d}"
            member.email = member.email or f"thanhvien{i}@example.vn"
    world.contest.is_published = True
    world.round.top_n = 2
    db.session.commit()
    services.auto_assign(world.organiser, world.round, 2)
    _submit_all(world.round, {e.id: 8 + 2 * i for i, e in enumerate(world.entries)})
    services.publish_results(world.organiser, world.round)
    final = services.create_round(
        world.organiser, world.contest, services.RoundSettings(name="Chung kết", judges_per_entry=2)
    )
    services.advance_entries(world.organiser, world.round)
    for judge in world.judges:
        services.add_judge(world.organiser, final, judge.email)
    services.save_prize_plan(
        world.organiser,
        final,
        {"Bảng Ý tưởng": {"nhat": 1}, "Bảng Dự án": {"nhat": 1}},
        [{"name": "Giải ý tưởng sáng tạo nhất", "criterion": "doi_moi", "count": 1}],
    )
    services.auto_assign(world.organiser, final, 2)
    _submit_all(final, {e.id: 20 - i for i, e in enumerate(world.entries)})
    services.publish_results(world.organiser, final)
    world.final = final
    return world


def _forbidden(world) -> list[str]:
    """Every way a member's contact details or birth date could be written."""
    found = []
    for member in db.session.scalars(
        select(TeamMember).where(TeamMember.entry_id.in_([e.id for e in world.entries]))
    ):
        if member.phone:
            national = "0" + member.phone[3:]
            found += [member.phone, national, format_phone(member.phone), member.phone[3:]]
        if member.email:
            found.append(member.email)
        if member.birth_date:
            found += [member.birth_date.strftime("%d/%m/%Y"), member.birth_date.isoformat()]
            found.append(f"{member.birth_date.day}/{member.birth_date.month}/{member.birth_date.year}")
    return found


def _score_pattern(score: str) -> re.Pattern:
    whole, _, frac = score.partition(".")
    body = re.escape(whole) + (r"[.,]" + re.escape(frac) if frac else "")
    return re.compile(r"(?<![\d.,])" + body + r"(?![\d])")


def _cells(html: str, label: str) -> list[str]:
    return re.findall(rf'<td data-label="{re.escape(label)}">(.*?)</td>', html, flags=re.S)


def _final_results(world) -> list[RoundResult]:
    return list(db.session.scalars(select(RoundResult).where(RoundResult.round_id == world.final.id)))


def test_no_forbidden_field_on_any_public_page(published, client):
    contest = published.contest
    contest.public_result_fields = ["code", "title", "leader", "organisation", "commune", "prize", "score"]
    db.session.commit()
    results = _final_results(published)
    unawarded = [r.score for r in results if not r.prize and r.score]
    assert unawarded and any(r.prize for r in results)
    pages = [
        f"/cuoc-thi/{contest.slug}/ket-qua",
        f"/cuoc-thi/{contest.slug}/ket-qua/1",
        f"/cuoc-thi/{contest.slug}/ket-qua/2",
        f"/cuoc-thi/{contest.slug}",
        "/",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        for value in _forbidden(published):
            assert value not in html, (url, value)
        if "/ket-qua" in url:
            for score in unawarded:
                assert not _score_pattern(score).search(html), (url, score)
    html = client.get(f"/cuoc-thi/{contest.slug}/ket-qua/1").get_data(as_text=True)
    assert not _cells(html, "Điểm")  # the list of entries that advance never shows scores
    for r in db.session.scalars(select(RoundResult).where(RoundResult.round_id == published.round.id)):
        if r.score:
            assert not _score_pattern(r.score).search(html), r.score


def test_final_groups_awarded_entries_by_prize_and_default_columns(published, client):
    contest = published.contest
    assert contest.public_result_fields == list(DEFAULT_PUBLIC_RESULT_FIELDS)
    html = client.get(f"/cuoc-thi/{contest.slug}/ket-qua").get_data(as_text=True)
    assert "Kết quả Chung kết" in html and "Danh sách đạt giải" in html
    awarded = {r.entry_id for r in _final_results(published) if r.prize}
    for entry in published.entries:
        shown = entry.title in html
        assert shown == (entry.id in awarded), entry.title
        if shown:
            assert entry.leader_member.full_name in html and entry.organisation in html
    # Nhất of each track before the side prize; no code, commune or score column by default.
    first, side = html.index("Giải Nhất"), html.index("Giải ý tưởng sáng tạo nhất")
    assert first < side
    assert not _cells(html, "Mã hồ sơ") and not _cells(html, "Xã/phường") and not _cells(html, "Điểm")
    assert "KT24-" not in html
    # Earlier round: who advances, without scores; a link between the rounds.
    html = client.get(f"/cuoc-thi/{contest.slug}/ket-qua/1").get_data(as_text=True)
    advancing = {
        r.entry_id
        for r in db.session.scalars(select(RoundResult).where(RoundResult.round_id == published.round.id))
        if r.advances
    }
    assert len(advancing) == 4
    for entry in published.entries:
        assert (entry.title in html) == (entry.id in advancing)
    assert f'href="/cuoc-thi/{contest.slug}/ket-qua/2"' in html


def test_the_setting_changes_the_columns(published, client):
    contest = published.contest
    url = f"/cuoc-thi/{contest.slug}/ket-qua/2"
    contest.public_result_fields = ["title", "leader", "prize"]
    db.session.commit()
    html = client.get(url).get_data(as_text=True)
    awarded = [
        e for e in published.entries if e.id in {r.entry_id for r in _final_results(published) if r.prize}
    ]
    assert all(e.organisation not in html for e in awarded)
    assert not _cells(html, "Đơn vị")
    contest.public_result_fields = ["code", "title", "prize", "score"]
    db.session.commit()
    html = client.get(url).get_data(as_text=True)
    shown = {s.strip() for s in _cells(html, "Điểm")}
    expected = {r.score.replace(".", ",") for r in _final_results(published) if r.prize}
    assert shown == expected and all(e.code in html for e in awarded)
    assert all(e.leader_member.full_name not in html for e in awarded)
    # Without "prize": one list of the awarded entries, no prize headings.
    contest.public_result_fields = ["title"]
    db.session.commit()
    html = client.get(url).get_data(as_text=True)
    assert "Giải Nhất" not in html and all(e.title in html for e in awarded)


def test_unpublished_rounds_and_contests_show_nothing(world, client):
    contest = world.contest
    contest.is_published = True
    db.session.commit()
    services.auto_assign(world.organiser, world.round, 2)
    _submit_all(world.round, {e.id: 8 + 2 * i for i, e in enumerate(world.entries)})
    assert client.get(f"/cuoc-thi/{contest.slug}/ket-qua").status_code == 404
    assert client.get(f"/cuoc-thi/{contest.slug}/ket-qua/1").status_code == 404
    html = client.get(f"/cuoc-thi/{contest.slug}").get_data(as_text=True)
    assert "Chưa công bố kết quả" in html and "/ket-qua" not in html
    assert all(e.title not in client.get("/").get_data(as_text=True) for e in world.entries)
    assert public.latest_published() == []


def test_bad_positions_unknown_slugs_and_unpublished_contests_are_404(published, client):
    slug = published.contest.slug
    for url in (
        f"/cuoc-thi/{slug}/ket-qua/3",
        f"/cuoc-thi/{slug}/ket-qua/0",
        f"/cuoc-thi/{slug}/ket-qua/-1",
        f"/cuoc-thi/{slug}/ket-qua/abc",
        f"/cuoc-thi/{slug}/ket-qua/99999999999999999999",
        "/cuoc-thi/khong-co/ket-qua",
        "/cuoc-thi/khong-co/ket-qua/1",
    ):
        assert client.get(url).status_code == 404, url
    published.contest.is_published = False
    db.session.commit()
    assert client.get(f"/cuoc-thi/{slug}/ket-qua").status_code == 404
    assert client.get(f"/cuoc-thi/{slug}/ket-qua/2").status_code == 404
    assert public.latest_published() == []
    assert published.entries[0].title not in client.get("/").get_data(as_text=True)


def test_links_from_home_contest_and_event_pages(published, client):
    contest = published.contest
    final_link = f"/cuoc-thi/{contest.slug}/ket-qua/2"
    home = client.get("/").get_data(as_text=True)
    assert (
        "Kết quả mới công bố" in home and final_link in home and f"/cuoc-thi/{contest.slug}/ket-qua/1" in home
    )
    page = client.get(f"/cuoc-thi/{contest.slug}").get_data(as_text=True)
    assert f'href="/cuoc-thi/{contest.slug}/ket-qua"' in page and "Xem kết quả Chung kết" in page
    event = event_services.create_event(published.organiser, event_data(slug="chung-ket-thu"))
    page = client.get("/su-kien/chung-ket-thu").get_data(as_text=True)
    assert "Xem kết quả" not in page
    event.contest_id = contest.id
    db.session.commit()
    page = client.get("/su-kien/chung-ket-thu").get_data(as_text=True)
    assert "Xem kết quả Chung kết" in page and final_link in page


def test_latest_published_is_newest_first_and_limited(published):
    rounds = public.latest_published()
    assert [r.name for r in rounds] == ["Chung kết", "Sơ khảo"]
    assert len(public.latest_published(1)) == 1


def test_organiser_form_saves_only_known_keys(published, client, login):
    contest = published.contest
    login(published.organiser.email)
    url = f"/quan-ly/cuoc-thi/{contest.slug}/sua"
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Thông tin công bố trong kết quả" in html
    for key in DEFAULT_PUBLIC_RESULT_FIELDS:
        assert re.search(rf'<input[^>]*checked[^>]*value="{key}"|<input[^>]*value="{key}"[^>]*checked', html)
    data = contest_form_data(
        name=contest.name,
        slug=contest.slug,
        year=str(contest.year),
        code_prefix=contest.code_prefix,
        tracks="\n".join(t.name for t in contest.tracks),
        csrf_token=csrf_from(html),
    )
    data["public_result_fields"] = ["code", "phone", "email", "birth_date", "score", "<script>"]
    response = client.post(url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    assert db.session.get_one(Contest, contest.id).public_result_fields == ["code", "score"]


def test_the_service_drops_unknown_keys(published):
    contest = published.contest
    data = contest_services.ContestData(
        name=contest.name,
        slug=contest.slug,
        year=contest.year,
        code_prefix=contest.code_prefix,
        opens_local=contest.opens_at.replace(tzinfo=None),
        closes_local=contest.closes_at.replace(tzinfo=None),
        fields=["Nông nghiệp", "Khác"],
        tracks=[(t.name, None) for t in contest.tracks],
        public_result_fields=["phone", "prize", "title", "email"],
    )
    contest_services.update_contest(published.organiser, contest, data)
    assert contest.public_result_fields == ["title", "prize"]


# --- in a browser ----------------------------------------------------------------------------------


@pytest.mark.e2e
def test_a_visitor_finds_the_winners_from_the_home_page(page, live_server, shoot):
    """The demo's 2024 results: home → "Kết quả mới công bố" → the winners, on a phone and a desktop."""
    with live_server.app.app_context():
        accounts_demo.seed()
        contests_demo.seed()
        judging_demo.seed()
    page.goto(live_server.url + "/")
    section = page.get_by_role("region", name="Kết quả mới công bố")
    expect(section).to_be_visible()
    shoot("home")
    section.get_by_role("link", name=re.compile("Kết quả Chung kết – Cuộc thi tìm kiếm ý tưởng")).click()
    expect(page.get_by_role("heading", name="Kết quả Chung kết", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Giải Nhất"))).to_be_visible()
    assert_fits_width(page)
    shoot("winners")
    page.get_by_role("link", name="Sơ khảo").click()
    expect(page.get_by_role("heading", name="Danh sách hồ sơ vào vòng sau")).to_be_visible()
    assert_fits_width(page)
    shoot("advancing")
    page.get_by_role("link", name=re.compile("← Cuộc thi tìm kiếm ý tưởng")).click()
    expect(page.get_by_role("link", name="Xem kết quả Chung kết")).to_be_visible()
    shoot("contest")
