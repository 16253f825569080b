from decimal import Decimal

from kam.potential.forms import PotentialForm
from kam.potential.models import ClientPotential, ClientStrategy

from ..forms import form_data
from .matrix import (
    DOSSIER_EDITORS,
    DOSSIER_READERS,
    EVERYONE,
    Route,
    client_api_route,
    dossier_editor_route,
    field_is,
    foreign_client,
    gone,
    own_client,
)


def potential(client):
    return ClientPotential.objects.get_or_create(
        client=client,
        year=2026,
        defaults={"total_demand": Decimal("1000"), "basis": "b", "achievable_share": 50},
    )[0]


def potential_posted(kwarg):
    """``done``: the client (URL's ``kwarg``) has the 2027 estimate of ``potential_data``."""

    def done(w, kwargs):
        return ClientPotential.objects.filter(
            client_id=kwargs[kwarg], year=2027, total_demand=Decimal("500")
        ).exists()

    return done


def strategy_posted(kwarg):
    def done(w, kwargs):
        return ClientStrategy.objects.filter(client_id=kwargs[kwarg], strategy="Expand").exists()

    return done


def potential_edit_data(w):
    """The form of the estimate the URL names, with a new basis."""
    return form_data(PotentialForm(instance=ClientPotential.objects.get(pk=w.potential_pk)))


def own_potential(w):
    w.potential_pk = potential(w.own).pk
    return {"pk": w.potential_pk}


def foreign_potential(w):
    w.potential_pk = potential(w.foreign).pk
    return {"pk": w.potential_pk}


def strategy_data(w):
    return {"strategy": "Expand", "needs": "Reliable supply", "how_we_help": "Logistics"}


def potential_data(w):
    return {"year": 2027, "total_demand": "500", "basis": "plan", "achievable_share": "20"}


ROUTES = [
    # The register of every potential: each reader gets the rows of their own clients.
    Route("potential:export", allowed=EVERYONE),
    Route("potential:tab", own=own_client, foreign=foreign_client, allowed=DOSSIER_READERS),
    dossier_editor_route("potential:create", own_client, foreign_client),
    dossier_editor_route("potential:strategy_edit", own_client, foreign_client),
    dossier_editor_route(
        "potential:edit",
        lambda w: {"pk": potential(w.own).pk},
        lambda w: {"pk": potential(w.foreign).pk},
    ),
    dossier_editor_route(
        "potential:edit",
        own_potential,
        foreign_potential,
        method="post",
        data=lambda w: potential_edit_data(w) | {"basis": "Posted basis"},
        done=field_is(ClientPotential, "pk", "basis", "Posted basis"),
    ),
    dossier_editor_route(
        "potential:delete",
        lambda w: {"pk": potential(w.own).pk},
        lambda w: {"pk": potential(w.foreign).pk},
        method="post",
        done=gone(ClientPotential),
    ),
    # Writes by POST: the member reads the tab but gets 403; the outsider 404.
    Route(
        "potential:create",
        own=own_client,
        foreign=foreign_client,
        allowed=DOSSIER_EDITORS,
        method="post",
        data=potential_data,
        ok_status=(302,),
        done=potential_posted("pk"),
    ),
    Route(
        "potential:strategy_edit",
        own=own_client,
        foreign=foreign_client,
        allowed=DOSSIER_EDITORS,
        method="post",
        data=strategy_data,
        ok_status=(302,),
        done=strategy_posted("pk"),
    ),
    # --- JSON API (bearer token) -------------------------------------------------------------
    client_api_route("api:potential_list", DOSSIER_READERS),
    client_api_route(
        "api:potential_create",
        DOSSIER_EDITORS,
        method="post",
        data=potential_data,
        ok_status=(201,),
        done=potential_posted("client_id"),
    ),
    client_api_route(
        "api:potential_detail",
        DOSSIER_READERS,
        own=lambda w: {"potential_id": potential(w.own).pk},
        foreign=lambda w: {"potential_id": potential(w.foreign).pk},
    ),
    client_api_route(
        "api:potential_update",
        DOSSIER_EDITORS,
        method="patch",
        own=lambda w: {"potential_id": potential(w.own).pk},
        foreign=lambda w: {"potential_id": potential(w.foreign).pk},
        data=lambda w: {"achievable_share": "30"},
        done=field_is(ClientPotential, "potential_id", "achievable_share", Decimal("30")),
    ),
    client_api_route("api:client_whitespace", DOSSIER_READERS),
    client_api_route("api:strategy_detail", DOSSIER_READERS),
    client_api_route(
        "api:strategy_update",
        DOSSIER_EDITORS,
        method="put",
        data=strategy_data,
        done=strategy_posted("client_id"),
    ),
]
