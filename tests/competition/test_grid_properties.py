"""Properties of the grid's figures over any grid (hypothesis): shares sum to one, totals stay
within the scores, gaps and advantages are ordered by share × gap, and a grid compared with
itself has nothing changed."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from kam.competition import grid as G

COMPETITORS = (11, 12, 13)
score = st.integers(min_value=1, max_value=5)


@st.composite
def rows(draw):
    n = draw(st.integers(min_value=1, max_value=15))
    return [
        G.Row(
            key="",
            name=f"Criterion {i}",
            weight=Decimal(draw(st.integers(min_value=0, max_value=1000))) / 4,
            source="client",
            us=draw(score),
            them={c: draw(score) for c in COMPETITORS},
        )
        for i in range(n)
    ]


@given(rows())
def test_shares_sum_to_one_and_totals_stay_within_the_scores(grid):
    analysis = G.analyse(grid, COMPETITORS)
    weights = [s.share for s in analysis.standings]
    if not any(r.weight for r in grid):
        assert all(t is None for t in analysis.totals.values())
        return
    assert abs(sum(weights) - 1) < Decimal("1e-20")
    for supplier, total in analysis.totals.items():
        scores = [r.score(supplier) for r, w in zip(grid, weights, strict=True) if w]
        assert min(scores) - Decimal("1e-20") <= total <= max(scores) + Decimal("1e-20")


@given(rows())
def test_gaps_and_advantages_are_ordered_by_share_times_gap(grid):
    analysis = G.analyse(grid, COMPETITORS)
    for ordered, sign in ((analysis.gaps, -1), (analysis.advantages, 1)):
        assert all(s.gap * sign > 0 for s in ordered)
        priorities = [s.priority for s in ordered]
        assert priorities == sorted(priorities, reverse=True)
    behind = {s.row.name for s in analysis.standings if s.gap < 0}
    assert {s.row.name for s in analysis.gaps} == behind


@given(rows())
def test_a_grid_compared_with_itself_has_nothing_changed(grid):
    analysis = G.analyse(grid, COMPETITORS)
    assert not G.changes(analysis, analysis)


@given(rows(), st.integers(min_value=0, max_value=14))
def test_one_score_moved_is_the_one_change_reported(grid, index):
    index %= len(grid)
    before = G.analyse(grid, COMPETITORS)
    moved = [
        G.Row(r.key, r.name, r.weight, r.source, 6 - r.us if i == index else r.us, r.them)
        for i, r in enumerate(grid)
    ]
    found = G.changes(before, G.analyse(moved, COMPETITORS))
    if grid[index].us == 3:  # 6 − 3 is 3: nothing moved
        assert not found.rows
    else:
        assert [c.row.name for c in found.rows] == [grid[index].name]
        assert found.rows[0].scores == {G.US: (grid[index].us, 6 - grid[index].us)}
