"""Who and what a round holds: its entries (and the panel's tie-break values), its judges (added
directly or invited by a single-use link), judges' profiles, and conflicts of interest — flagged by
the platform from profiles, declared by judges, recorded or decided by organisers."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Collection
from datetime import timedelta

from sqlalchemy import ColumnElement, Select, delete, func, select
from sqlalchemy.orm import lazyload, selectinload

from app.accounts import services as accounts
from app.accounts.models import Role, User
from app.accounts.validation import normalize_email, normalize_name
from app.audit.services import record
from app.contests.models import Contest, ContestStaff, Entry, EntryStatus, StaffRole
from app.contests.permissions import add_staff, can_manage_contest
from app.contests.units import commune_name
from app.database import commit, flush
from app.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.extensions import db
from app.judging import scoring
from app.judging.models import (
    DECLARABLE_KINDS,
    Assignment,
    ConflictKind,
    ConflictStatus,
    JudgeInvitation,
    JudgeProfile,
    Round,
    RoundEntry,
    RoundJudge,
    SheetStatus,
)
from app.judging.models import Conflict as ConflictOfInterest
from app.judging.services.common import (
    entry_alone,
    get_round_for_organiser,
    redactor,
    results_changed,
    round_entries,
    round_entry_ids,
    round_judges,
    scoring_rule,
)
from app.localtime import utcnow
from app.mail.services import send_email
from app.text import fold, tidy
from app.tokens import hash_token, new_token

INVITATION_DAYS = 7
# Entry states that may be put into a round by hand (the first round takes screened entries).
ROUND_ENTRY_STATES = {EntryStatus.ELIGIBLE.value, EntryStatus.FINALIST.value}


# --- entries of a round --------------------------------------------------------------------------


CANDIDATES_SHOWN = 50  # entries offered one by one on the round page (all of them: one button)


def _candidates(round_: Round) -> Select[tuple[Entry]]:
    in_round = select(RoundEntry.entry_id).where(RoundEntry.round_id == round_.id)
    return (
        select(Entry)
        .where(
            Entry.contest_id == round_.contest_id,
            Entry.status.in_(ROUND_ENTRY_STATES),
            Entry.id.not_in(in_round),
        )
        .order_by(Entry.code_number, Entry.id)
        .options(*entry_alone())
    )


def candidate_entries(round_: Round) -> list[Entry]:
    """Entries of the contest that may be added to this round and are not in it yet."""
    return list(db.session.scalars(_candidates(round_)))


def candidate_page(round_: Round) -> tuple[list[Entry], int]:
    """The first CANDIDATES_SHOWN of those entries, to pick one by one, and how many there are
    (counted only when there are more than are shown)."""
    shown = list(db.session.scalars(_candidates(round_).limit(CANDIDATES_SHOWN)))
    if len(shown) < CANDIDATES_SHOWN:
        return shown, len(shown)
    counted = select(func.count()).select_from(_candidates(round_).order_by(None).subquery())
    return shown, db.session.scalar(counted) or 0


def add_entries(actor: User, round_: Round, entry_ids: list[int] | None = None) -> int:
    """Put entries into the round (None = every eligible entry not yet in it); flags conflicts."""
    get_round_for_organiser(actor, round_.id)
    candidates = {e.id: e for e in candidate_entries(round_)}
    wanted = list(candidates) if entry_ids is None else entry_ids
    added = 0
    for entry_id in wanted:
        if entry_id not in candidates:
            raise Invalid(
                "Chỉ thêm được hồ sơ hợp lệ của cuộc thi, chưa có trong vòng chấm.", field="entries"
            )
        db.session.add(RoundEntry(round_id=round_.id, entry_id=entry_id))
        added += 1
    flush()
    flag_conflicts(round_)
    record(actor, "judging.entries_add", "round", round_.id, entry_ids=wanted)
    results_changed(round_)
    commit()
    return added


def _take_off_round(
    round_: Round, row: RoundEntry | RoundJudge, sheets_of: ColumnElement[bool], once_scored: str
) -> None:
    """Remove an entry or a judge from the round with their untouched sheets; refused (`once_scored`)
    when one of those sheets has been saved, draft or submitted."""
    their_sheets = (Assignment.round_id == round_.id, sheets_of)
    scored = db.session.scalar(
        select(func.count(Assignment.id)).where(*their_sheets, Assignment.status != SheetStatus.TODO.value)
    )
    if scored:
        raise Conflict(once_scored)
    db.session.execute(delete(Assignment).where(*their_sheets))
    db.session.delete(row)


def remove_entry(actor: User, round_: Round, entry_id: int) -> None:
    get_round_for_organiser(actor, round_.id)
    row = db.session.scalar(
        select(RoundEntry).where(RoundEntry.round_id == round_.id, RoundEntry.entry_id == entry_id)
    )
    if row is None:
        raise NotFound("Hồ sơ không thuộc vòng chấm này.")
    _take_off_round(
        round_, row, Assignment.entry_id == entry_id, "Hồ sơ đã được chấm điểm, không thể bỏ khỏi vòng chấm."
    )
    record(actor, "judging.entry_remove", "round", round_.id, entry_id=entry_id)
    results_changed(round_)
    commit()


def set_panel_decision(actor: User, round_: Round, entry_id: int, value: str) -> None:
    """The panel's tie-break value for an entry (higher ranks first); blank clears it."""
    get_round_for_organiser(actor, round_.id)
    row = db.session.scalar(
        select(RoundEntry).where(RoundEntry.round_id == round_.id, RoundEntry.entry_id == entry_id)
    )
    if row is None:
        raise NotFound("Hồ sơ không thuộc vòng chấm này.")
    with scoring_rule("panel"):
        number = scoring.parse_panel_value(value)
    text = "" if number is None else str(number)
    row.panel_decision = text
    record(actor, "judging.panel_decision", "round", round_.id, entry_id=entry_id, value=text)
    results_changed(round_)
    commit()


