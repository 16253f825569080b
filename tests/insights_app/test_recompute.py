import datetime as dt

from django.core.management import call_command

from kam.insights.models import AnalyticsRun, ClientAnalytics, RunStatus
from kam.insights.services import pareto_points, read_sales, recompute
from tests.factories import make_client, make_sale
from tests.imports.files import csv_bytes, import_file


def test_recompute_stores_a_snapshot_for_every_client_with_sales_and_a_run(company):
    w = company.world
    rows = {a.client_id: a for a in ClientAnalytics.objects.all()}
    assert set(rows) == {w.own.pk, w.foreign.pk, company.big.pk, company.small.pk}
    run = company.run
    assert run.status == RunStatus.SUCCEEDED
    assert run.clients == 4 and run.lines == 48
    assert run.as_of == dt.date(2025, 12, 15)
    assert run.finished_at and run.timings["engine"] >= 0
    assert sum(cell["clients"] for cell in run.matrix) == 4
    assert run.pareto[0] == [0.0, 0.0] and run.pareto[-1][0] == 1.0
    assert set(run.models_json) >= {"bgnbd", "gamma_gamma", "model_error"}


def test_the_rhythm_flag_is_stored_so_the_reason_can_be_worded(company):
    flags = set(ClientAnalytics.objects.values_list("rhythm_flag", flat=True))
    assert "" not in flags  # every client with sales has a flag from the core


def test_classes_are_company_wide_so_the_kams_biggest_client_is_c(company):
    w = company.world
    classes = dict(ClientAnalytics.objects.values_list("client_id", "abc"))
    assert classes[w.foreign.pk] == "A"
    assert classes[company.big.pk] == "A"
    assert classes[w.own.pk] == "C"
    assert ClientAnalytics.objects.get(client=w.own).xyz == "X"  # the same amount every month


def test_the_run_row_names_no_client(company):
    text = str(AnalyticsRun.objects.values().get(pk=company.run.pk))
    for name in ("Own Client", "Foreign Client", "Big Foreign", "Own Small"):
        assert name not in text


def test_an_empty_database_gives_an_empty_run_and_no_snapshots(world):
    run = recompute(by=world.director)
    assert run.status == RunStatus.EMPTY
    assert run.lines == 0 and run.triggered_by == world.director
    assert not ClientAnalytics.objects.exists()


def test_a_recompute_replaces_the_previous_snapshot(company):
    w = company.world
    w.foreign.sales_lines.all().delete()
    recompute()
    assert not ClientAnalytics.objects.filter(client=w.foreign).exists()
    assert AnalyticsRun.objects.count() == 2


def test_read_sales_gives_typed_columns(company):
    frame = read_sales()
    assert frame.height == 48
    assert [str(t) for t in frame.dtypes] == ["Int64", "Date", "Float64", "Float64"]


def test_the_pareto_curve_is_downsampled_to_200_points():
    n = 10_000
    points = pareto_points([(i + 1) / n for i in range(n)], [(i + 1) / n for i in range(n)])
    assert len(points) <= 200
    assert points[0] == [0.0, 0.0] and points[-1] == [1.0, 1.0]


def test_the_command_prints_steps_and_timings(company, capsys):
    call_command("recompute")
    out = capsys.readouterr().out
    assert "read sales lines" in out and "analyse: abc_xyz" in out
    assert "status: succeeded" in out and "engine" in out


def test_a_sales_import_recomputes_the_snapshot(world):
    other = make_client(world.outsider, name="Imported", erp_code="IMP-1")
    make_sale(world.own, world.product, date=dt.date(2025, 1, 10))
    rows = [["Дата", "Код клиента", "Артикул", "Кол-во", "Сумма"]]
    rows += [
        [f"15.{m:02d}.2025", other.erp_code, world.product.sku, "1", "5000"] for m in range(1, 7)
    ]
    job = import_file(world.director, "sales", csv_bytes(rows))
    assert job.status == "succeeded", job.message
    run = AnalyticsRun.objects.get()
    assert run.status == RunStatus.SUCCEEDED and run.triggered_by == world.director
    assert ClientAnalytics.objects.get(client=other).abc == "A"
    assert ClientAnalytics.objects.filter(client=world.own).exists()


def test_a_failed_import_does_not_recompute(world):
    rows = [
        ["Дата", "Код клиента", "Артикул", "Кол-во", "Сумма"],
        ["15.01.2025", "NOPE", "X", "1", "1"],
    ]
    job = import_file(world.director, "sales", csv_bytes(rows))
    assert job.status == "failed"
    assert not AnalyticsRun.objects.exists()
