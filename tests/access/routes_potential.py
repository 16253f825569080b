from decimal import Decimal

from kam.potential.models import ClientPotential

from .matrix import DOSSIER_EDITORS, DOSSIER_READERS, EVERYONE, Route

JSON = "application/json"


def own(w):
    return {"pk": w.own.pk}


def foreign(w):
    return {"pk": w.foreign.pk}


def potential(client):
    return ClientPotential.objects.create(
        client=client, year=2026, total_demand=Decimal("1000"), basis="b", achievable_share=50
    )


def editor(name, own_kwargs, foreign_kwargs, method="get"):
    return Route(
        name,
        own=own_kwargs,
        foreign=foreign_kwargs,
        allowed=DOSSIER_EDITORS,
        method=method,
        ok_status=(200,) if method == "get" else (302,),
    )


def strategy_data(w):
    return {"strategy": "Expand", "needs": "Reliable supply", "how_we_help": "Logistics"}


def potential_data(w):
    return {"year": 2027, "total_demand": "500", "basis": "plan", "achievable_share": "20"}


def api_client(w):
    return {"client_id": w.own.pk}


def api_foreign_client(w):
    return {"client_id": w.foreign.pk}


def api_route(name, allowed, method="get", **extra):
    """A JSON API route (bearer token); the member sees but may not write (403), the outsider
    does not see the client at all (404)."""
    return Route(
        name,
        api=True,
        allowed=allowed,
        method=method,
        content_type=None if method == "get" else JSON,
        **({"own": api_client, "foreign": api_foreign_client} | extra),
    )


ROUTES = [
    # The register of every potential: each reader gets the rows of their own clients.
    Route("potential:export", allowed=EVERYONE),
    Route("potential:tab", own=own, foreign=foreign, allowed=DOSSIER_READERS),
    editor("potential:create", own, foreign),
    editor("potential:strategy_edit", own, foreign),
    editor(
        "potential:edit",
        lambda w: {"pk": potential(w.own).pk},
        lambda w: {"pk": potential(w.foreign).pk},
    ),
    editor(
        "potential:delete",
        lambda w: {"pk": potential(w.own).pk},
        lambda w: {"pk": potential(w.foreign).pk},
        method="post",
    ),
    # Writes by POST: the member reads the tab but gets 403; the outsider 404.
    Route(
        "potential:create",
        own=own,
        foreign=foreign,
        allowed=DOSSIER_EDITORS,
        method="post",
        data=potential_data,
        ok_status=(302,),
    ),
    Route(
        "potential:strategy_edit",
        own=own,
        foreign=foreign,
        allowed=DOSSIER_EDITORS,
        method="post",
        data=strategy_data,
        ok_status=(302,),
    ),
    # --- JSON API (bearer token) -------------------------------------------------------------
    api_route("api:potential_list", DOSSIER_READERS),
    api_route(
        "api:potential_create",
        DOSSIER_EDITORS,
        method="post",
        data=potential_data,
        ok_status=(201,),
    ),
    api_route(
        "api:potential_detail",
        DOSSIER_READERS,
        own=lambda w: {"potential_id": potential(w.own).pk},
        foreign=lambda w: {"potential_id": potential(w.foreign).pk},
    ),
    api_route(
        "api:potential_update",
        DOSSIER_EDITORS,
        method="patch",
        own=lambda w: {"potential_id": potential(w.own).pk},
        foreign=lambda w: {"potential_id": potential(w.foreign).pk},
        data=lambda w: {"achievable_share": "30"},
    ),
    api_route("api:client_whitespace", DOSSIER_READERS),
    api_route("api:strategy_detail", DOSSIER_READERS),
    api_route("api:strategy_update", DOSSIER_EDITORS, method="put", data=strategy_data),
]