# --- judges, invitations, profiles --------------------------------------------------------------


def invite_judge(
    actor: User, round_: Round, email: str, full_name: str, organisation: str = ""
) -> JudgeInvitation:
    """Mail a single-use link (valid INVITATION_DAYS days) inviting someone to judge this round."""
    get_round_for_organiser(actor, round_.id)
    email_n = accounts.field_value(normalize_email, email, "email")
    name = accounts.field_value(normalize_name, full_name, "full_name")
    existing = db.session.scalar(select(User).where(User.email == email_n))
    if existing is not None and db.session.scalar(
        select(RoundJudge.id).where(RoundJudge.round_id == round_.id, RoundJudge.user_id == existing.id)
    ):
        raise Conflict(f"{existing.full_name} đã là giám khảo của vòng này.", field="email")
    raw = new_token()
    invitation = JudgeInvitation(
        round_id=round_.id,
        email=email_n,
        full_name=name,
        organisation=tidy(organisation, 160, one_line=True),
        token_hash=hash_token(raw),
        invited_by_id=actor.id,
        expires_at=utcnow() + timedelta(days=INVITATION_DAYS),
    )
    db.session.add(invitation)
    flush()
    record(actor, "judging.invite", "round", round_.id, email=email_n, invitation_id=invitation.id)
    commit()
    send_email(
        email_n,
        f"Thư mời chấm {round_.name} – {round_.contest.name}",
        "mail/judge_invitation.txt",
        invitation=invitation,
        round=round_,
        token=raw,
        days=INVITATION_DAYS,
        has_account=existing is not None,
    )
    return invitation


def list_invitations(round_: Round) -> list[JudgeInvitation]:
    return list(
        db.session.scalars(
            select(JudgeInvitation)
            .where(JudgeInvitation.round_id == round_.id)
            .order_by(JudgeInvitation.id.desc())
        )
    )


