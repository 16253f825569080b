"""The Analytics page, its export and the director's "Recompute now".

Classes come from the company-wide snapshot; every count, list and curve here is limited to the
clients the user may see (R38). Nothing on the page names a client the user may not see.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from kam.analytics.abc_xyz import ABC_CLASSES
from kam.analytics.config import AnalysisConfig
from kam.clients.models import Client
from kam.core.access import can_see_company_analytics
from kam.core.exports import Sheet, Table, dated, exporter
from kam.core.figures import FIGURES
from kam.core.forms import form_status, report_saved, run_service

from . import fitwords
from .figures import matrix_cells, matrix_chart, rfm_grid, visible_pareto, visible_snapshots
from .forms import AnalyticsSettingsForm
from .models import AnalyticsRun, AnalyticsSettings, ClientAnalytics, Risk, RunStatus
from .services import analytics_settings_update
from .tasks import recompute_task

AT_RISK_LIMIT = 50


def _counted(n: int) -> str:
    # Russian needs the count's own plural form («8 клиентов», «2 клиента»): made here, not in JS.
    return ngettext("%(count)s client", "%(count)s clients", n) % {"count": n}


def _with_counts(cells: list[dict]) -> list[dict]:
    return [c | {"clients_text": _counted(c["clients"])} for c in cells]


@login_required
def overview(request):
    user = request.user
    latest = AnalyticsRun.objects.select_related("triggered_by").first()
    run = AnalyticsRun.objects.filter(status=RunStatus.SUCCEEDED).first()
    snapshots = visible_snapshots(user)
    company = can_see_company_analytics(user)
    cells, classified, total_value = matrix_cells(snapshots)
    clients_url = reverse("clients:list")
    matrix = matrix_chart(cells, clients_url)
    curve, top20 = visible_pareto(user, run, snapshots)
    at_risk = list(
        snapshots.filter(risk__in=[Risk.AT_RISK, Risk.LOST])
        .select_related("client")
        .order_by("-value", "client__name")[:AT_RISK_LIMIT]
    )
    at_risk_count = snapshots.filter(risk__in=[Risk.AT_RISK, Risk.LOST]).count()
    models = (run.models_json or {}) if run else {}
    chart = {
        "abc": list(ABC_CLASSES),
        "xyz": [x if x != "new" else _("new") for x in matrix["xyz_keys"]],
        **matrix,
        "cells": _with_counts(matrix["cells"]),
        "rfm": [
            c | {"segment_clients_text": _counted(c["segment_clients"])}
            for c in _with_counts(rfm_grid(snapshots, clients_url))
        ],
        "pareto": curve,
        "labels": {
            "value_share": _("share of value"),
            "client_share": _("Share of clients"),
            "cum_value": _("Cumulative share of value"),
            "recency": _("Recency score (5 = most recent)"),
            "frequency": _("Frequency score (5 = most frequent)"),
            "segment_clients": _("in the segment (all its cells); click to open them"),
        },
    }
    return render(
        request,
        "insights/overview.html",
        {
            "nav": "analytics",
            "latest": latest,
            "run": run,
            "chart": chart,
            "new_shown": matrix["new_shown"],
            "xyz_min_months": AnalysisConfig().xyz_min_months,
            "classified": classified,
            "total_value": total_value,
            "top20_percent": None if top20 is None else top20 * 100,
            "at_risk": at_risk,
            "at_risk_count": at_risk_count,
            "at_risk_limit": AT_RISK_LIMIT,
            "is_director": user.is_director,
            "company": company,
            "models_headline": fitwords.headline(models) if run else None,
            "model_words": [fitwords.purchase_model(models), fitwords.spend_model(models)]
            if run and company
            else [],
            "backtest": fitwords.backtest(run.backtest or {}) if run and company else None,
            "backtest_months": AnalyticsSettings.current().backtest_months
            if user.is_director
            else None,
        },
    )


@login_required
@require_POST
def recompute_now(request):
    if not request.user.is_director:
        raise PermissionDenied
    recompute_task.enqueue(request.user.pk)
    messages.success(request, _("Recompute started; the figures update when it finishes."))
    return redirect("insights:overview")


@login_required
@require_http_methods(["GET", "POST"])
def settings_edit(request):
    """The director's settings of the recompute (the backtest's held-out months)."""
    if not request.user.is_director:
        raise PermissionDenied
    form = AnalyticsSettingsForm(request.POST or None, instance=AnalyticsSettings.current())
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: analytics_settings_update(by=request.user, base=form.base, **form.cleaned_data),
        )
        if saved:
            report_saved(request, form, _("Settings saved; they apply from the next recompute."))
            return redirect(reverse("insights:overview") + "#models")
    return render(
        request,
        "insights/settings.html",
        {"form": form, "nav": "analytics", "title": _("Analytics settings")},
        status=form_status(form),
    )


EXPORT_FIELDS = (
    (gettext_lazy("ERP code"), lambda a: a.client.erp_code),
    (gettext_lazy("Name"), lambda a: a.client.name),
    (gettext_lazy("Owner KAM"), lambda a: str(a.client.owner)),
    (gettext_lazy("ABC"), lambda a: a.abc),
    (gettext_lazy("XYZ"), lambda a: a.get_xyz_display() if a.xyz else ""),
    (FIGURES["sales_12m"].label, lambda a: a.value),
    (FIGURES["sales_share"].label, lambda a: a.share),
    (gettext_lazy("Coefficient of variation"), lambda a: a.cv),
    (gettext_lazy("R"), lambda a: a.r_score),
    (gettext_lazy("F"), lambda a: a.f_score),
    (gettext_lazy("M"), lambda a: a.m_score),
    (gettext_lazy("RFM segment"), lambda a: a.segment_label),
    (gettext_lazy("Typical gap, days"), lambda a: a.typical_gap_days),
    (gettext_lazy("Silence, days"), lambda a: a.silence_days),
    (gettext_lazy("Probability alive"), lambda a: a.p_alive),
    (FIGURES["expected_purchases"].label, lambda a: a.expected_purchases),
    (gettext_lazy("Expected spend"), lambda a: a.expected_spend),
    (FIGURES["clv"].label, lambda a: a.clv),
    (gettext_lazy("Risk"), lambda a: a.get_risk_display() if a.risk else ""),
    (gettext_lazy("Reason"), lambda a: a.reason_display),
    (gettext_lazy("Score at the engine's default weights"), lambda a: a.score),
    (gettext_lazy("Rank at the engine's default weights"), lambda a: a.score_rank),
    (gettext_lazy("Suggested type"), lambda a: a.suggested_type_label),
    (gettext_lazy("As of"), lambda a: a.as_of),
)


@exporter
def export(asked) -> Table:
    snapshots = (
        visible_snapshots(asked.user)
        .select_related("client", "client__owner")
        .order_by("-value", "client__name")
    )
    rows = ([get(a) for _label, get in EXPORT_FIELDS] for a in snapshots.iterator(chunk_size=2000))
    sheets = [Sheet(_("Analytics"), [str(label) for label, _get in EXPORT_FIELDS], rows)]
    run = AnalyticsRun.objects.filter(status=RunStatus.SUCCEEDED).first()
    if run is not None and can_see_company_analytics(asked.user):
        header = [_("Model"), _("Parameter"), _("Value")]
        sheets.append(Sheet(_("Models"), header, model_parameter_rows(run)))
    return Table(dated("analytics"), sheets, rows=snapshots.count())


def model_parameter_rows(run: AnalyticsRun) -> list[list]:
    """The raw fitted parameters, their standard errors (of the log), the verdicts and the
    backtest figures, one per row: the page words them, the export keeps them."""
    models = run.models_json or {}
    checks = models.get("quality") or {}
    rows: list[list] = []
    for key, name in (("bgnbd", "BG/NBD"), ("gamma_gamma", "Gamma-Gamma")):
        check = checks.get(key) or {}
        rows.append([name, _("verdict"), check.get("verdict") or ""])
        rows.append([name, _("reasons"), ", ".join(check.get("reasons") or [])])
        rows.append([name, _("figures from"), check.get("source") or ""])
        for param, value in (models.get(key) or {}).items():
            rows.append([name, param, value])
        for param, se in (check.get("standard_errors") or {}).items():
            rows.append([name, f"SE ln {param}", se])
    if models.get("model_error"):
        rows.append(["", _("Problem"), models["model_error"]])
    for key, value in (run.backtest or {}).items():
        if key == "rating":
            value = ", ".join(f"{k}: {v}" for k, v in (value or {}).items())
        elif key == "deciles":
            continue
        rows.append([_("Backtest"), key, value])
    return rows


@login_required
def client_card(request, pk: int):
    """The client's analytics alone (the same card as on the client page)."""
    client = get_object_or_404(Client.objects.visible_to(request.user), pk=pk)
    analytics = ClientAnalytics.objects.filter(client=client).first()
    return render(
        request,
        "insights/_card.html",
        {"client": client, "analytics": analytics},
    )
