"""Contests: their configuration (tracks, upload slots, the rules' numbers), the public lists of
contests, and the organisers' lists of entries. Every state-changing service commits.

The package's other subjects live in their own modules; import each name from the module that
defines it:
  permissions.py  who manages which contest, staff, object-level getters;
  eligibility.py  the submission window and the rules checked before submitting;
  entries.py      the applicant flow, team members, submit, withdraw, screen, `change_status`;
  files.py        uploads: recognised by content, stored, read back, deleted;
  models.py       the tables and their constants, e.g. `FORM_FIELDS` (the entry form's questions).
What an entry holds about a person, and its erasure, is in contests/privacy.py (the privacy registry).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, case, func, select

from app.accounts.models import User
from app.audit.services import record
from app.contests.files import KIND_LABELS
from app.contests.models import (
    DEFAULT_PUBLIC_RESULT_FIELDS,
    FORM_FIELDS,
    PUBLIC_RESULT_FIELDS,
    Contest,
    Entry,
    EntryStatus,
    Track,
    UploadSlot,
)
from app.contests.permissions import only_managed, require_contest_creator, require_contest_manager
from app.database import commit, flush, matching_every_word, page_of
from app.errors import Conflict, DomainError, FieldErrors, Invalid
from app.extensions import db
from app.localtime import local_to_utc, utcnow
from app.text import SLUG_RE, fold, like_pattern, tidy

__all__ = [
    "ENTRIES_PAGE_SIZE",
    "FIELD_MODES",
    "NUMBER_BOUNDS",
    "NUMBER_MESSAGES",
    "PREFIX_RE",
    "SLOT_KEY_RE",
    "VIDEO_MODES",
    "ContestData",
    "ENTRY_SORTS",
    "EntryFilters",
    "EntryList",
    "ScoreColumn",
    "SlotSpec",
    "all_contests",
    "create_contest",
    "list_entries_page",
    "list_finalists",
    "open_contests",
    "public_contests",
    "register_score_source",
    "search_entries",
    "status_counts",
    "update_contest",
    "upcoming_contests",
]

FIELD_MODES = {"required", "optional", "off"}
VIDEO_MODES = {"off", "optional", "required"}
ENTRIES_PAGE_SIZE = 30
PREFIX_RE = re.compile(r"^[A-Z][A-Z0-9]{1,7}$")
# An upload slot's key has the shape of a slug (lower-case ASCII words joined by hyphens).
SLOT_KEY_RE = SLUG_RE

# --- contest configuration -----------------------------------------------------------------------


@dataclass
class SlotSpec:
    key: str
    label: str
    kinds: list[str]
    max_mb: float
    required: bool = False


@dataclass
class ContestData:
    name: str
    slug: str
    year: int
    code_prefix: str
    opens_local: datetime  # wall-clock time in Quảng Ngãi, naive
    closes_local: datetime
    edition: int | None = None
    description: str = ""
    rules_text: str = ""
    is_published: bool = True
    min_age: int | None = 18
    max_age: int | None = 35
    team_min: int = 1
    team_max: int = 5
    max_entries_per_person: int | None = 3
    one_team_per_leader: bool = True
    staff_may_not_enter: bool = True
    fields: list[str] = dc_field(default_factory=list)
    tracks: list[tuple[str, int | None]] = dc_field(default_factory=list)
    slots: list[SlotSpec] = dc_field(default_factory=list)
    form_fields: dict[str, str] = dc_field(default_factory=dict)
    video_link: str = "optional"
    # What the public results show (PUBLIC_RESULT_FIELDS keys); unknown keys are never saved.
    public_result_fields: list[str] = dc_field(default_factory=lambda: list(DEFAULT_PUBLIC_RESULT_FIELDS))


# The bounds of every number in a contest's configuration (issue 9: an unbounded number either
# overflows PostgreSQL's integer, a 500, or makes a rule nobody can meet). The form shows the same
# ranges as field errors; these checks cover every other caller (CLI, seed, tests).
NUMBER_BOUNDS = {
    "year": (2000, 2100),
    "edition": (1, 100),
    "min_age": (0, 120),
    "max_age": (0, 120),
    "team_min": (1, 20),
    "team_max": (1, 20),
    "max_entries_per_person": (1, 100),
    "startup_years": (1, 50),  # a track's "founded at most … years ago"
    "slot_mb": (0.1, 20),  # an upload slot's size limit, below MAX_CONTENT_LENGTH (25 MB)
}
NUMBER_MESSAGES = {
    "year": "Năm phải từ 2000 đến 2100.",
    "edition": "Lần thứ phải từ 1 đến 100.",
    "min_age": "Tuổi tối thiểu phải từ 0 đến 120.",
    "max_age": "Tuổi tối đa phải từ 0 đến 120.",
    "team_min": "Số thành viên tối thiểu phải từ 1 đến 20.",
    "team_max": "Số thành viên tối đa phải từ 1 đến 20.",
    "max_entries_per_person": "Số bài tối đa mỗi người phải từ 1 đến 100.",
}


def _in_range(value: object, low: float, high: float, *, decimal: bool = False) -> bool:
    """A whole number (a decimal one too when `decimal`; never a bool, NaN or infinity) within low..high."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if isinstance(value, float) and not decimal:
        return False
    return low <= value <= high