def revoke_invitation(actor: User, round_: Round, invitation_id: int) -> None:
    """Cancel an invitation that has not been accepted: its link stops working."""
    get_round_for_organiser(actor, round_.id)
    invitation = db.session.get(JudgeInvitation, invitation_id)
    if invitation is None or invitation.round_id != round_.id:
        raise NotFound("Không tìm thấy thư mời.")
    if invitation.accepted_at is not None:
        raise Conflict("Thư mời đã được chấp nhận; hãy bỏ giám khảo khỏi vòng nếu cần.")
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        record(actor, "judging.invitation_revoke", "round", round_.id, invitation_id=invitation.id)
    commit()


def check_invitation(raw: str) -> JudgeInvitation:
    """The invitation behind a link, if it can still be used (not used, revoked or expired)."""
    invitation = db.session.scalar(
        select(JudgeInvitation).where(JudgeInvitation.token_hash == hash_token(raw))
    )
    if invitation is None or invitation.revoked_at is not None:
        raise Invalid("Liên kết mời không hợp lệ. Vui lòng liên hệ Ban tổ chức để được mời lại.")
    if invitation.accepted_at is not None:
        raise Invalid("Lời mời này đã được chấp nhận. Mời bạn đăng nhập để chấm điểm.", code="used")
    if invitation.expires_at <= utcnow():
        raise Invalid("Liên kết mời đã hết hạn. Vui lòng liên hệ Ban tổ chức để được mời lại.")
    return invitation


def invitation_account(invitation: JudgeInvitation) -> User | None:
    return db.session.scalar(select(User).where(User.email == invitation.email))


def accept_invitation(
    raw: str, *, user: User | None = None, full_name: str = "", phone: str = "", password: str | None = None
) -> User:
    """Accept an invitation: the signed-in account with the invited email, or a new account created
    now (accounts.create_user: verified, since the link proves the mailbox). Joins the round."""
    invitation = check_invitation(raw)
    account = invitation_account(invitation)
    if user is not None and user.is_authenticated:
        if user.email != invitation.email:
            raise PermissionDenied(
                f"Lời mời này gửi tới {invitation.email}. Hãy đăng xuất rồi mở lại liên kết, "
                "hoặc đăng nhập bằng tài khoản đó."
            )
        account = user
    elif account is not None:
        raise Conflict(
            "Email này đã có tài khoản. Hãy đăng nhập bằng tài khoản đó rồi mở lại liên kết mời.",
            code="account_exists",
        )
    else:
        if not password:
            raise Invalid("Vui lòng đặt mật khẩu.", field="password")
        account, _ = accounts.create_user(
            invitation.email,
            Role.JUDGE.value,
            password=password,
            full_name=full_name or invitation.full_name,
            phone=phone or None,
        )
    if Role.JUDGE not in account.roles:
        accounts.create_user(account.email, Role.JUDGE.value)  # grants the role, keeps the password
    invitation = check_invitation(raw)  # create_user committed; read it again
    round_ = invitation.round
    _ensure_contest_judge(invitation.invited_by_id, round_.contest, account, invitation.organisation)
    profile = ensure_profile(account)
    if invitation.organisation and not profile.organisation:
        profile.organisation = invitation.organisation
    invitation.accepted_at = utcnow()
    invitation.user_id = account.id
    if not db.session.scalar(
        select(RoundJudge.id).where(RoundJudge.round_id == round_.id, RoundJudge.user_id == account.id)
    ):
        db.session.add(RoundJudge(round_id=round_.id, user_id=account.id))
    flush()
    flag_conflicts(round_)
    record(account, "judging.invitation_accept", "round", round_.id, invitation_id=invitation.id)
    results_changed(round_)
    commit()
    return account


def _ensure_contest_judge(actor_id: int | None, contest: Contest, user: User, organisation: str) -> None:
    """Name the user a judge of the contest in the contests package (its eligibility rule: judges
    may not enter) through its own service."""
    exists = db.session.scalar(
        select(ContestStaff.id).where(
            ContestStaff.contest_id == contest.id,
            ContestStaff.user_id == user.id,
            ContestStaff.role == StaffRole.JUDGE.value,
        )
    )
    if exists:
        return
    actor = db.session.get(User, actor_id) if actor_id else None
    if actor is None or not can_manage_contest(actor, contest):
        return
    with contextlib.suppress(Conflict):  # added meanwhile by someone else: fine
        add_staff(actor, contest, user.email, StaffRole.JUDGE.value, organisation)


