"""Pure results maths (app.judging.scoring): hand-computed examples and hypothesis properties."""

from __future__ import annotations

import re
from decimal import Context
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.judging.scoring import (
    DEFAULT_RUBRIC,
    DEFAULT_TIE_BREAKS,
    AdvancementRule,
    Component,
    Criterion,
    EntryRef,
    Method,
    MethodRefused,
    Override,
    Prize,
    PrizePlan,
    RankingConfig,
    RoundData,
    Rubric,
    RubricInvalid,
    RuleInvalid,
    SheetInvalid,
    SheetScores,
    SidePrize,
    TieBreak,
    aggregate,
    award_prizes,
    check_count,
    compare_methods,
    decide_advancement,
    format_score,
    mean,
    parse_bounded,
    prepare_round,
    present,
    rank_round,
    standard_prizes,
    trimmed_mean,
    validate_sheet,
    weighted_total,
)

# A two-criterion rubric keeps hand computation readable: total = a + b, 0..100.
SMALL = Rubric(
    (Criterion.points("a", "Tính đổi mới sáng tạo", 60), Criterion.points("b", "Kế hoạch kinh doanh", 40))
)
# One wide criterion: any total 0..1000 is one score (for the properties).
WIDE = Rubric((Criterion.points("diem", "Điểm tổng", 1000),))


def split(total) -> dict:
    """A SMALL sheet with this total, 60 % on 'a' (no criterion is 0 unless the total is)."""
    total = D(str(total))
    a = (total * D("0.6")).quantize(D("0.01"))
    return {"a": a, "b": total - a}


def round_of(table: dict, *, tracks: dict | None = None, rubric=SMALL, names=None, **extra) -> RoundData:
    """table: {entry id: {judge id: total or sheet dict}} → RoundData (tracks default to one track)."""
    entries = [EntryRef(e, (tracks or {}).get(e, ""), e) for e in table]
    sheets = [
        SheetScores(e, j, v if isinstance(v, dict) else split(v))
        for e, judges in table.items()
        for j, v in judges.items()
    ]
    return RoundData(rubric, entries, sheets, judge_names=names or {}, **extra)


def ranks(ranking) -> dict:
    return {row.entry.id: row.rank for row in ranking.rows()}


# ---------------------------------------------------------------------------------------------
# Rubric
# ---------------------------------------------------------------------------------------------


def test_default_rubric_is_quang_ngai_2021_totalling_100():
    names = [c.name for c in DEFAULT_RUBRIC.criteria]
    assert names == [
        "Tính đổi mới sáng tạo",
        "Khả năng thương mại hóa, khả năng tăng trưởng",
        "Kế hoạch kinh doanh",
        "Định hướng phát triển",
        "Mức độ tác động và ý nghĩa kinh tế – xã hội",
        "Khả năng thuyết trình",
    ]
    assert [c.max_points for c in DEFAULT_RUBRIC.criteria] == [25, 20, 15, 10, 15, 15]
    assert DEFAULT_RUBRIC.max_total == 100
    assert all(c.description for c in DEFAULT_RUBRIC.criteria)


def test_rubric_round_trips_through_json_data():
    rubric = Rubric((Criterion.points("x", "Ý tưởng", "12.5"), Criterion.scale("y", "Thuyết trình", "2.5")))
    again = Rubric.from_data(rubric.to_data())
    assert again == rubric
    assert again.max_total == D("12.5") + 5 * D("2.5")


@pytest.mark.parametrize(
    "criteria, message",
    [
        ((), "ít nhất một tiêu chí"),
        ((Criterion.points("a", "A", 10), Criterion.points("a", "B", 10)), "trùng lặp"),
        ((Criterion.points("a", "Ý tưởng", 0),), "Điểm tối đa của tiêu chí “Ý tưởng”"),
        ((Criterion.scale("a", "Ý tưởng", 0),), "Hệ số của tiêu chí “Ý tưởng”"),
        ((Criterion.points("a", "  ", 10),), "chưa có tên"),
    ],
)
def test_malformed_rubrics_are_refused(criteria, message):
    with pytest.raises(RubricInvalid, match=message):
        Rubric(criteria)


def test_rubric_from_bad_data_is_refused():
    with pytest.raises(RubricInvalid):
        Rubric.from_data([{"id": "a", "name": "A", "max_points": "mười"}])
    with pytest.raises(RubricInvalid, match="“mười” không phải là một số"):
        Criterion("a", "Ý tưởng", "mười")
    assert Criterion("a", "Ý tưởng", 12).max_points == D(12)  # plain numbers are accepted


def test_a_huge_pasted_number_gives_a_short_message():
    with pytest.raises(SheetInvalid) as info:
        validate_sheet(DEFAULT_RUBRIC, dict(FULL, doi_moi="9" * 300))
    assert len(info.value.message) < 120


# Bounds (issue 9, defect 4): every number typed by a person has a sane range here, for every caller.


@pytest.mark.parametrize(
    ("criterion", "message"),
    [
        (Criterion.points("a", "Ý tưởng", "1e61"), "phải lớn hơn 0 và không quá 1000 (nhận được 1,00E+61)"),
        (Criterion.points("a", "Ý tưởng", "1000.01"), "không quá 1000 (nhận được 1000,01)"),
        (Criterion.points("a", "Ý tưởng", "Infinity"), "phải lớn hơn 0 và không quá 1000."),
        (Criterion.points("a", "Ý tưởng", "sNaN"), "phải lớn hơn 0 và không quá 1000."),
        (Criterion.points("a", "Ý tưởng", "12.125"), "tối đa 2 chữ số thập phân"),
        (
            Criterion.scale("a", "Ý tưởng", "100.01"),
            "Hệ số của tiêu chí “Ý tưởng” phải lớn hơn 0 và không quá 100",
        ),
        (Criterion.scale("a", "Ý tưởng", "-2"), "Hệ số của tiêu chí “Ý tưởng” phải lớn hơn 0"),
        (Criterion.scale("a", "Ý tưởng", "0.001"), "tối đa 2 chữ số thập phân"),
    ],
    ids=lambda value: "" if isinstance(value, str) else str(value.max_points) + "/" + str(value.weight),
)
def test_a_criterions_maximum_and_weight_are_bounded(criterion, message):
    with pytest.raises(RubricInvalid, match=re.escape(message)) as info:
        Rubric((criterion,))
    assert info.value.field == "a"


