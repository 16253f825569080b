"""Portfolios and KAM load (R26, R27): reads for the pages, and the one reassignment write.

Reads start from the access rule; the load overview is company-wide and director-only (the views
check that). Reassignment goes through :func:`kam.clients.services.client_update`, so the client's
audit history records who moved it, when, from which KAM to which, and why.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import (
    Avg,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Max,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Round
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.clients import services as client_services
from kam.clients.completeness import Completeness, completeness_for
from kam.clients.models import MONEY, Client, ClientStatus
from kam.core.figures import Window, figure
from kam.core.locking import Base, IfMatch, check, lock
from kam.core.models import Role, User
from kam.insights.models import Risk
from kam.keyprofile.models import ClientScore
from kam.potential.models import ClientPotential
from kam.sales.models import SalesLine

UNDERLOADED, WITHIN_NORM, OVERLOADED = "underloaded", "within", "overloaded"
LOAD_LABELS = {
    UNDERLOADED: gettext_lazy("Underloaded"),
    WITHIN_NORM: gettext_lazy("Within norm"),
    OVERLOADED: gettext_lazy("Overloaded"),
}
#: Client statuses and analytics risks that count a client as "at risk or lost".
TROUBLED_STATUSES = (ClientStatus.AT_RISK, ClientStatus.LOST)
TROUBLED_RISKS = (Risk.AT_RISK, Risk.LOST)
CENT = Decimal("0.01")
HUNDRED = Decimal("100")


def current_year(today: dt.date | None = None) -> int:
    """The year whose potential the portfolio compares with actual purchases."""
    return (today or timezone.localdate()).year


def share_percent(actual: Decimal, demand: Decimal) -> Decimal | None:
    """Share of wallet in per cent, rounded to hundredths as ``ClientPotential`` does it; None
    without demand."""
    if not demand:
        return None
    return (actual * HUNDRED / demand).quantize(CENT, rounding=ROUND_HALF_UP)


def key_account_norm() -> tuple[int, int]:
    low, high = settings.KAM_KEY_ACCOUNT_NORM
    return int(low), int(high)


def load_status(key_accounts: int, norm: tuple[int, int] | None = None) -> str:
    low, high = norm or key_account_norm()
    if key_accounts < low:
        return UNDERLOADED
    if key_accounts > high:
        return OVERLOADED
    return WITHIN_NORM


# --- portfolio of key clients ------------------------------------------------------------------


def key_clients(user: User, *, owner: User | None = None):
    """The key clients ``user`` may see (optionally only those of ``owner``), analytics joined."""
    clients = Client.objects.visible_to(user).filter(is_key=True)
    if owner is not None:
        clients = clients.filter(owner=owner)
    return clients.select_related("analytics", "owner").order_by("name", "pk")


def analytics_of(client: Client):
    """The client's analytics snapshot, or None before the first recompute."""
    try:
        return client.analytics  # reverse one-to-one
    except Client.analytics.RelatedObjectDoesNotExist:
        return None


@dataclass(frozen=True)
class StatusChange:
    """When the client's current status was set, and by whom (None: by an import or the
    system), from the client's audit history."""

    when: dt.datetime
    by: User | None


def status_changes(clients) -> dict[int, StatusChange]:
    """For each client not simply active, when and by whom its current status was set (one
    query over their audit history; a client without history of that status is left out)."""
    current = {c.pk: c.status for c in clients if c.status != ClientStatus.ACTIVE}
    if not current:
        return {}
    history = (
        Client.audit.filter(id__in=current)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
    )
    found: dict[int, StatusChange] = {}
    previous: dict[int, str] = {}
    for record in history:
        if previous.get(record.id) != record.status:
            found[record.id] = StatusChange(record.history_date, record.history_user)
        previous[record.id] = record.status
    return {pk: change for pk, change in found.items() if previous[pk] == current[pk]}


