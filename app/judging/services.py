"""Judging rules: rounds and rubrics, judges and invitations, conflicts of interest, assignment,
score sheets (draft, submit, reopen, optimistic locking), progress and reminders, results
(through app.judging.scoring, the one home of every formula), publishing and advancement.

Services check per-object permissions, add audit rows and commit; mail goes out after the commit.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.exc import StaleDataError

from app.accounts.models import Role, User
from app.accounts.validation import ValidationFailed, normalize_email, normalize_name
from app.audit.services import record
from app.contests import services as contests
from app.contests.models import Contest, ContestStaff, Entry, EntryStatus, StaffRole, TeamMember, Track
from app.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.extensions import db
from app.judging import scoring
from app.judging.models import (
    DECLARABLE_KINDS,
    AdvancementOverride,
    Assignment,
    ComponentScore,
    ConflictKind,
    ConflictStatus,
    JudgeInvitation,
    JudgeProfile,
    Round,
    RoundEntry,
    RoundJudge,
    RoundResult,
    SheetStatus,
)
from app.judging.models import Conflict as ConflictOfInterest
from app.localtime import format_datetime, utcnow
from app.mail.services import send_email
from app.text import fold

INVITATION_DAYS = 7
COMMENT_LIMIT = 2000
# Entry states that may be put into a round by hand (the first round takes screened entries).
ROUND_ENTRY_STATES = {EntryStatus.ELIGIBLE.value, EntryStatus.FINALIST.value}


class SheetErrors(Invalid):
    """A score sheet failed validation; `errors` maps each bad criterion id to its message."""

    def __init__(self, message: str, errors: dict[str, str]):
        super().__init__(message, code="sheet_invalid")
        self.errors = errors


class StaleSheet(Conflict):
    """The sheet changed since this page was loaded (another device saved it)."""

    def __init__(self, message: str, current: Assignment):
        super().__init__(message, code="stale_sheet")
        self.current = current


def _clean(text: str | None, limit: int) -> str:
    return " ".join((text or "").split())[:limit] if limit <= 200 else (text or "").strip()[:limit]


RACE = "Dữ liệu vừa được thay đổi cùng lúc ở nơi khác. Vui lòng tải lại trang và thử lại."


def _flush() -> None:
    """Flush; a uniqueness rule broken by a simultaneous request becomes a Conflict, not a 500."""
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(RACE) from exc


def _commit() -> None:
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(RACE) from exc


@contextlib.contextmanager
def _scoring_rule(field: str | None = None, prefix: str = ""):
    """A refusal of the pure scoring rules (bounds, rubric) becomes an Invalid on `field` (422)."""
    try:
        yield
    except scoring.ScoringError as exc:
        raise Invalid(prefix + exc.message, field=field or exc.field, code=exc.code) from exc


# --- rounds --------------------------------------------------------------------------------------


def get_round(round_id: int) -> Round:
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise NotFound("Không tìm thấy vòng chấm.")
    return round_


def get_round_for_organiser(user, round_id: int) -> Round:
    """The round if `user` manages its contest: 404 when missing, 403 for another contest's staff."""
    round_ = get_round(round_id)
    if not contests.can_manage_contest(user, round_.contest):
        raise PermissionDenied("Bạn không thuộc Ban tổ chức của cuộc thi này.")
    return round_


def contest_rounds(contest: Contest) -> list[Round]:
    return list(
        db.session.scalars(select(Round).where(Round.contest_id == contest.id).order_by(Round.position))
    )


def rounds_overview(user) -> list[tuple[Contest, list[Round]]]:
    """Every contest the organiser manages with its rounds."""
    return [(contest, contest_rounds(contest)) for contest in contests.manageable_contests(user)]


def rubric_of(round_: Round) -> scoring.Rubric:
    return scoring.Rubric.from_data(round_.rubric) if round_.rubric else scoring.DEFAULT_RUBRIC


def default_tie_breaks(rubric: scoring.Rubric) -> list[dict]:
    ids = set(rubric.ids())
    return [
        {"kind": key.kind, "ref": key.ref}
        for key in scoring.DEFAULT_TIE_BREAKS
        if key.kind != "criterion" or key.ref in ids
    ]


def is_last_round(round_: Round) -> bool:
    later = db.session.scalar(
        select(func.count(Round.id)).where(
            Round.contest_id == round_.contest_id, Round.position > round_.position
        )
    )
    return not later


def next_round(round_: Round) -> Round | None:
    return db.session.scalar(
        select(Round)
        .where(Round.contest_id == round_.contest_id, Round.position > round_.position)
        .order_by(Round.position)
        .limit(1)
    )


@dataclass
class RoundSettings:
    """What an organiser sets on a round (forms check shape; `apply_settings` checks meaning)."""

    name: str
    description: str = ""
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    blind: bool = False
    method: str = scoring.Method.MEAN.value
    judges_per_entry: int = 3
    top_n: int | None = None
    min_average: str = ""
    no_zero_criterion: bool = True


def _apply_settings(round_: Round, settings: RoundSettings) -> None:
    name = _clean(settings.name, 120)
    if len(name) < 2:
        raise Invalid("Vui lòng nhập tên vòng chấm (ví dụ: Sơ khảo).", field="name")
    if settings.method not in {m.value for m in scoring.Method}:
        raise Invalid("Cách tổng hợp điểm không hợp lệ.", field="method")
    with _scoring_rule("judges_per_entry"):
        scoring.check_count(
            settings.judges_per_entry,
            label="Số giám khảo chấm mỗi hồ sơ",
            low=1,
            high=scoring.MAX_JUDGES_PER_ENTRY,
        )
    if settings.top_n is not None:
        with _scoring_rule("top_n"):
            scoring.check_count(
                settings.top_n, label="Số hồ sơ đi tiếp mỗi bảng", low=1, high=scoring.MAX_TOP_N
            )
    if settings.opens_at and settings.closes_at and settings.closes_at <= settings.opens_at:
        raise Invalid("Thời điểm kết thúc chấm phải sau thời điểm bắt đầu.", field="closes_at")
    with _scoring_rule("min_average"):
        value = scoring.parse_min_average(settings.min_average)
    minimum = ""
    if value is not None:
        # Meaning, beyond the bound: a minimum above the rubric's largest total bars every entry.
        top = rubric_of(round_).max_total
        if value > top:
            raise Invalid(
                f"Điểm trung bình tối thiểu ({scoring.format_score(value)}) lớn hơn tổng điểm tối đa "
                f"của thang điểm ({scoring.format_score(top)}).",
                field="min_average",
            )
        minimum = str(value)
    round_.name = name
    round_.description = (settings.description or "").strip()[:4000]
    round_.opens_at = settings.opens_at
    round_.closes_at = settings.closes_at
    round_.blind = bool(settings.blind)
    round_.method = settings.method
    round_.judges_per_entry = settings.judges_per_entry
    round_.top_n = settings.top_n
    round_.min_average = minimum
    round_.no_zero_criterion = bool(settings.no_zero_criterion)


def _commit_round(round_: Round, field_name: str = "name") -> None:
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Invalid(f"Cuộc thi đã có một vòng chấm tên «{round_.name}».", field=field_name) from exc


def create_round(actor, contest: Contest, settings: RoundSettings) -> Round:
    """A new round at the end of the contest's list, with the default 2021 rubric."""
    if not contests.can_manage_contest(actor, contest):
        raise PermissionDenied("Bạn không thuộc Ban tổ chức của cuộc thi này.")
    last = db.session.scalar(select(func.max(Round.position)).where(Round.contest_id == contest.id)) or 0
    round_ = Round(contest_id=contest.id, position=last + 1, rubric=scoring.DEFAULT_RUBRIC.to_data())
    round_.tie_breaks = default_tie_breaks(scoring.DEFAULT_RUBRIC)
    round_.prize_plan = {}
    round_.components = []
    _apply_settings(round_, settings)
    db.session.add(round_)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise Invalid(f"Cuộc thi đã có một vòng chấm tên «{settings.name}».", field="name") from exc
    record(actor, "judging.round_create", "round", round_.id, contest_id=contest.id, name=round_.name)
    _commit_round(round_)
    return round_


