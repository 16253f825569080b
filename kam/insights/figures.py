"""The figures of the Analytics page and of ``/api/analytics/runs/latest``, by one rule.

Who may see the company-wide figures of a recompute is decided by
:func:`kam.core.access.can_see_company_analytics`; everyone else gets the same figures computed
over the clients they may see (R38). Nothing here names a client.
"""

from decimal import Decimal
from urllib.parse import urlencode

import polars as pl
from django.db.models import Count, Sum

from kam.analytics import schema as s
from kam.analytics.abc_xyz import ABC_CLASSES, XYZ_CLASSES
from kam.analytics.pareto import CLIENT_SHARE, VALUE_SHARE, pareto_curve, top_share
from kam.analytics.rfm import SEGMENT_GRID
from kam.core.access import can_see_company_analytics

from .labels import segment_label
from .models import AnalyticsRun, ClientAnalytics
from .services import pareto_points

COMPANY, YOURS = "company", "yours"


def visible_snapshots(user):
    return ClientAnalytics.objects.visible_to(user)


def matrix_cells(snapshots) -> tuple[list[dict], int, Decimal]:
    """Counts and value shares per ABC-XYZ cell, over the given (visible) snapshot rows."""
    rows = (
        snapshots.exclude(abc="")
        .values("abc", "xyz")
        .annotate(clients=Count("pk"), value=Sum("value"))
        .order_by()
    )
    found = {(r["abc"], r["xyz"]): r for r in rows}
    total_clients = int(sum(r["clients"] for r in found.values()))
    total_value = Decimal(sum((max(r["value"] or 0, 0) for r in found.values()), Decimal("0")))
    cells = []
    for abc in ABC_CLASSES:
        for xyz in XYZ_CLASSES:
            row = found.get((abc, xyz), {})
            value = row.get("value") or Decimal("0")
            cells.append(
                {
                    "abc": abc,
                    "xyz": xyz,
                    "clients": row.get("clients", 0),
                    "client_share": row.get("clients", 0) / total_clients if total_clients else 0.0,
                    "value_share": float(max(value, 0) / total_value) if total_value else 0.0,
                }
            )
    return cells, total_clients, total_value


def matrix_chart(cells: list[dict], clients_url: str) -> dict:
    """The ABC-XYZ heat map's data: each cell's colour ``heat`` is its share of the value over
    the largest cell's (0–1), so the cell holding most of the value is the darkest whatever its
    client count; ``url`` opens its clients. The "new" column (too little history to judge
    regularity) is left out when no client is in it."""
    has_new = any(c["xyz"] == "new" and c["clients"] for c in cells)
    shown = [c for c in cells if has_new or c["xyz"] != "new"]
    top = max((c["value_share"] for c in shown), default=0.0)
    return {
        "xyz_keys": [x for x in XYZ_CLASSES if has_new or x != "new"],
        "new_shown": has_new,
        "cells": [
            c
            | {
                "heat": c["value_share"] / top if top > 0 else 0.0,
                "url": f"{clients_url}?{urlencode({'abc': c['abc'], 'xyz': c['xyz']})}",
            }
            for c in shown
        ],
    }


def rfm_grid(snapshots, clients_url: str) -> list[dict]:
    """Clients per RFM cell; ``url`` opens the client list filtered by the cell's segment."""
    rows = (
        snapshots.exclude(r_score=None)
        .values("r_score", "f_score")
        .annotate(clients=Count("pk"))
        .order_by()
    )
    found = {(r["r_score"], r["f_score"]): r["clients"] for r in rows}
    in_segment: dict[str, int] = {}
    for (r, f), n in found.items():
        in_segment[SEGMENT_GRID[10 * r + f]] = in_segment.get(SEGMENT_GRID[10 * r + f], 0) + n
    return [
        {
            "r": r,
            "f": f,
            "clients": found.get((r, f), 0),
            "segment": segment_label(SEGMENT_GRID[10 * r + f]),
            # A segment spans several cells: the link opens all of its clients, counted here.
            "segment_clients": in_segment.get(SEGMENT_GRID[10 * r + f], 0),
            "url": f"{clients_url}?{urlencode({'rfm_segment': SEGMENT_GRID[10 * r + f]})}",
        }
        for r in range(1, 6)
        for f in range(1, 6)
    ]


def visible_pareto(user, run: AnalyticsRun | None, snapshots) -> tuple[list, float | None]:
    """The company curve of the run for those who may see it; for others the curve of their own
    clients, computed from their snapshot values (no names, only shares)."""
    if can_see_company_analytics(user) and run is not None:
        return run.pareto, run.top20_share
    values = pl.DataFrame(
        list(snapshots.values_list("client_id", "value")),
        schema={s.CLIENT: pl.Int64, s.VALUE: pl.Float64},
        orient="row",
    )
    if values.is_empty() or values[s.VALUE].clip(lower_bound=0.0).sum() <= 0:
        return [], None
    curve = pareto_curve(values)
    return pareto_points(curve[CLIENT_SHARE], curve[VALUE_SHARE]), top_share(values)


def run_figures(user, run: AnalyticsRun) -> dict:
    """A recompute as ``user`` may see it. Its status, dates and company-wide counts are shown to
    everyone on the page; the matrix, Pareto curve, models, backtest and timings are the
    company's for those who may see them (``scope`` "company"), else the matrix and curve of the
    user's own clients and no models (``scope`` "yours")."""
    figures = {
        name: getattr(run, name)
        for name in ("id", "status", "started_at", "finished_at", "as_of", "window_start")
        + ("window_end", "clients", "lines")
    }
    if can_see_company_analytics(user):
        return figures | {
            "scope": COMPANY,
            "matrix": run.matrix,
            "pareto": run.pareto,
            "top20_share": run.top20_share,
            "models": run.models_json,
            "backtest": run.backtest,
            "timings": run.timings,
        }
    snapshots = visible_snapshots(user)
    pareto, top20 = visible_pareto(user, run, snapshots)
    return figures | {
        "scope": YOURS,
        "matrix": matrix_cells(snapshots)[0],
        "pareto": pareto,
        "top20_share": top20,
        "models": None,
        "backtest": None,
        "timings": None,
    }