def test_a_rubric_has_at_most_40_criteria_and_a_sheet_total_of_at_most_10000():
    Rubric(tuple(Criterion.points(f"c{i}", f"Tiêu chí {i}", 250) for i in range(40)))  # 10,000: accepted
    with pytest.raises(RubricInvalid, match="tối đa 40 tiêu chí"):
        Rubric(tuple(Criterion.points(f"c{i}", f"Tiêu chí {i}", 1) for i in range(41)))
    with pytest.raises(RubricInvalid, match="vượt quá 10000"):
        Rubric((Criterion("a", "Ý tưởng", 1000, weight=D("10.01")),))
    with pytest.raises(RubricInvalid, match="Dữ liệu thang điểm không hợp lệ|không quá 1000"):
        Rubric.from_data([{"id": "a", "name": "A", "max_points": "1e61"}])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("7,5", D("7.5")), (" 12 ", D(12)), ("", None), (None, None), (D("0.500"), D("0.50")), ("-0", D(0))],
)
def test_parse_bounded_reads_typed_numbers_and_keeps_them_short(raw, expected):
    value = parse_bounded(raw, label="Điểm", low=0, high=100)
    assert value == expected and (value is None or len(str(value)) <= 12)
    assert value is None or not value.is_signed()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("1e61", "Điểm phải là một số từ 0 đến 100."),
        ("nan", "Điểm phải là một số từ 0 đến 100."),
        ("-inf", "Điểm phải là một số từ 0 đến 100."),
        (float("inf"), "Điểm phải là một số từ 0 đến 100."),
        (D("sNaN"), "Điểm phải là một số từ 0 đến 100."),
        ([1], "Điểm phải là một số từ 0 đến 100."),
        ("100,01", "Điểm phải từ 0 đến 100 (nhận được 100,01)."),
        (D("1E+999999999"), "Điểm phải từ 0 đến 100 (nhận được 1,00E+999999999)."),
        ("-1", "Điểm phải từ 0 đến 100 (nhận được -1)."),
        ("1.001", "Điểm chỉ được có tối đa 2 chữ số thập phân."),
    ],
)
def test_parse_bounded_refuses_what_is_not_a_sane_number(raw, message):
    with pytest.raises(RuleInvalid) as info:
        parse_bounded(raw, label="Điểm", low=0, high=100, field="diem")
    assert info.value.message == message and info.value.field == "diem"


@pytest.mark.parametrize("value", [0, 1001, -5, True, 2.0, "3", None, 10**30])
def test_counts_are_whole_numbers_within_their_range(value):
    with pytest.raises(RuleInvalid, match="phải là số nguyên từ 1 đến 1000"):
        check_count(value, label="Số hồ sơ đi tiếp", low=1, high=1000)
    assert check_count(1000, label="Số hồ sơ đi tiếp", low=1, high=1000) == 1000


def test_components_top_n_minimum_prizes_and_panel_values_are_bounded():
    for bad in ("1e61", "0", "1000.01", "nan"):
        with pytest.raises(RuleInvalid, match="Điểm tối đa của điểm thành phần “Bình chọn”"):
            Component("bc", "Bình chọn", bad)
        with pytest.raises(RuleInvalid, match="Hệ số của điểm thành phần “Bình chọn”"):
            Component("bc", "Bình chọn", 10, bad)
    ranking = rank_round(round_of({"e1": {"J": 50}, "e2": {"J": 40}}))
    for rule in (AdvancementRule(top_n=1001), AdvancementRule(top_n=0), AdvancementRule(top_n=True)):
        with pytest.raises(RuleInvalid, match="từ 1 đến 1000"):
            decide_advancement(ranking, rule)
    for minimum in (D("1e61"), D("NaN"), -1, "10001", float("inf")):
        with pytest.raises(RuleInvalid, match="Điểm trung bình tối thiểu"):
            decide_advancement(ranking, AdvancementRule(min_average=minimum))
    assert decide_advancement(ranking, AdvancementRule(min_average=D("45.5"))).of("e1").advances
    plan = PrizePlan.uniform([""], (Prize("nhat", "Giải Nhất", 51),))
    with pytest.raises(RuleInvalid, match="Số lượng Giải Nhất phải là số nguyên từ 0 đến 50"):
        award_prizes(ranking, plan)
    side = PrizePlan({}, (SidePrize("xanh", "Giải xanh", 21, criterion="a"),))
    with pytest.raises(RuleInvalid, match="từ 1 đến 20"):
        award_prizes(ranking, side)
    for value in ("1e999999999", "1000.5", "-1", "nan"):
        with pytest.raises(RuleInvalid, match="quyết định của hội đồng"):
            prepare_round(round_of({"e1": {"J": 5}}, panel_decisions={"e1": value}))


def test_numbers_from_before_the_bounds_are_shown_not_raised():
    """A display helper never takes a page down, whatever is stored."""
    assert format_score(D("1e61")) == "1,00E+61"
    assert format_score(D("NaN")) == "NaN"
    assert len(format_score(D("1e999999999"))) < 20


# ---------------------------------------------------------------------------------------------
# Score sheets
# ---------------------------------------------------------------------------------------------

FULL = {
    "doi_moi": 20,
    "thuong_mai_hoa": 15,
    "ke_hoach": 10,
    "dinh_huong": 8,
    "tac_dong": 12,
    "thuyet_trinh": 11,
}


def test_valid_sheet_accepts_ints_floats_decimals_and_decimal_commas():
    sheet = dict(FULL, doi_moi="22,5", thuong_mai_hoa=15.5, ke_hoach=D("10.25"), dinh_huong=" 8 ")
    clean = validate_sheet(DEFAULT_RUBRIC, sheet)
    assert clean["doi_moi"] == D("22.5")
    assert clean["thuong_mai_hoa"] == D("15.5")
    assert clean["dinh_huong"] == 8
    assert weighted_total(DEFAULT_RUBRIC, clean) == D("22.5") + D("15.5") + D("10.25") + 8 + 12 + 11


