"""The snapshot rows built by Polars and written in bulk (COPY on PostgreSQL) are stored exactly
as saving a model instance per client stores them: money rounded to kopecks as Python rounds
it, NaN and infinities as unknown, missing text as "", a column the run lacks as empty."""

import datetime as dt
import math
from decimal import Decimal

import polars as pl
import pytest
from django.db import connection
from django.utils import timezone

from kam.analytics import schema as s
from kam.analytics.config import AnalysisConfig
from kam.analytics.engine import analyze
from kam.insights.models import ClientAnalytics
from kam.insights.services import write_snapshots
from tests.factories import make_client
from tests.insights.synthetic import history

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2024, 12, 31)
SOURCES = ("model", "own_average")
COLUMNS = [f.column for f in ClientAnalytics._meta.concrete_fields]
SCORE_COLUMNS = (s.SCORE, s.SCORE_RANK, s.SUGGESTED_TYPE)
# Floats whose kopeck is decided by the binary value's last digits (Polars' round(2) misses some).
KEEP = object()
AWKWARD_MONEY = [2.675, 513991.735, 0.125, 0.375, -2.675, -0.001, 1e12 + 0.005, 1234.5, 0.0]


def engine_result(world) -> pl.DataFrame:
    """The engine's client frame over a seeded two-year history, on clients of the database."""
    lines = history()
    names = lines[s.CLIENT].unique().sort()
    ids = {name: make_client(world.kam).pk for name in names}
    lines = lines.with_columns(pl.col(s.CLIENT).replace_strict(ids, return_dtype=pl.Int64))
    return analyze(lines.drop("product"), AnalysisConfig(as_of=AS_OF)).clients


def with_awkward_values(clients: pl.DataFrame) -> pl.DataFrame:
    """NaN, infinities, nulls and half-kopecks where a real run might put them."""
    n, nan, inf = clients.height, float("nan"), float("inf")

    def put(column: str, values: list, dtype=None) -> pl.Expr:
        """``values`` over the rows, repeated; KEEP keeps the engine's value."""
        cycle = [values[i % len(values)] for i in range(n)]
        keep = pl.Series([v is KEEP for v in cycle])
        new = pl.Series([None if v is KEEP else v for v in cycle], dtype=dtype)
        return pl.when(pl.lit(keep)).then(pl.col(column)).otherwise(pl.lit(new)).alias(column)

    return clients.with_columns(
        put(s.CLV, AWKWARD_MONEY + [KEEP] * (n - len(AWKWARD_MONEY))),
        put(s.EXPECTED_SPEND, [KEEP, KEEP, 0.005, -1e-9, nan, None]),
        put(s.VALUE, [nan, inf, -inf, None, KEEP, -0.004, KEEP]),
        put(s.P_ALIVE, [KEEP, nan, -inf, None, KEEP]),
        put(s.CV, [inf, KEEP, KEEP]),
        put(s.XYZ, [None, KEEP, KEEP], pl.String),
        put(s.REASON, [KEEP, None, "«тихо»\t40 дней\\N\n"], pl.String),
        put(s.R_SCORE, [KEEP, KEEP, None], pl.Int8),
        (pl.col(s.SILENCE_DAYS) + 0.75).alias(s.SILENCE_DAYS),  # as a float: truncated
    )


def expected(row: dict, computed_at) -> ClientAnalytics:
    """The instance a per-client save stores, converted value by value in plain Python."""

    def finite(value):
        return None if value is None or not math.isfinite(value) else float(value)

    def money(value):
        value = finite(value)
        return None if value is None else Decimal(f"{value:.2f}")

    def text(name):
        return row.get(name) or ""

    count = finite(row.get(s.SILENCE_DAYS))
    return ClientAnalytics(
        client_id=row[s.CLIENT],
        computed_at=computed_at,
        as_of=AS_OF,
        abc=text(s.ABC),
        xyz=text(s.XYZ),
        value=money(row[s.VALUE]) or Decimal("0"),
        share=finite(row[s.SHARE]),
        cv=finite(row[s.CV]),
        r_score=row[s.R_SCORE],
        f_score=row[s.F_SCORE],
        m_score=row[s.M_SCORE],
        rfm_segment=text(s.RFM_SEGMENT),
        typical_gap_days=finite(row[s.TYPICAL_GAP_DAYS]),
        silence_days=None if count is None else int(count),
        p_alive=finite(row[s.P_ALIVE]),
        expected_purchases=finite(row[s.EXPECTED_PURCHASES]),
        expected_spend=money(row[s.EXPECTED_SPEND]),
        clv=money(row[s.CLV]),
        purchases_source=SOURCES[0],
        spend_source=SOURCES[1],
        risk=text(s.RISK),
        rhythm_flag=text(s.RHYTHM_FLAG),
        reason=text(s.REASON),
        score=finite(row.get(s.SCORE)),
        score_rank=row.get(s.SCORE_RANK),
        suggested_type=text(s.SUGGESTED_TYPE),
    )


def stored() -> list[tuple]:
    """Every snapshot row as the database holds it: each column as the database's own text (a
    kopeck, a float digit, a time zone or a storage class that differs shows here)."""
    quote = connection.ops.quote_name
    columns = ", ".join(f"CAST({quote(c)} AS TEXT)" for c in COLUMNS)
    table = quote(ClientAnalytics._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} ORDER BY {quote('client_id')}")
        return cursor.fetchall()


@pytest.mark.parametrize("scored", [True, False], ids=["with-score", "without-score"])
def test_the_bulk_snapshot_is_stored_as_saved_instances_would_be(world, scored):
    clients = with_awkward_values(engine_result(world))
    if not scored:  # no key-client score in the run: those columns are absent
        clients = clients.drop(SCORE_COLUMNS)
    computed_at = timezone.now()
    rows = clients.to_dicts()
    assert len(rows) == 60

    written = write_snapshots(clients, computed_at=computed_at, as_of=AS_OF, sources=SOURCES)

    assert written == 60
    bulk = stored()
    ClientAnalytics.objects.all().delete()
    ClientAnalytics.objects.bulk_create([expected(row, computed_at) for row in rows])
    assert bulk == stored()
    # And the cases the conversion is about did occur in this frame.
    read = {a.client_id: a for a in ClientAnalytics.objects.all()}
    assert {read[r[s.CLIENT]].clv for r in rows[: len(AWKWARD_MONEY)]} == {
        Decimal(f"{v:.2f}") for v in AWKWARD_MONEY
    }
    # 513991.735 is a little under in binary: .73, where Polars' round(2) gives .74.
    assert read[rows[1][s.CLIENT]].clv == Decimal("513991.73")
    assert read[rows[0][s.CLIENT]].value == Decimal("0")  # NaN: nothing known, stored as 0
    assert read[rows[1][s.CLIENT]].p_alive is None and read[rows[0][s.CLIENT]].xyz == ""
    assert read[rows[0][s.CLIENT]].computed_at == computed_at
    assert (read[rows[2][s.CLIENT]].r_score, read[rows[0][s.CLIENT]].cv) == (None, None)
    assert any(a.score is not None for a in read.values()) is scored
    assert all(a.suggested_type == "" for a in read.values()) is not scored
