"""The grid's figures on hand-computed cases (kam.competition.grid is pure: no database)."""

from decimal import Decimal

from kam.competition import grid as G

A, B = 1, 2


def row(name, weight, us, a=None, b=None, key=""):
    return G.Row(key, name, Decimal(weight), "client", us, {A: a, B: b})


ROWS = [
    row("Price", 30, 3, 5, 4),
    row("Quality", 20, 5, 3, 4),
    row("Delivery", 50, 4, 4, 2),
]


def test_shares_totals_gaps_and_advantages_by_hand():
    analysis = G.analyse(ROWS, [A, B])
    assert [s.share for s in analysis.standings] == [Decimal("0.3"), Decimal("0.2"), Decimal("0.5")]
    # us: .3×3 + .2×5 + .5×4 = 3.9; A: 1.5 + .6 + 2 = 4.1; B: 1.2 + .8 + 1 = 3.0
    assert analysis.totals == {G.US: Decimal("3.9"), A: Decimal("4.1"), B: Decimal("3.0")}
    price, quality, delivery = analysis.standings
    assert (price.best, price.leaders, price.gap, price.priority) == (5, (A,), -2, Decimal("0.6"))
    assert (quality.best, quality.leaders, quality.gap) == (4, (B,), 1)
    assert (delivery.best, delivery.leaders, delivery.gap) == (4, (A,), 0)
    assert [s.row.name for s in analysis.gaps] == ["Price"]
    assert [s.row.name for s in analysis.advantages] == ["Quality"]


def test_gaps_are_ordered_by_share_times_gap_not_by_gap_alone():
    rows = [row("Small but far", 10, 1, 5), row("Heavy and close", 90, 3, 4)]
    gaps = G.analyse(rows, [A]).gaps
    # 0.1 × 4 = 0.4 against 0.9 × 1 = 0.9: the heavy criterion comes first
    assert [(s.row.name, s.priority) for s in gaps] == [
        ("Heavy and close", Decimal("0.9")),
        ("Small but far", Decimal("0.4")),
    ]


def test_a_missing_score_on_a_weighted_row_leaves_the_total_open():
    rows = [row("Price", 50, None, 4), row("Quality", 50, 4, 4)]
    analysis = G.analyse(rows, [A])
    assert analysis.totals[G.US] is None
    assert analysis.totals[A] == Decimal("4")
    assert analysis.missing_scores() == 1
    assert analysis.standings[0].gap is None
    # an unscored row weighing nothing does not hold the total back
    rows = [row("Price", 0, None, 4), row("Quality", 50, 4, 4)]
    assert G.analyse(rows, [A]).totals[G.US] == Decimal("4")


def test_zero_weights_give_no_shares_and_no_totals():
    rows = [row("Price", 0, 3, 4), row("Quality", 0, 4, 4)]
    analysis = G.analyse(rows, [A])
    assert [s.share for s in analysis.standings] == [0, 0]
    assert analysis.totals == {G.US: None, A: None}


def test_ties_name_every_leader():
    standing = G.analyse([row("Price", 1, 3, 5, 5)], [A, B]).standings[0]
    assert standing.leaders == (A, B)
    assert standing.gap == -2


def test_changes_match_criteria_by_code_or_name_and_report_what_moved():
    before = G.analyse([row("Price", 50, 3, 4, key="price"), row("Delivery  time", 50, 4, 4)], [A])
    after = G.analyse(
        [
            row("Цена", 25, 4, 4, key="price"),  # renamed on screen, same code
            row("delivery time", 50, 4, 4),  # same name, another case and spacing
            row("Range", 25, 5, 2),
        ],
        [A, B],
    )
    moved = G.changes(before, after)
    assert [r.name for r in moved.added] == ["Range"]
    assert moved.removed == ()
    price = moved.rows[0]
    assert price.row.key == "price"
    assert price.share == (Decimal("0.5"), Decimal("0.25"))
    assert price.scores == {G.US: (3, 4)}  # B was not compared before: no change reported
    assert len(moved.rows) == 1  # delivery time: same share, same scores
    # before: us 3.5, A 4; after: us .25×4+.5×4+.25×5 = 4.25, A .25×4+.5×4+.25×2 = 3.5
    assert moved.totals == {
        G.US: (Decimal("3.5"), Decimal("4.25")),
        A: (Decimal("4"), Decimal("3.5")),
    }
    assert moved


def test_an_unchanged_grid_has_no_changes():
    analysis = G.analyse(ROWS, [A, B])
    assert not G.changes(analysis, G.analyse(ROWS, [A, B]))


def test_rows_round_trip_through_json():
    r = row("Price", "12.50", 3, 4, None, key="price")
    data = r.to_json()
    assert data == {
        "key": "price",
        "name": "Price",
        "weight": "12.5",
        "source": "client",
        "us": 3,
        "them": {"1": 4, "2": None},
    }
    assert G.Row.from_json(data) == r