@dataclass
class PortfolioRow:
    client: Client
    analytics: object | None
    completeness: Completeness | None = None
    #: This year's estimate with ``actual_amount`` annotated, or None when there is none.
    potential: ClientPotential | None = None
    #: Whether the reader may add or change the client's potential (the dossier's editors).
    can_edit: bool = False
    #: The year of ``potential``: the current one.
    year: int = field(default_factory=current_year)
    #: The client's row in the latest key-profile scoring (score, rank, movement), if scored.
    scored: ClientScore | None = None
    #: When and by whom the status (set by hand, unlike the analytics' risk) was set.
    status_change: StatusChange | None = None

    @property
    def risk_disagrees(self) -> bool:
        """The KAM's status and the model's risk tell different stories: one says at risk or
        lost, the other does not (the page then shows both side by side)."""
        risk = getattr(self.analytics, "risk", "")
        if not risk:
            return False
        return (self.client.status in TROUBLED_STATUSES) != (risk in TROUBLED_RISKS)

    @property
    def value(self) -> Decimal:
        return getattr(self.analytics, "value", None) or Decimal(0)

    @property
    def score(self) -> float | None:
        """The key-client profile's score (the prioritised list's), not the engine default."""
        return self.scored.score if self.scored else None

    @property
    def potential_revenue(self) -> Decimal | None:
        return self.potential.potential_revenue if self.potential else None

    @property
    def actual(self) -> Decimal | None:
        return self.potential.actual if self.potential else None

    @property
    def share_of_wallet(self) -> Decimal | None:
        return self.potential.share_of_wallet if self.potential else None

    @property
    def gap(self) -> Decimal | None:
        return self.potential.gap if self.potential else None

    @property
    def potential_reached(self) -> bool:
        """Actual purchases are at or above the potential revenue."""
        return self.potential is not None and self.potential.gap <= 0


@dataclass
class PortfolioTotals:
    clients: int
    value: Decimal
    average_score: float | None
    at_risk: int
    year: int = field(default_factory=current_year)
    #: Sums over the clients with an estimate for ``year``; the others count in none of them.
    with_potential: int = 0
    potential: Decimal = Decimal(0)
    actual: Decimal = Decimal(0)
    demand: Decimal = Decimal(0)
    #: The as-of day of the analytics' risk (the latest recompute), None before the first.
    risk_as_of: dt.date | None = None
    #: The 12-month window of the analytics snapshot the values come from; None without one.
    window: Window | None = None

    @property
    def share_of_wallet(self) -> Decimal | None:
        """Overall share of wallet: total actual / total demand of the estimated clients, in %."""
        return share_percent(self.actual, self.demand)

    @property
    def gap(self) -> Decimal:
        return self.potential - self.actual

    @property
    def potential_reached(self) -> bool:
        return self.with_potential > 0 and self.gap <= 0


def potentials_of(client_ids, year: int) -> dict[int, ClientPotential]:
    """This year's estimates of the clients, by client id, with their actual (one query)."""
    rows = ClientPotential.objects.filter(client_id__in=client_ids, year=year).with_actual()
    return {p.client_id: p for p in rows}


def editable_test(user: User | None):
    """A function telling whether ``user`` may edit a client's dossier, as
    :func:`kam.core.access.can_edit_client` does, with at most one query for all clients."""
    if user is None or not (user.is_authenticated and user.is_active):
        return lambda client: False
    if user.is_director:
        return lambda client: True
    assisted = set(user.assisted_kams.values_list("pk", flat=True))
    return lambda client: (
        client.owner_id == user.pk or client.assistant_id == user.pk or client.owner_id in assisted
    )


