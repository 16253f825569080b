import datetime as dt
from decimal import Decimal

import pytest

from kam.insights.services import recompute

from ..factories import make_client, make_product, make_sale

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def click_cell(page, chart_id: str, cell: dict) -> None:
    """Click the heat-map cell whose data match ``cell``: ask the chart where it drew it."""
    page.locator(f"#{chart_id}").scroll_into_view_if_needed()
    x, y = page.evaluate(
        """([id, cell]) => {
            const chart = echarts.getInstanceByDom(document.getElementById(id));
            const data = chart.getOption().series[0].data;
            const point = data.find(d => Object.keys(cell).every(k => d.cell[k] === cell[k]));
            return chart.convertToPixel({seriesIndex: 0}, point.value.slice(0, 2));
        }""",
        [chart_id, cell],
    )
    box = page.locator(f"#{chart_id} canvas").first.bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def test_the_analytics_charts_draw_and_a_matrix_cell_opens_its_clients(world, log_in):
    product = make_product()
    second = make_client(world.kam, name="Second Own")
    for month in range(1, 13):
        day = dt.date(2025, month, 10)
        make_sale(world.own, product, date=day, amount=Decimal("1000"))
        make_sale(second, product, date=day, amount=Decimal(str(50 + 40 * (month % 3))))
        make_sale(world.foreign, product, date=day, amount=Decimal("700"))
    recompute()
    snapshot = world.own.analytics
    page = log_in("kam")
    page.goto("/analytics/")
    for chart in ("abc-xyz-chart", "pareto-chart", "rfm-chart"):
        page.wait_for_selector(f"#{chart}[data-rendered='1'] canvas")
    assert "Foreign Client" not in page.content()
    click_cell(page, "abc-xyz-chart", {"abc": snapshot.abc, "xyz": snapshot.xyz})
    page.wait_for_url(f"**/clients/?abc={snapshot.abc}&xyz={snapshot.xyz}")
    assert "Own Client" in page.locator("#client-table").inner_text()


def test_an_rfm_cell_opens_the_clients_of_its_segment(world, log_in):
    product = make_product()
    for month in range(1, 13):
        make_sale(world.own, product, date=dt.date(2025, month, 10), amount=Decimal("1000"))
    recompute()
    snapshot = world.own.analytics
    page = log_in("kam")
    page.goto("/analytics/")
    page.wait_for_selector("#rfm-chart[data-rendered='1'] canvas")
    click_cell(page, "rfm-chart", {"r": snapshot.r_score, "f": snapshot.f_score})
    page.wait_for_url(f"**/clients/?rfm_segment={snapshot.rfm_segment}")
    assert "Own Client" in page.locator("#client-table").inner_text()
