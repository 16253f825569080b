"""The Excel workbook of `kam analyze --out`: what a KAM opens to see the analysis.

Written with XlsxWriter in the active language. Sheets: Summary, ABC-XYZ matrix, Pareto (with a
native Excel chart), Clients, At risk & lost, CLV ranking, Scoring, Backtest, Parameters. Text
coming from the input files (client ids, names) goes through
:func:`kam.core.exports.neutralise`, and ``strings_to_formulas`` is off: nothing in the file can
become a formula.
"""

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from kam.analytics import schema as s
from kam.analytics.abc_xyz import ABC_CLASSES, XYZ_CLASSES
from kam.analytics.engine import AnalysisResult
from kam.analytics.scoring import DEFAULT_WEIGHTS
from kam.core.exports import neutralise

from . import fitwords
from . import summary as json_summary
from .labels import (
    READINGS,
    RISK_LABELS,
    plain_number,
    reason_text,
    risk_label,
    russian,
    segment_label,
    type_label,
    xyz_label,
)
from .reading import Loaded, names

Progress = Callable[[str], None]

CRITERION_LABELS = {
    "revenue": gettext_lazy("Revenue"),
    "margin": gettext_lazy("Margin"),
    "growth": gettext_lazy("Growth"),
    "tenure": gettext_lazy("Tenure"),
    "regularity": gettext_lazy("Regularity"),
    "frequency": gettext_lazy("Purchase frequency"),
    "potential": gettext_lazy("Potential"),
    "share_of_wallet": gettext_lazy("Share of wallet"),
    "strategic": gettext_lazy("Strategic"),
}

#: One line on every AnalysisConfig field.
PARAMETER_HELP = {
    "as_of": gettext_lazy(
        "Last day of the observed period (inclusive); later transactions are the holdout."
    ),
    "window_months": gettext_lazy(
        "Complete calendar months in the ABC/XYZ window, ending on or before the as-of date."
    ),
    "abc_by": gettext_lazy("What ABC ranks clients by: revenue or margin over the window."),
    "abc_thresholds": gettext_lazy(
        "Cumulative value share of the clients ranked above: A below the first, B below the "
        "second, C otherwise."
    ),
    "xyz_thresholds": gettext_lazy(
        "Coefficient of variation of monthly amounts: X up to the first, Y up to the second, "
        "Z above."
    ),
    "xyz_min_months": gettext_lazy("Fewer months of history than this: class “new” (no XYZ)."),
    "time_unit": gettext_lazy("Time unit of the BG/NBD model and of its predictions."),
    "horizon_periods": gettext_lazy("How many time units ahead expected purchases and CLV look."),
    "annual_discount_rate": gettext_lazy("Annual discount rate of the customer lifetime value."),
    "risk_multiple": gettext_lazy(
        "At risk when the silence exceeds this multiple of the client's typical gap…"
    ),
    "lost_multiple": gettext_lazy(
        "Lost when the silence exceeds this multiple of the client's typical gap…"
    ),
    "risk_floor_days": gettext_lazy("… and is at least this many days (at risk)."),
    "lost_floor_days": gettext_lazy("… and is at least this many days (lost)."),
    "p_alive_at_risk": gettext_lazy(
        "“At risk” stands only if the model's probability alive is below this."
    ),
    "p_alive_lost": gettext_lazy(
        "“Lost” stands only if the model's probability alive is below this (else at risk)."
    ),
    "scoring_weights": gettext_lazy(
        "Weights of the scoring criteria that differ from the defaults."
    ),
    "scoring_normalisation": gettext_lazy(
        "Normalisation of the scoring criteria that differ from the defaults (percentile rank "
        "for money, min–max for the rest)."
    ),
}

# Cell colours of the matrix: green for valuable and stable, red for small and erratic.
CELL_COLOURS = {
    "AX": "#63BE7B",
    "AY": "#A9D08E",
    "AZ": "#FFE699",
    "BX": "#A9D08E",
    "BY": "#FFE699",
    "BZ": "#F8CBAD",
    "CX": "#FFE699",
    "CY": "#F8CBAD",
    "CZ": "#F8696B",
}
NEW_COLOUR = "#D9D9D9"
RISK_COLOURS = {"lost": "#F8696B", "at_risk": "#FFC7CE", "ok": "#C6EFCE", "new": "#EDEDED"}
HEADER_COLOUR = "#1F4E78"
#: The Pareto chart's table keeps at most this many points (every k-th client beyond).
CHART_POINTS = 2000