def add_judge(actor: User, round_: Round, email: str) -> User:
    """Put an existing judge account (or a judge of the contest) on the round's panel."""
    get_round_for_organiser(actor, round_.id)
    email_n = accounts.field_value(normalize_email, email, "email")
    user = db.session.scalar(select(User).where(User.email == email_n))
    if user is None or Role.JUDGE not in user.roles:
        raise Invalid(
            "Chưa có tài khoản giám khảo với email này. Hãy gửi thư mời để người đó tạo tài khoản.",
            field="email",
        )
    if db.session.scalar(
        select(RoundJudge.id).where(RoundJudge.round_id == round_.id, RoundJudge.user_id == user.id)
    ):
        raise Conflict(f"{user.full_name} đã là giám khảo của vòng này.", field="email")
    _ensure_contest_judge(actor.id, round_.contest, user, ensure_profile(user).organisation)
    db.session.add(RoundJudge(round_id=round_.id, user_id=user.id))
    flush()
    flag_conflicts(round_)
    record(actor, "judging.judge_add", "round", round_.id, user_id=user.id)
    results_changed(round_)
    commit()
    return user


def remove_judge(actor: User, round_: Round, user_id: int) -> None:
    get_round_for_organiser(actor, round_.id)
    row = db.session.scalar(
        select(RoundJudge).where(RoundJudge.round_id == round_.id, RoundJudge.user_id == user_id)
    )
    if row is None:
        raise NotFound("Người này không phải giám khảo của vòng chấm.")
    _take_off_round(
        round_,
        row,
        Assignment.judge_id == user_id,
        "Giám khảo đã chấm một số hồ sơ, không thể bỏ khỏi vòng chấm.",
    )
    record(actor, "judging.judge_remove", "round", round_.id, user_id=user_id)
    results_changed(round_)
    commit()


def ensure_profile(user: User) -> JudgeProfile:
    """The judge's profile, created empty (and added to the session) if they have none yet."""
    profile = db.session.scalar(select(JudgeProfile).where(JudgeProfile.user_id == user.id))
    if profile is None:
        profile = JudgeProfile(
            user_id=user.id, organisation="", commune_code="", commune_name="", expertise=""
        )
        db.session.add(profile)
    return profile


def get_profile(user: User) -> JudgeProfile:
    profile = db.session.scalar(select(JudgeProfile).where(JudgeProfile.user_id == user.id))
    return profile or JudgeProfile(
        user_id=user.id, organisation="", commune_code="", commune_name="", expertise=""
    )


def update_profile(user: User, organisation: str, commune_code: str, expertise: str = "") -> JudgeProfile:
    """A judge's organisation and commune: the platform flags likely conflicts from them."""
    code = (commune_code or "").strip()
    name = ""
    if code:
        name = commune_name(code) or ""
        if not name:
            raise Invalid("Xã, phường không có trong danh sách.", field="commune_code")
    profile = ensure_profile(user)
    profile.organisation = tidy(organisation, 160, one_line=True)
    profile.commune_code = code
    profile.commune_name = name
    profile.expertise = tidy(expertise, 200, one_line=True)
    profile.updated_at = utcnow()
    flush()
    for round_ in db.session.scalars(
        select(Round).join(RoundJudge, RoundJudge.round_id == Round.id).where(RoundJudge.user_id == user.id)
    ):
        flag_conflicts(round_)
    record(user, "judging.profile_update", "user", user.id, organisation=profile.organisation, commune=code)
    commit()
    return profile


# --- conflicts of interest -----------------------------------------------------------------------


def _org_key(text: str) -> str:
    key = re.sub(r"[^a-z0-9 ]+", " ", fold(text))
    return " ".join(key.split())


