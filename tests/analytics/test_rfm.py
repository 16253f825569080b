import polars as pl

from kam.analytics import schema as s
from kam.analytics.config import AnalysisConfig
from kam.analytics.frames import validate_transactions
from kam.analytics.rfm import (
    MONETARY_TOTAL,
    RECENCY_DAYS,
    SEGMENT_GRID,
    SEGMENT_LABELS,
    rfm,
    rfm_scores,
    segment_label,
)
from kam.analytics.summary import day_totals

from .helpers import d, tx


def _per_client(recency: list[int], freq: list[int], money: list[float]) -> pl.DataFrame:
    n = len(recency)
    return pl.DataFrame(
        {
            s.CLIENT: list(range(n)),
            s.LAST_PURCHASE: [d("2024-01-01")] * n,
            RECENCY_DAYS: recency,
            s.PURCHASE_DAYS: pl.Series(freq, dtype=pl.UInt32),
            MONETARY_TOTAL: money,
        }
    )


def test_five_distinct_clients_get_scores_one_to_five_with_5_best() -> None:
    out = rfm_scores(_per_client([50, 40, 30, 20, 10], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5]))
    assert out[s.R_SCORE].to_list() == [1, 2, 3, 4, 5]  # least recent first
    assert out[s.F_SCORE].to_list() == [1, 2, 3, 4, 5]
    assert out[s.M_SCORE].to_list() == [1, 2, 3, 4, 5]


def test_ten_clients_make_fifths_of_two() -> None:
    out = rfm_scores(_per_client(list(range(10)), list(range(10)), list(range(10))))
    assert out[s.F_SCORE].to_list() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert out[s.R_SCORE].to_list() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]


def test_tied_clients_share_a_score() -> None:
    out = rfm_scores(_per_client([1] * 5, [1, 1, 1, 1, 9], [5.0] * 5))
    # four tied at ranks 1-4 (average 2.5) → floor(5 * 2 / 5) + 1 = 3
    assert out[s.F_SCORE].to_list() == [3, 3, 3, 3, 5]
    assert out[s.R_SCORE].to_list() == [3] * 5


def test_segments_follow_the_rf_grid() -> None:
    assert SEGMENT_GRID[55] == "champions"
    assert SEGMENT_GRID[51] == "new"
    assert SEGMENT_GRID[41] == "promising"
    assert SEGMENT_GRID[42] == SEGMENT_GRID[53] == "potential_loyalists"
    assert SEGMENT_GRID[44] == SEGMENT_GRID[35] == "loyal"
    assert SEGMENT_GRID[33] == "need_attention"
    assert SEGMENT_GRID[32] == "about_to_sleep"
    assert SEGMENT_GRID[23] == SEGMENT_GRID[14] == "at_risk"
    assert SEGMENT_GRID[15] == SEGMENT_GRID[25] == "cannot_lose"
    assert SEGMENT_GRID[12] == SEGMENT_GRID[22] == "hibernating"
    assert SEGMENT_GRID[11] == "lost"
    assert len(SEGMENT_GRID) == 25
    assert set(SEGMENT_GRID.values()) == set(SEGMENT_LABELS)


def test_rfm_from_transactions_uses_the_calibration_period() -> None:
    rows = [
        ("old", "2024-01-05", 10),
        ("busy", "2024-03-01", 50),
        ("busy", "2024-03-20", 50),
        ("busy", "2024-03-30", 50),
        ("busy", "2024-04-05", 999),  # holdout
    ]
    out = rfm(tx(rows), AnalysisConfig(as_of=d("2024-03-31")))
    rows_by = {r[s.CLIENT]: r for r in out.to_dicts()}
    assert rows_by["busy"][RECENCY_DAYS] == 1
    assert rows_by["busy"][s.PURCHASE_DAYS] == 3
    assert rows_by["busy"][MONETARY_TOTAL] == 150.0
    assert rows_by["old"][RECENCY_DAYS] == 86
    # two clients: mid-point ranks 0.25 and 0.75 of N → scores 2 and 4
    assert (rows_by["busy"][s.R_SCORE], rows_by["old"][s.R_SCORE]) == (4, 2)


def test_labels_exist_in_english_and_russian() -> None:
    out = rfm_scores(_per_client([1], [1], [1.0]))
    assert out[s.RFM_SEGMENT].to_list() == ["need_attention"]  # a lone client scores 3/3
    assert out.select(segment_label("ru")).item() == "Требуют внимания"
    assert out.select(segment_label("en")).item() == "Need attention"
    assert all(en and ru for en, ru in SEGMENT_LABELS.values())


def test_row_order_does_not_change_scores() -> None:
    per = _per_client([3, 1, 2, 2, 9, 0], [1, 4, 4, 2, 1, 7], [1.0, 3.0, 3.0, 0.5, 8.0, 2.0])
    base = rfm_scores(per)
    assert rfm_scores(per.reverse()).equals(base)


def test_the_day_totals_given_by_the_engine_give_the_same_scores() -> None:
    rows = [("a", day, 10) for day in ("2024-01-01", "2024-01-11", "2024-01-11", "2024-01-14")]
    rows += [("b", day, 5) for day in ("2023-06-01", "2023-07-01", "2023-09-01")]
    rows += [("c", "2024-02-01", 7), ("c", "2024-02-03", -9), ("c", "2024-02-10", 3)]
    rows += [("d", "2024-02-05", -4)]  # returns only: no purchase day, no row
    frame = validate_transactions(tx(rows))
    config = AnalysisConfig(as_of=d("2024-03-01"))
    given = rfm(frame, config, totals=day_totals(frame))
    assert given.equals(rfm(frame, config))
    assert given[s.CLIENT].to_list() == ["a", "b", "c"]