def test_totals_are_exact_decimals():
    rubric = Rubric((Criterion.points("a", "A", 1), Criterion.points("b", "B", 1)))
    total = weighted_total(rubric, validate_sheet(rubric, {"a": 0.1, "b": 0.2}))
    assert total == D("0.3")  # 0.1 + 0.2 in floats is 0.30000000000000004


@pytest.mark.parametrize(
    "value, message",
    [
        (26, "phải từ 0 đến 25 (nhận được 26)"),
        (-1, "phải từ 0 đến 25 (nhận được -1)"),
        ("25,01", "phải từ 0 đến 25 (nhận được 25,01)"),
        ("abc", "phải là một số (nhận được “abc”)"),
        ("1e2", "phải là một số"),
        ("12.5.1", "phải là một số"),
        (True, "phải là một số"),
        ([12], "phải là một số"),
        (float("nan"), "không phải là một số hợp lệ"),
        (float("inf"), "không phải là một số hợp lệ"),
        (D("NaN"), "không phải là một số hợp lệ"),
        ("7,125", "tối đa 2 chữ số thập phân"),
    ],
)
def test_bad_scores_are_rejected_with_a_message_naming_the_criterion(value, message):
    with pytest.raises(SheetInvalid) as info:
        validate_sheet(DEFAULT_RUBRIC, dict(FULL, doi_moi=value))
    assert "“Tính đổi mới sáng tạo”" in info.value.message
    assert message in info.value.message
    assert info.value.field == "doi_moi"
    assert set(info.value.errors) == {"doi_moi"}


def test_submitting_needs_every_criterion_but_a_draft_may_be_partial():
    partial = {"doi_moi": 20, "ke_hoach": ""}
    with pytest.raises(SheetInvalid) as info:
        validate_sheet(DEFAULT_RUBRIC, partial, submit=True)
    assert (
        info.value.message == "Tiêu chí “Khả năng thương mại hóa, khả năng tăng trưởng” chưa được chấm điểm."
    )
    assert len(info.value.errors) == 5  # every missing criterion is listed for the form
    assert validate_sheet(DEFAULT_RUBRIC, partial, submit=False) == {"doi_moi": 20}
    # A draft still refuses what is there and wrong.
    with pytest.raises(SheetInvalid, match="Kế hoạch kinh doanh"):
        validate_sheet(DEFAULT_RUBRIC, {"ke_hoach": 16}, submit=False)


def test_unknown_criterion_is_refused():
    with pytest.raises(SheetInvalid, match="“khac” không có trong thang điểm"):
        validate_sheet(DEFAULT_RUBRIC, dict(FULL, khac=3))


def test_scale_criterion_takes_whole_1_to_5_and_counts_times_its_weight():
    rubric = Rubric((Criterion.scale("y", "Thuyết trình", 4), Criterion.points("x", "Ý tưởng", 80)))
    assert rubric.max_total == 100
    assert weighted_total(rubric, validate_sheet(rubric, {"y": 3, "x": 50})) == 62
    for bad in (0, 6, "3,5", 2.5):
        with pytest.raises(SheetInvalid, match="phải là số nguyên từ 1 đến 5"):
            validate_sheet(rubric, {"y": bad, "x": 50})


# ---------------------------------------------------------------------------------------------
# Aggregation, hand-computed
# ---------------------------------------------------------------------------------------------


def test_trimmed_mean_with_four_judges_is_the_plain_mean():
    values = [D(60), D(70), D(80), D(100)]
    assert mean(values) == D("77.5")
    assert trimmed_mean(values) == D("77.5")


def test_trimmed_mean_with_five_judges_drops_one_highest_and_one_lowest():
    values = [D(50), D(60), D(70), D(80), D(100)]
    assert mean(values) == 72
    assert trimmed_mean(values) == 70  # (60 + 70 + 80) / 3
    # Only one of each is dropped even when extremes repeat.
    repeated = trimmed_mean([D(100), D(100), D(50), D(50), D(80)])
    assert repeated == mean([D(100), D(80), D(50)])
    assert present(repeated) == D("76.67")


def test_trimmed_mean_round_with_five_judges_discounts_an_outlier_but_not_with_four():
    # p: one enthusiastic judge (90) and four at 60; q: 64 from everyone.
    five = {"p": {"J1": 90, "J2": 60, "J3": 60, "J4": 60, "J5": 60}, "q": {f"J{i}": 64 for i in range(1, 6)}}
    data = round_of(five)
    assert ranks(rank_round(data, RankingConfig(Method.MEAN))) == {"p": 1, "q": 2}  # 66 > 64
    trimmed = rank_round(data, RankingConfig(Method.TRIMMED_MEAN))
    assert ranks(trimmed) == {"q": 1, "p": 2}  # 60 < 64: the 90 and one 60 are dropped
    assert trimmed.entry("p").judges_score == 60 and trimmed.entry("p").mean_total == 66
    four = {e: {j: v for j, v in js.items() if j != "J5"} for e, js in five.items()}
    four_trimmed = rank_round(round_of(four), RankingConfig(Method.TRIMMED_MEAN))
    assert ranks(four_trimmed) == {"p": 1, "q": 2}
    assert four_trimmed.entry("p").score == D("67.5")  # (90 + 60 + 60 + 60) / 4, nothing dropped


def test_mean_of_thirds_is_exactly_tied_with_an_equal_mean():
    # 100/3 computed from three judges equals 200/6 from six judges: correctly rounded division.
    totals = {
        "x": {1: D(100), 2: D(0), 3: D(0)},
        "y": {i: D(0) for i in range(1, 5)} | {5: D(100), 6: D(100)},
    }
    scores = aggregate(totals, Method.MEAN)
    assert scores["x"] == scores["y"]
    assert present(scores["x"]) == D("33.33")