def _judge_affiliations(round_: Round, judges: list[User]) -> dict[int, tuple[set[str], set[str]]]:
    """judge id → (organisation keys, commune codes) from their profile and contest staff row."""
    ids = [j.id for j in judges]
    result: dict[int, tuple[set[str], set[str]]] = {i: (set(), set()) for i in ids}
    for profile in db.session.scalars(select(JudgeProfile).where(JudgeProfile.user_id.in_(ids or [0]))):
        orgs, communes = result[profile.user_id]
        if _org_key(profile.organisation):
            orgs.add(_org_key(profile.organisation))
        if profile.commune_code:
            communes.add(profile.commune_code)
    for row in db.session.scalars(
        select(ContestStaff).where(
            ContestStaff.contest_id == round_.contest_id,
            ContestStaff.role == StaffRole.JUDGE.value,
            ContestStaff.user_id.in_(ids or [0]),
        )
    ):
        if _org_key(row.organisation):
            result[row.user_id][0].add(_org_key(row.organisation))
    return result


def flag_conflicts(round_: Round) -> int:
    """Add a pending conflict for each judge × entry pair sharing an organisation or a commune with a
    team member (or the entry itself). Never touches a pair that already has a conflict row, so a
    dismissed flag stays dismissed. Joins the caller's transaction."""
    judges = round_judges(round_)
    entries = round_entries(round_, team=True)
    if not judges or not entries:
        return 0
    affiliations = _judge_affiliations(round_, judges)
    known = {
        (row.judge_id, row.entry_id)
        for row in db.session.scalars(
            select(ConflictOfInterest).where(
                ConflictOfInterest.judge_id.in_([j.id for j in judges]),
                ConflictOfInterest.entry_id.in_([e.id for e in entries]),
            )
        )
    }
    added = 0
    for entry in entries:
        orgs = {_org_key(entry.organisation)} | {_org_key(m.organisation) for m in entry.members}
        communes = {entry.commune_code} | {m.commune_code for m in entry.members}
        orgs.discard("")
        communes.discard("")
        for judge in judges:
            if (judge.id, entry.id) in known:
                continue
            judge_orgs, judge_communes = affiliations[judge.id]
            kind, note = None, ""
            if judge_orgs & orgs:
                kind = ConflictKind.SAME_ORGANISATION
                note = "Giám khảo và thành viên đội cùng cơ quan, đơn vị."
            elif judge_communes & communes:
                kind = ConflictKind.SAME_COMMUNE
                note = "Giám khảo và thành viên đội cùng xã, phường."
            if kind is None:
                continue
            db.session.add(
                ConflictOfInterest(
                    judge_id=judge.id,
                    entry_id=entry.id,
                    kind=kind.value,
                    source="flagged",
                    status=ConflictStatus.PENDING.value,
                    note=note,
                )
            )
            known.add((judge.id, entry.id))
            added += 1
    return added


def conflicts_of_judge(judge: User) -> list[ConflictOfInterest]:
    """A judge's own conflicts (declared, recorded or confirmed), newest first."""
    return list(
        db.session.scalars(
            select(ConflictOfInterest)
            .where(
                ConflictOfInterest.judge_id == judge.id,
                ConflictOfInterest.status == ConflictStatus.CONFIRMED.value,
            )
            .order_by(ConflictOfInterest.id.desc())
            .options(
                selectinload(ConflictOfInterest.entry).options(lazyload(Entry.members), lazyload(Entry.files))
            )
        )
    )


def _of_round(round_: Round) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    judge_ids = select(RoundJudge.user_id).where(RoundJudge.round_id == round_.id)
    entry_ids = select(RoundEntry.entry_id).where(RoundEntry.round_id == round_.id)
    return ConflictOfInterest.judge_id.in_(judge_ids), ConflictOfInterest.entry_id.in_(entry_ids)


def round_conflicts(round_: Round) -> list[ConflictOfInterest]:
    return list(
        db.session.scalars(
            select(ConflictOfInterest)
            .where(*_of_round(round_))
            .order_by(ConflictOfInterest.status.desc(), ConflictOfInterest.id)
        )
    )


