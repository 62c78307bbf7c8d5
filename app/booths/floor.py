"""The booth floor of an event, for its managers (events.permissions.can_manage): the exhibition's
settings, the booth types and the booths they generate, and the floor plan (an uploaded image or a
grid, each booth a point or a cell). Allocation and what the plan shows: `floor_allocation`.

Who commits: every public write here checks the actor, records to audit and commits; `generate_booths`
joins the caller's transaction. The rule "a booth is never given twice" is the UNIQUE index on
`booth_applications.booth_id` (see floor_allocation).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from flask import current_app
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app import database
from app.accounts.models import User
from app.audit.services import record
from app.booths.models import (
    PROVISIONS,
    ApplicationStatus,
    Booth,
    BoothApplication,
    BoothType,
    Exhibition,
)
from app.contests.files import delete_stored_file, sniff, upload_root
from app.errors import Conflict, FieldErrors, Invalid, NotFound, PermissionDenied
from app.events.models import Event
from app.events.permissions import can_manage, get_event_for_manager
from app.extensions import db
from app.localtime import format_datetime
from app.text import tidy, whole_number

__all__ = [
    "GRID_MAX",
    "MAX_BOOTHS",
    "MAX_BOOTHS_PER_TYPE",
    "MAX_PASSES",
    "MAX_TYPES",
    "PLAN_MAX_BYTES",
    "booth_types",
    "delete_booth_type",
    "exhibition_for",
    "generate_booths",
    "get_booth",
    "get_booth_type",
    "get_event_for_floor",
    "number_key",
    "require_floor_manager",
    "place_booth",
    "plan_file",
    "remove_plan",
    "save_booth_type",
    "save_settings",
    "type_prefix",
    "upload_plan",
]

MAX_TYPES = 20
MAX_BOOTHS_PER_TYPE = 300
MAX_BOOTHS = 500  # every type together: a provincial festival has tens to a few hundred booths
MAX_PASSES = 20
GRID_MAX = 30  # columns and rows of the grid plan
MAX_RULES = 5000
PLAN_MAX_BYTES = 10 * 1024 * 1024
PLAN_KINDS = {"jpg": "image/jpeg", "png": "image/png"}
PLAN_FOLDER = ("booths", "plans")
PREFIX_RE = re.compile(r"^[A-Z][A-Z0-9]{0,3}$")
BUSY = "Có người khác vừa thay đổi sơ đồ cùng lúc. Vui lòng tải lại trang và thử lại."


# --- who may ---------------------------------------------------------------------------------------


def require_floor_manager(actor: User | None, event: Event) -> None:
    if not can_manage(actor, event):
        raise PermissionDenied("Bạn không quản lý gian hàng của sự kiện này.")


def get_event_for_floor(actor: User, slug: str) -> Event:
    """404 when there is no such event; 403 when the actor does not manage it."""
    return get_event_for_manager(actor, slug)


# --- the exhibition's settings -----------------------------------------------------------------------


def exhibition_for(event: Event) -> Exhibition:
    """The event's exhibition settings; an unsaved default (closed, 8 × 4 grid) while none is saved.
    Reading never writes: the row is created by the first save."""
    exhibition = db.session.scalar(select(Exhibition).where(Exhibition.event_id == event.id))
    if exhibition is None:
        exhibition = Exhibition(
            event_id=event.id,
            opens_at=None,
            closes_at=None,
            exhibitor_rules="",
            plan_stored_name=None,
            plan_kind="",
            plan_sha256="",
            grid_columns=8,
            grid_rows=4,
            is_open=False,
        )
    return exhibition


def _stored_exhibition(event: Event) -> Exhibition:
    exhibition = exhibition_for(event)
    if exhibition.id is None:
        db.session.add(exhibition)
    return exhibition


def _bounded(value: object, low: int, high: int, message: str, field_name: str) -> int:
    number = value if isinstance(value, int) and not isinstance(value, bool) else whole_number(value)
    if number is None or not low <= number <= high:
        raise Invalid(message, field=field_name)
    return number


def save_settings(actor: User, event: Event, data: dict[str, Any]) -> Exhibition:
    """Open or close the applications, their window (UTC; closes no later than the event ends), the
    exhibitor rules and the grid size. A grid too small for the booths is refused; booths left
    outside a smaller grid move to its free cells."""
    require_floor_manager(actor, event)
    errors = FieldErrors()  # every refusal at once (issue 15); a comparison with a refused value is skipped
    opens, closes = data.get("opens_at"), data.get("closes_at")
    for name, value in (("opens_at", opens), ("closes_at", closes)):
        if value is not None and not isinstance(value, datetime):
            errors.add(name, "Ngày giờ không hợp lệ.")
    if not errors:
        if opens and closes and closes <= opens:
            errors.add("closes_at", "Hạn nhận đăng ký phải sau thời điểm mở đăng ký.")
        if closes and closes > event.ends_at:
            errors.add(
                "closes_at",
                f"Hạn nhận đăng ký không được sau khi sự kiện kết thúc ({format_datetime(event.ends_at)}).",
            )
        if opens and opens > event.ends_at:
            errors.add("opens_at", "Thời điểm mở đăng ký phải trước khi sự kiện kết thúc.")
    rules = tidy(data.get("exhibitor_rules", ""))
    if len(rules) > MAX_RULES:
        errors.add("exhibitor_rules", "Quy định cho đơn vị trưng bày không được dài quá 5.000 ký tự.")
    columns = errors.check(
        _bounded, data.get("grid_columns"), 1, GRID_MAX, f"Số cột phải từ 1 đến {GRID_MAX}.", "grid_columns"
    )
    rows = errors.check(
        _bounded, data.get("grid_rows"), 1, GRID_MAX, f"Số hàng phải từ 1 đến {GRID_MAX}.", "grid_rows"
    )
    all_booths = _booths(event)
    if columns is not None and rows is not None and columns * rows < len(all_booths):
        errors.add(
            "grid_rows",
            f"Lưới {columns} × {rows} chỉ có {columns * rows} ô, ít hơn {len(all_booths)} gian đã tạo. "
            "Hãy tăng số cột hoặc số hàng.",
        )
    errors.raise_if_any()
    columns, rows = columns or 1, rows or 1  # None only for a refused value, raised above
    exhibition = _stored_exhibition(event)
    exhibition.is_open = bool(data.get("is_open"))
    exhibition.opens_at, exhibition.closes_at = opens, closes
    exhibition.exhibitor_rules = rules
    exhibition.grid_columns, exhibition.grid_rows = columns, rows
    _place_on_grid(exhibition, all_booths)
    record(
        actor,
        "booths.settings",
        "event",
        event.id,
        is_open=exhibition.is_open,
        opens_at=opens.isoformat() if opens else None,
        closes_at=closes.isoformat() if closes else None,
        grid=f"{columns}x{rows}",
    )
    database.commit(Conflict(BUSY))
    return exhibition


# --- booth types and the booths they generate ---------------------------------------------------------


def booth_types(event: Event) -> list[BoothType]:
    return list(
        db.session.scalars(
            select(BoothType).where(BoothType.event_id == event.id).order_by(BoothType.position, BoothType.id)
        )
    )


def get_booth_type(actor: User, event: Event, type_id: int) -> BoothType:
    require_floor_manager(actor, event)
    booth_type = db.session.get(BoothType, type_id)
    if booth_type is None or booth_type.event_id != event.id:
        raise NotFound("Không tìm thấy loại gian này.")
    return booth_type


def _booths(event: Event) -> list[Booth]:
    return list(db.session.scalars(select(Booth).where(Booth.event_id == event.id).order_by(Booth.id)))


def number_key(number: str) -> tuple[str, int, str]:
    match = re.match(r"^(\D*)(\d+)(.*)$", number)
    return (match.group(1), int(match.group(2)), match.group(3)) if match else (number, 0, "")


def type_prefix(booth_type: BoothType, booths: list[Booth]) -> str:
    """The letters before the booth numbers of this type ("A" of A01 …), or "" when it has none."""
    own = [b.number for b in booths if b.booth_type_id == booth_type.id]
    return number_key(min(own, key=number_key))[0] if own else ""


def _free_letter(taken: set[str]) -> str:
    for code in range(ord("A"), ord("Z") + 1):
        if chr(code) not in taken:
            return chr(code)
    return next(f"Z{i}" for i in range(1, 1000) if f"Z{i}" not in taken)


def _check_type(
    event: Event, booth_type: BoothType, data: dict[str, Any], errors: FieldErrors | None = None
) -> dict[str, Any]:
    """A booth type's values. Every refusal at once (issue 15): into `errors` when given (the caller
    adds its own checks and raises; a refused value is then None), else raised here."""
    collect = errors if errors is not None else FieldErrors()
    name = tidy(data.get("name", ""), one_line=True)
    if len(name) < 2:
        collect.add("name", "Vui lòng nhập tên loại gian (ít nhất 2 ký tự).")
    elif len(name) > 120:
        collect.add("name", "Tên loại gian không được dài quá 120 ký tự.")
    else:
        clash = select(BoothType.id).where(
            BoothType.event_id == event.id, func.lower(BoothType.name) == name.lower()
        )
        if booth_type.id is not None:
            clash = clash.where(BoothType.id != booth_type.id)
        if db.session.scalar(clash) is not None:
            collect.add("name", "Sự kiện đã có loại gian cùng tên.")
    size = tidy(data.get("size", ""), one_line=True)
    if len(size) > 60:
        collect.add("size", "Kích thước không được dài quá 60 ký tự.")
    count = collect.check(
        _bounded,
        data.get("count"),
        0,
        MAX_BOOTHS_PER_TYPE,
        f"Số gian phải từ 0 đến {MAX_BOOTHS_PER_TYPE}.",
        "count",
    )
    passes = collect.check(
        _bounded, data.get("passes"), 0, MAX_PASSES, f"Số thẻ mỗi gian phải từ 0 đến {MAX_PASSES}.", "passes"
    )
    position = collect.check(
        _bounded, data.get("position") or "0", 0, 999, "Thứ tự phải từ 0 đến 999.", "position"
    )
    provides = [str(key) for key in data.get("provides") or []]
    unknown = [key for key in provides if key not in PROVISIONS]
    if unknown:
        collect.add("provides", "Có mục “được cung cấp” không có trong danh sách.")
    note = tidy(data.get("provides_note", ""), one_line=True)
    if len(note) > 300:
        collect.add("provides_note", "Ghi chú không được dài quá 300 ký tự.")
    prefix = tidy(data.get("prefix", ""), one_line=True).upper()
    if prefix and not PREFIX_RE.match(prefix):
        collect.add(
            "prefix",
            "Tiền tố số gian gồm 1–4 chữ cái in hoa không dấu hoặc chữ số, bắt đầu bằng chữ cái (ví dụ A, B, OCOP).",
        )
    if errors is None:
        collect.raise_if_any()
    return {
        "name": name,
        "size": size,
        "count": count,
        "passes": passes,
        "position": position,
        "provides": [key for key in PROVISIONS if key in provides],
        "provides_note": note,
        "prefix": prefix,
    }


def save_booth_type(
    actor: User, event: Event, booth_type: BoothType | None, data: dict[str, Any]
) -> BoothType:
    """Create or change a booth type; its count creates or removes booths (`generate_booths`) and a new
    prefix renumbers its booths. Allocated booths are never removed or renumbered (Invalid names them)."""
    require_floor_manager(actor, event)
    creating = booth_type is None
    row = booth_type or BoothType(event_id=event.id)
    errors = FieldErrors()  # the type's fields and the event-wide limits, refused together
    clean = _check_type(event, row, data, errors)
    types = booth_types(event)
    if creating and len(types) >= MAX_TYPES:
        errors.add("name", f"Mỗi sự kiện có tối đa {MAX_TYPES} loại gian.")
    others = sum(t.count for t in types if t.id != row.id)
    if clean["count"] is not None and others + clean["count"] > MAX_BOOTHS:
        errors.add("count", f"Cả sự kiện có tối đa {MAX_BOOTHS} gian; các loại khác đã có {others} gian.")
    booths = _booths(event)
    prefixes = {type_prefix(t, booths) or t.name for t in types if t.id != row.id}
    if "prefix" not in errors.errors and clean["prefix"] and clean["prefix"] in prefixes:
        errors.add("prefix", f"Tiền tố {clean['prefix']} đã được dùng cho một loại gian khác.")
    errors.raise_if_any()
    try:
        row.name, row.size, row.count = clean["name"], clean["size"], clean["count"]
        row.passes, row.position = clean["passes"], clean["position"]
        row.provides, row.provides_note = clean["provides"], clean["provides_note"]
        if creating:
            db.session.add(row)
            database.flush(Invalid("Sự kiện đã có loại gian cùng tên.", field="name"))
        if clean["prefix"] and booths and clean["prefix"] != type_prefix(row, booths):
            _renumber(row, clean["prefix"], booths)
        generate_booths(event, prefixes={row.id: clean["prefix"]} if clean["prefix"] else None)
    except Invalid:
        db.session.rollback()
        raise
    record(
        actor,
        "booths.type_create" if creating else "booths.type_update",
        "booth_type",
        row.id,
        event=event.slug,
        name=row.name,
        count=row.count,
    )
    database.commit(Conflict(BUSY))
    return row


def _allocated(booth_ids: list[int]) -> dict[int, str]:
    """Booth id → the organisation holding it, for those of these booths that are allocated."""
    if not booth_ids:
        return {}
    rows = db.session.execute(
        select(BoothApplication.booth_id, BoothApplication.organisation).where(
            BoothApplication.booth_id.in_(booth_ids)
        )
    )
    return {booth_id: organisation for booth_id, organisation in rows}


def _renumber(booth_type: BoothType, prefix: str, booths: list[Booth]) -> None:
    own = sorted((b for b in booths if b.booth_type_id == booth_type.id), key=lambda b: number_key(b.number))
    held = _allocated([b.id for b in own])
    if held:
        first = next(b for b in own if b.id in held)
        raise Invalid(
            f"Không đổi được tiền tố: gian {first.number} đã phân cho {held[first.id]}. "
            "Hãy gỡ phân gian trước.",
            field="prefix",
        )
    for booth in own:  # two steps, so A01 → B01 never meets another type's B01 half-way
        booth.number = f"~{booth.id}"
    database.flush(Conflict(BUSY))
    for index, booth in enumerate(own, start=1):
        booth.number = f"{prefix}{index:02d}"
    database.flush(Invalid(f"Số gian {prefix}… trùng với gian đã có.", field="prefix"))


def generate_booths(event: Event, prefixes: dict[int, str] | None = None) -> None:
    """Make each type's booths match its count: numbered with the type's prefix (A01, A02 … for the
    first type, B01 … for the second, unless chosen), new ones placed on the free grid cells in order;
    the highest numbers go first when a count falls, and an allocated booth is never removed. Joins
    the caller's transaction."""
    types = booth_types(event)
    booths = _booths(event)
    chosen = prefixes or {}
    used = {type_prefix(t, booths) for t in types} - {""}
    removed: list[Booth] = []
    added: list[Booth] = []
    for booth_type in types:
        own = sorted(
            (b for b in booths if b.booth_type_id == booth_type.id), key=lambda b: number_key(b.number)
        )
        prefix = type_prefix(booth_type, booths) or chosen.get(booth_type.id) or _free_letter(used)
        used.add(prefix)
        extra = own[booth_type.count :]
        held = _allocated([b.id for b in extra])
        if held:
            names = ", ".join(f"{b.number} ({held[b.id]})" for b in extra if b.id in held)
            raise Invalid(
                f"Không giảm được số gian của “{booth_type.name}” xuống {booth_type.count}: "
                f"gian {names} đã được phân. Hãy gỡ phân gian trước.",
                field="count",
            )
        removed.extend(extra)
        numbers = {b.number for b in own}
        index = 0
        for _ in range(booth_type.count - len(own)):
            index += 1
            while f"{prefix}{index:02d}" in numbers:
                index += 1
            number = f"{prefix}{index:02d}"
            numbers.add(number)
            added.append(Booth(event_id=event.id, booth_type_id=booth_type.id, number=number, zone=""))
    for booth in removed:
        db.session.delete(booth)
    db.session.add_all(added)
    database.flush(Conflict(BUSY))
    if added:
        kept = [b for b in booths if b not in removed] + added
        exhibition = _stored_exhibition(event)
        _place_on_grid(exhibition, kept)
        database.flush(Conflict(BUSY))