# Harsh-judge example: J1 (kind) scores e1..e3, J2 (harsh) scores e2..e4.
#   J1: 90, 80, 70 → mean 80, population sd √(200/3); z = +√1.5, 0, −√1.5
#   J2: 50, 40, 60 → mean 50, same sd;                z(e2)=0, z(e3)=−√1.5, z(e4)=+√1.5
# mean:   e1 90, e2 65, e3 55, e4 60      → ranks e1 1, e2 2, e4 3, e3 4
# zscore: e1 √1.5, e2 0, e3 −√1.5, e4 √1.5 → ranks e1 1, e4 1 (tie), e2 3, e3 4
# pooled totals 90,80,70,50,40,60: mean 65, sd √(1750/6); shown value = 65 + sd·z̄ = 65 ± √437.5
HARSH = {"e1": {"J1": 90}, "e2": {"J1": 80, "J2": 50}, "e3": {"J1": 70, "J2": 40}, "e4": {"J2": 60}}


def test_zscore_hand_computed_harsh_judge_example():
    data = round_of(HARSH)
    mean_rank = rank_round(data, RankingConfig(Method.MEAN))
    assert ranks(mean_rank) == {"e1": 1, "e2": 2, "e4": 3, "e3": 4}
    assert [present(r.score) for r in mean_rank.rows()] == [90, 65, 60, 55]

    z_rank = rank_round(data, RankingConfig(Method.ZSCORE))
    assert ranks(z_rank) == {"e1": 1, "e4": 1, "e2": 3, "e3": 4}
    wide = Context(prec=60)
    expected = wide.add(65, D("437.5").sqrt(wide))
    assert abs(wide.subtract(z_rank.entry("e1").score, expected)) < D("1e-40")
    assert present(z_rank.entry("e1").score) == D("85.92")
    assert present(z_rank.entry("e2").score) == D("65.00")
    assert present(z_rank.entry("e3").score) == D("44.08")
    # e1 and e4 are exactly tied and flagged; the tie is reported once.
    assert z_rank.entry("e1").tied and z_rank.entry("e1").tied_with == ("e4",)
    assert [t.entry_ids for t in z_rank.ties] == [("e1", "e4")]
    assert "cần hội đồng quyết định" in z_rank.ties[0].message
    # The minimum-average basis stays the plain mean of the judges' totals.
    assert z_rank.entry("e2").mean_total == 65


def test_zscore_refused_when_a_judge_has_one_score_naming_the_judge():
    table = {f"e{i}": {"J1": 50 + i, "J2": 60 - i} for i in range(1, 5)}
    table["e5"] = {"J3": 70}
    data = round_of(table, names={"J3": "TS. Lê Thị Hoa"})
    with pytest.raises(MethodRefused) as info:
        rank_round(data, RankingConfig(Method.ZSCORE))
    assert info.value.judges == ("J3",)
    assert "giám khảo TS. Lê Thị Hoa mới có 1 phiếu chấm (cần ít nhất 3)" in info.value.message
    assert "trung bình cộng" in info.value.message
    # The minimum is configurable, but below 2 no standard deviation exists: a setting error.
    with pytest.raises(RuleInvalid):
        rank_round(data, RankingConfig(Method.ZSCORE, zscore_min_scores=1))
    # Mean and trimmed mean still work, and the comparison reports the refusal instead of failing.
    comparison = compare_methods(data, RankingConfig(Method.MEAN))
    assert set(comparison.rankings) == {Method.MEAN, Method.TRIMMED_MEAN}
    assert "TS. Lê Thị Hoa" in comparison.refused[Method.ZSCORE]
    assert all(Method.ZSCORE not in row.cells for row in comparison.rows)


def test_zscore_refused_for_a_judge_with_zero_variance():
    table = {f"e{i}": {"J1": 50 + i, "J2": 70} for i in range(1, 5)}
    with pytest.raises(MethodRefused) as info:
        rank_round(round_of(table, names={"J2": "Ông Phạm Văn Nam"}), RankingConfig(Method.ZSCORE))
    assert info.value.judges == ("J2",)
    assert "Ông Phạm Văn Nam cho mọi hồ sơ cùng tổng điểm 70,00" in info.value.message
    assert "độ lệch chuẩn" in info.value.message


def test_all_equal_round_everyone_tied_and_zscore_refused():
    table = {f"e{i}": {"J1": 70, "J2": 70, "J3": 70} for i in range(1, 6)}
    data = round_of(table)
    ranking = rank_round(data, RankingConfig(Method.MEAN, tie_breaks=(TieBreak.criterion("a"),)))
    assert set(ranks(ranking).values()) == {1}
    assert all(row.tied for row in ranking.rows())
    assert len(ranking.ties) == 1 and len(ranking.ties[0].entry_ids) == 5
    assert "5 hồ sơ đồng hạng 1" in ranking.ties[0].message
    with pytest.raises(MethodRefused):
        rank_round(data, RankingConfig(Method.ZSCORE))
    advancement = decide_advancement(ranking, AdvancementRule(top_n=2, min_average=50))
    assert len(advancement.pending) == 5 and not advancement.advancing
    assert "5 hồ sơ tranh 2 suất" in advancement.pending[0].reasons[-1]
    prizes = award_prizes(ranking, PrizePlan.uniform([""], standard_prizes(1, 1, 1, 1)))
    assert prizes.awards == ()
    assert prizes.ties[0].places == {"nhat": 1, "nhi": 1, "ba": 1, "khuyen_khich": 1, None: 1}


# ---------------------------------------------------------------------------------------------
# Ranking and tie-breaks
# ---------------------------------------------------------------------------------------------


