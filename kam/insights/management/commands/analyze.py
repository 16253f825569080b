"""`kam analyze`: the analytics engine on files alone — no database needed or touched."""

import datetime as dt
import importlib
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl
from django.conf import settings
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.analytics import schema as s
from kam.analytics.config import AnalysisConfig
from kam.analytics.frames import AnalyticsInputError
from kam.core.commands import KamCommand
from kam.insights import reading

#: Imported beside the reading of the files (see Command._run), not with the command.
ANALYSIS_MODULES = ("kam.analytics.engine", "kam.insights.summary", "kam.insights.fitwords")

#: The engine's steps (see kam.analytics.engine.analyze) as the user reads them.
ENGINE_STEPS = {
    "validate": gettext_lazy("Checking the transactions"),
    "summary": gettext_lazy("Purchase histories"),
    "abc_xyz": gettext_lazy("ABC-XYZ classes and the Pareto curve"),
    "rfm": gettext_lazy("RFM segments"),
    "scoring": gettext_lazy("Key-client scoring"),
    "models": gettext_lazy("Fitting the BG/NBD and Gamma-Gamma models"),
    "rhythm": gettext_lazy("Purchase rhythm and lost clients"),
    "combine": gettext_lazy("Combining the results"),
    "backtest": gettext_lazy("Backtest on the holdout"),
}


class StepBar:
    """Progress over a known number of steps on stderr: redrawn in place on a terminal, one
    line per step when stderr is a file; silent at verbosity 0."""

    WIDTH = 30

    def __init__(self, stream, total: int, *, quiet: bool = False):
        self.stream, self.total, self.quiet = stream, total, quiet
        self.tty = stream.isatty()
        self.done = 0
        self.started = time.monotonic()

    def __call__(self, label: str) -> None:
        self.done = min(self.done + 1, self.total)
        if self.quiet:
            return
        filled = int(self.WIDTH * (self.done - 1) / self.total)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        seconds = time.monotonic() - self.started
        line = f"[{bar}] {self.done:>2}/{self.total}  {seconds:6.1f} s  {label}"
        if self.tty:
            self.stream.write("\r" + line.ljust(110), ending="")
        else:
            self.stream.write(line)
        self.stream.flush()

    def close(self) -> None:
        if self.quiet:
            return
        seconds = time.monotonic() - self.started
        line = f"[{'#' * self.WIDTH}] {self.total:>2}/{self.total}  {seconds:6.1f} s  " + _("done")
        self.stream.write(("\r" + line.ljust(110)) if self.tty else line)
        self.stream.flush()


def parse_date(text: str) -> dt.date:
    """31.12.2024 or 2024-12-31."""
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    raise CommandError(
        _("--as-of: “%(value)s” is not a date; write 31.12.2024 or 2024-12-31.") % {"value": text}
    )


