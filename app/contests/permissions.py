"""Who may do what in a contest: its staff (organisers and judges), the contests a user manages, and
the object-level getters that refuse an entry, a member or a contest to anyone without access.

The permission API other packages rely on (keep stable): managed_contest_ids, is_global_organiser,
can_manage_contest, require_contest_manager, manageable_contests, only_managed, get_contest,
get_contest_for_organiser, contest_judges, contest_staff_users. Staff changes commit.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import QueryableAttribute

from app.accounts.models import Role, User, UserRole
from app.accounts.services import field_value
from app.accounts.validation import normalize_email
from app.audit.services import record
from app.contests.models import STAFF_ROLE_LABELS, Contest, ContestStaff, Entry, StaffRole, TeamMember
from app.database import flush
from app.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.extensions import db
from app.text import tidy, whole_number

SelectT = TypeVar("SelectT", bound=Select[Any])
NOT_ORGANISER = "Bạn không thuộc Ban tổ chức của cuộc thi này."

# --- staff and permissions -------------------------------------------------------------------------


def _organiser_rows(user: User) -> list[ContestStaff]:
    return list(
        db.session.scalars(
            select(ContestStaff).where(
                ContestStaff.user_id == user.id, ContestStaff.role == StaffRole.ORGANISER.value
            )
        )
    )


def managed_contest_ids(user: User | None) -> set[int] | None:
    """None = every contest (admin, or Sở staff with the global role and no contest rows)."""
    if user is None or not getattr(user, "is_authenticated", True):
        return set()
    if Role.ADMIN in user.roles:
        return None
    if Role.ORGANISER not in user.roles:
        return set()
    rows = _organiser_rows(user)
    return {row.contest_id for row in rows} if rows else None


def is_global_organiser(user: User | None) -> bool:
    """Sở staff and admins: manage every contest and the platform-wide queues (data requests)."""
    if user is None or not getattr(user, "is_authenticated", True):
        return False
    return managed_contest_ids(user) is None


def can_manage_contest(user: User | None, contest: Contest) -> bool:
    """Whether this user organises this contest (Sở staff and admins organise every contest)."""
    ids = managed_contest_ids(user)
    return ids is None or contest.id in ids


def require_contest_manager(user: User | None, contest: Contest) -> None:
    """PermissionDenied (403) unless this user organises this contest: the one organiser check."""
    if not can_manage_contest(user, contest):
        raise PermissionDenied(NOT_ORGANISER)


def require_contest_creator(user: User) -> None:
    """Only Sở staff and admins create contests; a co-organiser is refused before the form opens."""
    if not is_global_organiser(user):
        raise PermissionDenied("Chỉ cán bộ Sở hoặc quản trị hệ thống được tạo cuộc thi.")


def only_managed(stmt: SelectT, user: User | None, contest_id: QueryableAttribute[Any]) -> SelectT:
    """Keep the rows (contests, their entries, their events) of the contests this user manages:
    every row for Sở staff and admins, none for someone who manages no contest."""
    ids = managed_contest_ids(user)
    return stmt if ids is None else stmt.where(contest_id.in_(ids))


def manageable_contests(user: User | None) -> list[Contest]:
    """The contests this user organises, latest deadline first."""
    stmt = select(Contest).order_by(Contest.closes_at.desc(), Contest.id.desc())
    return list(db.session.scalars(only_managed(stmt, user, Contest.id)))


def get_contest(contest_id_or_slug: int | str) -> Contest:
    """A contest by id or by slug; NotFound if neither names one."""
    contest = None
    if isinstance(contest_id_or_slug, int) or whole_number(str(contest_id_or_slug)) is not None:
        contest = db.session.get(Contest, int(contest_id_or_slug))
    if contest is None:
        contest = db.session.scalar(select(Contest).where(Contest.slug == str(contest_id_or_slug)))
    if contest is None:
        raise NotFound("Không tìm thấy cuộc thi.")
    return contest


def get_public_contest(slug: str) -> Contest:
    """A published contest; an unpublished one is as missing to the public."""
    contest = get_contest(slug)
    if not contest.is_published:
        raise NotFound("Không tìm thấy cuộc thi.")
    return contest


def get_contest_for_organiser(user: User, contest_id_or_slug: int | str) -> Contest:
    """404 if missing; 403 for a co-organiser of another contest (or a non-organiser)."""
    contest = get_contest(contest_id_or_slug)
    require_contest_manager(user, contest)
    return contest


def contest_staff(contest: Contest) -> list[ContestStaff]:
    """The staff rows of this contest, organisers first."""
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


def add_staff(actor: User, contest: Contest, email: str, role: str, organisation: str = "") -> ContestStaff:
    """Name an existing account organiser or judge of a contest; grants the matching global role."""
    require_contest_manager(actor, contest)
    if role not in {r.value for r in StaffRole}:
        raise Invalid("Vai trò không hợp lệ.", field="role")
    email_n = field_value(normalize_email, email, "email")
    user = db.session.scalar(select(User).where(User.email == email_n))
    if user is None:
        raise Invalid(
            "Chưa có tài khoản với email này. Hãy nhờ quản trị hệ thống tạo tài khoản trước.", field="email"
        )
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
        contest_id=contest.id, user_id=user.id, role=role, organisation=tidy(organisation, 120)
    )
    db.session.add(row)
    flush(
        Conflict(
            f"{user.full_name} đã là {STAFF_ROLE_LABELS[StaffRole(role)].lower()} của cuộc thi này.",
            field="email",
        )
    )
    record(actor, "contest.add_staff", "contest", contest.id, user_id=user.id, role=role)
    db.session.commit()
    return row


def remove_staff(actor: User, contest: Contest, staff_id: int) -> None:
    """Take someone off a contest's staff; an organiser's last contest takes the global role too."""
    require_contest_manager(actor, contest)
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


# --- entries: access ------------------------------------------------------------------------------


def get_entry(entry_id: int) -> Entry:
    """An entry by id, with no access check (for callers that check access themselves)."""
    entry = db.session.get(Entry, entry_id)
    if entry is None:
        raise NotFound("Không tìm thấy bài dự thi.")
    return entry


def may_edit_entry(user: User | None, entry: Entry) -> bool:
    """The leader of the entry, or an organiser of its contest for a paper dossier."""
    if user is None or not getattr(user, "is_authenticated", True):
        return False
    if entry.leader_id is not None and entry.leader_id == user.id:
        return True
    return entry.is_paper and can_manage_contest(user, entry.contest)


def may_view_entry(user: User | None, entry: Entry) -> bool:
    """Leader and the contest's organisers. Judges see entries through the judging package."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return entry.leader_id == user.id or can_manage_contest(user, entry.contest)