def update_round(actor, round_: Round, settings: RoundSettings) -> Round:
    get_round_for_organiser(actor, round_.id)
    _apply_settings(round_, settings)
    record(actor, "judging.round_update", "round", round_.id, name=round_.name, method=round_.method)
    _commit_round(round_)
    return round_


def delete_round(actor, round_: Round) -> None:
    """Remove a round created by mistake: refused once any sheet has scores or results are out."""
    get_round_for_organiser(actor, round_.id)
    if round_.published_at is not None or _scored_count(round_):
        raise Conflict("Vòng chấm đã có điểm hoặc đã công bố kết quả nên không thể xoá.")
    record(actor, "judging.round_delete", "round", round_.id, name=round_.name, contest_id=round_.contest_id)
    db.session.delete(round_)
    _commit()


def _scored_count(round_: Round) -> int:
    return db.session.scalar(
        select(func.count(Assignment.id)).where(
            Assignment.round_id == round_.id, Assignment.status != SheetStatus.TODO.value
        )
    )


def _max_and_weight(raw_max, raw_weight, what: str) -> tuple[Decimal | None, Decimal | None]:
    """A criterion's or component's maximum and weight, within scoring's bounds (RuleInvalid)."""
    max_points = scoring.parse_bounded(
        raw_max, label=f"Điểm tối đa của {what}", low=Decimal("0.01"), high=scoring.MAX_POINTS
    )
    weight = scoring.parse_bounded(
        raw_weight or "1", label=f"Hệ số của {what}", low=Decimal("0.01"), high=scoring.MAX_WEIGHT
    )
    return max_points, weight