def portfolio_rows(
    clients, *, user: User | None = None, today: dt.date | None = None
) -> list[PortfolioRow]:
    """The rows of key clients (a page of them, or all for an export): analytics come joined;
    the dossier completeness costs a fixed three queries more, this year's potentials with
    actual purchases one, and whether ``user`` may add a potential at most one, when each
    status was set at most one."""
    today = today or timezone.localdate()
    year = current_year(today)
    clients = list(clients)
    ids = [c.pk for c in clients]
    dossiers = completeness_for(Client.objects.filter(pk__in=ids), today) if ids else {}
    potentials = potentials_of(ids, year) if ids else {}
    editable = editable_test(user)
    scored = (
        {s.client_id: s for s in ClientScore.objects.of_latest_run().filter(client_id__in=ids)}
        if ids
        else {}
    )
    rows = [
        PortfolioRow(
            c,
            analytics_of(c),
            dossiers.get(c.pk),
            potentials.get(c.pk),
            can_edit=editable(c),
            year=year,
            scored=scored.get(c.pk),
        )
        for c in clients
    ]
    changes = status_changes(clients)
    for row in rows:
        row.status_change = changes.get(row.client.pk)
    return rows


def _potential_revenue() -> Round:
    """Each estimate's potential revenue rounded to cents, as ClientPotential.potential_revenue."""
    return Round(
        ExpressionWrapper(
            F("total_demand") * F("achievable_share") / HUNDRED,
            output_field=DecimalField(max_digits=24, decimal_places=6),
        ),
        2,
        output_field=DecimalField(**MONEY),
    )


def estimated_sales(estimates, year: int):
    """The year's sales lines of the clients with ``estimates``, as ClientPotential.actual counts
    them: ``date__year`` becomes a date range, read through the (client, date) index."""
    return SalesLine.objects.filter(date__year=year, client_id__in=estimates.values("client_id"))


def portfolio_totals(clients, *, today: dt.date | None = None) -> PortfolioTotals:
    """The totals of a key-client queryset in four aggregate queries, however many clients: the
    page shows one page of rows, the totals are over all of them."""
    year = current_year(today)
    money = DecimalField(**MONEY)
    zero = Value(Decimal(0), output_field=money)
    clients = clients.order_by()
    ids = clients.values("pk")
    figures = clients.aggregate(
        clients=Count("pk"),
        value=Coalesce(Sum("analytics__value"), zero),
        at_risk=Count(
            "pk", filter=Q(status__in=TROUBLED_STATUSES) | Q(analytics__risk__in=TROUBLED_RISKS)
        ),
        as_of=Max("analytics__as_of"),
    )
    average = (
        ClientScore.objects.of_latest_run()
        .filter(client_id__in=ids)
        .aggregate(average=Avg("score"))["average"]
    )
    estimates = ClientPotential.objects.filter(year=year, client_id__in=ids)
    planned = estimates.aggregate(
        n=Count("pk"),
        potential=Coalesce(Sum(_potential_revenue()), zero),
        demand=Coalesce(Sum("total_demand"), zero),
    )
    actual = estimated_sales(estimates, year).aggregate(total=Coalesce(Sum("amount"), zero))[
        "total"
    ]
    as_of = figures["as_of"]
    return PortfolioTotals(
        clients=figures["clients"],
        value=figures["value"],
        average_score=average,
        at_risk=figures["at_risk"],
        year=year,
        with_potential=planned["n"],
        potential=planned["potential"],
        actual=actual,
        demand=planned["demand"],
        risk_as_of=as_of,
        # Every snapshot row of a recompute has its as-of date: it names the window.
        window=Window.ending(as_of) if as_of else None,
    )


def portfolio(
    clients, *, user: User | None = None, today: dt.date | None = None
) -> tuple[list[PortfolioRow], PortfolioTotals]:
    """All the rows of a key-client queryset (the export, one KAM's page) and their totals."""
    return portfolio_rows(clients, user=user, today=today), portfolio_totals(clients, today=today)


