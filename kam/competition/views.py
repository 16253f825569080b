"""The client's Competitive position tab (R17) and its editing pages. Reads start from the access
rule; writes call :mod:`.services`."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kam.clients.views import client_page, editable_client, owned_record, visible_client
from kam.core.access import can_manage_company_data
from kam.core.exports import Sheet, Table, exporter
from kam.core.forms import apply_service_errors, form_status

from . import selectors, services
from .forms import (
    AssessmentForm,
    CriterionFormSet,
    NewAssessmentForm,
    OverviewFilterForm,
    RowFormSet,
    SpendFormSet,
)
from .models import Assessment, Criterion, SpendHolder, criterion_label


def _page(request, client, assessment, items, **extra):
    shown = selectors.show(assessment) if assessment else None
    previous = selectors.previous_final(items, assessment) if assessment else None
    changes = shown.changes_from(selectors.show(previous) if previous else None) if shown else None
    return client_page(
        request,
        client,
        "competition",
        "competition/tab.html",
        shown=shown,
        changes=changes,
        chart=shown.chart(_("Us")) if shown else None,
        assessments=[(a, selectors.show(a)) for a in items],
        spend=selectors.spend(client),
        min_criteria=services.MIN_CRITERIA,
        **extra,
    )


@login_required
def overview(request):
    """Every key client the reader may see with its latest final assessment: our weighted total
    against the best competitor's, most behind first, and where to act first at each."""
    form = OverviewFilterForm(request.GET or None)
    rows = selectors.key_clients(request.user, **form.filters())
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "competition/overview.html",
        {
            "form": form,
            "page": page,
            "positions": selectors.positions(page),
            "counts": selectors.key_client_counts(selectors.key_clients(request.user)),
            "stale_days": selectors.STALE_DAYS,
            "query": query.urlencode(),
            "nav": "keyclients",
        },
    )


@login_required
def tab(request, pk: int):
    client = visible_client(request, pk)
    items = selectors.assessments(client)
    return _page(request, client, items[0] if items else None, items)


@login_required
def assessment(request, pk: int):
    found = get_object_or_404(Assessment.objects.visible_to(request.user), pk=pk)
    client = visible_client(request, found.client_id)
    items = selectors.assessments(client)
    current = next(a for a in items if a.pk == found.pk)
    return _page(request, client, current, items, single=True)