def _check_numbers(data: ContestData, errors: FieldErrors) -> None:
    optional = {"edition", "min_age", "max_age", "max_entries_per_person"}
    for name, message in NUMBER_MESSAGES.items():
        value = getattr(data, name)
        if value is None and name in optional:
            continue
        if not _in_range(value, *NUMBER_BOUNDS[name]):
            errors.add(name, message)
    for track_name, years in data.tracks:
        if years is not None and not _in_range(years, *NUMBER_BOUNDS["startup_years"]):
            errors.add(
                "tracks", f"Bảng “{track_name}”: số năm tối đa kể từ khi đăng ký kinh doanh phải từ 1 đến 50."
            )


def _check_slots(slots: list[SlotSpec]) -> None:
    """The upload slots (one field of the form): the first problem is its message."""
    keys = [s.key for s in slots]
    if len(set(keys)) != len(keys):
        raise Invalid("Mã các mục tài liệu bị trùng nhau.", field="slots")
    for slot in slots:
        if not SLOT_KEY_RE.match(slot.key) or not slot.label:
            raise Invalid(f"Mục tài liệu “{slot.key}” chưa đúng mẫu.", field="slots")
        if not slot.kinds or set(slot.kinds) - set(KIND_LABELS):
            raise Invalid(f"Mục “{slot.label}”: loại tệp chỉ gồm {', '.join(KIND_LABELS)}.", field="slots")
        if not _in_range(slot.max_mb, *NUMBER_BOUNDS["slot_mb"], decimal=True):
            raise Invalid(f"Mục “{slot.label}”: dung lượng tối đa từ 0,1 đến 20 MB.", field="slots")


