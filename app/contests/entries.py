"""An entry's life: the applicant flow (start a draft, team members, save, upload, submit) and the
state changes after it (withdraw, screen, and `change_status`, the one way between states).

Every state-changing service here commits. The rules it applies live in contests/eligibility.py,
who may act in contests/permissions.py, the files on disk in contests/files.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.datastructures import FileStorage

from app import database
from app.accounts.models import User
from app.accounts.services import field_value
from app.accounts.validation import normalize_email, normalize_name, normalize_phone
from app.audit.services import record
from app.contests import units
from app.contests.eligibility import (
    NotEligible,
    check_eligibility,
    deadline_message,
    is_open,
    require_editable,
)
from app.contests.files import delete_stored_file, file_path, store_upload
from app.contests.models import (
    FORM_FIELDS,
    SCREENING_STATES,
    SEX_LABELS,
    STATUS_LABELS,
    TRANSITIONS,
    Contest,
    Entry,
    EntryEvent,
    EntryStatus,
    TeamMember,
    Track,
)
from app.contests.permissions import (
    can_manage_contest,
    contest_staff_users,
    get_team_member,
    may_edit_entry,
    require_contest_manager,
)
from app.contests.schedule import next_steps
from app.errors import Conflict, FieldErrors, Invalid, NotFound, PermissionDenied
from app.extensions import db
from app.localtime import to_local, utcnow
from app.mail.services import send_email
from app.privacy import services as privacy
from app.text import fold, phone_search_forms, tidy

URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
# Two submissions racing for the contest's next code number (a locked row, a busy SQLite file).
BUSY = "Hệ thống đang bận xử lý một bài nộp khác. Vui lòng bấm nộp lại."

# --- history and search ------------------------------------------------------------------------------


def add_history(
    entry: Entry, actor: User | None, action: str, *, before: str = "", after: str = "", note: str = ""
) -> None:
    """One line of the entry's history (who, what, from which state to which)."""
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
    """Rebuild the folded text the organisers' search matches (code, title, people, contacts)."""
    parts = [entry.code or "", entry.title, entry.organisation, entry.commune_name, entry.field]
    for member in entry.members:
        # Phones both as stored (+84…) and as people type them (0…).
        typed = phone_search_forms(member.phone)
        parts += [member.full_name, member.organisation, member.phone, typed, member.email]
    entry.search_text = fold(" | ".join(p for p in parts if p))


def _touch(entry: Entry, actor: User, action: str, note: str = "") -> None:
    entry.updated_at = utcnow()
    refresh_search_text(entry)
    if entry.status != EntryStatus.DRAFT:
        add_history(entry, actor, action, note=note)


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


def _unit(code: str, name_of: Callable[[str], str | None], unknown: str, field: str) -> tuple[str, str]:
    """(code, name) of an administrative unit picked from the catalogue; ("", "") when none is."""
    if not code:
        return "", ""
    name = name_of(code)
    if name is None:
        raise Invalid(unknown, field=field)
    return code, name


def _member_values(data: MemberData, errors: FieldErrors, *, keep_ethnicity: bool) -> dict[str, Any]:
    """A member's checked values; every refusal goes to `errors` (issue 15: all fields at once),
    so the values are only used once `errors` is empty."""
    phone = (data.phone or "").strip()
    email = (data.email or "").strip()
    values: dict[str, Any] = {
        "full_name": errors.check(field_value, normalize_name, data.full_name, "full_name"),
        "phone": errors.check(field_value, normalize_phone, data.phone, "phone") if phone else "",
        "email": errors.check(field_value, normalize_email, data.email, "email") if email else "",
    }
    if not phone and not email:
        errors.add("phone", "Cần ít nhất số điện thoại hoặc email để liên hệ.")
    today = to_local(utcnow()).date()
    if data.birth_date is not None and not (date(1900, 1, 1) <= data.birth_date <= today):
        errors.add("birth_date", "Ngày sinh không hợp lệ.")
    values["birth_date"] = data.birth_date
    if data.sex and data.sex not in SEX_LABELS:
        errors.add("sex", "Giới tính không hợp lệ.")
    values["sex"] = data.sex or ""
    values["organisation"] = tidy(data.organisation, 160)
    values["commune_code"], values["commune_name"] = errors.check(
        _unit, data.commune_code, units.commune_name, "Xã/phường không có trong danh mục.", "commune_code"
    ) or ("", "")
    values["district_code"], values["district_name"] = errors.check(
        _unit,
        data.district_code,
        units.district_name,
        "Huyện/thị xã/thành phố không có trong danh mục.",
        "district_code",
    ) or ("", "")
    # Ethnicity is sensitive (SPEC §7): kept only with the statistics consent; "không cung cấp" is fine.
    values["ethnicity"] = tidy(data.ethnicity, 40) if keep_ethnicity else ""
    values["guardian_name"] = tidy(data.guardian_name, 120)
    values["guardian_contact"] = tidy(data.guardian_contact, 254)
    values["guardian_consent"] = bool(data.guardian_consent)
    return values


