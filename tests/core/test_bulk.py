"""insert_rows and insert_frame: COPY on PostgreSQL, executemany on SQLite; odd text survives."""

import datetime as dt
import json

import polars as pl
import pytest

from kam.core.bulk import insert_frame, insert_rows
from kam.keyprofile.models import ClientScore, ScoringRun
from kam.keyprofile.services import active_profile

pytestmark = pytest.mark.django_db


def as_frame(model, fields, rows):
    """insert_frame, given what insert_rows takes (COPY csv written by Polars on PostgreSQL)."""
    insert_frame(model, pl.DataFrame(rows, schema=list(fields), orient="row"))


@pytest.mark.parametrize("insert", [insert_rows, as_frame], ids=["rows", "frame"])
def test_rows_arrive_intact_with_quotes_tabs_newlines_backslashes_and_nulls(world, insert):
    run = ScoringRun.objects.create(
        profile=active_profile(), as_of=dt.date(2025, 3, 31), trigger="manual"
    )
    awkward = {'он "сказал"\t\\N': 1.5, "line\nbreak": 0.0}
    insert(
        ClientScore,
        (
            "run",
            "client",
            "score",
            "rank",
            "previous_rank",
            "candidate",
            "contributions",
            "values",
            "failures",
        ),
        [
            (run.pk, world.own.pk, 12.5, 1, None, True, json.dumps(awkward), "{}", "[]"),
            (run.pk, world.foreign.pk, 0.0, 2, 7, False, "{}", '{"x": null}', '["revenue"]'),
        ],
    )
    own, foreign = ClientScore.objects.filter(run=run).order_by("rank")
    assert (own.client, own.score, own.previous_rank, own.candidate) == (
        world.own,
        12.5,
        None,
        True,
    )
    assert own.contributions == awkward
    assert (foreign.previous_rank, foreign.values, foreign.failures) == (
        7,
        {"x": None},
        ["revenue"],
    )
