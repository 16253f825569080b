"""Every write to potentials and strategies goes through these functions (views, API, demo).

Each takes the acting user as ``by``: checked against the access rule and recorded in the audit
history. Validation errors are field-level ValidationErrors raised before anything is written.
A change takes the editor's optional ``base`` and is checked against it under lock
(kam.core.locking).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kam.clients.models import Client
from kam.core.access import can_edit_client
from kam.core.locking import Base, IfMatch, check, lock
from kam.core.models import User
from kam.core.services import assign_fields, delete_audited, locked_edit, save_audited

from .models import ClientPotential, ClientStrategy

# Editable fields in the order forms show them.
POTENTIAL_FIELDS = (
    "year",
    "total_demand",
    "basis",
    "driver",
    "driver_quantity",
    "rate",
    "achievable_share",
)
STRATEGY_FIELDS = ("strategy", "needs", "how_we_help")


def _check_edit(by: User, client: Client) -> None:
    if not can_edit_client(by, client):
        raise PermissionDenied(_("You may not change this client."))


@transaction.atomic
def potential_save(
    *,
    by: User,
    client: Client,
    year: int,
    potential: ClientPotential | None = None,
    base: Base | IfMatch | None = None,
    **fields,
) -> ClientPotential:
    """Create (``potential`` None) or update a client's potential for ``year``.

    The total demand may be left None when a driver quantity and a rate are given: it is derived
    from them; when all three are given they must agree.
    """
    _check_edit(by, client)
    if potential is not None and potential.client_id != client.pk:
        raise PermissionDenied(_("This estimate belongs to another client."))
    fields = fields | {"year": year}
    if potential is None or potential.pk is None:
        potential = potential or ClientPotential(client=client)
    else:
        potential, fields = locked_edit(potential, base, fields)
    assign_fields(potential, fields, POTENTIAL_FIELDS)
    year = potential.year
    duplicate = ClientPotential.objects.filter(client=client, year=year)
    if potential.pk:
        duplicate = duplicate.exclude(pk=potential.pk)
    if duplicate.exists():
        raise ValidationError(
            {"year": _("There is already an estimate for %(year)s: edit it.") % {"year": year}}
        )
    save_audited(potential, by=by)
    return potential


@transaction.atomic
def potential_delete(*, by: User, potential: ClientPotential) -> None:
    _check_edit(by, potential.client)
    delete_audited(potential, by=by)


@transaction.atomic
def strategy_save(
    *, by: User, client: Client, base: Base | IfMatch | None = None, **fields
) -> ClientStrategy:
    """Record the client's strategy, needs and how we help (R13); one record per client."""
    lock(client)  # one record per client: two first saves wait for each other
    _check_edit(by, client)
    strategy = ClientStrategy.objects.select_for_update().filter(client=client).first()
    strategy = strategy or ClientStrategy(client=client)
    fields = check(base, strategy, fields)
    assign_fields(strategy, fields, STRATEGY_FIELDS)
    strategy.updated_by = by
    save_audited(strategy, by=by)
    return strategy