def get_entry_for_leader(user: User, entry_id: int) -> Entry:
    """The leader's own entry, or an organiser's paper entry; 404 for anyone else (no enumeration)."""
    entry = db.session.get(Entry, entry_id)
    if entry is None or not may_edit_entry(user, entry):
        raise NotFound("Không tìm thấy bài dự thi.")
    return entry


def get_entry_for_organiser(user: User, entry_id: int) -> Entry:
    """An entry of a contest this user organises: 404 if missing, 403 for another contest's."""
    entry = db.session.get(Entry, entry_id)
    if entry is None:
        raise NotFound("Không tìm thấy bài dự thi.")
    require_contest_manager(user, entry.contest)
    return entry


def get_team_member(entry: Entry, member_id: int) -> TeamMember:
    """A member of this entry (fetched through one of the getters above); a member id of another
    entry is NotFound, so an entry's access check also covers its members."""
    member = next((m for m in entry.members if m.id == member_id), None)
    if member is None:
        raise NotFound("Không tìm thấy thành viên này trong nhóm.")
    return member


def my_entries(user: User) -> list[Entry]:
    """The entries this user leads, newest first."""
    return list(
        db.session.scalars(
            select(Entry).where(Entry.leader_id == user.id).order_by(Entry.created_at.desc(), Entry.id.desc())
        )
    )
