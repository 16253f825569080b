"""Client pages. Thin: every read starts from the access rule, every write calls a service."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kam.core.access import can_create_clients, can_edit_client
from kam.core.exports import Sheet, Table, dated, exporter
from kam.core.figures import Window, current_window, figure, with_sales_12m
from kam.core.forms import form_status, report_saved, run_service
from kam.insights.models import XYZ_CHOICES, ClientAnalytics, Risk

from . import selectors, services
from .completeness import completeness_for
from .forms import (
    ClientFilterForm,
    ClientForm,
    ContactForm,
    PresenceForm,
    TeamMemberForm,
    TenderForm,
)
from .groups import attach_groups, groups, iter_with_groups
from .models import (
    Client,
    ClientStatus,
    ClientType,
    CompetitorPresence,
    Contact,
    TeamMembership,
    Tender,
)

PAGE_SIZE = 25


def visible_client(request, pk: int) -> Client:
    # Not the parent: it may be a client the user does not see (clients/groups.py).
    return get_object_or_404(
        Client.objects.visible_to(request.user).select_related("owner", "assistant"), pk=pk
    )


def editable_client(request, pk: int) -> Client:
    client = visible_client(request, pk)
    if not can_edit_client(request.user, client):
        raise PermissionDenied
    return client


def split_reason(data: dict) -> dict:
    """Form data as service arguments: the optional change reason becomes ``reason``."""
    fields = dict(data)
    return fields | {"reason": fields.pop("change_reason", "")}


def form_page(request, form, *, title, cancel_url, client=None, submit=None):
    return render(
        request,
        "clients/form.html",
        {
            "form": form,
            "title": title,
            "cancel_url": cancel_url,
            "client": client,
            "submit": submit or _("Save"),
            "nav": "clients",
        },
        status=form_status(form),
    )


def record_form(request, form, *, client, save, tab, title, saved=None):
    """The dossier's add/edit pages: validate, ``save(cleaned_data)`` through a service (with the
    editor's base when the form edits a record), then back to the client's ``tab`` (a URL name
    taking the client's pk) — or the form with its errors or the edit-conflict panel."""
    back = reverse(tab, args=[client.pk])
    posted = request.method == "POST" and form.is_valid()
    if posted and run_service(form, lambda: save(dict(form.cleaned_data) | form.base_kwargs())):
        report_saved(request, form, saved or _("Changes saved."))
        return redirect(back)
    return form_page(request, form, title=title, client=client, cancel_url=back)


# --- list and export ---------------------------------------------------------------------------


def filtered_clients(request):
    """The filter form and the clients it selects, with "Sales, 12 months" in the current window."""
    window = current_window()
    clients = selectors.client_list_queryset(request.user, window)
    form = ClientFilterForm(request.GET or None, clients=clients)
    return form, form.apply(clients) if form.is_bound else clients.order_by("name", "pk"), window


@login_required
def client_list(request):
    form, clients, window = filtered_clients(request)
    page = Paginator(clients, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = attach_groups(request.user, list(page.object_list))
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = query.copy()
    sort_query.pop("sort", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "sort_query": sort_query.urlencode(),
        "sort": request.GET.get("sort", "name"),
        "can_create": can_create_clients(request.user),
        "window": window,
        "nav": "clients",
    }
    partial = request.headers.get("HX-Target") == "client-table"
    template = "clients/_list_table.html" if partial else "clients/list.html"
    return render(request, template, context)


def _analytics(c: Client, get):
    # The snapshot select_related joined, read from its cache: for a client without one the
    # attribute would raise (and getattr catch) RelatedObjectDoesNotExist on every cell.
    cache = c._state.fields_cache
    a = cache["analytics"] if "analytics" in cache else getattr(c, "analytics", None)
    return get(a) if a is not None else ""


def _labels(choices) -> dict:
    """Choice labels translated once per export, not once per cell (get_FOO_display hashes
    the lazy choices on every call: half the time of a 1,500-client export)."""
    return {value: str(label) for value, label in choices}


def export_columns(window: Window) -> list[tuple[str, Callable[[Client], object]]]:
    """The export's columns: first the list's, in the list's order (its Analytics column split
    into the classes it can be filtered by), then the dossier's details the list leaves out."""
    yes_no = {True: _("yes"), False: _("no")}
    status, client_type = _labels(ClientStatus.choices), _labels(ClientType.choices)
    xyz, risk = _labels(XYZ_CHOICES), _labels(Risk.choices)
    return [
        (_("ERP code"), lambda c: c.erp_code),
        (_("Name"), lambda c: c.name),
        (_("Status"), lambda c: status.get(c.status, c.status)),
        (_("Client type"), lambda c: client_type.get(c.client_type, "") if c.client_type else ""),
        (_("ABC"), lambda c: _analytics(c, lambda a: a.abc)),
        (_("XYZ"), lambda c: _analytics(c, lambda a: xyz.get(a.xyz, a.xyz) if a.xyz else "")),
        (_("RFM segment"), lambda c: _analytics(c, lambda a: a.segment_label)),
        (_("Risk"), lambda c: _analytics(c, lambda a: risk.get(a.risk, a.risk) if a.risk else "")),
        (_("Owner KAM"), lambda c: str(c.owner)),
        (_("Region"), lambda c: c.region),
        (figure("sales_12m").heading(window=window), lambda c: c.sales_12m),
        (_("Key client"), lambda c: yes_no[c.is_key]),
        (_("Legal name"), lambda c: c.legal_name),
        (_("INN"), lambda c: c.inn),
        (_("KPP"), lambda c: c.kpp),
        (_("Assistant"), lambda c: str(c.assistant or "")),
        (_("Industry"), lambda c: c.industry),
        (_("Employees"), lambda c: c.employees),
        (_("Annual revenue"), lambda c: c.annual_revenue),
        (
            _("Parent company"),
            lambda c: c.parent_name or (_("a company outside your clients") if c.parent_id else ""),
        ),
        (_("Companies in the group"), lambda c: c.group.size if c.group else None),
        (_("Of them yours"), lambda c: c.group.yours if c.group else None),
        (_("Website"), lambda c: c.website),
        (_("Industry leader"), lambda c: yes_no[c.is_industry_leader]),
        (_("Reference customer"), lambda c: yes_no[c.is_reference_customer]),
        (_("Demanding expert"), lambda c: yes_no[c.is_expert]),
        (_("Paid on time, %"), lambda c: c.payment_on_time_pct),
    ]


SEARCH_LIMIT = 20


@login_required
def client_search(request):
    """The clients whose name, legal name, ERP code or ИНН match ``q``, among those the reader
    may see: at most SEARCH_LIMIT, for a SearchSelect (kam.core.forms) to pick from.
    ``exclude`` leaves out one client (the one edited cannot be its own parent)."""
    q = request.GET.get("q", "").strip()
    found = Client.objects.none()
    if q:
        found = Client.objects.visible_to(request.user).matching(q)
        exclude = request.GET.get("exclude", "")
        if exclude.isdigit():
            found = found.exclude(pk=int(exclude))
        found = found.order_by("name", "pk").only("pk", "name", "erp_code")[:SEARCH_LIMIT]
    return render(
        request, "includes/search_results.html", {"found": found, "q": q, "limit": SEARCH_LIMIT}
    )


@exporter
def client_export(asked) -> Table:
    _form, clients, window = filtered_clients(asked)
    columns = export_columns(window)
    rows = ([get(c) for _title, get in columns] for c in iter_with_groups(asked.user, clients))
    sheet = Sheet(_("Clients"), [t for t, _g in columns], rows)
    return Table(dated("clients"), [sheet], rows=clients.count(), csv=True)


# --- the client page and its tabs -------------------------------------------------------------


def client_page(request, client, tab, template, **extra):
    counts = Client.objects.filter(pk=client.pk).aggregate(
        contacts=Count("contacts", filter=Q(contacts__has_left=False), distinct=True),
        competitors=Count("competitor_presence", distinct=True),
        tenders=Count("tenders", distinct=True),
    )
    return render(
        request,
        template,
        {
            "client": client,
            "tab": tab,
            "counts": counts,
            "nav": "clients",
            "can_edit": can_edit_client(request.user, client),
            **extra,
        },
    )


@login_required
def client_detail(request, pk: int):
    client = visible_client(request, pk)
    team = client.team.select_related("user")
    key_people = client.contacts.filter(has_left=False).order_by("-influence", "full_name")[:5]
    window = current_window()
    sales_12m = with_sales_12m(Client.objects.filter(pk=client.pk), window).get().sales_12m
    group = groups(request.user, [client.pk]).get(client.pk)
    visible = Client.objects.visible_to(request.user)
    subsidiaries = list(visible.filter(parent=client).order_by("name"))
    return client_page(
        request,
        client,
        "overview",
        "clients/detail.html",
        team=team,
        key_people=key_people,
        sales_12m=sales_12m,
        window=window,
        parent=visible.filter(pk=client.parent_id).first() if client.parent_id else None,
        subsidiaries=subsidiaries,
        other_subsidiaries=client.subsidiaries.count() - len(subsidiaries) if group else 0,
        group=group,
        analytics=ClientAnalytics.objects.filter(client=client).first(),
        completeness=completeness_for(Client.objects.filter(pk=client.pk))[client.pk],
    )


@login_required
def client_contacts(request, pk: int):
    client = visible_client(request, pk)
    show_left = request.GET.get("left") == "1"
    contacts = client.contacts.select_related("reports_to", "relationship_owner")
    if not show_left:
        contacts = contacts.filter(has_left=False)
    return client_page(
        request,
        client,
        "contacts",
        "clients/contacts.html",
        contacts=contacts,
        chart=selectors.org_chart(client, include_left=show_left),
        show_left=show_left,
    )


@login_required
def client_competitors(request, pk: int):
    client = visible_client(request, pk)
    presence = client.competitor_presence.select_related("competitor")
    return client_page(
        request, client, "competitors", "clients/competitors.html", presence=presence
    )


@login_required
def client_tenders(request, pk: int):
    client = visible_client(request, pk)
    tenders = client.tenders.prefetch_related("competitors")
    summary = tenders.aggregate(
        won=Count("pk", filter=Q(result="won")),
        lost=Count("pk", filter=Q(result="lost")),
        cancelled=Count("pk", filter=Q(result="cancelled")),
        pending=Count("pk", filter=Q(result="pending")),
    )
    return client_page(
        request, client, "tenders", "clients/tenders.html", tenders=tenders, summary=summary
    )


@login_required
def client_purchases(request, pk: int):
    client = visible_client(request, pk)
    months = selectors.monthly_purchases(client)
    lines = client.sales_lines.select_related("product").order_by("-date", "document_number")
    page = Paginator(lines, 25).get_page(request.GET.get("page"))
    chart = {
        "months": [m["month"].strftime("%Y-%m") for m in months],
        "amount": [float(m["amount"]) for m in months],
        "margin": [None if m["margin"] is None else float(m["margin"]) for m in months],
    }
    return client_page(
        request,
        client,
        "purchases",
        "clients/purchases.html",
        months=months,
        page=page,
        chart=chart,
        total=sum(m["amount"] for m in months),
    )


@login_required
def client_history(request, pk: int):
    client = visible_client(request, pk)
    return client_page(
        request,
        client,
        "history",
        "clients/history.html",
        events=selectors.change_history(client, request.user),
    )


# --- client create / edit ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def client_create(request):
    if not can_create_clients(request.user):
        raise PermissionDenied
    form = ClientForm(request.POST or None, by=request.user)
    if request.method == "POST" and form.is_valid():
        client = run_service(
            form, lambda: services.client_create(by=request.user, **split_reason(form.cleaned_data))
        )
        if client:
            messages.success(request, _("Client “%(name)s” created.") % {"name": client.name})
            return redirect(client)
    return form_page(request, form, title=_("New client"), cancel_url=reverse("clients:list"))


@login_required
@require_http_methods(["GET", "POST"])
def client_edit(request, pk: int):
    client = editable_client(request, pk)
    form = ClientForm(
        request.POST or None, instance=Client.objects.get(pk=client.pk), by=request.user
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            form,
            lambda: services.client_update(
                by=request.user, client=client, base=form.base, **split_reason(form.cleaned_data)
            ),
        )
    ):
        report_saved(request, form, _("Changes saved."))
        return redirect(client)
    return form_page(
        request, form, title=_("Edit client"), cancel_url=client.get_absolute_url(), client=client
    )


# --- dossier records: contacts, competitors, tenders, team -----------------------------------


def owned_record(request, model, pk: int, *, edit: bool = True):
    record = get_object_or_404(
        model.objects.visible_to(request.user).select_related("client"), pk=pk
    )
    if edit and not can_edit_client(request.user, record.client):
        raise PermissionDenied
    return record


@login_required
@require_http_methods(["GET", "POST"])
def contact_create(request, pk: int):
    client = editable_client(request, pk)
    return record_form(
        request,
        ContactForm(request.POST or None, client=client),
        client=client,
        save=lambda data: services.contact_create(by=request.user, client=client, **data),
        tab="clients:contacts",
        title=_("New contact"),
        saved=_("Contact added."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request, pk: int):
    contact = owned_record(request, Contact, pk)
    return record_form(
        request,
        ContactForm(request.POST or None, instance=contact, client=contact.client),
        client=contact.client,
        save=lambda data: services.contact_update(by=request.user, contact=contact, **data),
        tab="clients:contacts",
        title=_("Edit contact"),
    )


@login_required
@require_POST
def contact_delete(request, pk: int):
    contact = owned_record(request, Contact, pk)
    services.contact_delete(by=request.user, contact=contact)
    messages.success(request, _("Contact “%(name)s” deleted.") % {"name": contact.full_name})
    return redirect("clients:contacts", pk=contact.client_id)


def _presence_form_page(request, client, presence=None):
    def save(data):
        competitor = data.pop("competitor")
        data.pop("new_competitor", None)
        if competitor.pk is None:  # typed in as a new competitor
            competitor.full_clean()
            competitor.save()
        return services.presence_save(
            by=request.user, client=client, presence=presence, competitor=competitor, **data
        )

    return record_form(
        request,
        PresenceForm(request.POST or None, instance=presence, client=client),
        client=client,
        save=save,
        tab="clients:competitors",
        title=_("Edit competitor") if presence else _("Add a competitor"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def presence_create(request, pk: int):
    return _presence_form_page(request, editable_client(request, pk))


@login_required
@require_http_methods(["GET", "POST"])
def presence_edit(request, pk: int):
    presence = owned_record(request, CompetitorPresence, pk)
    return _presence_form_page(request, presence.client, presence)


@login_required
@require_POST
def presence_delete(request, pk: int):
    presence = owned_record(request, CompetitorPresence, pk)
    services.presence_delete(by=request.user, presence=presence)
    messages.success(request, _("Competitor removed from the client."))
    return redirect("clients:competitors", pk=presence.client_id)


def _tender_form_page(request, client, tender=None):
    def save(data):
        competitors = data.pop("competitors")
        return services.tender_save(
            by=request.user, client=client, tender=tender, competitors=competitors, **data
        )

    return record_form(
        request,
        TenderForm(request.POST or None, instance=tender),
        client=client,
        save=save,
        tab="clients:tenders",
        title=_("Edit tender") if tender else _("New tender"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def tender_create(request, pk: int):
    return _tender_form_page(request, editable_client(request, pk))


@login_required
@require_http_methods(["GET", "POST"])
def tender_edit(request, pk: int):
    tender = owned_record(request, Tender, pk)
    return _tender_form_page(request, tender.client, tender)


@login_required
@require_POST
def tender_delete(request, pk: int):
    tender = owned_record(request, Tender, pk)
    services.tender_delete(by=request.user, tender=tender)
    messages.success(request, _("Tender deleted."))
    return redirect("clients:tenders", pk=tender.client_id)


@login_required
@require_http_methods(["GET", "POST"])
def team_add(request, pk: int):
    client = editable_client(request, pk)
    return record_form(
        request,
        TeamMemberForm(request.POST or None, client=client),
        client=client,
        save=lambda data: services.team_member_add(by=request.user, client=client, **data),
        tab="clients:detail",
        title=_("Add a team member"),
        saved=_("Team member added."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def team_edit(request, pk: int):
    membership = owned_record(request, TeamMembership, pk)
    client = membership.client

    def save(data):
        data.pop("user", None)  # the person stays
        return services.team_member_update(by=request.user, membership=membership, **data)

    return record_form(
        request,
        TeamMemberForm(request.POST or None, instance=membership, client=client),
        client=client,
        save=save,
        tab="clients:detail",
        title=_("Edit a team member"),
    )


@login_required
@require_POST
def team_remove(request, pk: int):
    membership = owned_record(request, TeamMembership, pk)
    services.team_member_remove(by=request.user, membership=membership)
    messages.success(request, _("Team member removed."))
    return redirect("clients:detail", pk=membership.client_id)
