"""The rules an entry must meet: the submission window (the deadline), whether an entry may still be
changed, and the contest's rules checked before it is submitted (`check_eligibility`).

Nothing here writes: the applicant flow (contests/entries.py) asks these questions and acts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select

from app.accounts.models import User
from app.contests.models import ACTIVE_STATES, FORM_FIELDS, Contest, Entry, EntryStatus, TeamMember
from app.contests.permissions import can_manage_contest, contest_staff_users, may_edit_entry
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.localtime import to_local, utcnow

# --- the submission window -----------------------------------------------------------------------


def is_open(contest: Contest, now: datetime | None = None) -> bool:
    """Open from opens_at to the last second of closes_at inclusive (23:59:59 yes, 00:00:00 no)."""
    now = now or utcnow()
    return contest.opens_at <= now and now.replace(microsecond=0) <= contest.closes_at


def closing_date(contest: Contest) -> date:
    """The local (Quảng Ngãi) date of the deadline: ages and company ages are counted on it."""
    return to_local(contest.closes_at).date()


def deadline_message(contest: Contest, now: datetime | None = None) -> str:
    """Why the window is shut: not open yet, or past the deadline (the draft is kept)."""
    now = now or utcnow()
    closes = to_local(contest.closes_at).strftime("%H:%M:%S ngày %d/%m/%Y")
    if now < contest.opens_at:
        opens = to_local(contest.opens_at).strftime("%H:%M ngày %d/%m/%Y")
        return f"Cuộc thi chưa mở nhận hồ sơ (mở lúc {opens})."
    return f"Đã hết hạn nộp bài (hạn cuối {closes}). Bản nháp của bạn vẫn được giữ nguyên."


def is_editable(entry: Entry, now: datetime | None = None, actor: User | None = None) -> bool:
    """A draft or submitted entry while the window is open (a paper dossier: always, for its staff)."""
    if entry.status not in (EntryStatus.DRAFT, EntryStatus.SUBMITTED):
        return False
    if entry.is_paper and actor is not None and can_manage_contest(actor, entry.contest):
        return True  # paper dossiers arrived on time; staff key them in afterwards
    return is_open(entry.contest, now)


def require_editable(actor: User, entry: Entry, now: datetime | None = None) -> None:
    """NotFound for anyone who may not edit the entry; Conflict when its state or the deadline forbids."""
    if not may_edit_entry(actor, entry):
        raise NotFound("Không tìm thấy bài dự thi.")
    if entry.status not in (EntryStatus.DRAFT, EntryStatus.SUBMITTED):
        raise Conflict(f"Bài dự thi đang ở trạng thái “{entry.status_label}” nên không sửa được nữa.")
    if not is_editable(entry, now, actor):
        raise Conflict(deadline_message(entry.contest, now))


# --- eligibility ---------------------------------------------------------------------------------------

# Below this age on the closing date a person takes part only with a parent's or guardian's consent.
ADULT_AGE = 18


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
    """Age in whole years on `day`."""
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


def _and_list(parts: list[str]) -> str:
    """ "a", "a và b", "a, b và c"."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " và " + parts[-1]


def _age_range(contest: Contest) -> str:
    """The contest's age rule in words: "từ 18 đến 35 tuổi", "từ 16 tuổi trở lên", "không quá 35 tuổi"."""
    if contest.min_age is not None and contest.max_age is not None:
        return f"từ {contest.min_age} đến {contest.max_age} tuổi"
    if contest.min_age is not None:
        return f"từ {contest.min_age} tuổi trở lên"
    return f"không quá {contest.max_age} tuổi"


def person_problems(contest: Contest, member: TeamMember) -> list[str]:
    """The rules about one person (birth date, age range, a minor's guardian), each naming the person,
    the rule and why. Checked when the person is saved (a warning; the draft is kept) and again,
    with the rest, before submitting: one home for these rules."""
    who = f"{'Trưởng nhóm' if member.is_leader else 'Thành viên'} {member.full_name}"
    if member.birth_date is None:
        return [f"{who} chưa có ngày sinh: cần ngày sinh để kiểm tra điều kiện độ tuổi của cuộc thi."]
    closing = closing_date(contest)
    age = age_on(member.birth_date, closing)
    problems = []
    too_young = contest.min_age is not None and age < contest.min_age
    too_old = contest.max_age is not None and age > contest.max_age
    if too_young or too_old:
        problems.append(
            f"{who} {age} tuổi: cuộc thi dành cho người {_age_range(contest)} "
            f"(tính đến ngày hết hạn nộp {closing:%d/%m/%Y})."
        )
    if age < ADULT_AGE:
        missing = [
            label
            for label, given in (
                ("họ tên", member.guardian_name),
                ("số điện thoại hoặc email", member.guardian_contact),
                ("sự đồng ý", member.guardian_consent),
            )
            if not given
        ]
        if missing:
            problems.append(
                f"{who} chưa đủ {ADULT_AGE} tuổi ({age} tuổi): cần {_and_list(missing)} "
                "của cha mẹ/người giám hộ."
            )
    return problems


def team_warnings(entry: Entry) -> dict[int, list[str]]:
    """`person_problems` of every saved member of a draft or submitted entry, by member id (only those
    with a problem): the dossier page shows them next to each name, before anyone presses submit."""
    warnings = {m.id: person_problems(entry.contest, m) for m in entry.members if m.id is not None}
    return {member_id: found for member_id, found in warnings.items() if found}


def check_eligibility(entry: Entry, now: datetime | None = None, *, window: bool = True) -> list[Problem]:
    """Every rule of the contest checked against the entry; an empty list means it may be submitted."""
    contest = entry.contest
    problems: list[Problem] = []

    def add(field: str, message: str) -> None:
        problems.append(Problem(field, message))

    if window and not is_open(contest, now):
        add("deadline", deadline_message(contest, now))
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
    for member in members:
        for message in person_problems(contest, member):
            add("members", message)
    closing = closing_date(contest)
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