def _place_on_grid(exhibition: Exhibition, booths: list[Booth]) -> None:
    """Booths without a cell (or outside the grid, or sharing one) take the free cells in reading
    order; a full grid grows (rows, then columns, up to GRID_MAX each)."""
    columns = exhibition.grid_columns or 8
    rows = exhibition.grid_rows or 4

    def inside(b: Booth) -> bool:
        return (
            b.grid_column is not None
            and b.grid_row is not None
            and 1 <= b.grid_column <= columns
            and 1 <= b.grid_row <= rows
        )

    taken: set[tuple[int | None, int | None]] = set()
    homeless = []
    for booth in sorted(booths, key=lambda b: b.id or 0):
        cell = (booth.grid_column, booth.grid_row)
        if inside(booth) and cell not in taken:
            taken.add(cell)
        else:
            homeless.append(booth)
    if not homeless:
        return
    needed = len(taken) + len(homeless)
    if needed > columns * rows:  # grow by rows first (the room is usually deep), then by columns
        rows = min(GRID_MAX, -(-needed // columns))
        columns = max(columns, min(GRID_MAX, -(-needed // rows)))
        if needed > columns * rows:
            raise Invalid(f"Sơ đồ lưới có tối đa {GRID_MAX * GRID_MAX} ô.", field="count")
        exhibition.grid_columns, exhibition.grid_rows = columns, rows
    free = ((c, r) for r in range(1, rows + 1) for c in range(1, columns + 1) if (c, r) not in taken)
    for booth in sorted(homeless, key=lambda b: (b.booth_type_id, number_key(b.number))):
        booth.grid_column, booth.grid_row = next(free)


def delete_booth_type(actor: User, event: Event, booth_type: BoothType) -> None:
    """Remove a type and its booths; refused while one of its booths is allocated or applications
    still ask for it."""
    require_floor_manager(actor, event)
    booths = [b for b in _booths(event) if b.booth_type_id == booth_type.id]
    held = _allocated([b.id for b in booths])
    if held:
        first = next(b for b in sorted(booths, key=lambda b: number_key(b.number)) if b.id in held)
        raise Conflict(f"Không xoá được: gian {first.number} đã phân cho {held[first.id]}.")
    waiting = db.session.scalar(
        select(func.count())
        .select_from(BoothApplication)
        .where(
            BoothApplication.booth_type_id == booth_type.id,
            BoothApplication.status.not_in(
                [ApplicationStatus.WITHDRAWN.value, ApplicationStatus.REFUSED.value]
            ),
        )
    )
    if waiting:
        raise Conflict(f"Không xoá được: còn {waiting} hồ sơ đăng ký loại gian “{booth_type.name}”.")
    record(actor, "booths.type_delete", "booth_type", booth_type.id, event=event.slug, name=booth_type.name)
    for booth in booths:
        db.session.delete(booth)
    db.session.delete(booth_type)
    database.commit(Conflict(BUSY))


# --- booths on the plan --------------------------------------------------------------------------------


def get_booth(actor: User, event: Event, booth_id: int) -> Booth:
    require_floor_manager(actor, event)
    booth = db.session.get(Booth, booth_id)
    if booth is None or booth.event_id != event.id:
        raise NotFound("Không tìm thấy gian hàng này.")
    return booth


def _optional_percent(value: object, field_name: str) -> int | None:
    if value is None or value == "":
        return None
    return _bounded(value, 0, 100, "Vị trí tính theo phần trăm, từ 0 đến 100.", field_name)


def place_booth(actor: User, event: Event, booth: Booth, data: dict[str, Any]) -> Booth:
    """A booth's zone and place: a grid cell (free, inside the grid) and/or a point on the plan image
    (x and y in per cent, both or neither)."""
    require_floor_manager(actor, event)
    errors = FieldErrors()  # every refusal at once (issue 15)
    zone = tidy(data.get("zone", ""), one_line=True)
    if len(zone) > 60:
        errors.add("zone", "Tên khu không được dài quá 60 ký tự.")
    x = errors.check(_optional_percent, data.get("x_percent"), "x_percent")
    y = errors.check(_optional_percent, data.get("y_percent"), "y_percent")
    if not {"x_percent", "y_percent"} & set(errors.errors) and (x is None) != (y is None):
        errors.add(
            "x_percent" if x is None else "y_percent", "Nhập cả vị trí ngang và dọc, hoặc bỏ trống cả hai."
        )
    exhibition = exhibition_for(event)
    column = row = None
    if data.get("grid_column") not in (None, "") or data.get("grid_row") not in (None, ""):
        column = errors.check(
            _bounded,
            data.get("grid_column"),
            1,
            exhibition.grid_columns,
            f"Cột phải từ 1 đến {exhibition.grid_columns}.",
            "grid_column",
        )
        row = errors.check(
            _bounded,
            data.get("grid_row"),
            1,
            exhibition.grid_rows,
            f"Hàng phải từ 1 đến {exhibition.grid_rows}.",
            "grid_row",
        )
        other = (
            db.session.scalar(
                select(Booth.number).where(
                    Booth.event_id == event.id,
                    Booth.id != booth.id,
                    Booth.grid_column == column,
                    Booth.grid_row == row,
                )
            )
            if column is not None and row is not None
            else None
        )
        if other:
            errors.add("grid_column", f"Ô cột {column}, hàng {row} đã có gian {other}.")
    errors.raise_if_any()
    booth.zone, booth.x_percent, booth.y_percent = zone, x, y
    if column is not None:
        booth.grid_column, booth.grid_row = column, row
    record(
        actor, "booths.place", "booth", booth.id, number=booth.number, zone=zone, x=x, y=y, cell=[column, row]
    )
    database.commit(Conflict(BUSY))
    return booth


# --- the plan image ----------------------------------------------------------------------------------


def _plan_path(stored_name: str) -> Path:
    # Generated names only ("<32 hex>.<kind>"): a user's filename never reaches the file system.
    return upload_root().joinpath(*PLAN_FOLDER, stored_name)


def _size_of(stream: IO[bytes]) -> int:
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


def upload_plan(actor: User, event: Event, upload: FileStorage | None) -> Exhibition:
    """Store a floor-plan image (JPEG or PNG, recognised by its content, at most 10 MB) and use it
    instead of the grid; the previous image is deleted after the commit."""
    require_floor_manager(actor, event)
    if upload is None or not upload.filename:
        raise Invalid("Vui lòng chọn tệp ảnh sơ đồ.", field="plan")
    stream = upload.stream
    size = _size_of(stream)
    if size == 0:
        raise Invalid("Tệp tải lên rỗng.", field="plan")
    if size > PLAN_MAX_BYTES:
        raise Invalid("Ảnh sơ đồ không được nặng quá 10 MB.", field="plan")
    kind = sniff(stream.read(16), stream)
    stream.seek(0)
    if kind not in PLAN_KINDS:
        raise Invalid(
            "Ảnh sơ đồ phải là JPEG hoặc PNG. Hệ thống kiểm tra nội dung tệp, không dựa vào đuôi tên tệp.",
            field="plan",
        )
    stored = f"{uuid.uuid4().hex}.{kind}"
    path = _plan_path(stored)
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with path.open("wb") as out:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
            out.write(chunk)
    exhibition = _stored_exhibition(event)
    old = exhibition.plan_stored_name
    exhibition.plan_stored_name, exhibition.plan_kind, exhibition.plan_sha256 = (
        stored,
        kind,
        digest.hexdigest(),
    )
    record(
        actor, "booths.plan_upload", "event", event.id, kind=kind, size=size, sha256=exhibition.plan_sha256
    )
    try:
        database.commit(Conflict(BUSY))
    except Conflict:
        delete_stored_file(path)
        raise
    if old:
        delete_stored_file(_plan_path(old))
    return exhibition


def remove_plan(actor: User, event: Event) -> None:
    """Back to the grid plan; the image is deleted after the commit (booth positions are kept)."""
    require_floor_manager(actor, event)
    exhibition = exhibition_for(event)
    old = exhibition.plan_stored_name
    if exhibition.id is None or not old:
        raise Invalid("Sự kiện chưa có ảnh sơ đồ.")
    exhibition.plan_stored_name, exhibition.plan_kind, exhibition.plan_sha256 = None, "", ""
    record(actor, "booths.plan_remove", "event", event.id)
    database.commit(Conflict(BUSY))
    delete_stored_file(_plan_path(old))


def plan_file(actor: User, event: Event) -> tuple[Path, str]:
    """The plan image's path and MIME type, for the event's managers; NotFound when there is none."""
    require_floor_manager(actor, event)
    exhibition = exhibition_for(event)
    if not exhibition.plan_stored_name:
        raise NotFound("Sự kiện chưa có ảnh sơ đồ.")
    path = _plan_path(exhibition.plan_stored_name)
    if not path.is_file():
        current_app.logger.warning("booth plan missing on disk: %s", path)
        raise NotFound("Không tìm thấy ảnh sơ đồ.")
    return path, PLAN_KINDS[exhibition.plan_kind]