def _apply_member(member: TeamMember, data: MemberData, *, keep_ethnicity: bool) -> None:
    """Check every field of the member (one Invalid naming each bad one), then change the member."""
    errors = FieldErrors()
    values = _member_values(data, errors, keep_ethnicity=keep_ethnicity)
    errors.raise_if_any()
    for key, value in values.items():
        setattr(member, key, value)


def _leader_consents_to_stats(entry: Entry) -> bool:
    leader = entry.leader_member
    if entry.leader_id:
        return privacy.has_consent("user", entry.leader_id, "sensitive_stats")
    return bool(leader and leader.id and privacy.has_consent("team_member", leader.id, "sensitive_stats"))


def add_member(actor: User, entry: Entry, data: MemberData) -> TeamMember:
    """Add a member to the team, within the contest's team size."""
    require_editable(actor, entry)
    if len(entry.members) >= entry.contest.team_max:
        raise Invalid(f"Nhóm đã đủ tối đa {entry.contest.team_max} người theo thể lệ.")
    member = TeamMember(position=len(entry.members))
    _apply_member(member, data, keep_ethnicity=_leader_consents_to_stats(entry))
    entry.members.append(member)
    _touch(entry, actor, "member_add", f"Thêm thành viên {member.full_name}")
    db.session.commit()
    return member


def update_member(actor: User, entry: Entry, member_id: int, data: MemberData) -> TeamMember:
    """Change a member's details (a leader with an account keeps the account's contacts)."""
    require_editable(actor, entry)
    member = get_team_member(entry, member_id)
    if member.is_leader and entry.leader_id:
        # The leader's contact details come from the account: change them on the profile page.
        data.phone = member.phone or data.phone
        data.email = member.email or data.email
    _apply_member(member, data, keep_ethnicity=_leader_consents_to_stats(entry))
    _touch(entry, actor, "member_edit", f"Sửa thông tin thành viên {member.full_name}")
    db.session.commit()
    return member


def remove_member(actor: User, entry: Entry, member_id: int) -> None:
    """Take a member (never the leader) off the team."""
    require_editable(actor, entry)
    member = get_team_member(entry, member_id)
    if member.is_leader:
        raise Conflict("Không thể xoá trưởng nhóm khỏi nhóm.")
    entry.members.remove(member)
    _touch(entry, actor, "member_remove", f"Xoá thành viên {member.full_name}")
    db.session.commit()


# --- entries: applicant flow ----------------------------------------------------------------------


def start_entry(
    user: User,
    contest: Contest,
    *,
    title: str,
    track_id: int | str | None,
    leader: MemberData,
    consents: dict[str, bool],
    now: datetime | None = None,
) -> Entry:
    """A new draft led by `user`, with the leader as first member and their consents recorded."""
    if not contest.is_published:
        raise NotFound("Không tìm thấy cuộc thi.")
    if not is_open(contest, now):
        raise Conflict(deadline_message(contest, now))
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
    leader.full_name = leader.full_name or user.full_name
    leader.email, leader.phone = user.email, user.phone or ""
    clean_title, track, values = _check_new_entry(contest, title, track_id, leader, consents)
    entry = Entry(contest=contest, leader_id=user.id, status=EntryStatus.DRAFT.value, answers={})
    entry.title, entry.track = clean_title, track
    member = TeamMember(is_leader=True, user_id=user.id, position=0)
    _store_new_entry(entry, member, values)
    privacy.record_choices("user", user.id, "entry", consents)
    refresh_search_text(entry)
    add_history(entry, user, "created", after=EntryStatus.DRAFT.value, note="Tạo bản nháp")
    record(user, "entry.create", "entry", entry.id, contest=contest.slug)
    db.session.commit()
    return entry


