"""API: the analytics snapshot, read under the access rule; the latest run as the Analytics page
shows it to the caller (kam.insights.figures)."""

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Query, Router
from ninja.pagination import paginate

from kam.core.api import ERRORS, READ_ERRORS, Pagination
from kam.core.ids import Id

from .figures import run_figures
from .models import AnalyticsRun, ClientAnalytics
from .schemas import ClientAnalyticsFilter, ClientAnalyticsOut, RunOut

router = Router()


def _snapshots(user) -> QuerySet:
    return ClientAnalytics.objects.visible_to(user).select_related("client")


@router.get(
    "/analytics/clients",
    response={200: list[ClientAnalyticsOut], 401: ERRORS[401], 422: ERRORS[422]},
    url_name="analytics_client_list",
    summary="List client analytics",
    tags=["analytics"],
)
@paginate(Pagination)
def analytics_client_list(request, filters: Query[ClientAnalyticsFilter]):
    """The latest analytics of the clients you may see, most valuable first. Classes are computed
    over the whole company."""
    return filters.filter(_snapshots(request.auth)).order_by("-value", "client_id")


@router.get(
    "/analytics/clients/{client_id}",
    response={200: ClientAnalyticsOut, **READ_ERRORS},
    url_name="analytics_client_detail",
    summary="Read a client's analytics",
    tags=["analytics"],
)
def analytics_client_detail(request, client_id: Id):
    """404 when you may not see the client, or when its analytics are not computed yet."""
    return get_object_or_404(_snapshots(request.auth), client_id=client_id)


@router.get(
    "/analytics/runs/latest",
    response={200: RunOut, **READ_ERRORS},
    url_name="analytics_run_latest",
    summary="The latest recompute",
    tags=["analytics"],
)
def analytics_run_latest(request):
    """The latest recompute. Directors get the company-wide matrix, Pareto curve, models,
    backtest and timings (``scope`` "company"); everyone else the matrix and curve of the clients
    they may see, without models, backtest or timings (``scope`` "yours") — as on the Analytics
    page. 404 before the first recompute."""
    run = AnalyticsRun.objects.first()
    if run is None:
        raise Http404
    return run_figures(request.auth, run)
