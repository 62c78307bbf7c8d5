"""Contest rules: who manages which contest, configuration, the entry lifecycle, eligibility,
uploads and screening. Every state-changing service commits; views and other packages call these.

Public API other packages rely on (keep stable): can_manage_contest, manageable_contests,
get_contest, get_contest_for_organiser, contest_judges, contest_staff_users, list_finalists,
change_status (with models.TRANSITIONS). What an entry holds about a person, and its erasure, is in
contests/privacy.py (the privacy registry).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from app.accounts.models import Role, User
from app.accounts.validation import ValidationFailed, normalize_email, normalize_name, normalize_phone
from app.audit.services import record
from app.contests import units
from app.contests.files import KIND_LABELS, display_name, sniff
from app.contests.models import (
    ACTIVE_STATES,
    SCREENING_STATES,
    SEX_LABELS,
    STAFF_ROLE_LABELS,
    STATUS_LABELS,
    TRANSITIONS,
    Contest,
    ContestStaff,
    Entry,
    EntryEvent,
    EntryFile,
    EntryStatus,
    StaffRole,
    TeamMember,
    Track,
    UploadSlot,
)
from app.errors import Conflict, DomainError, Invalid, NotFound, PermissionDenied
from app.extensions import db
from app.localtime import local_to_utc, to_local, utcnow
from app.mail.services import send_email
from app.privacy import services as privacy
from app.text import fold, like_pattern, tidy, whole_number

# The structured entry form (SPEC §3) beyond title, track, field and summary, which are always asked.
FORM_FIELDS = {
    "problem": "Vấn đề cần giải quyết",
    "solution": "Giải pháp, sản phẩm",
    "customers": "Khách hàng, thị trường",
    "business_model": "Mô hình kinh doanh",
    "advantage": "Lợi thế cạnh tranh",
    "stage": "Giai đoạn phát triển hiện nay",
    "funding": "Nhu cầu vốn, hỗ trợ",
    "impact": "Tác động xã hội, môi trường",
}
FIELD_MODES = {"required", "optional", "off"}
VIDEO_MODES = {"off", "optional", "required"}
ENTRIES_PAGE_SIZE = 30
PREFIX_RE = re.compile(r"^[A-Z][A-Z0-9]{1,7}$")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLOT_KEY_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def _clean(text: str | None, limit: int | None = None) -> str:
    return tidy(text, limit or None)


# --- staff and permissions -------------------------------------------------------------------------


def _organiser_rows(user) -> list[ContestStaff]:
    return list(
        db.session.scalars(
            select(ContestStaff).where(
                ContestStaff.user_id == user.id, ContestStaff.role == StaffRole.ORGANISER.value
            )
        )
    )


def managed_contest_ids(user) -> set[int] | None:
    """None = every contest (admin, or Sở staff with the global role and no contest rows)."""
    if user is None or not getattr(user, "is_authenticated", True):
        return set()
    if Role.ADMIN in user.roles:
        return None
    if Role.ORGANISER not in user.roles:
        return set()
    rows = _organiser_rows(user)
    return {row.contest_id for row in rows} if rows else None


def is_global_organiser(user) -> bool:
    """Sở staff and admins: manage every contest and the platform-wide queues (data requests)."""
    if user is None or not getattr(user, "is_authenticated", True):
        return False
    return managed_contest_ids(user) is None


def can_manage_contest(user, contest: Contest) -> bool:
    ids = managed_contest_ids(user)
    return ids is None or contest.id in ids


def manageable_contests(user) -> list[Contest]:
    ids = managed_contest_ids(user)
    stmt = select(Contest).order_by(Contest.closes_at.desc(), Contest.id.desc())
    if ids is not None:
        if not ids:
            return []
        stmt = stmt.where(Contest.id.in_(ids))
    return list(db.session.scalars(stmt))


def all_contests() -> list[Contest]:
    """Every contest, newest first (e.g. to link an event to one)."""
    return list(db.session.scalars(select(Contest).order_by(Contest.id.desc())))


def get_contest(contest_id_or_slug) -> Contest:
    contest = None
    if isinstance(contest_id_or_slug, int) or whole_number(str(contest_id_or_slug)) is not None:
        contest = db.session.get(Contest, int(contest_id_or_slug))
    if contest is None:
        contest = db.session.scalar(select(Contest).where(Contest.slug == str(contest_id_or_slug)))
    if contest is None:
        raise NotFound("Không tìm thấy cuộc thi.")
    return contest


def get_public_contest(slug: str) -> Contest:
    contest = get_contest(slug)
    if not contest.is_published:
        raise NotFound("Không tìm thấy cuộc thi.")
    return contest


def get_contest_for_organiser(user, contest_id_or_slug) -> Contest:
    """404 if missing; 403 for a co-organiser of another contest (or a non-organiser)."""
    contest = get_contest(contest_id_or_slug)
    if not can_manage_contest(user, contest):
        raise PermissionDenied("Bạn không thuộc Ban tổ chức của cuộc thi này.")
    return contest


def contest_staff(contest: Contest) -> list[ContestStaff]:
    return list(
        db.session.scalars(
            select(ContestStaff)
            .where(ContestStaff.contest_id == contest.id)
            .order_by(ContestStaff.role, ContestStaff.id)
        )
    )


def contest_judges(contest: Contest) -> list[User]:
    """The users named judges of this contest."""
    return list(
        db.session.scalars(
            select(User)
            .join(ContestStaff, ContestStaff.user_id == User.id)
            .where(ContestStaff.contest_id == contest.id, ContestStaff.role == StaffRole.JUDGE.value)
            .order_by(User.full_name)
        )
    )


def contest_staff_users(contest: Contest) -> list[User]:
    """Organisers and judges of this contest (they may not enter it)."""
    return list(
        db.session.scalars(
            select(User)
            .join(ContestStaff, ContestStaff.user_id == User.id)
            .where(ContestStaff.contest_id == contest.id)
            .distinct()
        )
    )


def add_staff(actor, contest: Contest, email: str, role: str, organisation: str = "") -> ContestStaff:
    """Name an existing account organiser or judge of a contest; grants the matching global role."""
    if not can_manage_contest(actor, contest):
        raise PermissionDenied("Bạn không thuộc Ban tổ chức của cuộc thi này.")
    if role not in {r.value for r in StaffRole}:
        raise Invalid("Vai trò không hợp lệ.", field="role")
    try:
        email_n = normalize_email(email)
    except ValidationFailed as exc:
        raise Invalid(str(exc), field="email") from exc
    user = db.session.scalar(select(User).where(User.email == email_n))
    if user is None:
        raise Invalid(
            "Chưa có tài khoản với email này. Hãy nhờ quản trị hệ thống tạo tài khoản trước.", field="email"
        )
    from app.accounts.models import UserRole

    if role == StaffRole.ORGANISER and managed_contest_ids(user) is None and not is_global_organiser(actor):
        # A row limits its holder to the contests listed: only Sở staff may do that to someone who
        # currently manages every contest (a new co-organiser account, or a colleague).
        raise PermissionDenied(
            f"{user.full_name} đang quản lý mọi cuộc thi; chỉ cán bộ Sở mới thêm được người này.",
            field="email",
        )
    global_role = Role.ORGANISER if role == StaffRole.ORGANISER else Role.JUDGE
    if global_role not in user.roles:
        user.role_rows.append(UserRole(role=global_role.value))
    row = ContestStaff(
        contest_id=contest.id, user_id=user.id, role=role, organisation=_clean(organisation, 120)
    )
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(
            f"{user.full_name} đã là {STAFF_ROLE_LABELS[StaffRole(role)].lower()} của cuộc thi này.",
            field="email",
        ) from exc
    record(actor, "contest.add_staff", "contest", contest.id, user_id=user.id, role=role)
    db.session.commit()
    return row


def remove_staff(actor, contest: Contest, staff_id: int) -> None:
    if not can_manage_contest(actor, contest):
        raise PermissionDenied("Bạn không thuộc Ban tổ chức của cuộc thi này.")
    row = db.session.get(ContestStaff, staff_id)
    if row is None or row.contest_id != contest.id:
        raise NotFound("Không tìm thấy người này trong danh sách.")
    if row.user_id == actor.id and row.role == StaffRole.ORGANISER:
        raise Conflict("Bạn không thể tự xoá mình khỏi Ban tổ chức.")
    db.session.delete(row)
    db.session.flush()
    user = row.user
    if row.role == StaffRole.ORGANISER and not _organiser_rows(user) and Role.ADMIN not in user.roles:
        # Without rows the global role would mean "Sở staff, every contest": take it back instead.
        for role_row in [r for r in user.role_rows if r.role == Role.ORGANISER.value]:
            user.role_rows.remove(role_row)
        record(
            actor,
            "user.revoke_role",
            "user",
            user.id,
            role=Role.ORGANISER.value,
            reason="last contest removed",
        )
    record(actor, "contest.remove_staff", "contest", contest.id, user_id=row.user_id, role=row.role)
    db.session.commit()


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


def _in_range(value, low, high, *, kind=(int,)) -> bool:
    """A real number (never a bool, NaN or infinity) within low..high."""
    return isinstance(value, kind) and not isinstance(value, bool) and low <= value <= high


def _check_numbers(data: ContestData) -> None:
    optional = {"edition", "min_age", "max_age", "max_entries_per_person"}
    for name, message in NUMBER_MESSAGES.items():
        value = getattr(data, name)
        if value is None and name in optional:
            continue
        if not _in_range(value, *NUMBER_BOUNDS[name]):
            raise Invalid(message, field=name)
    for track_name, years in data.tracks:
        if years is not None and not _in_range(years, *NUMBER_BOUNDS["startup_years"]):
            raise Invalid(
                f"Bảng “{track_name}”: số năm tối đa kể từ khi đăng ký kinh doanh phải từ 1 đến 50.",
                field="tracks",
            )


def _check_contest_data(data: ContestData, contest: Contest | None) -> None:
    if len(_clean(data.name)) < 5:
        raise Invalid("Vui lòng nhập tên cuộc thi.", field="name")
    if not SLUG_RE.match(data.slug or ""):
        raise Invalid(
            "Đường dẫn chỉ gồm chữ thường không dấu, số và dấu gạch ngang (ví dụ: y-tuong-2025).",
            field="slug",
        )
    if not PREFIX_RE.match(data.code_prefix or ""):
        raise Invalid(
            "Tiền tố mã hồ sơ gồm 2–8 chữ in hoa hoặc số, bắt đầu bằng chữ (ví dụ: KN24).",
            field="code_prefix",
        )
    for attr, label in (("slug", "Đường dẫn"), ("code_prefix", "Tiền tố mã hồ sơ")):
        other = db.session.scalar(select(Contest.id).where(getattr(Contest, attr) == getattr(data, attr)))
        if other is not None and (contest is None or other != contest.id):
            raise Invalid(f"{label} này đã được cuộc thi khác sử dụng.", field=attr)
    if contest is not None and contest.last_code_number and data.code_prefix != contest.code_prefix:
        raise Invalid("Không thể đổi tiền tố mã khi đã có bài dự thi được cấp mã.", field="code_prefix")
    _check_numbers(data)
    if data.closes_local <= data.opens_local:
        raise Invalid("Thời điểm đóng phải sau thời điểm mở nhận hồ sơ.", field="closes_date")
    if data.min_age is not None and data.max_age is not None and data.min_age > data.max_age:
        raise Invalid("Tuổi tối thiểu không được lớn hơn tuổi tối đa.", field="min_age")
    if data.team_min > data.team_max:
        raise Invalid("Số thành viên tối thiểu không được lớn hơn số tối đa.", field="team_min")
    if not data.tracks:
        raise Invalid("Cần ít nhất một bảng thi.", field="tracks")
    if len({fold(name) for name, _ in data.tracks}) != len(data.tracks):
        raise Invalid("Tên các bảng thi bị trùng nhau.", field="tracks")
    if not data.fields:
        raise Invalid("Cần ít nhất một lĩnh vực.", field="fields")
    keys = [s.key for s in data.slots]
    if len(set(keys)) != len(keys):
        raise Invalid("Mã các mục tài liệu bị trùng nhau.", field="slots")
    for slot in data.slots:
        if not SLOT_KEY_RE.match(slot.key) or not slot.label:
            raise Invalid(f"Mục tài liệu “{slot.key}” chưa đúng mẫu.", field="slots")
        if not slot.kinds or set(slot.kinds) - set(KIND_LABELS):
            raise Invalid(f"Mục “{slot.label}”: loại tệp chỉ gồm {', '.join(KIND_LABELS)}.", field="slots")
        if not _in_range(slot.max_mb, *NUMBER_BOUNDS["slot_mb"], kind=(int, float)):
            raise Invalid(f"Mục “{slot.label}”: dung lượng tối đa từ 0,1 đến 20 MB.", field="slots")
    if set(data.form_fields) - set(FORM_FIELDS) or set(data.form_fields.values()) - FIELD_MODES:
        raise Invalid("Cấu hình các mục của phiếu dự thi không hợp lệ.", field="form_fields")
    if data.video_link not in VIDEO_MODES:
        raise Invalid("Cấu hình đường dẫn video không hợp lệ.", field="video_link")


def _apply_contest_data(contest: Contest, data: ContestData) -> None:
    contest.name = _clean(data.name, 200)
    contest.slug = data.slug
    contest.year = data.year
    contest.edition = data.edition
    contest.code_prefix = data.code_prefix
    contest.description = _clean(data.description)
    contest.rules_text = _clean(data.rules_text)
    # The closing minute is accepted to its last second: "23:59" means until 23:59:59.
    contest.opens_at = local_to_utc(data.opens_local.replace(second=0, microsecond=0))
    contest.closes_at = local_to_utc(data.closes_local.replace(second=59, microsecond=0))
    contest.is_published = data.is_published
    contest.min_age, contest.max_age = data.min_age, data.max_age
    contest.team_min, contest.team_max = data.team_min, data.team_max
    contest.max_entries_per_person = data.max_entries_per_person
    contest.one_team_per_leader = data.one_team_per_leader
    contest.staff_may_not_enter = data.staff_may_not_enter
    contest.fields = [_clean(f, 120) for f in data.fields]
    contest.form_fields = {k: v for k, v in data.form_fields.items() if v != "off"}
    contest.video_link = data.video_link
    # Tracks and slots are matched by name/key so entries keep pointing at the same rows.
    existing = {fold(t.name): t for t in contest.tracks}
    wanted = []
    for position, (name, years) in enumerate(data.tracks):
        track = existing.pop(fold(name), None) or Track(name=_clean(name, 120))
        track.name, track.position, track.max_startup_years = _clean(name, 120), position, years
        wanted.append(track)
    for gone in existing.values():
        if gone.id and db.session.scalar(select(func.count(Entry.id)).where(Entry.track_id == gone.id)):
            raise Conflict(f"Không thể xoá bảng “{gone.name}” vì đã có bài dự thi.", field="tracks")
    contest.tracks = wanted
    old_slots = {s.key: s for s in contest.slots}
    slots = []
    for position, spec in enumerate(data.slots):
        slot = old_slots.pop(spec.key, None) or UploadSlot(key=spec.key)
        slot.label, slot.kinds, slot.required = _clean(spec.label, 160), list(spec.kinds), spec.required
        slot.max_bytes, slot.position = int(spec.max_mb * 1024 * 1024), position
        slots.append(slot)
    contest.slots = slots


def require_contest_creator(user) -> None:
    """Only Sở staff and admins create contests; a co-organiser is refused before the form opens."""
    if not is_global_organiser(user):
        raise PermissionDenied("Chỉ cán bộ Sở hoặc quản trị hệ thống được tạo cuộc thi.")


def create_contest(actor, data: ContestData) -> Contest:
    require_contest_creator(actor)
    _check_contest_data(data, None)
    contest = Contest(last_code_number=0)
    _apply_contest_data(contest, data)
    db.session.add(contest)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise Invalid("Đường dẫn hoặc tiền tố mã đã được dùng.", field="slug") from exc
    record(actor, "contest.create", "contest", contest.id, slug=contest.slug)
    db.session.commit()
    return contest


def update_contest(actor, contest: Contest, data: ContestData) -> Contest:
    if not can_manage_contest(actor, contest):
        raise PermissionDenied("Bạn không thuộc Ban tổ chức của cuộc thi này.")
    _check_contest_data(data, contest)
    try:
        _apply_contest_data(contest, data)
    except DomainError:
        db.session.rollback()  # a refused change (a track with entries) leaves nothing half-applied
        raise
    record(actor, "contest.update", "contest", contest.id)
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict("Cấu hình trùng với dữ liệu đã có. Vui lòng tải lại trang.") from exc
    return contest


def is_open(contest: Contest, now: datetime | None = None) -> bool:
    """Open from opens_at to the last second of closes_at inclusive (23:59:59 yes, 00:00:00 no)."""
    now = now or utcnow()
    return contest.opens_at <= now and now.replace(microsecond=0) <= contest.closes_at


def closing_date(contest: Contest) -> date:
    return to_local(contest.closes_at).date()


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


# --- team members ------------------------------------------------------------------------------------


@dataclass
class MemberData:
    full_name: str = ""
    birth_date: date | None = None
    sex: str = ""
    phone: str = ""
    email: str = ""
    organisation: str = ""
    commune_code: str = ""
    district_code: str = ""
    ethnicity: str = ""
    guardian_name: str = ""
    guardian_contact: str = ""
    guardian_consent: bool = False


def _apply_member(member: TeamMember, data: MemberData, *, keep_ethnicity: bool) -> None:
    try:
        member.full_name = normalize_name(data.full_name)
    except ValidationFailed as exc:
        raise Invalid(str(exc), field="full_name") from exc
    try:
        member.phone = normalize_phone(data.phone) if (data.phone or "").strip() else ""
    except ValidationFailed as exc:
        raise Invalid(str(exc), field="phone") from exc
    try:
        member.email = normalize_email(data.email) if (data.email or "").strip() else ""
    except ValidationFailed as exc:
        raise Invalid(str(exc), field="email") from exc
    if not member.phone and not member.email:
        raise Invalid("Cần ít nhất số điện thoại hoặc email để liên hệ.", field="phone")
    today = to_local(utcnow()).date()
    if data.birth_date is not None and not (date(1900, 1, 1) <= data.birth_date <= today):
        raise Invalid("Ngày sinh không hợp lệ.", field="birth_date")
    member.birth_date = data.birth_date
    if data.sex and data.sex not in SEX_LABELS:
        raise Invalid("Giới tính không hợp lệ.", field="sex")
    member.sex = data.sex or ""
    member.organisation = _clean(data.organisation, 160)
    if data.commune_code:
        name = units.commune_name(data.commune_code)
        if name is None:
            raise Invalid("Xã/phường không có trong danh mục.", field="commune_code")
        member.commune_code, member.commune_name = data.commune_code, name
    else:
        member.commune_code = member.commune_name = ""
    if data.district_code:
        name = units.district_name(data.district_code)
        if name is None:
            raise Invalid("Huyện/thị xã/thành phố không có trong danh mục.", field="district_code")
        member.district_code, member.district_name = data.district_code, name
    else:
        member.district_code = member.district_name = ""
    # Ethnicity is sensitive (SPEC §7): kept only with the statistics consent; "không cung cấp" is fine.
    member.ethnicity = _clean(data.ethnicity, 40) if keep_ethnicity else ""
    member.guardian_name = _clean(data.guardian_name, 120)
    member.guardian_contact = _clean(data.guardian_contact, 254)
    member.guardian_consent = bool(data.guardian_consent)


def _leader_consents_to_stats(entry: Entry) -> bool:
    leader = entry.leader_member
    if entry.leader_id:
        return privacy.has_consent("user", entry.leader_id, "sensitive_stats")
    return bool(leader and leader.id and privacy.has_consent("team_member", leader.id, "sensitive_stats"))


def add_member(actor, entry: Entry, data: MemberData) -> TeamMember:
    _require_editable(actor, entry)
    if len(entry.members) >= entry.contest.team_max:
        raise Invalid(f"Nhóm đã đủ tối đa {entry.contest.team_max} người theo thể lệ.")
    member = TeamMember(position=len(entry.members))
    _apply_member(member, data, keep_ethnicity=_leader_consents_to_stats(entry))
    entry.members.append(member)
    _touch(entry, actor, "member_add", f"Thêm thành viên {member.full_name}")
    db.session.commit()
    return member


def update_member(actor, entry: Entry, member_id: int, data: MemberData) -> TeamMember:
    _require_editable(actor, entry)
    member = _member_of(entry, member_id)
    if member.is_leader and entry.leader_id:
        # The leader's contact details come from the account: change them on the profile page.
        data.phone = member.phone or data.phone
        data.email = member.email or data.email
    _apply_member(member, data, keep_ethnicity=_leader_consents_to_stats(entry))
    _touch(entry, actor, "member_edit", f"Sửa thông tin thành viên {member.full_name}")
    db.session.commit()
    return member


def remove_member(actor, entry: Entry, member_id: int) -> None:
    _require_editable(actor, entry)
    member = _member_of(entry, member_id)
    if member.is_leader:
        raise Conflict("Không thể xoá trưởng nhóm khỏi nhóm.")
    entry.members.remove(member)
    _touch(entry, actor, "member_remove", f"Xoá thành viên {member.full_name}")
    db.session.commit()


def _member_of(entry: Entry, member_id: int) -> TeamMember:
    member = next((m for m in entry.members if m.id == member_id), None)
    if member is None:
        raise NotFound("Không tìm thấy thành viên này trong nhóm.")
    return member


# --- entries: access ------------------------------------------------------------------------------


def get_entry(entry_id: int) -> Entry:
    entry = db.session.get(Entry, entry_id)
    if entry is None:
        raise NotFound("Không tìm thấy bài dự thi.")
    return entry


def get_entry_for_leader(user, entry_id: int) -> Entry:
    """The leader's own entry, or an organiser's paper entry; 404 for anyone else (no enumeration)."""
    entry = db.session.get(Entry, entry_id)
    if entry is None or not _may_edit(user, entry):
        raise NotFound("Không tìm thấy bài dự thi.")
    return entry


def get_entry_for_organiser(user, entry_id: int) -> Entry:
    entry = db.session.get(Entry, entry_id)
    if entry is None:
        raise NotFound("Không tìm thấy bài dự thi.")
    if not can_manage_contest(user, entry.contest):
        raise PermissionDenied("Bạn không thuộc Ban tổ chức của cuộc thi này.")
    return entry


def may_view_entry(user, entry: Entry) -> bool:
    """Leader and the contest's organisers. Judges see entries through the judging package."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return entry.leader_id == user.id or can_manage_contest(user, entry.contest)


