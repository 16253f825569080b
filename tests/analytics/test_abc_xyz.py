import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kam.analytics import schema as s
from kam.analytics.abc_xyz import CELL_READINGS, abc_xyz, abc_xyz_matrix, classify_abc
from kam.analytics.config import AnalysisConfig
from kam.analytics.frames import AnalyticsInputError
from kam.analytics.pareto import pareto_curve

from .helpers import d, monthly, tx

DEC31 = AnalysisConfig(as_of=d("2024-12-31"))


def _classes(frame: pl.DataFrame, column: str = s.ABC) -> dict[object, str]:
    return dict(zip(frame[s.CLIENT].to_list(), frame[column].to_list(), strict=True))


def _values(values: dict[str, float]) -> pl.DataFrame:
    return pl.DataFrame({s.CLIENT: list(values), s.VALUE: [float(v) for v in values.values()]})


def test_a_client_exactly_at_80_percent_cumulative_above_is_b() -> None:
    out = classify_abc(_values({"a": 50, "b": 30, "c": 15, "d": 5}))
    assert _classes(out) == {"a": "A", "b": "A", "c": "B", "d": "C"}
    assert out[s.CUM_SHARE_ABOVE].to_list() == pytest.approx([0.0, 0.5, 0.8, 0.95])


def test_a_client_just_below_a_limit_is_in_the_higher_class() -> None:
    out = classify_abc(_values({"a": 799, "b": 150, "c": 51}))
    # b: 799 of 1000 above (< 80 %) → A; c: 949 above (< 95 %) → B
    assert _classes(out) == {"a": "A", "b": "A", "c": "B"}
    out = classify_abc(_values({"a": 799, "b": 150, "c": 1, "d": 50}))
    # d: 949 above → B; c: 999 above → C
    assert _classes(out) == {"a": "A", "b": "A", "d": "B", "c": "C"}


def test_ties_are_ranked_by_client_id() -> None:
    out = classify_abc(_values({"z": 40, "y": 40, "x": 20}))
    assert out[s.CLIENT].to_list() == ["y", "z", "x"]
    assert out[s.RANK].to_list() == [1, 2, 3]
    assert _classes(out) == {"y": "A", "z": "A", "x": "B"}


def test_zero_and_negative_values_are_c_and_take_no_share() -> None:
    out = classify_abc(_values({"a": 100, "b": 0, "c": -10}))
    assert _classes(out) == {"a": "A", "b": "C", "c": "C"}
    assert out[s.SHARE].to_list() == [1.0, 0.0, 0.0]


def test_thresholds_are_configurable() -> None:
    out = classify_abc(_values({"a": 50, "b": 30, "c": 20}), (0.5, 0.8))
    assert _classes(out) == {"a": "A", "b": "B", "c": "C"}


def test_abc_counts_only_the_analysis_window() -> None:
    rows = [("a", "2023-12-31", 1000), ("a", "2024-01-01", 10), ("b", "2024-06-01", 90)]
    rows += [("a", "2025-01-01", 5000)]  # holdout
    out = abc_xyz(tx(rows), DEC31)
    assert dict(zip(out[s.CLIENT], out[s.VALUE], strict=True)) == {"a": 10.0, "b": 90.0}


def test_a_mid_month_as_of_uses_the_previous_complete_months() -> None:
    rows = [("a", "2023-11-30", 1000), ("a", "2023-12-01", 10), ("b", "2024-12-10", 77)]
    out = abc_xyz(tx(rows), AnalysisConfig(as_of=d("2024-12-15")))
    assert out[s.CLIENT].to_list() == ["a"]  # b only bought in the incomplete month
    assert out[s.VALUE].to_list() == [10.0]


def test_margin_basis_uses_amount_minus_cost_or_the_margin_column() -> None:
    rows = [("a", "2024-03-01", 100), ("b", "2024-03-01", 60)]
    by_margin = AnalysisConfig(as_of=d("2024-12-31"), abc_by="margin")
    out = abc_xyz(tx(rows, cost=[95.0, 20.0]), by_margin)
    assert out[s.CLIENT].to_list() == ["b", "a"]
    assert out[s.VALUE].to_list() == [40.0, 5.0]
    out = abc_xyz(tx(rows, margin=[1.0, 2.0]), by_margin)
    assert out[s.VALUE].to_list() == [2.0, 1.0]


def test_margin_basis_without_cost_or_margin_names_the_column() -> None:
    with pytest.raises(AnalyticsInputError, match="'cost'"):
        abc_xyz(tx([("a", "2024-03-01", 1)]), AnalysisConfig(abc_by="margin"))


def test_cv_at_exactly_ten_percent_is_x_and_at_25_percent_is_y() -> None:
    rows = monthly("x", "2024-01", [90, 110] * 6) + monthly("y", "2024-01", [75, 125] * 6)
    rows += monthly("z", "2024-01", [74, 126] * 6)
    out = abc_xyz(tx(rows), DEC31)
    assert _classes(out, s.XYZ) == {"x": "X", "y": "Y", "z": "Z"}
    cv = dict(zip(out[s.CLIENT], out[s.CV], strict=True))
    assert cv["x"] == pytest.approx(0.10)
    assert cv["y"] == pytest.approx(0.25)


