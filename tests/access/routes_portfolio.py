from kam.clients.models import Client

from .matrix import DIRECTOR_ONLY, Route


def reassigned(kwarg):
    """``done``: the client now belongs to the outsider, as the posted data asks."""

    def done(w, kwargs):
        return Client.objects.get(pk=kwargs[kwarg]).owner_id == w.outsider.pk

    return done


JSON = "application/json"


def company_only(name, **kwargs):
    return Route(name, allowed=DIRECTOR_ONLY, denied_status=lambda p: 403, **kwargs)


def hidden_key_client(w):
    """A key client's name the current persona must not see in their portfolio."""
    return w.own.name if w.persona == "outsider" else w.foreign.name


ROUTES = [
    Route("portfolio:mine", hidden_from_list=hidden_key_client),
    company_only("portfolio:load"),
    Route(
        "portfolio:kam",
        own=lambda w: {"pk": w.kam.pk},
        foreign=lambda w: {"pk": w.outsider.pk},
        allowed=frozenset({"director", "kam"}),
        denied_status=lambda p: 404,
    ),
    company_only("portfolio:reassign", own=lambda w: {"pk": w.own.pk}),
    company_only(
        "portfolio:reassign",
        own=lambda w: {"pk": w.own.pk},
        method="post",
        data=lambda w: {"owner": w.outsider.pk, "reason": "Rebalancing the load"},
        ok_status=(302,),
        done=reassigned("pk"),
    ),
    # The same rows as the page; CSV so the matrix can look for the hidden name.
    Route("portfolio:export", data=lambda w: {"format": "csv"}, hidden_from_list=hidden_key_client),
    # --- the JSON API (bearer tokens) ------------------------------------------------------------
    Route("api:portfolio_list", api=True, hidden_from_list=hidden_key_client),
    company_only("api:portfolio_load", api=True),
    Route(
        "api:client_reassign",
        api=True,
        method="post",
        content_type=JSON,
        own=lambda w: {"client_id": w.own.pk},
        foreign=lambda w: {"client_id": w.foreign.pk},
        data=lambda w: {"owner": w.outsider.pk, "reason": "Rebalancing the load"},
        allowed=DIRECTOR_ONLY,
        done=reassigned("client_id"),
        # Those who see the client get 403; the outsider does not see it: 404.
    ),
]
