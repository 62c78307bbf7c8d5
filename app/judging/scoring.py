"""Pure results maths for judging (SPEC §4): rubric, score-sheet checks, judges' totals, aggregation
(mean, trimmed mean, z-score), ranking with tie-break keys, methods side by side, advancement, prizes.

No Flask and no SQLAlchemy here: every function takes plain data (the dataclasses below, dicts,
tuples) and returns plain data, so the judging services can feed it from the database, the CLI and
the benchmark can feed it from anywhere, and the tests can feed it by hand (house rule 9, like
gavel's crowd_bt.py).

Pipeline::

    data = RoundData(rubric, entries, sheets, judge_names=..., components=..., component_scores=...,
                     panel_decisions=...)
    prepared = prepare_round(data)                    # validates every sheet once, sums totals
    ranking = rank_round(prepared, RankingConfig(method=Method.MEAN, tie_breaks=DEFAULT_TIE_BREAKS))
    comparison = compare_methods(prepared, config)    # the three methods side by side
    advancement = decide_advancement(ranking, AdvancementRule(top_n=10, min_average=50), overrides)
    prizes = award_prizes(ranking, PrizePlan.uniform(["Bảng Ý tưởng"], standard_prizes(...)))

Decisions (the issue left these open):

* Arithmetic is Decimal. Scores on points criteria may have at most 2 decimals; 1–5 scale scores are
  whole numbers. Judges' totals and sums are therefore exact; divisions and the z-score square roots
  run in a private 60-digit context (never the caller's global decimal context). Presented values
  are rounded half-up to 2 decimals (`present`), and thresholds (minimum average, a prize's minimum)
  are compared on that presented value, so what organisers see is what the rule applied.
* Every number people type is bounded here, for every caller (web, CLI, benchmark): a criterion's
  or component's maximum 0 < x ≤ 1000, a weight 0 < x ≤ 100, at most 2 decimals, at most 40
  criteria and a sheet total ≤ 10,000; minimum average 0..10,000; top N 1..1000; prize places
  0..50 (side prizes 1..20); the panel's value 0..1000. Text like '1e61', 'nan' or 'inf' is not a
  number. `parse_bounded` and `check_count` are the one way to read such a number.
* Ranking compares the full-precision score (quantised to 12 decimals to absorb the last-digit
  noise of square roots): 78.504 ranks above 78.496 although both show "78,50". Set
  `RankingConfig.rank_places=2` to rank on the presented value instead (then such entries go to the
  tie-break keys). Ties are competition-ranked (1, 2, 2, 4).
* z-score: each judge's totals are standardised with that judge's mean and *population* standard
  deviation over the entries they scored; an entry's value is the mean of its z-scores. A judge with
  fewer than `zscore_min_scores` sheets (default 3) or with zero variance (the same total for every
  entry) makes the method refuse with `MethodRefused`, naming the judge(s): such a judge carries no
  information about relative order, and silently dropping them (z = 0) would change the panel
  behind the organisers' back. The organisers then use mean / trimmed mean or complete the sheets.
  For display the mean z is mapped back onto the points scale with the pooled mean and standard
  deviation of all totals (a monotone map: ranks do not change), so the three methods read alike.
* Organiser-scored components (public vote, training attendance …) are a separate input, each with
  its own maximum and weight, added to the judges' aggregate (under every method). A missing
  component score counts as 0. They never enter a judge's sheet, the z-score or the minimum average.
* The minimum average of the advancement rule applies to the plain mean of the judges' totals
  (điểm trung bình của giám khảo) whatever the ranking method: z-scores are relative and cannot
  express an absolute quality bar.
* Top N counts only entries that satisfy the other conditions (minimum average, no zero criterion),
  in rank order; an entry that fails them frees its place for the next one. A tie straddling the
  cut-off (or a prize boundary) is never broken here: those entries are reported as needing a
  decision (enter a panel decision value as a tie-break key, or an override, and recompute).
* Only submitted sheets count; passing drafts is the caller's mistake (`prepare_round` validates
  every sheet as a submitted, complete sheet).

The service layer maps `ScoringError` (message in Vietnamese, `field`, `code` – the same attributes
as app.errors.DomainError) to `app.errors.Invalid`.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation, localcontext
from enum import StrEnum
from functools import cached_property
from typing import Any

# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


class ScoringError(ValueError):
    """A scoring rule said no; `message` is Vietnamese, `field` names the criterion/setting."""

    code_default = "scoring_error"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code or self.code_default


class RubricInvalid(ScoringError):
    """The rubric itself is malformed (duplicate ids, non-positive maximum …)."""

    code_default = "rubric_invalid"


class SheetInvalid(ScoringError):
    """A score sheet failed validation; `errors` maps every bad criterion id to its message."""

    code_default = "sheet_invalid"

    def __init__(
        self, message: str, *, errors: Mapping[str, str], field: str | None = None, code: str | None = None
    ):
        super().__init__(message, field=field, code=code)
        self.errors = dict(errors)


class MethodRefused(ScoringError):
    """An aggregation method cannot be applied to this round (z-score with too few scores …)."""

    code_default = "method_refused"

    def __init__(
        self,
        message: str,
        *,
        judges: Sequence[Hashable] = (),
        field: str | None = None,
        code: str | None = None,
    ):
        super().__init__(message, field=field, code=code)
        self.judges = tuple(judges)


class RuleInvalid(ScoringError):
    """A ranking setting, advancement rule, override or prize plan is malformed."""

    code_default = "rule_invalid"


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------

# Private context: wide enough that sums of squares for 10,000 entries stay exact, and never the
# caller's (thread-global) decimal context.
_CTX = Context(prec=60)
_CENT = Decimal("0.01")
_KEY_QUANTUM = Decimal("1e-12")
_NUMBER_TEXT = re.compile(r"^[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)$")
ZERO = Decimal(0)
SCALE_LOW, SCALE_HIGH = 1, 5

# Bounds on every number an organiser types (issue 9: a rubric with max_points=1e61 was accepted,
# then every page of the round failed to show "tổng … điểm"). Generous for any real contest, small
# enough that every total, mean and square stays exact in _CTX and fits its 12-character text
# column. Forms repeat them for the field errors; this module refuses them for every caller.
PLACES = 2  # decimals of points, weights, thresholds and scores
MAX_POINTS = Decimal(1000)  # a criterion's or an organiser-scored component's maximum
MAX_WEIGHT = Decimal(100)
MAX_CRITERIA = 40
MAX_COMPONENTS = 20
MAX_TOTAL = Decimal(10_000)  # a sheet's largest weighted total; also bounds the minimum average
MAX_JUDGES_PER_ENTRY = 15
MAX_TOP_N = 1000
MAX_PRIZE_COUNT = 50  # places of one main prize in one track
MAX_SIDE_PRIZE_COUNT = 20
MAX_PANEL_VALUE = Decimal(1000)  # the panel's tie-break value


def present(value: Decimal) -> Decimal:
    """Round half-up to 2 decimals: the value shown to people and compared with thresholds."""
    return value.quantize(_CENT, rounding=ROUND_HALF_UP, context=_CTX)


def format_score(value: Decimal | int | None, places: int = 2) -> str:
    """Vietnamese number text with a decimal comma: Decimal('48.5') → '48,50'; None → '—'."""
    if value is None:
        return "—"
    value = Decimal(value)
    if not value.is_finite() or value.adjusted() > 40:
        return _plain(value)  # out of every bound (data from before them): shown, never a 500
    quantum = Decimal(1).scaleb(-places)
    text = f"{value.quantize(quantum, rounding=ROUND_HALF_UP, context=_CTX):f}"
    return text.replace(".", ",")


def _plain(value: Decimal) -> str:
    """Short Vietnamese text for a limit: 25 → '25', 7.5 → '7,5'."""
    if not value.is_finite() or abs(value.adjusted()) > 20:
        # Never spell out 1E+999999999 digit by digit (a billion characters) just to cut it.
        return f"{value:.2E}".replace(".", ",") if value.is_finite() else str(value)
    text = f"{value.normalize(_CTX):f}" if value == value.to_integral_value() else f"{value:f}"
    if len(text) > 20:  # a pasted 300-digit number should not fill the error message
        text = text[:20] + "…"
    return text.replace(".", ",")


class _NotANumber(Exception):
    pass


def _parse_number(value: Any) -> Decimal | None:
    """Turn user input into a Decimal; None for blank. Accepts '7,5' (Vietnamese decimal comma)."""
    if value is None:
        return None
    if isinstance(value, bool):  # True is an int in Python, but never a score
        raise _NotANumber
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))  # shortest round-trip text: 7.1 → Decimal('7.1'), nan → NaN
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if not _NUMBER_TEXT.match(text):
            raise _NotANumber
        number = Decimal(text.replace(",", "."))
    else:
        raise _NotANumber
    return number


def _canonical(value: Decimal) -> Decimal:
    """An accepted value as it is stored: '0.5000' → 0.50, '-0' → 0 (short text, one spelling of 0)."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -PLACES:
        value = value.quantize(_CENT, context=_CTX)
    return value.copy_abs() if value.is_zero() else value


