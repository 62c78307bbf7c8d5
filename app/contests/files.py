"""Recognising uploaded documents by their content, never by their name or the browser's claim."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile

KIND_LABELS = {
    "pdf": "PDF",
    "docx": "Word (.docx)",
    "pptx": "PowerPoint (.pptx)",
    "xlsx": "Excel (.xlsx)",
    "jpg": "Ảnh JPEG",
    "png": "Ảnh PNG",
}
MIME_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "jpg": "image/jpeg",
    "png": "image/png",
}
# Office Open XML files are zip archives; the main part's folder tells them apart.
OOXML_PARTS = {"word/document.xml": "docx", "ppt/presentation.xml": "pptx", "xl/workbook.xml": "xlsx"}


def sniff(head: bytes, stream=None) -> str | None:
    """The document kind of some content (its first bytes; `stream` for zip-based formats), or None."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"PK\x03\x04") and stream is not None:
        try:
            stream.seek(0)
            with zipfile.ZipFile(stream) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        finally:
            stream.seek(0)
        if "[Content_Types].xml" in names:
            for part, kind in OOXML_PARTS.items():
                if part in names:
                    return kind
    return None


def sniff_bytes(data: bytes) -> str | None:
    return sniff(data[:16], io.BytesIO(data))


def display_name(raw: str, kind: str) -> str:
    """A harmless name to show: the last path part only, no control or markup characters."""
    base = re.split(r"[\\/]", raw or "")[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = stem[:120] or "tai-lieu"
    return f"{stem}.{kind}"
