"""One definition for every figure (issue 9 §2): "Sales, 12 months" of a client is the same number
on the client list, the client card, the analytics card and API, the portfolio page and API and
every export, and every label that shows a figure names its window in a tooltip."""

import csv
import datetime as dt
import html as html_lib
import io
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from kam.core.figures import FIGURES, Window, as_of_date
from kam.insights.services import recompute

from ..api.conftest import ApiClient
from ..factories import make_client, make_product, make_sale

pytestmark = pytest.mark.django_db

#: The test clock's today is 15.06.2026; the last sale on 10.06.2026 makes that the as-of date,
#: and the 12 complete months before it run from 01.06.2025 to 31.05.2026.
AS_OF = dt.date(2026, 6, 10)
SALES_12M = Decimal("1500.00")  # 1000 in December 2025 + 300 + 200 in 2026
YEAR_TO_DATE = Decimal("550.00")  # what a "this year" figure would show
ROLLING_TO_TODAY = Decimal("1550.00")  # July 2025 to today: what the client list used to show


@pytest.fixture
def sales(world, clock):
    product = make_product(category="Cement")
    for day, amount in [
        (dt.date(2025, 5, 20), "7"),  # before the window
        (dt.date(2025, 12, 10), "1000"),  # last year, in the window
        (dt.date(2026, 2, 5), "300"),
        (dt.date(2026, 5, 31), "200"),  # the window's last day
        (AS_OF, "50"),  # the as-of month is not complete: in no 12-month figure yet
    ]:
        make_sale(world.own, product, date=day, amount=Decimal(amount))
    other = make_client(world.kam, name="Other Client", is_key=True)
    for month in range(1, 13):
        make_sale(world.foreign, product, date=dt.date(2025, month, 3), amount=Decimal("80"))
        make_sale(other, product, date=dt.date(2025, month, 9), amount=Decimal("40"))
    recompute()
    return world


def test_the_window_is_the_last_complete_months_up_to_the_last_sale():
    assert as_of_date(AS_OF, today=dt.date(2026, 6, 15)) == AS_OF
    assert as_of_date(dt.date(2026, 7, 1), today=dt.date(2026, 6, 15)) == dt.date(2026, 6, 15)
    assert as_of_date(None, today=dt.date(2026, 6, 15)) == dt.date(2026, 6, 15)
    window = Window.ending(AS_OF)
    assert (window.start, window.end) == (dt.date(2025, 6, 1), dt.date(2026, 5, 31))
    # A month that is complete on the as-of date counts.
    assert Window.ending(dt.date(2026, 5, 31)).end == dt.date(2026, 5, 31)


def _column(header, rows, title_start):
    at = next(i for i, title in enumerate(header) if str(title).startswith(title_start))
    return [row[at] for row in rows]


def _csv(response):
    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig")), delimiter=";"))
    return rows[0], rows[1:]


def _xlsx(response):
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    return rows[0], rows[1:]


def test_sales_12m_is_one_number_on_every_surface(sales, login):
    w = sales
    own = w.own
    kam = login(w.kam)
    label = "Sales, 12 months"
    found = {}

    page = kam.get("/clients/").context["page"]
    found["client list"] = next(c.sales_12m for c in page if c.pk == own.pk)
    card = kam.get(f"/clients/{own.pk}/")
    found["client card"] = card.context["sales_12m"]
    found["analytics card"] = card.context["analytics"].value
    rows = kam.get("/portfolio/").context["rows"]
    found["portfolio"] = next(r.value for r in rows if r.client.pk == own.pk)

    header, body = _csv(kam.get("/clients/export/", {"format": "csv"}))
    names = _column(header, body, "Name")
    found["client export CSV"] = Decimal(_column(header, body, label)[names.index(own.name)])
    header, body = _xlsx(kam.get("/clients/export/"))
    names = _column(header, body, "Name")
    found["client export XLSX"] = Decimal(str(_column(header, body, label)[names.index(own.name)]))
    header, body = _xlsx(kam.get("/portfolio/export/"))
    names = _column(header, body, "Client")
    found["portfolio export"] = Decimal(str(_column(header, body, label)[names.index(own.name)]))
    header, body = _xlsx(kam.get("/analytics/export/"))
    names = _column(header, body, "Name")
    found["analytics export"] = Decimal(str(_column(header, body, label)[names.index(own.name)]))

    api = ApiClient(w.kam)
    found["analytics API"] = Decimal(api.get(f"/api/analytics/clients/{own.pk}").json()["value"])
    items = api.get("/api/portfolio").json()["items"]
    found["portfolio API"] = Decimal(next(i["value"] for i in items if i["client"]["id"] == own.pk))

    assert found == dict.fromkeys(found, SALES_12M)
    assert SALES_12M not in (YEAR_TO_DATE, ROLLING_TO_TODAY)  # the data tells the windows apart


