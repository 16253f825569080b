"""`kam analyze`: files in, workbook and JSON summary out, no database anywhere.

None of these tests requests the ``db`` fixture, so pytest-django fails any of them that touches
the database.
"""

import datetime as dt
import io
import json
import os
import subprocess
import sys

import openpyxl
import polars as pl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from kam import cli
from kam.analytics.abc_xyz import CELL_READINGS
from kam.analytics.config import AnalysisConfig
from kam.analytics.engine import analyze
from kam.insights import fitwords, labels, report
from tests.processes import ROOT

from .synthetic import FORMULA, LEADING_ZERO, NEWCOMER, STOPPED, history, write_csv

AS_OF = "2024-10-31"


@pytest.fixture(scope="module")
def frame():
    return history()


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, frame):
    """One English run over the synthetic history, with a clients file; both outputs."""
    folder = tmp_path_factory.mktemp("analyze")
    transactions = folder / "sales.csv"
    write_csv(frame, transactions)
    clients = folder / "clients.csv"
    clients.write_text(
        "client_id,name,is_leader,potential\n"
        f"{STOPPED},Stopped Ltd,no,100\n"
        f'"{FORMULA}","=cmd|calc",yes,5\n'
        f"{LEADING_ZERO},Bond & Co,,\n",
        encoding="utf-8",
    )
    out, summary = folder / "report.xlsx", folder / "summary.json"
    stdout, stderr = io.StringIO(), io.StringIO()
    with translation.override("en"):
        call_command(
            "analyze",
            transactions=str(transactions),
            clients=str(clients),
            as_of=AS_OF,
            out=str(out),
            json_path=str(summary),
            language="en",
            stdout=stdout,
            stderr=stderr,
        )
    data = json.loads(summary.read_text(encoding="utf-8"))
    return {
        "out": out,
        "data": data,
        "book": openpyxl.load_workbook(out),
        "stdout": stdout.getvalue(),
        "stderr": stderr.getvalue(),
        "folder": folder,
    }


def run(*args, **options):
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("analyze", *args, stdout=stdout, stderr=stderr, **options)
    return stdout.getvalue(), stderr.getvalue()


# --- the JSON summary ---------------------------------------------------------------------


def test_the_summary_has_every_required_key(outputs):
    data = outputs["data"]
    assert data["as_of"] == AS_OF
    assert data["time_unit"] == "week"
    assert data["window"] == {"start": "2023-11-01", "end": "2024-10-31"}
    assert set(data["models"]["bgnbd"]) == {"r", "alpha", "a", "b", "log_likelihood"}
    assert set(data["models"]["gamma_gamma"]) == {"p", "q", "gamma", "log_likelihood"}
    assert data["models"]["error"] is None
    assert data["backtest"]["n_clients"] > 0  # the file runs on past the as-of date
    assert 0 < data["pareto_top20_share"] <= 1
    assert set(data["matrix"]) == {a + x for a in "ABC" for x in ("X", "Y", "Z", "new")}
    assert sum(cell["value_share"] for cell in data["matrix"].values()) == pytest.approx(1, 1e-3)


def test_every_client_object_has_the_fields_with_the_right_types(outputs):
    clients = outputs["data"]["clients"]
    assert len(clients) == 60
    for c in clients:
        assert isinstance(c["client_id"], str)
        assert c["abc"] in {"A", "B", "C"}
        assert c["xyz"] in {"X", "Y", "Z", "new"}
        assert isinstance(c["value"], float)
        assert c["cv"] is None or isinstance(c["cv"], float)
        assert set(c["rfm"]) == {"r", "f", "m", "segment"}
        assert all(isinstance(c["rfm"][k], int) for k in "rfm")
        assert 0 <= c["p_alive"] <= 1
        for key in ("expected_purchases", "expected_spend", "clv", "score"):
            assert isinstance(c[key], float)
        assert c["risk"] in {"ok", "at_risk", "lost", "new"}
        assert isinstance(c["reason"], str) and c["reason"]


def test_client_ids_come_back_as_given(outputs):
    ids = {c["client_id"] for c in outputs["data"]["clients"]}
    assert {FORMULA, LEADING_ZERO, STOPPED, NEWCOMER} <= ids


