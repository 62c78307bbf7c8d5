"""Rounds and their rules: settings, the rubric, tie-breaks, organiser-scored components and the
prize plan. Each rule is checked by the pure app.judging.scoring; a refusal becomes an Invalid."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import delete, func, select

from app.accounts.models import User
from app.audit.services import record
from app.contests.models import Contest, Entry
from app.contests.permissions import manageable_contests, require_contest_manager
from app.database import commit, flush
from app.errors import Conflict, FieldErrors, Invalid, NotFound
from app.extensions import db
from app.judging import scoring
from app.judging.models import ComponentScore, Round
from app.judging.services.common import (
    get_round_for_organiser,
    results_changed,
    round_entry_ids,
    scoring_rule,
    scoring_started,
)
from app.localtime import utcnow
from app.text import fold, tidy

T = TypeVar("T")


def contest_rounds(contest: Contest) -> list[Round]:
    return list(
        db.session.scalars(select(Round).where(Round.contest_id == contest.id).order_by(Round.position))
    )


def rounds_overview(user: User) -> list[tuple[Contest, list[Round]]]:
    """Every contest the organiser manages with its rounds."""
    return [(contest, contest_rounds(contest)) for contest in manageable_contests(user)]


def rubric_of(round_: Round) -> scoring.Rubric:
    return scoring.Rubric.from_data(round_.rubric) if round_.rubric else scoring.DEFAULT_RUBRIC


def default_tie_breaks(rubric: scoring.Rubric) -> list[dict[str, str | None]]:
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


def _rule(field: str, check: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """One of scoring's pure checks; its refusal becomes an Invalid on `field`."""
    with scoring_rule(field):
        return check(*args, **kwargs)


def _apply_settings(round_: Round, settings: RoundSettings) -> None:
    """Check every setting, every refusal in one Invalid (issue 15), then change the round."""
    errors = FieldErrors()
    name = tidy(settings.name, 120, one_line=True)
    if len(name) < 2:
        errors.add("name", "Vui lòng nhập tên vòng chấm (ví dụ: Sơ khảo).")
    if settings.method not in {m.value for m in scoring.Method}:
        errors.add("method", "Cách tổng hợp điểm không hợp lệ.")
    errors.check(
        _rule,
        "judges_per_entry",
        scoring.check_count,
        settings.judges_per_entry,
        label="Số giám khảo chấm mỗi hồ sơ",
        low=1,
        high=scoring.MAX_JUDGES_PER_ENTRY,
    )
    if settings.top_n is not None:
        errors.check(
            _rule,
            "top_n",
            scoring.check_count,
            settings.top_n,
            label="Số hồ sơ đi tiếp mỗi bảng",
            low=1,
            high=scoring.MAX_TOP_N,
        )
    if settings.opens_at and settings.closes_at and settings.closes_at <= settings.opens_at:
        errors.add("closes_at", "Thời điểm kết thúc chấm phải sau thời điểm bắt đầu.")
    value = errors.check(_rule, "min_average", scoring.parse_min_average, settings.min_average)
    minimum = ""
    if value is not None:
        # Meaning, beyond the bound: a minimum above the rubric's largest total bars every entry.
        top = rubric_of(round_).max_total
        if value > top:
            errors.add(
                "min_average",
                f"Điểm trung bình tối thiểu ({scoring.format_score(value)}) lớn hơn tổng điểm tối đa "
                f"của thang điểm ({scoring.format_score(top)}).",
            )
        minimum = str(value)
    errors.raise_if_any()
    round_.name = name
    round_.description = tidy(settings.description, 4000)
    round_.opens_at = settings.opens_at
    round_.closes_at = settings.closes_at
    round_.blind = bool(settings.blind)
    round_.method = settings.method
    round_.judges_per_entry = settings.judges_per_entry
    round_.top_n = settings.top_n
    round_.min_average = minimum
    round_.no_zero_criterion = bool(settings.no_zero_criterion)


def _name_taken(name: str) -> Invalid:
    """What a round name already used in the contest (a unique constraint) becomes."""
    return Invalid(f"Cuộc thi đã có một vòng chấm tên “{name}”.", field="name")


