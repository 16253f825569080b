"""Qualification and key-decision pages. Thin: reads go through the access rule, writes call a
service; a refused POST shows the form again with its errors (400)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kam.clients.views import editable_client, form_page, visible_client
from kam.core.forms import run_service
from kam.insights.models import ClientAnalytics

from . import services
from .forms import KeyDecisionForm, QualificationForm, TypeForm
from .services import QUALIFICATION_FIELDS


def deciding_client(request, pk: int):
    client = visible_client(request, pk)
    if not services.can_decide(request.user, client):
        raise PermissionDenied
    return client


def _back(client):
    return f"{client.get_absolute_url()}#qualification-card"


@login_required
@require_http_methods(["GET", "POST"])
def qualification_edit(request, pk: int):
    client = editable_client(request, pk)
    form = QualificationForm(request.POST or None, instance=services.qualification_for(client))
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in QUALIFICATION_FIELDS}
        reason = form.cleaned_data["change_reason"]
        call = lambda: services.qualification_save(  # noqa: E731
            by=request.user, client=client, reason=reason, **fields
        )
        if run_service(form, call):
            messages.success(request, _("Qualification saved."))
            return redirect(_back(client))
    return form_page(
        request,
        form,
        title=_("Three-P qualification"),
        cancel_url=_back(client),
        client=client,
    )


@login_required
@require_http_methods(["GET", "POST"])
def key_decide(request, pk: int):
    client = deciding_client(request, pk)
    initial = {"is_key": "0" if client.is_key else "1"}
    form = KeyDecisionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        decision = run_service(
            form,
            lambda: services.decide_key(
                by=request.user,
                client=client,
                is_key=form.cleaned_data["is_key"],
                reason=form.cleaned_data["reason"],
            ),
        )
        if decision:
            messages.success(
                request,
                _("Marked as a key client.") if decision.is_key else _("Removed from key clients."),
            )
            return redirect(_back(client))
    return form_page(
        request,
        form,
        title=_("Key client decision"),
        cancel_url=_back(client),
        client=client,
        submit=_("Record the decision"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def type_confirm(request, pk: int):
    client = deciding_client(request, pk)
    analytics = ClientAnalytics.objects.filter(client=client).first()
    suggested = analytics.suggested_type if analytics else ""
    form = TypeForm(request.POST or None, initial={"client_type": suggested or client.client_type})
    if request.method == "POST" and form.is_valid():
        updated = run_service(
            form,
            lambda: services.confirm_type(
                by=request.user,
                client=client,
                client_type=form.cleaned_data["client_type"],
                reason=form.cleaned_data["reason"],
            ),
        )
        if updated:
            messages.success(request, _("Client type saved."))
            return redirect(_back(client))
    return form_page(
        request,
        form,
        title=_("Confirm the client type"),
        cancel_url=_back(client),
        client=client,
    )
