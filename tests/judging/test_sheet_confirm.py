"""Submitting a score sheet is a step of its own (issue 15): the summary before the sheet locks (the
total, criteria at zero, what locking means), every bad or missing criterion reported at once, both
decimal separators accepted and the Vietnamese comma shown. Services first, then HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.errors import Conflict
from app.extensions import db
from app.judging import scoring, services
from app.judging.models import SheetStatus
from app.judging.services import sheet_checks, sheets
from tests.conftest import csrf_from, submit
from tests.judging.conftest import FULL, scores

LOCK_TEXT = "Sau khi nộp, phiếu bị khoá; muốn sửa phải nhờ Ban tổ chức mở lại."


@pytest.fixture
def assigned(world):
    services.assign_judge(world.organiser, world.round, world.judges[0].id, world.entries[0].id)
    return world


def _sheet(world):
    db.session.expire_all()
    return sheets.get_sheet_for_judge(world.judges[0], world.round.id, world.entries[0].id)


# --- services ------------------------------------------------------------------------------------


def test_review_sums_up_without_saving(assigned):
    row = _sheet(assigned)
    summary = sheet_checks.review_sheet(
        assigned.judges[0], row, scores(thuong_mai_hoa="15,5", thuyet_trinh="0"), row.version
    )
    assert summary.total == Decimal("65.5") and summary.total_text == "65,5"
    assert summary.max_total == 100
    assert summary.zero == ["Khả năng thuyết trình"]
    assert [(c.id, str(v)) for c, v in summary.rows][1] == ("thuong_mai_hoa", "15.5")
    after = _sheet(assigned)
    assert after.status == SheetStatus.TODO.value and after.scores == {} and after.version == row.version


def test_review_and_save_report_every_bad_criterion_at_once(assigned):
    row = _sheet(assigned)
    typed = scores(doi_moi="30", ke_hoach="", tac_dong="abc")
    for call in (
        lambda: sheet_checks.review_sheet(assigned.judges[0], row, typed, row.version),
        lambda: sheets.save_sheet(assigned.judges[0], row, typed, {}, "", row.version, submit=True),
    ):
        with pytest.raises(sheet_checks.SheetErrors) as caught:
            call()
        assert set(caught.value.errors) == {"doi_moi", "ke_hoach", "tac_dong"}
        assert caught.value.message == "Phiếu chấm còn 3 tiêu chí cần sửa hoặc chưa chấm."
        assert "phải từ 0 đến 25" in caught.value.errors["doi_moi"]
        assert "chưa được chấm điểm" in caught.value.errors["ke_hoach"]
    # One problem keeps its own message (it names the criterion).
    with pytest.raises(sheet_checks.SheetErrors) as caught:
        sheet_checks.review_sheet(assigned.judges[0], row, scores(doi_moi="26"), row.version)
    assert "Tính đổi mới sáng tạo" in caught.value.message and "phải từ 0 đến 25" in caught.value.message


def test_review_refuses_what_submitting_refuses(assigned):
    row = _sheet(assigned)
    with pytest.raises(sheet_checks.StaleSheet):
        sheet_checks.review_sheet(assigned.judges[0], row, FULL, row.version + 1)
    with pytest.raises(Exception) as caught:
        sheet_checks.review_sheet(assigned.judges[1], row, FULL, row.version)
    assert caught.value.status == 404
    sheets.save_sheet(assigned.judges[0], row, FULL, {}, "", row.version, submit=True)
    row = _sheet(assigned)
    with pytest.raises(Conflict):
        sheet_checks.review_sheet(assigned.judges[0], row, FULL, row.version)


def test_both_decimal_separators_are_stored_alike_and_shown_with_a_comma(assigned):
    row = _sheet(assigned)
    sheets.save_sheet(assigned.judges[0], row, {"doi_moi": "15.5", "ke_hoach": "7,25"}, {}, "", row.version)
    row = _sheet(assigned)
    assert row.scores == {"doi_moi": "15.5", "ke_hoach": "7.25"}
    assert sheet_checks.shown_scores(row.scores) == {"doi_moi": "15,5", "ke_hoach": "7,25"}
    assert sheet_checks.shown_scores({}) == {}


@pytest.mark.parametrize(
    ("value", "text"), [("77.50", "77,5"), ("80", "80"), ("80.00", "80"), ("0", "0"), ("0.05", "0,05")]
)
def test_short_score(value, text):
    assert sheet_checks.short_score(Decimal(value)) == text


def test_summary_of_a_weighted_scale_rubric():
    rubric = scoring.Rubric(
        (scoring.Criterion.scale("a", "Ý tưởng", 2), scoring.Criterion.points("b", "Thị trường", 10))
    )
    summary = sheet_checks.summarise_sheet(rubric, scoring.validate_sheet(rubric, {"a": "4", "b": "0"}))
    assert summary.total == 8 and summary.total_text == "8" and summary.zero == ["Thị trường"]


# --- HTTP ----------------------------------------------------------------------------------------


@pytest.fixture
def judged(assigned, login):
    login("gk1@example.vn")
    return assigned


def _url(world) -> str:
    return f"/cham-diem/vong/{world.round.id}/ho-so/{world.entries[0].id}"


def _form(values, version, action, **extra):
    return {
        **{f"score-{k}": v for k, v in values.items()},
        "version": str(version),
        "action": action,
        **extra,
    }


def test_the_sheet_shows_stored_scores_with_a_comma_and_keeps_the_two_buttons_apart(judged, client):
    row = _sheet(judged)
    sheets.save_sheet(judged.judges[0], row, {"doi_moi": "18.5"}, {}, "", row.version)
    html = client.get(_url(judged)).get_data(as_text=True)
    assert 'value="18,5"' in html and 'value="18.5"' not in html
    assert 'inputmode="decimal"' in html and 'data-max="25"' in html
    draft, final = html.index('class="sheet-draft"'), html.index('class="sheet-final"')
    assert draft < html.index('value="save"') < final < html.index('value="submit"')
    assert "<dialog" in html and LOCK_TEXT in html and "Quay lại" in html


def test_submit_shows_the_summary_and_saves_nothing_then_confirm_locks(judged, client):
    url = _url(judged)
    version = _sheet(judged).version
    typed = scores(thuong_mai_hoa="15,5", thuyet_trinh="0")
    response = submit(
        client, url, _form(typed, version, "submit", **{"comment-doi_moi": 'Tốt "lắm"\ndòng 2'})
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Nộp phiếu chấm" in html and "65,5" in html and LOCK_TEXT in html
    assert "Các tiêu chí đang để 0 điểm" in html and "Khả năng thuyết trình" in html
    assert 'name="score-thuong_mai_hoa" value="15,5"' in html
    assert 'value="Tốt &#34;lắm&#34;\ndòng 2"' in html or 'value="Tốt &quot;lắm&quot;\ndòng 2"' in html
    assert 'value="confirm"' in html and 'value="edit"' in html
    row = _sheet(judged)
    assert row.status == SheetStatus.TODO.value and row.version == version

    token = csrf_from(html)
    response = client.post(
        url, data={**_form(typed, version, "confirm", **{"comment-doi_moi": "Tốt"}), "csrf_token": token}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/cham-diem/")
    row = _sheet(judged)
    assert row.status == SheetStatus.SUBMITTED.value and row.scores["thuong_mai_hoa"] == "15.5"
    assert row.comments == {"doi_moi": "Tốt"}


def test_back_from_the_summary_keeps_what_was_typed_unsaved(judged, client):
    url = _url(judged)
    version = _sheet(judged).version
    typed = scores(thuong_mai_hoa="15.5")
    response = submit(client, url, _form(typed, version, "edit", general_comment="Nhận xét chung"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'value="15.5"' in html and "Nhận xét chung</textarea>" in html and 'value="submit"' in html
    assert _sheet(judged).status == SheetStatus.TODO.value


def test_submit_with_several_problems_lists_them_all_and_marks_each_field(judged, client):
    typed = scores(doi_moi="30", ke_hoach="", thuyet_trinh="")
    response = submit(client, _url(judged), _form(typed, _sheet(judged).version, "submit"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Phiếu chấm còn 3 tiêu chí cần sửa hoặc chưa chấm." in html
    for cid in ("doi_moi", "ke_hoach", "thuyet_trinh"):
        assert f'<a href="#score-{cid}">' in html
        assert f'<small id="err-{cid}" class="field-error" >' in html
    assert html.count('aria-invalid="true"') == 3
    assert 'value="30"' in html  # what was typed stays


def test_confirm_is_checked_again_on_the_server(judged, client):
    """A hand-made confirm (no summary seen) with a bad score, or on an old page, locks nothing."""
    url = _url(judged)
    version = _sheet(judged).version
    response = submit(client, url, _form(scores(doi_moi="26"), version, "confirm"))
    assert response.status_code == 422
    response = submit(client, url, _form(FULL, version + 5, "confirm"))
    assert response.status_code == 409
    assert _sheet(judged).status == SheetStatus.TODO.value


def test_after_locking_submit_and_edit_change_nothing(judged, client):
    url = _url(judged)
    row = _sheet(judged)
    sheets.save_sheet(judged.judges[0], row, FULL, {}, "", row.version, submit=True)
    version = _sheet(judged).version
    response = submit(client, url, _form(scores(doi_moi="1"), version, "submit"))
    assert response.status_code == 409 and "đã được khoá" in response.get_data(as_text=True)
    response = submit(client, url, _form(scores(doi_moi="1"), version, "edit"))
    assert response.status_code == 302
    assert _sheet(judged).scores["doi_moi"] == "20"


@pytest.mark.parametrize(
    "data",
    [
        {"action": "submit", "version": "x"},
        {"action": "submit", "version": "1", "score-doi_moi": "1e61"},
        {"action": "submit", "version": "1", "score-doi_moi": "١٢"},
        {"action": "edit"},
        {"action": "confirm", "score-doi_moi": "NaN"},
        {"action": "bấm bừa"},
    ],
)
def test_ugly_input_on_the_new_steps_never_crashes(judged, client, data):
    page = client.get(_url(judged)).get_data(as_text=True)
    response = client.post(_url(judged), data={**data, "csrf_token": csrf_from(page)})
    assert response.status_code in (200, 302, 409, 422)
    assert _sheet(judged).status != SheetStatus.SUBMITTED.value


def test_running_total_counts_valid_scores_only():
    rubric = scoring.DEFAULT_RUBRIC
    assert sheet_checks.running_total(rubric, {}).text == "—"
    running = sheet_checks.running_total(
        rubric, {"doi_moi": "18", "thuong_mai_hoa": "25", "ke_hoach": "7,5", "x": "9"}
    )
    assert running.text == "25,5" and running.invalid == 1  # 20 is the maximum of thuong_mai_hoa
    running = sheet_checks.running_total(rubric, {"doi_moi": "abc", "ke_hoach": "1.234"})
    assert running.text == "—" and running.invalid == 2


def test_a_refused_submit_shows_the_total_of_the_valid_scores_and_what_it_left_out(judged, client):
    typed = scores(doi_moi="30", ke_hoach="")  # 15 + 8 + 12 + 11 count
    response = submit(client, _url(judged), _form(typed, _sheet(judged).version, "submit"))
    html = response.get_data(as_text=True)
    assert '<output id="sheet-total">46</output>' in html
    assert "(chưa tính 1 mục không hợp lệ)" in html