def _criterion_id(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", fold(name)).strip("_")[:30] or "tieu_chi"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    return candidate


def save_rubric(actor, round_: Round, rows: list[dict]) -> scoring.Rubric:
    """Replace the round's criteria. rows: {id?, name, description, kind, max_points, weight};
    a row with an empty name is dropped. Refused once judges have started scoring."""
    get_round_for_organiser(actor, round_.id)
    if _scored_count(round_):
        raise Conflict("Giám khảo đã bắt đầu chấm vòng này nên không thể sửa thang điểm.")
    existing = {c["id"] for c in round_.rubric}
    taken: set[str] = set()
    items = []
    for index, row in enumerate(rows, start=1):
        name = _clean(row.get("name"), 200)
        if not name:
            continue
        crit_id = row.get("id") if row.get("id") in existing and row.get("id") not in taken else None
        crit_id = crit_id or _criterion_id(name, taken | existing)
        taken.add(crit_id)
        kind = row.get("kind") or scoring.POINTS
        where = f"Dòng {index}: "
        if kind == scoring.POINTS and not str(row.get("max_points") or "").strip():
            raise Invalid(f"{where}nhập điểm tối đa của tiêu chí «{name}».", field="rubric")
        with _scoring_rule("rubric", where):
            max_points, weight = _max_and_weight(
                row.get("max_points") if kind == scoring.POINTS else scoring.SCALE_HIGH,
                row.get("weight"),
                f"tiêu chí «{name}»",
            )
        items.append(
            {
                "id": crit_id,
                "name": name,
                "kind": kind,
                "max_points": str(max_points),
                "weight": str(weight),
                "description": (row.get("description") or "").strip()[:1000],
            }
        )
    with _scoring_rule("rubric"):
        rubric = scoring.Rubric.from_data(items)
    if round_.min_average and Decimal(round_.min_average) > rubric.max_total:
        raise Invalid(
            f"Tổng điểm tối đa của thang điểm mới ({scoring.format_score(rubric.max_total)}) thấp hơn điểm "
            f"trung bình tối thiểu để đi tiếp ({scoring.format_score(Decimal(round_.min_average))}): hãy sửa "
            "quy tắc đi tiếp của vòng trước.",
            field="rubric",
        )
    round_.rubric = rubric.to_data()
    ids = set(rubric.ids())
    round_.tie_breaks = [k for k in round_.tie_breaks if k["kind"] != "criterion" or k["ref"] in ids] or (
        default_tie_breaks(rubric)
    )
    plan = dict(round_.prize_plan or {})
    plan["side"] = [s for s in plan.get("side", []) if not s.get("criterion") or s["criterion"] in ids]
    round_.prize_plan = plan
    record(actor, "judging.rubric_save", "round", round_.id, rubric=round_.rubric)
    _commit()
    return rubric


def save_tie_breaks(actor, round_: Round, keys: list[str]) -> None:
    """keys: "criterion:<id>", "component:<id>" or "panel", in order; blanks and repeats dropped."""
    get_round_for_organiser(actor, round_.id)
    rubric_ids = set(rubric_of(round_).ids())
    component_ids = {c["id"] for c in round_.components}
    chosen: list[dict] = []
    for key in keys:
        if not key:
            continue
        kind, _, ref = key.partition(":")
        item = {"kind": kind, "ref": ref or None}
        if item in chosen:
            continue
        if (
            (kind == "criterion" and ref in rubric_ids)
            or (kind == "component" and ref in component_ids)
            or (kind == "panel" and not ref)
        ):
            chosen.append(item)
        else:
            raise Invalid("Tiêu chí phân định đồng hạng không hợp lệ.", field="tie_breaks")
    round_.tie_breaks = chosen
    record(actor, "judging.tie_breaks_save", "round", round_.id, tie_breaks=chosen)
    _commit()


def save_components(actor, round_: Round, rows: list[dict]) -> None:
    """Organiser-scored components (name, max points, weight): kept apart from judges' sheets."""
    get_round_for_organiser(actor, round_.id)
    existing = {c["id"] for c in round_.components}
    taken: set[str] = set()
    items = []
    for index, row in enumerate(rows, start=1):
        name = _clean(row.get("name"), 120)
        if not name:
            continue
        comp_id = row.get("id") if row.get("id") in existing and row.get("id") not in taken else None
        comp_id = comp_id or _criterion_id(name, taken | existing)
        taken.add(comp_id)
        with _scoring_rule("components", f"Dòng {index}: "):
            max_points, weight = _max_and_weight(row.get("max_points"), row.get("weight"), f"«{name}»")
        if max_points is None:
            raise Invalid(f"Dòng {index}: nhập điểm tối đa của «{name}».", field="components")
        items.append({"id": comp_id, "name": name, "max_points": str(max_points), "weight": str(weight)})
    if len(items) > scoring.MAX_COMPONENTS:
        raise Invalid(f"Vòng chấm có tối đa {scoring.MAX_COMPONENTS} điểm thành phần.", field="components")
    kept = {c["id"]: c for c in items}
    # Meaning: a lowered maximum must still hold every value already entered for that component.
    for score in db.session.scalars(select(ComponentScore).where(ComponentScore.round_id == round_.id)):
        item = kept.get(score.component_id)
        if item is not None and Decimal(score.value) > Decimal(item["max_points"]):
            raise Invalid(
                f"«{item['name']}» đã có điểm {scoring.format_score(Decimal(score.value))}, lớn hơn điểm tối đa "
                "mới; hãy sửa các điểm đó trước.",
                field="components",
            )
    round_.components = items
    db.session.execute(
        delete(ComponentScore).where(
            ComponentScore.round_id == round_.id, ComponentScore.component_id.not_in(set(kept) or {""})
        )
    )
    round_.tie_breaks = [k for k in round_.tie_breaks if k["kind"] != "component" or k["ref"] in kept]
    record(actor, "judging.components_save", "round", round_.id, components=items)
    _commit()


def _components(round_: Round) -> list[scoring.Component]:
    return [
        scoring.Component(c["id"], c["name"], Decimal(c["max_points"]), Decimal(c["weight"]))
        for c in round_.components
    ]


def component_values(round_: Round) -> dict[tuple[int, str], str]:
    rows = db.session.scalars(select(ComponentScore).where(ComponentScore.round_id == round_.id))
    return {(row.entry_id, row.component_id): row.value for row in rows}


def save_component_scores(actor, round_: Round, values: dict[tuple[int, str], str]) -> None:
    """Set organiser-scored values; blank clears. Checked like a sheet (0..max, a number)."""
    get_round_for_organiser(actor, round_.id)
    comps = _components(round_)
    if not comps:
        raise Invalid("Vòng chấm chưa có điểm thành phần nào.")
    as_rubric = scoring.Rubric(tuple(scoring.Criterion.points(c.id, c.name, c.max_points) for c in comps))
    entry_ids = set(round_entry_ids(round_))
    by_entry: dict[int, dict[str, str]] = defaultdict(dict)
    for (entry_id, comp_id), raw in values.items():
        if entry_id not in entry_ids:
            raise NotFound("Hồ sơ không thuộc vòng chấm này.")
        by_entry[entry_id][comp_id] = raw
    current = {
        (r.entry_id, r.component_id): r
        for r in db.session.scalars(select(ComponentScore).where(ComponentScore.round_id == round_.id))
    }
    for entry_id, raws in by_entry.items():
        try:
            clean = scoring.validate_sheet(as_rubric, raws, submit=False)
        except scoring.SheetInvalid as exc:
            entry = db.session.get(Entry, entry_id)
            raise Invalid(f"Hồ sơ {entry.code or entry.id}: {exc.message}", field="components") from exc
        for comp in comps:
            if comp.id not in raws:
                continue
            row = current.get((entry_id, comp.id))
            if comp.id in clean:
                if row is None:
                    db.session.add(
                        ComponentScore(
                            round_id=round_.id,
                            entry_id=entry_id,
                            component_id=comp.id,
                            value=str(clean[comp.id]),
                            updated_by_id=actor.id,
                        )
                    )
                elif row.value != str(clean[comp.id]):
                    row.value, row.updated_by_id, row.updated_at = str(clean[comp.id]), actor.id, utcnow()
            elif row is not None:
                db.session.delete(row)
    record(
        actor,
        "judging.component_scores_save",
        "round",
        round_.id,
        values={f"{e}:{c}": v for (e, c), v in values.items()},
    )
    _commit()


def save_prize_plan(actor, round_: Round, tracks: dict[str, dict[str, int]], side: list[dict]) -> None:
    """Prize counts per track (Nhất, Nhì, Ba, Khuyến khích) and side prizes (best on a criterion)."""
    get_round_for_organiser(actor, round_.id)
    clean_tracks: dict[str, dict[str, int]] = {}
    for track, counts in tracks.items():
        row = {}
        for prize_id, prize_name in scoring.PRIZE_NAMES.items():
            with _scoring_rule("prizes"):
                row[prize_id] = scoring.check_count(
                    counts.get(prize_id) or 0,
                    label=f"Số lượng {prize_name}",
                    low=0,
                    high=scoring.MAX_PRIZE_COUNT,
                )
        clean_tracks[track] = row
    rubric_ids = set(rubric_of(round_).ids())
    clean_side = []
    taken: set[str] = set(scoring.PRIZE_NAMES)
    for item in side:
        name = _clean(item.get("name"), 120)
        if not name:
            continue
        if item.get("criterion") not in rubric_ids:
            raise Invalid(f"Giải phụ «{name}»: hãy chọn tiêu chí làm căn cứ.", field="prizes")
        with _scoring_rule("prizes"):
            count = scoring.check_count(
                item.get("count") or 1,
                label=f"Số lượng giải «{name}»",
                low=1,
                high=scoring.MAX_SIDE_PRIZE_COUNT,
            )
        side_id = _criterion_id(name, taken)
        taken.add(side_id)
        clean_side.append({"id": side_id, "name": name, "count": count, "criterion": item["criterion"]})
    round_.prize_plan = {"tracks": clean_tracks, "side": clean_side}
    record(actor, "judging.prizes_save", "round", round_.id, plan=round_.prize_plan)
    _commit()


# --- entries of a round --------------------------------------------------------------------------


def round_entry_ids(round_: Round) -> list[int]:
    return list(db.session.scalars(select(RoundEntry.entry_id).where(RoundEntry.round_id == round_.id)))


def round_entries(round_: Round) -> list[Entry]:
    return list(
        db.session.scalars(
            select(Entry)
            .join(RoundEntry, RoundEntry.entry_id == Entry.id)
            .where(RoundEntry.round_id == round_.id)
            .order_by(Entry.code_number, Entry.id)
        )
    )


def candidate_entries(round_: Round) -> list[Entry]:
    """Entries of the contest that may be added to this round and are not in it yet."""
    in_round = select(RoundEntry.entry_id).where(RoundEntry.round_id == round_.id)
    return list(
        db.session.scalars(
            select(Entry)
            .where(
                Entry.contest_id == round_.contest_id,
                Entry.status.in_(ROUND_ENTRY_STATES),
                Entry.id.not_in(in_round),
            )
            .order_by(Entry.code_number, Entry.id)
        )
    )


def add_entries(actor, round_: Round, entry_ids: list[int] | None = None) -> int:
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
    _flush()
    _flag_conflicts(round_)
    record(actor, "judging.entries_add", "round", round_.id, entry_ids=wanted)
    _commit()
    return added


def remove_entry(actor, round_: Round, entry_id: int) -> None:
    get_round_for_organiser(actor, round_.id)
    row = db.session.scalar(
        select(RoundEntry).where(RoundEntry.round_id == round_.id, RoundEntry.entry_id == entry_id)
    )
    if row is None:
        raise NotFound("Hồ sơ không thuộc vòng chấm này.")
    scored = db.session.scalar(
        select(func.count(Assignment.id)).where(
            Assignment.round_id == round_.id,
            Assignment.entry_id == entry_id,
            Assignment.status != SheetStatus.TODO.value,
        )
    )
    if scored:
        raise Conflict("Hồ sơ đã được chấm điểm, không thể bỏ khỏi vòng chấm.")
    db.session.execute(
        delete(Assignment).where(Assignment.round_id == round_.id, Assignment.entry_id == entry_id)
    )
    db.session.delete(row)
    record(actor, "judging.entry_remove", "round", round_.id, entry_id=entry_id)
    _commit()


def set_panel_decision(actor, round_: Round, entry_id: int, value: str) -> None:
    """The panel's tie-break value for an entry (higher ranks first); blank clears it."""
    get_round_for_organiser(actor, round_.id)
    row = db.session.scalar(
        select(RoundEntry).where(RoundEntry.round_id == round_.id, RoundEntry.entry_id == entry_id)
    )
    if row is None:
        raise NotFound("Hồ sơ không thuộc vòng chấm này.")
    with _scoring_rule("panel"):
        number = scoring.parse_panel_value(value)
    text = "" if number is None else str(number)
    row.panel_decision = text
    record(actor, "judging.panel_decision", "round", round_.id, entry_id=entry_id, value=text)
    _commit()


# --- judges, invitations, profiles --------------------------------------------------------------


def round_judges(round_: Round) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(RoundJudge, RoundJudge.user_id == User.id)
            .where(RoundJudge.round_id == round_.id)
            .order_by(User.full_name, User.id)
        )
    )


def _hash(raw: str) -> str:
    return hashlib.sha256((raw or "").encode()).hexdigest()