def test_competition_ranking_with_tie_break_keys():
    # Totals: p 80; q 70 (a=40); r 70 (a=50); s 70 (a=50); t 60.
    table = {
        "p": {"J1": 80, "J2": 80},
        "q": {"J1": {"a": 40, "b": 30}, "J2": {"a": 40, "b": 30}},
        "r": {"J1": {"a": 50, "b": 20}, "J2": {"a": 50, "b": 20}},
        "s": {"J1": {"a": 50, "b": 20}, "J2": {"a": 50, "b": 20}},
        "t": {"J1": 60, "J2": 60},
    }
    data = round_of(table)
    plain = rank_round(data, RankingConfig(Method.MEAN))
    assert ranks(plain) == {"p": 1, "q": 2, "r": 2, "s": 2, "t": 5}  # 1, 2, 2, 2, 5

    keyed = rank_round(data, RankingConfig(Method.MEAN, tie_breaks=(TieBreak.criterion("a"),)))
    assert ranks(keyed) == {"p": 1, "r": 2, "s": 2, "q": 4, "t": 5}
    assert keyed.entry("q").decided_by == "điểm tiêu chí “Tính đổi mới sáng tạo”"
    assert keyed.entry("p").decided_by is None  # its score alone put it first
    assert keyed.entry("r").tied and keyed.entry("r").tied_with == ("s",)
    assert keyed.entry("r").tie_key_values == (D(50),)

    # The panel's decision settles what the criteria could not; a missing decision ranks below.
    panel = round_of(table, panel_decisions={"s": 2, "r": "1"})
    final = rank_round(
        panel, RankingConfig(Method.MEAN, tie_breaks=(TieBreak.criterion("a"), TieBreak.panel()))
    )
    assert ranks(final) == {"p": 1, "s": 2, "r": 3, "q": 4, "t": 5}
    assert final.entry("r").decided_by == "quyết định của hội đồng"
    assert final.ties == ()
    half = round_of(table, panel_decisions={"r": 1})
    assert (
        ranks(rank_round(half, RankingConfig(tie_breaks=(TieBreak.criterion("a"), TieBreak.panel()))))["r"]
        == 2
    )


def test_ranks_are_per_track_and_unscored_entries_come_last_without_rank():
    table = {"i1": {"J": 50}, "i2": {"J": 70}, "d1": {"J": 40}, "d2": {}}
    tracks = {"i1": "Bảng Ý tưởng", "i2": "Bảng Ý tưởng", "d1": "Bảng Dự án", "d2": "Bảng Dự án"}
    ranking = rank_round(round_of(table, tracks=tracks))
    assert list(ranking.tracks) == ["Bảng Ý tưởng", "Bảng Dự án"]
    assert [(r.entry.id, r.rank) for r in ranking.tracks["Bảng Ý tưởng"]] == [("i2", 1), ("i1", 2)]
    assert [(r.entry.id, r.rank) for r in ranking.tracks["Bảng Dự án"]] == [("d1", 1), ("d2", None)]
    assert ranking.entry("d2").score is None and ranking.entry("d2").judge_count == 0


def test_rank_places_two_ranks_on_the_shown_score():
    # y: 78.50; z: (78.50 + 78.49) / 2 = 78.495, which shows as 78,50 (half-up).
    table = {"y": {"J1": "78.5", "J2": "78.5"}, "z": {"J1": "78.5", "J2": "78.49"}}
    full = rank_round(round_of(table))
    assert ranks(full) == {"y": 1, "z": 2}
    shown = rank_round(round_of(table), RankingConfig(rank_places=2))
    assert ranks(shown) == {"y": 1, "z": 1}  # both show 78,50: a tie for the keys or the panel
    assert format_score(full.entry("z").score) == "78,50"


def test_organiser_components_are_kept_apart_and_added_with_their_weight():
    table = {"u": {"J1": 70, "J2": 70}, "v": {"J1": 72, "J2": 72}, "w": {"J1": 60, "J2": 60}}
    vote = Component("binh_chon", "Bình chọn của khán giả", D(10), D("0.5"))
    data = round_of(
        table, components=[vote], component_scores={("u", "binh_chon"): 10, ("w", "binh_chon"): "4"}
    )
    ranking = rank_round(data)
    assert ranks(ranking) == {"u": 1, "v": 2, "w": 3}  # 75 > 72 > 62
    u = ranking.entry("u")
    assert (u.score, u.judges_score, u.components_score, u.mean_total) == (75, 70, 5, 70)
    assert ranking.entry("v").components_score == 0  # missing component = 0
    # The judges' sheets are untouched and the min-average rule ignores the component.
    assert u.judge_totals == {"J1": 70, "J2": 70}
    tie_break = rank_round(data, RankingConfig(tie_breaks=(TieBreak.component("binh_chon"),)))
    assert tie_break.entry("u").tie_key_values == (D(5),)
    with pytest.raises(RuleInvalid, match="thành phần “Bình chọn của khán giả” phải từ 0 đến 10"):
        prepare_round(round_of(table, components=[vote], component_scores={("u", "binh_chon"): 11}))
    with pytest.raises(RuleInvalid, match="không thuộc vòng thi"):
        prepare_round(round_of(table, components=[vote], component_scores={("u", "khac"): 1}))


def test_bad_round_input_is_refused_with_messages():
    with pytest.raises(SheetInvalid, match="giám khảo Bà Hạnh cho hồ sơ e1: Điểm của tiêu chí “Kế hoạch"):
        prepare_round(round_of({"e1": {"J": {"a": 10, "b": 41}}}, names={"J": "Bà Hạnh"}))
    data = RoundData(
        SMALL, [EntryRef("e1")], [SheetScores("e1", "J", split(5)), SheetScores("e1", "J", split(6))]
    )
    with pytest.raises(RuleInvalid, match="hai phiếu chấm"):
        prepare_round(data)
    with pytest.raises(RuleInvalid, match="không có trong vòng thi"):
        prepare_round(RoundData(SMALL, [EntryRef("e1")], [SheetScores("e9", "J", split(5))]))
    with pytest.raises(RuleInvalid, match="phân định"):
        rank_round(round_of({"e1": {"J": 5}}), RankingConfig(tie_breaks=(TieBreak.criterion("zz"),)))
    with pytest.raises(RuleInvalid, match="quyết định của hội đồng"):
        prepare_round(round_of({"e1": {"J": 5}}, panel_decisions={"e1": "nhất"}))


# ---------------------------------------------------------------------------------------------
# Methods side by side
# ---------------------------------------------------------------------------------------------