def _check_contest_data(data: ContestData, contest: Contest | None) -> None:
    """Every field of the contest form checked, every refusal in one Invalid (issue 15); a check
    comparing two fields is skipped when one of them was refused."""
    errors = FieldErrors()
    if len(tidy(data.name)) < 5:
        errors.add("name", "Vui lòng nhập tên cuộc thi.")
    if not SLUG_RE.match(data.slug or ""):
        errors.add(
            "slug", "Đường dẫn chỉ gồm chữ thường không dấu, số và dấu gạch ngang (ví dụ: y-tuong-2025)."
        )
    if not PREFIX_RE.match(data.code_prefix or ""):
        errors.add(
            "code_prefix", "Tiền tố mã hồ sơ gồm 2–8 chữ in hoa hoặc số, bắt đầu bằng chữ (ví dụ: KN24)."
        )
    for attr, label in (("slug", "Đường dẫn"), ("code_prefix", "Tiền tố mã hồ sơ")):
        if attr in errors.errors:
            continue
        other = db.session.scalar(select(Contest.id).where(getattr(Contest, attr) == getattr(data, attr)))
        if other is not None and (contest is None or other != contest.id):
            errors.add(attr, f"{label} này đã được cuộc thi khác sử dụng.")
    if contest is not None and contest.last_code_number and data.code_prefix != contest.code_prefix:
        errors.add("code_prefix", "Không thể đổi tiền tố mã khi đã có bài dự thi được cấp mã.")
    _check_numbers(data, errors)
    if data.closes_local <= data.opens_local:
        errors.add("closes_date", "Thời điểm đóng phải sau thời điểm mở nhận hồ sơ.")
    if (
        data.min_age is not None
        and data.max_age is not None
        and not {"min_age", "max_age"} & set(errors.errors)
        and data.min_age > data.max_age
    ):
        errors.add("min_age", "Tuổi tối thiểu không được lớn hơn tuổi tối đa.")
    if not {"team_min", "team_max"} & set(errors.errors) and data.team_min > data.team_max:
        errors.add("team_min", "Số thành viên tối thiểu không được lớn hơn số tối đa.")
    if not data.tracks:
        errors.add("tracks", "Cần ít nhất một bảng thi.")
    if len({fold(name) for name, _ in data.tracks}) != len(data.tracks):
        errors.add("tracks", "Tên các bảng thi bị trùng nhau.")
    if not data.fields:
        errors.add("fields", "Cần ít nhất một lĩnh vực.")
    errors.check(_check_slots, data.slots)
    if set(data.form_fields) - set(FORM_FIELDS) or set(data.form_fields.values()) - FIELD_MODES:
        errors.add("form_fields", "Cấu hình các mục của phiếu dự thi không hợp lệ.")
    if data.video_link not in VIDEO_MODES:
        errors.add("video_link", "Cấu hình đường dẫn video không hợp lệ.")
    errors.raise_if_any()


def _apply_contest_data(contest: Contest, data: ContestData) -> None:
    contest.name = tidy(data.name, 200)
    contest.slug = data.slug
    contest.year = data.year
    contest.edition = data.edition
    contest.code_prefix = data.code_prefix
    contest.description = tidy(data.description)
    contest.rules_text = tidy(data.rules_text)
    # The closing minute is accepted to its last second: "23:59" means until 23:59:59.
    contest.opens_at = local_to_utc(data.opens_local.replace(second=0, microsecond=0))
    contest.closes_at = local_to_utc(data.closes_local.replace(second=59, microsecond=0))
    contest.is_published = data.is_published
    contest.min_age, contest.max_age = data.min_age, data.max_age
    contest.team_min, contest.team_max = data.team_min, data.team_max
    contest.max_entries_per_person = data.max_entries_per_person
    contest.one_team_per_leader = data.one_team_per_leader
    contest.staff_may_not_enter = data.staff_may_not_enter
    contest.fields = [tidy(f, 120) for f in data.fields]
    contest.form_fields = {k: v for k, v in data.form_fields.items() if v != "off"}
    contest.video_link = data.video_link
    contest.public_result_fields = [k for k in PUBLIC_RESULT_FIELDS if k in set(data.public_result_fields)]
    # Tracks and slots are matched by name/key so entries keep pointing at the same rows.
    existing = {fold(t.name): t for t in contest.tracks}
    wanted = []
    for position, (name, years) in enumerate(data.tracks):
        track = existing.pop(fold(name), None) or Track(name=tidy(name, 120))
        track.name, track.position, track.max_startup_years = tidy(name, 120), position, years
        wanted.append(track)
    for gone in existing.values():
        if gone.id and db.session.scalar(select(func.count(Entry.id)).where(Entry.track_id == gone.id)):
            raise Conflict(f"Không thể xoá bảng “{gone.name}” vì đã có bài dự thi.", field="tracks")
    contest.tracks = wanted
    old_slots = {s.key: s for s in contest.slots}
    slots = []
    for position, spec in enumerate(data.slots):
        slot = old_slots.pop(spec.key, None) or UploadSlot(key=spec.key)
        slot.label, slot.kinds, slot.required = tidy(spec.label, 160), list(spec.kinds), spec.required
        slot.max_bytes, slot.position = int(spec.max_mb * 1024 * 1024), position
        slots.append(slot)
    contest.slots = slots


