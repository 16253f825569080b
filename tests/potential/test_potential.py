import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kam.clients.completeness import completeness_for
from kam.clients.models import Client, CompetitorPresence
from kam.core.figures import Window
from kam.portfolio import services as portfolio_services
from kam.potential import selectors, services
from kam.potential.models import ClientPotential, ClientStrategy

from ..factories import make_competitor, make_product, make_sale

BASE = {"basis": "Builds 120,000 m² → 9,000 t of mix", "achievable_share": Decimal("40")}


def save(world, year=2026, by=None, **fields):
    return services.potential_save(
        by=by or world.kam, client=world.own, year=year, **(BASE | fields)
    )


# --- derivation and validation -------------------------------------------------------------


def test_total_demand_is_derived_from_driver_times_rate(world):
    p = save(world, driver="m² built", driver_quantity=Decimal("120000"), rate=Decimal("12.5"))
    assert p.total_demand == Decimal("1500000.00")
    assert p.potential_revenue == Decimal("600000.00")


def test_a_given_demand_must_agree_with_driver_and_rate(world):
    with pytest.raises(ValidationError) as error:
        save(
            world,
            total_demand=Decimal("1000"),
            driver="m²",
            driver_quantity=Decimal("10"),
            rate=Decimal("5"),
        )
    assert "total_demand" in error.value.message_dict
    p = save(world, total_demand=Decimal("50"), driver="m²", driver_quantity=Decimal("10"), rate=5)
    assert p.total_demand == Decimal("50")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"total_demand": Decimal("-1")}, "total_demand"),
        (
            {"total_demand": Decimal("10"), "achievable_share": Decimal("100.01")},
            "achievable_share",
        ),
        ({"total_demand": Decimal("10"), "achievable_share": Decimal("-1")}, "achievable_share"),
        ({}, "total_demand"),  # neither a demand nor a driver
        ({"driver": "m²", "driver_quantity": Decimal("10")}, "rate"),
        ({"driver": "m²", "rate": Decimal("10")}, "driver_quantity"),
        ({"driver_quantity": Decimal("1"), "rate": Decimal("1")}, "driver"),
        ({"total_demand": Decimal("10"), "basis": ""}, "basis"),
    ],
)
def test_invalid_estimates_are_refused_field_by_field(world, fields, field):
    with pytest.raises(ValidationError) as error:
        save(world, **fields)
    assert field in error.value.message_dict
    assert not ClientPotential.objects.exists()


@pytest.mark.parametrize("year", [1999, 2101])
def test_the_year_is_within_2000_and_2100(world, year):
    with pytest.raises(ValidationError) as error:
        save(world, year=year, total_demand=Decimal("1"))
    assert "year" in error.value.message_dict


def test_one_estimate_per_client_and_year(world):
    first = save(world, total_demand=Decimal("1"))
    with pytest.raises(ValidationError) as error:
        save(world, total_demand=Decimal("2"))
    assert "year" in error.value.message_dict
    updated = save(world, potential=first, total_demand=Decimal("3"))
    assert updated.pk == first.pk and ClientPotential.objects.get().total_demand == 3


def test_members_and_outsiders_cannot_write(world):
    for user in (world.member, world.outsider):
        with pytest.raises(PermissionDenied):
            save(world, by=user, total_demand=Decimal("1"))
        with pytest.raises(PermissionDenied):
            services.strategy_save(by=user, client=world.own, strategy="x")
    assert not ClientPotential.objects.exists() and not ClientStrategy.objects.exists()


# --- share of wallet and gap ---------------------------------------------------------------


def test_half_a_cent_rounds_up_in_the_potential_and_both_shares_of_wallet(world):
    """0.10 × 25 % = 0.025 → 0.03; 1 of 800 = 0.125 % → 0.13 % (half up, as accountants round;
    banker's rounding would give 0.02 and 0.12)."""
    make_sale(world.own, make_product(), date=dt.date(2026, 4, 1), amount=Decimal("1.00"))
    tiny = save(world, year=2025, total_demand=Decimal("0.10"), achievable_share=Decimal("25"))
    assert tiny.potential_revenue == Decimal("0.03")
    estimate = save(world, year=2026, total_demand=Decimal("800"))
    assert estimate.share_of_wallet == Decimal("0.13")
    assert portfolio_services.share_percent(Decimal("1"), Decimal("800")) == Decimal("0.13")