def test_comparison_shows_rank_changes_against_the_chosen_method():
    comparison = compare_methods(round_of(HARSH), RankingConfig(Method.MEAN))
    assert not comparison.refused
    rows = {row.entry.id: row for row in comparison.rows}
    assert [row.entry.id for row in comparison.rows] == ["e1", "e2", "e4", "e3"]  # chosen order
    e4 = rows["e4"].cells
    assert (e4[Method.MEAN].rank, e4[Method.MEAN].change) == (3, 0)
    assert (e4[Method.ZSCORE].rank, e4[Method.ZSCORE].change) == (1, 2)  # would move up two places
    assert rows["e2"].cells[Method.ZSCORE].change == -1
    assert present(rows["e2"].cells[Method.TRIMMED_MEAN].score) == 65
    assert {row.entry.id for row in comparison.moved()} == {"e2", "e4"}
    # Chosen z-score: changes are measured from the z-score ranks.
    by_z = compare_methods(round_of(HARSH), RankingConfig(Method.ZSCORE))
    assert {r.entry.id: r.cells[Method.MEAN].change for r in by_z.rows}["e4"] == -2


# ---------------------------------------------------------------------------------------------
# Advancement
# ---------------------------------------------------------------------------------------------


def test_advancement_top_n_minimum_average_and_zero_criterion_with_reasons():
    table = {
        "a1": {"J1": {"a": 60, "b": 0}, "J2": 95},  # best, but J1 gave 0 on “Kế hoạch kinh doanh”
        "a2": {"J1": 80, "J2": 80},
        "a3": {"J1": 70, "J2": 70},
        "a4": {"J1": 60, "J2": 60},
        "a5": {"J1": "49.99", "J2": 50},  # mean 49.995 shows 50,00: passes ≥ 50
        "a6": {"J1": "49.99", "J2": "49.98"},  # 49.985 shows 49,99: fails
        "a7": {},
    }
    ranking = rank_round(round_of(table, names={"J1": "Nguyễn Văn An"}))
    result = decide_advancement(ranking, AdvancementRule(top_n=3, min_average=50))
    verdict = {d.entry.id: d.advances for d in result.decisions}
    assert verdict == {"a1": False, "a2": True, "a3": True, "a4": True, "a5": False, "a6": False, "a7": False}
    assert all(result.of(d.entry.id) is d for d in result.decisions)
    with pytest.raises(KeyError):
        result.of("a99")
    a1 = result.of("a1")
    assert a1.rank == 2  # 77.5: second, but excluded, freeing its place for a4
    assert "Giám khảo Nguyễn Văn An chấm 0 điểm tiêu chí “Kế hoạch kinh doanh”." in a1.reasons
    assert (
        "Trong 3 suất đi tiếp của vòng thi (thứ 3 trong số hồ sơ đạt điều kiện)." in result.of("a4").reasons
    )
    assert "Điểm trung bình của giám khảo 50,00 đạt mức tối thiểu 50." in result.of("a5").reasons
    assert (
        "Ngoài 3 suất đi tiếp của vòng thi (thứ 4 trong số hồ sơ đạt điều kiện)." in result.of("a5").reasons
    )
    assert "Điểm trung bình của giám khảo 49,99 thấp hơn mức tối thiểu 50." in result.of("a6").reasons
    assert result.of("a7").reasons == ("Chưa có phiếu chấm nào đã nộp.",)
    # Without the zero rule a1 advances and a4 drops out.
    lenient = decide_advancement(ranking, AdvancementRule(top_n=3, min_average=50, no_zero_criterion=False))
    assert [d.entry.id for d in lenient.advancing] == ["a2", "a1", "a3"]
    # No top N: every entry meeting the conditions advances.
    everyone = decide_advancement(ranking, AdvancementRule(min_average=50))
    assert [d.entry.id for d in everyone.advancing] == ["a2", "a3", "a4", "a5"]


def test_tie_at_the_cut_off_is_pending_and_overrides_settle_it_with_a_reason():
    table = {"x": {"J": 90}, "y": {"J": 80}, "z": {"J": 80}, "w": {"J": 50}}
    ranking = rank_round(round_of(table))
    result = decide_advancement(ranking, AdvancementRule(top_n=2))
    assert {d.entry.id: d.advances for d in result.decisions} == {"x": True, "y": None, "z": None, "w": False}
    assert "Đồng hạng 2 (y, z) tại ranh giới 2 suất đi tiếp" in result.of("y").reasons[-1]

    overrides = [
        Override("y", True, "Hội đồng bỏ phiếu 4/3 cho đội y", by="Chủ tịch hội đồng"),
        Override("z", False, "Xếp sau y theo biểu quyết"),
        Override("w", True, "Đặc cách: dự án của phụ nữ dân tộc thiểu số"),
    ]
    settled = decide_advancement(ranking, AdvancementRule(top_n=2), overrides)
    assert {d.entry.id: d.advances for d in settled.decisions} == {
        "x": True,
        "y": True,
        "z": False,
        "w": True,
    }
    assert settled.of("w").automatic is False and settled.of("w").override.reason.startswith("Đặc cách")
    assert settled.of("y").reasons[-1] == (
        "Ban tổ chức quyết định cho đi tiếp (Chủ tịch hội đồng): Hội đồng bỏ phiếu 4/3 cho đội y"
    )
    assert {d.entry.id for d in settled.overridden} == {"y", "z", "w"}
    assert settled.pending == ()

    with pytest.raises(RuleInvalid, match="Cần ghi lý do") as info:
        decide_advancement(ranking, AdvancementRule(top_n=2), [Override("y", True, "   ")])
    assert info.value.field == "reason"
    with pytest.raises(RuleInvalid, match="không thuộc vòng thi"):
        decide_advancement(ranking, AdvancementRule(), [Override("nope", True, "vì sao")])
    with pytest.raises(RuleInvalid, match="hai quyết định"):
        decide_advancement(ranking, AdvancementRule(), [Override("y", True, "a"), Override("y", False, "b")])
    with pytest.raises(RuleInvalid, match="số nguyên"):
        decide_advancement(ranking, AdvancementRule(top_n=0))


