"""/api/clients/{id}/potentials, /api/potentials/{id}, whitespace and strategy (R2, R12, R13)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kam.clients.models import CompetitorPresence
from kam.potential import services
from kam.potential.models import ClientPotential, ClientStrategy
from tests.factories import make_competitor, make_product, make_sale

from .conftest import fields

pytestmark = pytest.mark.django_db

BASIS = "Builds 120,000 m² → 9,000 t of mix"


def estimate(world, year=2026, client=None, **extra):
    data = {"basis": BASIS, "achievable_share": Decimal("25")} | extra
    data.setdefault("total_demand", Decimal("1000000"))
    client = client or world.own
    return services.potential_save(by=client.owner, client=client, year=year, **data)


def years(response):
    assert response.status_code == 200, response.content[:500]
    return [item["year"] for item in response.json()["items"]]


# --- list ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["director", "kam", "assistant", "member"])
def test_everyone_who_sees_the_client_lists_its_potential_by_year(persona, world, api):
    for year in (2027, 2025, 2026):
        estimate(world, year=year)
    estimate(world, year=2026, client=world.foreign)

    response = api(getattr(world, persona)).get(f"/api/clients/{world.own.pk}/potentials")

    assert years(response) == [2025, 2026, 2027]
    assert response.json()["count"] == 3


def test_each_year_carries_potential_revenue_actual_share_of_wallet_and_gap(world, api):
    product = make_product()
    make_sale(world.own, product, date=dt.date(2026, 1, 10), amount=Decimal("100000"))
    make_sale(world.own, product, date=dt.date(2026, 12, 31), amount=Decimal("50000"))
    make_sale(world.own, product, date=dt.date(2025, 12, 31), amount=Decimal("999"))
    make_sale(world.foreign, product, date=dt.date(2026, 5, 1), amount=Decimal("777"))
    estimate(world, year=2026)
    estimate(world, year=2027, total_demand=Decimal("0"))

    items = api(world.member).get(f"/api/clients/{world.own.pk}/potentials").json()["items"]

    assert items[0] | {"id": 0, "created_at": "", "updated_at": ""} == {
        "id": 0,
        "client": {"id": world.own.pk, "name": "Own Client"},
        "year": 2026,
        "total_demand": "1000000.00",
        "basis": BASIS,
        "driver": "",
        "driver_quantity": None,
        "rate": None,
        "achievable_share": "25.00",
        "potential_revenue": "250000.00",
        "actual": "150000.00",
        "share_of_wallet": "15.00",
        "gap": "100000.00",
        "created_at": "",
        "updated_at": "",
    }
    assert items[1]["actual"] == "0.00"
    assert items[1]["share_of_wallet"] is None
    assert items[1]["gap"] == "0.00"


def test_listing_the_potential_takes_a_fixed_number_of_queries(
    world, api, django_assert_max_num_queries
):
    product = make_product()
    for year in range(2010, 2040):
        estimate(world, year=year)
        make_sale(world.own, product, date=dt.date(year, 6, 1), amount=Decimal("10"))
    caller = api(world.member)

    # token lookup + last_used_at update + the client + count + page
    with django_assert_max_num_queries(5):
        response = caller.get(f"/api/clients/{world.own.pk}/potentials", {"limit": 500})

    assert len(years(response)) == 30
    assert {item["actual"] for item in response.json()["items"]} == {"10.00"}


def hidden_estimate(world, persona):
    """An estimate the persona may not see: the foreign client's; for the outsider, own's."""
    return estimate(world, client=world.own if persona == "outsider" else world.foreign)


@pytest.mark.parametrize("persona", ["kam", "assistant", "member", "outsider"])
def test_the_potential_of_a_foreign_client_looks_like_a_missing_client(persona, world, api):
    hidden = hidden_estimate(world, persona).client
    caller = api(getattr(world, persona))

    foreign = caller.get(f"/api/clients/{hidden.pk}/potentials")
    missing = caller.get("/api/clients/999999/potentials")

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json() == {"detail": "Not found."}


# --- read one ------------------------------------------------------------------------------


def test_an_estimate_reads_with_its_figures(world, api):
    potential = estimate(
        world,
        total_demand=None,
        driver="m² built",
        driver_quantity=Decimal("120000"),
        rate=Decimal("12.5"),
    )

    body = api(world.assistant).get(f"/api/potentials/{potential.pk}").json()

    assert body["total_demand"] == "1500000.00"
    assert body["driver_quantity"] == "120000.000"
    assert body["rate"] == "12.5000"
    assert body["potential_revenue"] == "375000.00"
    assert body["share_of_wallet"] == "0.00"


@pytest.mark.parametrize("persona", ["kam", "assistant", "member", "outsider"])
def test_a_foreign_estimate_is_404(persona, world, api):
    potential = hidden_estimate(world, persona)

    response = api(getattr(world, persona)).get(f"/api/potentials/{potential.pk}")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


# --- create --------------------------------------------------------------------------------


def test_a_kam_estimates_a_year_and_the_demand_is_derived_from_driver_times_rate(world, api):
    response = api(world.kam).post(
        f"/api/clients/{world.own.pk}/potentials",
        {
            "year": 2026,
            "basis": BASIS,
            "driver": "m² built",
            "driver_quantity": "120000",
            "rate": "12.5",
            "achievable_share": "40",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["total_demand"] == "1500000.00"
    assert body["potential_revenue"] == "600000.00"
    assert body["achievable_share"] == "40.00"
    potential = ClientPotential.objects.get(pk=body["id"])
    assert potential.client == world.own
    assert potential.audit.first().history_user == world.kam


def test_creating_an_estimate_reports_every_bad_field(world, api):
    response = api(world.kam).post(
        f"/api/clients/{world.own.pk}/potentials",
        {"year": 1999, "basis": "", "achievable_share": "150", "driver_quantity": "3"},
    )

    errors = fields(response)
    assert set(errors) == {"year", "basis", "achievable_share", "rate"}
    assert errors["rate"] == ["Give both the driver quantity and the rate, or neither."]
    assert not ClientPotential.objects.exists()


def test_a_demand_that_disagrees_with_driver_times_rate_is_refused(world, api):
    errors = fields(
        api(world.kam).post(
            f"/api/clients/{world.own.pk}/potentials",
            {
                "year": 2026,
                "basis": BASIS,
                "total_demand": "1000",
                "driver": "m²",
                "driver_quantity": "10",
                "rate": "5",
                "achievable_share": "40",
            },
        )
    )

    assert list(errors) == ["total_demand"]
    assert "50.00" in errors["total_demand"][0]


def test_missing_misspelt_and_malformed_fields_are_reported(world, api):
    errors = fields(
        api(world.kam).post(
            f"/api/clients/{world.own.pk}/potentials",
            {"totl_demand": "1", "rate": "a lot", "year": "next"},
        )
    )

    assert set(errors) == {"year", "basis", "achievable_share", "totl_demand", "rate"}


@pytest.mark.parametrize("year", [1999, 2101, 40000, 10**12])
def test_the_year_must_be_between_2000_and_2100(year, world, api):
    errors = fields(
        api(world.kam).post(
            f"/api/clients/{world.own.pk}/potentials",
            {"year": year, "basis": BASIS, "total_demand": "1", "achievable_share": "1"},
        )
    )

    assert list(errors) == ["year"]


def test_money_with_too_many_decimals_is_refused(world, api):
    errors = fields(
        api(world.kam).post(
            f"/api/clients/{world.own.pk}/potentials",
            {"year": 2026, "basis": BASIS, "total_demand": "10.005", "achievable_share": "1"},
        )
    )

    assert list(errors) == ["total_demand"]


def test_a_second_estimate_for_the_same_year_is_refused(world, api):
    estimate(world, year=2026)

    errors = fields(
        api(world.kam).post(
            f"/api/clients/{world.own.pk}/potentials",
            {"year": 2026, "basis": BASIS, "total_demand": "1", "achievable_share": "1"},
        )
    )

    assert errors == {"year": ["There is already an estimate for 2026: edit it."]}


def test_a_team_member_reads_the_potential_but_may_not_estimate_it(world, api):
    response = api(world.member).post(
        f"/api/clients/{world.own.pk}/potentials",
        {"year": 2026, "basis": BASIS, "total_demand": "1", "achievable_share": "1"},
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "You may not change this client."}
    assert not ClientPotential.objects.exists()


def test_a_forbidden_estimate_is_refused_before_its_payload_is_checked(world, api):
    response = api(world.member).post(
        f"/api/clients/{world.own.pk}/potentials",
        {"year": 1999, "basis": "", "achievable_share": "150"},
    )

    assert response.status_code == 403


def test_estimating_a_foreign_client_is_404(world, api):
    response = api(world.kam).post(
        f"/api/clients/{world.foreign.pk}/potentials",
        {"year": 2026, "basis": BASIS, "total_demand": "1", "achievable_share": "1"},
    )

    assert response.status_code == 404


# --- update --------------------------------------------------------------------------------


def test_a_patch_changes_only_the_fields_sent_and_records_who(world, api):
    potential = estimate(world, year=2026)

    response = api(world.assistant).patch(
        f"/api/potentials/{potential.pk}", {"achievable_share": "50", "year": 2027}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["year"] == 2027
    assert body["achievable_share"] == "50.00"
    assert body["potential_revenue"] == "500000.00"
    assert body["basis"] == BASIS
    potential.refresh_from_db()
    assert (potential.year, potential.total_demand) == (2027, Decimal("1000000"))
    assert potential.audit.first().history_user == world.assistant


def test_null_rederives_the_demand_but_a_required_field_cannot_be_null(world, api):
    potential = estimate(world)
    client = api(world.kam)

    derived = client.patch(
        f"/api/potentials/{potential.pk}",
        {"total_demand": None, "driver": "t", "driver_quantity": "10", "rate": "2.5"},
    )
    refused = client.patch(f"/api/potentials/{potential.pk}", {"basis": None, "year": None})

    assert derived.status_code == 200, derived.content
    assert derived.json()["total_demand"] == "25.00"
    assert set(fields(refused)) == {"basis", "year"}


def test_moving_an_estimate_onto_a_year_that_has_one_is_refused(world, api):
    estimate(world, year=2026)
    later = estimate(world, year=2027)

    errors = fields(api(world.kam).patch(f"/api/potentials/{later.pk}", {"year": 2026}))

    assert errors == {"year": ["There is already an estimate for 2026: edit it."]}
    later.refresh_from_db()
    assert later.year == 2027


def test_a_team_member_may_not_change_an_estimate(world, api):
    potential = estimate(world)

    response = api(world.member).patch(f"/api/potentials/{potential.pk}", {"basis": "x"})

    assert response.status_code == 403
    assert response.json() == {"detail": "You may not change this client."}


@pytest.mark.parametrize("persona", ["kam", "assistant", "member", "outsider"])
def test_patching_a_foreign_estimate_is_404_even_with_a_bad_payload(persona, world, api):
    potential = hidden_estimate(world, persona)

    response = api(getattr(world, persona)).patch(
        f"/api/potentials/{potential.pk}", {"achievable_share": "500"}
    )

    assert response.status_code == 404


# --- whitespace ----------------------------------------------------------------------------


@pytest.fixture
def whitespace_world(world):
    # The last complete month: the 12-month window ends with it (kam/core/figures.py).
    recent = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    cement = make_product(category="Cement")
    make_product(category="Dry mix")
    make_product(category="Paint")
    make_sale(world.own, cement, date=recent, amount=Decimal("1200.50"))
    make_sale(world.own, cement, date=recent - dt.timedelta(days=800), amount=Decimal("5"))
    make_sale(world.foreign, cement, date=recent, amount=Decimal("999"))
    CompetitorPresence.objects.create(
        client=world.own, competitor=make_competitor(name="MixCo"), supplies="dry mix, PAINT"
    )
    CompetitorPresence.objects.create(
        client=world.own,
        competitor=make_competitor(name="Haulers"),
        supplies="logistics",
        strength=3,
    )
    CompetitorPresence.objects.create(
        client=world.foreign, competitor=make_competitor(name="Elsewhere"), supplies="cement"
    )
    return world


def test_whitespace_shows_each_category_bought_or_not_with_the_competitors_present(
    whitespace_world, api
):
    world = whitespace_world

    response = api(world.member).get(f"/api/clients/{world.own.pk}/whitespace")

    assert response.status_code == 200, response.content
    body = response.json()
    mixco_id = CompetitorPresence.objects.get(competitor__name="MixCo").competitor_id
    mixco = {
        "competitor": {"id": mixco_id, "name": "MixCo"},
        "supplies": "dry mix, PAINT",
        "strength": 2,
        "strength_label": "Moderate",
    }
    assert [(c["category"], c["amount"], c["buys_from_us"]) for c in body["categories"]] == [
        ("Cement", "1200.50", True),
        ("Dry mix", "0.00", False),
        ("Paint", "0.00", False),
    ]
    assert [c["competitors"] for c in body["categories"]] == [[], [mixco], [mixco]]
    assert [p["competitor"]["name"] for p in body["other_competitors"]] == ["Haulers"]
    assert body["other_competitors"][0]["strength_label"] == "Strong"
    assert dt.date.fromisoformat(body["since"]).day == 1


def test_whitespace_takes_a_fixed_number_of_queries(
    whitespace_world, api, django_assert_max_num_queries
):
    world = whitespace_world
    for n in range(20):
        make_product(category=f"Category {n}")
        CompetitorPresence.objects.create(
            client=world.own, competitor=make_competitor(), supplies=f"category {n}"
        )
    caller = api(world.kam)

    # token lookup + last_used_at update + the client + the last sale (the window) + categories
    # + purchases + competitors
    with django_assert_max_num_queries(7):
        response = caller.get(f"/api/clients/{world.own.pk}/whitespace")

    assert len(response.json()["categories"]) == 23


@pytest.mark.parametrize("persona", ["kam", "assistant", "member", "outsider"])
def test_the_whitespace_of_a_foreign_client_is_404(persona, world, api):
    hidden = world.own if persona == "outsider" else world.foreign

    response = api(getattr(world, persona)).get(f"/api/clients/{hidden.pk}/whitespace")

    assert response.status_code == 404


# --- strategy ------------------------------------------------------------------------------

STRATEGY = {
    "strategy": "Enter the Urals market",
    "needs": "Reliable supply in winter",
    "how_we_help": "Our warehouse in Perm",
}


def test_a_strategy_not_recorded_yet_reads_as_empty(world, api):
    response = api(world.member).get(f"/api/clients/{world.own.pk}/strategy")

    assert response.status_code == 200, response.content
    assert response.json() == {
        "client": {"id": world.own.pk, "name": "Own Client"},
        "strategy": "",
        "needs": "",
        "how_we_help": "",
        "updated_by": None,
        "updated_at": None,
    }
    assert not ClientStrategy.objects.exists()


def test_an_assistant_records_the_strategy_and_a_second_put_replaces_it(world, api):
    client = api(world.assistant)

    first = client.put(f"/api/clients/{world.own.pk}/strategy", STRATEGY)
    second = client.put(
        f"/api/clients/{world.own.pk}/strategy", STRATEGY | {"needs": "", "strategy": "Grow"}
    )
    read = api(world.director).get(f"/api/clients/{world.own.pk}/strategy").json()

    assert first.status_code == second.status_code == 200, first.content
    assert first.json()["updated_by"] == {"id": world.assistant.pk, "name": "assistant"}
    assert first.json()["updated_at"] is not None
    assert read | {"updated_at": None} == {
        "client": {"id": world.own.pk, "name": "Own Client"},
        "strategy": "Grow",
        "needs": "",
        "how_we_help": "Our warehouse in Perm",
        "updated_by": {"id": world.assistant.pk, "name": "assistant"},
        "updated_at": None,
    }
    strategy = ClientStrategy.objects.get()
    assert strategy.audit.count() == 2
    assert strategy.audit.first().history_user == world.assistant


def test_a_strategy_put_needs_every_field_and_no_other(world, api):
    errors = fields(
        api(world.kam).put(
            f"/api/clients/{world.own.pk}/strategy", {"strategy": "x", "need": "typo"}
        )
    )

    assert set(errors) == {"needs", "how_we_help", "need"}


def test_a_team_member_may_not_record_the_strategy(world, api):
    response = api(world.member).put(f"/api/clients/{world.own.pk}/strategy", STRATEGY)

    assert response.status_code == 403
    assert response.json() == {"detail": "You may not change this client."}
    assert not ClientStrategy.objects.exists()


@pytest.mark.parametrize("persona", ["kam", "assistant", "member", "outsider"])
def test_the_strategy_of_a_foreign_client_is_404(persona, world, api):
    hidden = world.own if persona == "outsider" else world.foreign
    caller = api(getattr(world, persona))

    assert caller.get(f"/api/clients/{hidden.pk}/strategy").status_code == 404
    assert caller.put(f"/api/clients/{hidden.pk}/strategy", STRATEGY).status_code == 404
    assert not ClientStrategy.objects.exists()
