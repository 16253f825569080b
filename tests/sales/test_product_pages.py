from decimal import Decimal

from django.urls import reverse

from kam.sales.models import Product

from ..factories import make_product


def product_data(product, **extra):
    fields = {"sku": product.sku, "name": product.name, "unit": "t", "is_active": "on"}
    return fields | {"list_price": "12.50", "unit_cost": "8.00"} | extra


def test_the_director_changes_a_price_and_the_price_history_shows_who(world, login):
    client = login(world.director)
    url = reverse("products:edit", args=[world.product.pk])
    assert client.post(url, product_data(world.product)).status_code == 302
    world.product.refresh_from_db()
    assert world.product.list_price == Decimal("12.50")
    page = client.get(reverse("products:detail", args=[world.product.pk]))
    latest = page.context["prices"][0]
    assert latest.history_user == world.director and latest.list_price == Decimal("12.50")


def test_a_negative_or_malformed_price_is_a_field_error(world, login):
    url = reverse("products:edit", args=[world.product.pk])
    response = login(world.director).post(url, product_data(world.product, list_price="12,5,0"))
    assert response.status_code == 400
    assert "list_price" in response.context["form"].errors
    world.product.refresh_from_db()
    assert world.product.list_price == Decimal("10.00")


def test_a_duplicate_sku_is_refused_on_create(world, login):
    data = product_data(world.product, name="Copy")
    response = login(world.director).post(reverse("products:create"), data)
    assert response.status_code == 400
    assert "sku" in response.context["form"].errors
    assert Product.objects.count() == 1


def test_products_are_searchable_by_name_or_sku_and_filtered_by_category(world, login):
    make_product(sku="CEM-1", name="Цемент М500", category="Цемент")
    make_product(sku="ARM-1", name="Арматура", category="Металл")
    client = login(world.kam)
    page = client.get(reverse("products:list"), {"q": "цемент"}).context["page"]
    assert [p.sku for p in page] == ["CEM-1"]
    page = client.get(reverse("products:list"), {"category": "Металл"}).context["page"]
    assert [p.sku for p in page] == ["ARM-1"]
    assert client.get(reverse("products:list"), {"page": "x"}).status_code == 200


def test_a_kam_sees_products_but_no_edit_button(world, login):
    response = login(world.kam).get(reverse("products:detail", args=[world.product.pk]))
    assert response.context["can_edit"] is False
    assert reverse("products:edit", args=[world.product.pk]).encode() not in response.content