def _may_edit(user, entry: Entry) -> bool:
    if user is None or not getattr(user, "is_authenticated", True):
        return False
    if entry.leader_id is not None and entry.leader_id == user.id:
        return True
    return entry.is_paper and can_manage_contest(user, entry.contest)


def my_entries(user) -> list[Entry]:
    return list(
        db.session.scalars(
            select(Entry).where(Entry.leader_id == user.id).order_by(Entry.created_at.desc(), Entry.id.desc())
        )
    )


def is_editable(entry: Entry, now: datetime | None = None, actor=None) -> bool:
    if entry.status not in (EntryStatus.DRAFT, EntryStatus.SUBMITTED):
        return False
    if entry.is_paper and actor is not None and can_manage_contest(actor, entry.contest):
        return True  # paper dossiers arrived on time; staff key them in afterwards
    return is_open(entry.contest, now)


def _require_editable(actor, entry: Entry, now: datetime | None = None) -> None:
    if not _may_edit(actor, entry):
        raise NotFound("Không tìm thấy bài dự thi.")
    if entry.status not in (EntryStatus.DRAFT, EntryStatus.SUBMITTED):
        raise Conflict(f"Bài dự thi đang ở trạng thái “{entry.status_label}” nên không sửa được nữa.")
    if not is_editable(entry, now, actor):
        raise Conflict(_deadline_message(entry.contest, now))


