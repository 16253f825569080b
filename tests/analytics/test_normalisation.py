"""The scoring's normalisation methods (kam.analytics.scoring.normalised), one by one and as
properties every method keeps: 0–1, monotone in the measure."""

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kam.analytics.scoring import DEFAULT_NORMALISATION, METHODS, normalised


def scaled(values, method, edges=()):
    return (
        pl.DataFrame({"x": values}, schema={"x": pl.Float64})
        .select(normalised("x", method, edges))["x"]
        .to_list()
    )


def test_percentile_ranks_and_ties_share_their_average_rank():
    # ranks 1, 2.5, 2.5, 4, 5 of five → (rank − 1) / 4
    assert scaled([1.0, 5.0, 5.0, 9.0, 1000.0], "percentile") == pytest.approx(
        [0.0, 0.375, 0.375, 0.75, 1.0]
    )


def test_percentile_ignores_the_gaps():
    assert scaled([1.0, 2.0, 3.0], "percentile") == scaled([1.0, 2.0, 3e9], "percentile")


def test_percentile_of_equal_values_and_of_a_single_client_is_one_half():
    assert scaled([7.0, 7.0, 7.0], "percentile") == [0.5, 0.5, 0.5]
    assert scaled([7.0], "percentile") == [0.5]


def test_missing_values_score_zero_and_do_not_count_as_clients():
    # two clients with a value: 0 and 1; the missing one 0
    assert scaled([10.0, None, 20.0], "percentile") == [0.0, 0.0, 1.0]
    assert scaled([10.0, float("nan"), 20.0], "log") == [0.0, 0.0, 1.0]


def test_log_takes_zeros_and_negatives():
    out = scaled([-99.0, 0.0, 9.0, 99.0], "log")
    # sign(x)·ln(1 + |x|): −ln 100, 0, ln 10, ln 100 → min–max over [−ln 100, ln 100]
    assert out == pytest.approx([0.0, 0.5, 0.75, 1.0])


def test_log_counts_orders_of_magnitude():
    # 9, 99, 999 are one step apart each on the log scale; min–max squeezes the first two
    assert scaled([9.0, 99.0, 999.0], "log") == pytest.approx([0.0, 0.5, 1.0], abs=1e-3)
    assert scaled([9.0, 99.0, 999.0], "minmax")[1] == pytest.approx(90 / 990)


def test_minmax_of_equal_values_is_one_half():
    assert scaled([3.0, 3.0], "minmax") == [0.5, 0.5]
    assert scaled([3.0, 3.0], "log") == [0.5, 0.5]


def test_bands_count_the_edges_reached():
    assert scaled([5.0, 10.0, 150.0, None], "bands", (10.0, 100.0)) == [0.0, 0.5, 1.0, 0.0]


def test_money_criteria_default_to_percentile():
    assert {m for m, n in DEFAULT_NORMALISATION.items() if n == "percentile"} == {
        "revenue",
        "margin",
        "potential",
    }


measures = st.lists(
    st.one_of(
        st.none(), st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)
    ),
    min_size=1,
    max_size=40,
)


@pytest.mark.parametrize("method", METHODS)
@given(values=measures, points=st.floats(min_value=0.0, max_value=100.0))
def test_points_stay_within_zero_and_the_criterion_maximum(method, values, points):
    for x in scaled(values, method, (-10.0, 0.0, 1e6)):
        assert 0.0 <= points * x <= points * (1 + 1e-12)


@pytest.mark.parametrize("method", METHODS)
@given(values=measures)
def test_a_higher_measure_never_scores_lower(method, values):
    out = scaled(values, method, (-10.0, 0.0, 1e6))
    pairs = sorted((v, y) for v, y in zip(values, out, strict=True) if v is not None)
    for (_v1, y1), (_v2, y2) in zip(pairs, pairs[1:], strict=False):
        assert y1 <= y2 + 1e-12


@pytest.mark.parametrize("method", ["minmax", "log"])
def test_a_spread_too_small_to_divide_by_counts_as_none(method):
    # Found by Hypothesis: 1 / 2.2e-309 overflows, and min–max gave NaN and infinity.
    assert scaled([0.0, 2.225073858507203e-309], method) == [0.5, 0.5]