def test_share_of_wallet_and_gap_against_the_years_sales_lines(world):
    product = make_product()
    make_sale(world.own, product, date=dt.date(2026, 1, 10), amount=Decimal("100000"))
    make_sale(world.own, product, date=dt.date(2026, 12, 31), amount=Decimal("50000"))
    make_sale(world.own, product, date=dt.date(2025, 12, 31), amount=Decimal("999"))  # other year
    make_sale(world.foreign, product, date=dt.date(2026, 5, 1), amount=Decimal("777"))  # other
    save(world, year=2026, total_demand=Decimal("1000000"), achievable_share=Decimal("25"))
    save(world, year=2027, total_demand=Decimal("0"))
    plain = ClientPotential.objects.get(year=2026)  # computes the actual itself
    annotated = ClientPotential.objects.with_actual().get(year=2026)
    for p in (plain, annotated):
        assert p.actual == Decimal("150000")
        assert p.potential_revenue == Decimal("250000.00")
        assert p.share_of_wallet == Decimal("15.00")
        assert p.gap == Decimal("100000.00")
    empty = ClientPotential.objects.with_actual().get(year=2027)
    assert empty.actual == 0 and empty.share_of_wallet is None and empty.gap == 0


def test_the_tab_shows_the_years_with_one_query_for_the_table(
    world, login, django_assert_max_num_queries
):
    product = make_product()
    make_sale(world.own, product, date=dt.date(2026, 3, 1), amount=Decimal("2000"))
    for year in (2026, 2027, 2028):
        save(world, year=year, total_demand=Decimal("10000"), achievable_share=Decimal("50"))
    with django_assert_max_num_queries(1):
        rows = selectors.potential_rows(world.own)
        [row.gap for row in rows]
    assert [row.gap for row in rows] == [Decimal("3000.00"), Decimal("5000.00"), 5000]
    html = login(world.member).get(reverse("potential:tab", args=[world.own.pk])).content.decode()
    assert 'id="potential-2027"' in html and "20.0 %" in html
    assert reverse("potential:create", args=[world.own.pk]) not in html  # member reads only


