import datetime as dt

from kam.clients.forms import ClientForm, ContactForm
from kam.clients.models import Client, CompetitorPresence, Contact, TeamMembership, Tender

from ..factories import make_competitor, make_user
from ..forms import form_data
from .matrix import DOSSIER_EDITORS, DOSSIER_READERS, Route, exists, field_is, gone

KAMS = frozenset({"director", "kam", "outsider"})  # the outsider is another KAM


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
    return TeamMembership.objects.get_or_create(client=client, user=user, function="finance")[0]


def client_tab(name):
    return Route(f"clients:{name}", own=own, foreign=foreign, allowed=DOSSIER_READERS)


def editor_get(name, own_kwargs, foreign_kwargs):
    return Route(name, own=own_kwargs, foreign=foreign_kwargs, allowed=DOSSIER_EDITORS)


def editor_post(name, own_kwargs, foreign_kwargs, done, data=lambda w: {}):
    return Route(
        name,
        own=own_kwargs,
        foreign=foreign_kwargs,
        allowed=DOSSIER_EDITORS,
        method="post",
        data=data,
        ok_status=(302,),
        done=done,
    )


# --- what the forms post ----------------------------------------------------------------------


def client_edit_data(w):
    """The client's form as the director sees it (owner included: others' forms ignore it),
    with a new region."""
    return form_data(ClientForm(instance=w.own, by=w.director), region="Far North")


def client_region_is(value):
    def done(w, kwargs):
        return Client.objects.get(pk=kwargs["pk"]).region == value

    return done


def contact_data(w):
    return form_data(ContactForm(client=w.own), full_name="Posted Person", influence=3)


def contact_edit_data(w):
    contact = w.own_contact
    return form_data(ContactForm(instance=contact, client=contact.client), position="CFO")


def team_candidate(w):
    """A user on nobody's team, for the team-add form."""
    if not hasattr(w, "candidate"):
        w.candidate = make_user("candidate")
    return w.candidate


def added(model, **lookup):
    """``done``: the client the URL names has a record like this."""

    def done(w, kwargs):
        values = {k: v(w) if callable(v) else v for k, v in lookup.items()}
        return model.objects.filter(client_id=kwargs["pk"], **values).exists()

    return done


def own_contact(w):
    return {"pk": w.own_contact.pk}


def foreign_contact(w):
    return {"pk": w.foreign_contact.pk}


ROUTES = [
    Route("clients:list", hidden_from_list=hidden_client),
    # The pickers' search: every client name here starts "Client", so all would match.
    Route("clients:search", data=lambda w: {"q": "Client"}, hidden_from_list=hidden_client),
    Route("clients:export", data=lambda w: {"format": "csv"}, hidden_from_list=hidden_client),
    Route("clients:create", allowed=KAMS, denied_status=lambda p: 403),
    Route(
        "clients:create",
        method="post",
        # The director's form asks for an owner; a KAM's form has no such field.
        data=lambda w: {
            "name": "Posted Co",
            "erp_code": "POSTED-1",
            "status": "active",
            "owner": w.kam.pk,
        },
        allowed=KAMS,
        ok_status=(302,),
        denied_status=lambda p: 403,
        done=exists(Client, erp_code="POSTED-1"),
    ),
    *(client_tab(t) for t in ("detail", "contacts", "competitors", "tenders", "purchases")),
    client_tab("history"),
    editor_get("clients:edit", own, foreign),
    editor_post("clients:edit", own, foreign, client_region_is("Far North"), client_edit_data),
    editor_get("clients:contact_create", own, foreign),
    editor_post(
        "clients:contact_create",
        own,
        foreign,
        added(Contact, full_name="Posted Person"),
        contact_data,
    ),
    editor_get(
        "clients:contact_edit",
        own_contact,
        foreign_contact,
    ),
    editor_post(
        "clients:contact_edit",
        own_contact,
        foreign_contact,
        field_is(Contact, "pk", "position", "CFO"),
        contact_edit_data,
    ),
    editor_post(
        "clients:contact_delete",
        own_contact,
        foreign_contact,
        gone(Contact),
    ),
    editor_get("clients:presence_create", own, foreign),
    editor_post(
        "clients:presence_create",
        own,
        foreign,
        added(CompetitorPresence, competitor__name="Posted Rival"),
        lambda w: {"new_competitor": "Posted Rival", "strength": "3"},
    ),
    editor_get(
        "clients:presence_edit",
        lambda w: {"pk": presence(w.own).pk},
        lambda w: {"pk": presence(w.foreign).pk},
    ),
    editor_post(
        "clients:presence_edit",
        lambda w: {"pk": presence(w.own).pk},
        lambda w: {"pk": presence(w.foreign).pk},
        field_is(CompetitorPresence, "pk", "notes", "Cheaper since March"),
        lambda w: {
            "new_competitor": "Posted Rival",
            "strength": "3",
            "notes": "Cheaper since March",
        },
    ),
    editor_post(
        "clients:presence_delete",
        lambda w: {"pk": presence(w.own).pk},
        lambda w: {"pk": presence(w.foreign).pk},
        gone(CompetitorPresence),
    ),
    editor_get("clients:tender_create", own, foreign),
    editor_post(
        "clients:tender_create",
        own,
        foreign,
        added(Tender, subject="Posted tender"),
        lambda w: {"date": "2025-04-01", "subject": "Posted tender", "result": "pending"},
    ),
    editor_get(
        "clients:tender_edit",
        lambda w: {"pk": tender(w.own).pk},
        lambda w: {"pk": tender(w.foreign).pk},
    ),
    editor_post(
        "clients:tender_edit",
        lambda w: {"pk": tender(w.own).pk},
        lambda w: {"pk": tender(w.foreign).pk},
        field_is(Tender, "pk", "result", "won"),
        lambda w: {"date": "2025-03-01", "subject": "Cement supply", "result": "won"},
    ),
    editor_post(
        "clients:tender_delete",
        lambda w: {"pk": tender(w.own).pk},
        lambda w: {"pk": tender(w.foreign).pk},
        gone(Tender),
    ),
    editor_get("clients:team_add", own, foreign),
    editor_get(
        "clients:team_edit",
        lambda w: {"pk": membership(w.own, w.director).pk},
        lambda w: {"pk": membership(w.foreign, w.director).pk},
    ),
    editor_post(
        "clients:team_add",
        own,
        foreign,
        added(TeamMembership, user=team_candidate),
        lambda w: {"user": team_candidate(w).pk, "function": "logistics"},
    ),
    editor_post(
        "clients:team_remove",
        lambda w: {"pk": membership(w.own, w.director).pk},
        lambda w: {"pk": membership(w.foreign, w.director).pk},
        gone(TeamMembership),
    ),
]
