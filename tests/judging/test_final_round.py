"""A round's results for the organisers (issue 15): the downloads on the results page, the note
that the trimmed mean equals the mean under 5 sheets, a final round that shows prizes and never
"Đi tiếp" (page, workbook, published rows), the workbook's notes on empty judge cells, and its
method text naming only the kinds of criteria the rubric has."""

from __future__ import annotations

from openpyxl import load_workbook
from sqlalchemy import select

from app.exports import downloads
from app.extensions import db
from app.judging import scoring, services
from app.judging.models import RoundResult
from app.judging.services.results import awards_prizes
from tests.judging.conftest import scores


def _score_all(world, *, skip: int = 0) -> None:
    """Every sheet submitted except the last `skip` ones."""
    sheets = services.round_assignments(world.round)
    for n, sheet in enumerate(sheets[: len(sheets) - skip]):
        services.save_sheet(
            sheet.judge, sheet, scores(doi_moi=str(10 + n % 7)), {}, "", sheet.version, submit=True
        )


def _table(ws):
    header_row = next(r for r in range(1, 20) if ws.cell(r, 1).value == "STT")
    headers = [c.value for c in ws[header_row]]
    rows = []
    for row in ws.iter_rows(min_row=header_row + 1, values_only=True):
        if not isinstance(row[0], int):
            break
        rows.append(dict(zip(headers, row, strict=False)))
    return headers, rows


def test_results_page_offers_both_workbooks_and_explains_the_trimmed_mean(world, client, login):
    services.auto_assign(world.organiser, world.round)
    _score_all(world)
    login("btc@example.vn")
    html = client.get(f"/cham-diem/quan-ly/vong/{world.round.id}/ket-qua").get_data(as_text=True)
    assert (
        f'href="/bao-cao/vong/{world.round.id}/ket-qua.xlsx"' in html and "Tải bảng kết quả (.xlsx)" in html
    )
    assert f'href="/bao-cao/vong/{world.round.id}/giam-khao.xlsx"' in html
    # 2 judges per entry: every entry is under 5 sheets, so the trimmed mean is the mean.
    assert 'role="note"' in html and "Mọi hồ sơ của vòng này có ít hơn 5 phiếu" in html
    assert "Xét đi tiếp" in html  # the only round so far, without prizes: it still decides advancement


def test_a_round_with_prizes_is_a_final_page_workbook_and_published_rows(world, client, login, tmp_path):
    services.auto_assign(world.organiser, world.round)
    assert not awards_prizes(world.round)
    services.save_prize_plan(
        world.organiser,
        world.round,
        {t.name: {"nhat": 1, "nhi": 0, "ba": 0, "khuyen_khich": 0} for t in world.tracks},
        [],
    )
    assert awards_prizes(world.round)
    _score_all(world, skip=1)
    login("btc@example.vn")
    html = client.get(f"/cham-diem/quan-ly/vong/{world.round.id}/ket-qua").get_data(as_text=True)
    assert "vòng chung kết: xét giải, không xét đi tiếp" in html and ">Đi tiếp<" not in html

    export = downloads.results_export(world.round)
    path = tmp_path / export.filename
    downloads.write_export(export, path)
    wb = load_workbook(path)
    headers, rows = _table(wb["Xếp hạng"])
    assert "Đi tiếp" not in headers and "Giải" in headers
    assert any(r["Giải"] == "Giải Nhất" for r in rows)
    # Empty judge cells say why: the unsubmitted sheet, and judges not assigned to the entry.
    notes = [r["Ô điểm giám khảo để trống"] for r in rows]
    assert sum(1 for n in notes if n and n.startswith("Chưa nộp: ")) == 1
    assert all("không được phân công" in n.lower() for n in notes if n)
    method = {r[0]: r[1] for r in wb["Phương pháp"].iter_rows(values_only=True) if r[0] and r[1]}
    assert "Xét giải" in method and "Điều kiện đi tiếp" not in method
    assert "thang 1–5" not in method["Cách tính"] and "thang 1–5" not in method["Thang điểm"]

    # Published: prizes and no "advances" at all.
    sheet = next(a for a in services.round_assignments(world.round) if a.status != "submitted")
    services.save_sheet(sheet.judge, sheet, scores(), {}, "", sheet.version, submit=True)
    services.publish_results(world.organiser, world.round)
    published = db.session.scalars(select_results(world.round.id)).all()
    assert published and all(r.advances is None for r in published)


def select_results(round_id: int):
    return select(RoundResult).where(RoundResult.round_id == round_id)


def test_method_text_names_only_the_scales_used():
    points = scoring.Rubric((scoring.Criterion.points("a", "Ý tưởng", 10),))
    scale = scoring.Rubric((scoring.Criterion.scale("b", "Thị trường", 2),))
    both = scoring.Rubric(points.criteria + scale.criteria)
    assert "thang 1–5" not in downloads.method_text(points, scoring.Method.MEAN)
    assert "thang 1–5" in downloads.method_text(scale, scoring.Method.MEAN)
    assert "tiêu chí chấm điểm" not in downloads.method_text(scale, scoring.Method.MEAN)
    text = downloads.method_text(both, scoring.Method.TRIMMED_MEAN)
    assert "tiêu chí chấm điểm" in text and "thang 1–5" in text and "ít hơn 5 phiếu" in text
