"""Read-side queries for client pages and exports. All start from the access-filtered queryset."""

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Sum
from django.db.models.functions import TruncMonth
from django.utils import formats, timezone
from django.utils.translation import gettext

from kam.competition.models import Assessment, SpendHolder
from kam.core.figures import Window, with_sales_12m
from kam.potential.models import ClientPotential, ClientStrategy
from kam.qualification.models import THREE_P, Qualification
from kam.sales.models import SalesLine

from .groups import with_parent_name
from .models import Client, CompetitorPresence, Contact, TeamMembership, Tender


def months_back(end: dt.date, count: int) -> list[dt.date]:
    """First days of the ``count`` calendar months ending with ``end``'s month, oldest first."""
    year, month = end.year, end.month
    firsts = []
    for _ in range(count):
        firsts.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return firsts[::-1]


def client_list_queryset(user, window: Window):
    """The clients ``user`` sees, with owner, assistant, their analytics, "Sales, 12 months" in
    ``window`` and the parent's name when the user may see the parent (groups.with_parent_name;
    never the parent row)."""
    clients = Client.objects.visible_to(user).select_related("owner", "assistant", "analytics")
    return with_parent_name(with_sales_12m(clients, window), user)


def monthly_purchases(client: Client, months: int = 24, today: dt.date | None = None):
    """Monthly amount, cost and quantity for the last ``months`` months, zero-filled."""
    today = today or timezone.localdate()
    firsts = months_back(today, months)
    rows = (
        SalesLine.objects.filter(client=client, date__gte=firsts[0], date__lte=today)
        .annotate(month=TruncMonth("date"))
        .values("month")
        .annotate(amount=Sum("amount"), cost=Sum("cost"))
        .order_by("month")
    )
    by_month = {row["month"]: row for row in rows}
    result = []
    for first in firsts:
        row: Mapping[str, Any] = by_month.get(first, {})
        amount = row.get("amount") or Decimal("0")
        cost = row.get("cost")
        result.append(
            {
                "month": first,
                "amount": amount,
                "cost": cost,
                "margin": None if cost is None else amount - cost,
            }
        )
    return result


def org_chart(client: Client, include_left: bool = False) -> dict:
    """The decision-making unit as an ECharts tree: the client at the root, managers above."""
    contacts = list(client.contacts.select_related("relationship_owner"))
    if not include_left:
        contacts = [c for c in contacts if not c.has_left]
    ids = {c.pk for c in contacts}
    children = defaultdict(list)
    for contact in contacts:
        parent = contact.reports_to_id if contact.reports_to_id in ids else None
        children[parent].append(contact)

    def node(contact: Contact, depth: int = 0) -> dict:
        return {
            "name": contact.full_name,
            "id": contact.pk,
            "position": contact.position,
            "role": contact.get_decision_role_display() if contact.decision_role else "",
            "influence": contact.influence,
            "attitude": contact.attitude,
            "attitude_label": str(contact.get_attitude_display()),
            "motivation": contact.motivation,
            "bonus": contact.bonus_drivers,
            "left": contact.has_left,
            # Depth guard: clean() forbids loops, but a page must never hang if one slipped in.
            "children": [node(c, depth + 1) for c in children[contact.pk]] if depth < 20 else [],
        }

    return {
        "name": client.name,
        "id": 0,
        "root": True,
        "children": [node(c) for c in children[None]],
    }


# Model, kind, the relations its history rows show (fetched with them, not row by row), and the
# fields a row leaves out: stamps that the event's own who and when already say.
STAMPS = ("id", "client", "updated_at", "created_at")
AUDITED = (
    (Client, "client", ("owner", "assistant", "parent"), ()),
    (Contact, "contact", ("reports_to", "relationship_owner"), ()),
    (CompetitorPresence, "presence", ("competitor",), ()),
    (Tender, "tender", (), ()),
    (TeamMembership, "team", ("user",), ()),
    (ClientStrategy, "strategy", (), ("updated_by",)),
    (ClientPotential, "potential", (), ()),
    (Qualification, "qualification", (), tuple(f"{p}_{s}" for p in THREE_P for s in ("by", "at"))),
    (Assessment, "assessment", (), ("created_by", "updated_by")),
    (SpendHolder, "spend", ("competitor",), ()),
)
#: Kinds kept one record per client (or per year) and filled in like a form: their creation is
#: the first edit, shown with the values it set.
FORMS = {"strategy", "potential", "qualification"}


