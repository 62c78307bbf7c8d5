"""The fonts the app draws PDFs and images with: DejaVu Serif, vendored from npm by scripts/vendor.sh
into static/vendor/fonts/dejavu/ (licence alongside). Never the system's fonts: a certificate, a
ticket card or a demo template must look the same on every server, with every Vietnamese tone mark."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

FONT = "DejaVuSerif"  # the family name fpdf2 registers them under
FONT_FILES = {"": "DejaVuSerif.ttf", "B": "DejaVuSerif-Bold.ttf", "I": "DejaVuSerif-Italic.ttf"}


def font_dir() -> Path:
    return Path(current_app.static_folder or "static") / "vendor" / "fonts" / "dejavu"