def export_header(year: int, window: Window | None = None) -> list[str]:
    """Column titles of the portfolio export (the page's columns, classes split)."""
    return [
        _("ERP code"),
        _("Client"),
        _("KAM"),
        _("Status"),
        _("Client type"),
        _("ABC"),
        _("XYZ"),
        _("Risk"),
        figure("sales_12m").heading(window=window),
        _("Score"),
        _("Dossier completeness, %"),
        figure("total_demand").heading(year=year),
        figure("potential").heading(year=year),
        figure("actual").heading(year=year),
        _("Share of wallet, %"),
        figure("gap").heading(year=year),
    ]


def export_row(row: PortfolioRow) -> list:
    """One portfolio row for the export: numbers stay numbers; blanks where there is nothing."""
    c, a = row.client, row.analytics
    return [
        c.erp_code,
        c.name,
        str(c.owner),
        c.get_status_display(),
        c.get_client_type_display() if c.client_type else "",
        getattr(a, "abc", ""),
        getattr(a, "xyz", ""),
        a.get_risk_display() if a is not None and a.risk else "",  # type: ignore[attr-defined]
        a.value if a is not None else None,  # type: ignore[attr-defined]
        round(row.score, 1) if row.score is not None else None,
        row.completeness.score if row.completeness else None,
        row.potential.total_demand if row.potential else None,
        row.potential_revenue,
        row.actual,
        row.share_of_wallet,
        row.gap,
    ]


def is_troubled(client: Client, analytics) -> bool:
    risk = getattr(analytics, "risk", "")
    return client.status in TROUBLED_STATUSES or risk in TROUBLED_RISKS


# --- the director's load overview --------------------------------------------------------------


@dataclass
class KamLoad:
    kam: User
    key_accounts: int
    total_clients: int
    key_value: Decimal
    total_value: Decimal
    troubled: int
    status: str
    #: This year's potential revenue of the KAM's key clients, and of those with an estimate:
    #: the sum of their total demand and their actual purchases this year.
    potential: Decimal = Decimal(0)
    demand: Decimal = Decimal(0)
    actual: Decimal = Decimal(0)
    year: int = field(default_factory=current_year)
    norm: tuple[int, int] = field(default_factory=key_account_norm)

    @property
    def status_label(self) -> str:
        return str(LOAD_LABELS[self.status])

    @property
    def key_value_share(self) -> float | None:
        """Key clients' share of the KAM's 12-month value, in per cent; None without value."""
        if not self.total_value:
            return None
        return float(self.key_value / self.total_value * 100)

    @property
    def share_of_wallet(self) -> Decimal | None:
        """Actual / total demand of the KAM's key clients estimated this year, in per cent."""
        return share_percent(self.actual, self.demand)

    @property
    def potential_reached(self) -> bool:
        return bool(self.demand) and self.actual >= self.potential


def active_kams():
    return User.objects.filter(role=Role.KAM, is_active=True).order_by(
        "last_name", "first_name", "username"
    )


def _per_owner(queryset, **totals) -> dict[int, dict]:
    """Each KAM's sums of ``totals`` over ``queryset`` (rows reaching their key clients as
    ``client``), grouped once. Apart from the KAMs' query on purpose: a subquery beside that
    query's GROUP BY ran once per joined client, not per KAM (18 s for the 10× demo)."""
    rows = (
        queryset.filter(client__is_key=True, client__owner__isnull=False)
        .order_by()
        .values("client__owner")
        .annotate(**{name: Sum(total) for name, total in totals.items()})
    )
    return {row.pop("client__owner"): row for row in rows}