def parse_bounded(
    raw: Any,
    *,
    label: str,
    low: Decimal | int,
    high: Decimal | int,
    places: int = PLACES,
    field: str | None = None,
) -> Decimal | None:
    """A number typed by a person, checked against its range; None when blank.

    Accepts what `_parse_number` accepts ('7,5', 12, Decimal); refuses text such as '1e61', 'nan' or
    'inf', non-finite values, values outside low..high and more than `places` decimals, with a
    Vietnamese RuleInvalid naming `label`.
    """
    low, high = Decimal(low), Decimal(high)
    try:
        value = _parse_number(raw)
    except _NotANumber:
        value = Decimal("NaN")
    if value is None:
        return None
    between = f"từ {_plain(low)} đến {_plain(high)}"
    if not value.is_finite():
        raise RuleInvalid(f"{label} phải là một số {between}.", field=field, code="not_a_number")
    if not low <= value <= high:
        raise RuleInvalid(
            f"{label} phải {between} (nhận được {_plain(value)}).", field=field, code="out_of_range"
        )
    if value != value.quantize(Decimal(1).scaleb(-places), context=_CTX):
        raise RuleInvalid(
            f"{label} chỉ được có tối đa {places} chữ số thập phân."
            if places
            else f"{label} phải là số nguyên.",
            field=field,
            code="too_many_places",
        )
    return _canonical(value)


def check_count(value: Any, *, label: str, low: int, high: int, field: str | None = None) -> int:
    """A whole count (judges per entry, top N, prize places) within low..high, or RuleInvalid."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise RuleInvalid(f"{label} phải là số nguyên từ {low} đến {high}.", field=field, code="out_of_range")
    return value


# ---------------------------------------------------------------------------------------------
# Rubric
# ---------------------------------------------------------------------------------------------

POINTS = "points"
SCALE = "scale"


@dataclass(frozen=True)
class Criterion:
    """One rubric line: points 0..max_points, or a 1–5 scale multiplied by `weight`.

    A judge's weighted total is Σ score × weight; `weight` is 1 for points criteria unless set.
    """

    id: str
    name: str
    max_points: Decimal = Decimal(10)
    kind: str = POINTS
    weight: Decimal = Decimal(1)
    description: str = ""

    def __post_init__(self) -> None:
        # Accept ints and strings from callers and JSON; Rubric checks the values themselves.
        for name in ("max_points", "weight"):
            value = getattr(self, name)
            if not isinstance(value, Decimal):
                try:
                    object.__setattr__(self, name, Decimal(str(value)))
                except InvalidOperation as exc:
                    raise RubricInvalid(
                        f"Tiêu chí “{self.name}”: “{value}” không phải là một số.",
                        field=self.id,
                        code="rubric_number",
                    ) from exc

    @classmethod
    def points(cls, id: str, name: str, max_points: Any, description: str = "") -> Criterion:
        """A criterion scored 0..max_points (at most 2 decimals)."""
        return cls(id, name, max_points, POINTS, Decimal(1), description)

    @classmethod
    def scale(cls, id: str, name: str, weight: Any = 1, description: str = "") -> Criterion:
        """A criterion scored on a whole-number 1–5 scale, counting score × weight."""
        return cls(id, name, Decimal(SCALE_HIGH), SCALE, weight, description)

    @property
    def low(self) -> Decimal:
        """Smallest allowed score."""
        return Decimal(SCALE_LOW) if self.kind == SCALE else ZERO

    @property
    def high(self) -> Decimal:
        """Largest allowed score."""
        return Decimal(SCALE_HIGH) if self.kind == SCALE else self.max_points

    @property
    def max_contribution(self) -> Decimal:
        """What this criterion adds to a judge's total at most."""
        return self.high * self.weight


def _check_positive(
    value: Decimal, high: Decimal, label: str, field: str, error: type[ScoringError] = RubricInvalid
) -> None:
    """A maximum or a weight: finite, above 0, at most `high`, at most PLACES decimals."""
    if not (value.is_finite() and 0 < value <= high):
        raise error(
            f"{label} phải lớn hơn 0 và không quá {_plain(high)}"
            + (f" (nhận được {_plain(value)})." if value.is_finite() else "."),
            field=field,
            code="out_of_range",
        )
    if value != value.quantize(_CENT, context=_CTX):
        raise error(f"{label} chỉ được có tối đa {PLACES} chữ số thập phân.", field=field, code="places")


@dataclass(frozen=True)
class Rubric:
    """An ordered tuple of criteria; validated on construction (raises RubricInvalid)."""

    criteria: tuple[Criterion, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "criteria", tuple(self.criteria))
        if not self.criteria:
            raise RubricInvalid("Thang điểm phải có ít nhất một tiêu chí.", code="rubric_empty")
        if len(self.criteria) > MAX_CRITERIA:
            raise RubricInvalid(
                f"Thang điểm có tối đa {MAX_CRITERIA} tiêu chí (nhận được {len(self.criteria)}).",
                code="rubric_size",
            )
        seen: set[str] = set()
        for crit in self.criteria:
            if not crit.id or crit.id in seen:
                raise RubricInvalid(
                    f"Mã tiêu chí “{crit.id}” bị trống hoặc trùng lặp.",
                    field=crit.id,
                    code="rubric_duplicate",
                )
            seen.add(crit.id)
            if not crit.name.strip():
                raise RubricInvalid(f"Tiêu chí “{crit.id}” chưa có tên.", field=crit.id, code="rubric_name")
            if crit.kind not in (POINTS, SCALE):
                raise RubricInvalid(
                    f"Tiêu chí “{crit.name}” có kiểu chấm không hợp lệ.", field=crit.id, code="rubric_kind"
                )
            _check_positive(crit.max_points, MAX_POINTS, f"Điểm tối đa của tiêu chí “{crit.name}”", crit.id)
            _check_positive(crit.weight, MAX_WEIGHT, f"Hệ số của tiêu chí “{crit.name}”", crit.id)
        if self.max_total > MAX_TOTAL:
            raise RubricInvalid(
                f"Tổng điểm tối đa của thang điểm là {_plain(self.max_total)}, vượt quá {_plain(MAX_TOTAL)}: "
                "hãy giảm điểm tối đa hoặc hệ số của các tiêu chí.",
                code="rubric_total",
            )

    @property
    def max_total(self) -> Decimal:
        """The largest possible weighted total of one sheet."""
        return sum((c.max_contribution for c in self.criteria), ZERO)

    def get(self, criterion_id: str) -> Criterion:
        """The criterion with this id (KeyError when absent)."""
        for crit in self.criteria:
            if crit.id == criterion_id:
                return crit
        raise KeyError(criterion_id)

    def ids(self) -> tuple[str, ...]:
        """Criterion ids in rubric order."""
        return tuple(c.id for c in self.criteria)

    def to_data(self) -> list[dict[str, str]]:
        """JSON-ready list (Decimals as strings) for storing the rubric on a round."""
        return [
            {
                "id": c.id,
                "name": c.name,
                "kind": c.kind,
                "max_points": str(c.max_points),
                "weight": str(c.weight),
                "description": c.description,
            }
            for c in self.criteria
        ]

    @classmethod
    def from_data(cls, items: Iterable[Mapping[str, Any]]) -> Rubric:
        """Inverse of to_data; raises RubricInvalid on malformed items."""
        criteria = []
        for item in items:
            try:
                kind = item.get("kind", POINTS)
                if kind == SCALE:
                    crit = Criterion.scale(
                        item["id"], item["name"], item.get("weight", 1), item.get("description", "")
                    )
                else:
                    crit = Criterion(
                        item["id"],
                        item["name"],
                        Decimal(str(item["max_points"])),
                        kind,
                        Decimal(str(item.get("weight", 1))),
                        item.get("description", ""),
                    )
            except (KeyError, InvalidOperation, TypeError) as exc:
                raise RubricInvalid("Dữ liệu thang điểm không hợp lệ.", code="rubric_data") from exc
            criteria.append(crit)
        return cls(tuple(criteria))