def test_the_client_that_stopped_buying_is_lost(outputs):
    stopped = next(c for c in outputs["data"]["clients"] if c["client_id"] == STOPPED)
    assert stopped["risk"] == "lost"
    assert "No purchase for" in stopped["reason"]
    assert stopped["p_alive"] < 0.2


def test_the_newcomer_has_no_xyz_class(outputs):
    newcomer = next(c for c in outputs["data"]["clients"] if c["client_id"] == NEWCOMER)
    assert newcomer["xyz"] == "new"


def test_the_summary_is_strict_json_without_nan(outputs):
    text = (outputs["folder"] / "summary.json").read_text(encoding="utf-8")
    assert "NaN" not in text and "Infinity" not in text


# --- the workbook ---------------------------------------------------------------------------


def test_the_workbook_has_the_nine_sheets_in_english(outputs):
    assert outputs["book"].sheetnames == [
        "Summary",
        "ABC-XYZ matrix",
        "Pareto",
        "Clients",
        "At risk & lost",
        "CLV ranking",
        "Scoring",
        "Backtest",
        "Parameters",
    ]


def test_the_matrix_sheet_counts_match_the_summary(outputs):
    ws = outputs["book"]["ABC-XYZ matrix"]
    header = next(r for r in range(1, 20) if ws.cell(r, 2).value == "X")
    columns = {ws.cell(header, c).value: c for c in range(2, 6)}
    for i, abc in enumerate("ABC", start=1):
        assert ws.cell(header + i, 1).value == abc
        for xyz, label in (("X", "X"), ("Y", "Y"), ("Z", "Z"), ("new", "new")):
            count = ws.cell(header + i, columns[label]).value
            assert count == outputs["data"]["matrix"][abc + xyz]["clients"]