def test_the_export_titles_name_the_window(sales, login):
    window = str(Window.ending(AS_OF))
    header, _rows = _csv(login(sales.kam).get("/clients/export/", {"format": "csv"}))
    assert f"Sales, 12 months ({window})" in header
    header, _rows = _xlsx(login(sales.kam).get("/portfolio/export/"))
    assert f"Sales, 12 months ({window})" in header


def test_the_client_export_has_the_list_columns_in_the_list_order(sales, login):
    header, rows = _csv(login(sales.kam).get("/clients/export/", {"format": "csv"}))
    shown = ["ERP code", "Name", "Status", "Client type", "ABC", "XYZ", "RFM segment", "Risk"]
    assert header[: len(shown)] == shown
    assert header[8:10] == ["Owner KAM", "Region"] and header[10].startswith("Sales, 12 months")
    own = next(r for r in rows if r[1] == sales.own.name)
    analytics = sales.own.analytics
    analytics.refresh_from_db()
    assert own[4:8] == [
        analytics.abc,
        analytics.get_xyz_display(),
        analytics.segment_label,
        analytics.get_risk_display(),
    ]
    assert all(own[4:8])


def test_the_client_export_follows_the_list_filters_on_the_analytics(sales, login):
    risk = sales.own.analytics.risk
    header, rows = _csv(login(sales.kam).get("/clients/export/", {"format": "csv", "risk": risk}))
    assert sales.own.name in [r[1] for r in rows]
    other = "ok" if risk != "ok" else "lost"
    header, rows = _csv(login(sales.kam).get("/clients/export/", {"format": "csv", "risk": other}))
    assert sales.own.name not in [r[1] for r in rows]


LABEL = re.compile(r'<span class="figure-label" data-figure="(\w+)" title="([^"]*)">([^<]*)</span>')


@pytest.mark.parametrize(
    "path",
    [
        "/clients/",
        "/clients/{own}/",
        "/clients/{own}/potential/",
        "/analytics/",
        "/portfolio/",
        "/portfolio/kam/{kam}/",
        "/portfolio/load/",
    ],
)
def test_every_figure_label_carries_its_window(sales, login, path):
    html = login(sales.director).get(path.format(own=sales.own.pk, kam=sales.kam.pk))
    html = html.content.decode()
    labels = LABEL.findall(html)
    assert labels
    for key, title, text in labels:
        title = html_lib.unescape(title)
        assert title.rstrip(".") and title != text
        if key in {"sales_12m", "key_sales_share"} and path != "/portfolio/load/":
            assert str(Window.ending(AS_OF)) in title, (key, title)
    shown = {html_lib.unescape(text) for _key, _title, text in labels}
    # No figure's label appears outside a figure label (a bare header would have no tooltip).
    bare = html
    for match in LABEL.finditer(html):
        bare = bare.replace(match.group(0), "")
    for text in shown:
        assert f">{text}<" not in bare, text


TEMPLATES = Path(__file__).resolve().parents[2] / "kam"


def test_no_template_shows_a_figure_label_without_the_tag():
    """Every label of the registry is rendered by ``figure_label``, never typed as plain text."""
    plain = {str(f.label).replace("%(year)s", "{{ year }}") for f in FIGURES.values()}
    plain |= {"Value, 12 months", "Our sales, last 12 months", "Purchases, last 12 months"}
    offenders = [
        (str(path.relative_to(TEMPLATES)), text)
        for path in TEMPLATES.rglob("*.html")
        for text in plain
        if f'translate "{text}"' in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_the_russian_tooltip_names_the_window(settings, sales, login):
    settings.LANGUAGE_CODE = "ru"
    html = login(sales.kam).get("/clients/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    key, title, text = next(m for m in LABEL.findall(html) if m[0] == "sales_12m")
    assert text == "Продажи за 12 мес."
    assert "полных календарных месяцев" in html_lib.unescape(title)
    assert "01.06.2025–31.05.2026 (на 10.06.2026)" in html_lib.unescape(title)


def test_the_potential_tables_columns_explain_themselves_and_each_value_names_its_year(
    sales, login
):
    from kam.potential.services import potential_save

    potential_save(
        by=sales.kam,
        client=sales.own,
        year=2025,
        total_demand=Decimal("1000"),
        basis="Budget",
        achievable_share=Decimal("50"),
    )
    html = login(sales.kam).get(f"/clients/{sales.own.pk}/potential/").content.decode()
    columns = {key: text for key, _title, text in LABEL.findall(html)}
    assert columns["total_demand"] == "Total demand" and columns["gap"] == "Gap"
    values = [
        html_lib.unescape(t) for t in re.findall(r'<td class="text-end" title="([^"]+)"', html)
    ]
    assert any("calendar year 2025" in title for title in values), values