def key_in_paper_entry(
    actor: User,
    contest: Contest,
    *,
    title: str,
    track_id: int | str | None,
    leader: MemberData,
    consents: dict[str, bool],
    note: str = "",
) -> Entry:
    """An organiser keys in a dossier received on paper; the leader need not have an account."""
    require_contest_manager(actor, contest)
    clean_title, track, values = _check_new_entry(contest, title, track_id, leader, consents)
    entry = Entry(
        contest=contest, status=EntryStatus.DRAFT.value, is_paper=True, keyed_by_id=actor.id, answers={}
    )
    entry.title, entry.track = clean_title, track
    member = TeamMember(is_leader=True, position=0)
    _store_new_entry(entry, member, values)
    privacy.record_choices("team_member", member.id, "entry", consents, source="paper", keyed_by=actor)
    refresh_search_text(entry)
    add_history(
        entry,
        actor,
        "paper_created",
        after=EntryStatus.DRAFT.value,
        note=("Nhập hồ sơ giấy thay cho thí sinh. " + tidy(note, 300)).strip(),
    )
    record(actor, "entry.paper_create", "entry", entry.id, contest=contest.slug)
    db.session.commit()
    return entry


def place_entry(entry: Entry, leader: TeamMember) -> None:
    """An entry comes from where its leader is: their organisation and commune, copied onto the entry
    (the organisers' filters, the reports and the conflict check read them there)."""
    entry.organisation, entry.commune_code, entry.commune_name = (
        leader.organisation,
        leader.commune_code,
        leader.commune_name,
    )


def _check_new_entry(
    contest: Contest,
    title: str,
    track_id: int | str | None,
    leader: MemberData,
    consents: dict[str, bool],
) -> tuple[str, Track | None, dict[str, Any]]:
    """A new entry's form checked whole: the consents, the title, the track and the leader's fields,
    every refusal in one Invalid. The title, the track (None when none was picked) and the leader's
    values (for `_store_new_entry`)."""
    errors = FieldErrors()
    errors.check(privacy.check_choices, "entry", consents)
    clean_title = errors.check(_clean_title, title)
    track = errors.check(_track_of, contest, track_id) if track_id else None
    values = _member_values(leader, errors, keep_ethnicity=bool(consents.get("sensitive_stats")))
    errors.raise_if_any()
    return clean_title or "", track, values


def _store_new_entry(entry: Entry, member: TeamMember, values: dict[str, Any]) -> None:
    """A new entry with its leader as the first member, flushed (the consent records need the ids)."""
    for key, value in values.items():
        setattr(member, key, value)
    entry.members.append(member)
    place_entry(entry, member)
    db.session.add(entry)
    db.session.flush()


def _clean_title(title: str) -> str:
    value = tidy(title, one_line=True)
    if len(value) < 3:
        raise Invalid("Vui lòng nhập tên ý tưởng/dự án (ít nhất 3 ký tự).", field="title")
    if len(value) > 200:
        raise Invalid("Tên ý tưởng/dự án không được dài quá 200 ký tự.", field="title")
    return value


def _set_title(entry: Entry, title: str) -> None:
    entry.title = _clean_title(title)


def _track_of(contest: Contest, track_id: int | str) -> Track:
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


def save_entry(
    actor: User,
    entry: Entry,
    data: EntryData,
    uploads: dict[str, FileStorage] | None = None,
    now: datetime | None = None,
) -> SaveResult:
    """Save whatever is valid, report the rest per field: a draft is never lost to one bad field."""
    require_editable(actor, entry, now)
    errors: dict[str, str] = {}

    def attempt(name: str, fn: Callable[[], object]) -> None:
        try:
            fn()
        except Invalid as exc:
            errors[exc.field or name] = exc.message

    attempt("title", lambda: _set_title(entry, data.title))
    track_id = data.track_id
    if track_id:
        attempt("track_id", lambda: setattr(entry, "track", _track_of(entry.contest, track_id)))
    if data.field:
        if data.field in entry.contest.fields:
            entry.field = data.field
        else:
            errors["field"] = "Vui lòng chọn lĩnh vực trong danh sách."
    entry.summary = tidy(data.summary, 5000)
    entry.answers = {
        key: tidy(data.answers.get(key, ""), 5000) for key in entry.contest.form_fields if key in FORM_FIELDS
    }
    video = tidy(data.video_url, 300)
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
        entry.organisation = tidy(data.organisation, 160)
    saved = []
    for slot in entry.contest.slots:
        upload = (uploads or {}).get(slot.key)
        if upload is None or not getattr(upload, "filename", ""):
            continue
        try:
            store_upload(actor, entry, slot, upload)
            saved.append(slot.key)
        except Invalid as exc:
            errors[f"file_{slot.key}"] = exc.message
    _touch(entry, actor, "edited", "Sửa bài sau khi nộp" if entry.status != EntryStatus.DRAFT else "")
    record(actor, "entry.save", "entry", entry.id, files=saved, errors=sorted(errors))
    db.session.commit()
    return SaveResult(errors=errors, saved_files=saved)


