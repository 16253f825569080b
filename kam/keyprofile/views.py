"""The prioritised key-client list (R3) and the director's profile editor (R1, R4)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kam.clients.models import Client
from kam.core.exports import xlsx_response
from kam.core.forms import run_service
from kam.core.models import Role

from . import services
from .forms import CriterionFormSet, NoteForm, initial_for
from .models import KeyProfile, Metric


def _require_reader(user) -> None:
    if not (user.is_director or user.role == Role.KAM):
        raise PermissionDenied


def _visible_rows(user, profile: KeyProfile):
    """Company-wide scores, then only the rows of clients the reader may see."""
    result = services.score(services.metrics_frame(), services.specs(profile))
    clients = Client.objects.visible_to(user).select_related("owner").in_bulk()
    rows = [(row, clients[row.client_id]) for row in result.rows if row.client_id in clients]
    return result, rows


def _labels(metrics) -> list[tuple[str, str]]:
    return [(m, str(Metric(m).label)) for m in metrics]


@login_required
def scored_list(request):
    _require_reader(request.user)
    profile = services.active_profile()
    result, rows = _visible_rows(request.user, profile)
    labels = dict(_labels(Metric.values))
    return render(
        request,
        "keyprofile/list.html",
        {
            "profile": profile,
            "criteria": profile.criteria.all(),
            "rows": [
                (
                    row,
                    client,
                    [row.contributions[m] for m in result.used],
                    [labels[m] for m in row.failures],
                )
                for row, client in rows
            ],
            "used": _labels(result.used),
            "dropped": _labels(result.dropped),
            "nav": "keyclients",
        },
    )


@login_required
def export(request):
    _require_reader(request.user)
    profile = services.active_profile()
    result, rows = _visible_rows(request.user, profile)
    labels = dict(_labels(Metric.values))
    header = [
        _("Rank"),
        _("Client"),
        _("ERP code"),
        _("Owner KAM"),
        _("Score"),
        *[_("Contribution: %(name)s") % {"name": labels[m]} for m in result.used],
        _("Thresholds failed"),
        _("Key candidate"),
        _("Key client"),
    ]
    body = [
        [
            row.rank,
            client.name,
            client.erp_code,
            str(client.owner),
            round(row.score, 2),
            *[round(row.contributions[m], 2) for m in result.used],
            ", ".join(labels[m] for m in row.failures),
            row.candidate,
            client.is_key,
        ]
        for row, client in rows
    ]
    return xlsx_response(f"key-clients-v{profile.version}.xlsx", _("Key clients"), header, body)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request):
    """Edit the profile: ``preview`` shows who enters and leaves the key list, ``save`` saves."""
    if not request.user.is_director:
        raise PermissionDenied
    active = services.active_profile()
    preview = None
    if request.method == "POST":
        formset = CriterionFormSet(request.POST, prefix="c")
        note = NoteForm(request.POST)
        if formset.is_valid() and note.is_valid():
            specs = [spec for form in formset.forms if (spec := form.spec()) is not None]
            if request.POST.get("action") == "save":
                profile = run_service(
                    note,
                    lambda: services.save_version(
                        by=request.user, criteria=specs, note=note.cleaned_data["note"]
                    ),
                )
                if profile is not None:
                    messages.success(
                        request,
                        _("Profile version %(version)s saved and active.")
                        % {"version": profile.version},
                    )
                    return redirect("keyprofile:list")
            elif any(spec.weight > 0 for spec in specs):
                preview = services.preview(specs)
            else:
                note.add_error(None, _("Give at least one criterion a weight above zero."))
    else:
        formset = CriterionFormSet(initial=initial_for(active), prefix="c")
        note = NoteForm()
    return render(
        request,
        "keyprofile/edit.html",
        {
            "active": active,
            "versions": KeyProfile.objects.select_related("created_by")[:20],
            "formset": formset,
            "note_form": note,
            "preview": preview,
            "nav": "keyclients",
        },
    )
