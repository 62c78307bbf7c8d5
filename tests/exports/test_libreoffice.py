"""The results and annual report workbooks load in LibreOffice Calc (headless) and print on A4
landscape; the first pages are also rendered to PNG under screenshots/ for a human look."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from app.exports import annual_report, downloads

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def to_pdf(path: Path, tmp_path: Path) -> Path:
    soffice = shutil.which("soffice")
    assert soffice and shutil.which("pdftotext"), (
        "LibreOffice and poppler-utils are missing: run `make libreoffice`"
    )
    profile = tmp_path / "lo-profile"  # a private profile: parallel runs do not share a lock
    completed = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf"]
        + ["--outdir", str(tmp_path), str(path)],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    pdf = path.with_suffix(".pdf")
    assert completed.returncode == 0 and pdf.exists(), completed.stderr
    return pdf


def pdf_text(pdf: Path, first: int = 1, last: int | None = None) -> str:
    args = ["pdftotext", "-layout", "-f", str(first)] + (["-l", str(last)] if last else []) + [str(pdf), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def page_sizes(pdf: Path) -> list[tuple[float, float]]:
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "99", str(pdf)], capture_output=True, text=True, check=True
    )
    return [
        (float(w), float(h)) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info.stdout)
    ]


def render(pdf: Path, name: str) -> None:
    if shutil.which("pdftoppm"):
        SCREENSHOTS.mkdir(exist_ok=True)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "3", str(pdf), str(SCREENSHOTS / name)],
            check=True,
        )


@pytest.mark.parametrize("kind", ["results", "report"])
def test_libreoffice_opens_and_prints_the_workbook(world, tmp_path, kind):
    export = downloads.results_export(world.round) if kind == "results" else annual_report.report_export(2024)
    path = tmp_path / export.filename
    downloads.write_export(export, path)
    pdf = to_pdf(path, tmp_path)
    render(pdf, f"exports-{kind}-pdf")
    text = pdf_text(pdf)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "SỞ KHOA HỌC VÀ CÔNG NGHỆ" in text
    sizes = page_sizes(pdf)
    assert sizes and all(w > h for w, h in sizes)  # A4 landscape everywhere
    if kind == "results":
        assert "KẾT QUẢ SƠ KHẢO" in text and "Lê Văn Đức" in text and "94.00" in text
        assert "=1+1 Tỏi đen Lý Sơn" in pdf_text(pdf, 1, 1)  # shown as text, not computed
        assert "Giải" in text  # the last column fits the page width
        rest = pdf_text(pdf, 2)
        assert "ĐIỂM CHI TIẾT THEO GIÁM KHẢO" in rest and "PHƯƠNG PHÁP TÍNH ĐIỂM" in rest
    else:
        assert "TỔNG HỢP HỒ SƠ VÀ NGƯỜI THAM GIA CÁC CUỘC THI NĂM 2024" in text
        everything = pdf_text(pdf, 1)
        assert "THEO DÂN TỘC" in everything and "KẾT QUẢ THỰC HIỆN CHỈ TIÊU KẾ HOẠCH" in everything
        assert "Dưới 18 tuổi" in everything and "Người lập biểu" in everything
