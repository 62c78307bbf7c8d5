"""Public results (issue 13): what a published round says to everyone, read from the snapshot in
`judging_results` (RoundResult) and shown only through the contest's `public_result_fields`.

The last round (or any round with prizes) lists the awarded entries grouped by prize (Nhất →
Khuyến khích, then side prizes); an earlier round lists the entries that advance, without scores.
Contact details and birth dates are never read into a row; a score is shown only when the contest
publishes scores, and only for an awarded entry. An unpublished round, or a round of an unpublished
contest, is as missing (404).

The pages live at /cuoc-thi/<slug>/ket-qua[/<position>] (beside the contest page, outside the
judging blueprint's /cham-diem prefix), registered on the app under the "judging." endpoint names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import render_template
from flask.blueprints import BlueprintSetupState
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.contests.models import DEFAULT_PUBLIC_RESULT_FIELDS, PUBLIC_RESULT_FIELDS, Contest, Entry
from app.contests.permissions import get_public_contest
from app.contests.schedule import Milestone, register_milestones
from app.errors import NotFound
from app.extensions import db
from app.judging import bp, scoring
from app.judging.models import Round, RoundResult

# The columns a results table may have, in display order ("prize" is the group heading instead).
COLUMN_ORDER = ("code", "title", "leader", "organisation", "commune", "score")
LATEST_COUNT = 3  # published rounds on the home page


@dataclass
class PublicRow:
    """One listed entry: only the publishable values, keyed by PUBLIC_RESULT_FIELDS keys."""

    values: dict[str, str]
    track: str = ""


@dataclass
class PublicGroup:
    heading: str  # "Giải Nhất – Bảng Ý tưởng", "Danh sách đi tiếp" …
    rows: list[PublicRow] = field(default_factory=list)


@dataclass
class PublicResults:
    contest: Contest
    round: Round
    rounds: list[Round]  # every published round of the contest, in order
    awards: bool  # True: prizes; False: the list of entries that advance
    columns: list[tuple[str, str]]  # (key, label) of the shown columns
    groups: list[PublicGroup]


def shown_fields(contest: Contest) -> list[str]:
    """The contest's publishable keys, known ones only, in PUBLIC_RESULT_FIELDS order."""
    chosen = contest.public_result_fields
    if chosen is None:
        chosen = list(DEFAULT_PUBLIC_RESULT_FIELDS)
    return [key for key in PUBLIC_RESULT_FIELDS if key in set(chosen)]


def published_rounds(contest: Contest) -> list[Round]:
    """The contest's published rounds in position order (none for an unpublished contest)."""
    if not contest.is_published:
        return []
    return list(
        db.session.scalars(
            select(Round)
            .where(Round.contest_id == contest.id, Round.published_at.is_not(None))
            .order_by(Round.position)
        )
    )


def latest_published(limit: int = LATEST_COUNT) -> list[Round]:
    """The most recently published rounds of published contests (the home page's section)."""
    return list(
        db.session.scalars(
            select(Round)
            .join(Contest, Contest.id == Round.contest_id)
            .where(Round.published_at.is_not(None), Contest.is_published.is_(True))
            .order_by(Round.published_at.desc(), Round.id.desc())
            .limit(limit)
            .options(selectinload(Round.contest))
        )
    )


def latest_round_of(contest_id: int | None) -> Round | None:
    """The latest published round of a published contest, by id (an event's linked contest)."""
    if contest_id is None:
        return None
    contest = db.session.get(Contest, contest_id)
    if contest is None:
        return None
    rounds = published_rounds(contest)
    return rounds[-1] if rounds else None


def results_pending(contest: Contest) -> bool:
    """Judging has rounds but none is published yet: the contest page says so."""
    return bool(
        db.session.scalar(select(Round.id).where(Round.contest_id == contest.id).limit(1))
    ) and not published_rounds(contest)


def _prize_order(round_: Round) -> list[str]:
    """Prize names from the highest: the main prizes, then the round's side prizes."""
    side = [str(s.get("name", "")) for s in (round_.prize_plan or {}).get("side", []) if s.get("name")]
    return list(scoring.PRIZE_NAMES.values()) + side


def _split_prizes(text: str, known: list[str]) -> list[str]:
    """ "Giải Nhất, Giải ý tưởng sáng tạo nhất" → the known names it holds (a name may contain ", ")."""
    if not text:
        return []
    found, rest = [], text
    for name in sorted(known, key=len, reverse=True):  # "Giải Nhất bình chọn" before "Giải Nhất"
        if name and name in rest:
            found.append(name)
            rest = rest.replace(name, "", 1)
    extra = [part.strip() for part in rest.split(",") if part.strip()]
    return found + extra


def _row(entry: Entry, result: RoundResult, fields: list[str], *, awarded: bool) -> PublicRow:
    leader = entry.leader_member
    values = {
        "code": entry.code or "",
        "title": entry.title,
        "leader": leader.full_name if leader is not None else "",
        "organisation": entry.organisation or (leader.organisation if leader is not None else ""),
        "commune": entry.commune_name or (leader.commune_name if leader is not None else ""),
        # Scores of entries without a prize are never published, whatever the setting.
        "score": result.score if awarded else "",
    }
    return PublicRow(
        {key: values[key] for key in COLUMN_ORDER if key in fields},
        entry.track.name if entry.track is not None else "",
    )