class Styles:
    """The workbook's cell formats."""

    def __init__(self, book: xlsxwriter.Workbook):
        date = "dd.mm.yyyy" if russian() else "yyyy-mm-dd"
        add = book.add_format
        self.title = add({"bold": True, "font_size": 14})
        self.subtitle = add({"bold": True, "font_size": 11})
        self.note = add({"italic": True, "font_color": "#595959"})
        self.header = add(
            {
                "bold": True,
                "font_color": "#FFFFFF",
                "bg_color": HEADER_COLOUR,
                "text_wrap": True,
                "valign": "top",
                "border": 1,
            }
        )
        self.label = add({"bold": True})
        self.text = add({})
        self.wrap = add({"text_wrap": True, "valign": "top"})
        self.money = add({"num_format": "#,##0.00"})
        self.money0 = add({"num_format": "#,##0"})
        self.percent = add({"num_format": "0.0%"})
        self.percent0 = add({"num_format": "0%"})
        self.number = add({"num_format": "0.00"})
        self.number4 = add({"num_format": "0.0000"})
        self.general = add({"num_format": "General"})
        self.integer = add({"num_format": "#,##0"})
        self.date = add({"num_format": date, "align": "left"})
        self.matrix_head = add(
            {
                "bold": True,
                "align": "center",
                "valign": "vcenter",
                "border": 1,
                "bg_color": "#F2F2F2",
            }
        )
        self.cells: dict[tuple[str, str], Format] = {}
        for cell in [a + x for a in ABC_CLASSES for x in XYZ_CLASSES]:
            colour = CELL_COLOURS.get(cell, NEW_COLOUR)
            for kind, number in (("count", "0"), ("share", "0.0%")):
                self.cells[(cell, kind)] = add(
                    {
                        "bg_color": colour,
                        "num_format": number,
                        "align": "center",
                        "valign": "vcenter",
                        "border": 1,
                        "font_size": 12,
                    }
                )
        self.risk = {key: add({"bg_color": colour}) for key, colour in RISK_COLOURS.items()}


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


class Sheet:
    """A worksheet written row by row, tracking column widths."""

    def __init__(self, book: xlsxwriter.Workbook, name: str, styles: Styles):
        self.ws: Worksheet = book.add_worksheet(_sheet_name(name))
        self.styles = styles
        self.row = 0
        self.widths: dict[int, float] = {}

    def put(self, row: int, col: int, value: Any, fmt: Format | None = None) -> None:
        fmt = fmt or self.styles.text
        if _is_missing(value):
            self.ws.write_blank(row, col, None, fmt)
            return
        if isinstance(value, dt.date):
            self.ws.write_datetime(row, col, dt.datetime.combine(value, dt.time()), fmt)
            self._fit(col, 10)
            return
        if isinstance(value, str):
            self.ws.write_string(row, col, value, fmt)
            self._fit(col, max((len(line) for line in value.split("\n")), default=0))
            return
        if isinstance(value, bool):
            self.ws.write_boolean(row, col, value, fmt)
            return
        self.ws.write_number(row, col, value, fmt)
        self._fit(col, min(len(f"{value:,.2f}"), 16))

    def _fit(self, col: int, length: float) -> None:
        self.widths[col] = max(self.widths.get(col, 0), length)

    def line(self, *cells: Any, fmt: Format | None = None) -> None:
        for col, value in enumerate(cells):
            if isinstance(value, tuple):
                self.put(self.row, col, value[0], value[1])
            else:
                self.put(self.row, col, value, fmt)
        self.row += 1

    def title(self, text: str, note: str = "") -> None:
        self.ws.write_string(self.row, 0, text, self.styles.title)
        self.row += 1
        if note:
            self.ws.write_string(self.row, 0, note, self.styles.note)
            self.row += 1
        self.row += 1

    def table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[Any]],
        formats: Sequence[Format | None],
        *,
        filter_and_freeze: bool = False,
        freeze_cols: int = 1,
    ) -> tuple[int, int]:
        """Write a header and rows; return (first data row, last data row)."""
        top = self.row
        for col, header in enumerate(headers):
            self.ws.write_string(top, col, header, self.styles.header)
            self._fit(col, min(len(header), 24) * 0.9)
        first = top + 1
        for r, values in enumerate(rows):
            for col, value in enumerate(values):
                self.put(first + r, col, value, formats[col])
        last = first + max(len(rows), 1) - 1
        self.row = first + len(rows) + 1
        if filter_and_freeze and rows:
            self.ws.autofilter(top, 0, last, len(headers) - 1)
            self.ws.freeze_panes(top + 1, freeze_cols)
        self.ws.set_row(top, 32)
        return first, last

    def finish(
        self, *, minimum: float = 8, maximum: float = 60, wrap: dict[int, float] | None = None
    ):
        for col, width in self.widths.items():
            if wrap and col in wrap:
                self.ws.set_column(col, col, wrap[col], self.styles.wrap)
            else:
                self.ws.set_column(col, col, min(max(width + 2, minimum), maximum))


def _sheet_name(name: str) -> str:
    for char in "[]:*?/\\":
        name = name.replace(char, " ")
    return name.strip("'")[:31]


def sheet_names() -> list[str]:
    """The sheet names in the active language, in order."""
    return [
        _sheet_name(str(n))
        for n in (
            _("Summary"),
            _("ABC-XYZ matrix"),
            _("Pareto"),
            _("Clients"),
            _("At risk & lost"),
            _("CLV ranking"),
            _("Scoring"),
            _("Backtest"),
            _("Parameters"),
        )
    ]


