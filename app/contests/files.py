"""Uploaded documents: recognised by their content (never by their name or the browser's claim),
stored on disk under generated names with their SHA-256, read back for those allowed to see them, and
deleted from disk when replaced or removed. The organisers' templates of a slot's document (a .docx or
.pdf the applicant downloads next to the upload field) are kept the same way, under UPLOAD_DIR/templates.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import uuid
import zipfile
from pathlib import Path
from typing import IO

from flask import current_app
from werkzeug.datastructures import FileStorage

from app.accounts.models import User
from app.audit.services import record
from app.contests.models import Contest, Entry, EntryFile, UploadSlot
from app.contests.permissions import can_manage_contest, get_contest, may_view_entry, require_contest_manager
from app.errors import Invalid, NotFound
from app.extensions import db
from app.localtime import utcnow
from app.text import format_size

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


def zip_member_count(stream: IO[bytes]) -> int | None:
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


def sniff(head: bytes, stream: IO[bytes] | None = None) -> str | None:
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
    """The document kind of some content held in memory, or None."""
    return sniff(data[:16], io.BytesIO(data))


def display_name(raw: str, kind: str) -> str:
    """A harmless name to show: the last path part only, no control or markup characters."""
    base = re.split(r"[\\/]", raw or "")[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = stem[:120] or "tai-lieu"
    return f"{stem}.{kind}"


# --- upload storage -------------------------------------------------------------------------------


def upload_root() -> Path:
    """The folder every upload lives under (config UPLOAD_DIR)."""
    return Path(current_app.config["UPLOAD_DIR"])


def file_path(entry_file: EntryFile) -> Path:
    """Where a stored upload lives on disk."""
    # Generated names only ("<32 hex>.<kind>"): a user's filename never reaches the file system.
    return upload_root() / entry_file.stored_name[:2] / entry_file.stored_name


def _size_of(stream: IO[bytes]) -> int:
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


def _mb(n: int) -> str:
    return format_size(n)


def store_upload(actor: User, entry: Entry, slot: UploadSlot, upload: FileStorage) -> EntryFile:
    """Check an upload against its slot (size, kind by content), write it to disk with its SHA-256 and
    put it in the slot, replacing (and deleting) the previous file; Invalid says why it was refused."""
    stream = upload.stream
    filename = upload.filename or ""
    size = _size_of(stream)
    if size == 0:
        raise Invalid("Tệp tải lên rỗng.", field=f"file_{slot.key}")
    if size > slot.max_bytes:
        raise Invalid(
            f"Tệp “{display_name(filename, 'x')[:-2]}” nặng {_mb(size)}, vượt quá giới hạn "
            f"{_mb(slot.max_bytes)} của mục “{slot.label}”. Các nội dung khác đã được lưu.",
            field=f"file_{slot.key}",
        )
    kind = sniff(stream.read(16), stream)
    stream.seek(0)
    if kind is None or kind not in slot.kinds:
        allowed = ", ".join(KIND_LABELS[k] for k in slot.kinds)
        raise Invalid(
            f"Tệp không đúng định dạng cho phép ({allowed}). Hệ thống kiểm tra nội dung tệp, "
            "không dựa vào đuôi tên tệp. Các nội dung khác đã được lưu.",
            field=f"file_{slot.key}",
        )
    stored = f"{uuid.uuid4().hex}.{kind}"
    row = EntryFile(
        slot_key=slot.key,
        stored_name=stored,
        original_name=display_name(filename, kind),
        kind=kind,
        size=size,
        sha256="",
        uploaded_by_id=getattr(actor, "id", None),
        uploaded_at=utcnow(),
    )
    path = file_path(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with path.open("wb") as out:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
            out.write(chunk)
    row.sha256 = digest.hexdigest()
    old = entry.file_for(slot.key)
    if old is not None:
        entry.files.remove(old)
        db.session.flush()  # the old row leaves before the new one takes its (entry, slot) place
        delete_stored_file(file_path(old))
    entry.files.append(row)
    return row


def delete_stored_file(path: Path) -> None:
    """Delete a replaced or removed upload from disk; a failure is logged, never raised (the row is
    already gone, and a stray file harms no one)."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        current_app.logger.warning("could not delete replaced upload %s", path)


def get_file_for_viewer(user: User, entry_id: int, file_id: int) -> tuple[EntryFile, Path]:
    """An entry's file and its path, for the leader and the contest's organisers; 404 for anyone else."""
    entry = db.session.get(Entry, entry_id)
    if entry is None or not may_view_entry(user, entry):
        raise NotFound("Không tìm thấy tệp.")
    row = next((f for f in entry.files if f.id == file_id), None)
    if row is None or not file_path(row).is_file():
        raise NotFound("Không tìm thấy tệp.")
    return row, file_path(row)