def _deadline_message(contest: Contest, now: datetime | None = None) -> str:
    now = now or utcnow()
    closes = to_local(contest.closes_at).strftime("%H:%M:%S ngày %d/%m/%Y")
    if now < contest.opens_at:
        opens = to_local(contest.opens_at).strftime("%H:%M ngày %d/%m/%Y")
        return f"Cuộc thi chưa mở nhận hồ sơ (mở lúc {opens})."
    return f"Đã hết hạn nộp bài (hạn cuối {closes}). Bản nháp của bạn vẫn được giữ nguyên."


def _touch(entry: Entry, actor, action: str, note: str = "") -> None:
    entry.updated_at = utcnow()
    refresh_search_text(entry)
    if entry.status != EntryStatus.DRAFT:
        add_history(entry, actor, action, note=note)


def add_history(
    entry: Entry, actor, action: str, *, before: str = "", after: str = "", note: str = ""
) -> None:
    entry.history.append(
        EntryEvent(
            actor_id=getattr(actor, "id", None),
            action=action,
            from_status=before,
            to_status=after,
            note=note,
            at=utcnow(),
        )
    )


def refresh_search_text(entry: Entry) -> None:
    parts = [entry.code or "", entry.title, entry.organisation, entry.commune_name, entry.field]
    for member in entry.members:
        # Phones both as stored (+84…) and as people type them (0…).
        national = "0" + member.phone[3:] if member.phone.startswith("+84") else ""
        parts += [member.full_name, member.organisation, member.phone, national, member.email]
    entry.search_text = fold(" | ".join(p for p in parts if p))


