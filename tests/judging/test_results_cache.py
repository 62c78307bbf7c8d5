"""The computed results of a round are cached per `results_version` and every write that can change
them bumps the version in the database: a submitted sheet, an override, a rule change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.judging import services
from app.judging.models import Round
from tests.judging.conftest import scores


def _scored_round(world, points):
    """Every entry scored by two judges (doi_moi = points[entry id]); all but the last sheet submitted."""
    services.auto_assign(world.organiser, world.round, 2)
    sheets = services.round_assignments(world.round)
    for sheet in sheets[:-1]:
        services.save_sheet(
            sheet.judge,
            sheet,
            scores(doi_moi=str(points[sheet.entry_id])),
            {},
            "",
            sheet.version,
            submit=True,
        )
    return sheets[-1]


def _version(round_id: int) -> int:
    return db.session.scalar(select(Round.results_version).where(Round.id == round_id))


def _totals(result) -> dict:
    return {row.entry.id: row.score for row in result.ranking.rows()}


def test_two_reads_share_one_computation(world):
    points = {e.id: 10 + i for i, e in enumerate(world.entries)}
    _scored_round(world, points)
    first = services.compute_results(world.round)
    second = services.compute_results(world.round)
    assert first.ranking is not None
    assert second.ranking is first.ranking and second.comparison is first.comparison
    assert services.scored_round(world.round) is services.scored_round(world.round)
    # A draft does not count in results, so it leaves the cache alone.
    last = services.round_assignments(world.round)[-1]
    before = _version(world.round.id)
    services.save_sheet(last.judge, last, {"doi_moi": "3"}, {}, "", last.version)
    assert _version(world.round.id) == before
    assert services.compute_results(world.round).ranking is first.ranking


def test_a_submitted_sheet_gives_fresh_results(world):
    points = {e.id: 10 + i for i, e in enumerate(world.entries)}
    last = _scored_round(world, points)
    before = services.compute_results(world.round)
    version = _version(world.round.id)
    services.save_sheet(last.judge, last, scores(doi_moi="25"), {}, "", last.version, submit=True)
    assert _version(world.round.id) == version + 1
    after = services.compute_results(world.round)
    assert after.ranking is not before.ranking
    assert _totals(after)[last.entry_id] != _totals(before)[last.entry_id]
    assert after.unsubmitted == 0
    # Reopening it (the sheet leaves the results) bumps the version again.
    services.reopen_sheet(world.organiser, world.round, last.id, "Chấm lại tiêu chí đổi mới")
    assert _totals(services.compute_results(world.round))[last.entry_id] == _totals(before)[last.entry_id]


def test_an_override_gives_fresh_results(world):
    world.round.top_n = 1
    db.session.commit()
    points = {e.id: 10 + 2 * i for i, e in enumerate(world.entries)}
    last = _scored_round(world, points)
    services.save_sheet(
        last.judge, last, scores(doi_moi=str(points[last.entry_id])), {}, "", last.version, submit=True
    )
    rescued = world.entries[0]  # lowest score: stops by the rule
    assert services.compute_results(world.round).advancement.of(rescued.id).advances is False
    services.set_override(world.organiser, world.round, rescued.id, "advance", "Hội đồng đánh giá tiềm năng")
    assert services.compute_results(world.round).advancement.of(rescued.id).advances is True
    services.set_override(world.organiser, world.round, rescued.id, "clear", "")
    assert services.compute_results(world.round).advancement.of(rescued.id).advances is False


def test_a_rule_change_gives_fresh_results(world):
    points = {e.id: 10 + 2 * i for i, e in enumerate(world.entries)}
    last = _scored_round(world, points)
    services.save_sheet(
        last.judge, last, scores(doi_moi=str(points[last.entry_id])), {}, "", last.version, submit=True
    )
    assert len(services.compute_results(world.round).advancement.advancing) == len(world.entries)
    settings = services.RoundSettings(name=world.round.name, blind=True, judges_per_entry=2, top_n=1)
    services.update_round(world.organiser, world.round, settings)
    assert len(services.compute_results(world.round).advancement.advancing) == 2  # top 1 of each track


def test_a_write_through_another_session_is_seen_at_once(app, world):
    """What another app instance commits is read from the database: this session's loaded round
    (and this process's cache) hold the old version, yet the next read is fresh."""
    world.round.top_n = 1
    db.session.commit()
    points = {e.id: 10 + 2 * i for i, e in enumerate(world.entries)}
    last = _scored_round(world, points)
    services.save_sheet(
        last.judge, last, scores(doi_moi=str(points[last.entry_id])), {}, "", last.version, submit=True
    )
    rescued = world.entries[0]
    assert services.compute_results(world.round).advancement.of(rescued.id).advances is False
    with app.app_context():  # its own session and connection, as another instance's request
        round_ = services.get_round(world.round.id)
        organiser = db.session.merge(world.organiser, load=True)
        services.set_override(organiser, round_, rescued.id, "advance", "Quyết định của hội đồng")
        db.session.remove()
    assert services.compute_results(world.round).advancement.of(rescued.id).advances is True


def test_results_computed_inside_a_changing_transaction_are_not_cached(world):
    points = {e.id: 10 + i for i, e in enumerate(world.entries)}
    _scored_round(world, points)
    services.results_changed(world.round)
    services.compute_results(world.round)
    assert len(services.results_cache()) == 0  # that version may yet roll back
    db.session.rollback()
    services.compute_results(world.round)
    assert len(services.results_cache()) == 1


def test_the_cache_keeps_a_bounded_number_of_rounds():
    cache = services.ResultsCache(size=2)
    made = datetime(2026, 1, 1)
    for round_id in (1, 2, 3):
        cache.put((round_id, 0, made), services.ScoredRound())
    assert len(cache) == 2 and cache.get((1, 0, made)) is None
    cache.put((3, 1, made), services.ScoredRound())  # a newer version replaces the older one
    assert cache.get((3, 0, made)) is None and len(cache) == 2


def test_an_entry_moved_to_another_track_gives_fresh_results(world):
    """The contests package changes entries without knowing about rounds: their `updated_at` is part
    of the cache key, so a track moved by the organisers shows at once."""
    from app.contests.models import Entry
    from app.localtime import utcnow

    points = {e.id: 10 + i for i, e in enumerate(world.entries)}
    _scored_round(world, points)
    before = services.compute_results(world.round)
    moved = db.session.get(Entry, world.entries[0].id)
    other = next(t for t in world.contest.tracks if t.id != moved.track_id)
    moved.track_id, moved.updated_at = other.id, utcnow()
    db.session.commit()
    after = services.compute_results(world.round)
    assert after.ranking is not before.ranking
    assert services.compute_results(world.round).ranking is after.ranking