def create_round(actor: User, contest: Contest, settings: RoundSettings) -> Round:
    """A new round at the end of the contest's list, with the default 2021 rubric."""
    require_contest_manager(actor, contest)
    last = db.session.scalar(select(func.max(Round.position)).where(Round.contest_id == contest.id)) or 0
    round_ = Round(contest_id=contest.id, position=last + 1, rubric=scoring.DEFAULT_RUBRIC.to_data())
    round_.tie_breaks = default_tie_breaks(scoring.DEFAULT_RUBRIC)
    round_.prize_plan = {}
    round_.components = []
    _apply_settings(round_, settings)
    db.session.add(round_)
    flush(_name_taken(round_.name))
    record(actor, "judging.round_create", "round", round_.id, contest_id=contest.id, name=round_.name)
    commit(_name_taken(round_.name))
    return round_


def update_round(actor: User, round_: Round, settings: RoundSettings) -> Round:
    get_round_for_organiser(actor, round_.id)
    _apply_settings(round_, settings)
    record(actor, "judging.round_update", "round", round_.id, name=round_.name, method=round_.method)
    results_changed(round_)
    commit(_name_taken(round_.name))
    return round_


def delete_round(actor: User, round_: Round) -> None:
    """Remove a round created by mistake: refused once any sheet has scores or results are out."""
    get_round_for_organiser(actor, round_.id)
    if round_.published_at is not None or scoring_started(round_):
        raise Conflict("Vòng chấm đã có điểm hoặc đã công bố kết quả nên không thể xoá.")
    record(actor, "judging.round_delete", "round", round_.id, name=round_.name, contest_id=round_.contest_id)
    db.session.delete(round_)
    commit()


def _max_and_weight(raw_max: object, raw_weight: object, what: str) -> tuple[Decimal | None, Decimal | None]:
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


def _named_rows(
    rows: list[dict[str, Any]], existing: set[str], max_name: int
) -> Iterator[tuple[int, dict[str, Any], str, str]]:
    """The rows of a criteria or components table that have a name (blank rows dropped), each with its
    line number and its id: the row's own when it names an existing item not yet used, else a new one
    made from the name (so renaming keeps an item's scores, and a copied row gets its own id)."""
    taken: set[str] = set()
    for index, row in enumerate(rows, start=1):
        name = tidy(row.get("name"), max_name, one_line=True)
        if not name:
            continue
        item_id = row.get("id") if row.get("id") in existing and row.get("id") not in taken else None
        item_id = item_id or _criterion_id(name, taken | existing)
        taken.add(item_id)
        yield index, row, name, item_id


def save_rubric(actor: User, round_: Round, rows: list[dict[str, Any]]) -> scoring.Rubric:
    """Replace the round's criteria. rows: {id?, name, description, kind, max_points, weight};
    a row with an empty name is dropped. Refused once judges have started scoring."""
    get_round_for_organiser(actor, round_.id)
    if scoring_started(round_):
        raise Conflict("Giám khảo đã bắt đầu chấm vòng này nên không thể sửa thang điểm.")
    items = []
    for index, row, name, crit_id in _named_rows(rows, {c["id"] for c in round_.rubric}, 200):
        kind = row.get("kind") or scoring.POINTS
        where = f"Dòng {index}: "
        if kind == scoring.POINTS and not str(row.get("max_points") or "").strip():
            raise Invalid(f"{where}nhập điểm tối đa của tiêu chí “{name}”.", field="rubric")
        with scoring_rule("rubric", where):
            max_points, weight = _max_and_weight(
                row.get("max_points") if kind == scoring.POINTS else scoring.SCALE_HIGH,
                row.get("weight"),
                f"tiêu chí “{name}”",
            )
        items.append(
            {
                "id": crit_id,
                "name": name,
                "kind": kind,
                "max_points": str(max_points),
                "weight": str(weight),
                "description": tidy(row.get("description"), 1000),
            }
        )
    with scoring_rule("rubric"):
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
    results_changed(round_)
    commit()
    return rubric


def save_tie_breaks(actor: User, round_: Round, keys: list[str]) -> None:
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
    results_changed(round_)
    commit()