def create_contest(actor: User, data: ContestData) -> Contest:
    """A new contest from a checked configuration (Sở staff and admins only)."""
    require_contest_creator(actor)
    _check_contest_data(data, None)
    contest = Contest(last_code_number=0)
    _apply_contest_data(contest, data)
    db.session.add(contest)
    flush(Invalid("Đường dẫn hoặc tiền tố mã đã được dùng.", field="slug"))
    record(actor, "contest.create", "contest", contest.id, slug=contest.slug)
    db.session.commit()
    return contest


def update_contest(actor: User, contest: Contest, data: ContestData) -> Contest:
    """Change a contest's configuration; tracks and slots keep their rows (matched by name and key)."""
    require_contest_manager(actor, contest)
    _check_contest_data(data, contest)
    try:
        _apply_contest_data(contest, data)
    except DomainError:
        db.session.rollback()  # a refused change (a track with entries) leaves nothing half-applied
        raise
    record(actor, "contest.update", "contest", contest.id)
    commit(Conflict("Cấu hình trùng với dữ liệu đã có. Vui lòng tải lại trang."))
    return contest


def open_contests(now: datetime | None = None) -> list[Contest]:
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(Contest)
            .where(
                Contest.is_published, Contest.opens_at <= now, Contest.closes_at >= now.replace(microsecond=0)
            )
            .order_by(Contest.closes_at)
        )
    )


def upcoming_contests(now: datetime | None = None) -> list[Contest]:
    """Published contests that have not opened yet, soonest first."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(Contest).where(Contest.is_published, Contest.opens_at > now).order_by(Contest.opens_at)
        )
    )


def public_contests() -> list[Contest]:
    return list(
        db.session.scalars(select(Contest).where(Contest.is_published).order_by(Contest.opens_at.desc()))
    )


def all_contests() -> list[Contest]:
    """Every contest, newest first (e.g. to link an event to one)."""
    return list(db.session.scalars(select(Contest).order_by(Contest.id.desc())))


# --- organiser lists ------------------------------------------------------------------------------------


# The organisers' entries list sorts by these columns (`?sap_xep=…&chieu=tang|giam`); "diem" only
# where a score is known (a contest chosen whose results a later layer has published).
ENTRY_SORTS = ("ma", "ngay", "trang_thai", "diem")
DEFAULT_SORT = ("ngay", "giam")  # the newest submission first, as the list always showed
_STATUS_ORDER = {status.value: position for position, status in enumerate(EntryStatus)}


@dataclass
class EntryFilters:
    contest_id: int | None = None
    track_id: int | None = None
    field: str = ""
    status: str = ""
    commune_code: str = ""
    organisation: str = ""
    query: str = ""
    page: int = 1
    sort: str = DEFAULT_SORT[0]  # one of ENTRY_SORTS
    direction: str = DEFAULT_SORT[1]  # "tang" (ascending) or "giam"


@dataclass(frozen=True)
class ScoreColumn:
    """A score the entries list can show and sort by: its heading and a scalar SQL expression
    correlated to `Entry.id` (NULL where the entry has no score)."""

    label: str
    value: Any  # a scalar subquery / column element


# contest id → that contest's score column, or None. Contests know no round (layers): the judging
# package registers where its published scores live (app/judging/services/results.py).
ScoreSource = Callable[[int], ScoreColumn | None]
_score_sources: list[ScoreSource] = []


def register_score_source(source: ScoreSource) -> None:
    """Let a later layer offer a score column for a contest's entries (registered once)."""
    if source not in _score_sources:
        _score_sources.append(source)


def score_column(contest_id: int | None) -> ScoreColumn | None:
    """The score column of one contest's entries, when some registered source knows one."""
    if not contest_id:
        return None
    for source in _score_sources:
        column = source(contest_id)
        if column is not None:
            return column
    return None


