from .matrix import DIRECTOR_ONLY, Route


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
    ),
]