# Quảng Ngãi 2021 (SPEC §4). The Sở did not publish the points per criterion ("organisers set the
# points"), so this default weights the contest's purpose: innovation first (25), commercial
# potential next (20), then plan, impact and pitch (15 each) and direction (10) – 100 in total.
DEFAULT_RUBRIC = Rubric(
    (
        Criterion.points(
            "doi_moi",
            "Tính đổi mới sáng tạo",
            25,
            "Ý tưởng mới so với giải pháp hiện có; mức độ sáng tạo về công nghệ, sản phẩm hoặc mô hình.",
        ),
        Criterion.points(
            "thuong_mai_hoa",
            "Khả năng thương mại hóa, khả năng tăng trưởng",
            20,
            "Có khách hàng và thị trường rõ ràng; khả năng bán được và mở rộng quy mô.",
        ),
        Criterion.points(
            "ke_hoach",
            "Kế hoạch kinh doanh",
            15,
            "Mô hình doanh thu, chi phí, nguồn lực và các bước triển khai cụ thể, khả thi.",
        ),
        Criterion.points(
            "dinh_huong",
            "Định hướng phát triển",
            10,
            "Tầm nhìn, lộ trình phát triển và kế hoạch gọi vốn trong 3–5 năm tới.",
        ),
        Criterion.points(
            "tac_dong",
            "Mức độ tác động và ý nghĩa kinh tế – xã hội",
            15,
            "Việc làm, thu nhập, môi trường và giá trị cho cộng đồng, nhất là tại Quảng Ngãi.",
        ),
        Criterion.points(
            "thuyet_trinh",
            "Khả năng thuyết trình",
            15,
            "Trình bày rõ ràng, đúng thời gian, trả lời câu hỏi của ban giám khảo thuyết phục.",
        ),
    )
)


# ---------------------------------------------------------------------------------------------
# One sheet
# ---------------------------------------------------------------------------------------------


def _check_score(crit: Criterion, raw: Any) -> tuple[Decimal | None, str | None]:
    """(value, None) when acceptable, (None, Vietnamese message) otherwise; (None, None) when blank."""
    try:
        value = _parse_number(raw)
    except _NotANumber:
        shown = str(raw)[:30]
        return None, f"Điểm của tiêu chí “{crit.name}” phải là một số (nhận được “{shown}”)."
    if value is None:
        return None, None
    if not value.is_finite():
        return None, f"Điểm của tiêu chí “{crit.name}” không phải là một số hợp lệ."
    if crit.kind == SCALE:
        if value != value.to_integral_value() or not SCALE_LOW <= value <= SCALE_HIGH:
            return None, (
                f"Điểm của tiêu chí “{crit.name}” phải là số nguyên từ {SCALE_LOW} đến {SCALE_HIGH} "
                f"(nhận được {_plain(value)})."
            )
        return _canonical(value.quantize(Decimal(1), context=_CTX)), None
    if not ZERO <= value <= crit.max_points:
        return None, (
            f"Điểm của tiêu chí “{crit.name}” phải từ 0 đến {_plain(crit.max_points)} "
            f"(nhận được {_plain(value)})."
        )
    if value != value.quantize(_CENT, context=_CTX):
        return None, (
            f"Điểm của tiêu chí “{crit.name}” chỉ được có tối đa 2 chữ số thập phân (nhận được {_plain(value)})."
        )
    return _canonical(value), None


def validate_sheet(rubric: Rubric, scores: Mapping[str, Any], *, submit: bool = True) -> dict[str, Decimal]:
    """Check one judge's scores against the rubric; returns {criterion id: Decimal}.

    submit=True (a submitted sheet) needs every criterion; submit=False (a draft) accepts blanks and
    returns only the filled ones. Raises SheetInvalid naming the first bad criterion, with all of
    them in `errors` (criterion id → message) so a form can mark each field.
    """
    known = {c.id: c for c in rubric.criteria}
    errors: dict[str, str] = {}
    for key in scores:
        if key not in known:
            errors[str(key)] = f"Tiêu chí “{key}” không có trong thang điểm của vòng thi."
    clean: dict[str, Decimal] = {}
    for crit in rubric.criteria:
        value, problem = _check_score(crit, scores.get(crit.id))
        if problem:
            errors[crit.id] = problem
        elif value is None:
            if submit:
                errors[crit.id] = f"Tiêu chí “{crit.name}” chưa được chấm điểm."
        else:
            clean[crit.id] = value
    if errors:
        first = next(iter(errors))
        raise SheetInvalid(errors[first], errors=errors, field=first)
    return clean


def weighted_total(rubric: Rubric, scores: Mapping[str, Decimal]) -> Decimal:
    """A judge's exact weighted total Σ score × weight over a complete, validated sheet."""
    return sum((scores[c.id] * c.weight for c in rubric.criteria), ZERO)


# ---------------------------------------------------------------------------------------------
# Round input
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryRef:
    """An entry in the round: its id, track (bảng) and label for messages (the entry code)."""

    id: Hashable
    track: str = ""
    label: str = ""

    @property
    def name(self) -> str:
        """What messages call it: the label, else the id."""
        return self.label or str(self.id)


@dataclass(frozen=True)
class SheetScores:
    """One judge's submitted sheet for one entry: raw per-criterion scores (validated by prepare)."""

    entry_id: Hashable
    judge_id: Hashable
    scores: Mapping[str, Any]


@dataclass(frozen=True)
class Component:
    """An organiser-scored component (public vote …): 0..max_points, added × weight to the score."""

    id: str
    name: str
    max_points: Decimal = Decimal(10)
    weight: Decimal = Decimal(1)

    def __post_init__(self) -> None:
        for name, high, what in (
            ("max_points", MAX_POINTS, "Điểm tối đa"),
            ("weight", MAX_WEIGHT, "Hệ số"),
        ):
            value = getattr(self, name)
            label = f"{what} của điểm thành phần “{self.name}”"
            try:
                number = value if isinstance(value, Decimal) else Decimal(str(value))
            except InvalidOperation as exc:
                raise RuleInvalid(f"{label} phải là một số.", field=self.id, code="component_number") from exc
            _check_positive(number, high, label, self.id, RuleInvalid)
            object.__setattr__(self, name, number)


@dataclass(frozen=True)
class RoundData:
    """Everything the results need, as plain values. Sheets must be submitted ones only.

    component_scores maps (entry id, component id) → value; panel_decisions maps entry id → the
    panel's tie-break value (higher ranks first; entries without one rank below those with one).
    """

    rubric: Rubric
    entries: Sequence[EntryRef]
    sheets: Iterable[SheetScores]  # iterated once per prepare_round; may be a re-iterable stream
    judge_names: Mapping[Hashable, str] = field(default_factory=dict)
    components: Sequence[Component] = ()
    component_scores: Mapping[tuple[Hashable, str], Any] = field(default_factory=dict)
    panel_decisions: Mapping[Hashable, Any] = field(default_factory=dict)

    def judge_name(self, judge_id: Hashable) -> str:
        """Name for messages; the id when no name was given."""
        return self.judge_names.get(judge_id) or str(judge_id)


@dataclass(frozen=True)
class PreparedRound:
    """Validated sheets reduced to the sums every method needs; build it with prepare_round."""

    data: RoundData
    entries: dict[Hashable, EntryRef]
    totals: dict[Hashable, dict[Hashable, Decimal]]  # entry → judge → weighted total
    criterion_sums: dict[Hashable, dict[str, Decimal]]  # entry → criterion → Σ raw score
    zeros: dict[Hashable, tuple[tuple[Hashable, str], ...]]  # entry → ((judge, criterion) scored 0)
    component_values: dict[Hashable, dict[str, Decimal]]  # entry → component → value
    panel: dict[Hashable, Decimal]
    # Method-independent per-entry figures, computed once so comparing methods does not repeat them.
    mean_totals: dict[Hashable, Decimal]  # plain mean of judges' totals (scored entries only)
    criterion_averages: dict[Hashable, dict[str, Decimal]]  # entry → criterion → mean raw score
    component_scores: dict[Hashable, Decimal]  # entry → Σ component value × weight