def change_history(client: Client, user, limit: int = 300) -> list[dict]:
    """Every audited change to the client and its dossier, newest first, with field diffs:
    the card's own fields, contacts, competitors, tenders, the team, the strategy, potential and
    three-P qualification, and the competitive assessments and holders of spend.

    A parent company ``user`` may not see is named as "a company outside your clients", also in
    the changes of the parent (clients/groups.py)."""
    events = []
    for model, kind, relations, stamps in AUDITED:
        if model is Client:
            visible = Client.objects.visible_to(user).filter(pk=OuterRef("parent_id"))
            records = model.audit.filter(id=client.pk).annotate(parent_visible=Exists(visible))
        else:
            records = model.audit.filter(client_id=client.pk)
        records = list(
            records.select_related("history_user", *relations).order_by(
                "id", "history_date", "history_id"
            )
        )
        fields = [f for f in model._meta.fields if f.name not in {*STAMPS, *stamps}]
        previous: dict[int, Any] = {}  # object id -> its latest historical record
        for record in records:
            before = previous.get(record.id)
            previous[record.id] = record
            changes = []
            if record.history_type == "~" and before is not None:
                changes = _changes(before, record, fields)
                if not changes:
                    continue
            elif record.history_type == "+" and kind in FORMS:
                changes = _changes(None, record, fields)
            events.append(
                {
                    "when": record.history_date,
                    "who": record.history_user,
                    "kind": kind,
                    "model": model._meta.verbose_name,
                    "object": _label(record, kind),
                    "type": record.history_type,
                    "reason": record.history_change_reason or "",
                    "changes": changes,
                }
            )
    events.sort(key=lambda e: e["when"], reverse=True)
    return events[:limit]


def _changes(before, record, fields) -> list[dict]:
    """The fields that differ between two historical records (``before`` None: those set)."""
    changes = []
    for field in fields:
        old = None if before is None else getattr(before, field.attname, None)
        new = getattr(record, field.attname, None)
        if old != new and (before is not None or new not in (None, "")):
            changes.append(
                {
                    "field": field.verbose_name,
                    "old": _display(before, field),
                    "new": _display(record, field),
                }
            )
    return changes


def _display(record, field):
    value = None if record is None else getattr(record, field.attname, None)
    if value is None or value == "":
        return "—"
    if not getattr(record, f"{field.name}_visible", True):
        return gettext("a company outside your clients")
    # A document field (a competitive grid) is summed up by its model, not printed whole.
    if describe := getattr(record.instance_type, f"describe_{field.name}", None):
        return describe(value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation:
        try:
            return str(getattr(record, field.name))
        except Exception:  # the related row may be gone; history keeps only its id
            return f"#{value}"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    # Amounts and dates as the reader writes them («311 603 247,00»); a year stays "2027".
    if isinstance(value, Decimal):
        return formats.number_format(value, force_grouping=True)
    if isinstance(value, dt.datetime):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def _label(record, kind: str) -> str:
    if kind == "client":
        return record.name
    if kind == "contact":
        return record.full_name
    if kind == "tender":
        return record.subject
    if kind == "team":
        return str(record.user) if record.user_id else ""
    if kind == "potential":
        return str(record.year)
    if kind == "assessment":
        return formats.date_format(record.assessed_on, "SHORT_DATE_FORMAT")
    if kind == "spend":
        return record.category
    if kind in FORMS:
        return ""
    return str(record.competitor) if record.competitor_id else ""