def remove_file(actor: User, entry: Entry, slot_key: str) -> None:
    """Take the file out of a slot; it leaves the disk after the commit."""
    require_editable(actor, entry)
    row = entry.file_for(slot_key)
    if row is None:
        raise NotFound("Không có tệp nào ở mục này.")
    entry.files.remove(row)
    _touch(entry, actor, "file_remove", f"Xoá tệp {row.original_name}")
    db.session.commit()
    delete_stored_file(file_path(row))


# --- submit and the states after it ------------------------------------------------------------------


def _next_code_number(contest: Contest) -> int:
    """Atomically take the next number: the UPDATE locks the contest row until commit, so concurrent
    submissions to one contest queue here (and the rule re-check after it sees committed rivals).
    A lock that cannot be had (a busy SQLite file, a deadlock) is a Conflict: submit again."""
    contest.last_code_number = Contest.last_code_number + 1
    database.flush(Conflict(BUSY), catch=(IntegrityError, OperationalError))
    return contest.last_code_number


def submit_entry(actor: User, entry: Entry, now: datetime | None = None) -> Entry:
    """Draft → submitted with a code like KN24-0007 and a confirmation email; NotEligible lists why not."""
    if not may_edit_entry(actor, entry):
        raise NotFound("Không tìm thấy bài dự thi.")
    if entry.status != EntryStatus.DRAFT:
        raise Conflict(f"Bài dự thi đã ở trạng thái “{entry.status_label}”.")
    on_paper = entry.is_paper and can_manage_contest(actor, entry.contest)
    problems = check_eligibility(entry, now, window=not on_paper)
    if problems:
        raise NotEligible(problems)
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
    database.commit(Conflict(BUSY), catch=(IntegrityError, OperationalError))
    _mail_leader(
        entry,
        f"Đã nhận bài dự thi {entry.code} – {entry.contest.name}",
        "contests/mail/entry_submitted.txt",
        steps=next_steps(entry, leader_email(entry)),
    )
    return entry


def leader_email(entry: Entry) -> str:
    """Where mail about the entry goes: the leader's account, or the paper leader's own email."""
    if entry.leader is not None:
        return entry.leader.email
    leader = entry.leader_member
    return leader.email if leader else ""


def _mail_leader(entry: Entry, subject: str, template: str, **context: Any) -> None:
    email = leader_email(entry)
    if email:
        send_email(email, subject, template, entry=entry, **context)


def change_status(
    actor: User | None,
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
    add_history(entry, actor, action, before=current.value, after=target.value, note=tidy(reason, 2000))
    record(
        actor, f"entry.{action}", "entry", entry.id, before=current.value, after=target.value, reason=reason
    )
    if commit:
        db.session.commit()
    return entry


def withdraw_entry(actor: User, entry: Entry, reason: str = "") -> Entry:
    """The leader withdraws the entry (not once the results are out)."""
    if not may_edit_entry(actor, entry):
        raise NotFound("Không tìm thấy bài dự thi.")
    if entry.status == EntryStatus.WITHDRAWN:
        raise Conflict("Bài dự thi đã được rút trước đó.")
    if entry.status in (EntryStatus.AWARDED, EntryStatus.NOT_AWARDED):
        raise Conflict("Cuộc thi đã có kết quả, không thể rút bài.")
    return change_status(
        actor, entry, EntryStatus.WITHDRAWN, reason=reason or "Trưởng nhóm rút bài", action="withdraw"
    )


def screen_entry(actor: User, entry: Entry, decision: str, reason: str = "") -> Entry:
    """Organiser's decision: eligible, or ineligible with a reason; the leader is emailed."""
    require_contest_manager(actor, entry.contest)
    if decision not in {s.value for s in SCREENING_STATES}:
        raise Invalid("Vui lòng chọn kết quả thẩm định.", field="decision")
    reason = tidy(reason, 2000)
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
