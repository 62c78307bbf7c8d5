"""The minutes of a live final: the data, the workbook, the print-ready page, who may see them, and
the workbook printed by LibreOffice (slow)."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app.contests.models import Contest, ContestStaff, Entry
from app.extensions import db
from app.judging import services as judging
from app.judging.models import Assignment, JudgeProfile
from app.judging.services import sheets
from app.live import minutes as live_minutes
from app.live import services as live
from app.live.models import AudienceVote
from app.localtime import utcnow
from tests.live.conftest import RUBRIC_SCORES, LiveWorld

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
NO_SHOW_REASON = "Đội báo ốm, không có mặt tại hội trường"
CLOSE_REASON = "Giám khảo Nam mất kết nối, hội đồng thống nhất chốt"
OVERRIDE_REASON = "Hội đồng đề nghị ươm tạo tiếp vì tiềm năng thị trường"


@dataclass
class Final:
    world: LiveWorld
    first: Entry  # both judges submitted, different scores
    absent: Entry  # no-show
    last: Entry  # judge 1 submitted, judge 2 left a draft; closed with a reason


def save(judge, round_, entry, *, submit=True, **extra):
    sheet = sheets.get_sheet_for_judge(judge, round_.id, entry.id)
    scores = dict(RUBRIC_SCORES, **extra) if submit else extra
    return sheets.save_sheet(judge, sheet, scores, {}, "", sheet.version, submit=submit)


def entry_of(world: LiveWorld, entry_id: int) -> Entry:
    return next(e for e in world.entries if e.id == entry_id)


def make_final(world: LiveWorld) -> Final:
    """The final played out: team 1 scored by both judges, team 2 absent, team 3 closed early with one
    draft; an override, three audience votes."""
    stage, organiser, round_ = world.stage, world.organiser, world.round
    judge1, judge2 = world.judges
    profile = db.session.query(JudgeProfile).filter_by(user_id=judge1.id).one_or_none()
    if profile is None:
        profile = JudgeProfile(user_id=judge1.id)
        db.session.add(profile)
    profile.organisation = "Trường Đại học Phạm Văn Đồng"
    db.session.query(JudgeProfile).filter_by(user_id=judge2.id).update({"organisation": ""})
    db.session.commit()
    live.draw_order(organiser, stage, "chung-ket-2026")
    order = [s.entry_id for s in stage.slots]
    first, absent, last = (entry_of(world, i) for i in order)

    live.start(organiser, stage)
    save(judge1, round_, first, doi_moi="22", thuyet_trinh="12")
    save(judge2, round_, first, doi_moi="18", ke_hoach="9")
    live.close(organiser, stage)

    live.no_show(organiser, stage, absent.id, NO_SHOW_REASON)

    live.start(organiser, stage)
    save(judge1, round_, last, doi_moi="15")
    save(judge2, round_, last, submit=False, doi_moi="10", thuong_mai_hoa="7")
    live.close(organiser, stage, CLOSE_REASON)
    assert stage.phase == "finished"

    judging.set_override(organiser, round_, last.id, "advance", OVERRIDE_REASON)
    tickets = {a.active_ticket.code: a.active_ticket.id for a in world.attendees if a.active_ticket}
    for key, entry in (("in1", first), ("in2", first), ("in3", last)):
        db.session.add(
            AudienceVote(stage_id=stage.id, ticket_id=tickets[world.tickets[key]], entry_id=entry.id)
        )
    db.session.commit()
    return Final(world, first, absent, last)


@pytest.fixture
def final(live_round) -> Final:
    return make_final(live_round)


def submitted_sheets(round_id: int) -> dict[tuple[int, int], Assignment]:
    rows = db.session.query(Assignment).filter(Assignment.round_id == round_id)
    return {(a.entry_id, a.judge_id): a for a in rows}


# --- the data ------------------------------------------------------------------------------------


def test_the_minutes_hold_every_sheet_the_results_and_the_reasons(final):
    world = final.world
    m = live_minutes.minutes_data(world.round, world.stage)
    judge1, judge2 = world.judges
    assert m.round_name == "Chung kết" and m.seed == "chung-ket-2026" and m.finished
    assert m.place == world.event.venue and m.day is not None
    names = {j.name: j for j in m.judges}
    assert names[judge1.full_name].organisation == "Trường Đại học Phạm Văn Đồng"
    assert names[judge2.full_name].organisation == "" and names[judge2.full_name].submitted == 1
    # The running order as drawn, with the no-show and the early close.
    assert [s.entry_id for s in m.slots] == [final.first.id, final.absent.id, final.last.id]
    assert [s.state for s in m.slots] == ["closed", "no_show", "closed"]
    assert [s.reason for s in m.no_shows] == [NO_SHOW_REASON]
    assert [s.reason for s in m.closings] == [CLOSE_REASON]
    # Each judge's scores are the sheets' own values; the draft is marked and not totalled.
    criteria = [c.id for c in m.criteria]
    stored = submitted_sheets(world.round.id)
    assert {(s.entry_id, s.judge_id) for s in m.sheets} == {
        (final.first.id, judge1.id),
        (final.first.id, judge2.id),
        (final.last.id, judge1.id),
        (final.last.id, judge2.id),
    }
    results = judging.compute_results(world.round)
    for line in m.sheets:
        sheet = stored[(line.entry_id, line.judge_id)]
        expected = [Decimal(sheet.scores[c]) if sheet.scores.get(c) else None for c in criteria]
        assert list(line.scores) == expected
        if line.draft:
            assert line.total is None and line.status_label.startswith("Bản nháp")
        else:
            assert line.total == results.ranking.entry(line.entry_id).judge_totals[line.judge_id]
    draft = next(s for s in m.sheets if s.draft)
    assert draft.judge_id == judge2.id and draft.entry_id == final.last.id
    # Ranks, scores and prizes are compute_results', row for row.
    assert [(r.entry_id, r.rank, r.score) for r in m.results] == [
        (row.entry.id, row.rank, row.shown_score) for row in results.ranking.rows()
    ]
    for r in m.results:
        assert r.prizes == ", ".join(a.prize_name for a in results.prizes.of(r.entry_id))
    assert m.results[0].entry_id == final.first.id and m.results[0].prizes == "Giải Nhất"
    assert m.results[-1].entry_id == final.absent.id and m.results[-1].rank is None
    assert m.results[-1].note == "Vắng mặt" and m.results[0].note == ""
    assert m.results[1].note == "Chốt điểm khi chưa đủ phiếu; BTC quyết định đi tiếp"
    assert any("chưa nộp" in note for note in m.notes)  # the draft and the no-show's sheets
    assert [(o.code, o.decision, o.reason) for o in m.overrides] == [
        (final.last.code, "Đi tiếp", OVERRIDE_REASON)
    ]
    assert [(v.code, v.votes) for v in m.votes] == [
        (final.first.code, 2),
        (final.last.code, 1),
        (final.absent.code, 0),
    ]
    assert m.vote_total == 3


def test_without_an_event_the_minutes_take_the_day_the_teams_pitched(app, make_user):
    from tests.live.conftest import make_live_world

    world = make_live_world(make_user, vote=False)
    live.start(world.organiser, world.stage)
    m = live_minutes.minutes_data(world.round, world.stage)
    assert m.place == "" and m.when and m.day is not None and not m.finished
    assert m.votes == () and not m.vote_enabled and m.seed == ""
    assert m.results and all(r.rank is None for r in m.results)  # nobody scored yet
    assert m.sheets == ()  # the team on stage has no sheet opened yet
    items = dict(live_minutes.info_items(m))
    assert items["Địa điểm"] == live_minutes.BLANK and "biên bản tạm" in items["Tình trạng"]


# --- the workbook --------------------------------------------------------------------------------


def workbook_of(final: Final):
    m = live_minutes.minutes_data(final.world.round, final.world.stage)
    stream = BytesIO()
    live_minutes.write_minutes(m, stream)
    stream.seek(0)
    return m, load_workbook(stream)


def table(ws, first_header: str) -> list[dict[str, object]]:
    """The rows under the header row that starts with `first_header`, as dicts."""
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row and row[0] == first_header)
    headers = rows[start]
    out = []
    for row in rows[start + 1 :]:
        if not any(v not in (None, "") for v in row):
            break
        out.append(dict(zip(headers, row, strict=False)))
    return out


def test_the_workbook_opens_and_equals_the_sheets_and_the_results(final):
    world = final.world
    judge1, judge2 = world.judges
    m, wb = workbook_of(final)
    assert wb.sheetnames == ["Thông tin", "Thứ tự thi", "Điểm chi tiết", "Kết quả", "Bình chọn", "Chữ ký"]

    info = {row[0]: row[1] for row in wb["Thông tin"].iter_rows(values_only=True) if row[0]}
    assert "BIÊN BẢN CHẤM CHUNG KẾT" in info and "chung-ket-2026" in info["Thứ tự thi"]
    assert judge1.full_name in info["Thành phần hội đồng giám khảo"]
    assert "Trường Đại học Phạm Văn Đồng" in info["Thành phần hội đồng giám khảo"]
    assert NO_SHOW_REASON in info["Đội vắng mặt"] and CLOSE_REASON in info["Chốt điểm khi chưa đủ phiếu"]
    assert OVERRIDE_REASON in info["Quyết định của Ban tổ chức"]

    order = table(wb["Thứ tự thi"], "Thứ tự")
    assert [(r["Thứ tự"], r["Mã hồ sơ"], r["Trạng thái"]) for r in order] == [
        (1, final.first.code, "Đã chốt điểm"),
        (2, final.absent.code, "Vắng mặt"),
        (3, final.last.code, "Đã chốt điểm"),
    ]
    assert order[1]["Lý do (vắng mặt, chốt khi chưa đủ phiếu)"] == NO_SHOW_REASON
    assert order[2]["Lý do (vắng mặt, chốt khi chưa đủ phiếu)"] == CLOSE_REASON

    details = table(wb["Điểm chi tiết"], "Thứ tự")
    stored = submitted_sheets(world.round.id)
    judge_ids = {judge1.full_name: judge1.id, judge2.full_name: judge2.id}
    by_code = {final.first.code: final.first.id, final.last.code: final.last.id}
    assert len(details) == 4
    for row in details:
        sheet = stored[(by_code[row["Mã hồ sơ"]], judge_ids[row["Giám khảo"]])]
        for criterion in m.criteria:
            value = row[criterion.header]
            raw = sheet.scores.get(criterion.id)
            assert (Decimal(str(value)) if value is not None else None) == (Decimal(raw) if raw else None)
        if sheet.status == "draft":
            assert row["Phiếu"] == "Bản nháp – không tính" and row["Tổng"] is None
        else:
            assert row["Phiếu"] == "Đã nộp" and Decimal(str(row["Tổng"])) == sum(
                Decimal(v) for v in sheet.scores.values()
            )

    results = judging.compute_results(world.round)
    ranked = table(wb["Kết quả"], "Hạng")
    assert [(r["Mã hồ sơ"], r["Hạng"]) for r in ranked] == [
        (results.entries[row.entry.id].code, row.rank) for row in results.ranking.rows()
    ]
    for r, row in zip(ranked, results.ranking.rows(), strict=True):
        expected = row.shown_score
        assert (Decimal(str(r["Điểm tổng hợp"])) if r["Điểm tổng hợp"] is not None else None) == expected
        assert (r["Giải"] or "") == ", ".join(a.prize_name for a in results.prizes.of(row.entry.id))
    assert ranked[-1]["Ghi chú"] == "Vắng mặt"

    *votes, total = table(wb["Bình chọn"], "STT")
    assert total["Tên ý tưởng"] == "Tổng số phiếu" and total["Số phiếu"] == 3
    assert [(r["Mã hồ sơ"], r["Số phiếu"]) for r in votes] == [
        (final.first.code, 2),
        (final.last.code, 1),
        (final.absent.code, 0),
    ]

    signing = [row for row in wb["Chữ ký"].iter_rows(values_only=True) if any(row)]
    text = "\n".join(str(c) for row in signing for c in row if c)
    assert f"Giám khảo {judge1.full_name}" in text and f"Giám khảo {judge2.full_name}" in text
    assert "THƯ KÝ" in text and "CHỦ TỊCH HỘI ĐỒNG" in text and "(Ký, ghi rõ họ tên)" in text


def test_without_votes_there_is_no_vote_sheet(app, make_user):
    from tests.live.conftest import make_live_world

    world = make_live_world(make_user, vote=False)
    m = live_minutes.minutes_data(world.round, world.stage)
    names = [s.name for s in live_minutes.minutes_sheets(m)]
    assert names == ["Thông tin", "Thứ tự thi", "Điểm chi tiết", "Kết quả", "Chữ ký"]


def test_text_that_looks_like_a_formula_stays_text(final):
    final.first.title = '=HYPERLINK("http://x")'
    db.session.commit()
    _m, wb = workbook_of(final)
    order = table(wb["Thứ tự thi"], "Thứ tự")
    assert order[0]["Tên ý tưởng"] == '=HYPERLINK("http://x")'
    assert wb["Thứ tự thi"].cell(row=1, column=1).data_type != "f"
    for ws in wb.worksheets:
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


# --- the pages -----------------------------------------------------------------------------------


def test_the_page_shows_the_same_record(final, client, login):
    world = final.world
    login("btc@example.vn")
    response = client.get(f"/truc-tiep/vong/{world.round.id}/bien-ban")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for text in (
        "BIÊN BẢN CHẤM CHUNG KẾT",
        "UBND TỈNH QUẢNG NGÃI",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        world.contest.name,
        "chung-ket-2026",
        NO_SHOW_REASON,
        CLOSE_REASON,
        OVERRIDE_REASON,
        "Bản nháp – không tính",
        "Giải Nhất",
        "(Ký, ghi rõ họ tên)",
        "THƯ KÝ",
        "CHỦ TỊCH HỘI ĐỒNG",
        "Trường Đại học Phạm Văn Đồng",
        world.event.venue,
        "css/minutes.css",
    ):
        assert text in html, text
    for judge in world.judges:
        assert html.count(judge.full_name) >= 3  # present, their sheets, their signature
    results = judging.compute_results(world.round)
    from app.judging.scoring import format_score

    for row in results.ranking.rows():
        if row.shown_score is not None:
            assert format_score(row.shown_score) in html
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]


def test_the_download_is_the_workbook(final, client, login):
    login("btc@example.vn")
    response = client.get(f"/truc-tiep/vong/{final.world.round.id}/bien-ban.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "bien-ban-chung-ket-" in response.headers["Content-Disposition"]
    wb = load_workbook(BytesIO(response.get_data()))
    assert "Điểm chi tiết" in wb.sheetnames


def test_only_the_contests_organisers_see_the_minutes(live_round, client, login, make_user):
    world = live_round
    url = f"/truc-tiep/vong/{world.round.id}/bien-ban"
    for path in (url, url + ".xlsx"):
        response = client.get(path)
        assert response.status_code in (302, 401) and "dang-nhap" in response.headers.get(
            "Location", "dang-nhap"
        )
    login("gk1@example.vn")  # a judge of this very round
    assert client.get(url).status_code == 403
    assert client.get(url + ".xlsx").status_code == 403
    client.post("/tai-khoan/dang-xuat")
    client.delete_cookie("session")

    other = Contest(
        slug="khac",
        name="Cuộc thi khác",
        year=2024,
        code_prefix="KH",
        opens_at=utcnow(),
        closes_at=utcnow() + timedelta(days=3),
        form_fields={},
        fields=[],
    )
    db.session.add(other)
    db.session.flush()
    stranger = make_user("doan@example.vn", roles=("organiser",), name="Lê Văn Thành")
    db.session.add(ContestStaff(contest_id=other.id, user_id=stranger.id, role="organiser"))
    db.session.commit()
    login("doan@example.vn")
    assert client.get(url).status_code == 403
    assert client.get(url + ".xlsx").status_code == 403


def test_a_round_that_is_not_live_has_no_minutes(live_round, client, login):
    world = live_round
    other = judging.create_round(world.organiser, world.contest, judging.RoundSettings(name="Bán kết"))
    login("btc@example.vn")
    for round_id in (other.id, 987654):
        assert client.get(f"/truc-tiep/vong/{round_id}/bien-ban").status_code == 404
        assert client.get(f"/truc-tiep/vong/{round_id}/bien-ban.xlsx").status_code == 404
    assert client.get("/truc-tiep/vong/abc/bien-ban").status_code == 404
    assert client.get("/truc-tiep/vong/-1/bien-ban.xlsx").status_code == 404


# --- printed (slow) ------------------------------------------------------------------------------


def test_libreoffice_prints_the_minutes_on_a4_landscape(final, tmp_path):
    from tests.exports.test_libreoffice import page_sizes, pdf_text, to_pdf

    m = live_minutes.minutes_data(final.world.round, final.world.stage)
    path = tmp_path / m.filename
    live_minutes.write_minutes(m, path)
    pdf = to_pdf(path, tmp_path)
    if shutil.which("pdftoppm"):
        SCREENSHOTS.mkdir(exist_ok=True)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", str(pdf), str(SCREENSHOTS / "live-minutes-pdf")], check=True
        )
    sizes = page_sizes(pdf)
    assert sizes and all(w > h for w, h in sizes)  # A4 landscape everywhere
    text = pdf_text(pdf)
    flat = re.sub(r"\s+", " ", text)
    assert "BIÊN BẢN CHẤM CHUNG KẾT" in flat and "SỞ KHOA HỌC VÀ CÔNG NGHỆ" in flat
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in flat
    assert NO_SHOW_REASON in flat and "Tổng" in flat and "Giải Nhất" in flat  # last columns fit
    assert "THƯ KÝ" in flat and "CHỦ TỊCH HỘI ĐỒNG" in flat
    for judge in final.world.judges:
        assert f"Giám khảo {judge.full_name}" in flat


# --- in a browser: phone, desktop, and printed to PDF by Chromium (e2e) -------------------------


@pytest.mark.e2e
def test_the_page_reads_on_a_phone_and_prints_on_a4_landscape(page, live_server, shoot, tmp_path):
    from playwright.sync_api import expect

    from app.accounts import services as accounts
    from tests.conftest import assert_fits_width
    from tests.exports.test_libreoffice import page_sizes, pdf_text
    from tests.live.conftest import make_live_world

    def make_user(email, roles=("applicant",), password="GaoLua2024", name="Nguyễn Văn An"):
        user = None
        for role in roles:
            user, _ = accounts.create_user(email, role, password=password, full_name=name)
        return user

    with live_server.app.app_context():
        round_id = make_final(make_live_world(make_user)).world.round.id
        db.session.remove()
    page.goto(live_server.url + "/tai-khoan/dang-nhap")
    page.get_by_label("Email").fill("btc@example.vn")
    page.get_by_label("Mật khẩu").fill("GaoLua2024")
    page.get_by_role("button", name="Đăng nhập").click()
    page.goto(f"{live_server.url}/truc-tiep/vong/{round_id}/bien-ban")
    expect(page.get_by_role("heading", name="BIÊN BẢN CHẤM CHUNG KẾT")).to_be_visible()
    expect(page.get_by_role("heading", name="Điểm chi tiết của từng giám khảo")).to_be_visible()
    expect(page.get_by_text(NO_SHOW_REASON).first).to_be_visible()
    expect(page.get_by_role("link", name="Tải biên bản (.xlsx)")).to_be_visible()
    assert_fits_width(page)
    shoot("bien-ban")
    if page.viewport_name == "desktop":
        page.emulate_media(media="print")
        shoot("ban-in")
        pdf = tmp_path / "bien-ban.pdf"
        page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
        if shutil.which("pdftoppm"):
            SCREENSHOTS.mkdir(exist_ok=True)
            subprocess.run(
                ["pdftoppm", "-png", "-r", "60", str(pdf), str(SCREENSHOTS / "live-minutes-html-pdf")],
                check=True,
            )
        sizes = page_sizes(pdf)
        assert sizes and all(w > h for w, h in sizes)  # A4 landscape
        flat = re.sub(r"\s+", " ", pdf_text(pdf))
        assert "BIÊN BẢN CHẤM CHUNG KẾT" in flat and "Bốc thăm thứ tự" not in flat
        assert "Về bàn điều khiển" not in flat and "CHỦ TỊCH HỘI ĐỒNG" in flat


def test_a_method_that_refuses_leaves_the_ranks_out_but_keeps_every_sheet(final):
    world = final.world
    world.round.method = "zscore"  # needs at least 3 sheets per judge: this final has 2
    judging.results_changed(world.round)
    db.session.commit()
    results = judging.compute_results(world.round)
    assert results.ranking is None and results.refused
    m = live_minutes.minutes_data(world.round, world.stage)
    assert m.results == () and m.refused == results.refused
    submitted = [s for s in m.sheets if not s.draft]
    assert len(submitted) == 3 and all(s.total == sum(v for v in s.scores if v) for s in submitted)
    _m, wb = workbook_of(final)
    info = {row[0]: row[1] for row in wb["Thông tin"].iter_rows(values_only=True) if row[0]}
    assert info["Chưa xếp hạng được"] == results.refused