def pending_conflict_count(round_: Round) -> int:
    """Flags between this round's judges and entries still waiting for an organiser's decision."""
    pending = ConflictOfInterest.status == ConflictStatus.PENDING.value
    return db.session.scalar(select(func.count()).where(*_of_round(round_), pending)) or 0


def blocked_pairs(round_: Round, entry_ids: Collection[int] | None = None) -> set[tuple[int, int]]:
    """(judge id, entry id) pairs that must not be assigned: confirmed conflicts and flags still
    waiting for an organiser's decision (of the given entries only, when named)."""
    judge_ids = select(RoundJudge.user_id).where(RoundJudge.round_id == round_.id)
    entries: Select[tuple[int]] | list[int] = (
        select(RoundEntry.entry_id).where(RoundEntry.round_id == round_.id)
        if entry_ids is None
        else list(entry_ids)
    )
    rows = db.session.execute(
        select(ConflictOfInterest.judge_id, ConflictOfInterest.entry_id).where(
            ConflictOfInterest.judge_id.in_(judge_ids),
            ConflictOfInterest.entry_id.in_(entries),
            ConflictOfInterest.status.in_((ConflictStatus.CONFIRMED.value, ConflictStatus.PENDING.value)),
        )
    )
    return {(judge_id, entry_id) for judge_id, entry_id in rows}


def _drop_conflicted_assignments(actor: User, judge_id: int, entry_id: int, why: str) -> int:
    """A confirmed conflict removes that judge's sheets for the entry in every round not yet
    published (audited with the scores they held): a conflicted judge never scores the entry."""
    removed = 0
    rounds: dict[int, Round] = {}
    for row in db.session.scalars(
        select(Assignment)
        .join(Round, Round.id == Assignment.round_id)
        .where(
            Assignment.judge_id == judge_id,
            Assignment.entry_id == entry_id,
            Round.published_at.is_(None),  # published rounds keep their record
        )
    ):
        record(
            actor,
            "judging.assignment_drop",
            "assignment",
            row.id,
            round_id=row.round_id,
            entry_id=entry_id,
            judge_id=judge_id,
            status=row.status,
            scores=row.scores,
            reason=why,
        )
        db.session.delete(row)
        rounds[row.round_id] = row.round
        removed += 1
    results_changed(*rounds.values())
    return removed


def _upsert_conflict(
    judge_id: int, entry_id: int, kind: str, source: str, status: str, note: str
) -> ConflictOfInterest:
    row = db.session.scalar(
        select(ConflictOfInterest).where(
            ConflictOfInterest.judge_id == judge_id, ConflictOfInterest.entry_id == entry_id
        )
    )
    if row is None:
        row = ConflictOfInterest(judge_id=judge_id, entry_id=entry_id)
        db.session.add(row)
    row.kind, row.source, row.status, row.note = kind, source, status, note
    return row


def _panel_round(judge: User, round_id: int) -> Round:
    """A round whose panel includes this judge; 404 otherwise."""
    round_ = db.session.get(Round, round_id)
    if round_ is None or not db.session.scalar(
        select(RoundJudge.id).where(RoundJudge.round_id == round_id, RoundJudge.user_id == judge.id)
    ):
        raise NotFound("Không tìm thấy vòng chấm này trong danh sách của bạn.")
    return round_


def entries_for_declaration(judge: User, round_id: int) -> tuple[Round, list[tuple[int, str]]]:
    """The round's entries as a judge on its panel may see them to declare conflicts before any
    assignment: code and title, plus leader and organisation in open rounds; in blind rounds the
    title passes through the same redaction as the sheet."""
    round_ = _panel_round(judge, round_id)
    rows = []
    for entry in round_entries(round_, team=True):
        if round_.blind:
            label = f"{entry.code or entry.id} – {redactor(entry)(entry.title)}"
        else:
            leader = entry.leader_member.full_name if entry.leader_member else ""
            extra = ", ".join(x for x in (leader, entry.organisation) if x)
            label = f"{entry.code or entry.id} – {entry.title}" + (f" ({extra})" if extra else "")
        rows.append((entry.id, label))
    return round_, rows


