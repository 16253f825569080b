import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from kam.analytics import schema as s
from kam.analytics import scoring
from kam.analytics.config import AnalysisConfig
from kam.keyprofile.services import CriterionSpec, score


def frame(**columns):
    n = len(next(iter(columns.values())))
    return pl.DataFrame({s.CLIENT: list(range(1, n + 1)), **columns})


def by_client(result):
    return {row.client_id: row for row in result.rows}


def test_minmax_and_weights():
    f = frame(revenue=[0.0, 50.0, 100.0], growth=[1.0, 0.0, 0.5])
    result = score(f, [CriterionSpec("revenue", 3), CriterionSpec("growth", 1)])
    rows = by_client(result)
    # weights rescale to 0.75 / 0.25
    assert rows[3].contributions == pytest.approx({"revenue": 75.0, "growth": 12.5})
    assert rows[1].score == pytest.approx(25.0)
    assert rows[2].score == pytest.approx(37.5)
    assert [r.client_id for r in result.rows] == [3, 2, 1]
    assert [r.rank for r in result.rows] == [1, 2, 3]


def test_bands():
    f = frame(revenue=[5.0, 10.0, 150.0, 2000.0, None])
    spec = CriterionSpec("revenue", 1, normalisation="bands", bands=(10.0, 100.0, 1000.0, 10000.0))
    rows = by_client(score(f, [spec]))
    assert [rows[i].score for i in range(1, 6)] == pytest.approx([0.0, 25.0, 50.0, 75.0, 0.0])


def test_threshold_excludes_from_candidates():
    f = frame(revenue=[10.0, 20.0, 30.0], tenure_years=[0.5, 2.0, None])
    result = score(f, [CriterionSpec("revenue", 1), CriterionSpec("tenure", 0, min_value=1.0)])
    rows = by_client(result)
    assert rows[1].failures == ["tenure"] and not rows[1].candidate
    assert rows[2].candidate
    assert rows[3].failures == ["tenure"]  # no value fails the threshold
    assert result.used == ["revenue"]  # weight 0: a gate only


def test_contributions_add_up_to_score():
    f = frame(revenue=[1.0, 7.0, 3.0], margin=[2.0, 1.0, 9.0], regularity=[0.2, 0.9, 0.4])
    specs = [
        CriterionSpec("revenue", 0.2),
        CriterionSpec("margin", 0.5, normalisation="bands", bands=(1.5, 5.0)),
        CriterionSpec("regularity", 0.3),
    ]
    for row in score(f, specs).rows:
        assert sum(row.contributions.values()) == pytest.approx(row.score)
        assert 0 <= row.score <= 100


def test_criteria_without_data_are_dropped():
    f = frame(revenue=[1.0, 2.0], potential=[None, None])
    result = score(f, [CriterionSpec("revenue", 1), CriterionSpec("potential", 1)])
    assert result.dropped == ["potential"]
    assert by_client(result)[2].score == pytest.approx(100.0)


def test_an_all_minmax_profile_scores_as_the_engine_does_by_hand():
    """The profile configures the engine's scoring; it is not a second scoring. Both are checked
    against scores worked out by hand.

    As of 31.12.2025 the window is 2025; the year before is 2024. Cost is 60 % of the amount,
    so margin is 40 % of revenue and scales like it.

    ======  ========  ===========  ===================  ============
    client  2024      2025         growth               purchase days
    ======  ========  ===========  ===================  ============
    1       200       100+120+90   310/200 − 1 = 0.55   3
    2       1100      500+10+700   1210/1100 − 1 = 0.1  2 (two lines on 10.03)
    3       —         4 × 40       none before: cap 1   4
    ======  ========  ===========  ===================  ============

    Min–max: revenue (and margin) 310, 1210, 160 → 1/7, 1, 0; growth → 0.5, 0, 1; days → 0.5,
    0, 1. Weights 0.2, 0.2, 0.15, 0.1 rescale by 1/0.65. Score = 100/0.65 × Σ weight × value:
    client 1: (0.4/7 + 0.125)/0.65 × 100 = 2550/91; client 2: 40/0.65 = 800/13;
    client 3: 25/0.65 = 500/13.
    """
    lines = {
        1: [("2024-05-10", 200), ("2025-03-10", 100), ("2025-06-10", 120), ("2025-09-10", 90)],
        2: [("2024-05-10", 1100), ("2025-03-10", 500), ("2025-03-10", 10), ("2025-09-10", 700)],
        3: [("2025-03-10", 40), ("2025-06-10", 40), ("2025-09-10", 40), ("2025-12-10", 40)],
    }
    rows = [
        (client, dt.date.fromisoformat(day), float(amount), amount * 0.6)
        for client, sales in lines.items()
        for day, amount in sales
    ]
    tx = pl.DataFrame(rows, schema=[s.CLIENT, s.DATE, s.AMOUNT, s.COST], orient="row")
    as_of = dt.date(2025, 12, 31)
    weights = {"revenue": 0.2, "margin": 0.2, "growth": 0.15, "frequency": 0.1}
    expected = {1: 2550 / 91, 2: 800 / 13, 3: 500 / 13}

    engine = scoring.score_clients(
        tx,
        AnalysisConfig(
            as_of=as_of,
            scoring_weights={k: weights.get(k, 0.0) for k in scoring.DEFAULT_WEIGHTS},
            scoring_normalisation=dict.fromkeys(weights, "minmax"),
        ),
    )
    assert dict(zip(engine[s.CLIENT], engine[s.SCORE], strict=True)) == pytest.approx(expected)

    ours = score(
        scoring.client_metrics(tx, AnalysisConfig(as_of=as_of)),
        [CriterionSpec(m, w) for m, w in weights.items()],
    )
    assert {r.client_id: r.score for r in ours.rows} == pytest.approx(expected)
    assert by_client(ours)[1].contributions == pytest.approx(
        {
            "revenue": 20 / 0.65 / 7,
            "margin": 20 / 0.65 / 7,
            "growth": 7.5 / 0.65,
            "frequency": 5 / 0.65,
        }
    )


def test_decimal_free_thresholds_compare_floats():
    f = frame(revenue=[float(Decimal("10.5"))])
    assert score(f, [CriterionSpec("revenue", 1, min_value=10.5)]).rows[0].candidate
