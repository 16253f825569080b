"""Dossier completeness (R9–R12): how much of a key client's dossier is filled in, what is missing.

The checks are a declared list, ``CHECKS``: each has a stable name, a weight, a test over data
fetched in advance and a translatable message saying what is missing. Later parts of the dossier
(potential, strategy) add their checks to the list, plus whatever their tests need to
``with_completeness_data``, and the score, the client page and the portfolio pick them up.

``completeness_for(clients)`` scores any number of clients in a fixed number of queries (the
clients with a few annotations, their current contacts, their decided tenders without a reason).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from .models import (
    Client,
    CompetitorPresence,
    Contact,
    DecisionRole,
    TeamMembership,
    Tender,
    TenderResult,
)

if TYPE_CHECKING:  # django-stubs is a development dependency
    from django_stubs_ext import StrOrPromise

#: A decision maker must have been met within this many days.
RECENT_CONTACT_DAYS = 90
#: An org chart needs at least this many current contacts.
MIN_ORG_CHART_CONTACTS = 3
#: General data fields every dossier needs (R9), in the order they are named when missing.
GENERAL_FIELDS = (
    "industry",
    "region",
    "employees",
    "annual_revenue",
    "description",
    "history",
    "org_structure",
)
DECIDED = (TenderResult.WON, TenderResult.LOST)

# The prefetched lists, as attributes on each client.
CURRENT_CONTACTS = "completeness_contacts"
UNEXPLAINED_TENDERS = "completeness_unexplained_tenders"


def _join(*items: Any) -> str:
    return ", ".join(str(item) for item in items)


join_lazy = lazy(_join, str)

# What a test returns: None when the check passes, otherwise the details of what is missing
# (names of fields, people, tenders; possibly none), which fill ``{details}`` in its message.
Outcome = Sequence[Any] | None


@dataclass(frozen=True)
class Check:
    name: str
    label: StrOrPromise
    weight: int
    test: Callable[[Client, dt.date], Outcome]
    missing: StrOrPromise  # the message when the check fails; may use {details}
    fix_url: str  # the URL name (taking the client's pk) of the page where it is fixed
    edit_only: bool = False  # the fixing page is a form only editors may open


@dataclass(frozen=True)
class Item:
    name: str
    label: StrOrPromise
    weight: int
    passed: bool
    message: StrOrPromise  # what is missing; "" when passed
    fix_url: str
    edit_only: bool = False


@dataclass(frozen=True)
class Completeness:
    score: int  # 0–100, the weighted share of passed checks
    items: list[Item] = field(default_factory=list)

    @property
    def missing(self) -> list[Item]:
        return [item for item in self.items if not item.passed]


# --- the tests -------------------------------------------------------------------------------


def _contacts(client: Client) -> list[Contact]:
    return getattr(client, CURRENT_CONTACTS)


def _with_role(client: Client, *roles: str) -> list[Contact]:
    return [c for c in _contacts(client) if c.decision_role in roles]


def general_data(client: Client, today: dt.date) -> Outcome:
    missing = [
        Client._meta.get_field(name).verbose_name  # type: ignore[union-attr]
        for name in GENERAL_FIELDS
        if getattr(client, name) is None or str(getattr(client, name)).strip() == ""
    ]
    return missing or None


def decision_maker(client: Client, today: dt.date) -> Outcome:
    return None if _with_role(client, DecisionRole.DECISION_MAKER) else []


def motivation(client: Client, today: dt.date) -> Outcome:
    people = _with_role(client, DecisionRole.DECISION_MAKER, DecisionRole.ECONOMIC_BUYER)
    if not people:
        return [_("no decision maker or economic buyer recorded yet")]
    missing = [
        c.full_name for c in people if not (c.motivation.strip() and c.bonus_drivers.strip())
    ]
    return missing or None


def org_chart(client: Client, today: dt.date) -> Outcome:
    contacts = _contacts(client)
    details: list[Any] = []
    if len(contacts) < MIN_ORG_CHART_CONTACTS:
        details.append(
            format_lazy(
                ngettext_lazy(
                    "{count} current contact, at least {minimum} needed",
                    "{count} current contacts, at least {minimum} needed",
                    "count",
                ),
                count=len(contacts),
                minimum=MIN_ORG_CHART_CONTACTS,
            )
        )
    tops = [c for c in contacts if c.reports_to_id is None]
    if len(tops) > 1:
        # The top is whoever has most people under them, then the most influential.
        reports = {c.pk: 0 for c in contacts}
        for c in contacts:
            if c.reports_to_id in reports:
                reports[c.reports_to_id] += 1
        top = max(tops, key=lambda c: (reports[c.pk], c.influence, -c.pk))
        details.append(
            format_lazy(
                _("no manager recorded for {people}"),
                people=join_lazy(*(c.full_name for c in tops if c is not top)),
            )
        )
    return details or None


def recent_contact(client: Client, today: dt.date) -> Outcome:
    since = today - dt.timedelta(days=RECENT_CONTACT_DAYS)
    dates = [
        c.last_contact_on
        for c in _with_role(client, DecisionRole.DECISION_MAKER)
        if c.last_contact_on is not None
    ]
    if dates and max(dates) >= since:
        return None
    if dates:
        return [format_lazy(_("last on {date}"), date=date_format(max(dates), "SHORT_DATE_FORMAT"))]
    return []


def competitors(client: Client, today: dt.date) -> Outcome:
    return None if client.completeness_has_competitor else []  # type: ignore[attr-defined]


def tenders(client: Client, today: dt.date) -> Outcome:
    if not client.completeness_has_tender:  # type: ignore[attr-defined]
        return [_("no tender recorded")]
    unexplained = getattr(client, UNEXPLAINED_TENDERS)
    if unexplained:
        return [
            format_lazy(
                _("no reason for {tenders}"),
                tenders=join_lazy(*(f"{t.date:%Y-%m-%d} {t.subject}" for t in unexplained)),
            )
        ]
    return None


def team(client: Client, today: dt.date) -> Outcome:
    has_team = client.assistant_id is not None or client.completeness_has_team  # type: ignore[attr-defined]
    return None if has_team else []


def potential(client: Client, today: dt.date) -> Outcome:
    # the year of this year's estimate, if any, as of the date the data was fetched for
    return None if client.completeness_potential_year == today.year else [today.year]  # type: ignore[attr-defined]


def strategy(client: Client, today: dt.date) -> Outcome:
    return None if client.completeness_has_strategy else []  # type: ignore[attr-defined]


CHECKS: list[Check] = [
    Check(
        "general_data",
        _("General data"),
        20,
        general_data,
        _("General data missing: {details}."),
        "clients:edit",
        edit_only=True,
    ),
    Check(
        "decision_maker",
        _("Decision maker"),
        10,
        decision_maker,
        _("No decision maker among the current contacts."),
        "clients:contacts",
    ),
    Check(
        "motivation",
        _("Motivation of decision makers"),
        15,
        motivation,
        _("Motivation or bonus drivers not recorded: {details}."),
        "clients:contacts",
    ),
    Check(
        "org_chart",
        _("Org chart"),
        10,
        org_chart,
        _("Org chart incomplete: {details}."),
        "clients:contacts",
    ),
    Check(
        "recent_contact",
        _("Recent contact with a decision maker"),
        10,
        recent_contact,
        format_lazy(
            _("No contact with a decision maker in the last {days} days."),
            days=RECENT_CONTACT_DAYS,
        ),
        "clients:contacts",
    ),
    Check(
        "competitors",
        _("Competitors"),
        10,
        competitors,
        _("No competitors recorded."),
        "clients:competitors",
    ),
    Check(
        "tenders",
        _("Tender history"),
        5,
        tenders,
        _("Tender history incomplete: {details}."),
        "clients:tenders",
    ),
    Check(
        "team",
        _("Account team"),
        5,
        team,
        _("No assistant or team member besides the KAM."),
        "clients:team_add",
        edit_only=True,
    ),
    Check(
        "potential",
        _("Potential"),
        10,
        potential,
        _("No potential estimated for {details}."),
        "potential:tab",
    ),
    Check(
        "strategy",
        _("Strategy and needs"),
        5,
        strategy,
        _("The client's strategy and needs are not recorded."),
        "potential:tab",
    ),
]


# --- fetching and scoring --------------------------------------------------------------------


def with_completeness_data(clients: QuerySet, today: dt.date | None = None) -> QuerySet:
    """``clients`` with everything the checks read: annotations and two prefetched lists.

    ``today`` picks the year whose potential must be estimated; evaluate with the same date.
    """
    from kam.potential.models import ClientPotential, ClientStrategy  # potential builds on clients

    year = (today or timezone.localdate()).year
    pk = OuterRef("pk")
    blank = Q(strategy__regex=r"^\s*$") | Q(needs__regex=r"^\s*$")
    return clients.annotate(
        completeness_has_competitor=Exists(CompetitorPresence.objects.filter(client=pk)),
        completeness_has_tender=Exists(Tender.objects.filter(client=pk)),
        completeness_has_team=Exists(TeamMembership.objects.filter(client=pk)),
        completeness_potential_year=Subquery(
            ClientPotential.objects.filter(client=pk, year=year).values("year")[:1]
        ),
        completeness_has_strategy=Exists(ClientStrategy.objects.filter(client=pk).exclude(blank)),
    ).prefetch_related(
        Prefetch(
            "contacts",
            queryset=Contact.objects.filter(has_left=False)
            .only(
                "id",
                "client_id",
                "full_name",
                "decision_role",
                "influence",
                "reports_to_id",
                "motivation",
                "bonus_drivers",
                "last_contact_on",
            )
            .order_by("full_name", "pk"),
            to_attr=CURRENT_CONTACTS,
        ),
        Prefetch(
            "tenders",
            queryset=Tender.objects.filter(
                Q(reason="") | Q(reason__regex=r"^\s*$"), result__in=DECIDED
            )
            .only("id", "client_id", "date", "subject")
            .order_by("date", "pk"),
            to_attr=UNEXPLAINED_TENDERS,
        ),
    )


def score_items(items: Sequence[Item]) -> int:
    """The weighted share of passed checks, 0–100, rounded down (100 only when all pass)."""
    total = sum(item.weight for item in items)
    if not total:
        return 100
    passed = sum(item.weight for item in items if item.passed)
    return passed * 100 // total


def evaluate(
    client: Client, today: dt.date | None = None, checks: Sequence[Check] | None = None
) -> Completeness:
    """Score one client fetched through ``with_completeness_data``."""
    today = today or timezone.localdate()
    items = []
    for check in CHECKS if checks is None else checks:
        outcome = check.test(client, today)
        message: StrOrPromise = ""
        if outcome is not None:
            message = format_lazy(check.missing, details=join_lazy(*outcome))
        items.append(
            Item(
                check.name,
                check.label,
                check.weight,
                outcome is None,
                message,
                check.fix_url,
                check.edit_only,
            )
        )
    return Completeness(score=score_items(items), items=items)


def completeness_for(clients: QuerySet, today: dt.date | None = None) -> dict[int, Completeness]:
    """Completeness of every client in ``clients``, by client id, in three queries however many."""
    today = today or timezone.localdate()
    return {client.pk: evaluate(client, today) for client in with_completeness_data(clients, today)}
