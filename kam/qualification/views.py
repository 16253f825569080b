"""Qualification and key-decision pages. Thin: reads go through the access rule, writes call a
service; a refused POST shows the form again with its errors (400)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kam.clients.views import editable_client, form_page, split_reason, visible_client
from kam.core.exports import Sheet, Table, exporter
from kam.core.forms import report_saved, run_service

from . import services
from .forms import DecisionFilterForm, KeyDecisionForm, QualificationForm, TypeForm
from .models import KeyDecision


def deciding_client(request, pk: int):
    client = visible_client(request, pk)
    if not services.can_decide(request.user, client):
        raise PermissionDenied
    return client


def _back(client):
    return f"{client.get_absolute_url()}#qualification-card"


def _card_form(request, client, form, *, save, saved, title, submit=None):
    """A form of the qualification card: validate, ``save(cleaned_data)`` through a service, say
    ``saved(result)`` and go back to the card — or show the form with its errors."""
    if request.method == "POST" and form.is_valid():
        result = run_service(form, lambda: save(form.cleaned_data | form.base_kwargs()))
        if result:
            report_saved(request, form, saved(result))
            return redirect(_back(client))
    return form_page(
        request, form, title=title, cancel_url=_back(client), client=client, submit=submit
    )


@login_required
@require_http_methods(["GET", "POST"])
def qualification_edit(request, pk: int):
    client = editable_client(request, pk)
    return _card_form(
        request,
        client,
        QualificationForm(request.POST or None, instance=services.qualification_for(client)),
        save=lambda data: services.qualification_save(
            by=request.user, client=client, **split_reason(data)
        ),
        saved=lambda _qualification: _("Qualification saved."),
        title=_("Three-P qualification"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def key_decide(request, pk: int):
    client = deciding_client(request, pk)
    return _card_form(
        request,
        client,
        KeyDecisionForm(
            request.POST or None,
            initial={"is_key": "0" if client.is_key else "1"},
            record=client,
        ),
        save=lambda data: services.decide_key(by=request.user, client=client, **data),
        saved=lambda decision: (
            _("Marked as a key client.") if decision.is_key else _("Removed from key clients.")
        ),
        title=_("Key client decision"),
        submit=_("Record the decision"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def type_confirm(request, pk: int):
    client = deciding_client(request, pk)
    initial = {"client_type": services.suggested_type(client) or client.client_type}
    return _card_form(
        request,
        client,
        TypeForm(request.POST or None, initial=initial, record=client),
        save=lambda data: services.confirm_type(by=request.user, client=client, **data),
        saved=lambda _client: _("Client type saved."),
        title=_("Confirm the client type"),
    )


def _decisions(request):
    """The decisions on the clients the reader may see, newest first, filtered as asked."""
    form = DecisionFilterForm(request.GET or None)
    decisions = (
        KeyDecision.objects.visible_to(request.user)
        .select_related("client", "client__owner", "decided_by")
        .order_by("-decided_at", "-pk")
    )
    return form, form.apply(decisions)


@login_required
def decision_log(request):
    """Every key / not-key decision with who, when, why and the score then (R3): reviewable."""
    form, decisions = _decisions(request)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "qualification/log.html",
        {
            "form": form,
            "page": Paginator(decisions, 50).get_page(request.GET.get("page")),
            "query": query.urlencode(),
            "nav": "keyclients",
        },
    )


@exporter
def decision_log_export(asked) -> Table:
    _form, decisions = _decisions(asked)
    header = [
        _("Decided at"),
        _("Client"),
        _("ERP code"),
        _("Owner KAM"),
        _("Decision"),
        _("Reason"),
        _("Decided by"),
        _("Score then"),
        _("Suggested type then"),
        _("Client status then"),
    ]
    rows = (
        [
            d.decided_at,
            d.client.name,
            d.client.erp_code,
            str(d.client.owner),
            _("Made key") if d.is_key else _("Removed from key"),
            d.reason,
            str(d.decided_by),
            _("not recorded") if d.score is None else round(d.score, 1),
            d.suggested_type_label
            or (_("not recorded") if d.score is None else _("none suggested")),
            d.get_client_status_display(),
        ]
        for d in decisions.iterator(chunk_size=2000)
    )
    sheet = Sheet(_("Key decisions"), header, rows)
    return Table("key-decisions", [sheet], rows=decisions.count())
