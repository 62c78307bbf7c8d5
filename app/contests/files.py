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
# A real document has tens to a few hundred parts (a long deck with images: ~1,000). Reading the
# list of a crafted archive with 100,000 members takes seconds of CPU, so count them first.
MAX_ZIP_MEMBERS = 5000
_END_OF_CENTRAL_DIRECTORY = b"PK\x05\x06"


def zip_member_count(stream) -> int | None:
    """Members announced by a zip's end record (read from its last 64 KB), or None if unreadable.

    A Zip64 archive announces 0xFFFF here; it is answered as "too many" (no document needs it).
    """
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    tail_size = min(size, 22 + 65_535)
    stream.seek(size - tail_size)
    tail = stream.read(tail_size)
    stream.seek(0)
    at = tail.rfind(_END_OF_CENTRAL_DIRECTORY)
    if at < 0 or at + 22 > len(tail):
        return None
    return int.from_bytes(tail[at + 10 : at + 12], "little")


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
            count = zip_member_count(stream)
            if count is None or count > MAX_ZIP_MEMBERS:
                return None
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
