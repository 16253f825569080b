"""Portfolios and KAM load (R26, R27): reads for the pages, and the one reassignment write.

Reads start from the access rule; the load overview is company-wide and director-only (the views
check that). Reassignment goes through :func:`kam.clients.services.client_update`, so the client's
audit history records who moved it, when, from which KAM to which, and why.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.clients import services as client_services
from kam.clients.completeness import Completeness, completeness_for
from kam.clients.models import MONEY, Client, ClientStatus
from kam.core.models import Role, User
from kam.insights.models import Risk

UNDERLOADED, WITHIN_NORM, OVERLOADED = "underloaded", "within", "overloaded"
LOAD_LABELS = {
    UNDERLOADED: gettext_lazy("Underloaded"),
    WITHIN_NORM: gettext_lazy("Within norm"),
    OVERLOADED: gettext_lazy("Overloaded"),
}
#: Client statuses and analytics risks that count a client as "at risk or lost".
TROUBLED_STATUSES = (ClientStatus.AT_RISK, ClientStatus.LOST)
TROUBLED_RISKS = (Risk.AT_RISK, Risk.LOST)


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


@dataclass
class PortfolioRow:
    client: Client
    analytics: object | None
    completeness: Completeness | None = None

    @property
    def value(self) -> Decimal:
        return getattr(self.analytics, "value", None) or Decimal(0)

    @property
    def score(self) -> float | None:
        return getattr(self.analytics, "score", None)


@dataclass
class PortfolioTotals:
    clients: int
    value: Decimal
    average_score: float | None
    at_risk: int


def portfolio(clients) -> tuple[list[PortfolioRow], PortfolioTotals]:
    """Rows and totals of a key-client queryset: analytics come joined, and the dossier
    completeness of all of them costs a fixed three queries more."""
    clients = list(clients)
    dossiers = completeness_for(Client.objects.filter(pk__in=[c.pk for c in clients]))
    rows = [PortfolioRow(c, analytics_of(c), dossiers.get(c.pk)) for c in clients]
    scores = [row.score for row in rows if row.score is not None]
    totals = PortfolioTotals(
        clients=len(rows),
        value=sum((row.value for row in rows), Decimal(0)),
        average_score=sum(scores) / len(scores) if scores else None,
        at_risk=sum(1 for row in rows if is_troubled(row.client, row.analytics)),
    )
    return rows, totals


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

    @property
    def status_label(self) -> str:
        return str(LOAD_LABELS[self.status])

    @property
    def key_value_share(self) -> float | None:
        """Key clients' share of the KAM's 12-month value, in per cent; None without value."""
        if not self.total_value:
            return None
        return float(self.key_value / self.total_value * 100)


def active_kams():
    return User.objects.filter(role=Role.KAM, is_active=True).order_by(
        "last_name", "first_name", "username"
    )


def kam_loads() -> list[KamLoad]:
    """One row per active KAM, in one query.

    Key accounts are the KAM's key clients that are not lost: a lost account is no longer
    handled. Value is the 12-month value of the latest analytics snapshot.
    """
    money = DecimalField(**MONEY)
    zero = Value(Decimal(0), output_field=money)
    key = Q(owned_clients__is_key=True)
    troubled = Q(owned_clients__status__in=TROUBLED_STATUSES) | Q(
        owned_clients__analytics__risk__in=TROUBLED_RISKS
    )
    kams = active_kams().annotate(
        n_key=Count("owned_clients", filter=key & ~Q(owned_clients__status=ClientStatus.LOST)),
        n_total=Count("owned_clients"),
        n_troubled=Count("owned_clients", filter=troubled),
        v_key=Coalesce(Sum("owned_clients__analytics__value", filter=key), zero),
        v_total=Coalesce(Sum("owned_clients__analytics__value"), zero),
    )
    norm = key_account_norm()
    return [
        KamLoad(
            kam=kam,
            key_accounts=kam.n_key,
            total_clients=kam.n_total,
            key_value=kam.v_key,
            total_value=kam.v_total,
            troubled=kam.n_troubled,
            status=load_status(kam.n_key, norm),
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
def reassign_client(*, by: User, client: Client, new_owner: User, reason: str) -> Client:
    """Move ``client`` to ``new_owner`` (director only), with its assistant, in one transaction.

    Cross-functional team memberships stay: they are the people of other departments who serve
    the client (logistics, finance…), not the KAM's staff; the new KAM leads the same team.
    """
    if not by.is_director:
        raise PermissionDenied(_("Only the director reassigns clients."))
    client = (
        # Lock only the client row: PostgreSQL cannot lock the nullable side of the outer join.
        Client.objects.select_for_update(of=("self",))
        .select_related("owner", "assistant")
        .get(pk=client.pk)
    )
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
    )
