"""insert_rows: COPY on PostgreSQL, executemany on SQLite; awkward text survives both."""

import datetime as dt
import json

import pytest

from kam.core.bulk import insert_rows
from kam.keyprofile.models import ClientScore, ScoringRun
from kam.keyprofile.services import active_profile

pytestmark = pytest.mark.django_db


def test_rows_arrive_intact_with_quotes_tabs_newlines_backslashes_and_nulls(world):
    run = ScoringRun.objects.create(
        profile=active_profile(), as_of=dt.date(2025, 3, 31), trigger="manual"
    )
    awkward = {'он "сказал"\t\\N': 1.5, "line\nbreak": 0.0}
    insert_rows(
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


def test_instances_are_prepared_as_save_would_prepare_them(world):
    from decimal import Decimal

    from django.utils import timezone

    from kam.core.bulk import insert_instances
    from kam.insights.models import ClientAnalytics

    now = timezone.now()
    insert_instances(
        ClientAnalytics,
        [
            ClientAnalytics(
                client=world.own,
                computed_at=now,
                as_of=dt.date(2025, 3, 31),
                abc="A",
                value=Decimal("1234.56"),
                share=0.25,
                clv=None,
                reason="«тихо» 40 дней\tи\\всё",
            ),
            ClientAnalytics(client=world.foreign, computed_at=now, as_of=dt.date(2025, 3, 31)),
        ],
    )
    own = ClientAnalytics.objects.get(client=world.own)
    assert (own.abc, own.value, own.share, own.clv) == ("A", Decimal("1234.56"), 0.25, None)
    assert own.reason == "«тихо» 40 дней\tи\\всё" and own.computed_at == now
    assert ClientAnalytics.objects.get(client=world.foreign).value == Decimal("0")