def parse_panel_value(raw: Any, label: str = "Quyết định của hội đồng") -> Decimal | None:
    """The panel's tie-break value for an entry (higher ranks first): 0..MAX_PANEL_VALUE, blank → None."""
    try:
        return parse_bounded(raw, label=label, low=0, high=MAX_PANEL_VALUE, field="panel")
    except RuleInvalid as exc:
        raise RuleInvalid(exc.message, field="panel", code="panel_invalid") from exc


def prepare_round(data: RoundData) -> PreparedRound:
    """Validate every sheet and component score once and sum what the methods need."""
    entries: dict[Hashable, EntryRef] = {}
    for ref in data.entries:
        if ref.id in entries:
            raise RuleInvalid(f"Hồ sơ {ref.name} xuất hiện hai lần trong vòng thi.", code="duplicate_entry")
        entries[ref.id] = ref
    rubric = data.rubric
    crits = rubric.criteria
    totals: dict[Hashable, dict[Hashable, Decimal]] = {e: {} for e in entries}
    sums: dict[Hashable, dict[str, Decimal]] = {e: dict.fromkeys(rubric.ids(), ZERO) for e in entries}
    zeros: dict[Hashable, list[tuple[Hashable, str]]] = defaultdict(list)
    for sheet in data.sheets:
        entry = entries.get(sheet.entry_id)
        if entry is None:
            raise RuleInvalid(
                f"Phiếu chấm của giám khảo {data.judge_name(sheet.judge_id)} thuộc hồ sơ “{sheet.entry_id}” "
                "không có trong vòng thi.",
                code="unknown_entry",
            )
        if sheet.judge_id in totals[entry.id]:
            raise RuleInvalid(
                f"Giám khảo {data.judge_name(sheet.judge_id)} có hai phiếu chấm cho hồ sơ {entry.name}.",
                code="duplicate_sheet",
            )
        try:
            clean = validate_sheet(rubric, sheet.scores, submit=True)
        except SheetInvalid as exc:
            raise SheetInvalid(
                f"Phiếu chấm của giám khảo {data.judge_name(sheet.judge_id)} cho hồ sơ {entry.name}: {exc.message}",
                errors=exc.errors,
                field=exc.field,
                code=exc.code,
            ) from exc
        entry_sums = sums[entry.id]
        total = ZERO
        for crit in crits:
            value = clean[crit.id]
            total += value * crit.weight
            entry_sums[crit.id] += value
            if not value:
                zeros[entry.id].append((sheet.judge_id, crit.id))
        totals[entry.id][sheet.judge_id] = total

    if len(data.components) > MAX_COMPONENTS:
        raise RuleInvalid(f"Vòng thi có tối đa {MAX_COMPONENTS} điểm thành phần.", code="components_size")
    known_components = {c.id: c for c in data.components}
    component_values: dict[Hashable, dict[str, Decimal]] = {e: {} for e in entries}
    for (entry_id, component_id), raw in data.component_scores.items():
        comp = known_components.get(component_id)
        if entry_id not in entries or comp is None:
            raise RuleInvalid(
                f"Điểm thành phần “{component_id}” của hồ sơ “{entry_id}” không thuộc vòng thi.",
                code="unknown_component",
            )
        comp_value, problem = _check_score(Criterion(comp.id, comp.name, comp.max_points), raw)
        if problem:
            raise RuleInvalid(
                f"Hồ sơ {entries[entry_id].name}: {problem.replace('tiêu chí', 'thành phần', 1)}",
                field=comp.id,
                code="component_invalid",
            )
        if comp_value is not None:
            component_values[entry_id][comp.id] = comp_value

    panel: dict[Hashable, Decimal] = {}
    for entry_id, raw in data.panel_decisions.items():
        if entry_id not in entries:
            raise RuleInvalid(f"Quyết định của hội đồng cho hồ sơ “{entry_id}” không thuộc vòng thi.")
        decision = parse_panel_value(
            raw, f"Giá trị quyết định của hội đồng cho hồ sơ {entries[entry_id].name}"
        )
        if decision is not None:
            panel[entry_id] = decision

    with localcontext(_CTX):
        mean_totals = {e: mean(list(js.values())) for e, js in totals.items() if js}
        averages = {e: {c: v / len(totals[e]) for c, v in sums[e].items()} for e in mean_totals}
        weights = {c: known_components[c].weight for c in known_components}
        component_scores = {
            e: sum((v * weights[c] for c, v in values.items()), ZERO)
            for e, values in component_values.items()
        }
    return PreparedRound(
        data=data,
        entries=entries,
        totals=totals,
        criterion_sums=sums,
        zeros={e: tuple(z) for e, z in zeros.items()},
        component_values=component_values,
        panel=panel,
        mean_totals=mean_totals,
        criterion_averages=averages,
        component_scores=component_scores,
    )


def _prepared(data: RoundData | PreparedRound) -> PreparedRound:
    return data if isinstance(data, PreparedRound) else prepare_round(data)


# ---------------------------------------------------------------------------------------------
# Aggregation
# ---------------------------------------------------------------------------------------------


class Method(StrEnum):
    """How judges' totals become one score per entry."""

    MEAN = "mean"
    TRIMMED_MEAN = "trimmed_mean"
    ZSCORE = "zscore"

    @property
    def label(self) -> str:
        """Vietnamese name for the organiser's screens."""
        return METHOD_LABELS[self]


METHOD_LABELS = {
    Method.MEAN: "Trung bình cộng",
    Method.TRIMMED_MEAN: "Trung bình bỏ điểm cao nhất và thấp nhất",
    Method.ZSCORE: "Chuẩn hoá điểm z theo từng giám khảo",
}


def mean(values: Sequence[Decimal]) -> Decimal:
    """Arithmetic mean in the private 60-digit context (empty → ValueError)."""
    if not values:
        raise ValueError("mean of no values")
    with localcontext(_CTX):
        return sum(values, ZERO) / len(values)


def trimmed_mean(values: Sequence[Decimal], threshold: int = 5) -> Decimal:
    """Drop one highest and one lowest value when there are ≥ threshold values, then average."""
    if len(values) >= threshold:
        ordered = sorted(values)
        return mean(ordered[1:-1])
    return mean(values)


def aggregate(
    totals: Mapping[Hashable, Mapping[Hashable, Decimal]],
    method: Method | str,
    *,
    trim_threshold: int = 5,
    zscore_min_scores: int = 3,
    judge_names: Mapping[Hashable, str] | None = None,
) -> dict[Hashable, Decimal]:
    """One score per entry from {entry: {judge: total}} (entries without totals are left out).

    z-score values are mapped back onto the points scale (see module docstring); raises
    MethodRefused when a judge has too few scores or zero variance.
    """
    scores, _z, _sd = _aggregate(totals, Method(method), trim_threshold, zscore_min_scores, judge_names or {})
    return scores


def _aggregate(
    totals: Mapping[Hashable, Mapping[Hashable, Decimal]],
    method: Method,
    trim_threshold: int,
    zscore_min_scores: int,
    judge_names: Mapping[Hashable, str],
) -> tuple[dict[Hashable, Decimal], dict[Hashable, Decimal] | None, Decimal | None]:
    """(entry → score, entry → mean z or None, pooled sd or None) for the scored entries."""
    scored = {e: js for e, js in totals.items() if js}
    if method is Method.MEAN:
        return {e: mean(list(js.values())) for e, js in scored.items()}, None, None
    if method is Method.TRIMMED_MEAN:
        return {e: trimmed_mean(list(js.values()), trim_threshold) for e, js in scored.items()}, None, None
    z_means, mu, sigma = _zscore_means(scored, zscore_min_scores, judge_names)
    with localcontext(_CTX):
        return {e: mu + sigma * z for e, z in z_means.items()}, z_means, sigma