def test_a_form_shows_field_level_errors(world, login):
    url = reverse("potential:create", args=[world.own.pk])
    response = login(world.kam).post(
        url, {"year": 2026, "basis": "b", "achievable_share": "150", "driver_quantity": "3"}
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "achievable_share" in errors
    response = login(world.kam).post(
        url,
        {"year": 2026, "basis": "b", "achievable_share": "10", "driver": "t", "rate": "2",
         "driver_quantity": "3", "total_demand": "7"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "total_demand" in response.context["form"].errors
    response = login(world.kam).post(
        url,
        {"year": 2026, "basis": "b", "achievable_share": "10", "driver": "t", "rate": "2",
         "driver_quantity": "3"},
    )  # fmt: skip
    assert response.status_code == 302
    assert ClientPotential.objects.get().total_demand == Decimal("6.00")
    response = login(world.kam).post(url, {"year": 2026, "basis": "b", "achievable_share": "10",
                                           "total_demand": "1"})  # fmt: skip
    assert response.status_code == 400 and "year" in response.context["form"].errors


# --- whitespace ----------------------------------------------------------------------------


def test_whitespace_flags_categories_bought_from_competitors(world, django_assert_num_queries):
    today = dt.date(2026, 6, 30)
    cement = make_product(category="Cement")
    make_product(category="Dry mix")
    make_product(category="Admixtures")
    make_product(category="")
    make_sale(world.own, cement, date=dt.date(2026, 2, 1), amount=Decimal("300"))
    make_sale(world.own, cement, date=dt.date(2026, 3, 1), amount=Decimal("200"))
    make_sale(world.foreign, make_product(category="Admixtures"), date=dt.date(2026, 3, 1))
    old_mix = make_product(category="Dry mix")
    make_sale(world.own, old_mix, date=dt.date(2025, 6, 1))  # before the 12 months
    rival = CompetitorPresence.objects.create(
        client=world.own, competitor=make_competitor(name="MixCo"), supplies="dry mix, admixtures"
    )
    other = CompetitorPresence.objects.create(
        client=world.own, competitor=make_competitor(name="Steel Ltd"), supplies="rebar"
    )
    with django_assert_num_queries(3):
        ws = selectors.whitespace(world.own, Window.ending(today))
    assert (ws.since, ws.until) == (dt.date(2025, 7, 1), today)
    rows = {row.category: row for row in ws.rows}
    assert list(rows) == ["Admixtures", "Cement", "Dry mix"]
    assert rows["Cement"].amount == Decimal("500") and rows["Cement"].buys_from_us
    assert rows["Dry mix"].amount == 0 and rows["Dry mix"].competitors == [rival]
    assert [row.category for row in ws.gaps] == ["Admixtures", "Dry mix"]
    assert rows["Admixtures"].competitors == [rival]
    assert rows["Cement"].competitors == []
    assert ws.other_competitors == [other]


def test_the_tab_renders_the_whitespace_and_strategy(world, login):
    make_product(category="Cement")
    CompetitorPresence.objects.create(
        client=world.own, competitor=make_competitor(name="CemCo"), supplies="Cement"
    )
    services.strategy_save(by=world.kam, client=world.own, strategy="Enter the south", needs="x")
    html = login(world.kam).get(reverse("potential:tab", args=[world.own.pk])).content.decode()
    assert "not bought from us" in html and "CemCo" in html
    assert "Enter the south" in html and "Updated by" in html
    assert reverse("potential:strategy_edit", args=[world.own.pk]) in html


def test_the_whitespace_lists_only_what_the_client_does_not_buy_from_us(world, login):
    bought = make_product(category="Cement")
    make_product(category="Roofing")
    # The last day of last month: the 12-month window holds complete months only.
    make_sale(world.own, bought, date=dt.date.today().replace(day=1) - dt.timedelta(days=1))
    html = login(world.kam).get(reverse("potential:tab", args=[world.own.pk])).content.decode()
    whitespace, rest = html.split("Whitespace: not bought from us")[1].split("Bought from us", 1)
    assert "Roofing" in whitespace and "no supplier known" in whitespace
    assert "Cement" not in whitespace
    assert "Cement" in rest and "only us, as far as we know" in rest


# --- audit ---------------------------------------------------------------------------------


def test_writes_are_audited_with_the_user(world):
    p = save(world, total_demand=Decimal("1"))
    save(world, potential=p, by=world.assistant, total_demand=Decimal("2"))
    assert [h.history_user for h in p.audit.order_by("history_id")] == [world.kam, world.assistant]
    services.potential_delete(by=world.director, potential=p)
    assert ClientPotential.audit.filter(history_type="-").get().history_user == world.director
    strategy = services.strategy_save(by=world.kam, client=world.own, strategy="A")
    again = services.strategy_save(by=world.assistant, client=world.own, needs="B")
    assert again.pk == strategy.pk and again.strategy == "A" and again.updated_by == world.assistant
    assert [h.history_user for h in again.audit.order_by("history_id")] == [
        world.kam,
        world.assistant,
    ]


def test_visible_to_follows_the_access_rule(world):
    save(world, total_demand=Decimal("1"))
    services.potential_save(
        by=world.outsider, client=world.foreign, year=2026, total_demand=1, **BASE
    )
    for persona, count in (("director", 2), ("kam", 1), ("assistant", 1), ("member", 1)):
        assert ClientPotential.objects.visible_to(getattr(world, persona)).count() == count
    assert list(
        ClientPotential.objects.visible_to(world.outsider).values_list("client", flat=True)
    ) == [world.foreign.pk]


# --- completeness --------------------------------------------------------------------------


def test_completeness_needs_this_years_potential_and_a_strategy(world):
    today = dt.date(2026, 6, 30)

    def items():
        result = completeness_for(Client.objects.filter(pk=world.own.pk), today)[world.own.pk]
        return {item.name: item for item in result.items}

    assert not items()["potential"].passed
    assert str(items()["potential"].message) == "No potential estimated for 2026."
    assert not items()["strategy"].passed
    save(world, year=2027, total_demand=Decimal("1"))
    assert not items()["potential"].passed  # next year only
    save(world, year=2026, total_demand=Decimal("1"))
    assert items()["potential"].passed
    services.strategy_save(by=world.kam, client=world.own, strategy="Grow", needs="  ")
    assert not items()["strategy"].passed  # needs blank
    services.strategy_save(by=world.kam, client=world.own, needs="Fast delivery")
    assert items()["strategy"].passed
    assert items()["strategy"].fix_url == "potential:tab"