# --- entries: applicant flow ----------------------------------------------------------------------


def _staff_matches(contest: Contest, members: list[TeamMember]) -> list[tuple[TeamMember, User]]:
    staff = contest_staff_users(contest)
    hits = []
    for member in members:
        for user in staff:
            if (
                (member.user_id and member.user_id == user.id)
                or (member.email and member.email == user.email)
                or (member.phone and user.phone and member.phone == user.phone)
            ):
                hits.append((member, user))
    return hits


def start_entry(
    user,
    contest: Contest,
    *,
    title: str,
    track_id: int | None,
    leader: MemberData,
    consents: dict[str, bool],
    now: datetime | None = None,
) -> Entry:
    """A new draft led by `user`, with the leader as first member and their consents recorded."""
    if not contest.is_published:
        raise NotFound("Không tìm thấy cuộc thi.")
    if not is_open(contest, now):
        raise Conflict(_deadline_message(contest, now))
    if contest.staff_may_not_enter and user.id in {u.id for u in contest_staff_users(contest)}:
        raise PermissionDenied("Thành viên Ban tổ chức và Giám khảo của cuộc thi không được dự thi.")
    if contest.one_team_per_leader:
        existing = db.session.scalar(
            select(Entry).where(
                Entry.contest_id == contest.id,
                Entry.leader_id == user.id,
                Entry.status != EntryStatus.WITHDRAWN.value,
            )
        )
        if existing is not None:
            raise Conflict(
                "Mỗi người chỉ được làm trưởng nhóm một bài dự thi trong cuộc thi này. "
                f"Bạn đã có bài “{existing.title}”.",
                code="already_leading",
            )
    privacy.check_choices("entry", consents)
    entry = Entry(contest=contest, leader_id=user.id, status=EntryStatus.DRAFT.value, answers={})
    _set_title(entry, title)
    if track_id:
        entry.track = _track_of(contest, track_id)
    leader.full_name = leader.full_name or user.full_name
    leader.email, leader.phone = user.email, user.phone or ""
    member = TeamMember(is_leader=True, user_id=user.id, position=0)
    _apply_member(member, leader, keep_ethnicity=bool(consents.get("sensitive_stats")))
    entry.members.append(member)
    entry.organisation, entry.commune_code, entry.commune_name = (
        member.organisation,
        member.commune_code,
        member.commune_name,
    )
    db.session.add(entry)
    db.session.flush()
    privacy.record_choices("user", user.id, "entry", consents)
    refresh_search_text(entry)
    add_history(entry, user, "created", after=EntryStatus.DRAFT.value, note="Tạo bản nháp")
    record(user, "entry.create", "entry", entry.id, contest=contest.slug)
    db.session.commit()
    return entry