def _zscore_means(
    totals: Mapping[Hashable, Mapping[Hashable, Decimal]],
    min_scores: int,
    judge_names: Mapping[Hashable, str],
) -> tuple[dict[Hashable, Decimal], Decimal, Decimal]:
    """(entry → mean z, pooled mean, pooled standard deviation), or MethodRefused.

    z = (n·t − S) / sqrt(n·Q − S²) with n, S, Q the judge's count, sum and sum of squares: the
    numerator and radicand are exact, so adding a constant to all of one judge's totals leaves
    every z bit-for-bit identical (the property tests rely on it), and zero variance is an exact 0.
    """
    if not totals:
        return {}, ZERO, ZERO
    with localcontext(_CTX):
        by_judge: dict[Hashable, list[Decimal]] = defaultdict(list)
        for judge_totals in totals.values():
            for judge, total in judge_totals.items():
                by_judge[judge].append(total)
        few, flat = [], []
        stats: dict[Hashable, tuple[Decimal, Decimal, Decimal]] = {}
        for judge, values in by_judge.items():
            n = Decimal(len(values))
            s = sum(values, ZERO)
            if len(values) < min_scores:
                few.append((judge, len(values)))
                continue
            radicand = n * sum((v * v for v in values), ZERO) - s * s
            if radicand == 0:
                flat.append((judge, values[0]))
                continue
            stats[judge] = (n, s, radicand.sqrt())
        if few or flat:
            names = judge_names or {}
            parts = [
                f"giám khảo {names.get(j) or j} mới có {k} phiếu chấm (cần ít nhất {min_scores})"
                for j, k in few
            ] + [
                f"giám khảo {names.get(j) or j} cho mọi hồ sơ cùng tổng điểm {format_score(v)} "
                "nên không tính được độ lệch chuẩn"
                for j, v in flat
            ]
            raise MethodRefused(
                "Không thể chuẩn hoá điểm z: "
                + "; ".join(parts)
                + ". Điểm z so sánh mỗi hồ sơ với các hồ sơ khác cùng một giám khảo chấm, nên cần đủ phiếu "
                "và điểm có chênh lệch. Hãy dùng cách tính trung bình cộng hoặc trung bình bỏ điểm cao "
                "nhất và thấp nhất, hoặc bổ sung phiếu chấm rồi tính lại.",
                judges=[j for j, _ in few] + [j for j, _ in flat],
                code="zscore_refused",
            )
        z_means: dict[Hashable, Decimal] = {}
        count = ZERO
        pooled_sum = ZERO
        pooled_squares = ZERO
        for entry, judge_totals in totals.items():
            acc = ZERO
            for judge, total in judge_totals.items():
                n, s, root = stats[judge]
                acc += (n * total - s) / root
                pooled_sum += total
                pooled_squares += total * total
            z_means[entry] = acc / len(judge_totals)
            count += len(judge_totals)
        pooled_mean = pooled_sum / count
        pooled_sd = (count * pooled_squares - pooled_sum * pooled_sum).sqrt() / count
        return z_means, pooled_mean, pooled_sd


# ---------------------------------------------------------------------------------------------
# Ranking
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TieBreak:
    """A tie-break key after the score: a criterion's average, a component, or the panel's decision."""

    kind: str  # "criterion" | "component" | "panel"
    ref: str | None = None

    @classmethod
    def criterion(cls, criterion_id: str) -> TieBreak:
        """Higher average raw score on this criterion ranks first."""
        return cls("criterion", criterion_id)

    @classmethod
    def component(cls, component_id: str) -> TieBreak:
        """Higher organiser-scored component ranks first."""
        return cls("component", component_id)

    @classmethod
    def panel(cls) -> TieBreak:
        """The panel's decision value (RoundData.panel_decisions), higher first."""
        return cls("panel")

    def label(self, data: RoundData) -> str:
        """Vietnamese description for explanations."""
        if self.kind == "criterion":
            return f"điểm tiêu chí “{data.rubric.get(str(self.ref)).name}”"
        if self.kind == "component":
            name = next((c.name for c in data.components if c.id == self.ref), self.ref)
            return f"điểm thành phần “{name}”"
        return "quyết định của hội đồng"


# For DEFAULT_RUBRIC: innovation (the contest's point), then commercial potential, then the panel.
DEFAULT_TIE_BREAKS = (TieBreak.criterion("doi_moi"), TieBreak.criterion("thuong_mai_hoa"), TieBreak.panel())


@dataclass(frozen=True)
class RankingConfig:
    """The round's results settings."""

    method: Method = Method.MEAN
    tie_breaks: Sequence[TieBreak] = ()
    trim_threshold: int = 5
    zscore_min_scores: int = 3
    rank_places: int | None = None  # None: rank on full precision; 2: on the presented value


@dataclass(frozen=True)
class RankedEntry:
    """One entry's result under one method. rank is None for an entry without submitted sheets."""

    entry: EntryRef
    rank: int | None
    score: Decimal | None  # judges' aggregate + components, full precision
    judges_score: Decimal | None  # aggregate of judges' totals by the method
    components_score: Decimal  # Σ component value × weight
    mean_total: Decimal | None  # plain mean of judges' totals (the minimum-average rule uses it)
    judge_count: int
    judge_totals: Mapping[Hashable, Decimal]
    criterion_averages: Mapping[str, Decimal]
    components: Mapping[str, Decimal]
    zeros: tuple[tuple[Hashable, str], ...]  # (judge, criterion) pairs scored 0
    tie_key_values: tuple[Decimal | None, ...]  # values of the tie-break keys, in order
    tied: bool = False  # still equal after every key: shares its rank, needs a decision
    tied_with: tuple[Hashable, ...] = ()
    decided_by: str | None = None  # the tie-break key that separated it from equal scores

    @property
    def shown_score(self) -> Decimal | None:
        """Score rounded to 2 decimals for display."""
        return None if self.score is None else present(self.score)


@dataclass(frozen=True)
class TieGroup:
    """Entries of one track still tied after all tie-break keys."""

    track: str
    rank: int
    entry_ids: tuple[Hashable, ...]
    message: str


@dataclass(frozen=True)
class Ranking:
    """Per-track ranked entries (rank order; unscored entries last with rank None)."""

    method: Method
    config: RankingConfig
    data: RoundData
    tracks: dict[str, tuple[RankedEntry, ...]]
    ties: tuple[TieGroup, ...]

    def entry(self, entry_id: Hashable) -> RankedEntry:
        """The result of one entry (KeyError when absent)."""
        for rows in self.tracks.values():
            for row in rows:
                if row.entry.id == entry_id:
                    return row
        raise KeyError(entry_id)

    def rows(self) -> list[RankedEntry]:
        """All entries, track by track, in rank order."""
        return [row for rows in self.tracks.values() for row in rows]


def _quantise_key(value: Decimal, places: int | None) -> Decimal:
    if places is None:
        return value.quantize(_KEY_QUANTUM, context=_CTX)
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=_CTX)


def _check_config(prep: PreparedRound, config: RankingConfig) -> None:
    if config.trim_threshold < 3:
        raise RuleInvalid(
            "Ngưỡng bỏ điểm cao nhất/thấp nhất phải từ 3 giám khảo trở lên.", code="trim_threshold"
        )
    if config.zscore_min_scores < 2:
        raise RuleInvalid("Số phiếu tối thiểu cho điểm z phải từ 2 trở lên.", code="zscore_min")
    rubric_ids = set(prep.data.rubric.ids())
    component_ids = {c.id for c in prep.data.components}
    for key in config.tie_breaks:
        if (
            (key.kind == "criterion" and key.ref not in rubric_ids)
            or (key.kind == "component" and key.ref not in component_ids)
            or key.kind not in ("criterion", "component", "panel")
        ):
            raise RuleInvalid(
                f"Tiêu chí phân định đồng hạng “{key.ref or key.kind}” không hợp lệ.", code="tie_break"
            )