def declare_conflict(judge: User, round_id: int, entry_id: int, kind: str, note: str = "") -> None:
    """A judge on the round's panel declares a conflict with one of its entries (assigned or not):
    it is confirmed at once and any unsubmitted sheet leaves their list (an organiser assigns
    someone else)."""
    round_ = _panel_round(judge, round_id)
    if entry_id not in set(round_entry_ids(round_)):
        raise NotFound("Không tìm thấy hồ sơ này trong vòng chấm.")
    assignment = db.session.scalar(
        select(Assignment).where(
            Assignment.round_id == round_id, Assignment.entry_id == entry_id, Assignment.judge_id == judge.id
        )
    )
    if kind not in {k.value for k in DECLARABLE_KINDS}:
        raise Invalid("Vui lòng chọn loại xung đột lợi ích.", field="kind")
    note = tidy(note, 1000)
    if kind == ConflictKind.OTHER and len(note) < 5:
        raise Invalid("Vui lòng mô tả ngắn gọn lý do xung đột lợi ích.", field="note")
    if assignment is not None and assignment.status == SheetStatus.SUBMITTED.value:
        raise Conflict(
            "Phiếu chấm đã nộp. Hãy báo Ban tổ chức để họ mở lại phiếu trước khi khai báo xung đột lợi ích."
        )
    row = _upsert_conflict(judge.id, entry_id, kind, "declared", ConflictStatus.CONFIRMED.value, note)
    row.decided_by_id, row.decided_at = judge.id, utcnow()
    _drop_conflicted_assignments(judge, judge.id, entry_id, "giám khảo khai báo xung đột lợi ích")
    record(judge, "judging.conflict_declare", "entry", entry_id, kind=kind, note=note, round_id=round_id)
    commit()


def record_conflict(
    actor: User, round_: Round, judge_id: int, entry_id: int, kind: str, note: str = ""
) -> None:
    """An organiser records a conflict a judge reported another way (phone, meeting): confirmed."""
    get_round_for_organiser(actor, round_.id)
    if judge_id not in {j.id for j in round_judges(round_)} or entry_id not in set(round_entry_ids(round_)):
        raise NotFound("Giám khảo hoặc hồ sơ không thuộc vòng chấm này.")
    if kind not in {k.value for k in ConflictKind}:
        raise Invalid("Vui lòng chọn loại xung đột lợi ích.", field="kind")
    row = _upsert_conflict(
        judge_id, entry_id, kind, "organiser", ConflictStatus.CONFIRMED.value, (note or "")[:1000]
    )
    row.decided_by_id, row.decided_at = actor.id, utcnow()
    _drop_conflicted_assignments(actor, judge_id, entry_id, "ban tổ chức ghi nhận xung đột lợi ích")
    record(actor, "judging.conflict_record", "entry", entry_id, judge_id=judge_id, kind=kind)
    commit()


def decide_conflict(
    actor: User, round_: Round, conflict_id: int, confirm: bool, note: str = ""
) -> ConflictOfInterest:
    """Confirm (the judge never scores the entry) or dismiss a flagged conflict."""
    get_round_for_organiser(actor, round_.id)
    row = db.session.get(ConflictOfInterest, conflict_id)
    if row is None or row.id not in {c.id for c in round_conflicts(round_)}:
        raise NotFound("Không tìm thấy xung đột lợi ích này.")
    if row.source == "declared" and not confirm:
        raise Conflict("Xung đột do giám khảo tự khai báo không thể bỏ qua.")
    row.status = (ConflictStatus.CONFIRMED if confirm else ConflictStatus.DISMISSED).value
    row.decided_by_id, row.decided_at = actor.id, utcnow()
    row.decision_note = tidy(note, 1000)
    if confirm:
        _drop_conflicted_assignments(
            actor, row.judge_id, row.entry_id, "ban tổ chức xác nhận xung đột lợi ích"
        )
    record(actor, "judging.conflict_decide", "conflict", row.id, confirm=confirm, note=row.decision_note)
    commit()
    return row