def key_in_paper_entry(
    actor,
    contest: Contest,
    *,
    title: str,
    track_id: int | None,
    leader: MemberData,
    consents: dict[str, bool],
    note: str = "",
) -> Entry:
    """An organiser keys in a dossier received on paper; the leader need not have an account."""
    if not can_manage_contest(actor, contest):
        raise PermissionDenied("Bạn không thuộc Ban tổ chức của cuộc thi này.")
    privacy.check_choices("entry", consents)
    entry = Entry(
        contest=contest, status=EntryStatus.DRAFT.value, is_paper=True, keyed_by_id=actor.id, answers={}
    )
    _set_title(entry, title)
    if track_id:
        entry.track = _track_of(contest, track_id)
    member = TeamMember(is_leader=True, position=0)
    _apply_member(member, leader, keep_ethnicity=bool(consents.get("sensitive_stats")))
    entry.members.append(member)
    entry.organisation, entry.commune_code, entry.commune_name = (
        member.organisation,
        member.commune_code,
        member.commune_name,
    )
    db.session.add(entry)
    db.session.flush()
    privacy.record_choices("team_member", member.id, "entry", consents, source="paper", keyed_by=actor)
    refresh_search_text(entry)
    add_history(
        entry,
        actor,
        "paper_created",
        after=EntryStatus.DRAFT.value,
        note=("Nhập hồ sơ giấy thay cho thí sinh. " + _clean(note, 300)).strip(),
    )
    record(actor, "entry.paper_create", "entry", entry.id, contest=contest.slug)
    db.session.commit()
    return entry


def _set_title(entry: Entry, title: str) -> None:
    value = " ".join(_clean(title).split())
    if len(value) < 3:
        raise Invalid("Vui lòng nhập tên ý tưởng/dự án (ít nhất 3 ký tự).", field="title")
    if len(value) > 200:
        raise Invalid("Tên ý tưởng/dự án không được dài quá 200 ký tự.", field="title")
    entry.title = value