def invite_judge(actor, round_: Round, email: str, full_name: str, organisation: str = "") -> JudgeInvitation:
    """Mail a single-use link (valid INVITATION_DAYS days) inviting someone to judge this round."""
    get_round_for_organiser(actor, round_.id)
    try:
        email_n = normalize_email(email)
    except ValidationFailed as exc:
        raise Invalid(str(exc), field="email") from exc
    try:
        name = normalize_name(full_name)
    except ValidationFailed as exc:
        raise Invalid(str(exc), field="full_name") from exc
    existing = db.session.scalar(select(User).where(User.email == email_n))
    if existing is not None and db.session.scalar(
        select(RoundJudge.id).where(RoundJudge.round_id == round_.id, RoundJudge.user_id == existing.id)
    ):
        raise Conflict(f"{existing.full_name} đã là giám khảo của vòng này.", field="email")
    raw = secrets.token_urlsafe(32)
    invitation = JudgeInvitation(
        round_id=round_.id,
        email=email_n,
        full_name=name,
        organisation=_clean(organisation, 160),
        token_hash=_hash(raw),
        invited_by_id=actor.id,
        expires_at=utcnow() + timedelta(days=INVITATION_DAYS),
    )
    db.session.add(invitation)
    _flush()
    record(actor, "judging.invite", "round", round_.id, email=email_n, invitation_id=invitation.id)
    _commit()
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


def revoke_invitation(actor, round_: Round, invitation_id: int) -> None:
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
    _commit()


def check_invitation(raw: str) -> JudgeInvitation:
    """The invitation behind a link, if it can still be used (not used, revoked or expired)."""
    invitation = db.session.scalar(select(JudgeInvitation).where(JudgeInvitation.token_hash == _hash(raw)))
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
    raw: str, *, user=None, full_name: str = "", phone: str = "", password: str | None = None
) -> User:
    """Accept an invitation: the signed-in account with the invited email, or a new account created
    now (accounts.create_user: verified, since the link proves the mailbox). Joins the round."""
    from app.accounts import services as accounts

    invitation = check_invitation(raw)
    account = invitation_account(invitation)
    if user is not None and getattr(user, "is_authenticated", False):
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
    profile = _profile(account)
    if invitation.organisation and not profile.organisation:
        profile.organisation = invitation.organisation
    invitation.accepted_at = utcnow()
    invitation.user_id = account.id
    if not db.session.scalar(
        select(RoundJudge.id).where(RoundJudge.round_id == round_.id, RoundJudge.user_id == account.id)
    ):
        db.session.add(RoundJudge(round_id=round_.id, user_id=account.id))
    _flush()
    _flag_conflicts(round_)
    record(account, "judging.invitation_accept", "round", round_.id, invitation_id=invitation.id)
    _commit()
    return account


def _ensure_contest_judge(actor_id, contest: Contest, user: User, organisation: str) -> None:
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
    if actor is None or not contests.can_manage_contest(actor, contest):
        return
    with contextlib.suppress(Conflict):  # added meanwhile by someone else: fine
        contests.add_staff(actor, contest, user.email, StaffRole.JUDGE.value, organisation)


def add_judge(actor, round_: Round, email: str) -> User:
    """Put an existing judge account (or a judge of the contest) on the round's panel."""
    get_round_for_organiser(actor, round_.id)
    try:
        email_n = normalize_email(email)
    except ValidationFailed as exc:
        raise Invalid(str(exc), field="email") from exc
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
    _ensure_contest_judge(actor.id, round_.contest, user, _profile(user).organisation)
    db.session.add(RoundJudge(round_id=round_.id, user_id=user.id))
    _flush()
    _flag_conflicts(round_)
    record(actor, "judging.judge_add", "round", round_.id, user_id=user.id)
    _commit()
    return user


def remove_judge(actor, round_: Round, user_id: int) -> None:
    get_round_for_organiser(actor, round_.id)
    row = db.session.scalar(
        select(RoundJudge).where(RoundJudge.round_id == round_.id, RoundJudge.user_id == user_id)
    )
    if row is None:
        raise NotFound("Người này không phải giám khảo của vòng chấm.")
    scored = db.session.scalar(
        select(func.count(Assignment.id)).where(
            Assignment.round_id == round_.id,
            Assignment.judge_id == user_id,
            Assignment.status != SheetStatus.TODO.value,
        )
    )
    if scored:
        raise Conflict("Giám khảo đã chấm một số hồ sơ, không thể bỏ khỏi vòng chấm.")
    db.session.execute(
        delete(Assignment).where(Assignment.round_id == round_.id, Assignment.judge_id == user_id)
    )
    db.session.delete(row)
    record(actor, "judging.judge_remove", "round", round_.id, user_id=user_id)
    _commit()


def _profile(user: User) -> JudgeProfile:
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
    from app.contests.units import commune_name

    code = (commune_code or "").strip()
    name = ""
    if code:
        name = commune_name(code) or ""
        if not name:
            raise Invalid("Xã, phường không có trong danh sách.", field="commune_code")
    profile = _profile(user)
    profile.organisation = _clean(organisation, 160)
    profile.commune_code = code
    profile.commune_name = name
    profile.expertise = _clean(expertise, 200)
    profile.updated_at = utcnow()
    _flush()
    for round_ in db.session.scalars(
        select(Round).join(RoundJudge, RoundJudge.round_id == Round.id).where(RoundJudge.user_id == user.id)
    ):
        _flag_conflicts(round_)
    record(user, "judging.profile_update", "user", user.id, organisation=profile.organisation, commune=code)
    _commit()
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


def _flag_conflicts(round_: Round) -> int:
    """Add a pending conflict for each judge × entry pair sharing an organisation or a commune with a
    team member (or the entry itself). Never touches a pair that already has a conflict row, so a
    dismissed flag stays dismissed. Joins the caller's transaction."""
    judges = round_judges(round_)
    entries = round_entries(round_)
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
        )
    )


def round_conflicts(round_: Round) -> list[ConflictOfInterest]:
    judge_ids = select(RoundJudge.user_id).where(RoundJudge.round_id == round_.id)
    entry_ids = select(RoundEntry.entry_id).where(RoundEntry.round_id == round_.id)
    return list(
        db.session.scalars(
            select(ConflictOfInterest)
            .where(ConflictOfInterest.judge_id.in_(judge_ids), ConflictOfInterest.entry_id.in_(entry_ids))
            .order_by(ConflictOfInterest.status.desc(), ConflictOfInterest.id)
        )
    )


def blocked_pairs(round_: Round) -> set[tuple[int, int]]:
    """(judge id, entry id) pairs that must not be assigned: confirmed conflicts and flags still
    waiting for an organiser's decision."""
    return {
        (c.judge_id, c.entry_id)
        for c in round_conflicts(round_)
        if c.status in (ConflictStatus.CONFIRMED.value, ConflictStatus.PENDING.value)
    }


def _drop_conflicted_assignments(actor, judge_id: int, entry_id: int, why: str) -> int:
    """A confirmed conflict removes that judge's sheets for the entry in every round not yet
    published (audited with the scores they held): a conflicted judge never scores the entry."""
    removed = 0
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
        removed += 1
    return removed


def _upsert_conflict(judge_id: int, entry_id: int, kind: str, source: str, status: str, note: str):
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
    for entry in round_entries(round_):
        if round_.blind:
            label = f"{entry.code or entry.id} – {_redactor(entry)(entry.title)}"
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
    note = (note or "").strip()[:1000]
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
    _commit()


def record_conflict(actor, round_: Round, judge_id: int, entry_id: int, kind: str, note: str = "") -> None:
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
    _commit()