# --- the organisers' templates of a slot's document ------------------------------------------------

TEMPLATE_KINDS = ("docx", "pdf")
TEMPLATE_MAX_BYTES = 10 * 1024 * 1024
TEMPLATE_FOLDER = "templates"


def template_path(slot: UploadSlot) -> Path | None:
    """Where a slot's template lives on disk (a generated name, like every upload), or None."""
    if not slot.template_stored_name:
        return None
    return upload_root() / TEMPLATE_FOLDER / slot.template_stored_name


def _checked_template(slot: UploadSlot, upload: FileStorage) -> tuple[str, int]:
    """(kind, size) of an acceptable template; Invalid, on the slot's template field, says why not."""
    field = f"template_{slot.key}"
    size = _size_of(upload.stream)
    if size == 0:
        raise Invalid(f"Tệp mẫu cho mục “{slot.label}” rỗng.", field=field)
    if size > TEMPLATE_MAX_BYTES:
        raise Invalid(
            f"Tệp mẫu cho mục “{slot.label}” nặng {_mb(size)}, vượt quá giới hạn {_mb(TEMPLATE_MAX_BYTES)}.",
            field=field,
        )
    kind = sniff(upload.stream.read(16), upload.stream)
    upload.stream.seek(0)
    if kind not in TEMPLATE_KINDS:
        raise Invalid(
            f"Tệp mẫu cho mục “{slot.label}” phải là Word (.docx) hoặc PDF. Hệ thống kiểm tra nội dung "
            "tệp, không dựa vào đuôi tên tệp.",
            field=field,
        )
    return kind, size


def save_template_bytes(slot: UploadSlot, data: bytes, filename: str) -> Path | None:
    """Write a template to disk and point the slot at it (the caller commits); returns the replaced
    template's path, to delete once the commit is done. Invalid when it is not a .docx/.pdf ≤ 10 MB."""
    upload = FileStorage(stream=io.BytesIO(data), filename=filename)
    kind, size = _checked_template(slot, upload)
    old = template_path(slot)
    stored = f"{uuid.uuid4().hex}.{kind}"
    folder = upload_root() / TEMPLATE_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    (folder / stored).write_bytes(data)
    slot.template_stored_name = stored
    slot.template_name = display_name(filename, kind)
    slot.template_kind, slot.template_size = kind, size
    return old


def update_templates(
    actor: User, contest: Contest, uploads: dict[str, FileStorage], remove: set[str]
) -> dict[str, str]:
    """Replace, add or remove the templates of a contest's slots (organisers of the contest only):
    every acceptable change is saved and committed, each refused file is reported by its field
    (`template_<slot key>`), and files no longer used leave the disk after the commit."""
    require_contest_manager(actor, contest)
    errors: dict[str, str] = {}
    written: list[Path] = []
    stale: list[Path] = []
    changed: list[str] = []
    for slot in contest.slots:
        upload = uploads.get(slot.key)
        if upload is not None and upload.filename:
            try:
                data = upload.stream.read()  # the request's own limit (MAX_CONTENT_LENGTH) bounds it
                old = save_template_bytes(slot, data, upload.filename)
            except Invalid as exc:
                errors[exc.field or f"template_{slot.key}"] = exc.message
                continue
            written.append(template_path(slot) or Path())
            stale += [old] if old else []
            changed.append(slot.key)
        elif slot.key in remove and slot.template_stored_name:
            stale += [p for p in [template_path(slot)] if p]
            slot.template_stored_name = None
            slot.template_name, slot.template_kind, slot.template_size = "", "", 0
            changed.append(slot.key)
    if changed:
        record(actor, "contest.templates", "contest", contest.id, slots=changed)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        for path in written:  # the rows never pointed at them
            delete_stored_file(path)
        raise
    for path in stale:
        delete_stored_file(path)
    return errors


def get_template(user: User | None, slug: str, slot_key: str) -> tuple[UploadSlot, Path]:
    """A slot's template for anyone who can see the contest (a published one: everybody; otherwise
    its organisers); NotFound when there is none."""
    contest = get_contest(slug)
    if not contest.is_published and not can_manage_contest(user, contest):
        raise NotFound("Không tìm thấy cuộc thi.")
    slot = next((s for s in contest.slots if s.key == slot_key), None)
    path = template_path(slot) if slot is not None else None
    if slot is None or path is None or not path.is_file():
        raise NotFound("Mục này chưa có tệp mẫu.")
    return slot, path
