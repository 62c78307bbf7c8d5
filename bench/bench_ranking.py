"""Benchmark: the full results of one large round with app.judging.scoring.

A seeded, realistic round: 10,000 entries in two tracks × 7 judges × the 6 default criteria
(70,000 submitted sheets, 420,000 scores). Each judge has a severity (some mark 10 points harsher,
some kinder) and a spread, each entry a hidden quality, so the three methods really disagree.

Measured (wall time with perf_counter, peak Python allocations with tracemalloc, process peak RSS
with resource.getrusage):
  * full    — prepare_round (validate every sheet, exact Decimal totals) + compare_methods (mean,
              trimmed mean and z-score rankings side by side with rank changes and tie-break keys)
              + decide_advancement (top 100 per track, minimum average 50, no zero criterion)
              + award_prizes;
  * baseline — what a naive implementation would do with the same Decimal scores: totals with a
              dict/sum loop, the plain mean per entry and one sort (no validation, no tie-breaks,
              no other methods, no explanations).
The ratio full / baseline says what the exactness, validation and explanations cost.
Run: .venv/bin/python bench/bench_ranking.py [entries] [judges]. No asserts on timing.
"""

from __future__ import annotations

import random
import resource
import sys
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.judging.scoring import (  # noqa: E402
    DEFAULT_RUBRIC,
    DEFAULT_TIE_BREAKS,
    AdvancementRule,
    EntryRef,
    Method,
    PrizePlan,
    RankingConfig,
    RoundData,
    SheetScores,
    SidePrize,
    award_prizes,
    compare_methods,
    decide_advancement,
    prepare_round,
    standard_prizes,
)

TRACKS = ("Bảng Ý tưởng", "Bảng Dự án")
HALVES = [Decimal(i) / 2 for i in range(0, 201)]


def make_round(n_entries: int, n_judges: int, seed: int = 2024) -> tuple[RoundData, list[dict]]:
    """Seeded entries and sheets; also returns the raw sheets as plain dicts for the baseline."""
    rng = random.Random(seed)
    entries = [EntryRef(i, TRACKS[i % 2], f"KN24-{i:05d}") for i in range(1, n_entries + 1)]
    judges = [f"gk{j}" for j in range(1, n_judges + 1)]
    severity = {j: rng.uniform(-0.15, 0.15) for j in judges}  # ±15 % of each criterion's maximum
    spread = {j: rng.uniform(0.6, 1.4) for j in judges}
    sheets: list[SheetScores] = []
    raw: list[dict] = []
    for entry in entries:
        quality = rng.betavariate(5, 3)  # most ideas middling-good, a few excellent or weak
        for judge in judges:
            scores = {}
            for crit in DEFAULT_RUBRIC.criteria:
                top = float(crit.max_points)
                value = top * (0.5 + spread[judge] * (quality - 0.5) + severity[judge] + rng.gauss(0, 0.08))
                # Judges give whole or half points; clamp into the allowed range. Decimal, as the
                # database's Numeric column hands them over.
                scores[crit.id] = HALVES[int(min(top, max(0.0, round(value * 2) / 2)) * 2)]
            sheets.append(SheetScores(entry.id, judge, scores))
            raw.append({"entry": entry.id, "judge": judge, "scores": scores})
    data = RoundData(
        DEFAULT_RUBRIC,
        entries,
        sheets,
        judge_names={j: f"Giám khảo {j[2:]}" for j in judges},
    )
    return data, raw


def full_results(data: RoundData):
    """Everything the organiser's results page needs."""
    config = RankingConfig(method=Method.ZSCORE, tie_breaks=DEFAULT_TIE_BREAKS)
    prepared = prepare_round(data)
    comparison = compare_methods(prepared, config)
    ranking = comparison.rankings[Method.ZSCORE]
    advancement = decide_advancement(ranking, AdvancementRule(top_n=100, min_average=50))
    plan = PrizePlan.uniform(
        TRACKS,
        standard_prizes(1, 2, 3, 5, min_scores={"nhat": 80}),
        [SidePrize("sang_tao", "Giải Ý tưởng sáng tạo nhất", criterion="doi_moi")],
    )
    prizes = award_prizes(ranking, plan)
    return comparison, advancement, prizes


def baseline(raw: list[dict]):
    """Naive mean of totals per entry, sorted: the floor any implementation pays."""
    sums: dict = {}
    counts: dict = {}
    for sheet in raw:
        total = sum(sheet["scores"].values())
        sums[sheet["entry"]] = sums.get(sheet["entry"], 0) + total
        counts[sheet["entry"]] = counts.get(sheet["entry"], 0) + 1
    means = {e: sums[e] / counts[e] for e in sums}
    return sorted(means, key=means.get, reverse=True)


def best_time(fn, *args, repeat: int = 3):
    """Best wall time of `repeat` runs (and the last result)."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


def peak_allocations(fn, *args) -> int:
    """Peak bytes allocated by Python during one run (tracemalloc slows the run; not timed)."""
    tracemalloc.start()
    fn(*args)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main() -> None:
    n_entries = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    n_judges = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    start = time.perf_counter()
    data, raw = make_round(n_entries, n_judges)
    rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"Round: {n_entries:,} entries × {n_judges} judges × {len(DEFAULT_RUBRIC.criteria)} criteria "
        f"({len(data.sheets):,} sheets), generated in {time.perf_counter() - start:.1f} s; "
        f"Python {sys.version.split()[0]}"
    )
    base_time, order = best_time(baseline, raw)
    full_time, (comparison, advancement, prizes) = best_time(full_results, data)
    # ru_maxrss before tracemalloc runs: the process's real peak (Linux reports KiB).
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    base_peak = peak_allocations(baseline, raw)
    full_peak = peak_allocations(full_results, data)
    print(f"baseline   {base_time * 1000:10.1f} ms   peak allocations {base_peak / 2**20:8.1f} MiB")
    print(f"full       {full_time * 1000:10.1f} ms   peak allocations {full_peak / 2**20:8.1f} MiB")
    print(
        f"ratio      {full_time / base_time:10.1f} ×    peak allocations ×{full_peak / max(base_peak, 1):.1f}"
    )
    print(
        f"process peak RSS: {rss_data:.0f} MiB after generating the input, {rss:.0f} MiB after the timed runs"
    )
    moved = len(comparison.moved())
    ties = sum(len(r.ties) for r in comparison.rankings.values())
    print(
        f"checks: {len(comparison.rows):,} rows, {moved:,} entries change rank between methods, "
        f"{ties} tie groups, {len(advancement.advancing)} advance, {len(advancement.pending)} pending, "
        f"{len(prizes.awards)} awards, {len(prizes.ties)} prize ties, refused: {sorted(comparison.refused)}; "
        f"baseline leader {order[0]}"
    )


if __name__ == "__main__":
    main()