def decide_conflict(
    actor, round_: Round, conflict_id: int, confirm: bool, note: str = ""
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
    row.decision_note = (note or "").strip()[:1000]
    if confirm:
        _drop_conflicted_assignments(
            actor, row.judge_id, row.entry_id, "ban tổ chức xác nhận xung đột lợi ích"
        )
    record(actor, "judging.conflict_decide", "conflict", row.id, confirm=confirm, note=row.decision_note)
    _commit()
    return row


# --- assignment ----------------------------------------------------------------------------------


def round_assignments(round_: Round) -> list[Assignment]:
    return list(
        db.session.scalars(select(Assignment).where(Assignment.round_id == round_.id).order_by(Assignment.id))
    )


def assign_judge(actor, round_: Round, judge_id: int, entry_id: int) -> Assignment:
    """Manual assignment; refused for a confirmed or still-pending conflict."""
    get_round_for_organiser(actor, round_.id)
    judge = next((j for j in round_judges(round_) if j.id == judge_id), None)
    if judge is None or entry_id not in set(round_entry_ids(round_)):
        raise NotFound("Giám khảo hoặc hồ sơ không thuộc vòng chấm này.")
    if (judge_id, entry_id) in blocked_pairs(round_):
        raise Conflict(
            f"Giám khảo {judge.full_name} có xung đột lợi ích (đã xác nhận hoặc đang chờ xác nhận) với hồ sơ "
            "này nên không thể phân công."
        )
    row = Assignment(
        round_id=round_.id, entry_id=entry_id, judge_id=judge_id, source="manual", created_by_id=actor.id
    )
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(f"Giám khảo {judge.full_name} đã được phân công chấm hồ sơ này.") from exc
    record(
        actor,
        "judging.assign",
        "assignment",
        row.id,
        round_id=round_.id,
        entry_id=entry_id,
        judge_id=judge_id,
    )
    _commit()
    return row


def unassign(actor, round_: Round, assignment_id: int) -> None:
    get_round_for_organiser(actor, round_.id)
    row = db.session.get(Assignment, assignment_id)
    if row is None or row.round_id != round_.id:
        raise NotFound("Không tìm thấy phân công này.")
    if row.status != SheetStatus.TODO.value:
        raise Conflict("Giám khảo đã bắt đầu chấm hồ sơ này nên không thể bỏ phân công.")
    record(actor, "judging.unassign", "assignment", row.id, entry_id=row.entry_id, judge_id=row.judge_id)
    db.session.delete(row)
    _commit()


def balanced_assignment(
    entry_ids: list[int],
    judge_ids: list[int],
    fixed: set[tuple[int, int]],
    blocked: set[tuple[int, int]],
    k: int,
) -> tuple[set[tuple[int, int]], dict[int, int]]:
    """New (entry, judge) pairs giving each entry up to k judges with loads as even as possible.

    fixed: pairs that stay; blocked: (judge, entry) pairs never assigned. The most constrained entries
    go first, each taking the least-loaded allowed judges; then single moves from a judge carrying two
    or more than another shift new pairs to the lighter one while that is allowed. Returns the new
    pairs and, for entries that could not get k judges, how many are missing.
    """
    load = dict.fromkeys(judge_ids, 0)
    on_entry: dict[int, set[int]] = {e: set() for e in entry_ids}
    for e, j in fixed:
        if e in on_entry and j in load:
            on_entry[e].add(j)
            load[j] += 1

    def allowed(e: int, j: int) -> bool:
        return (j, e) not in blocked and j not in on_entry[e]

    order = sorted(entry_ids, key=lambda e: (sum(1 for j in judge_ids if (j, e) not in blocked), e))
    new: set[tuple[int, int]] = set()
    missing: dict[int, int] = {}
    for e in order:
        need = k - len(on_entry[e])
        if need <= 0:
            continue
        candidates = sorted((j for j in judge_ids if allowed(e, j)), key=lambda j: (load[j], j))
        for j in candidates[:need]:
            new.add((e, j))
            on_entry[e].add(j)
            load[j] += 1
        if len(candidates) < need:
            missing[e] = need - len(candidates)

    # Local improvement: move one new pair from a heavier judge to a judge at least two lighter.
    for _ in range(len(new) * max(len(judge_ids), 1) + 1):
        moved = False
        for heavy in sorted(judge_ids, key=lambda j: -load[j]):
            for light in sorted(judge_ids, key=lambda j: load[j]):
                if load[heavy] - load[light] < 2:
                    break
                pair = next(
                    ((e, j) for (e, j) in sorted(new) if j == heavy and allowed(e, light)),
                    None,
                )
                if pair is None:
                    continue
                e = pair[0]
                new.discard(pair)
                on_entry[e].discard(heavy)
                load[heavy] -= 1
                new.add((e, light))
                on_entry[e].add(light)
                load[light] += 1
                moved = True
                break
            if moved:
                break
        if not moved:
            break
    return new, missing


@dataclass
class AssignmentReport:
    created: int = 0
    kept: int = 0
    removed: int = 0
    missing: dict[int, int] = field(default_factory=dict)  # entry id → judges still missing
    loads: dict[int, int] = field(default_factory=dict)


def auto_assign(actor, round_: Round, k: int | None = None) -> AssignmentReport:
    """Give every entry k judges (the round's setting by default), loads as even as possible.

    Re-running keeps every assignment that has scores (and manual ones), drops unscored automatic
    ones and unscored ones that now have a conflict, then fills the gaps.
    """
    get_round_for_organiser(actor, round_.id)
    with _scoring_rule("k"):
        k = scoring.check_count(
            k or round_.judges_per_entry,
            label="Số giám khảo mỗi hồ sơ",
            low=1,
            high=scoring.MAX_JUDGES_PER_ENTRY,
        )
    judges = [j.id for j in round_judges(round_)]
    entries = round_entry_ids(round_)
    if not judges:
        raise Invalid("Vòng chấm chưa có giám khảo nào.")
    if not entries:
        raise Invalid("Vòng chấm chưa có hồ sơ nào.")
    blocked = blocked_pairs(round_)
    report = AssignmentReport()
    fixed: set[tuple[int, int]] = set()
    for row in round_assignments(round_):
        scored = row.status != SheetStatus.TODO.value
        if scored or (row.source == "manual" and (row.judge_id, row.entry_id) not in blocked):
            fixed.add((row.entry_id, row.judge_id))
            report.kept += 1
        else:
            db.session.delete(row)
            report.removed += 1
    _flush()
    new, missing = balanced_assignment(entries, judges, fixed, blocked, k)
    for e, j in sorted(new):
        db.session.add(
            Assignment(round_id=round_.id, entry_id=e, judge_id=j, source="auto", created_by_id=actor.id)
        )
    report.created = len(new)
    report.missing = missing
    report.loads = dict.fromkeys(judges, 0)
    for _entry, j in fixed | new:
        report.loads[j] = report.loads.get(j, 0) + 1
    record(
        actor,
        "judging.auto_assign",
        "round",
        round_.id,
        k=k,
        created=report.created,
        kept=report.kept,
        removed=report.removed,
        missing={str(e): n for e, n in missing.items()},
    )
    _commit()
    return report


# --- score sheets --------------------------------------------------------------------------------


def get_sheet_for_judge(judge, round_id: int, entry_id: int) -> Assignment:
    """The judge's own sheet for this entry; 404 for any entry not assigned to them."""
    row = db.session.scalar(
        select(Assignment).where(
            Assignment.round_id == round_id, Assignment.entry_id == entry_id, Assignment.judge_id == judge.id
        )
    )
    if row is None:
        raise NotFound("Không tìm thấy hồ sơ này trong danh sách bạn được phân công chấm.")
    return row


@dataclass
class JudgeRound:
    round: Round
    sheets: list[Assignment]

    @property
    def done(self) -> int:
        return sum(1 for s in self.sheets if s.status == SheetStatus.SUBMITTED.value)


def judge_dashboard(judge) -> list[JudgeRound]:
    """The rounds whose panel includes the judge (newest first) with their assigned sheets in code
    order; a round with no assignment yet still shows, so conflicts can be declared early."""
    panel = list(
        db.session.scalars(
            select(Round)
            .join(RoundJudge, RoundJudge.round_id == Round.id)
            .where(RoundJudge.user_id == judge.id)
            .order_by(Round.id.desc())
        )
    )
    grouped = {round_.id: JudgeRound(round_, []) for round_ in panel}
    rows = db.session.scalars(
        select(Assignment)
        .join(Entry, Entry.id == Assignment.entry_id)
        .where(Assignment.judge_id == judge.id)
        .order_by(Assignment.round_id.desc(), Entry.code_number, Entry.id)
    )
    for row in rows:
        grouped.setdefault(row.round_id, JudgeRound(row.round, [])).sheets.append(row)
    return list(grouped.values())


def save_sheet(
    judge,
    assignment: Assignment,
    scores: dict[str, str],
    comments: dict[str, str],
    general_comment: str,
    expected_version,
    *,
    submit: bool = False,
) -> Assignment:
    """Save a draft (blanks allowed) or submit (every criterion, then the sheet locks).

    expected_version is the version the judge's page was loaded with: if the sheet changed since
    (another device saved it), the save is refused with StaleSheet and nothing is overwritten.
    """
    if assignment.judge_id != judge.id:
        raise NotFound("Không tìm thấy hồ sơ này trong danh sách bạn được phân công chấm.")
    round_ = assignment.round
    if round_.published_at is not None:
        raise Conflict("Kết quả vòng chấm đã được công bố; phiếu chấm không thể sửa nữa.", code="locked")
    if assignment.status == SheetStatus.SUBMITTED.value:
        raise Conflict(
            "Phiếu chấm đã nộp và đã được khoá. Nếu cần sửa, hãy đề nghị Ban tổ chức mở lại phiếu.",
            code="locked",
        )
    try:
        expected = int(expected_version)
    except (TypeError, ValueError) as exc:
        raise Invalid("Trang chấm điểm đã cũ. Vui lòng tải lại trang.", code="bad_version") from exc
    if expected != assignment.version:
        raise _stale(assignment)
    rubric = rubric_of(round_)
    try:
        clean = scoring.validate_sheet(rubric, scores, submit=submit)
    except scoring.SheetInvalid as exc:
        raise SheetErrors(exc.message, exc.errors) from exc
    ids = set(rubric.ids())
    assignment.scores = {cid: str(value) for cid, value in clean.items()}
    assignment.comments = {
        cid: text.strip()[:COMMENT_LIMIT]
        for cid, text in comments.items()
        if cid in ids and text and text.strip()
    }
    assignment.general_comment = (general_comment or "").strip()[:COMMENT_LIMIT]
    assignment.status = (SheetStatus.SUBMITTED if submit else SheetStatus.DRAFT).value
    assignment.updated_at = utcnow()
    if submit:
        assignment.submitted_at = assignment.updated_at
        assignment.reopen_reason = ""
    record(
        judge,
        "judging.sheet_submit" if submit else "judging.sheet_save",
        "assignment",
        assignment.id,
        round_id=round_.id,
        entry_id=assignment.entry_id,
        scores=assignment.scores,
        comments=assignment.comments,
        general_comment=assignment.general_comment,
    )
    try:
        db.session.commit()
    except StaleDataError as exc:  # another request saved between our read and our write
        db.session.rollback()
        raise _stale(db.session.get(Assignment, assignment.id)) from exc
    return assignment


def _stale(current: Assignment) -> StaleSheet:
    db.session.refresh(current)
    when = format_datetime(current.updated_at, seconds=True) if current.updated_at else ""
    return StaleSheet(
        "Phiếu chấm này vừa được lưu từ một thiết bị hoặc cửa sổ khác"
        + (f" lúc {when}" if when else "")
        + ". Điểm bạn vừa nhập CHƯA được lưu và vẫn còn trên trang; điểm đã lưu được ghi bên cạnh mỗi "
        "tiêu chí. Hãy kiểm tra rồi bấm lưu lại nếu muốn dùng điểm của bạn.",
        current,
    )


def reopen_sheet(actor, round_: Round, assignment_id: int, reason: str) -> Assignment:
    """An organiser unlocks a submitted sheet, with a reason the judge sees."""
    get_round_for_organiser(actor, round_.id)
    row = db.session.get(Assignment, assignment_id)
    if row is None or row.round_id != round_.id:
        raise NotFound("Không tìm thấy phiếu chấm này.")
    if round_.published_at is not None:
        raise Conflict("Kết quả vòng chấm đã được công bố, không thể mở lại phiếu.")
    if row.status != SheetStatus.SUBMITTED.value:
        raise Conflict("Phiếu chấm chưa nộp nên không cần mở lại.")
    reason = (reason or "").strip()[:1000]
    if len(reason) < 5:
        raise Invalid("Vui lòng ghi rõ lý do mở lại phiếu chấm.", field="reason")
    row.status = SheetStatus.DRAFT.value
    row.reopen_reason = reason
    row.updated_at = utcnow()
    record(actor, "judging.sheet_reopen", "assignment", row.id, reason=reason, scores=row.scores)
    _commit()
    send_email(
        row.judge.email,
        f"Phiếu chấm được mở lại – {round_.name}",
        "mail/judge_sheet_reopened.txt",
        assignment=row,
        round=round_,
        reason=reason,
    )
    return row


def entry_for_sheet(assignment: Assignment) -> dict:
    """What the sheet shows of the entry. Blind rounds drop everything that names the team: members,
    organisation, commune, contacts, the leader, file names (files are offered as "Tài liệu N")."""
    entry = assignment.entry
    blind = assignment.round.blind
    hide = _redactor(entry) if blind else (lambda text: text)
    files = []
    for index, f in enumerate(sorted(entry.files, key=lambda f: (f.slot_key, f.id)), start=1):
        slot = next((s for s in entry.contest.slots if s.key == f.slot_key), None)
        label = slot.label if slot else f"Tài liệu {index}"
        files.append({"id": f.id, "label": label, "kind": f.kind, "name": None if blind else f.original_name})
    view = {
        "code": entry.code or f"#{entry.id}",
        "title": hide(entry.title),
        "track": entry.track.name if entry.track else "",
        "field": entry.field,
        "summary": hide(entry.summary),
        "answers": [
            (contests.FORM_FIELDS.get(key, key), hide(str(value)))
            for key, value in (entry.answers or {}).items()
            if value and key in contests.FORM_FIELDS
        ],
        "video_url": "" if blind else entry.video_url,
        "files": files,
        "blind": blind,
    }
    if not blind:
        view["organisation"] = entry.organisation
        view["commune"] = entry.commune_name
        view["members"] = [
            {"name": m.full_name, "organisation": m.organisation, "leader": m.is_leader}
            for m in entry.members
        ]
    return view


REDACTED = "[đã ẩn]"


def _redactor(entry: Entry):
    """Blind rounds: teams often write their own names into the dossier text, so every member's
    name, organisation, email and phone (and the leader account's) is replaced in what is shown."""
    secrets_: set[str] = {entry.organisation}
    people = list(entry.members)
    for member in people:
        secrets_ |= {member.full_name, member.organisation, member.email, member.phone}
        if member.phone.startswith("+84"):
            secrets_.add("0" + member.phone[3:])
    if entry.leader is not None:
        secrets_ |= {entry.leader.full_name, entry.leader.email, entry.leader.phone or ""}
    words = sorted((s.strip() for s in secrets_ if s and len(s.strip()) >= 3), key=len, reverse=True)
    if not words:
        return lambda text: text
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    return lambda text: pattern.sub(REDACTED, text or "")


def file_for_judge(judge, round_id: int, entry_id: int, file_id: int):
    """(EntryFile, path, download name) for a judge assigned to the entry; blind rounds get a
    neutral name (code + document label), never the uploaded file name."""
    assignment = get_sheet_for_judge(judge, round_id, entry_id)
    entry = assignment.entry
    row = next((f for f in entry.files if f.id == file_id), None)
    if row is None:
        raise NotFound("Không tìm thấy tệp.")
    path = contests.file_path(row)
    if not path.is_file():
        raise NotFound("Không tìm thấy tệp.")
    name = (
        f"{entry.code or entry.id}-{row.slot_key}.{row.kind}" if assignment.round.blind else row.original_name
    )
    return row, path, name


@dataclass
class SheetLine:
    """One judge's sheet for an entry as organisers see it; total only for submitted sheets."""

    assignment: Assignment
    total: Decimal | None


def entry_sheets(actor, round_: Round, entry_id: int) -> tuple[Entry, list[SheetLine]]:
    """Every judge's sheet for one entry of the round (organisers), with the weighted totals from
    scoring.weighted_total."""
    get_round_for_organiser(actor, round_.id)
    if entry_id not in set(round_entry_ids(round_)):
        raise NotFound("Hồ sơ không thuộc vòng chấm này.")
    rubric = rubric_of(round_)
    lines = []
    for row in round_assignments(round_):
        if row.entry_id != entry_id:
            continue
        total = None
        if row.status == SheetStatus.SUBMITTED.value:
            total = scoring.weighted_total(rubric, scoring.validate_sheet(rubric, row.scores, submit=True))
        lines.append(SheetLine(row, total))
    return db.session.get(Entry, entry_id), lines


# --- progress and reminders ------------------------------------------------------------------------


@dataclass
class JudgeProgress:
    judge: User
    assigned: int = 0
    submitted: int = 0
    drafts: int = 0
    missing: list[Entry] = field(default_factory=list)


@dataclass
class EntryProgress:
    entry: Entry
    assigned: int = 0
    submitted: int = 0
    waiting_for: list[User] = field(default_factory=list)


@dataclass
class RoundProgress:
    judges: list[JudgeProgress]
    entries: list[EntryProgress]
    total: int
    submitted: int
    needed: int  # judges per entry × entries


def round_progress(round_: Round) -> RoundProgress:
    """Per judge and per entry: what is assigned, submitted and still missing."""
    judges = {j.id: JudgeProgress(j) for j in round_judges(round_)}
    entries = {e.id: EntryProgress(e) for e in round_entries(round_)}
    total = submitted = 0
    for row in round_assignments(round_):
        jp, ep = judges.get(row.judge_id), entries.get(row.entry_id)
        if jp is None or ep is None:
            continue
        total += 1
        jp.assigned += 1
        ep.assigned += 1
        if row.status == SheetStatus.SUBMITTED.value:
            jp.submitted += 1
            ep.submitted += 1
            submitted += 1
        else:
            if row.status == SheetStatus.DRAFT.value:
                jp.drafts += 1
            jp.missing.append(ep.entry)
            ep.waiting_for.append(jp.judge)
    return RoundProgress(
        list(judges.values()),
        list(entries.values()),
        total,
        submitted,
        round_.judges_per_entry * len(entries),
    )


def send_reminders(actor, round_: Round, judge_ids: list[int] | None = None) -> int:
    """Email each judge (all, or those chosen) who still has unsubmitted sheets; returns how many."""
    get_round_for_organiser(actor, round_.id)
    progress = round_progress(round_)
    targets = [p for p in progress.judges if p.missing and (judge_ids is None or p.judge.id in judge_ids)]
    record(actor, "judging.remind", "round", round_.id, judge_ids=[p.judge.id for p in targets])
    _commit()
    for item in targets:
        send_email(
            item.judge.email,
            f"Nhắc chấm điểm {round_.name} – {round_.contest.name}",
            "mail/judge_reminder.txt",
            judge=item.judge,
            round=round_,
            missing=item.missing,
            submitted=item.submitted,
            assigned=item.assigned,
        )
    return len(targets)


# --- results -------------------------------------------------------------------------------------


class _SubmittedSheets:
    """The round's submitted sheets as scoring.SheetScores, read from the database in batches each
    time they are iterated (scoring.RoundData.sheets accepts any re-iterable)."""

    __slots__ = ("round_id",)

    def __init__(self, round_id: int):
        self.round_id = round_id

    def __iter__(self):
        stmt = (
            select(Assignment.entry_id, Assignment.judge_id, Assignment.scores)
            .where(Assignment.round_id == self.round_id, Assignment.status == SheetStatus.SUBMITTED.value)
            .order_by(Assignment.id)
            .execution_options(yield_per=2000)
        )
        rows = db.session.execute(stmt)
        try:
            for entry_id, judge_id, scores in rows:
                yield scoring.SheetScores(entry_id, judge_id, scores)
        finally:  # also when prepare_round stops early on an invalid sheet
            rows.close()


def round_data(round_: Round) -> scoring.RoundData:
    """The round as plain values for scoring.py: submitted sheets only."""
    entries = [
        scoring.EntryRef(entry_id, track or "", code or f"#{entry_id}")
        for entry_id, code, track in db.session.execute(
            select(Entry.id, Entry.code, Track.name)
            .join(RoundEntry, RoundEntry.entry_id == Entry.id)
            .outerjoin(Track, Track.id == Entry.track_id)
            .where(RoundEntry.round_id == round_.id)
            .order_by(Entry.code_number, Entry.id)
        )
    ]
    # Three columns, not ORM objects, streamed: a round may hold tens of thousands of sheets, and
    # prepare_round keeps only their sums, so the decoded score dicts never all sit in memory.
    sheets = _SubmittedSheets(round_.id)
    panel = {
        row.entry_id: row.panel_decision
        for row in db.session.scalars(select(RoundEntry).where(RoundEntry.round_id == round_.id))
        if row.panel_decision
    }
    return scoring.RoundData(
        rubric=rubric_of(round_),
        entries=entries,
        sheets=sheets,
        judge_names={j.id: j.full_name for j in round_judges(round_)},
        components=_components(round_),
        component_scores=component_values(round_),
        panel_decisions=panel,
    )


def ranking_config(round_: Round) -> scoring.RankingConfig:
    keys = tuple(scoring.TieBreak(k["kind"], k.get("ref")) for k in round_.tie_breaks)
    return scoring.RankingConfig(method=scoring.Method(round_.method), tie_breaks=keys)


def advancement_rule(round_: Round) -> scoring.AdvancementRule:
    minimum = Decimal(round_.min_average) if round_.min_average else None
    return scoring.AdvancementRule(round_.top_n, minimum, round_.no_zero_criterion)


def round_overrides(round_: Round) -> list[AdvancementOverride]:
    return list(
        db.session.scalars(select(AdvancementOverride).where(AdvancementOverride.round_id == round_.id))
    )


def prize_plan(round_: Round, tracks: list[str]) -> scoring.PrizePlan | None:
    plan = round_.prize_plan or {}
    counts = plan.get("tracks", {})
    per_track = {
        track: scoring.standard_prizes(**{k: int(counts[track].get(k, 0)) for k in scoring.PRIZE_NAMES})
        for track in tracks
        if track in counts
    }
    side = tuple(
        scoring.SidePrize(s["id"], s["name"], int(s.get("count", 1)), criterion=s["criterion"])
        for s in plan.get("side", [])
    )
    if not any(per_track.values()) and not side:
        return None
    return scoring.PrizePlan({t: p for t, p in per_track.items() if p}, side)


@dataclass
class RoundResults:
    """What the organisers' results page shows."""

    round: Round
    entries: dict[int, Entry]
    comparison: scoring.Comparison | None = None
    ranking: scoring.Ranking | None = None
    advancement: scoring.AdvancementResult | None = None
    prizes: scoring.PrizeResult | None = None
    refused: str = ""  # the chosen method's refusal, or a data problem
    unsubmitted: int = 0
    overrides: dict[int, AdvancementOverride] = field(default_factory=dict)
    panel: dict[int, str] = field(default_factory=dict)

    @property
    def blockers(self) -> list[str]:
        """Why the results cannot be published yet."""
        problems = []
        if self.refused:
            problems.append(self.refused)
        if self.unsubmitted:
            problems.append(f"Còn {self.unsubmitted} phiếu chấm chưa nộp.")
        if self.advancement is not None and self.advancement.pending:
            problems.append(
                f"{len(self.advancement.pending)} hồ sơ đồng hạng tại ranh giới đi tiếp cần ban tổ chức quyết định."
            )
        if self.prizes is not None and self.prizes.ties:
            problems.extend(t.message for t in self.prizes.ties)
        return problems


def compute_results(round_: Round) -> RoundResults:
    """Rank the round under every method (scoring.compare_methods), apply the advancement rule with
    the stored overrides, and award prizes when the round has a prize plan."""
    # Members and files load only if a caller touches them (publishing mails the leader).
    entries = {
        e.id: e
        for e in db.session.scalars(
            select(Entry)
            .join(RoundEntry, RoundEntry.entry_id == Entry.id)
            .where(RoundEntry.round_id == round_.id)
            .options(lazyload(Entry.members), lazyload(Entry.files))
        )
    }
    result = RoundResults(round_, entries)
    result.overrides = {o.entry_id: o for o in round_overrides(round_)}
    result.panel = {
        row.entry_id: row.panel_decision
        for row in db.session.scalars(select(RoundEntry).where(RoundEntry.round_id == round_.id))
    }
    result.unsubmitted = db.session.scalar(
        select(func.count(Assignment.id)).where(
            Assignment.round_id == round_.id, Assignment.status != SheetStatus.SUBMITTED.value
        )
    )
    try:
        prepared = scoring.prepare_round(round_data(round_))
        config = ranking_config(round_)
        result.comparison = scoring.compare_methods(prepared, config)
        result.ranking = result.comparison.rankings.get(config.method)
        if result.ranking is None:
            result.refused = result.comparison.refused[config.method]
            return result
        overrides = [
            scoring.Override(o.entry_id, o.advance, o.reason, o.by.full_name if o.by else "")
            for o in result.overrides.values()
        ]
        result.advancement = scoring.decide_advancement(result.ranking, advancement_rule(round_), overrides)
        plan = prize_plan(round_, list(result.ranking.tracks))
        if plan is not None:
            result.prizes = scoring.award_prizes(result.ranking, plan)
    except scoring.ScoringError as exc:
        result.refused = exc.message
    return result


def set_override(actor, round_: Round, entry_id: int, decision: str, reason: str) -> None:
    """decision "advance" / "stop" records an override with its reason; "clear" removes it."""
    get_round_for_organiser(actor, round_.id)
    if round_.published_at is not None:
        raise Conflict("Kết quả đã công bố, không thể thay đổi quyết định.")
    if entry_id not in set(round_entry_ids(round_)):
        raise NotFound("Hồ sơ không thuộc vòng chấm này.")
    row = db.session.scalar(
        select(AdvancementOverride).where(
            AdvancementOverride.round_id == round_.id, AdvancementOverride.entry_id == entry_id
        )
    )
    if decision == "clear":
        if row is not None:
            record(actor, "judging.override_clear", "round", round_.id, entry_id=entry_id)
            db.session.delete(row)
            db.session.commit()
        return
    if decision not in ("advance", "stop"):
        raise Invalid("Vui lòng chọn quyết định.", field="decision")
    reason = (reason or "").strip()[:1000]
    if len(reason) < 5:
        raise Invalid("Vui lòng ghi rõ lý do của quyết định thủ công.", field="reason")
    if row is None:
        row = AdvancementOverride(round_id=round_.id, entry_id=entry_id)
        db.session.add(row)
    row.advance, row.reason, row.by_id, row.at = decision == "advance", reason, actor.id, utcnow()
    record(actor, "judging.override", "round", round_.id, entry_id=entry_id, decision=decision, reason=reason)
    _commit()


def _prize_names(result: RoundResults, entry_id: int) -> str:
    if result.prizes is None:
        return ""
    return ", ".join(a.prize_name for a in result.prizes.of(entry_id))


def publish_results(actor, round_: Round) -> int:
    """Snapshot the results for applicants and set entry states through the contests package:
    a non-final round eliminates entries that do not advance; the last round awards prizes."""
    get_round_for_organiser(actor, round_.id)
    if round_.published_at is not None:
        raise Conflict("Kết quả vòng chấm này đã được công bố.")
    result = compute_results(round_)
    if result.blockers:
        raise Conflict("Chưa thể công bố kết quả: " + " ".join(result.blockers))
    last = is_last_round(round_)
    has_prizes = result.prizes is not None
    now = utcnow()
    db.session.execute(delete(RoundResult).where(RoundResult.round_id == round_.id))
    for row in result.ranking.rows():
        entry = result.entries[row.entry.id]
        decision = result.advancement.of(row.entry.id)
        prize = _prize_names(result, row.entry.id)
        db.session.add(
            RoundResult(
                round_id=round_.id,
                entry_id=entry.id,
                rank=row.rank,
                score="" if row.score is None else str(scoring.present(row.score)),
                advances=None if last and has_prizes else bool(decision.advances),
                prize=prize,
                published_at=now,
            )
        )
        if last and has_prizes:
            _move_status(
                actor,
                entry,
                [EntryStatus.FINALIST, EntryStatus.AWARDED if prize else EntryStatus.NOT_AWARDED],
                f"Kết quả {round_.name}" + (f": {prize}" if prize else ""),
            )
        elif not decision.advances:
            _move_status(actor, entry, [EntryStatus.ELIMINATED], f"Không đi tiếp sau {round_.name}")
    round_.published_at = now
    round_.published_by_id = actor.id
    record(actor, "judging.publish", "round", round_.id, entries=len(result.entries))
    _commit()
    for entry in result.entries.values():
        _mail_result(entry, round_)
    return len(result.entries)


def _move_status(actor, entry: Entry, path: list[EntryStatus], reason: str) -> None:
    """Walk the entry along `path` through contests.change_status, skipping steps already taken or
    not allowed from its current state (a withdrawn entry stays withdrawn)."""
    from app.contests.models import TRANSITIONS

    for target in path:
        current = EntryStatus(entry.status)
        if current == target or target not in TRANSITIONS[current]:
            continue
        contests.change_status(actor, entry, target, reason=reason, action="judging", commit=False)


def _mail_result(entry: Entry, round_: Round) -> None:
    email = (
        entry.leader.email
        if entry.leader is not None
        else (entry.leader_member.email if entry.leader_member else "")
    )
    if email:
        send_email(
            email,
            f"Kết quả {round_.name} – {round_.contest.name}",
            "mail/judging_result_published.txt",
            entry=entry,
            round=round_,
        )


def advance_entries(actor, round_: Round) -> int:
    """Put the entries that advanced into the next round; entering the last round makes them finalists."""
    get_round_for_organiser(actor, round_.id)
    if round_.published_at is None:
        raise Conflict("Hãy công bố kết quả vòng này trước khi chuyển hồ sơ sang vòng sau.")
    target = next_round(round_)
    if target is None:
        raise Conflict("Đây là vòng chấm cuối cùng của cuộc thi; hãy tạo vòng sau trước.")
    advancing = list(
        db.session.scalars(
            select(RoundResult.entry_id).where(
                RoundResult.round_id == round_.id, RoundResult.advances.is_(True)
            )
        )
    )
    present_ids = set(round_entry_ids(target))
    final = is_last_round(target)
    moved = 0
    for entry_id in advancing:
        entry = db.session.get(Entry, entry_id)
        if entry.status == EntryStatus.WITHDRAWN.value:
            continue
        if entry_id not in present_ids:
            db.session.add(RoundEntry(round_id=target.id, entry_id=entry_id))
            moved += 1
        if final:
            _move_status(actor, entry, [EntryStatus.FINALIST], f"Vào {target.name}")
    round_.advanced_at = utcnow()
    _flush()
    _flag_conflicts(target)
    record(actor, "judging.advance", "round", round_.id, to_round=target.id, entries=advancing)
    _commit()
    return moved


# --- applicants ----------------------------------------------------------------------------------


def results_for_applicant(user) -> list[tuple[Entry, Round, RoundResult]]:
    """Published results of the entries this person leads or is a member of (nothing before publishing)."""
    member_of = select(TeamMember.entry_id).where(TeamMember.user_id == user.id)
    rows = db.session.execute(
        select(Entry, Round, RoundResult)
        .join(RoundResult, RoundResult.entry_id == Entry.id)
        .join(Round, Round.id == RoundResult.round_id)
        .where(or_(Entry.leader_id == user.id, Entry.id.in_(member_of)), Round.published_at.is_not(None))
        .order_by(Entry.id, Round.position)
    )
    return [tuple(r) for r in rows]


def has_published_results(user) -> bool:
    return bool(results_for_applicant(user))


def track_names(round_: Round) -> list[str]:
    names = list(
        db.session.scalars(
            select(Track.name).where(Track.contest_id == round_.contest_id).order_by(Track.position)
        )
    )
    return names or [""]
