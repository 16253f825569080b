from decimal import Decimal

from kam.potential.forms import PotentialForm
from kam.potential.models import ClientPotential, ClientStrategy

from ..forms import form_data
from .matrix import DOSSIER_EDITORS, DOSSIER_READERS, EVERYONE, Route, field_is, gone

JSON = "application/json"


def own(w):
    return {"pk": w.own.pk}


def foreign(w):
    return {"pk": w.foreign.pk}


def potential(client):
    return ClientPotential.objects.get_or_create(
        client=client,
        year=2026,
        defaults={"total_demand": Decimal("1000"), "basis": "b", "achievable_share": 50},
    )[0]


def editor(name, own_kwargs, foreign_kwargs, method="get", **extra):
    return Route(
        name,
        own=own_kwargs,
        foreign=foreign_kwargs,
        allowed=DOSSIER_EDITORS,
        method=method,
        ok_status=(200,) if method == "get" else (302,),
        **extra,
    )


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
        "potential:edit",
        own_potential,
        foreign_potential,
        method="post",
        data=lambda w: potential_edit_data(w) | {"basis": "Posted basis"},
        done=field_is(ClientPotential, "pk", "basis", "Posted basis"),
    ),
    editor(
        "potential:delete",
        lambda w: {"pk": potential(w.own).pk},
        lambda w: {"pk": potential(w.foreign).pk},
        method="post",
        done=gone(ClientPotential),
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
        done=potential_posted("pk"),
    ),
    Route(
        "potential:strategy_edit",
        own=own,
        foreign=foreign,
        allowed=DOSSIER_EDITORS,
        method="post",
        data=strategy_data,
        ok_status=(302,),
        done=strategy_posted("pk"),
    ),
    # --- JSON API (bearer token) -------------------------------------------------------------
    api_route("api:potential_list", DOSSIER_READERS),
    api_route(
        "api:potential_create",
        DOSSIER_EDITORS,
        method="post",
        data=potential_data,
        ok_status=(201,),
        done=potential_posted("client_id"),
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
        done=field_is(ClientPotential, "potential_id", "achievable_share", Decimal("30")),
    ),
    api_route("api:client_whitespace", DOSSIER_READERS),
    api_route("api:strategy_detail", DOSSIER_READERS),
    api_route(
        "api:strategy_update",
        DOSSIER_EDITORS,
        method="put",
        data=strategy_data,
        done=strategy_posted("client_id"),
    ),
]
