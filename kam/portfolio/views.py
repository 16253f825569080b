"""Portfolio pages (R27). Thin: reads start from the access rule, the write calls a service."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kam.clients.models import Client, ClientStatus
from kam.core.exports import ExportRefused, Sheet, Table, dated, exporter
from kam.core.forms import form_status, report_saved, run_service
from kam.core.ids import BadQueryId, query_id
from kam.core.models import Role, User

from . import services
from .forms import ReassignForm

PAGE_SIZE = 25


def _require_director(request) -> None:
    if not request.user.is_director:
        raise PermissionDenied


@login_required
def my_portfolio(request):
    """The key clients the reader works on: own, assisted KAMs', or on the team of."""
    clients = services.key_clients(request.user)
    # One page of rows; the totals are over them all, by aggregate queries.
    page = Paginator(clients, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portfolio/mine.html",
        {
            "rows": services.portfolio_rows(page.object_list, user=request.user),
            "totals": services.portfolio_totals(clients),
            "page": page,
            "show_owner": request.user.is_director or request.user.role != Role.KAM,
            "nav": "portfolio",
        },
    )


@login_required
def kam_portfolio(request, pk: int):
    """One KAM's portfolio: the director sees anyone's, a KAM only their own; others 404."""
    user = request.user
    if not (user.is_director or (user.role == Role.KAM and user.pk == pk)):
        raise Http404
    kam = get_object_or_404(User, pk=pk, role=Role.KAM)
    clients = services.key_clients(user, owner=kam)
    page = Paginator(clients, PAGE_SIZE).get_page(request.GET.get("page"))
    others = (
        Client.objects.visible_to(user)
        .filter(owner=kam, is_key=False)
        .select_related("analytics")
        .order_by("name", "pk")
    )
    # The first of the other clients; the client list (filtered to them) has them all.
    first_others = list(others[:PAGE_SIZE])
    key_accounts = clients.exclude(status=ClientStatus.LOST).count()
    status = services.load_status(key_accounts)
    return render(
        request,
        "portfolio/kam.html",
        {
            "kam": kam,
            "rows": services.portfolio_rows(page.object_list, user=user),
            "totals": services.portfolio_totals(clients),
            "page": page,
            "others": [services.PortfolioRow(c, services.analytics_of(c)) for c in first_others],
            "others_count": others.count() if len(first_others) == PAGE_SIZE else len(first_others),
            "key_accounts": key_accounts,
            "status": status,
            "status_label": services.LOAD_LABELS[status],
            "norm": services.key_account_norm(),
            "can_reassign": user.is_director,
            "show_owner": False,
            "nav": "portfolio",
        },
    )


@exporter
def export(asked) -> Table:
    """The rows of the portfolio as XLSX (``?format=csv`` for CSV); ``?owner=<KAM id>`` narrows
    them to one KAM's. An owner that is not an id is a 400 saying so, not a silent full export."""
    clients = services.key_clients(asked.user)
    try:
        owner = query_id(asked.GET, "owner")
    except BadQueryId as exc:
        raise ExportRefused(str(exc)) from None
    if owner is not None:
        clients = clients.filter(owner_id=owner)
    rows, totals = services.portfolio(clients)
    header = services.export_header(totals.year, totals.window)
    data = [services.export_row(row) for row in rows]
    sheet = Sheet(_("Portfolio"), header, data)
    return Table(dated("portfolio"), [sheet], rows=len(data), csv=True)


@login_required
def kam_load(request):
    """The director's overview of every active KAM's load against the norm."""
    _require_director(request)
    return render(
        request,
        "portfolio/load.html",
        {
            "loads": services.kam_loads(),
            "norm": services.key_account_norm(),
            "year": services.current_year(),
            "nav": "portfolio",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def reassign(request, pk: int):
    """Move a client to another KAM, with its assistant; the history records the reason."""
    _require_director(request)
    clients = Client.objects.visible_to(request.user).select_related("owner", "assistant")
    client = get_object_or_404(clients, pk=pk)
    form = ReassignForm(request.POST or None, client=client)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            form,
            lambda: services.reassign_client(
                by=request.user,
                client=client,
                new_owner=form.cleaned_data["owner"],
                reason=form.cleaned_data["reason"],
                base=form.base,
            ),
        )
    ):
        report_saved(
            request,
            form,
            _("%(client)s now belongs to %(kam)s.")
            % {"client": client.name, "kam": form.cleaned_data["owner"]},
        )
        return redirect(reverse("clients:history", args=[client.pk]))
    return render(
        request,
        "portfolio/reassign.html",
        {
            "form": form,
            "client": client,
            "nav": "portfolio",
            "cancel_url": client.get_absolute_url(),
        },
        status=form_status(form),
    )