def _form_page(request, template, status=200, **context):
    return render(request, template, {"nav": "clients", **context}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def create(request, pk: int):
    client = editable_client(request, pk)
    latest = client.assessments.first()
    present = services.competitors_at(client)
    form = NewAssessmentForm(
        request.POST or None,
        competitors=present,
        latest=latest,
        initial={
            "assessed_on": timezone.localdate(),
            "competitors": list(present),
            "start": "latest" if latest else "defaults",
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = services.assessment_create(
                by=request.user,
                client=client,
                assessed_on=data["assessed_on"],
                competitors=data["competitors"],
                start_from=latest if data["start"] == "latest" else None,
                note=data["note"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request, _("Assessment started as a draft: score it as the client sees us.")
            )
            return redirect("competition:edit", pk=made.pk)
    return _form_page(
        request,
        "competition/new.html",
        status=form_status(form),
        form=form,
        client=client,
        cancel_url=reverse("competition:tab", args=[client.pk]),
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, pk: int):
    found = owned_record(request, Assessment, pk)
    if found.is_final:
        messages.info(
            request, _("This assessment is final and kept as it was; start a new one from it.")
        )
        return redirect(found)
    client = found.client
    compared = list(found.competitors.order_by("name"))
    header = AssessmentForm(
        request.POST or None,
        competitors=services.competitors_at(client, found.competitors.values_list("pk", flat=True)),
        initial={
            "assessed_on": found.assessed_on,
            "competitors": compared,
            "note": found.note,
            "version": found.version,
        },
    )
    initial = [
        {
            "key": r.get("key", ""),
            "name": criterion_label(r.get("key", ""), r.get("name", "")),
            "stored_name": r.get("name", ""),
            "weight": r.get("weight"),
            "source": r.get("source"),
            "us": r.get("us") or "",
            **{f"c{c.pk}": (r.get("them") or {}).get(str(c.pk)) or "" for c in compared},
        }
        for r in found.grid
    ]
    rows = RowFormSet(
        request.POST or None,
        initial=initial,
        prefix="row",
        form_kwargs={"competitors": compared},
    )
    errors = []
    if request.method == "POST" and header.is_valid() and rows.is_valid():
        data = header.cleaned_data
        final = request.POST.get("action") == "final"
        try:
            services.assessment_save(
                by=request.user,
                assessment=found,
                version=data["version"],
                rows=[
                    r for r in (f.as_row() for f in rows.forms if f.has_changed() or f.initial) if r
                ],
                competitors=data["competitors"],
                assessed_on=data["assessed_on"],
                note=data["note"],
                final=final,
            )
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(
                request,
                _("Assessment marked final.") if final else _("Draft saved."),
            )
            return redirect(found if final else reverse("competition:edit", args=[found.pk]))
    bound_bad = request.method == "POST" and (errors or header.errors or not rows.is_valid())
    return _form_page(
        request,
        "competition/edit.html",
        status=400 if bound_bad else 200,
        header=header,
        rows=rows,
        compared=compared,
        errors=errors,
        assessment=found,
        client=client,
        min_criteria=services.MIN_CRITERIA,
    )


@login_required
@require_POST
def delete(request, pk: int):
    found = owned_record(request, Assessment, pk)
    try:
        services.assessment_delete(by=request.user, assessment=found)
    except PermissionDenied as denied:
        messages.error(request, str(denied))
        return redirect(found)
    messages.success(request, _("Assessment of %(date)s deleted.") % {"date": found.assessed_on})
    return redirect("competition:tab", pk=found.client_id)


@login_required
@require_http_methods(["GET", "POST"])
def spend_edit(request, pk: int):
    client = editable_client(request, pk)
    stored = list(client.spend_holders.all())
    present = list(
        services.competitors_at(client, [h.competitor_id for h in stored if h.competitor_id])
    )
    initial = [
        {
            "category": h.category,
            "holder": h.holder,
            "competitor": h.competitor_id,
            "share": h.share,
            "note": h.note,
        }
        for h in stored
    ]
    formset = SpendFormSet(
        request.POST or None, initial=initial, prefix="spend", form_kwargs={"competitors": present}
    )
    errors = []
    if request.method == "POST" and formset.is_valid():
        rows = [
            f.cleaned_data
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        try:
            services.spend_save(
                by=request.user, client=client, rows=rows, stamp=request.POST.get("stamp") or None
            )
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(request, _("Holders of the client's spend saved."))
            return redirect(reverse("competition:tab", args=[client.pk]) + "#spend-card")
    return _form_page(
        request,
        "competition/spend.html",
        status=400 if request.method == "POST" else 200,
        formset=formset,
        errors=errors,
        client=client,
        stamp=request.POST.get("stamp") or services.spend_stamp(client),
        categories=selectors.categories(stored),
    )


@login_required
@require_http_methods(["GET", "POST"])
def criteria(request):
    """The company's default criteria: everyone reads them, the director edits them."""
    editable = can_manage_company_data(request.user)
    if request.method == "POST" and not editable:
        raise PermissionDenied
    initial = [
        {"id": c.pk, "key": c.code, "name": c.label, "weight": c.weight, "is_active": c.is_active}
        for c in Criterion.objects.company()
    ]
    formset = CriterionFormSet(request.POST or None, initial=initial, prefix="criterion")
    errors = []
    if request.method == "POST" and formset.is_valid():
        rows = [
            f.cleaned_data
            for f in formset.forms
            if f.cleaned_data
            and not f.cleaned_data.get("DELETE")
            and (f.cleaned_data.get("id") or f.cleaned_data.get("name"))
        ]
        try:
            services.criteria_save(
                by=request.user, rows=rows, stamp=request.POST.get("stamp") or None
            )
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(request, _("The company's criteria saved."))
            return redirect("competition:criteria")
    return _form_page(
        request,
        "competition/criteria.html",
        status=400 if request.method == "POST" else 200,
        formset=formset,
        errors=errors,
        editable=editable,
        stamp=request.POST.get("stamp") or services.criteria_stamp(),
        min_criteria=services.MIN_CRITERIA,
        nav="keyclients",
    )


@exporter
def export(asked) -> Table:
    """Every assessment of the clients the reader may see, one row per criterion and supplier
    (long format, for pivot tables), and the holders of spend by category."""
    found = (
        Assessment.objects.visible_to(asked.user)
        .select_related("client", "client__owner")
        .prefetch_related("competitors")
        .order_by("client__name", "client_id", "-assessed_on", "-pk")
    )
    header = [
        _("Client"),
        _("ERP code"),
        _("Owner KAM"),
        _("Assessed on"),
        _("Status"),
        _("Criterion"),
        _("Weight"),
        _("Share of the weight, %"),
        _("Where the weight comes from"),
        _("Supplier"),
        _("Score (1–5)"),
        _("Weighted total of the supplier"),
    ]

    def rows():
        for a in found.iterator(chunk_size=500):
            shown = selectors.show(a)
            totals = shown.analysis.totals
            for standing, row in zip(shown.analysis.standings, shown.rows, strict=True):
                suppliers = [(_("Us"), standing.row.us, totals["us"])] + [
                    (c.name, standing.row.them.get(c.pk), totals[c.pk]) for c in shown.competitors
                ]
                for name, score, total in suppliers:
                    yield [
                        a.client.name,
                        a.client.erp_code,
                        str(a.client.owner),
                        a.assessed_on,
                        a.get_status_display(),
                        row["label"],
                        standing.row.weight,
                        round(row["share"], 2),
                        row["source"],
                        name,
                        score,
                        None if total is None else round(total, 2),
                    ]

    holders = (
        SpendHolder.objects.visible_to(asked.user)
        .select_related("client", "competitor")
        .order_by("client__name", "client_id", "category", "pk")
    )
    spend_header = [
        _("Client"),
        _("ERP code"),
        _("Product category"),
        _("Held by"),
        _("Competitor"),
        _("Share, %"),
        _("Note"),
    ]
    spend_rows = (
        [
            h.client.name,
            h.client.erp_code,
            h.category,
            h.get_holder_display(),
            h.competitor.name if h.competitor_id else "",
            h.share,
            h.note,
        ]
        for h in holders.iterator(chunk_size=2000)
    )
    return Table(
        "competitive-analysis",
        [
            Sheet(_("Assessments"), header, rows()),
            Sheet(_("Holders of spend"), spend_header, spend_rows),
        ],
        # About 11 criteria × 3 suppliers per assessment: decides inline or worker, and progress.
        rows=found.count() * 33 + holders.count(),
    )
