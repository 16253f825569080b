import datetime as dt
from decimal import Decimal

import pytest

from kam.insights.services import recompute

from ..factories import make_client, make_product, make_sale

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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
    # click the own client's cell: ask the chart where it drew it
    x, y = page.evaluate(
        """([abc, xyz]) => {
            const chart = echarts.getInstanceByDom(document.getElementById('abc-xyz-chart'));
            const data = chart.getOption().series[0].data;
            const point = data.find(d => d.cell.abc === abc && d.cell.xyz === xyz);
            return chart.convertToPixel({seriesIndex: 0}, point.value.slice(0, 2));
        }""",
        [snapshot.abc, snapshot.xyz],
    )
    box = page.locator("#abc-xyz-chart canvas").first.bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
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
    page.locator("#rfm-chart").scroll_into_view_if_needed()
    x, y = page.evaluate(
        """([r, f]) => {
            const chart = echarts.getInstanceByDom(document.getElementById('rfm-chart'));
            const data = chart.getOption().series[0].data;
            const point = data.find(d => d.cell.r === r && d.cell.f === f);
            return chart.convertToPixel({seriesIndex: 0}, point.value.slice(0, 2));
        }""",
        [snapshot.r_score, snapshot.f_score],
    )
    box = page.locator("#rfm-chart canvas").first.bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_url(f"**/clients/?rfm_segment={snapshot.rfm_segment}")
    assert "Own Client" in page.locator("#client-table").inner_text()
