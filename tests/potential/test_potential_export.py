"""The potentials register as XLSX: the reader's clients only, every year or one, with actual
purchases, share of wallet and gap."""

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from tests.factories import make_potential, make_sale

pytestmark = pytest.mark.django_db


def rows_of(response):
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_the_register_has_the_readers_clients_with_share_of_wallet(world, login):
    make_potential(world.own, "10000", "40", year=2025)
    make_potential(world.own, "12000", "50", year=2026)
    make_potential(world.foreign, "999", "10", year=2025)
    make_sale(world.own, world.product, date=dt.date(2025, 5, 1), amount=Decimal("2500.00"))
    rows = rows_of(login(world.member).get(reverse("potential:export")))
    assert [(r["Client"], r["Year"]) for r in rows] == [("Own Client", 2025), ("Own Client", 2026)]
    first = rows[0]
    assert first["Potential revenue"] == 4000
    assert first["Actual purchases"] == 2500
    assert first["Share of wallet, %"] == 25
    assert first["Gap"] == 1500
    only = rows_of(login(world.kam).get(reverse("potential:export"), {"year": "2026"}))
    assert [r["Year"] for r in only] == [2026]
    assert len(rows_of(login(world.kam).get(reverse("potential:export"), {"year": "x"}))) == 2