def _track_of(contest: Contest, track_id) -> Track:
    try:
        wanted = int(track_id)
    except (TypeError, ValueError):
        wanted = -1
    track = next((t for t in contest.tracks if t.id == wanted), None)
    if track is None:
        raise Invalid("Vui lòng chọn bảng thi.", field="track_id")
    return track


@dataclass
class EntryData:
    title: str = ""
    track_id: int | None = None
    field: str = ""
    summary: str = ""
    answers: dict[str, str] = dc_field(default_factory=dict)
    video_url: str = ""
    declared_original: bool = False
    startup_registered_on: date | None = None
    organisation: str | None = None


@dataclass
class SaveResult:
    errors: dict[str, str]  # field name → message (the field kept its previous value)
    saved_files: list[str]


def save_entry(actor, entry: Entry, data: EntryData, uploads: dict | None = None, now=None) -> SaveResult:
    """Save whatever is valid, report the rest per field: a draft is never lost to one bad field."""
    _require_editable(actor, entry, now)
    errors: dict[str, str] = {}

    def attempt(name, fn):
        try:
            fn()
        except Invalid as exc:
            errors[exc.field or name] = exc.message

    attempt("title", lambda: _set_title(entry, data.title))
    if data.track_id:
        attempt("track_id", lambda: setattr(entry, "track", _track_of(entry.contest, data.track_id)))
    if data.field:
        if data.field in entry.contest.fields:
            entry.field = data.field
        else:
            errors["field"] = "Vui lòng chọn lĩnh vực trong danh sách."
    entry.summary = _clean(data.summary, 5000)
    entry.answers = {
        key: _clean(data.answers.get(key, ""), 5000)
        for key in entry.contest.form_fields
        if key in FORM_FIELDS
    }
    video = _clean(data.video_url, 300)
    if video and not URL_RE.match(video):
        errors["video_url"] = (
            "Đường dẫn video phải bắt đầu bằng http:// hoặc https:// (ví dụ YouTube, Google Drive)."
        )
    else:
        entry.video_url = video
    entry.declared_original = bool(data.declared_original)
    if data.startup_registered_on and data.startup_registered_on > to_local(utcnow()).date():
        errors["startup_registered_on"] = "Ngày đăng ký kinh doanh không được ở tương lai."
    else:
        entry.startup_registered_on = data.startup_registered_on
    if data.organisation is not None:
        entry.organisation = _clean(data.organisation, 160)
    saved = []
    for slot in entry.contest.slots:
        upload = (uploads or {}).get(slot.key)
        if upload is None or not getattr(upload, "filename", ""):
            continue
        try:
            _store_upload(actor, entry, slot, upload)
            saved.append(slot.key)
        except Invalid as exc:
            errors[f"file_{slot.key}"] = exc.message
    _touch(entry, actor, "edited", "Sửa bài sau khi nộp" if entry.status != EntryStatus.DRAFT else "")
    record(actor, "entry.save", "entry", entry.id, files=saved, errors=sorted(errors))
    db.session.commit()
    return SaveResult(errors=errors, saved_files=saved)


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def file_path(entry_file: EntryFile) -> Path:
    # Generated names only ("<32 hex>.<kind>"): a user's filename never reaches the file system.
    return upload_root() / entry_file.stored_name[:2] / entry_file.stored_name


def _size_of(stream) -> int:
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f}".replace(".0", "").replace(".", ",") + " MB"


