from decimal import Decimal

from kam.potential.models import ClientPotential

from .matrix import DOSSIER_EDITORS, DOSSIER_READERS, Route


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


ROUTES = [
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
]
