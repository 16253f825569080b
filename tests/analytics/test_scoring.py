import dataclasses

import polars as pl
import pytest

from kam.analytics import schema as s
from kam.analytics.config import AnalysisConfig
from kam.analytics.scoring import client_metrics, score_clients

from .helpers import d, monthly, tx

CONFIG = AnalysisConfig(as_of=d("2024-12-31"))


def _frame() -> pl.DataFrame:
    rows = monthly("big", "2023-01", [100] * 24)  # steady, two years
    rows += monthly("mid", "2024-01", [50] * 12)  # one year
    rows += monthly("small", "2024-10", [5, 5, 5])  # new
    return tx(rows)


def test_contributions_add_up_to_the_score_within_0_and_100() -> None:
    out = score_clients(_frame(), CONFIG)
    parts = [c for c in out.columns if c.startswith(s.CONTRIBUTION_PREFIX)]
    assert parts
    total = out.select(pl.sum_horizontal(parts)).to_series()
    assert total.to_list() == pytest.approx(out[s.SCORE].to_list())
    assert out[s.SCORE].min() >= 0
    assert out[s.SCORE].max() <= 100
    assert out[s.CLIENT].to_list()[0] == "big"
    assert out[s.SCORE_RANK].to_list() == [1, 2, 3]


def test_revenue_scores_by_percentile_rank_by_default() -> None:
    weights = dict.fromkeys(("margin", "growth", "tenure", "regularity", "frequency"), 0.0)
    weights |= {"potential": 0.0, "strategic": 0.0, "revenue": 2.0}
    out = score_clients(_frame(), dataclasses.replace(CONFIG, scoring_weights=weights))
    scores = dict(zip(out[s.CLIENT], out[s.SCORE], strict=True))
    # three clients: ranks 3, 2, 1 → 1, 0.5, 0 whatever the gaps
    assert scores == pytest.approx({"big": 100.0, "mid": 50.0, "small": 0.0})


def test_a_single_weight_scores_by_min_max_normalised_revenue() -> None:
    weights = dict.fromkeys(("margin", "growth", "tenure", "regularity", "frequency"), 0.0)
    weights |= {"potential": 0.0, "strategic": 0.0, "revenue": 2.0}
    config = dataclasses.replace(
        CONFIG, scoring_weights=weights, scoring_normalisation={"revenue": "minmax"}
    )
    out = score_clients(_frame(), config)
    scores = dict(zip(out[s.CLIENT], out[s.SCORE], strict=True))
    # revenue 2024: big 1200, mid 600, small 15 → (x − 15) / 1185 × 100
    assert scores["big"] == pytest.approx(100.0)
    assert scores["mid"] == pytest.approx((600 - 15) / 1185 * 100)
    assert scores["small"] == pytest.approx(0.0)


def test_a_constant_criterion_normalises_to_one_half() -> None:
    weights = dict.fromkeys(("revenue", "margin", "growth", "tenure", "frequency"), 0.0)
    weights |= {"potential": 0.0, "strategic": 0.0, "regularity": 1.0}
    config = dataclasses.replace(CONFIG, scoring_weights=weights)
    out = score_clients(_frame(), config)  # every client has CV 0 → regularity 1 for all
    assert out[s.SCORE].to_list() == pytest.approx([50.0, 50.0, 50.0])


def test_growth_is_year_on_year_and_capped_at_plus_100_percent() -> None:
    rows = monthly("up", "2023-01", [10] * 12 + [50] * 12)  # 120 → 600: +400 %, capped at +100 %
    rows += monthly("half", "2023-01", [10] * 12 + [15] * 12)  # 120 → 180: +50 %
    rows += monthly("down", "2023-01", [40] * 12 + [10] * 12)  # 480 → 120: −75 %
    rows += monthly("new", "2024-01", [5] * 12)  # nothing the year before: the cap
    metrics = client_metrics(tx(rows), CONFIG)
    growth = dict(zip(metrics[s.CLIENT], metrics["growth"], strict=True))
    assert growth == pytest.approx({"up": 1.0, "half": 0.5, "down": -0.75, "new": 1.0})


def test_breadwinner_needs_ten_percent_of_margin_and_a_year_of_tenure() -> None:
    out = score_clients(_frame(), CONFIG)
    types = dict(zip(out[s.CLIENT], out[s.SUGGESTED_TYPE], strict=True))
    assert types["big"] == "breadwinner"  # 1200 / 1815 of revenue, two years
    assert types["mid"] == ""  # 33 % of value but tenure 0.92 years; share too big for prospective
    assert types["small"] == "prospective"  # new (growth capped at +100 %), share 0.8 %


def test_leader_and_expert_flags_and_potential_come_from_attributes() -> None:
    attributes = pl.DataFrame(
        {
            s.CLIENT: ["mid", "small"],
            "is_leader": [True, False],
            "is_expert": [False, True],
            "potential": [10.0, 1000.0],
        }
    )
    out = score_clients(_frame(), CONFIG, attributes)
    types = dict(zip(out[s.CLIENT], out[s.SUGGESTED_TYPE], strict=True))
    assert (types["mid"], types["small"]) == ("image_maker", "expert")
    assert "contribution_potential" in out.columns


def test_unknown_criteria_are_rejected() -> None:
    with pytest.raises(ValueError, match="colour"):
        score_clients(_frame(), dataclasses.replace(CONFIG, scoring_weights={"colour": 1.0}))


def test_a_high_potential_with_a_low_share_of_wallet_is_prospective() -> None:
    rows = monthly("big", "2023-01", [100] * 24)
    rows += monthly("steady", "2023-01", [10] * 24)  # no growth: not prospective by growth
    rows += monthly("tapped", "2023-01", [10] * 24)
    rows += monthly("unknown", "2023-01", [10] * 24)
    attributes = pl.DataFrame(
        {
            s.CLIENT: ["steady", "tapped", "unknown"],
            "potential": [5000.0, 9000.0, None],
            "share_of_wallet": [12.0, 80.0, None],
        }
    )
    out = score_clients(tx(rows), CONFIG, attributes)
    types = dict(zip(out[s.CLIENT], out[s.SUGGESTED_TYPE], strict=True))
    # median potential 7,000 → steady's 5,000 is below it: only with a lower bar
    assert types["steady"] == "" and types["tapped"] == ""  # tapped: 80 % already ours
    low_bar = attributes.with_columns(pl.Series("potential", [9000.0, 9000.0, None]))
    types = dict(
        zip(
            *score_clients(tx(rows), CONFIG, low_bar).select(s.CLIENT, s.SUGGESTED_TYPE),
            strict=True,
        )
    )
    assert (types["steady"], types["tapped"], types["unknown"]) == ("prospective", "", "")
    assert types["big"] == "breadwinner"