def rank_round(data: RoundData | PreparedRound, config: RankingConfig | None = None) -> Ranking:
    """Rank every track by the config's method and tie-break keys (competition ranking 1, 2, 2, 4).

    Raises MethodRefused when the method cannot be applied (z-score), RuleInvalid on bad settings.
    """
    prep = _prepared(data)
    config = config or RankingConfig()
    method = Method(config.method)
    _check_config(prep, config)
    rd = prep.data
    components = {c.id: c for c in rd.components}

    # Pass 1: the method's score and the sort key of every scored entry.
    items_by_track: dict[str, list[tuple[tuple[Any, ...], EntryRef, Decimal, tuple[Any, ...]]]] = defaultdict(
        list
    )
    track_order: list[str] = []
    with localcontext(_CTX):
        judges_scores, z_means, z_sd = _aggregate(
            prep.totals, method, config.trim_threshold, config.zscore_min_scores, rd.judge_names
        )
        for entry in prep.entries.values():
            if entry.track not in track_order:
                track_order.append(entry.track)
            if entry.id not in judges_scores:
                continue
            comp_score = prep.component_scores[entry.id]
            key_values = _tie_key_values(prep, entry.id, config.tie_breaks, components)
            score = judges_scores[entry.id] + comp_score
            if z_means is not None and z_sd is not None and config.rank_places is None:
                # z-score ranks on mean z (+ components in z units), not on the rescaled value: mean
                # z is bit-identical when a judge shifts all scores, so ranks cannot wobble.
                primary = z_means[entry.id] + comp_score / z_sd
            else:
                primary = score
            sort_key = (_quantise_key(primary, config.rank_places),) + tuple(
                (0, ZERO) if v is None else (1, _quantise_key(v, None)) for v in key_values
            )
            items_by_track[entry.track].append((sort_key, entry, score, key_values))

    # Pass 2: sort, competition ranks, ties, and which key decided.
    tracks: dict[str, tuple[RankedEntry, ...]] = {}
    ties: list[TieGroup] = []
    labels = [key.label(rd) for key in config.tie_breaks]
    for track in track_order:
        items = items_by_track.get(track, [])
        # Stable two-pass sort: label order inside a tie (only for display), then key, best first.
        items.sort(key=lambda item: (item[1].name, str(item[1].id)))
        items.sort(key=lambda item: item[0], reverse=True)
        ranked: list[RankedEntry] = []
        i = 0
        while i < len(items):
            j = i + 1
            while j < len(items) and items[j][0] == items[i][0]:
                j += 1
            rank = i + 1
            if j - i > 1:
                ids = tuple(item[1].id for item in items[i:j])
                for _key, entry, score, key_values in items[i:j]:
                    others = tuple(x for x in ids if x != entry.id)
                    ranked.append(_ranked(prep, entry, rank, score, judges_scores, key_values, others, None))
                names = ", ".join(item[1].name for item in items[i:j])
                where = f"{track}: " if track else ""
                ties.append(
                    TieGroup(
                        track,
                        rank,
                        ids,
                        f"{where}{j - i} hồ sơ đồng hạng {rank} ({names}) sau mọi tiêu chí phân định "
                        "— cần hội đồng quyết định.",
                    )
                )
            else:
                key, entry, score, key_values = items[i]
                # The deepest key separating this entry from equal-score neighbours; in a
                # lexicographic sort the neighbours share the longest prefix, so two looks suffice.
                depth = 0
                for other in (i - 1, i + 1):
                    if 0 <= other < len(items) and items[other][0][0] == key[0]:
                        depth = max(depth, _first_difference(key, items[other][0]))
                decided = labels[depth - 1] if depth else None
                ranked.append(_ranked(prep, entry, rank, score, judges_scores, key_values, (), decided))
            i = j
        unscored = sorted(
            (e for e in prep.entries.values() if e.track == track and e.id not in judges_scores),
            key=lambda e: (e.name, str(e.id)),
        )
        for entry in unscored:
            ranked.append(_ranked(prep, entry, None, None, judges_scores, (), (), None))
        tracks[track] = tuple(ranked)
    return Ranking(method, config, rd, tracks, tuple(ties))


def _tie_key_values(
    prep: PreparedRound,
    entry_id: Hashable,
    tie_breaks: Sequence[TieBreak],
    components: Mapping[str, Component],
) -> tuple[Decimal | None, ...]:
    values: list[Decimal | None] = []
    for key in tie_breaks:
        # _check_config has made sure every criterion and component key names one (ref is set).
        if key.kind == "criterion" and key.ref is not None:
            values.append(prep.criterion_averages[entry_id][key.ref])
        elif key.kind == "component" and key.ref is not None:
            values.append(prep.component_values[entry_id].get(key.ref, ZERO) * components[key.ref].weight)
        else:
            values.append(prep.panel.get(entry_id))
    return tuple(values)


def _ranked(
    prep: PreparedRound,
    entry: EntryRef,
    rank: int | None,
    score: Decimal | None,
    judges_scores: Mapping[Hashable, Decimal],
    key_values: tuple[Decimal | None, ...],
    tied_with: tuple[Hashable, ...],
    decided_by: str | None,
) -> RankedEntry:
    judge_totals = prep.totals[entry.id]
    return RankedEntry(
        entry=entry,
        rank=rank,
        score=score,
        judges_score=judges_scores.get(entry.id),
        components_score=prep.component_scores[entry.id],
        mean_total=prep.mean_totals.get(entry.id),
        judge_count=len(judge_totals),
        judge_totals=judge_totals,
        criterion_averages=prep.criterion_averages.get(entry.id, {}),
        components=prep.component_values[entry.id],
        zeros=prep.zeros.get(entry.id, ()),
        tie_key_values=key_values,
        tied=bool(tied_with),
        tied_with=tied_with,
        decided_by=decided_by,
    )


def _first_difference(a: tuple[Any, ...], b: tuple[Any, ...]) -> int:
    """Index of the first differing key (1-based for tie-break keys; 0 means the score differs)."""
    for index, (x, y) in enumerate(zip(a, b, strict=True)):
        if x != y:
            return index
    return 0


# ---------------------------------------------------------------------------------------------
# Methods side by side
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MethodCell:
    """An entry under one method: score, rank, and rank change = chosen rank − this rank.

    change > 0: the entry would rank higher (smaller number) under this method; None when either
    rank is missing.
    """

    score: Decimal | None
    rank: int | None
    change: int | None


@dataclass(frozen=True)
class ComparisonRow:
    """One entry across the methods."""

    entry: EntryRef
    cells: Mapping[Method, MethodCell]


@dataclass(frozen=True)
class Comparison:
    """The three methods side by side; refused methods carry their Vietnamese explanation."""

    chosen: Method
    rows: tuple[ComparisonRow, ...]  # in the chosen method's order (mean's when chosen is refused)
    rankings: Mapping[Method, Ranking]
    refused: Mapping[Method, str]

    def moved(self) -> list[ComparisonRow]:
        """Rows whose rank differs under some available method."""
        return [r for r in self.rows if any(c.change for c in r.cells.values())]


def compare_methods(data: RoundData | PreparedRound, config: RankingConfig | None = None) -> Comparison:
    """Rank under every method and report each entry's score, rank and change against config.method."""
    prep = _prepared(data)
    config = config or RankingConfig()
    chosen = Method(config.method)
    rankings: dict[Method, Ranking] = {}
    refused: dict[Method, str] = {}
    for method in Method:
        try:
            rankings[method] = rank_round(prep, replace(config, method=method))
        except MethodRefused as exc:
            refused[method] = exc.message
    base = rankings.get(chosen) or rankings[Method.MEAN]
    chosen_ranks = {r.entry.id: r.rank for r in rankings[chosen].rows()} if chosen in rankings else {}
    lookups = {m: {r.entry.id: r for r in rk.rows()} for m, rk in rankings.items()}
    rows = []
    for row in base.rows():
        cells = {}
        for method in Method:
            other = lookups.get(method, {}).get(row.entry.id)
            if other is None:
                continue
            mine = chosen_ranks.get(row.entry.id)
            change = mine - other.rank if mine is not None and other.rank is not None else None
            cells[method] = MethodCell(other.score, other.rank, change)
        rows.append(ComparisonRow(row.entry, cells))
    return Comparison(chosen, tuple(rows), rankings, refused)


# ---------------------------------------------------------------------------------------------
# Advancement
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdvancementRule:
    """Who moves on: top N per track among entries meeting the minimum average and no-zero rule."""

    top_n: int | None = None
    min_average: Decimal | None = None
    no_zero_criterion: bool = True


@dataclass(frozen=True)
class Override:
    """An organiser's decision on top of the rule; the reason is mandatory."""

    entry_id: Hashable
    advance: bool
    reason: str
    by: str = ""


@dataclass(frozen=True)
class AdvancementDecision:
    """automatic: the rule's verdict (None = tied at the cut-off); advances: after overrides."""

    entry: EntryRef
    rank: int | None
    automatic: bool | None
    advances: bool | None
    reasons: tuple[str, ...]
    override: Override | None = None


