"""The client's Potential tab (R2, R13). Reads start from the access rule; writes call services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kam.clients.views import (
    client_page,
    editable_client,
    owned_record,
    record_form,
    visible_client,
)
from kam.core.exports import Sheet, Table, exporter

from . import selectors, services
from .forms import PotentialForm, StrategyForm
from .models import ClientPotential


@login_required
def potential_tab(request, pk: int):
    client = visible_client(request, pk)
    rows = selectors.potential_rows(client)
    return client_page(
        request,
        client,
        "potential",
        "potential/tab.html",
        rows=rows,
        this_year=timezone.localdate().year,
        missing_years=selectors.missing_years(rows),
        strategy=selectors.strategy(client),
        whitespace=selectors.whitespace(client),
    )


def _year(request) -> int | None:
    """``?year=`` as a number; None when absent or not ASCII digits (``"²".isdigit()`` too)."""
    year = request.GET.get("year", "")
    return int(year) if year.isascii() and year.isdigit() else None


def _potential_form_page(request, client, potential=None):
    initial = {}
    if potential is None and (year := _year(request)) is not None:
        initial["year"] = year

    def save(data):
        year = data.pop("year")
        return services.potential_save(
            by=request.user, client=client, year=year, potential=potential, **data
        )

    return record_form(
        request,
        PotentialForm(request.POST or None, instance=potential, initial=initial),
        client=client,
        save=save,
        tab="potential:tab",
        title=_("Edit potential") if potential else _("Estimate potential"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def potential_create(request, pk: int):
    return _potential_form_page(request, editable_client(request, pk))


@login_required
@require_http_methods(["GET", "POST"])
def potential_edit(request, pk: int):
    potential = owned_record(request, ClientPotential, pk)
    return _potential_form_page(request, potential.client, potential)


@login_required
@require_POST
def potential_delete(request, pk: int):
    potential = owned_record(request, ClientPotential, pk)
    services.potential_delete(by=request.user, potential=potential)
    messages.success(request, _("Estimate for %(year)s deleted.") % {"year": potential.year})
    return redirect("potential:tab", pk=potential.client_id)


@login_required
@require_http_methods(["GET", "POST"])
def strategy_edit(request, pk: int):
    client = editable_client(request, pk)
    return record_form(
        request,
        StrategyForm(request.POST or None, instance=selectors.strategy(client)),
        client=client,
        save=lambda data: services.strategy_save(by=request.user, client=client, **data),
        tab="potential:tab",
        title=_("The client's strategy and needs"),
    )


@exporter
def potential_export(asked) -> Table:
    """Every potential estimate of the clients the reader may see (all years), with actual
    purchases, share of wallet and gap: the register the director reviews in Excel."""
    potentials = (
        ClientPotential.objects.visible_to(asked.user)
        .with_actual()
        .select_related("client", "client__owner")
        .order_by("client__name", "client_id", "year")
    )
    if (year := _year(asked)) is not None:
        potentials = potentials.filter(year=year)
    header = [
        _("Client"),
        _("ERP code"),
        _("Owner KAM"),
        _("Key client"),
        _("Year"),
        _("Total demand"),
        _("Basis of the estimate"),
        _("Driver"),
        _("Driver quantity"),
        _("Rate per driver unit"),
        _("Achievable share, %"),
        _("Potential revenue"),
        _("Actual purchases"),
        _("Share of wallet, %"),
        _("Gap"),
    ]
    rows = (
        [
            p.client.name,
            p.client.erp_code,
            str(p.client.owner),
            _("yes") if p.client.is_key else _("no"),
            p.year,
            p.total_demand,
            p.basis,
            p.driver,
            p.driver_quantity,
            p.rate,
            p.achievable_share,
            p.potential_revenue,
            p.actual,
            p.share_of_wallet,
            p.gap,
        ]
        for p in potentials.iterator(chunk_size=2000)
    )
    return Table("potentials", [Sheet(_("Potential"), header, rows)], rows=potentials.count())
