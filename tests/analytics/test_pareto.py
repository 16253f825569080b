import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kam.analytics import schema as s
from kam.analytics.frames import AnalyticsInputError
from kam.analytics.pareto import CLIENT_SHARE, VALUE_SHARE, pareto_curve, top_count, top_share


def _values(values: list[float]) -> pl.DataFrame:
    return pl.DataFrame({s.CLIENT: list(range(len(values))), s.VALUE: values})


def test_top_20_percent_of_ten_clients_is_two_clients() -> None:
    frame = _values([50, 30, 5, 5, 2, 2, 2, 2, 1, 1])
    assert top_share(frame) == pytest.approx(0.8)


def test_twenty_percent_of_n_is_rounded_up() -> None:
    assert top_count(15) == 3  # not 4, despite 0.2 * 15 == 3.0000000000000004
    assert top_count(11) == 3
    assert top_count(1) == 1
    assert top_count(0) == 0
    frame = _values([10, 10, 10, 10, 10, 10])  # 6 clients → top 2
    assert top_share(frame) == pytest.approx(2 / 6)


def test_the_curve_is_sorted_by_value_and_ends_at_one() -> None:
    curve = pareto_curve(pl.DataFrame({s.CLIENT: ["b", "a", "c"], s.VALUE: [20.0, 20.0, 60.0]}))
    assert curve[s.CLIENT].to_list() == ["c", "a", "b"]
    assert curve[CLIENT_SHARE].to_list() == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert curve[VALUE_SHARE].to_list() == pytest.approx([0.6, 0.8, 1.0])


def test_negative_values_count_as_zero_and_no_value_gives_zero() -> None:
    curve = pareto_curve(_values([10.0, -5.0]))
    assert curve[VALUE_SHARE].to_list() == [1.0, 1.0]
    assert top_share(_values([0.0, -1.0])) == 0.0
    empty = pl.DataFrame(schema={s.CLIENT: pl.Int64, s.VALUE: pl.Float64})
    assert top_share(empty) == 0.0


def test_a_missing_value_column_is_named() -> None:
    with pytest.raises(AnalyticsInputError, match="'value'"):
        top_share(pl.DataFrame({s.CLIENT: [1]}))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(-10, 10_000), min_size=1, max_size=40))
def test_the_curve_is_monotone_and_concave_enough(values: list[int]) -> None:
    curve = pareto_curve(_values([float(v) for v in values]))
    shares = curve[VALUE_SHARE].to_list()
    assert all(b >= a - 1e-12 for a, b in zip(shares, shares[1:], strict=False))
    if any(v > 0 for v in values):
        assert shares[-1] == pytest.approx(1.0)
        # the top k clients always hold at least k/N of the value
        for share, client_share in zip(shares, curve[CLIENT_SHARE], strict=True):
            assert share >= client_share - 1e-9