def test_the_matrix_sheet_reads_every_cell(outputs):
    ws = outputs["book"]["ABC-XYZ matrix"]
    texts = {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert set(CELL_READINGS.values()) <= texts


def test_the_pareto_sheet_has_a_native_chart(outputs):
    ws = outputs["book"]["Pareto"]
    assert ws._charts
    values = [c.value for row in ws.iter_rows() for c in row]
    assert pytest.approx(outputs["data"]["pareto_top20_share"], abs=1e-4) in values


def test_formula_like_client_ids_and_names_are_neutralised(outputs):
    ws = outputs["book"]["Clients"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("Client id", "Name", "ABC")
    by_id = {row[0]: row for row in rows[1:]}
    assert f"'{FORMULA}" in by_id
    assert FORMULA not in by_id
    assert by_id[f"'{FORMULA}"][1] == "'=cmd|calc"
    assert by_id[LEADING_ZERO][1] == "Bond & Co"
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f"


def test_the_clients_sheet_has_filter_frozen_header_and_formats(outputs):
    ws = outputs["book"]["Clients"]
    assert ws.auto_filter.ref
    assert ws.freeze_panes == "C2"
    header = [c.value for c in ws[1]]
    value = ws.cell(2, header.index("Value in the window") + 1)
    assert "#,##0" in value.number_format
    assert "%" in ws.cell(2, header.index("Probability alive") + 1).number_format
    assert ws.conditional_formatting


def test_the_at_risk_sheet_lists_only_flagged_clients_by_value(outputs):
    ws = outputs["book"]["At risk & lost"]
    rows = list(ws.iter_rows(values_only=True))
    top = next(i for i, row in enumerate(rows) if row[0] == "Client id")
    listed = [row for row in rows[top + 1 :] if row[0]]
    flagged = [c for c in outputs["data"]["clients"] if c["risk"] in ("at_risk", "lost")]
    assert len(listed) == len(flagged) >= 1
    assert STOPPED in [row[0] for row in listed]
    values = [row[4] for row in listed]
    assert values == sorted(values, reverse=True)


def test_the_english_reason_in_the_workbook_is_the_engines(frame):
    result = analyze(frame, AnalysisConfig(as_of=dt.date(2024, 10, 31)))
    with translation.override("en"):
        for row in result.clients.to_dicts():
            assert labels.reason_text(row) == row["reason"]


def test_the_cell_readings_match_the_analytics_core():
    with translation.override("en"):
        assert {cell: str(text) for cell, text in report.READINGS.items()} == CELL_READINGS


def test_the_parameters_sheet_documents_every_setting(outputs):
    ws = outputs["book"]["Parameters"]
    first_column = {row[0] for row in ws.iter_rows(values_only=True)}
    for field in (
        "as_of",
        "window_months",
        "abc_by",
        "abc_thresholds",
        "xyz_thresholds",
        "time_unit",
        "horizon_periods",
        "annual_discount_rate",
        "lost_multiple",
        "BG/NBD r",
        "Gamma-Gamma q",
    ):
        assert field in first_column


def test_progress_goes_to_stderr_and_the_result_to_stdout(outputs):
    assert "Fitting the BG/NBD and Gamma-Gamma models" in outputs["stderr"]
    assert "Analysed" in outputs["stdout"] and "Workbook:" in outputs["stdout"]


# --- languages and formats ------------------------------------------------------------------


def test_russian_headers_and_number_and_date_formats_are_read(tmp_path, frame):
    english, russian = tmp_path / "en.csv", tmp_path / "ru.csv"
    write_csv(frame, english)
    write_csv(frame, russian, russian=True)
    assert "\u00a0" in russian.read_text(encoding="utf-8")  # 1 234,50 with a no-break space
    run(transactions=str(english), as_of=AS_OF, json_path=str(tmp_path / "en.json"), verbosity=0)
    run(transactions=str(russian), as_of=AS_OF, json_path=str(tmp_path / "ru.json"), verbosity=0)
    en = json.loads((tmp_path / "en.json").read_text(encoding="utf-8"))
    ru = json.loads((tmp_path / "ru.json").read_text(encoding="utf-8"))
    assert len(en["clients"]) == len(ru["clients"])
    for left, right in zip(en["clients"], ru["clients"], strict=True):
        # Classes must agree exactly; model figures may differ in the last digits because
        # parallel sums run in another order (and the JSON is rounded).
        assert_same_client(left, right)


def assert_same_client(left: dict, right: dict) -> None:
    assert left.keys() == right.keys()
    for key, value in left.items():
        if isinstance(value, float):
            assert right[key] == pytest.approx(value, rel=1e-4, abs=0.02), key
        elif isinstance(value, dict):
            assert_same_client(value, right[key])
        elif key != "reason":  # the reason quotes the rounded probability
            assert right[key] == value, key


def test_an_xlsx_transactions_file_is_read(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["Клиент", "Дата", "Выручка"])
    for month in range(1, 13):
        for client in range(12):
            ws.append([f"K{client}", dt.date(2024, month, 1 + client), 1000.5 + client])
    path = tmp_path / "sales.xlsx"
    book.save(path)
    run(transactions=str(path), json_path=str(tmp_path / "s.json"), verbosity=0)
    data = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert data["as_of"] == "2024-12-12"
    assert {c["client_id"] for c in data["clients"]} == {f"K{i}" for i in range(12)}


def test_the_language_option_changes_the_sheet_names(tmp_path, frame):
    source = tmp_path / "sales.csv"
    write_csv(frame, source)
    names = {}
    for language in ("en", "ru"):
        out = tmp_path / f"{language}.xlsx"
        run(transactions=str(source), out=str(out), language=language, verbosity=0)
        names[language] = openpyxl.load_workbook(out, read_only=True).sheetnames
    assert "Clients" in names["en"]
    assert "Клиенты" in names["ru"]
    with translation.override("ru"):
        assert names["ru"] == report.sheet_names()


def test_the_site_language_is_the_default(tmp_path, frame, settings):
    settings.LANGUAGE_CODE = "ru"
    source = tmp_path / "sales.csv"
    write_csv(frame, source)
    out = tmp_path / "r.xlsx"
    run(transactions=str(source), out=str(out), verbosity=0)
    assert "Клиенты" in openpyxl.load_workbook(out, read_only=True).sheetnames


# --- refusals -------------------------------------------------------------------------------


def test_no_output_option_is_an_error(tmp_path, frame):
    source = tmp_path / "sales.csv"
    write_csv(frame, source)
    with pytest.raises(CommandError, match="--out"):
        run(transactions=str(source))


def test_a_bad_row_names_row_column_and_value(tmp_path):
    source = tmp_path / "sales.csv"
    source.write_text(
        "client_id,date,amount\nA,2024-01-05,100\nB,31.02.2024,100\nC,2024-01-07,12abc\n"
        "D,2024-01-08,\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as error:
        run(transactions=str(source), json_path=str(tmp_path / "s.json"))
    message = str(error.value)
    assert "3 bad cells" in message
    assert "Row 3, column “date”, value “31.02.2024”" in message
    assert "Row 4, column “amount”, value “12abc”: Not a number" in message
    assert "Row 5, column “amount”" in message and "required" in message
    assert not (tmp_path / "s.json").exists()


def test_only_the_first_twenty_bad_cells_are_listed(tmp_path):
    source = tmp_path / "sales.csv"
    lines = ["client_id,date,amount"] + [f"C{i},2024-01-01,x{i}" for i in range(25)]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CommandError) as error:
        run(transactions=str(source), json_path=str(tmp_path / "s.json"))
    message = str(error.value)
    assert "25 bad cells" in message
    assert message.count("Row ") == 20
    assert "5 more" in message


def test_a_missing_required_column_is_named(tmp_path):
    source = tmp_path / "sales.csv"
    source.write_text("client_id,date,quantity\nA,2024-01-05,1\n", encoding="utf-8")
    with pytest.raises(CommandError, match="“amount”"):
        run(transactions=str(source), json_path=str(tmp_path / "s.json"))


def test_an_as_of_date_before_all_data_is_a_clear_error(tmp_path, frame):
    source = tmp_path / "sales.csv"
    write_csv(frame, source)
    with pytest.raises(CommandError, match="before the first transaction"):
        run(transactions=str(source), as_of="01.01.2020", json_path=str(tmp_path / "s.json"))


def test_a_margin_analysis_needs_cost_or_margin(tmp_path):
    source = tmp_path / "sales.csv"
    source.write_text("client_id,date,amount\nA,2024-01-05,100\n", encoding="utf-8")
    with pytest.raises(CommandError, match="cost or a margin"):
        run(transactions=str(source), by="margin", json_path=str(tmp_path / "s.json"))


def test_a_hostile_file_is_refused_with_the_importers_reason(tmp_path):
    source = tmp_path / "sales.xlsx"
    source.write_bytes(b"not a zip at all")
    with pytest.raises(CommandError, match="not an XLSX file"):
        run(transactions=str(source), json_path=str(tmp_path / "s.json"))


def test_a_clients_file_repeating_an_id_is_refused(tmp_path, frame):
    source, clients = tmp_path / "sales.csv", tmp_path / "clients.csv"
    write_csv(frame, source)
    clients.write_text("код клиента;наименование\nC-001;A\nC-001;B\n", encoding="utf-8")
    with pytest.raises(CommandError, match="Same client id as row 2"):
        run(transactions=str(source), clients=str(clients), json_path=str(tmp_path / "s.json"))


def test_too_few_clients_for_a_model_still_gives_a_summary(tmp_path):
    source = tmp_path / "sales.csv"
    source.write_text(
        "client_id,date,amount\nA,2024-01-05,100\nA,2024-03-05,80\nB,2024-02-01,50\n",
        encoding="utf-8",
    )
    run(transactions=str(source), json_path=str(tmp_path / "s.json"), out=str(tmp_path / "r.xlsx"))
    data = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert data["models"]["bgnbd"] is None and data["models"]["error"]
    assert data["backtest"] is None  # the history is shorter than the held-out months
    # No model: the figures come from each client's own pace and average purchase.
    checks = data["models"]["quality"]
    assert checks["verdict"] == "degenerate"
    assert checks["bgnbd"]["reasons"] == ["not_fitted"] and checks["bgnbd"]["source"] == "rule"
    assert checks["gamma_gamma"]["source"] == "own_average"
    spend = {c["client_id"]: c["expected_spend"] for c in data["clients"]}
    assert spend == {"A": 90.0, "B": 50.0}
    assert openpyxl.load_workbook(tmp_path / "r.xlsx").sheetnames[0] == "Summary"


# --- no database ----------------------------------------------------------------------------


def test_the_kam_cli_runs_without_any_database(tmp_path, frame, capsys, monkeypatch):
    def no_database(*args, **kwargs):
        raise AssertionError("the database was touched")

    monkeypatch.setattr("django.db.backends.base.base.BaseDatabaseWrapper.connect", no_database)
    source = tmp_path / "sales.csv"
    write_csv(frame, source)
    cli.main(
        [
            "analyze",
            "--transactions",
            str(source),
            "--out",
            str(tmp_path / "r.xlsx"),
            "--json",
            str(tmp_path / "s.json"),
            "--language",
            "en",
        ]
    )
    out, err = capsys.readouterr()
    assert "Workbook:" in out and "Reading sales.csv" in err
    assert (tmp_path / "r.xlsx").stat().st_size > 0


def test_verbosity_zero_is_quiet(tmp_path, frame):
    source = tmp_path / "sales.csv"
    write_csv(frame, source)
    out, err = run(transactions=str(source), json_path=str(tmp_path / "s.json"), verbosity=0)
    assert out == "" and err == ""


def test_the_engine_frame_keeps_string_ids(tmp_path):
    from kam.insights.reading import read_transactions

    source = tmp_path / "sales.csv"
    source.write_text('client_id,date,amount\n007,2024-01-05,"1 234,50"\n', encoding="utf-8")
    loaded = read_transactions(source)
    assert loaded.frame.schema["client_id"] == pl.String
    assert loaded.frame.row(0) == ("007", dt.date(2024, 1, 5), 1234.5)


def test_the_fit_verdict_is_printed_and_the_json_keeps_the_raw_parameters(outputs):
    models = outputs["data"]["models"]
    assert set(models["bgnbd"]) >= {"r", "alpha", "a", "b"}
    assert set(models["gamma_gamma"]) >= {"p", "q", "gamma"}
    checks = models["quality"]
    assert checks["verdict"] in {"ok", "unstable", "degenerate"}
    for key, name in (("bgnbd", "BG/NBD"), ("gamma_gamma", "Gamma-Gamma")):
        assert f"{name}: {fitwords.VERDICTS[checks[key]['verdict']]}" in outputs["stdout"]
    assert "figures from" in outputs["stdout"]


def test_without_later_transactions_the_last_months_are_held_out(tmp_path, frame):
    source = tmp_path / "sales.csv"
    write_csv(frame, source)
    stdout, _ = run(transactions=str(source), json_path=str(tmp_path / "s.json"), language="en")
    data = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert data["backtest"]["holdout_end"] == data["as_of"]
    assert data["backtest"]["rating"]["purchases"] in {"good", "fair", "poor"}
    assert "Backtest" in stdout


# --- the JSON writer and the light start-up ----------------------------------------------------


def test_the_clients_are_one_object_a_line_without_nan_or_negative_zero(tmp_path):
    from kam.analytics import schema as s
    from kam.insights import summary

    frame = pl.DataFrame(
        {
            s.CLIENT: ["a", "b"],
            s.VALUE: [-0.001, float("nan")],
            s.CLV: [float("inf"), 12.3456],
            s.REASON: ["line\nbreak }\n{", "ok"],
        }
    )
    path = tmp_path / "s.json"
    summary.write(path, {"as_of": dt.date(2024, 1, 31), "clients": summary.clients(frame)})
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["as_of"] == "2024-01-31"
    assert [c["value"] for c in data["clients"]] == [0.0, None]
    assert [c["clv"] for c in data["clients"]] == [None, 12.35]
    assert data["clients"][0]["reason"] == "line\nbreak }\n{"
    assert data["clients"][1]["rfm"] == {"r": None, "f": None, "m": None, "segment": None}
    assert "-0.0" not in text
    lines = text.splitlines()
    assert lines[lines.index('  "clients": [') + 1].startswith('{"client_id":"a"')

    summary.write(path, {"as_of": dt.date(2024, 1, 31), "clients": summary.clients(frame[:0])})
    assert json.loads(path.read_text(encoding="utf-8"))["clients"] == []


def test_kam_analyze_starts_without_the_apps_and_writes_the_summary(tmp_path, frame):
    """The `kam` script as a user runs it: no DJANGO_SETTINGS_MODULE, so kam.settings_files."""
    source = tmp_path / "sales.csv"
    write_csv(frame, source)
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    snippet = (
        "import sys; from kam import cli; cli.main(sys.argv[1:]); "
        "from django.conf import settings; "
        "assert settings.SETTINGS_MODULE == 'kam.settings_files', settings.SETTINGS_MODULE; "
        "assert 'ninja' not in sys.modules and 'kam.clients.models' not in sys.modules"
    )
    args = ["analyze", "--transactions", str(source), "--as-of", AS_OF, "--language", "en"]
    done = subprocess.run(
        [sys.executable, "-c", snippet, *args, "--json", str(tmp_path / "s.json")],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Summary:" in done.stdout
    data = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert len(data["clients"]) == 60
