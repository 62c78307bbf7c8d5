"""Product and booth photos of an application: JPEG or PNG recognised by their content (the
contests' `sniff`, never the name or the browser's claim), at most five per application and
BOOTH_PHOTO_MAX_BYTES each, stored under UPLOAD_DIR/booths/ with generated names and their
SHA-256, shown only to the applicant and the event's organisers.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from werkzeug.datastructures import FileStorage

from app.accounts.models import User
from app.audit.services import record
from app.booths.models import ApplicationStatus, BoothApplication, BoothPhoto
from app.contests.files import delete_stored_file, display_name, sniff, upload_root
from app.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.events.models import Event
from app.events.permissions import can_manage
from app.extensions import db
from app.text import format_size

MAX_PHOTOS = 5
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
PHOTO_KINDS = ("jpg", "png")
MIME_TYPES = {"jpg": "image/jpeg", "png": "image/png"}
# Photos may be added or removed only while the application can still change.
EDITABLE = {
    ApplicationStatus.OFFERED.value,
    ApplicationStatus.SUBMITTED.value,
    ApplicationStatus.WAITLISTED.value,
}


@dataclass(frozen=True)
class CheckedPhoto:
    """An upload that passed the checks, ready to be written."""

    upload: FileStorage
    kind: str
    size: int


def max_bytes() -> int:
    """The size limit of one photo (config BOOTH_PHOTO_MAX_BYTES, 5 MB by default)."""
    return int(current_app.config.get("BOOTH_PHOTO_MAX_BYTES") or DEFAULT_MAX_BYTES)


def _megabytes(n: int) -> str:
    return format_size(n)


def chosen(uploads: Sequence[FileStorage] | None) -> list[FileStorage]:
    """The file inputs that actually carry a file (a browser sends an empty part for an empty input)."""
    return [u for u in uploads or [] if u is not None and (u.filename or "").strip()]


def check_photos(uploads: Sequence[FileStorage], already: int = 0) -> list[CheckedPhoto]:
    """Check every photo before anything is written: count, size, kind by content. Invalid on the
    field "photos" names the first photo refused and why."""
    if already + len(uploads) > MAX_PHOTOS:
        raise Invalid(
            f"Mỗi hồ sơ có tối đa {MAX_PHOTOS} ảnh (đã có {already}); vui lòng chọn bớt ảnh.", field="photos"
        )
    limit = max_bytes()
    checked = []
    for upload in uploads:
        stream = upload.stream
        stream.seek(0, io.SEEK_END)
        size = stream.tell()
        stream.seek(0)
        name = display_name(upload.filename or "", "x")[:-2]
        if size == 0:
            raise Invalid(f"Ảnh “{name}” rỗng.", field="photos")
        if size > limit:
            raise Invalid(
                f"Ảnh “{name}” nặng {_megabytes(size)}, vượt quá giới hạn {_megabytes(limit)} mỗi ảnh.",
                field="photos",
            )
        kind = sniff(stream.read(16))
        stream.seek(0)
        if kind not in PHOTO_KINDS:
            raise Invalid(
                f"Tệp “{name}” không phải ảnh JPEG hoặc PNG. Hệ thống kiểm tra nội dung tệp, "
                "không dựa vào đuôi tên tệp.",
                field="photos",
            )
        checked.append(CheckedPhoto(upload, kind, size))
    return checked


def photo_path(photo: BoothPhoto) -> Path:
    """Where a stored photo lives (generated names only: a user's filename never reaches the disk)."""
    return upload_root() / "booths" / photo.stored_name[:2] / photo.stored_name


def store_photos(application: BoothApplication, photos: Sequence[CheckedPhoto]) -> list[Path]:
    """Write checked photos to disk and add their rows to the application (the caller commits, and
    deletes the returned files if its commit fails)."""
    written = []
    for item in photos:
        row = BoothPhoto(
            stored_name=f"{uuid.uuid4().hex}.{item.kind}",
            original_name=display_name(item.upload.filename or "", item.kind),
            kind=item.kind,
            size=item.size,
            sha256="",
        )
        path = photo_path(row)
        path.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with path.open("wb") as out:
            while chunk := item.upload.stream.read(1024 * 1024):
                digest.update(chunk)
                out.write(chunk)
        row.sha256 = digest.hexdigest()
        application.photos.append(row)
        written.append(path)
    return written


def forget_files(paths: Sequence[Path]) -> None:
    """Remove files written for a change that was not committed."""
    for path in paths:
        delete_stored_file(path)


def may_see_photos(user: User | None, application: BoothApplication) -> bool:
    """The applicant, and the organisers who manage the event."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if application.user_id == user.id:
        return True
    event = db.session.get(Event, application.event_id)
    return event is not None and can_manage(user, event)


def get_photo_for_viewer(user: User | None, application_id: int, photo_id: int) -> tuple[BoothPhoto, Path]:
    """A photo and its file: 404 when there is no such photo, 403 for anyone but the applicant and
    the event's organisers."""
    application = db.session.get(BoothApplication, application_id)
    photo = next((p for p in application.photos if p.id == photo_id), None) if application else None
    if application is None or photo is None:
        raise NotFound("Không tìm thấy ảnh.")
    if not may_see_photos(user, application):
        raise PermissionDenied("Ảnh của hồ sơ gian hàng chỉ người đăng ký và Ban tổ chức sự kiện được xem.")
    path = photo_path(photo)
    if not path.is_file():
        raise NotFound("Không tìm thấy ảnh.")
    return photo, path


def delete_photo(user: User, application: BoothApplication, photo_id: int) -> None:
    """The applicant removes one photo while the application can still change."""
    if application.user_id != user.id:
        raise PermissionDenied("Chỉ người đăng ký được xoá ảnh của hồ sơ này.")
    if application.status not in EDITABLE:
        raise Conflict("Hồ sơ đã được xét; không thể xoá ảnh.")
    photo = next((p for p in application.photos if p.id == photo_id), None)
    if photo is None:
        raise NotFound("Không tìm thấy ảnh.")
    path = photo_path(photo)
    application.photos.remove(photo)
    record(user, "booth.photo_delete", "booth_application", application.id, photo=photo.original_name)
    db.session.commit()
    delete_stored_file(path)
