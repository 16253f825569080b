"""/api/products: company-wide data, everyone reads, the director writes (R39: prices audited)."""

from decimal import Decimal

import pytest

from kam.sales import services
from kam.sales.models import Product
from tests.factories import make_product

from .conftest import fields

pytestmark = pytest.mark.django_db


def skus(response):
    assert response.status_code == 200, response.content[:500]
    return [item["sku"] for item in response.json()["items"]]


@pytest.mark.parametrize("persona", ["director", "kam", "assistant", "member", "outsider"])
def test_everyone_reads_every_product(persona, world, api):
    make_product(sku="B-1", name="Bolt")

    response = api(getattr(world, persona)).get("/api/products")

    assert response.json()["count"] == 2
    assert set(skus(response)) == {world.product.sku, "B-1"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "drill"}, ["DR-1"]),
        ({"q": "sc-"}, ["SC-1"]),
        ({"category": "Fasteners"}, ["SC-1"]),
        ({"is_active": "false"}, ["OLD-1"]),
        ({"is_active": "true", "category": "Tools"}, ["DR-1"]),
    ],
)
def test_products_can_be_filtered(params, expected, world, api):
    world.product.delete()
    make_product(sku="DR-1", name="Hammer drill", category="Tools")
    make_product(sku="SC-1", name="Screw", category="Fasteners")
    make_product(sku="OLD-1", name="Old saw", category="Tools", is_active=False)

    assert skus(api(world.kam).get("/api/products", params)) == expected


def test_products_are_listed_by_name_and_paginated(world, api):
    world.product.delete()
    for name in ("Cutter", "Anvil", "Bit"):
        make_product(sku=name.upper(), name=name)

    response = api(world.kam).get("/api/products", {"limit": 2, "offset": 1})

    assert response.json()["count"] == 3
    assert skus(response) == ["BIT", "CUTTER"]


def test_listing_50_products_takes_a_fixed_number_of_queries(
    world, api, django_assert_max_num_queries
):
    for n in range(50):
        make_product(sku=f"BULK-{n:02d}")
    caller = api(world.member)

    with django_assert_max_num_queries(4):
        response = caller.get("/api/products", {"limit": 100})

    assert response.json()["count"] == 51


def test_a_product_reads_with_prices_as_strings(world, api):
    product = make_product(list_price=Decimal("1234.5"), unit_cost=None, unit="kg")

    body = api(world.kam).get(f"/api/products/{product.pk}").json()

    assert body == {
        "id": product.pk,
        "sku": product.sku,
        "name": product.name,
        "category": "",
        "unit": "kg",
        "list_price": "1234.50",
        "unit_cost": None,
        "is_active": True,
    }


def test_a_missing_product_is_404(world, api):
    assert api(world.kam).get("/api/products/999999").status_code == 404


def test_the_director_creates_a_product(world, api):
    response = api(world.director).post(
        "/api/products", {"sku": "NEW-1", "name": "New", "list_price": "12.5", "unit_cost": 7}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["list_price"] == "12.50"
    assert body["unit_cost"] == "7.00"
    assert body["unit"] == "pcs"
    product = Product.objects.get(pk=body["id"])
    assert product.audit.first().history_user == world.director


def test_product_validation_reports_every_field(world, api):
    response = api(world.director).post(
        "/api/products", {"sku": world.product.sku, "name": "", "list_price": "1.234"}
    )

    assert set(fields(response)) == {"sku", "name", "list_price"}


@pytest.mark.parametrize("persona", ["kam", "assistant", "member", "outsider"])
def test_only_the_director_writes_products(persona, world, api):
    client = api(getattr(world, persona))

    created = client.post("/api/products", {"sku": "X-1", "name": "X"})
    changed = client.patch(f"/api/products/{world.product.pk}", {"list_price": "1.00"})

    assert created.status_code == changed.status_code == 403
    assert created.json() == {"detail": "Only the director changes products and sales."}
    world.product.refresh_from_db()
    assert world.product.list_price == Decimal("10.00")


def test_a_price_change_is_attributed_to_the_director(world, api):
    response = api(world.director).patch(
        f"/api/products/{world.product.pk}", {"list_price": "11.00"}
    )

    assert response.status_code == 200, response.content
    assert response.json()["list_price"] == "11.00"
    assert response.json()["name"] == world.product.name
    latest, previous = world.product.audit.all()[:2]
    assert latest.history_user == world.director
    assert (previous.list_price, latest.list_price) == (Decimal("10.00"), Decimal("11.00"))


def test_a_product_name_cannot_be_set_to_null(world, api):
    response = api(world.director).patch(f"/api/products/{world.product.pk}", {"name": None})

    assert list(fields(response)) == ["name"]


def test_patching_a_missing_product_is_404(world, api):
    assert api(world.director).patch("/api/products/999999", {"name": "X"}).status_code == 404


def test_the_product_services_refuse_non_directors(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.product_create(by=world.kam, sku="S", name="S")
    with pytest.raises(PermissionDenied):
        services.product_update(by=world.kam, product=world.product, name="S")