class Command(KamCommand):
    help = gettext_lazy(  # type: ignore[assignment]  # KamCommand translates it
        "Analyse a file of transactions without any database: ABC-XYZ, Pareto, RFM, at-risk and "
        "lost clients, BG/NBD and Gamma-Gamma lifetime value, scoring and a backtest. Writes an "
        "Excel workbook (--out) and/or a JSON summary (--json)."
    )
    requires_system_checks: list[str] = []  # the command must run without a database

    def add_arguments(self, parser):
        parser.add_argument(
            "--transactions",
            type=Path,
            required=True,
            help=_(
                "CSV or XLSX with client id, date and amount (optionally cost or margin, "
                "product, quantity, document); English or Russian headers."
            ),
        )
        parser.add_argument(
            "--clients",
            type=Path,
            help=_(
                "Optional CSV or XLSX with client id, name and scoring attributes "
                "(leader, expert, strategic, potential, share of wallet)."
            ),
        )
        parser.add_argument(
            "--as-of",
            dest="as_of",
            help=_(
                "Last day of the observed period, inclusive (default: the last transaction date); "
                "later transactions are used to backtest the model."
            ),
        )
        parser.add_argument(
            "--backtest-months",
            dest="backtest_months",
            type=int,
            default=AnalysisConfig.backtest_months,
            help=gettext_lazy(
                "Without transactions after the as-of date, hold out this many last months to "
                "backtest the models (0: no backtest; default 6)."
            ),
        )
        parser.add_argument("--by", choices=["revenue", "margin"], default="revenue")
        parser.add_argument(
            "--time-unit", dest="time_unit", choices=["week", "day"], default="week"
        )
        parser.add_argument("--out", type=Path, help=_("Write the Excel workbook here."))
        parser.add_argument(
            "--json", dest="json_path", type=Path, help=_("Write the JSON summary here.")
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            help=_("Language of the workbook and messages (default: the site's)."),
        )

    def handle(self, *args, **options):
        language = options["language"] or settings.LANGUAGE_CODE
        with translation.override(language):
            self._run(options)

    def _run(self, options) -> None:
        # call_command(...) passes keyword options through without the parser's type=Path.
        for key in ("transactions", "clients", "out", "json_path"):
            if options[key] is not None:
                options[key] = Path(options[key])
        out: Path | None = options["out"]
        json_path: Path | None = options["json_path"]
        if out is None and json_path is None:
            raise CommandError(
                _("Nothing to write: give --out report.xlsx, --json summary.json or both.")
            )
        as_of = parse_date(options["as_of"]) if options["as_of"] else None
        verbosity = options["verbosity"]
        if out is not None:
            from kam.insights import report  # the workbook's writer: not imported for --json alone

        total = 1 + (options["clients"] is not None) + len(ENGINE_STEPS)
        total += (len(report.sheet_names()) if out is not None else 0) + (json_path is not None)
        bar = StepBar(self.stderr, total, quiet=verbosity == 0)
        timings: dict[str, float] = {}

        started = time.perf_counter()
        bar(_("Reading %(file)s") % {"file": options["transactions"].name})
        # The engine's imports (scipy alone takes half a second) run on a thread while Polars
        # reads the files, which it does without holding the interpreter.
        with ThreadPoolExecutor(max_workers=1) as pool:
            loading = pool.submit(lambda: [importlib.import_module(m) for m in ANALYSIS_MODULES])
            try:
                transactions = reading.read_transactions(options["transactions"])
                clients = None
                if options["clients"] is not None:
                    bar(_("Reading %(file)s") % {"file": options["clients"].name})
                    clients = reading.read_clients(options["clients"])
            except reading.BadInput as error:
                bar.close()
                raise CommandError(str(error)) from error
            loading.result()
        from kam.analytics.engine import analyze
        from kam.insights import summary

        timings[_("Reading the files")] = time.perf_counter() - started

        frame = transactions.frame
        self._check(frame, as_of, options["by"])
        config = AnalysisConfig(
            as_of=as_of,
            abc_by=options["by"],
            time_unit=options["time_unit"],
            backtest_months=max(0, int(options.get("backtest_months") or 0)),
        )
        try:
            result = analyze(
                frame,
                config,
                attributes=reading.attributes(clients),
                progress=lambda step: bar(str(ENGINE_STEPS.get(step, step))),
            )
        except (AnalyticsInputError, ValueError) as error:
            bar.close()
            raise CommandError(_("The analysis failed: %(error)s") % {"error": error}) from error
        for step, seconds in result.timings.items():
            timings[str(ENGINE_STEPS.get(step, step))] = seconds

        if out is not None:
            inputs = report.Inputs(transactions=transactions, clients=clients, timings=timings)
            try:
                report.write_workbook(
                    out,
                    result,
                    inputs,
                    progress=lambda sheet: bar(
                        _("Writing the sheet “%(sheet)s”") % {"sheet": sheet}
                    ),
                )
            except OSError as error:
                bar.close()
                raise CommandError(
                    _("Cannot write %(file)s: %(error)s") % {"file": out, "error": error}
                ) from error
        if json_path is not None:
            bar(_("Writing %(file)s") % {"file": json_path.name})
            try:
                summary.write(json_path, summary.build(result))
            except OSError as error:
                bar.close()
                raise CommandError(
                    _("Cannot write %(file)s: %(error)s") % {"file": json_path, "error": error}
                ) from error
        bar.close()
        if verbosity:
            self._report(result, transactions.rows, out, json_path)

    def _check(self, frame: pl.DataFrame, as_of: dt.date | None, by: str) -> None:
        first = frame[s.DATE].min()
        if as_of is not None and isinstance(first, dt.date) and as_of < first:
            raise CommandError(
                _(
                    "The as-of date %(as_of)s is before the first transaction (%(first)s): "
                    "there is nothing to analyse."
                )
                % {"as_of": as_of.isoformat(), "first": first.isoformat()}
            )
        if by == "margin" and s.COST not in frame.columns and s.MARGIN not in frame.columns:
            raise CommandError(
                _("--by margin needs a cost or a margin column in the transactions file.")
            )

    def _report(self, result, lines: int, out: Path | None, json_path: Path | None) -> None:
        from kam.insights import fitwords

        clients = result.clients
        risks = clients[s.RISK].value_counts()
        count = dict(zip(risks[s.RISK].to_list(), risks["count"].to_list(), strict=True))
        abc = clients[s.ABC].drop_nulls().value_counts()
        classes = dict(zip(abc[s.ABC].to_list(), abc["count"].to_list(), strict=True))
        self.stdout.write(
            _(
                "Analysed %(lines)d lines of %(clients)d clients as of %(as_of)s: "
                "A %(a)d, B %(b)d, C %(c)d; %(at_risk)d at risk, %(lost)d lost; "
                "the top 20 %% of clients bring %(top)s of the value."
            )
            % {
                "lines": lines,
                "clients": clients.height,
                "as_of": result.config.as_of.isoformat(),
                "a": classes.get("A", 0),
                "b": classes.get("B", 0),
                "c": classes.get("C", 0),
                "at_risk": count.get("at_risk", 0),
                "lost": count.get("lost", 0),
                "top": f"{result.top20_share:.0%}",
            }
        )
        if result.model_error:
            self.stdout.write(_("Models not fitted: %(error)s") % {"error": result.model_error})
        for check, name in (
            (result.quality.bgnbd, "BG/NBD"),
            (result.quality.gamma_gamma, "Gamma-Gamma"),
        ):
            self.stdout.write(
                _("%(model)s: %(verdict)s%(reasons)s; figures from %(source)s.")
                % {
                    "model": name,
                    "verdict": fitwords.VERDICTS[check.verdict],
                    "reasons": f" ({', '.join(check.reasons)})" if check.reasons else "",
                    "source": check.source,
                }
            )
        if result.backtest is not None and result.backtest.rating:
            self.stdout.write(
                _("Backtest %(start)s – %(end)s: purchases %(purchases)s, amount %(amount)s.")
                % {
                    "start": result.backtest.as_of,
                    "end": result.backtest.holdout_end,
                    "purchases": result.backtest.rating.get("purchases") or "—",
                    "amount": result.backtest.rating.get("amount") or "—",
                }
            )
        if out is not None:
            self.stdout.write(_("Workbook: %(file)s") % {"file": out})
        if json_path is not None:
            self.stdout.write(_("Summary: %(file)s") % {"file": json_path})