def _store_upload(actor, entry: Entry, slot: UploadSlot, upload) -> EntryFile:
    stream = upload.stream
    size = _size_of(stream)
    if size == 0:
        raise Invalid("Tệp tải lên rỗng.", field=f"file_{slot.key}")
    if size > slot.max_bytes:
        raise Invalid(
            f"Tệp “{display_name(upload.filename, 'x')[:-2]}” nặng {_mb(size)}, vượt quá giới hạn "
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
        original_name=display_name(upload.filename, kind),
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
        _unlink_later(file_path(old))
    entry.files.append(row)
    return row


def _unlink_later(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        current_app.logger.warning("could not delete replaced upload %s", path)


def remove_file(actor, entry: Entry, slot_key: str) -> None:
    _require_editable(actor, entry)
    row = entry.file_for(slot_key)
    if row is None:
        raise NotFound("Không có tệp nào ở mục này.")
    entry.files.remove(row)
    _touch(entry, actor, "file_remove", f"Xoá tệp {row.original_name}")
    db.session.commit()
    _unlink_later(file_path(row))


def get_file_for_viewer(user, entry_id: int, file_id: int) -> tuple[EntryFile, Path]:
    entry = db.session.get(Entry, entry_id)
    if entry is None or not may_view_entry(user, entry):
        raise NotFound("Không tìm thấy tệp.")
    row = next((f for f in entry.files if f.id == file_id), None)
    if row is None or not file_path(row).is_file():
        raise NotFound("Không tìm thấy tệp.")
    return row, file_path(row)


# --- eligibility ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


class NotEligible(Invalid):
    """Submission refused; `problems` lists every rule that fails, in Vietnamese."""

    def __init__(self, problems: list[Problem]):
        super().__init__(
            "Bài dự thi chưa thể nộp: " + "; ".join(p.message for p in problems), code="not_eligible"
        )
        self.problems = problems


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29/02 → 28/02
        return day.replace(year=day.year + years, day=28)


def _person_keys(member: TeamMember) -> set[str]:
    keys = set()
    if member.user_id:
        keys.add(f"u:{member.user_id}")
    if member.email:
        keys.add(f"e:{member.email}")
    if member.phone:
        keys.add(f"p:{member.phone}")
    return keys


def _other_active_entries(entry: Entry) -> list[Entry]:
    """Other counted entries of the same contest sharing a person (by account, email or phone)."""
    conditions = []
    ids = [m.user_id for m in entry.members if m.user_id]
    emails = [m.email for m in entry.members if m.email]
    phones = [m.phone for m in entry.members if m.phone]
    if ids:
        conditions.append(TeamMember.user_id.in_(ids))
    if emails:
        conditions.append(TeamMember.email.in_(emails))
    if phones:
        conditions.append(TeamMember.phone.in_(phones))
    if not conditions:
        return []
    shared = select(TeamMember.entry_id).where(or_(*conditions))
    return list(
        db.session.scalars(
            select(Entry).where(
                Entry.contest_id == entry.contest_id,
                Entry.id != (entry.id or -1),
                Entry.status.in_([s.value for s in ACTIVE_STATES]),
                Entry.id.in_(shared),
            )
        )
    )


def check_eligibility(entry: Entry, now: datetime | None = None, *, window: bool = True) -> list[Problem]:
    """Every rule of the contest checked against the entry; an empty list means it may be submitted."""
    contest = entry.contest
    problems: list[Problem] = []
    add = lambda f, m: problems.append(Problem(f, m))  # noqa: E731
    if window and not is_open(contest, now):
        add("deadline", _deadline_message(contest, now))
    if len(entry.title or "") < 3:
        add("title", "Chưa có tên ý tưởng/dự án.")
    if entry.track is None:
        add("track_id", "Chưa chọn bảng thi.")
    if not entry.field:
        add("field", "Chưa chọn lĩnh vực.")
    if not (entry.summary or "").strip():
        add("summary", "Chưa có tóm tắt ý tưởng.")
    for key, mode in (contest.form_fields or {}).items():
        if mode == "required" and not (entry.answers or {}).get(key, "").strip():
            add(f"answer_{key}", f"Chưa điền mục “{FORM_FIELDS.get(key, key)}”.")
    if contest.video_link == "required" and not entry.video_url:
        add("video_url", "Chưa có đường dẫn video giới thiệu.")
    for slot in contest.slots:
        if slot.required and entry.file_for(slot.key) is None:
            add(f"file_{slot.key}", f"Chưa tải lên “{slot.label}”.")
    if not entry.declared_original:
        add("declared_original", "Chưa xác nhận ý tưởng chưa đạt giải ở cuộc thi khác.")

    members = list(entry.members)
    size = len(members)
    if size < contest.team_min:
        add("members", f"Nhóm có {size} người, thể lệ yêu cầu ít nhất {contest.team_min} người.")
    if size > contest.team_max:
        add("members", f"Nhóm có {size} người, thể lệ cho phép tối đa {contest.team_max} người.")
    closing = closing_date(contest)
    for member in members:
        if member.birth_date is None:
            add("members", f"Chưa có ngày sinh của {member.full_name}.")
            continue
        age = age_on(member.birth_date, closing)
        if contest.min_age is not None and age < contest.min_age:
            add(
                "members",
                f"{member.full_name} mới {age} tuổi vào ngày hết hạn {closing:%d/%m/%Y}; "
                f"thể lệ yêu cầu từ {contest.min_age} tuổi.",
            )
        if contest.max_age is not None and age > contest.max_age:
            add(
                "members",
                f"{member.full_name} đã {age} tuổi vào ngày hết hạn {closing:%d/%m/%Y}; "
                f"thể lệ giới hạn đến {contest.max_age} tuổi.",
            )
        if age < 18 and not (member.guardian_name and member.guardian_contact and member.guardian_consent):
            add(
                "members",
                f"{member.full_name} chưa đủ 18 tuổi: cần họ tên, liên hệ và sự đồng ý của cha mẹ/người giám hộ.",
            )
    if entry.track is not None and entry.track.max_startup_years is not None:
        years = entry.track.max_startup_years
        if entry.startup_registered_on is None:
            add("startup_registered_on", f"{entry.track.name}: cần ngày đăng ký kinh doanh của doanh nghiệp.")
        elif _add_years(entry.startup_registered_on, years) < closing:
            add(
                "startup_registered_on",
                f"{entry.track.name} chỉ dành cho doanh nghiệp thành lập không quá {years} năm "
                f"tính đến {closing:%d/%m/%Y} (đăng ký ngày {entry.startup_registered_on:%d/%m/%Y}).",
            )
    if contest.staff_may_not_enter:
        for member, _user in _staff_matches(contest, members):
            add(
                "members",
                f"{member.full_name} là thành viên Ban tổ chức hoặc Giám khảo của cuộc thi nên không được dự thi.",
            )
    others = _other_active_entries(entry)
    leader = entry.leader_member
    if contest.one_team_per_leader and leader is not None:
        keys = _person_keys(leader)
        led = [o for o in others if o.leader_member and _person_keys(o.leader_member) & keys]
        if led:
            add(
                "members",
                f"{leader.full_name} đã là trưởng nhóm của bài {led[0].code or led[0].title}; "
                "mỗi người chỉ được làm trưởng nhóm một bài.",
            )
    if contest.max_entries_per_person is not None:
        for member in members:
            keys = _person_keys(member)
            count = sum(1 for o in others if any(_person_keys(m) & keys for m in o.members))
            if count + 1 > contest.max_entries_per_person:
                add(
                    "members",
                    f"{member.full_name} đã tham gia {count} bài dự thi khác; thể lệ cho phép mỗi người "
                    f"tối đa {contest.max_entries_per_person} bài.",
                )
    return problems


def _next_code_number(contest: Contest) -> int:
    """Atomically take the next number: the UPDATE locks the contest row until commit, so concurrent
    submissions to one contest queue here (and the rule re-check after it sees committed rivals)."""
    return db.session.execute(
        update(Contest)
        .where(Contest.id == contest.id)
        .values(last_code_number=Contest.last_code_number + 1)
        .returning(Contest.last_code_number)
    ).scalar_one()


def submit_entry(actor, entry: Entry, now: datetime | None = None) -> Entry:
    """Draft → submitted with a code like KN24-0007 and a confirmation email; NotEligible lists why not."""
    if not _may_edit(actor, entry):
        raise NotFound("Không tìm thấy bài dự thi.")
    if entry.status != EntryStatus.DRAFT:
        raise Conflict(f"Bài dự thi đã ở trạng thái “{entry.status_label}”.")
    on_paper = entry.is_paper and can_manage_contest(actor, entry.contest)
    problems = check_eligibility(entry, now, window=not on_paper)
    if problems:
        raise NotEligible(problems)
    try:
        number = _next_code_number(entry.contest)
        db.session.expire(entry, ["status"])
        db.session.refresh(entry)
        if entry.status != EntryStatus.DRAFT:  # a double click: the first submit won
            db.session.rollback()
            raise Conflict("Bài dự thi đã được nộp.")
        problems = check_eligibility(entry, now, window=not on_paper)
        if problems:
            db.session.rollback()
            raise NotEligible(problems)
        entry.code_number = number
        entry.code = f"{entry.contest.code_prefix}-{number:04d}"
        entry.status = EntryStatus.SUBMITTED.value
        entry.submitted_at = utcnow()
        entry.updated_at = entry.submitted_at
        refresh_search_text(entry)
        note = "Ban tổ chức nộp thay (hồ sơ giấy)" if on_paper else "Nộp bài"
        add_history(entry, actor, "submitted", before=EntryStatus.DRAFT.value, after=entry.status, note=note)
        record(actor, "entry.submit", "entry", entry.id, code=entry.code)
        db.session.commit()
    except (IntegrityError, OperationalError) as exc:
        db.session.rollback()
        raise Conflict("Hệ thống đang bận xử lý một bài nộp khác. Vui lòng bấm nộp lại.") from exc
    _mail_leader(
        entry,
        f"Đã nhận bài dự thi {entry.code} – {entry.contest.name}",
        "contests/mail/entry_submitted.txt",
    )
    return entry


def _leader_email(entry: Entry) -> str:
    if entry.leader is not None:
        return entry.leader.email
    leader = entry.leader_member
    return leader.email if leader else ""


def _mail_leader(entry: Entry, subject: str, template: str, **context) -> None:
    email = _leader_email(entry)
    if email:
        send_email(email, subject, template, entry=entry, **context)


def change_status(
    actor,
    entry: Entry,
    to: EntryStatus | str,
    *,
    reason: str = "",
    action: str = "status",
    commit: bool = True,
) -> Entry:
    """The one way to move an entry between states (TRANSITIONS); recorded in history and the audit log."""
    target = EntryStatus(to)
    current = EntryStatus(entry.status)
    if target not in TRANSITIONS[current]:
        raise Conflict(
            f"Không thể chuyển bài dự thi từ “{STATUS_LABELS[current]}” sang “{STATUS_LABELS[target]}”."
        )
    entry.status = target.value
    entry.updated_at = utcnow()
    add_history(entry, actor, action, before=current.value, after=target.value, note=_clean(reason, 2000))
    record(
        actor, f"entry.{action}", "entry", entry.id, before=current.value, after=target.value, reason=reason
    )
    if commit:
        db.session.commit()
    return entry


def withdraw_entry(actor, entry: Entry, reason: str = "") -> Entry:
    if not _may_edit(actor, entry):
        raise NotFound("Không tìm thấy bài dự thi.")
    if entry.status == EntryStatus.WITHDRAWN:
        raise Conflict("Bài dự thi đã được rút trước đó.")
    if entry.status in (EntryStatus.AWARDED, EntryStatus.NOT_AWARDED):
        raise Conflict("Cuộc thi đã có kết quả, không thể rút bài.")
    return change_status(
        actor, entry, EntryStatus.WITHDRAWN, reason=reason or "Trưởng nhóm rút bài", action="withdraw"
    )


def screen_entry(actor, entry: Entry, decision: str, reason: str = "") -> Entry:
    """Organiser's decision: eligible, or ineligible with a reason; the leader is emailed."""
    if not can_manage_contest(actor, entry.contest):
        raise PermissionDenied("Bạn không thuộc Ban tổ chức của cuộc thi này.")
    if decision not in {s.value for s in SCREENING_STATES}:
        raise Invalid("Vui lòng chọn kết quả thẩm định.", field="decision")
    reason = _clean(reason, 2000)
    if decision == EntryStatus.INELIGIBLE and len(reason) < 5:
        raise Invalid("Vui lòng ghi rõ lý do không hợp lệ (thí sinh sẽ nhận được lý do này).", field="reason")
    if entry.status == decision:
        raise Conflict(f"Bài dự thi đã ở trạng thái “{entry.status_label}”.")
    change_status(actor, entry, decision, reason=reason, action="screen", commit=False)
    entry.screening_reason = reason
    db.session.commit()
    _mail_leader(
        entry,
        f"Kết quả thẩm định bài dự thi {entry.code} – {entry.contest.name}",
        "contests/mail/entry_screened.txt",
    )
    return entry


def list_finalists(contest: Contest) -> list[Entry]:
    """Entries in the finalist state with their members (leader first), ordered by code."""
    return list(
        db.session.scalars(
            select(Entry)
            .where(Entry.contest_id == contest.id, Entry.status == EntryStatus.FINALIST.value)
            .order_by(Entry.code_number, Entry.id)
        )
    )


# --- organiser lists ------------------------------------------------------------------------------------


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


def search_entries(user, filters: EntryFilters) -> tuple[list[Entry], int]:
    """Entries of the contests this user manages; drafts only when asked for by status."""
    ids = managed_contest_ids(user)
    stmt = select(Entry)
    if ids is not None:
        stmt = stmt.where(Entry.contest_id.in_(ids or [-1]))
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
    needle = fold(filters.query)
    if needle:
        for word in needle.split():
            stmt = stmt.where(Entry.search_text.like(like_pattern(word), escape="\\"))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = max(filters.page, 1)
    entries = db.session.scalars(
        stmt.order_by(Entry.submitted_at.desc().nulls_last(), Entry.id.desc())
        .limit(ENTRIES_PAGE_SIZE)
        .offset((page - 1) * ENTRIES_PAGE_SIZE)
    ).all()
    return list(entries), total


def status_counts(contest: Contest) -> dict[str, int]:
    rows = db.session.execute(
        select(Entry.status, func.count(Entry.id))
        .where(Entry.contest_id == contest.id)
        .group_by(Entry.status)
    )
    return {status: count for status, count in rows}
