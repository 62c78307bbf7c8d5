"""What the console, the judges' phones, the projector and the vote page read: plain JSON built from
the stage's rows, and the stage's version number that every client polls.

Transport (docs/ARCHITECTURE.md): short polling with ETags. A client sends the version it holds in
`If-None-Match`; the answer is `304 Not Modified` until the version changes. The version is read
from the database and kept for `LIVE_VERSION_CACHE_SECONDS` (0.5 s) in the shared cache (Redis when
configured, so every app instance answers with the same version and a phone moving between instances
never steps back): hundreds of phones polling every second or two cost the database a couple of
reads per second, and a change reaches every client of every instance within about 1.5 s.
Timers are sent as "started at" + duration + the server's clock, and counted down by the client.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import select

from app import shared_cache
from app.accounts.models import User
from app.contests.models import Entry, TeamMember
from app.extensions import db
from app.judging import scoring
from app.judging import services as judging
from app.judging.models import Assignment, Conflict, ConflictStatus, Round
from app.live import services, votes
from app.live.models import PHASE_LABELS, SLOT_LABELS, LiveStage
from app.localtime import utcnow


def _ms(value: Any) -> int | None:
    return int(value.timestamp() * 1000) if value is not None else None


class LiveCache:
    """Per app and process (kept in `app.extensions`): the public state built for each stage's
    version (a version's state never changes, so this copy can never be stale). Thread-safe."""

    def __init__(self) -> None:
        self._public: dict[int, tuple[int, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def version(self, key: str) -> tuple[int, int] | None:
        """(stage id, version) for a stage's id (``"id:N"``) or public key (``"key:…"``)."""
        seconds = float(current_app.config.get("LIVE_VERSION_CACHE_SECONDS", 0.5))
        found = shared_cache.remember(f"live:version:{key}", seconds, lambda: _read_version(key))
        return (int(found[0]), int(found[1])) if found is not None else None

    def public(self, stage_id: int, version: int) -> dict[str, Any] | None:
        with self._lock:
            hit = self._public.get(stage_id)
        if hit is None or hit[0] != version:
            return None
        return {**hit[1], "server_now": _ms(utcnow())}

    def remember_public(self, stage_id: int, data: dict[str, Any]) -> None:
        with self._lock:
            self._public[stage_id] = (int(data["version"]), data)


def _read_version(key: str) -> list[int] | None:
    kind, _, value = key.partition(":")
    column = LiveStage.id if kind == "id" else LiveStage.public_key
    wanted: int | str = int(value) if kind == "id" else value
    row = db.session.execute(select(LiveStage.id, LiveStage.version).where(column == wanted)).first()
    return None if row is None else [row[0], row[1]]


def _cache() -> LiveCache:
    cache: LiveCache = current_app.extensions.setdefault("live.cache", LiveCache())
    return cache


def cached_version(key: str) -> tuple[int, int] | None:
    return _cache().version(key)


def cached_public_state(stage: LiveStage | None, stage_id: int, version: int) -> dict[str, Any]:
    """The public state of a stage at `version`, built once per process and version (when a change
    makes hundreds of phones fetch at once, the first builds it, the others get it with a fresh
    server clock). `stage` is loaded by the caller only when needed (None: load it here)."""
    hit = _cache().public(stage_id, version)
    if hit is not None:
        return hit
    stage = stage or db.session.get_one(LiveStage, stage_id)
    data = public_state(stage)
    _cache().remember_public(stage_id, data)
    return data


def etag(version: int, *extra: object) -> str:
    return "-".join(str(p) for p in (version, *extra))


# --- the payloads ------------------------------------------------------------------------------------


def _entry_facts(entry: Entry) -> dict[str, Any]:
    leader = entry.leader_member
    return {
        "entry_id": entry.id,
        "code": entry.code or "",
        "title": entry.title,
        "leader": leader.full_name if leader is not None else "",
        "organisation": entry.organisation,
    }


def stage_entry_facts(stage: LiveStage) -> dict[int, dict[str, Any]]:
    """The facts of the stage's teams the hall sees, in one query of plain columns (no Entry objects,
    members or files)."""
    ids = [s.entry_id for s in stage.slots]
    rows = db.session.execute(
        select(Entry.id, Entry.code, Entry.title, Entry.organisation, TeamMember.full_name)
        .outerjoin(TeamMember, (TeamMember.entry_id == Entry.id) & TeamMember.is_leader.is_(True))
        .where(Entry.id.in_(ids))
    )
    return {
        entry_id: {
            "entry_id": entry_id,
            "code": code or "",
            "title": title,
            "leader": leader or "",
            "organisation": organisation,
        }
        for entry_id, code, title, organisation, leader in rows
    }


def public_state(stage: LiveStage) -> dict[str, Any]:
    """What anyone in the hall may see: the order, who is on stage and the timer, the revealed prizes."""
    round_ = db.session.get_one(Round, stage.round_id)
    facts = stage_entry_facts(stage)
    current = services.current_slot(stage)
    duration = stage.qa_seconds if stage.phase == "qa" else stage.pitch_seconds
    return {
        "version": stage.version,
        "round": round_.name,
        "phase": stage.phase,
        "phase_label": PHASE_LABELS[stage.phase],
        "server_now": _ms(utcnow()),
        "timer": {
            "started": _ms(stage.phase_started_at),
            "paused": _ms(stage.paused_at),
            "seconds": duration,
        },
        "current": (
            {**facts[current.entry_id], "position": current.position} if current is not None else None
        ),
        "order": [
            {
                **facts[s.entry_id],
                "position": s.position,
                "state": s.state,
                "state_label": SLOT_LABELS[s.state],
            }
            for s in stage.slots
        ],
        "total": len(stage.slots),
        "vote": {
            "enabled": stage.vote_enabled,
            "open": stage.vote_open,
            "closed": stage.vote_closed_at is not None,
        },
        "reveal": reveal(stage, round_),
    }


def reveal_levels(round_: Round) -> list[dict[str, Any]]:
    """Every prize level of the round's results, lowest first (side prizes, then Khuyến khích up to
    Giải Nhất), each with its awards. Empty while the results cannot be computed."""
    result = judging.compute_results(round_)
    if result.prizes is None:
        return []
    order = ["khuyen_khich", "ba", "nhi", "nhat"]
    levels: dict[str, dict[str, Any]] = {}
    for award in result.prizes.awards:
        level = levels.setdefault(
            award.prize_id, {"id": award.prize_id, "name": award.prize_name, "awards": []}
        )
        entry = result.entries.get(award.entry.id)
        level["awards"].append(
            {
                **(
                    _entry_facts(entry)
                    if entry is not None
                    else {"entry_id": award.entry.id, "code": award.entry.label}
                ),
                "track": award.track or "",
                "score": str(award.score.quantize(Decimal("0.01"))) if award.score is not None else "",
            }
        )
    side = [v for k, v in levels.items() if k not in order]
    main = [levels[k] for k in order if k in levels]
    return side + main


def reveal(stage: LiveStage, round_: Round) -> dict[str, Any]:
    """The projector's share of the results: nothing before release, then the revealed levels only."""
    if stage.released_at is None:
        return {"released": False, "levels": [], "shown": 0, "count": 0, "method": ""}
    levels = reveal_levels(round_)
    method = scoring.Method(round_.method)
    return {
        "released": True,
        "levels": levels[: stage.reveal_level],
        "shown": stage.reveal_level,
        "count": len(levels),
        "method": f"Cách tổng hợp điểm: {method.label}.",
    }


def judge_state(stage: LiveStage, judge: User) -> dict[str, Any]:
    """The stage as one judge sees it: whether they score the team on stage, their sheet's state,
    a conflict notice, a nudge from the chair."""
    state = public_state(stage)
    state.pop("reveal", None)
    current = services.current_slot(stage)
    sheet = None
    conflict = False
    if current is not None and current.state == "on_stage":
        row = db.session.scalar(
            select(Assignment).where(
                Assignment.round_id == stage.round_id,
                Assignment.entry_id == current.entry_id,
                Assignment.judge_id == judge.id,
            )
        )
        conflict = (
            db.session.scalar(
                select(Conflict.id).where(
                    Conflict.judge_id == judge.id,
                    Conflict.entry_id == current.entry_id,
                    Conflict.status == ConflictStatus.CONFIRMED.value,
                )
            )
            is not None
        )
        if row is not None and not conflict:
            sheet = {"entry_id": row.entry_id, "status": row.status, "version": row.version}
    state["sheet"] = sheet
    state["conflict"] = conflict
    state["nudged"] = (stage.nudges or {}).get(str(judge.id))
    return state


def console_state(stage: LiveStage) -> dict[str, Any]:
    """Everything the chair's laptop shows: the public state, each judge's sheet for the team on
    stage, the seed, the vote's live tally (organisers only until the reveal)."""
    round_ = db.session.get_one(Round, stage.round_id)
    state = public_state(stage)
    current = services.current_slot(stage)
    sheets = services.sheet_statuses(stage.round_id, current.entry_id) if current is not None else []
    state["sheets"] = [
        {
            "judge_id": s.judge_id,
            "name": s.judge_name,
            "status": s.status,
            "opened": s.opened,
            "nudged": (stage.nudges or {}).get(str(s.judge_id)),
        }
        for s in sheets
    ]
    state["all_submitted"] = bool(sheets) and all(s.status == "submitted" for s in sheets)
    state["seed"] = stage.seed
    state["released"] = stage.released_at is not None
    state["levels"] = len(reveal_levels(round_)) if stage.phase == "finished" else 0
    state["reveal_level"] = stage.reveal_level
    state["slots"] = [
        {"entry_id": s.entry_id, "position": s.position, "state": s.state, "reason": s.reason}
        for s in stage.slots
    ]
    state["tally"] = votes.tally(stage) if stage.vote_enabled else []
    return state