# ---------------------------------------------------------------------------------------------
# Prizes
# ---------------------------------------------------------------------------------------------


def test_prizes_per_track_with_minimum_boundary_tie_and_unawarded_places():
    table = {f"e{i}": {"J": t} for i, t in enumerate([84, 78, 70, 70, 70, 65, 40], start=1)}
    table["p1"] = {"J": 88}
    tracks = {e: "Bảng Ý tưởng" for e in table} | {"p1": "Bảng Dự án"}
    ranking = rank_round(round_of(table, tracks=tracks))
    plan = PrizePlan(
        {
            "Bảng Ý tưởng": (
                Prize("nhat", "Giải Nhất", 1, D(85)),  # nobody reaches 85: stays unawarded
                Prize("nhi", "Giải Nhì", 1),
                Prize("ba", "Giải Ba", 2),
                Prize("khuyen_khich", "Giải Khuyến khích", 3, D(50)),
            ),
            "Bảng Dự án": standard_prizes(1, 1, 0, 0),
        }
    )
    result = award_prizes(ranking, plan)
    won = {(a.prize_id, a.entry.id) for a in result.awards}
    assert won == {("nhi", "e1"), ("ba", "e2"), ("khuyen_khich", "e6"), ("nhat", "p1")}
    # e3, e4, e5 tie at 70 for one Ba place and two Khuyến khích places: reported, not broken.
    (tie,) = result.ties
    assert tie.entry_ids == ("e3", "e4", "e5")
    assert tie.places == {"ba": 1, "khuyen_khich": 2}
    assert "1 giải ba, 2 giải khuyến khích" in tie.message
    unawarded = {(u.track, u.prize_id): (u.count, u.reason) for u in result.unawarded}
    assert unawarded == {
        ("Bảng Ý tưởng", "nhat"): (1, "không có hồ sơ đạt tối thiểu 85 điểm"),
        ("Bảng Dự án", "nhi"): (1, "không đủ hồ sơ xếp hạng"),
    }
    # e7 (40) misses the Khuyến khích minimum of 50, but no place is left anyway.
    assert result.of("e7") == []


def test_prize_minimum_leaves_a_place_empty_when_nobody_reaches_it():
    table = {"e1": {"J": 60}, "e2": {"J": 45}}
    plan = PrizePlan.uniform([""], (Prize("kk", "Giải Khuyến khích", 2, D(50)),))
    result = award_prizes(rank_round(round_of(table)), plan)
    assert [a.entry.id for a in result.awards] == ["e1"]
    assert [(u.count, u.reason) for u in result.unawarded] == [(1, "không có hồ sơ đạt tối thiểu 50 điểm")]


def test_side_prizes_by_criterion_by_hand_and_with_ties():
    table = {
        "e1": {"J": {"a": 40, "b": 40}},  # 80
        "e2": {"J": {"a": 55, "b": 10}},  # 65, best innovation
        "e3": {"J": {"a": 50, "b": 20}},  # 70
        "e4": {"J": {"a": 50, "b": 20}},  # 70 — same innovation and score as e3
    }
    ranking = rank_round(round_of(table))
    plan = PrizePlan.uniform(
        [""],
        standard_prizes(1, 0, 0, 0),
        [
            SidePrize("sang_tao", "Giải Ý tưởng sáng tạo nhất", criterion="a"),
            SidePrize(
                "nhi_sang_tao",
                "Giải Sáng tạo thứ hai",
                criterion="a",
                exclude_main_winners=True,
                count=1,
                min_value=D(56),
            ),
            SidePrize("nu", "Giải dành cho tác giả nữ", winners=("e4",), count=2),
        ],
    )
    result = award_prizes(ranking, plan)
    assert [(a.prize_id, a.entry.id) for a in result.awards] == [
        ("nhat", "e1"),
        ("sang_tao", "e2"),
        ("nu", "e4"),
    ]
    assert {(u.prize_id, u.count, u.reason) for u in result.unawarded} == {
        ("nhi_sang_tao", 1, "không có hồ sơ đạt tối thiểu 56 điểm"),
        ("nu", 1, "chưa chọn người nhận"),
    }
    tie_plan = PrizePlan({}, [SidePrize("hai", "Giải Sáng tạo", criterion="a", count=2)])
    tied = award_prizes(ranking, tie_plan)
    assert [a.entry.id for a in tied.awards] == ["e2"]
    assert tied.ties[0].entry_ids == ("e3", "e4") and tied.ties[0].places == {"hai": 1, None: 1}
    with pytest.raises(RuleInvalid, match="đúng một căn cứ"):
        award_prizes(ranking, PrizePlan({}, [SidePrize("x", "Giải X")]))


def test_eligible_limits_prize_winners_without_using_places():
    table = {"e1": {"J": 90}, "e2": {"J": 80}, "e3": {"J": 70}}
    result = award_prizes(
        rank_round(round_of(table)),
        PrizePlan.uniform([""], standard_prizes(1, 1, 0, 0)),
        eligible={"e2", "e3"},
    )
    assert [(a.prize_id, a.entry.id) for a in result.awards] == [("nhat", "e2"), ("nhi", "e3")]


def test_format_score_uses_a_decimal_comma():
    assert format_score(D("48.5")) == "48,50"
    assert format_score(D("78.505")) == "78,51"  # half-up, as people round
    assert format_score(None) == "—"


def test_the_default_tie_breaks_fit_the_default_rubric():
    entries = [EntryRef(i, "Bảng Ý tưởng", f"KN24-{i:04d}") for i in (1, 2)]
    same_total_more_innovation = dict(FULL, doi_moi=21, thuong_mai_hoa=14)
    sheets = [SheetScores(1, "J", FULL), SheetScores(2, "J", same_total_more_innovation)]
    ranking = rank_round(
        RoundData(DEFAULT_RUBRIC, entries, sheets), RankingConfig(tie_breaks=DEFAULT_TIE_BREAKS)
    )
    assert ranks(ranking) == {2: 1, 1: 2}
    assert ranking.entry(1).decided_by == "điểm tiêu chí “Tính đổi mới sáng tạo”"


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------

PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def score_tables(draw, min_judges=2, max_judges=5, holes=True):
    """{entry: {judge: int total 0..100}} on WIDE; with holes, some judges skip some entries."""
    n_entries = draw(st.integers(3, 8))
    n_judges = draw(st.integers(min_judges, max_judges))
    cell = st.integers(-40 if holes else 0, 100).map(lambda v: None if v < 0 else v)
    table = {}
    for e in range(n_entries):
        row = draw(st.lists(cell, min_size=n_judges, max_size=n_judges))
        table[f"e{e}"] = {f"J{j}": v for j, v in enumerate(row) if v is not None}
    return table


def wide_round(table) -> RoundData:
    entries = [EntryRef(e) for e in table]
    sheets = [SheetScores(e, j, {"diem": v}) for e, js in table.items() for j, v in js.items()]
    return RoundData(WIDE, entries, sheets)


def z_ranks(table):
    try:
        return ranks(rank_round(wide_round(table), RankingConfig(Method.ZSCORE)))
    except MethodRefused as exc:
        return ("refused", exc.judges)


def judges_of(table) -> list:
    return sorted({j for js in table.values() for j in js})


@PROPS
@given(score_tables(), st.data(), st.integers(1, 800))
def test_property_adding_a_constant_to_one_judge_keeps_the_zscore_ranking(table, data, constant):
    judge = data.draw(st.sampled_from(judges_of(table) or ["J0"]))
    shifted = {e: {j: v + constant if j == judge else v for j, v in js.items()} for e, js in table.items()}
    before = z_ranks(table)
    assume(not isinstance(before, tuple))
    assert z_ranks(shifted) == before


@PROPS
@given(score_tables(), st.data(), st.sampled_from([D("0.5"), D("1.5"), D(2), D("2.25"), D(7), D("9.75")]))
def test_property_scaling_one_judge_keeps_the_zscore_ranking(table, data, factor):
    judge = data.draw(st.sampled_from(judges_of(table) or ["J0"]))
    scaled = {e: {j: v * factor if j == judge else v for j, v in js.items()} for e, js in table.items()}
    before = z_ranks(table)
    assume(not isinstance(before, tuple))
    assert z_ranks(scaled) == before


@PROPS
@given(score_tables(), st.sampled_from(list(Method)), st.booleans())
def test_property_ranking_is_a_permutation_with_competition_ranks(table, method, with_keys):
    config = RankingConfig(method, tie_breaks=(TieBreak.criterion("diem"),) if with_keys else ())
    try:
        ranking = rank_round(wide_round(table), config)
    except MethodRefused:
        assume(False)
    rows = ranking.rows()
    assert sorted(r.entry.id for r in rows) == sorted(table)
    scored = [r for r in rows if r.rank is not None]
    assert {r.entry.id for r in scored} == {e for e, js in table.items() if js}
    assert [r.rank for r in scored] == sorted(r.rank for r in scored)
    for row in scored:
        better = sum(1 for other in scored if other.rank < row.rank)
        assert row.rank == better + 1
        assert row.tied == any(o.rank == row.rank for o in scored if o is not row)
    if method is not Method.ZSCORE:
        scores = [r.score for r in scored]
        assert scores == sorted(scores, reverse=True)


@PROPS
@given(st.lists(st.integers(0, 10_000).map(lambda v: D(v) / 100), min_size=1, max_size=4))
def test_property_trimmed_mean_is_the_mean_below_the_threshold(values):
    assert trimmed_mean(values) == mean(values)
    assert trimmed_mean(values, threshold=len(values) + 1) == mean(values)


@PROPS
@given(st.lists(st.integers(0, 10_000).map(lambda v: D(v) / 100), min_size=1, max_size=12))
def test_property_mean_and_trimmed_mean_lie_within_the_judges_totals(values):
    for value in (mean(values), trimmed_mean(values)):
        assert min(values) <= value <= max(values)


@PROPS
@given(score_tables(holes=False, min_judges=1, max_judges=4))
def test_property_trimmed_equals_mean_for_rounds_with_fewer_than_five_judges(table):
    data = wide_round(table)
    assert ranks(rank_round(data, RankingConfig(Method.TRIMMED_MEAN))) == ranks(rank_round(data))
    assert aggregate(prepare_round(data).totals, "trimmed_mean") == aggregate(
        prepare_round(data).totals, "mean"
    )


@PROPS
@given(
    st.one_of(
        st.decimals(allow_nan=False, allow_infinity=False, places=2).filter(lambda v: v < 0 or v > 25),
        st.floats(allow_nan=False, allow_infinity=False).filter(lambda v: v < 0 or v > 25),
        st.integers().filter(lambda v: v < 0 or v > 25),
    )
)
def test_property_out_of_range_scores_are_rejected_with_a_message(value):
    with pytest.raises(SheetInvalid) as info:
        validate_sheet(DEFAULT_RUBRIC, dict(FULL, doi_moi=value))
    assert info.value.message.startswith("Điểm của tiêu chí “Tính đổi mới sáng tạo”")
    assert "phải từ 0 đến 25" in info.value.message or "phải là một số" in info.value.message


@PROPS
@given(st.text(min_size=1).filter(lambda t: t.strip() and not any(c.isdigit() for c in t)))
def test_property_non_numeric_text_is_rejected_with_a_message(text):
    with pytest.raises(SheetInvalid) as info:
        validate_sheet(DEFAULT_RUBRIC, dict(FULL, ke_hoach=text))
    assert info.value.message.startswith("Điểm của tiêu chí “Kế hoạch kinh doanh” phải là một số")


@PROPS
@given(st.integers(0, 2500).map(lambda v: D(v) / 100))
def test_property_every_in_range_score_is_accepted_exactly(value):
    assert (
        validate_sheet(DEFAULT_RUBRIC, dict(FULL, doi_moi=str(value).replace(".", ",")))["doi_moi"] == value
    )