def test_missing_months_count_as_zero() -> None:
    # 6 months of 100 and 6 empty months: mean 50, population std 50 → CV 1
    out = abc_xyz(tx(monthly("a", "2024-01", [100, 0] * 6)), DEC31)
    assert out[s.CV].to_list() == pytest.approx([1.0])
    assert out[s.MONTHS_OBSERVED].to_list() == [12]
    assert out[s.XYZ].to_list() == ["Z"]


def test_months_before_the_first_ever_purchase_are_excluded() -> None:
    out = abc_xyz(tx(monthly("a", "2024-07", [100] * 6)), DEC31)
    assert out[s.MONTHS_OBSERVED].to_list() == [6]
    assert out[s.CV].to_list() == [0.0]
    assert out[s.XYZ].to_list() == ["X"]


def test_first_ever_purchase_before_the_window_counts_the_whole_window() -> None:
    rows = [("a", "2023-05-15", 1.0)] + monthly("a", "2024-07", [100] * 6)
    out = abc_xyz(tx(rows), DEC31)
    assert out[s.MONTHS_OBSERVED].to_list() == [12]
    assert out[s.CV].to_list() == pytest.approx([1.0])  # six 100s and six zeros


def test_two_months_of_history_is_new_and_three_is_classified() -> None:
    rows = monthly("two", "2024-11", [100, 100]) + monthly("three", "2024-10", [100, 100, 100])
    out = abc_xyz(tx(rows), DEC31)
    assert _classes(out, s.XYZ) == {"two": "new", "three": "X"}


def test_a_non_positive_mean_has_no_cv_and_is_z() -> None:
    rows = monthly("a", "2024-01", [100, -100, 50, -50])
    out = abc_xyz(tx(rows), DEC31)
    assert out[s.CV].to_list() == [None]
    assert out[s.XYZ].to_list() == ["Z"]


def test_the_matrix_has_twelve_cells_with_counts_shares_and_readings() -> None:
    rows = monthly("a", "2024-01", [90, 110] * 6) + monthly("b", "2024-11", [10, 10])
    m = abc_xyz_matrix(abc_xyz(tx(rows), DEC31))
    assert m.height == 12
    cells = {r["cell"]: r for r in m.to_dicts()}
    assert cells["AX"]["clients"] == 1
    assert cells["AX"]["value_share"] == pytest.approx(1200 / 1220)
    assert cells["Cnew"]["clients"] == 1
    assert cells["AX"]["reading"] == CELL_READINGS["AX"]
    assert sum(m["value_share"]) == pytest.approx(1.0)
    assert sum(m["client_share"]) == pytest.approx(1.0)
    assert set(CELL_READINGS) == set(m["cell"])


# --- properties -------------------------------------------------------------------------------

_ORDER = {"A": 0, "B": 1, "C": 2}

client_rows = st.lists(
    st.tuples(
        st.integers(0, 15),  # client
        st.integers(0, 23),  # month offset from 2023-01
        st.integers(1, 28),  # day
        st.integers(-50, 5000),  # amount in whole units
    ),
    min_size=1,
    max_size=60,
)


def _frame(rows: list[tuple[int, int, int, int]]) -> pl.DataFrame:
    return tx(
        [(c, f"{2023 + m // 12:04d}-{m % 12 + 1:02d}-{day:02d}", float(a)) for c, m, day, a in rows]
    )


@settings(max_examples=60, deadline=None)
@given(client_rows)
def test_shares_sum_to_one_and_classes_are_monotone_in_value(rows) -> None:
    out = abc_xyz(_frame(rows), DEC31)
    if out.height == 0:
        return
    if out[s.VALUE].clip(lower_bound=0).sum() > 0:
        assert math.isclose(out[s.SHARE].sum(), 1.0, rel_tol=1e-9)
    records = out.to_dicts()
    for higher, lower in zip(records, records[1:], strict=False):
        assert higher[s.VALUE] >= lower[s.VALUE]
        assert _ORDER[higher[s.ABC]] <= _ORDER[lower[s.ABC]]


@settings(max_examples=60, deadline=None)
@given(client_rows, st.sampled_from([0.01, 3.7, 1000.0]), st.randoms(use_true_random=False))
def test_scaling_amounts_or_permuting_rows_changes_no_class(rows, factor, rnd) -> None:
    frame = _frame(rows)
    base = abc_xyz(frame, DEC31)
    scaled = abc_xyz(frame.with_columns(pl.col("amount") * factor), DEC31)
    order = list(range(frame.height))
    rnd.shuffle(order)
    permuted = abc_xyz(frame[order], DEC31)
    for other in (scaled, permuted):
        assert _classes(other) == _classes(base)
        assert _classes(other, s.XYZ) == _classes(base, s.XYZ)
    assert permuted[s.CLIENT].to_list() == base[s.CLIENT].to_list()


def test_values_equal_to_the_cent_rank_by_client_id_whatever_the_last_bits() -> None:
    # 0.1 + 0.2 is 0.30000000000000004: how a sum comes out depends on the order Polars adds in
    values = pl.DataFrame({s.CLIENT: ["b", "a", "c"], s.VALUE: [0.1 + 0.2, 0.3, 0.31]})
    assert classify_abc(values)[s.CLIENT].to_list() == ["c", "a", "b"]
    assert pareto_curve(values)[s.CLIENT].to_list() == ["c", "a", "b"]