@dataclass(frozen=True)
class AdvancementResult:
    """Decisions track by track in rank order."""

    decisions: tuple[AdvancementDecision, ...]

    @property
    def advancing(self) -> tuple[AdvancementDecision, ...]:
        """Entries that move on."""
        return tuple(d for d in self.decisions if d.advances)

    @property
    def pending(self) -> tuple[AdvancementDecision, ...]:
        """Entries tied at a cut-off that still need an organiser's decision."""
        return tuple(d for d in self.decisions if d.advances is None)

    @property
    def overridden(self) -> tuple[AdvancementDecision, ...]:
        """Entries where an override changed or settled the rule's verdict."""
        return tuple(d for d in self.decisions if d.override is not None)

    @cached_property
    def _by_entry(self) -> dict[Hashable, AdvancementDecision]:
        index: dict[Hashable, AdvancementDecision] = {}
        for d in self.decisions:
            index.setdefault(d.entry.id, d)
        return index

    def of(self, entry_id: Hashable) -> AdvancementDecision:
        """The decision for one entry (KeyError when absent); an index, not a scan (exports ask for
        every entry of a 10,000-entry round)."""
        return self._by_entry[entry_id]


def _check_overrides(ranking: Ranking, overrides: Iterable[Override]) -> dict[Hashable, Override]:
    known = {r.entry.id: r.entry for r in ranking.rows()}
    by_entry: dict[Hashable, Override] = {}
    for item in overrides:
        if item.entry_id not in known:
            raise RuleInvalid(f"Hồ sơ “{item.entry_id}” không thuộc vòng thi.", code="override_entry")
        if not (item.reason or "").strip():
            raise RuleInvalid(
                f"Cần ghi lý do khi quyết định thủ công cho hồ sơ {known[item.entry_id].name}.",
                field="reason",
                code="override_reason",
            )
        if item.entry_id in by_entry:
            raise RuleInvalid(
                f"Hồ sơ {known[item.entry_id].name} có hai quyết định thủ công.", code="override_duplicate"
            )
        by_entry[item.entry_id] = item
    return by_entry


def parse_min_average(raw: Any) -> Decimal | None:
    """The advancement rule's minimum average of the judges' totals: 0..MAX_TOTAL, blank → None."""
    return parse_bounded(raw, label="Điểm trung bình tối thiểu", low=0, high=MAX_TOTAL, field="min_average")


def decide_advancement(
    ranking: Ranking, rule: AdvancementRule, overrides: Iterable[Override] = ()
) -> AdvancementResult:
    """Apply the rule per track, explain every verdict in Vietnamese, then apply overrides."""
    if rule.top_n is not None:
        check_count(rule.top_n, label="Số hồ sơ đi tiếp mỗi bảng", low=1, high=MAX_TOP_N, field="top_n")
    minimum = parse_min_average(rule.min_average)
    by_entry = _check_overrides(ranking, overrides)
    rubric = ranking.data.rubric

    decisions: list[AdvancementDecision] = []
    for track, rows in ranking.tracks.items():
        where = track or "vòng thi"
        scored = [r for r in rows if r.rank is not None]
        verdict: dict[Hashable, bool | None] = {}
        reasons: dict[Hashable, list[str]] = {r.entry.id: [] for r in rows}
        eligible: list[RankedEntry] = []
        for row in scored:
            why = reasons[row.entry.id]
            why.append(f"Hạng {row.rank}/{len(scored)} trong {where} (điểm {format_score(row.score)}).")
            ok = True
            if minimum is not None:
                shown = present(_scored(row.mean_total))
                if shown < minimum:
                    ok = False
                    why.append(
                        f"Điểm trung bình của giám khảo {format_score(shown)} thấp hơn mức tối thiểu "
                        f"{_plain(minimum)}."
                    )
                else:
                    why.append(
                        f"Điểm trung bình của giám khảo {format_score(shown)} đạt mức tối thiểu {_plain(minimum)}."
                    )
            if rule.no_zero_criterion and row.zeros:
                ok = False
                for judge, crit_id in row.zeros:
                    why.append(
                        f"Giám khảo {ranking.data.judge_name(judge)} chấm 0 điểm tiêu chí "
                        f"“{rubric.get(crit_id).name}”."
                    )
            if ok:
                eligible.append(row)
            else:
                verdict[row.entry.id] = False
        if rule.top_n is None:
            for row in eligible:
                verdict[row.entry.id] = True
                reasons[row.entry.id].append("Đạt mọi điều kiện đi tiếp.")
        else:
            taken = 0
            i = 0
            while i < len(eligible):
                j = i
                while j < len(eligible) and eligible[j].rank == eligible[i].rank:
                    j += 1
                group = eligible[i:j]
                if taken + len(group) <= rule.top_n:
                    for row in group:
                        verdict[row.entry.id] = True
                        reasons[row.entry.id].append(
                            f"Trong {rule.top_n} suất đi tiếp của {where} "
                            f"(thứ {taken + 1} trong số hồ sơ đạt điều kiện)."
                        )
                elif taken >= rule.top_n:
                    for row in group:
                        verdict[row.entry.id] = False
                        reasons[row.entry.id].append(
                            f"Ngoài {rule.top_n} suất đi tiếp của {where} "
                            f"(thứ {taken + 1} trong số hồ sơ đạt điều kiện)."
                        )
                else:
                    left = rule.top_n - taken
                    names = ", ".join(r.entry.name for r in group)
                    for row in group:
                        verdict[row.entry.id] = None
                        reasons[row.entry.id].append(
                            f"Đồng hạng {row.rank} ({names}) tại ranh giới {rule.top_n} suất đi tiếp của "
                            f"{where}: {len(group)} hồ sơ tranh {left} suất — cần ban tổ chức quyết định."
                        )
                taken += len(group)
                i = j
        for row in rows:
            if row.rank is None:
                verdict[row.entry.id] = False
                reasons[row.entry.id].append("Chưa có phiếu chấm nào đã nộp.")
            automatic = verdict[row.entry.id]
            final = automatic
            override = by_entry.get(row.entry.id)
            why = reasons[row.entry.id]
            if override is not None:
                final = override.advance
                what = "cho đi tiếp" if override.advance else "không cho đi tiếp"
                who = f" ({override.by})" if override.by else ""
                why.append(f"Ban tổ chức quyết định {what}{who}: {override.reason.strip()}")
            decisions.append(AdvancementDecision(row.entry, row.rank, automatic, final, tuple(why), override))
    return AdvancementResult(tuple(decisions))


# ---------------------------------------------------------------------------------------------
# Prizes
# ---------------------------------------------------------------------------------------------

PRIZE_NAMES = {"nhat": "Giải Nhất", "nhi": "Giải Nhì", "ba": "Giải Ba", "khuyen_khich": "Giải Khuyến khích"}


@dataclass(frozen=True)
class Prize:
    """A ranked prize with `count` places; min_score (on the shown score) may leave it unawarded."""

    id: str
    name: str
    count: int
    min_score: Decimal | None = None


@dataclass(frozen=True)
class SidePrize:
    """A side prize: best on a criterion or component, or chosen by hand (`winners`).

    track None means across all tracks. exclude_main_winners skips entries that won a main prize.
    """

    id: str
    name: str
    count: int = 1
    criterion: str | None = None
    component: str | None = None
    winners: tuple[Hashable, ...] = ()
    track: str | None = None
    min_value: Decimal | None = None
    exclude_main_winners: bool = False


def standard_prizes(
    nhat: int = 1,
    nhi: int = 1,
    ba: int = 1,
    khuyen_khich: int = 0,
    min_scores: Mapping[str, Any] | None = None,
) -> tuple[Prize, ...]:
    """Nhất/Nhì/Ba/Khuyến khích with these counts (zero-count prizes left out)."""
    mins = min_scores or {}
    counts = {"nhat": nhat, "nhi": nhi, "ba": ba, "khuyen_khich": khuyen_khich}
    return tuple(
        Prize(pid, PRIZE_NAMES[pid], n, None if mins.get(pid) is None else Decimal(str(mins[pid])))
        for pid, n in counts.items()
        if n
    )


