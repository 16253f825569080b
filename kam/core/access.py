"""The one access rule (R38). Every read path for client data filters through here.

Director: everything. Anyone else: clients they own, assist on (directly or as the assistant of
the owning KAM), or sit on the team of. Foreign objects must look absent (404), never forbidden.
"""

from django.db.models import Q


def client_access_q(user, prefix: str = "") -> Q:
    """A filter selecting the clients ``user`` may see; ``prefix`` reaches a client via a relation.

    Use ``prefix="client__"`` on models that belong to a client.
    """
    from kam.clients.models import TeamMembership  # clients depends on core, not the reverse

    if user is None or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_director:
        return Q()
    team = TeamMembership.objects.filter(user=user).values("client_id")
    assisted = user.assisted_kams.values("pk")
    return (
        Q(**{f"{prefix}owner": user})
        | Q(**{f"{prefix}assistant": user})
        | Q(**{f"{prefix}owner__in": assisted})
        | Q(**{f"{prefix}pk__in": team})
    )


def can_edit_client(user, client) -> bool:
    """Who may change a client's dossier: the director, its KAM and the KAM's assistants."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_director:
        return True
    if client.owner_id == user.pk or client.assistant_id == user.pk:
        return True
    return user.assisted_kams.filter(pk=client.owner_id).exists()


def can_create_clients(user) -> bool:
    from kam.core.models import Role

    return user.is_authenticated and user.is_active and (user.is_director or user.role == Role.KAM)


def can_manage_company_data(user) -> bool:
    """Products, prices and ERP imports of clients and sales are company-wide: director only."""
    return user.is_authenticated and user.is_director


def can_unlock_logins(user) -> bool:
    """The Locked logins page and its unlock button: directors only."""
    return user.is_authenticated and user.is_director


def can_see_company_analytics(user) -> bool:
    """The company-wide figures of a recompute (the whole company's ABC-XYZ matrix and Pareto
    curve, the BG/NBD and Gamma-Gamma parameters, the backtest): directors only. Everyone else
    gets the same figures over the clients they may see. The Analytics page and the API both
    ask this."""
    return user.is_authenticated and user.is_director
