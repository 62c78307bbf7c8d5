"""`flask export …`: the same workbooks as the web, documented arguments, clear errors."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from app.exports import downloads


def sheets(path) -> dict[str, list[tuple]]:
    wb = load_workbook(path)
    return {ws.title: [r for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def test_export_results_writes_the_same_workbook_as_the_web(world, runner, client, login, tmp_path):
    out = tmp_path / "ket-qua.xlsx"
    result = runner.invoke(
        args=["export", "results", "--contest", world.contest.slug, "--round", "1", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "Đã ghi" in result.output and out.exists()
    login("btc@example.vn")
    web = client.get(f"/bao-cao/vong/{world.round.id}/ket-qua.xlsx").data
    # Same sheets, same cells.
    assert sheets(out) == sheets(io.BytesIO(web))


def test_every_export_command(world, runner, tmp_path):
    commands = {
        "entries": ["--contest", world.contest.slug],
        "judges": ["--contest", world.contest.slug, "--round", "1"],
        "attendance": ["--event", world.event.slug],
        "requests": ["--status", "open"],
        "report": ["--year", "2024"],
    }
    for name, args in commands.items():
        result = runner.invoke(args=["export", name, *args, "-o", str(tmp_path)])
        assert result.exit_code == 0, (name, result.output)
    written = sorted(p.name for p in tmp_path.glob("*.xlsx"))
    assert written == sorted(
        [
            f"ho-so-{world.contest.slug}.xlsx",
            f"tien-do-cham-{world.contest.slug}-vong-1.xlsx",
            f"tham-du-{world.event.slug}.xlsx",
            "yeu-cau-du-lieu-ca-nhan.xlsx",
            "bao-cao-kndmst-2024.xlsx",
        ]
    )
    report = load_workbook(tmp_path / "bao-cao-kndmst-2024.xlsx")
    assert report.sheetnames[0] == "Theo cuộc thi" and report.sheetnames[-1] == "Chỉ tiêu kế hoạch"


def test_help_documents_the_arguments(app, runner):
    top = runner.invoke(args=["export", "--help"]).output
    for name in ("results", "entries", "judges", "attendance", "requests", "report"):
        assert name in top
    results = runner.invoke(args=["export", "results", "--help"]).output
    assert "--contest SLUG" in results and "--round N" in results and "-o, --output FILE" in results
    assert "--year YYYY" in runner.invoke(args=["export", "report", "--help"]).output
    assert "--event SLUG" in runner.invoke(args=["export", "attendance", "--help"]).output


def test_errors_are_clear_and_write_nothing(world, runner, tmp_path):
    out = tmp_path / "x.xlsx"
    missing = runner.invoke(
        args=["export", "results", "--contest", "khong-co", "--round", "1", "-o", str(out)]
    )
    assert missing.exit_code == 1 and "Không tìm thấy cuộc thi" in missing.output
    no_round = runner.invoke(
        args=["export", "results", "--contest", world.contest.slug, "--round", "3", "-o", str(out)]
    )
    assert no_round.exit_code == 1 and "không có vòng 3" in no_round.output
    bad_year = runner.invoke(args=["export", "report", "--year", "24"])
    assert bad_year.exit_code == 2
    no_dir = runner.invoke(
        args=["export", "report", "--year", "2024", "-o", str(tmp_path / "khong" / "co" / "x.xlsx")]
    )
    assert no_dir.exit_code == 1 and "Không ghi được" in no_dir.output
    assert not out.exists()


def test_filename_defaults_to_the_export_name(world, runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(args=["export", "entries", "--contest", world.contest.slug]).exit_code == 0
    assert (tmp_path / downloads.entries_export(world.contest).filename).exists()
