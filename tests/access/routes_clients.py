import datetime as dt

from kam.clients.models import CompetitorPresence, TeamMembership, Tender

from ..factories import make_competitor
from .matrix import DOSSIER_EDITORS, DOSSIER_READERS, Route


def own(w):
    return {"pk": w.own.pk}


def foreign(w):
    return {"pk": w.foreign.pk}


def hidden_client(w):
    """The name of a client the current persona must not see in a list."""
    return w.own.name if w.persona == "outsider" else w.foreign.name


def presence(client):
    return CompetitorPresence.objects.create(client=client, competitor=make_competitor())


def tender(client):
    return Tender.objects.create(client=client, date=dt.date(2025, 3, 1), subject="Cement supply")


def membership(client, user):
    return TeamMembership.objects.create(client=client, user=user, function="finance")


def client_tab(name):
    return Route(f"clients:{name}", own=own, foreign=foreign, allowed=DOSSIER_READERS)


def editor_get(name, own_kwargs, foreign_kwargs):
    return Route(name, own=own_kwargs, foreign=foreign_kwargs, allowed=DOSSIER_EDITORS)


def editor_post(name, own_kwargs, foreign_kwargs):
    return Route(
        name,
        own=own_kwargs,
        foreign=foreign_kwargs,
        allowed=DOSSIER_EDITORS,
        method="post",
        ok_status=(302,),
    )


ROUTES = [
    Route("clients:list", hidden_from_list=hidden_client),
    Route("clients:export", data=lambda w: {"format": "csv"}, hidden_from_list=hidden_client),
    Route(
        "clients:create",
        allowed=frozenset({"director", "kam", "outsider"}),
        denied_status=lambda p: 403,
    ),
    *(client_tab(t) for t in ("detail", "contacts", "competitors", "tenders", "purchases")),
    client_tab("history"),
    editor_get("clients:edit", own, foreign),
    editor_get("clients:contact_create", own, foreign),
    editor_get(
        "clients:contact_edit",
        lambda w: {"pk": w.own_contact.pk},
        lambda w: {"pk": w.foreign_contact.pk},
    ),
    editor_post(
        "clients:contact_delete",
        lambda w: {"pk": w.own_contact.pk},
        lambda w: {"pk": w.foreign_contact.pk},
    ),
    editor_get("clients:presence_create", own, foreign),
    editor_get(
        "clients:presence_edit",
        lambda w: {"pk": presence(w.own).pk},
        lambda w: {"pk": presence(w.foreign).pk},
    ),
    editor_post(
        "clients:presence_delete",
        lambda w: {"pk": presence(w.own).pk},
        lambda w: {"pk": presence(w.foreign).pk},
    ),
    editor_get("clients:tender_create", own, foreign),
    editor_get(
        "clients:tender_edit",
        lambda w: {"pk": tender(w.own).pk},
        lambda w: {"pk": tender(w.foreign).pk},
    ),
    editor_post(
        "clients:tender_delete",
        lambda w: {"pk": tender(w.own).pk},
        lambda w: {"pk": tender(w.foreign).pk},
    ),
    editor_get("clients:team_add", own, foreign),
    editor_get(
        "clients:team_edit",
        lambda w: {"pk": membership(w.own, w.director).pk},
        lambda w: {"pk": membership(w.foreign, w.director).pk},
    ),
    editor_post(
        "clients:team_remove",
        lambda w: {"pk": membership(w.own, w.director).pk},
        lambda w: {"pk": membership(w.foreign, w.director).pk},
    ),
]