def kam_loads(today: dt.date | None = None) -> list[KamLoad]:
    """One row per active KAM, in three queries whatever the number of KAMs and clients.

    Key accounts are the KAM's key clients that are not lost: a lost account is no longer
    handled. Value is the 12-month value of the latest analytics snapshot. Potential, demand and
    actual are this year's, over the KAM's key clients that have an estimate for the year; each
    is summed by a query of its own, so neither the clients' join nor the sales lines multiply
    them.
    """
    year = current_year(today)
    money = DecimalField(**MONEY)
    zero = Value(Decimal(0), output_field=money)
    key = Q(owned_clients__is_key=True)
    troubled = Q(owned_clients__status__in=TROUBLED_STATUSES) | Q(
        owned_clients__analytics__risk__in=TROUBLED_RISKS
    )
    estimates = ClientPotential.objects.filter(year=year)
    planned = _per_owner(estimates, revenue=_potential_revenue(), demand="total_demand")
    # The year's purchases as ClientPotential.actual counts them (date__year becomes a range).
    sales = SalesLine.objects.filter(date__year=year, client__in=estimates.values("client_id"))
    bought = _per_owner(sales, actual="amount")
    kams = active_kams().annotate(
        n_key=Count("owned_clients", filter=key & ~Q(owned_clients__status=ClientStatus.LOST)),
        n_total=Count("owned_clients"),
        n_troubled=Count("owned_clients", filter=troubled),
        v_key=Coalesce(Sum("owned_clients__analytics__value", filter=key), zero),
        v_total=Coalesce(Sum("owned_clients__analytics__value"), zero),
    )
    norm = key_account_norm()

    def total(table: dict[int, dict], kam: User, name: str) -> Decimal:
        return table.get(kam.pk, {}).get(name) or Decimal(0)

    return [
        KamLoad(
            kam=kam,
            key_accounts=kam.n_key,
            total_clients=kam.n_total,
            key_value=kam.v_key,
            total_value=kam.v_total,
            troubled=kam.n_troubled,
            status=load_status(kam.n_key, norm),
            potential=total(planned, kam, "revenue"),
            demand=total(planned, kam, "demand"),
            actual=total(bought, kam, "actual"),
            year=year,
            norm=norm,
        )
        for kam in kams
    ]


# --- reassignment ------------------------------------------------------------------------------


def successor_assistant(client: Client, old_owner: User, new_owner: User) -> User | None:
    """The assistant the client should have under ``new_owner``.

    An assistant who worked on the client as the old KAM's assistant follows the KAM, not the
    client: they are replaced by the new KAM's first assistant (by username), or cleared. An
    assistant who also assists the new KAM, or was set on the client for another reason, stays.
    """
    assistant = client.assistant if client.assistant_id else None
    if assistant is None:
        return None
    if assistant.assisted_kams.filter(pk=new_owner.pk).exists():
        return assistant
    if not assistant.assisted_kams.filter(pk=old_owner.pk).exists():
        return assistant
    return new_owner.assistants.filter(is_active=True).order_by("username").first()


@transaction.atomic
def reassign_client(
    *,
    by: User,
    client: Client,
    new_owner: User,
    reason: str,
    base: Base | IfMatch | None = None,
) -> Client:
    """Move ``client`` to ``new_owner`` (director only), with its assistant, in one transaction.

    Cross-functional team memberships stay: they are the people of other departments who serve
    the client (logistics, finance…), not the KAM's staff; the new KAM leads the same team.
    ``base`` is the client as the director saw it: a reassignment made meanwhile is an
    EditConflict (kam.core.locking).
    """
    if not by.is_director:
        raise PermissionDenied(_("Only the director reassigns clients."))
    client = lock(client)
    check(base, client, {"owner": new_owner})
    errors = {}
    if new_owner.role != Role.KAM or not new_owner.is_active:
        errors["owner"] = _("Choose an active key account manager.")
    elif new_owner.pk == client.owner_id:
        errors["owner"] = _("The client already belongs to this KAM.")
    if not reason.strip():
        errors["reason"] = _("Say why the client is reassigned; the history keeps it.")
    if errors:
        raise ValidationError(errors)
    assistant = successor_assistant(client, client.owner, new_owner)
    return client_services.client_update(
        by=by, client=client, owner=new_owner, assistant=assistant, reason=reason.strip()
    )  # checked above
