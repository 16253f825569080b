"""The suggested type (R5) reads the clients' strategic flags: a flagged industry leader is
suggested as an image-maker, a flagged expert as an expert — a breadwinner stays a breadwinner,
and the key-client score does not move; a high potential with a low share of wallet is
suggested as prospective."""

import datetime as dt

import pytest

from kam.clients.models import Client
from kam.insights.models import ClientAnalytics
from kam.insights.services import read_attributes, recompute
from tests.factories import make_client, make_potential

from .conftest import monthly_sales

THREE_YEARS = {"months": 36, "start": dt.date(2023, 1, 15)}


@pytest.fixture
def market(world):
    """Three years of steady sales: ``feeder`` brings most of the margin (a breadwinner); the
    others are small and flat (no growth, so none is prospective)."""
    clients = {
        "feeder": make_client(world.kam, name="Feeder"),
        "leader": make_client(world.kam, name="Leader"),
        "expert": make_client(world.kam, name="Expert"),
        "both": make_client(world.kam, name="Both"),
        "plain": make_client(world.kam, name="Plain"),
    }
    amounts = {"feeder": "10000", "leader": "100", "expert": "80", "both": "70", "plain": "60"}
    for name, client in clients.items():
        monthly_sales(client, world.product, amounts[name], **THREE_YEARS)
    return clients


def flag(client: Client, **flags) -> None:
    Client.objects.filter(pk=client.pk).update(**flags)


def suggested(clients: dict) -> dict:
    types = dict(ClientAnalytics.objects.values_list("client_id", "suggested_type"))
    return {name: types[c.pk] for name, c in clients.items()}


def test_without_flags_only_the_breadwinner_has_a_suggested_type(market):
    recompute()
    assert suggested(market) == {
        "feeder": "breadwinner",
        "leader": "",
        "expert": "",
        "both": "",
        "plain": "",
    }


def test_recompute_suggests_image_maker_for_a_flagged_leader_that_is_not_a_breadwinner(market):
    flag(market["feeder"], is_industry_leader=True)
    flag(market["leader"], is_industry_leader=True)
    flag(market["expert"], is_expert=True)
    flag(market["both"], is_industry_leader=True, is_expert=True)
    flag(market["plain"], is_reference_customer=True)  # not a type of its own
    recompute()
    assert suggested(market) == {
        "feeder": "breadwinner",
        "leader": "image_maker",
        "expert": "expert",
        "both": "image_maker",
        "plain": "",
    }


def test_the_flags_change_the_suggested_type_but_not_the_score_or_rank(market):
    recompute()
    before = dict(ClientAnalytics.objects.values_list("client_id", "score"))
    ranks = dict(ClientAnalytics.objects.values_list("client_id", "score_rank"))
    for client in market.values():
        flag(client, is_industry_leader=True, is_reference_customer=True, is_expert=True)
    recompute()
    assert dict(ClientAnalytics.objects.values_list("client_id", "score")) == before
    assert dict(ClientAnalytics.objects.values_list("client_id", "score_rank")) == ranks
    assert ClientAnalytics.objects.get(client=market["leader"]).suggested_type == "image_maker"


def test_the_attributes_are_read_in_two_queries(market, django_assert_num_queries):
    flag(market["leader"], is_industry_leader=True)
    flag(market["expert"], is_expert=True)
    make_potential(market["expert"], "10000", "40", year=2025)
    with django_assert_num_queries(2):
        frame = read_attributes(2025)
    assert frame.columns == ["client_id", "is_leader", "is_expert", "potential", "share_of_wallet"]
    rows = {row[0]: row[1:] for row in frame.iter_rows()}
    assert rows[market["leader"].pk] == (True, False, None, None)
    assert rows[market["expert"].pk][:3] == (False, True, 4000.0)
    assert len(rows) == Client.objects.count()


def test_a_big_untapped_potential_is_suggested_as_prospective(market):
    recompute()
    plain = ClientAnalytics.objects.get(client=market["plain"])
    assert plain.suggested_type == ""
    # Its demand dwarfs what it buys from us: share of wallet far below 30 %.
    make_potential(market["plain"], "99999999", "50", year=plain.as_of.year)
    recompute()
    assert suggested(market)["plain"] == "prospective"
    assert suggested(market)["feeder"] == "breadwinner"


def test_a_client_without_sales_gets_no_snapshot_even_when_flagged(market, world):
    lonely = make_client(world.kam, name="No Sales", is_industry_leader=True)
    recompute()
    assert not ClientAnalytics.objects.filter(client=lonely).exists()
