"""Filters built from data offer each value once, sorted: one option per region, not per client."""

import re

import pytest
from django.urls import reverse

from ..factories import make_client, make_product


def options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select {name}"
    return re.findall(r'<option value="([^"]*)"', select.group(1))


@pytest.mark.django_db
def test_the_region_filter_lists_each_region_once_sorted(world, login):
    # names sort differently from regions, so a DISTINCT over (region, name) would repeat them
    for name, region in [
        ("A", "Пермь"),
        ("B", "Алтай"),
        ("C", "Пермь"),
        ("D", "самара"),
        ("E", ""),
    ]:
        make_client(world.kam, name=name, region=region)
    make_client(world.outsider, name="F", region="Чукотка")  # not the KAM's: not offered
    html = login(world.kam).get(reverse("clients:list")).content.decode()
    assert options(html, "region") == ["", "Алтай", "Пермь", "самара"]


@pytest.mark.django_db
def test_the_category_filter_lists_each_category_once_sorted(world, login):
    for category in ("Цемент", "Арматура", "Цемент", "", "Арматура"):
        make_product(category=category)
    html = login(world.kam).get(reverse("products:list")).content.decode()
    assert options(html, "category") == ["", "Арматура", "Цемент"]