def save_components(actor: User, round_: Round, rows: list[dict[str, Any]]) -> None:
    """Organiser-scored components (name, max points, weight): kept apart from judges' sheets."""
    get_round_for_organiser(actor, round_.id)
    items = []
    for index, row, name, comp_id in _named_rows(rows, {c["id"] for c in round_.components}, 120):
        with scoring_rule("components", f"Dòng {index}: "):
            max_points, weight = _max_and_weight(row.get("max_points"), row.get("weight"), f"“{name}”")
        if max_points is None:
            raise Invalid(f"Dòng {index}: nhập điểm tối đa của “{name}”.", field="components")
        items.append({"id": comp_id, "name": name, "max_points": str(max_points), "weight": str(weight)})
    if len(items) > scoring.MAX_COMPONENTS:
        raise Invalid(f"Vòng chấm có tối đa {scoring.MAX_COMPONENTS} điểm thành phần.", field="components")
    kept = {c["id"]: c for c in items}
    # Meaning: a lowered maximum must still hold every value already entered for that component.
    for score in db.session.scalars(select(ComponentScore).where(ComponentScore.round_id == round_.id)):
        item = kept.get(score.component_id)
        if item is not None and Decimal(score.value) > Decimal(item["max_points"]):
            raise Invalid(
                f"“{item['name']}” đã có điểm {scoring.format_score(Decimal(score.value))}, lớn hơn điểm tối đa "
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
    results_changed(round_)
    commit()


def components_of(round_: Round) -> list[scoring.Component]:
    """The round's organiser-scored components as scoring values."""
    return [
        scoring.Component(c["id"], c["name"], Decimal(c["max_points"]), Decimal(c["weight"]))
        for c in round_.components
    ]


def component_values(round_: Round) -> dict[tuple[int, str], str]:
    rows = db.session.scalars(select(ComponentScore).where(ComponentScore.round_id == round_.id))
    return {(row.entry_id, row.component_id): row.value for row in rows}


def save_component_scores(actor: User, round_: Round, values: dict[tuple[int, str], str]) -> None:
    """Set organiser-scored values; blank clears. Checked like a sheet (0..max, a number)."""
    get_round_for_organiser(actor, round_.id)
    comps = components_of(round_)
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
            entry = db.session.get_one(Entry, entry_id)
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
    results_changed(round_)
    commit()


def save_prize_plan(
    actor: User, round_: Round, tracks: dict[str, dict[str, int]], side: list[dict[str, Any]]
) -> None:
    """Prize counts per track (Nhất, Nhì, Ba, Khuyến khích) and side prizes (best on a criterion)."""
    get_round_for_organiser(actor, round_.id)
    clean_tracks: dict[str, dict[str, int]] = {}
    for track, counts in tracks.items():
        row = {}
        for prize_id, prize_name in scoring.PRIZE_NAMES.items():
            with scoring_rule("prizes"):
                row[prize_id] = scoring.check_count(
                    counts.get(prize_id) or 0,
                    label=f"Số lượng {prize_name}",
                    low=0,
                    high=scoring.MAX_PRIZE_COUNT,
                )
        clean_tracks[track] = row
    rubric_ids = set(rubric_of(round_).ids())
    component_ids = {str(c.get("id")) for c in (round_.components or [])}
    clean_side = []
    taken: set[str] = set(scoring.PRIZE_NAMES)
    for item in side:
        name = tidy(item.get("name"), 120, one_line=True)
        if not name:
            continue
        basis = str(item.get("criterion") or "")
        component = basis.removeprefix("component:") if basis.startswith("component:") else None
        if component is not None and component not in component_ids:
            raise Invalid(
                f"Giải phụ “{name}”: điểm thành phần làm căn cứ không có trong vòng này.", field="prizes"
            )
        if component is None and basis not in rubric_ids:
            raise Invalid(f"Giải phụ “{name}”: hãy chọn tiêu chí làm căn cứ.", field="prizes")
        with scoring_rule("prizes"):
            count = scoring.check_count(
                item.get("count") or 1,
                label=f"Số lượng giải “{name}”",
                low=1,
                high=scoring.MAX_SIDE_PRIZE_COUNT,
            )
        side_id = _criterion_id(name, taken)
        taken.add(side_id)
        # The best on a criterion, or on a component (e.g. "Giải do khán giả bình chọn" on the votes).
        basis_key = {"component": component} if component is not None else {"criterion": basis}
        clean_side.append({"id": side_id, "name": name, "count": count, **basis_key})
    round_.prize_plan = {"tracks": clean_tracks, "side": clean_side}
    record(actor, "judging.prizes_save", "round", round_.id, plan=round_.prize_plan)
    results_changed(round_)
    commit()