@dataclass
class EntryList:
    """One page of the organisers' entries list: the entries, how many match, the score column
    (when known) and each shown entry's score, and the sort actually applied."""

    entries: list[Entry]
    total: int
    score_label: str = ""
    scores: dict[int, Decimal] = dc_field(default_factory=dict)
    sort: str = DEFAULT_SORT[0]
    direction: str = DEFAULT_SORT[1]


def _filtered(user: User, filters: EntryFilters) -> Select[tuple[Entry]]:
    stmt = only_managed(select(Entry), user, Entry.contest_id)
    if filters.contest_id:
        stmt = stmt.where(Entry.contest_id == filters.contest_id)
    if filters.track_id:
        stmt = stmt.where(Entry.track_id == filters.track_id)
    if filters.field:
        stmt = stmt.where(Entry.field == filters.field)
    if filters.status:
        stmt = stmt.where(Entry.status == filters.status)
    else:
        stmt = stmt.where(Entry.status != EntryStatus.DRAFT.value)
    if filters.commune_code:
        stmt = stmt.where(Entry.commune_code == filters.commune_code)
    if fold(filters.organisation):
        # search_text holds the folded organisation: "hoi lhpn" finds "Hội LHPN" on every database
        # (SQLite's lower() leaves Vietnamese capitals alone).
        stmt = stmt.where(Entry.search_text.like(like_pattern(fold(filters.organisation)), escape="\\"))
    return stmt.where(*matching_every_word(Entry.search_text, filters.query))


def _order(sort: str, direction: str, score: ScoreColumn | None) -> list[Any]:
    """ORDER BY of the list: the chosen column (missing values last either way), then the id, so
    equal values keep one stable order across pages."""
    descending = direction == "giam"
    key: Any
    if sort == "ma":
        key = Entry.code_number
    elif sort == "trang_thai":
        key = case(_STATUS_ORDER, value=Entry.status, else_=len(_STATUS_ORDER))
    elif sort == "diem" and score is not None:
        key = score.value
    else:
        key = Entry.submitted_at
    first = key.desc() if descending else key.asc()
    return [first.nulls_last(), Entry.id.desc() if descending else Entry.id.asc()]


def list_entries_page(user: User, filters: EntryFilters) -> EntryList:
    """The organisers' entries list: entries of the contests this user manages (drafts only when
    asked for by status), sorted by the chosen column; an unknown sort or direction (or a score
    sort where no score is known) falls back to the default order."""
    score = score_column(filters.contest_id)
    sort, direction = filters.sort, filters.direction
    if sort not in ENTRY_SORTS or (sort == "diem" and score is None):
        sort, direction = DEFAULT_SORT
    if direction not in ("tang", "giam"):
        direction = DEFAULT_SORT[1] if sort in ("ngay", "diem") else "tang"
    stmt = _filtered(user, filters).order_by(*_order(sort, direction, score))
    entries, total = page_of(stmt, filters.page, ENTRIES_PAGE_SIZE)
    found = EntryList(entries, total, sort=sort, direction=direction)
    if score is not None:
        found.score_label = score.label
        if entries:
            found.scores = {
                entry_id: Decimal(str(value))
                for entry_id, value in db.session.execute(
                    select(Entry.id, score.value).where(Entry.id.in_([e.id for e in entries]))
                )
                if value is not None
            }
    return found


def search_entries(user: User, filters: EntryFilters) -> tuple[list[Entry], int]:
    """Entries of the contests this user manages; drafts only when asked for by status."""
    found = list_entries_page(user, filters)
    return found.entries, found.total


def status_counts(contest: Contest) -> dict[str, int]:
    """How many entries of this contest are in each state (states with none are absent)."""
    rows = db.session.execute(
        select(Entry.status, func.count(Entry.id))
        .where(Entry.contest_id == contest.id)
        .group_by(Entry.status)
    )
    return {status: count for status, count in rows}


def list_finalists(contest: Contest) -> list[Entry]:
    """Entries in the finalist state with their members (leader first), ordered by code."""
    return list(
        db.session.scalars(
            select(Entry)
            .where(Entry.contest_id == contest.id, Entry.status == EntryStatus.FINALIST.value)
            .order_by(Entry.code_number, Entry.id)
        )
    )