@dataclasses.dataclass
class Inputs:
    """What the report says about where the data came from."""

    transactions: Loaded
    clients: Loaded | None = None
    timings: dict[str, float] = dataclasses.field(default_factory=dict)


def write_workbook(
    path: Path, result: AnalysisResult, inputs: Inputs, *, progress: Progress | None = None
) -> None:
    """Write the whole workbook to ``path``."""
    book = xlsxwriter.Workbook(
        str(path),
        {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )
    book.set_properties({"title": _("Key account analysis"), "comments": "KAM"})
    styles = Styles(book)
    report = _Report(book, styles, result, inputs)
    names = sheet_names()
    steps = [
        report.summary,
        report.matrix,
        report.pareto,
        report.clients,
        report.at_risk,
        report.clv,
        report.scoring,
        report.backtest,
        report.parameters,
    ]
    for name, step in zip(names, steps, strict=True):
        if progress:
            progress(name)
        step(name)
    book.close()


class _Report:
    def __init__(self, book, styles: Styles, result: AnalysisResult, inputs: Inputs):
        self.book, self.styles, self.result, self.inputs = book, styles, result, inputs
        self.config = result.config
        self.names = names(inputs.clients)
        self.has_names = bool(self.names)
        self.rows = result.clients.with_columns(pl.col(s.CLIENT).cast(pl.String)).to_dicts()

    # helpers ------------------------------------------------------------------------------

    def client_cells(self, row: dict[str, Any]) -> list[Any]:
        client = str(row[s.CLIENT])
        cells: list[Any] = [neutralise(client)]
        if self.has_names:
            name = self.names.get(client)
            cells.append(None if name is None else neutralise(name))
        return cells

    def client_headers(self) -> list[str]:
        return [_("Client id"), _("Name")] if self.has_names else [_("Client id")]

    def client_formats(self) -> list[Format | None]:
        return [self.styles.text] * (2 if self.has_names else 1)

    def horizon(self) -> str:
        unit = self.config.time_unit
        n = self.config.horizon_periods
        if unit == "week":
            return ngettext("%(n)d week", "%(n)d weeks", n) % {"n": n}
        return ngettext("%(n)d day", "%(n)d days", n) % {"n": n}

    def risk_colours(self, sheet: Sheet, col: int, first: int, last: int) -> None:
        for key, fmt in self.styles.risk.items():
            sheet.ws.conditional_format(
                first,
                col,
                last,
                col,
                {
                    "type": "cell",
                    "criteria": "==",
                    "value": '"' + str(risk_label(key)).replace('"', '""') + '"',
                    "format": fmt,
                },
            )

    # sheets -------------------------------------------------------------------------------

    def summary(self, name: str) -> None:
        sheet = Sheet(self.book, name, self.styles)
        result, config, st = self.result, self.config, self.styles
        assert config.as_of is not None
        frame = result.clients
        classified = frame.filter(pl.col(s.ABC).is_not_null())
        sheet.title(
            _("Key account analysis"),
            _("Generated on %(date)s by kam analyze.") % {"date": dt.date.today().isoformat()},
        )
        counts = {key: frame.filter(pl.col(s.RISK) == key).height for key in RISK_LABELS}
        abc = {key: classified.filter(pl.col(s.ABC) == key).height for key in ABC_CLASSES}
        window = f"{_date(result.window[0])} – {_date(result.window[1])}"
        basis = _("revenue") if config.abc_by == "revenue" else _("margin")
        lines: list[tuple[str, Any, Format | None]] = [
            (_("As-of date"), config.as_of, st.date),
            (_("Analysis window (ABC/XYZ)"), window, None),
            (_("ABC by"), basis, None),
            (_("Transactions file"), neutralise(self.inputs.transactions.path.name), None),
            (_("Transaction lines"), self.inputs.transactions.rows, st.integer),
            (_("Clients with purchases up to the as-of date"), frame.height, st.integer),
            (_("Clients with purchases in the window"), classified.height, st.integer),
            (_("Class A clients"), abc["A"], st.integer),
            (_("Class B clients"), abc["B"], st.integer),
            (_("Class C clients"), abc["C"], st.integer),
            # xgettext:no-python-format (a plain percent sign, never %-formatted)
            (_("Share of value from the top 20 % of clients"), result.top20_share, st.percent),
            (_("Clients at risk"), counts["at_risk"], st.integer),
            (_("Lost clients"), counts["lost"], st.integer),
            (_("Purchase model (BG/NBD)"), self.model_status(), None),
            (_("Spend model (Gamma-Gamma)"), self.spend_status(), None),
            (_("Backtest"), self.backtest_status(), None),
        ]
        for label, value, fmt in lines:
            sheet.line((label, st.label), (value, fmt or st.text))
        sheet.row += 1
        sheet.ws.write_string(sheet.row, 0, _("What is where"), st.subtitle)
        sheet.row += 1
        guide = [
            _("ABC-XYZ matrix: how many clients and how much value in each class, and what to do."),
            _("Pareto: how concentrated the value is (the 80/20 rule)."),
            _("Clients: every number per client; filter and sort as you like."),
            _("At risk & lost: clients silent for long for their own rhythm, with the reason."),
            _("CLV ranking: expected value of each client over the horizon."),
            _("Scoring: key-client score, rank and what each criterion contributed."),
            _("Backtest: how well the model predicted the period after the as-of date."),
            _("Parameters: every setting used, the fitted models and the timings."),
        ]
        for text in guide:
            sheet.line(text)
        sheet.finish(maximum=70)
        sheet.ws.set_column(0, 0, 48)
        sheet.ws.activate()

    def verdict(self, words: fitwords.ModelWords) -> str:
        """The verdict in words: why, and what the figures fall back to."""
        parts = [words.verdict_label]
        if words.reasons:
            parts[0] += f" ({'; '.join(words.reasons)})"
        return " — ".join([*parts, *words.meaning, *([words.fallback] if words.fallback else [])])

    def model_status(self) -> str:
        fit = self.result.bgnbd
        words = self.verdict(fitwords.purchase_model(json_summary.models(self.result)))
        if fit is None:
            return _("not fitted: %(error)s") % {"error": self.result.model_error or "—"} + (
                f" — {words}"
            )
        return (
            _("%(state)s on %(n)d clients")
            % {
                "state": _fit_state(fit.converged),
                "n": fit.n_clients,
            }
            + f" — {words}"
        )

    def spend_status(self) -> str:
        fit = self.result.gamma_gamma
        if fit is None:
            fallback = fitwords.spend_model(json_summary.models(self.result)).fallback
            return _("not fitted: %(error)s") % {"error": self.result.model_error or "—"} + (
                f" — {fallback}"
            )
        words = self.verdict(fitwords.spend_model(json_summary.models(self.result)))
        return (
            _("%(state)s on %(n)d repeat buyers")
            % {
                "state": _fit_state(fit.converged),
                "n": fit.n_clients,
            }
            + f" — {words}"
        )

    def backtest_status(self) -> str:
        bt = self.result.backtest
        if bt is None:
            return _("no backtest: the history is too short to hold out the last months")
        ratio = bt.summary.get("purchases_ratio")
        corr = bt.summary.get("purchases_correlation")
        return _(
            "predicted %(predicted)s purchases, actual %(actual)s (correlation per client %(corr)s)"
        ) % {
            "predicted": plain_number(float(bt.summary.get("purchases_predicted") or 0), 0),
            "actual": plain_number(float(bt.summary.get("purchases_actual") or 0), 0),
            "corr": "—" if corr is None else plain_number(float(corr), 2),
        } + ("" if ratio is None else f" · {plain_number(float(ratio) * 100, 0)} %")

    def matrix(self, name: str) -> None:
        sheet = Sheet(self.book, name, self.styles)
        st = self.styles
        sheet.title(
            _("ABC-XYZ matrix"),
            _(
                # xgettext:no-python-format (a plain percent sign, never %-formatted)
                "ABC: value class (A — the clients bringing the first 80 % of value). "
                "XYZ: regularity of monthly purchases (X — stable). “new”: under 3 months."
            ),
        )
        cells = {row["cell"]: row for row in self.result.matrix.to_dicts()}
        ws = sheet.ws
        top = sheet.row
        for block, (title, kind) in enumerate(
            ((_("Clients"), "count"), (_("Share of value"), "share"))
        ):
            left = block * (len(XYZ_CLASSES) + 2)
            ws.write_string(top, left, title, st.subtitle)
            ws.write_string(top + 1, left, "", st.matrix_head)
            for j, xyz in enumerate(XYZ_CLASSES):
                ws.write_string(top + 1, left + 1 + j, xyz_label(xyz), st.matrix_head)
            for i, abc in enumerate(ABC_CLASSES):
                ws.write_string(top + 2 + i, left, abc, st.matrix_head)
                ws.set_row(top + 2 + i, 30)
                for j, xyz in enumerate(XYZ_CLASSES):
                    cell = cells[abc + xyz]
                    value = cell["clients"] if kind == "count" else cell["value_share"]
                    ws.write_number(top + 2 + i, left + 1 + j, value, st.cells[(abc + xyz, kind)])
        ws.set_column(0, 2 * (len(XYZ_CLASSES) + 2), 11)
        sheet.row = top + 2 + len(ABC_CLASSES) + 1
        sheet.ws.write_string(sheet.row, 0, _("What each cell means"), st.subtitle)
        sheet.row += 1
        rows = [
            [
                cell,
                cells[cell]["clients"],
                cells[cell]["client_share"],
                cells[cell]["value_share"],
                str(READINGS[cell]),
            ]
            for cell in cells
        ]
        headers = [
            _("Cell"),
            _("Clients"),
            _("Share of clients"),
            _("Share of value"),
            _("Reading"),
        ]
        first = sheet.row + 1
        sheet.table(headers, rows, [st.label, st.integer, st.percent, st.percent, st.wrap])
        for r, cell in enumerate(cells):
            ws.write_string(first + r, 0, cell, st.cells[(cell, "count")])
        ws.set_column(4, 4, 11)
        ws.set_column(5, 5, 11)
        # The reading column sits under the grids: widen it last.
        ws.set_column(4, 4, 80, st.wrap)

    def pareto(self, name: str) -> None:
        sheet = Sheet(self.book, name, self.styles)
        st, result = self.styles, self.result
        sheet.title(
            _("Pareto curve"),
            _(
                "Clients sorted by value, largest first: the cumulative share of clients against "
                "the cumulative share of value."
            ),
        )
        sheet.line(
            # xgettext:no-python-format (a plain percent sign, never %-formatted)
            (_("Share of value from the top 20 % of clients"), st.label),
            (result.top20_share, st.percent),
        )
        sheet.row += 1
        curve = result.pareto
        n = curve.height
        step = max(1, math.ceil(n / CHART_POINTS))
        picked = curve.with_row_index("_i").filter(
            (pl.col("_i") % step == step - 1) | (pl.col("_i") == n - 1)
        )
        rows: list[list[Any]] = [[0, None, None, 0.0, 0.0, 0.8]]
        for rec in picked.iter_rows(named=True):
            rows.append(
                [
                    rec[s.RANK],
                    neutralise(str(rec[s.CLIENT])),
                    rec[s.VALUE],
                    rec["client_share"],
                    rec["cum_value_share"],
                    0.8,
                ]
            )
        headers = [
            _("Rank"),
            _("Client id"),
            _("Value in the window"),
            _("Cumulative share of clients"),
            _("Cumulative share of value"),
            # xgettext:no-python-format (a plain percent sign, never %-formatted)
            _("80 % line"),
        ]
        if step > 1:
            sheet.line(
                _("Every %(step)d-th client of %(n)d is shown.") % {"step": step, "n": n},
                fmt=st.note,
            )
        first, last = sheet.table(
            headers, rows, [st.integer, st.text, st.money, st.percent, st.percent, st.percent0]
        )
        ws = sheet.ws
        ws.freeze_panes(first, 0)
        chart = self.book.add_chart({"type": "scatter", "subtype": "straight"})
        sheet_ref = ws.get_name()
        chart.add_series(
            {
                "name": _("Cumulative share of value"),
                "categories": [sheet_ref, first, 3, last, 3],
                "values": [sheet_ref, first, 4, last, 4],
                "line": {"color": HEADER_COLOUR, "width": 2.25},
            }
        )
        chart.add_series(
            {
                # xgettext:no-python-format (a plain percent sign, never %-formatted)
                "name": _("80 % line"),
                "categories": [sheet_ref, first, 3, last, 3],
                "values": [sheet_ref, first, 5, last, 5],
                "line": {"color": "#C00000", "width": 1.25, "dash_type": "dash"},
            }
        )
        chart.set_title({"name": _("Pareto curve: share of value by share of clients")})
        chart.set_x_axis(_share_axis(_("Cumulative share of clients")))
        chart.set_y_axis(_share_axis(_("Cumulative share of value")))
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 640, "height": 420})
        ws.insert_chart(1, 7, chart)
        sheet.finish(maximum=30)

    def clients(self, name: str) -> None:
        sheet = Sheet(self.book, name, self.styles)
        st = self.styles
        horizon = self.horizon()
        headers = [
            *self.client_headers(),
            _("ABC"),
            _("XYZ"),
            _("Value in the window"),
            _("Share of value"),
            _("CV of monthly amounts"),
            _("R score"),
            _("F score"),
            _("M score"),
            _("RFM segment"),
            _("Purchase days"),
            _("Last purchase"),
            _("Days since last purchase"),
            _("Typical gap, days"),
            _("Probability alive"),
            _("Expected purchases, next %(horizon)s") % {"horizon": horizon},
            _("Expected spend per purchase"),
            _("CLV, next %(horizon)s") % {"horizon": horizon},
            _("Risk"),
            _("Reason"),
            _("Score"),
            _("Score rank"),
            _("Suggested type"),
        ]
        formats = [
            *self.client_formats(),
            st.text,
            st.text,
            st.money,
            st.percent,
            st.percent,
            st.general,
            st.general,
            st.general,
            st.text,
            st.integer,
            st.date,
            st.integer,
            st.general,
            st.percent0,
            st.number,
            st.money,
            st.money,
            st.text,
            st.text,
            st.number,
            st.integer,
            st.text,
        ]
        rows = [
            [
                *self.client_cells(r),
                r[s.ABC],
                None if r[s.XYZ] is None else xyz_label(r[s.XYZ]),
                r[s.VALUE],
                r[s.SHARE],
                r[s.CV],
                r[s.R_SCORE],
                r[s.F_SCORE],
                r[s.M_SCORE],
                segment_label(r[s.RFM_SEGMENT]),
                r[s.PURCHASE_DAYS],
                r[s.LAST_PURCHASE],
                r[s.SILENCE_DAYS],
                r[s.TYPICAL_GAP_DAYS],
                r.get(s.P_ALIVE),
                r.get(s.EXPECTED_PURCHASES),
                r.get(s.EXPECTED_SPEND),
                r.get(s.CLV),
                risk_label(r[s.RISK]),
                reason_text(r),
                r[s.SCORE],
                r[s.SCORE_RANK],
                type_label(r[s.SUGGESTED_TYPE]),
            ]
            for r in self.rows
        ]
        first, last = sheet.table(
            headers, rows, formats, filter_and_freeze=True, freeze_cols=len(self.client_headers())
        )
        risk_col = headers.index(_("Risk"))
        self.risk_colours(sheet, risk_col, first, last)
        share_col = headers.index(_("Share of value"))
        sheet.ws.conditional_format(
            first, share_col, last, share_col, {"type": "data_bar", "bar_color": "#9BC2E6"}
        )
        score_col = headers.index(_("Score"))
        sheet.ws.conditional_format(first, score_col, last, score_col, {"type": "3_color_scale"})
        reason_col = headers.index(_("Reason"))
        sheet.finish(maximum=40, wrap={reason_col: 60})

    def at_risk(self, name: str) -> None:
        sheet = Sheet(self.book, name, self.styles)
        st = self.styles
        sheet.title(
            _("Clients at risk and lost"),
            _(
                "Silent for long for their own rhythm (a multiple of the client's typical gap "
                "between purchases), confirmed by the purchase model; sorted by value."
            ),
        )
        flagged = sorted(
            (r for r in self.rows if r[s.RISK] in ("at_risk", "lost")),
            key=lambda r: (-(r[s.VALUE] or 0.0), str(r[s.CLIENT])),
        )
        if not flagged:
            sheet.line(_("No client is at risk or lost."), fmt=st.note)
            sheet.finish()
            return
        headers = [
            *self.client_headers(),
            _("Risk"),
            _("Reason"),
            _("Value in the window"),
            _("ABC"),
            _("Last purchase"),
            _("Days since last purchase"),
            _("Typical gap, days"),
            _("Probability alive"),
            _("CLV, next %(horizon)s") % {"horizon": self.horizon()},
        ]
        formats = [
            *self.client_formats(),
            st.text,
            st.text,
            st.money,
            st.text,
            st.date,
            st.integer,
            st.general,
            st.percent0,
            st.money,
        ]
        rows = [
            [
                *self.client_cells(r),
                risk_label(r[s.RISK]),
                reason_text(r),
                r[s.VALUE],
                r[s.ABC],
                r[s.LAST_PURCHASE],
                r[s.SILENCE_DAYS],
                r[s.TYPICAL_GAP_DAYS],
                r.get(s.P_ALIVE),
                r.get(s.CLV),
            ]
            for r in flagged
        ]
        first, last = sheet.table(
            headers, rows, formats, filter_and_freeze=True, freeze_cols=len(self.client_headers())
        )
        col = len(self.client_headers())
        self.risk_colours(sheet, col, first, last)
        sheet.finish(wrap={col + 1: 70})

    def clv(self, name: str) -> None:
        sheet = Sheet(self.book, name, self.styles)
        st = self.styles
        horizon = self.horizon()
        sheet.title(
            _("Customer lifetime value ranking"),
            _(
                "Discounted value of the purchases the model expects over the next %(horizon)s "
                "(annual discount rate %(rate)s)."
            )
            % {"horizon": horizon, "rate": f"{self.config.annual_discount_rate:.0%}"},
        )
        ranked = sorted(
            (r for r in self.rows if not _is_missing(r.get(s.CLV))),
            key=lambda r: (-r[s.CLV], str(r[s.CLIENT])),
        )
        if not ranked:
            sheet.line(
                _("No lifetime value: the models could not be fitted (%(error)s).")
                % {"error": self.result.model_error or "—"},
                fmt=st.note,
            )
            sheet.finish()
            return
        total = sum(max(r[s.CLV], 0.0) for r in ranked) or 1.0
        cumulative = 0.0
        rows = []
        for i, r in enumerate(ranked, start=1):
            cumulative += max(r[s.CLV], 0.0)
            rows.append(
                [
                    i,
                    *self.client_cells(r),
                    r[s.CLV],
                    cumulative / total,
                    r.get(s.EXPECTED_PURCHASES),
                    r.get(s.EXPECTED_SPEND),
                    r.get(s.P_ALIVE),
                    r[s.ABC],
                    None if r[s.XYZ] is None else xyz_label(r[s.XYZ]),
                    risk_label(r[s.RISK]),
                ]
            )
        headers = [
            _("Rank"),
            *self.client_headers(),
            _("CLV"),
            _("Cumulative share of CLV"),
            _("Expected purchases"),
            _("Expected spend per purchase"),
            _("Probability alive"),
            _("ABC"),
            _("XYZ"),
            _("Risk"),
        ]
        formats = [
            st.integer,
            *self.client_formats(),
            st.money,
            st.percent,
            st.number,
            st.money,
            st.percent0,
            st.text,
            st.text,
            st.text,
        ]
        first, last = sheet.table(
            headers,
            rows,
            formats,
            filter_and_freeze=True,
            freeze_cols=1 + len(self.client_headers()),
        )
        self.risk_colours(sheet, len(headers) - 1, first, last)
        sheet.finish()

    def scoring(self, name: str) -> None:
        sheet = Sheet(self.book, name, self.styles)
        st = self.styles
        sheet.title(
            _("Key-client scoring"),
            _(
                "Score 0–100: each criterion is scaled 0–1 across clients and weighted; the "
                "columns on the right show what each criterion contributed."
            ),
        )
        criteria = [
            c[len(s.CONTRIBUTION_PREFIX) :]
            for c in self.result.clients.columns
            if c.startswith(s.CONTRIBUTION_PREFIX)
        ]
        weights = {**DEFAULT_WEIGHTS, **self.config.scoring_weights}
        used = sum(weights.get(c, 0.0) for c in criteria) or 1.0
        scored = sorted(
            (r for r in self.rows if r[s.SCORE_RANK] is not None), key=lambda r: r[s.SCORE_RANK]
        )
        headers = [
            _("Rank"),
            *self.client_headers(),
            _("Score"),
            _("Suggested type"),
            *[
                _("%(criterion)s (max %(max)s)")
                % {
                    "criterion": CRITERION_LABELS.get(c, c),
                    "max": plain_number(100 * weights.get(c, 0.0) / used),
                }
                for c in criteria
            ],
        ]
        rows = [
            [
                r[s.SCORE_RANK],
                *self.client_cells(r),
                r[s.SCORE],
                type_label(r[s.SUGGESTED_TYPE]),
                *[r[s.CONTRIBUTION_PREFIX + c] for c in criteria],
            ]
            for r in scored
        ]
        formats = [
            st.integer,
            *self.client_formats(),
            st.number,
            st.text,
            *[st.number] * len(criteria),
        ]
        first, last = sheet.table(
            headers,
            rows,
            formats,
            filter_and_freeze=True,
            freeze_cols=1 + len(self.client_headers()),
        )
        score_col = 1 + len(self.client_headers())
        sheet.ws.conditional_format(
            first, score_col, last, score_col, {"type": "data_bar", "bar_color": "#A9D08E"}
        )
        sheet.finish(maximum=22)

    def backtest(self, name: str) -> None:
        sheet = Sheet(self.book, name, self.styles)
        st = self.styles
        bt = self.result.backtest
        sheet.title(
            _("Backtest"),
            _(
                "The models were fitted on the data up to the as-of date and asked to predict "
                "the period after it; here is what they predicted and what happened."
            ),
        )
        if bt is None:
            sheet.line(
                _(
                    "No backtest: the history is too short to hold out the last months "
                    "(--backtest-months), and the file has no transactions after the as-of date."
                ),
                fmt=st.note,
            )
            sheet.finish()
            return
        words = fitwords.backtest(
            {
                **bt.summary,
                "as_of": bt.as_of.isoformat() if bt.as_of else None,
                "holdout_end": bt.holdout_end.isoformat() if bt.holdout_end else None,
                "rating": bt.rating or {},
            }
        )
        if words is not None:
            for text in (words.summary, words.rating):
                if text:
                    sheet.line(text, fmt=st.note)
        labels = {
            "n_clients": (_("Clients compared"), st.integer),
            "new_clients_in_holdout": (_("New clients in the holdout (not predicted)"), st.integer),
            "holdout_periods": (_("Holdout length, time units"), st.number),
            "purchases_predicted": (_("Purchases predicted"), st.number),
            "purchases_actual": (_("Purchases actual"), st.number),
            "purchases_ratio": (_("Predicted / actual purchases"), st.percent),
            "purchases_correlation": (_("Correlation per client, purchases"), st.number),
            "purchases_mae": (_("Mean absolute error per client, purchases"), st.number),
            "purchases_rmse": (_("Root mean square error per client, purchases"), st.number),
            "amount_predicted": (_("Amount predicted"), st.money),
            "amount_actual": (_("Amount actual"), st.money),
            "amount_ratio": (_("Predicted / actual amount"), st.percent),
            "amount_correlation": (_("Correlation per client, amount"), st.number),
            "amount_mae": (_("Mean absolute error per client, amount"), st.money),
            "amount_rmse": (_("Root mean square error per client, amount"), st.money),
        }
        for key, value in bt.summary.items():
            label, fmt = labels.get(key, (key, st.number))
            sheet.line((label, st.label), (value, fmt))
        sheet.row += 1
        frame = bt.clients.with_columns(pl.col(s.CLIENT).cast(pl.String))
        has_amount = s.PREDICTED_AMOUNT in frame.columns
        headers = [
            *self.client_headers(),
            _("Purchases predicted"),
            _("Purchases actual"),
            _("Difference"),
        ]
        formats = [*self.client_formats(), st.number, st.number, st.number]
        if has_amount:
            headers += [_("Amount predicted"), _("Amount actual"), _("Difference")]
            formats += [st.money, st.money, st.money]
        rows = []
        for r in frame.sort(s.EXPECTED_PURCHASES, descending=True).iter_rows(named=True):
            row = [
                *self.client_cells(r),
                r[s.EXPECTED_PURCHASES],
                r[s.ACTUAL_PURCHASES],
                r[s.ACTUAL_PURCHASES] - r[s.EXPECTED_PURCHASES],
            ]
            if has_amount:
                predicted = r[s.PREDICTED_AMOUNT]
                diff = None if _is_missing(predicted) else r[s.ACTUAL_AMOUNT] - predicted
                row += [predicted, r[s.ACTUAL_AMOUNT], diff]
            rows.append(row)
        sheet.table(
            headers, rows, formats, filter_and_freeze=True, freeze_cols=len(self.client_headers())
        )
        sheet.finish(maximum=45)
        sheet.ws.set_column(0, 0, 45)

    def parameters(self, name: str) -> None:
        sheet = Sheet(self.book, name, self.styles)
        st, config, result = self.styles, self.config, self.result
        sheet.title(_("Parameters of this analysis"))
        sheet.table(
            [_("Parameter"), _("Value"), _("Meaning")],
            [
                [f.name, _setting(getattr(config, f.name)), str(PARAMETER_HELP.get(f.name, ""))]
                for f in dataclasses.fields(config)
            ],
            [st.label, st.text, st.wrap],
        )
        sheet.ws.write_string(sheet.row, 0, _("Models"), st.subtitle)
        sheet.row += 1
        model_rows: list[list[Any]] = []
        if result.bgnbd is not None:
            bg = result.bgnbd
            model_rows += [
                ["BG/NBD r", bg.r, _("Shape of the purchase-rate distribution")],
                ["BG/NBD alpha", bg.alpha, _("Rate (scale) of the purchase-rate distribution")],
                ["BG/NBD a", bg.a, _("Dropout probability distribution, a")],
                ["BG/NBD b", bg.b, _("Dropout probability distribution, b")],
                ["BG/NBD log-likelihood", bg.log_likelihood, ""],
                ["BG/NBD n", bg.n_clients, _("Clients the model was fitted on")],
                [
                    _("BG/NBD converged"),
                    _("yes") if bg.converged else _("no"),
                    _("%(n)d iterations") % {"n": bg.iterations},
                ],
            ]
        if result.gamma_gamma is not None:
            gg = result.gamma_gamma
            model_rows += [
                ["Gamma-Gamma p", gg.p, _("Shape of the spend per purchase")],
                ["Gamma-Gamma q", gg.q, _("Shape of the spend-rate distribution")],
                ["Gamma-Gamma gamma", gg.gamma, _("Rate (scale) of the spend-rate distribution")],
                ["Gamma-Gamma log-likelihood", gg.log_likelihood, ""],
                ["Gamma-Gamma n", gg.n_clients, _("Repeat buyers the model was fitted on")],
                [_("Gamma-Gamma converged"), _("yes") if gg.converged else _("no"), ""],
            ]
        if result.model_error:
            model_rows.append([_("Model error"), result.model_error, ""])
        sheet.table(
            [_("Model parameter"), _("Value"), _("Meaning")],
            model_rows,
            [st.label, st.general, st.wrap],
        )
        sheet.ws.write_string(sheet.row, 0, _("Input files"), st.subtitle)
        sheet.row += 1
        files = [
            [
                _("Transactions"),
                neutralise(str(self.inputs.transactions.path)),
                self.inputs.transactions.rows,
            ]
        ]
        if self.inputs.clients is not None:
            files.append(
                [_("Clients"), neutralise(str(self.inputs.clients.path)), self.inputs.clients.rows]
            )
        sheet.table([_("File"), _("Path"), _("Rows")], files, [st.label, st.text, st.integer])
        sheet.ws.write_string(sheet.row, 0, _("Timings"), st.subtitle)
        sheet.row += 1
        timings = [[step, seconds] for step, seconds in self.inputs.timings.items()]
        sheet.table([_("Step"), _("Seconds")], timings, [st.label, st.number4])
        sheet.finish(maximum=50, wrap={2: 80})


def _share_axis(name: str) -> dict[str, Any]:
    """A 0–100 % axis of the Pareto chart."""
    return {
        "name": name,
        "min": 0,
        "max": 1,
        "major_unit": 0.1,
        "num_format": "0%",
        "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}},
    }


def _fit_state(converged: bool) -> str:
    return _("fitted") if converged else _("fitted (optimiser did not fully converge)")


def _date(value: dt.date) -> str:
    return value.strftime("%d.%m.%Y") if russian() else value.isoformat()


def _setting(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.date):
        return _date(value)
    if isinstance(value, tuple):
        return ", ".join(_setting(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "—"
    return str(value)