@dataclass(frozen=True)
class PrizePlan:
    """Main prizes per track (best first) and side prizes."""

    prizes: Mapping[str, Sequence[Prize]]
    side_prizes: Sequence[SidePrize] = ()

    @classmethod
    def uniform(
        cls, tracks: Iterable[str], prizes: Sequence[Prize], side_prizes: Sequence[SidePrize] = ()
    ) -> PrizePlan:
        """The same prize list for every track."""
        return cls({t: tuple(prizes) for t in tracks}, tuple(side_prizes))


@dataclass(frozen=True)
class Award:
    """An entry receiving a prize."""

    prize_id: str
    prize_name: str
    track: str | None
    entry: EntryRef
    rank: int | None
    score: Decimal | None


@dataclass(frozen=True)
class PrizeTie:
    """Entries tied across a prize boundary: `places` says which prizes they share (prize id → count,
    None = no prize). Not broken here: add a panel decision (tie-break key) and recompute."""

    track: str | None
    entry_ids: tuple[Hashable, ...]
    places: Mapping[str | None, int]
    message: str


@dataclass(frozen=True)
class Unawarded:
    """Places of a prize left empty, with the reason."""

    prize_id: str
    prize_name: str
    track: str | None
    count: int
    reason: str


@dataclass(frozen=True)
class PrizeResult:
    """Awards, boundary ties needing a decision, and places left unawarded."""

    awards: tuple[Award, ...]
    ties: tuple[PrizeTie, ...]
    unawarded: tuple[Unawarded, ...]

    def of(self, entry_id: Hashable) -> list[Award]:
        """Every prize one entry received."""
        return [a for a in self.awards if a.entry.id == entry_id]


def _scored(value: Decimal | None) -> Decimal:
    """A ranked row's score or mean of judges' totals: every row with a rank has them (only an
    entry without submitted sheets lacks them, and it has no rank)."""
    if value is None:
        raise ValueError("a ranked row without a score")
    return value


@dataclass
class _Slot:
    prize_id: str
    name: str
    left: int
    minimum: Decimal | None
    below_minimum: bool = False


def _fill(
    groups: Sequence[tuple[Decimal, Sequence[RankedEntry]]],
    slots: list[_Slot],
    track: str | None,
    where: str,
    awards: list[Award],
    ties: list[PrizeTie],
    unawarded: list[Unawarded],
    score_of: Callable[[RankedEntry], Decimal | None],
) -> None:
    """Walk tie groups best first through prize places; ties across a boundary become PrizeTies."""
    index = 0
    for value, members in groups:
        places: list[str | None] = []
        while len(places) < len(members):
            while index < len(slots):  # skip full places and places whose minimum this score misses
                current = slots[index]
                below = current.minimum is not None and value < current.minimum
                if current.left and not below:
                    break
                if current.left:
                    current.below_minimum = True
                index += 1
            if index == len(slots):
                places.extend([None] * (len(members) - len(places)))
                break
            take = min(slots[index].left, len(members) - len(places))
            places.extend([slots[index].prize_id] * take)
            slots[index].left -= take
        if len(set(places)) == 1:
            if places[0] is not None:
                slot = next(s for s in slots if s.prize_id == places[0])
                for row in members:
                    awards.append(Award(slot.prize_id, slot.name, track, row.entry, row.rank, score_of(row)))
            continue
        counts = Counter(places)
        names = {s.prize_id: s.name for s in slots}
        shares = ", ".join(
            f"{n} {names[p].lower()}" if p is not None else f"{n} không có giải" for p, n in counts.items()
        )
        listed = ", ".join(r.entry.name for r in members)
        ties.append(
            PrizeTie(
                track,
                tuple(r.entry.id for r in members),
                dict(counts),
                f"{where}{len(members)} hồ sơ đồng điểm ({listed}) ở ranh giới giải thưởng: {shares} — "
                "cần hội đồng quyết định (nhập quyết định của hội đồng làm tiêu chí phân định rồi tính lại).",
            )
        )
    for slot in slots:
        if slot.left:
            reason = (
                f"không có hồ sơ đạt tối thiểu {_plain(slot.minimum)} điểm"
                if slot.below_minimum and slot.minimum is not None
                else "không đủ hồ sơ xếp hạng"
            )
            unawarded.append(Unawarded(slot.prize_id, slot.name, track, slot.left, reason))


def award_prizes(
    ranking: Ranking, plan: PrizePlan, *, eligible: Collection[Hashable] | None = None
) -> PrizeResult:
    """Assign main prizes per track from the ranking, then side prizes; never breaks a tie.

    eligible, when given, limits winners to those entry ids (e.g. the finalists); others are skipped
    without taking a place.
    """
    awards: list[Award] = []
    ties: list[PrizeTie] = []
    unawarded: list[Unawarded] = []
    for track, prizes in plan.prizes.items():
        for prize in prizes:
            check_count(
                prize.count, label=f"Số lượng {prize.name}", low=0, high=MAX_PRIZE_COUNT, field=prize.id
            )
        rows = [
            r
            for r in ranking.tracks.get(track, ())
            if r.rank is not None and (eligible is None or r.entry.id in eligible)
        ]
        groups: list[tuple[Decimal, list[RankedEntry]]] = []
        for row in rows:
            if groups and groups[-1][1][0].rank == row.rank:
                groups[-1][1].append(row)
            else:
                groups.append((present(_scored(row.score)), [row]))
        slots = [
            _Slot(p.id, p.name, p.count, None if p.min_score is None else Decimal(str(p.min_score)))
            for p in prizes
            if p.count
        ]
        where = f"{track}: " if track else ""
        _fill(groups, slots, track, where, awards, ties, unawarded, lambda r: r.score)

    for side in plan.side_prizes:
        check_count(
            side.count, label=f"Số lượng {side.name}", low=1, high=MAX_SIDE_PRIZE_COUNT, field=side.id
        )
    main_winners = {a.entry.id for a in awards}
    known = {r.entry.id: r for r in ranking.rows()}
    for side in plan.side_prizes:
        where = f"{side.name}: "
        if side.winners:
            if len(side.winners) > side.count:
                raise RuleInvalid(f"{side.name} chỉ có {side.count} giải.", field=side.id)
            for entry_id in side.winners:
                if entry_id not in known:
                    raise RuleInvalid(f"Hồ sơ “{entry_id}” không thuộc vòng thi.", field=side.id)
                row = known[entry_id]
                awards.append(Award(side.id, side.name, side.track, row.entry, row.rank, row.score))
            if side.count > len(side.winners):
                unawarded.append(
                    Unawarded(
                        side.id, side.name, side.track, side.count - len(side.winners), "chưa chọn người nhận"
                    )
                )
            continue
        if (side.criterion is None) == (side.component is None):
            raise RuleInvalid(
                f"{side.name} cần đúng một căn cứ: một tiêu chí, một điểm thành phần, hoặc danh sách người nhận.",
                field=side.id,
            )
        if side.criterion is not None and side.criterion not in ranking.data.rubric.ids():
            raise RuleInvalid(
                f"{side.name}: tiêu chí “{side.criterion}” không có trong thang điểm.", field=side.id
            )

        def basis(row: RankedEntry, side: SidePrize = side) -> Decimal:
            if side.criterion is not None:
                return row.criterion_averages[side.criterion]
            if side.component is not None:
                return row.components.get(side.component, ZERO)
            return ZERO  # not reached: exactly one basis was checked above

        candidates = [
            r
            for r in ranking.rows()
            if r.rank is not None
            and (side.track is None or r.entry.track == side.track)
            and (eligible is None or r.entry.id in eligible)
            and not (side.exclude_main_winners and r.entry.id in main_winners)
        ]
        # Best on the basis first; the main score then separates equal bases; still equal = a tie.
        keyed = [((present(basis(r)), _quantise_key(_scored(r.score), None)), r) for r in candidates]
        keyed.sort(key=lambda item: (item[1].entry.name, str(item[1].entry.id)))
        keyed.sort(key=lambda item: item[0], reverse=True)
        groups = []
        previous = None
        for key, row in keyed:
            if groups and key == previous:
                groups[-1][1].append(row)
            else:
                groups.append((key[0], [row]))
            previous = key
        minimum = None if side.min_value is None else Decimal(str(side.min_value))
        slots = [_Slot(side.id, side.name, side.count, minimum)]
        _fill(groups, slots, side.track, where, awards, ties, unawarded, lambda r: r.score)
    return PrizeResult(tuple(awards), tuple(ties), tuple(unawarded))