def _snapshot(round_: Round) -> list[tuple[Entry, RoundResult]]:
    rows = db.session.execute(
        select(Entry, RoundResult)
        .join(RoundResult, RoundResult.entry_id == Entry.id)
        .where(RoundResult.round_id == round_.id)
        .order_by(RoundResult.rank.is_(None), RoundResult.rank, Entry.code_number, Entry.id)
        .options(selectinload(Entry.members))
    )
    return [(entry, result) for entry, result in rows]


def public_results(contest: Contest, round_: Round) -> PublicResults:
    """What the public results page of a published round shows (NotFound if it is not published)."""
    rounds = published_rounds(contest)
    if round_.contest_id != contest.id or round_.id not in {r.id for r in rounds}:
        raise NotFound("Chưa công bố kết quả vòng này.")
    fields = shown_fields(contest)
    snapshot = _snapshot(round_)
    plan = round_.prize_plan or {}
    awards = any(result.prize for _, result in snapshot) or bool(plan.get("tracks") or plan.get("side"))
    columns = [(key, PUBLIC_RESULT_FIELDS[key]) for key in COLUMN_ORDER if key in fields]
    if not awards:
        columns = [c for c in columns if c[0] != "score"]
    groups: list[PublicGroup] = []
    if awards:
        awarded = [(e, r) for e, r in snapshot if r.prize]
        if "prize" in fields:
            order = _prize_order(round_)
            main = set(scoring.PRIZE_NAMES.values())
            by_key: dict[tuple[int, str, str], PublicGroup] = {}
            for entry, result in awarded:
                row = _row(entry, result, fields, awarded=True)
                for name in _split_prizes(result.prize, order):
                    rank = order.index(name) if name in order else len(order)
                    track = row.track if name in main else ""
                    heading = f"{name} – {track}" if track else name
                    key = (rank, track, name)
                    by_key.setdefault(key, PublicGroup(heading)).rows.append(row)
            tracks = {name: i for i, name in enumerate(t.name for t in contest.tracks)}
            groups = [
                by_key[k] for k in sorted(by_key, key=lambda k: (k[0] >= 4, tracks.get(k[1], 99), k[0], k[2]))
            ]
        elif awarded:
            groups = [
                PublicGroup(
                    "Danh sách đạt giải",
                    sorted(
                        (_row(e, r, fields, awarded=True) for e, r in awarded),
                        key=lambda row: (row.values.get("code", ""), row.values.get("title", "")),
                    ),
                )
            ]
    else:
        advancing = sorted(
            ((e, r) for e, r in snapshot if r.advances),
            key=lambda pair: (pair[0].track.position if pair[0].track else 99, pair[0].code_number or 0),
        )
        by_track: dict[str, PublicGroup] = {}
        for entry, result in advancing:
            row = _row(entry, result, fields, awarded=False)
            heading = f"Đi tiếp – {row.track}" if row.track else "Danh sách đi tiếp"
            by_track.setdefault(heading, PublicGroup(heading)).rows.append(row)
        groups = list(by_track.values())
    return PublicResults(contest, round_, rounds, awards, columns, groups)


def results_by_position(slug: str, position: int | None) -> PublicResults:
    """The contest's round `position` (as organisers count them), or its latest published round."""
    contest = get_public_contest(slug)
    rounds = published_rounds(contest)
    if not rounds:
        raise NotFound("Chưa công bố kết quả.")
    if position is None:
        return public_results(contest, rounds[-1])
    found = next((r for r in rounds if r.position == position), None)
    if found is None:
        raise NotFound("Chưa công bố kết quả vòng này.")
    return public_results(contest, found)


# --- pages ---------------------------------------------------------------------------------------


def show_results(slug: str, position: int | None = None):
    return render_template("judging/public_results.html", results=results_by_position(slug, position))


def _register(state: BlueprintSetupState) -> None:
    """Outside /cham-diem: beside the contest page, still under the "judging." endpoint names."""
    state.app.add_url_rule("/cuoc-thi/<slug>/ket-qua", "judging.public_results", show_results)
    state.app.add_url_rule(
        "/cuoc-thi/<slug>/ket-qua/<int:position>", "judging.public_round_results", show_results
    )


def _template_globals() -> dict:
    return {
        "published_result_rounds": published_rounds,
        "latest_published_results": latest_published,
        "latest_result_round_of": latest_round_of,
        "results_pending": results_pending,
    }


bp.record_once(_register)
bp.app_context_processor(_template_globals)


@register_milestones
def round_milestones(contest: Contest) -> list[Milestone]:
    """The contest's judging rounds, for "what comes next" after an applicant submits."""
    rounds = db.session.scalars(select(Round).where(Round.contest_id == contest.id).order_by(Round.position))
    return [Milestone(r.name, r.opens_at, r.closes_at, r.published_at, r.position) for r in rounds]
