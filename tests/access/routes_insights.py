"""Analytics (kam.insights): everyone signed in sees the page, limited to their clients; only the
director recomputes. A client's analytics card and API row are a 404 for anyone who cannot see
the client."""

from kam.insights.models import AnalyticsRun
from kam.insights.services import recompute
from tests.factories import make_sale

from .matrix import DIRECTOR_ONLY, DOSSIER_READERS, EVERYONE, Route, exists


def _computed(world):
    """Sales for both clients and one recompute, made once per test."""
    if not getattr(world, "computed", False):
        make_sale(world.own, world.product, document_number="AN-OWN")
        make_sale(world.foreign, world.product, document_number="AN-FOREIGN")
        recompute()
        world.computed = True


def _own(world):
    _computed(world)
    return {"pk": world.own.pk}


def _foreign(world):
    _computed(world)
    return {"pk": world.foreign.pk}


def _own_api(world):
    _computed(world)
    return {"client_id": world.own.pk}


def _foreign_api(world):
    _computed(world)
    return {"client_id": world.foreign.pk}


def _listed(world):
    _computed(world)
    return {}


def _hidden(w):
    return w.own.name if w.persona == "outsider" else w.foreign.name


ROUTES = [
    Route("insights:overview", own=_listed, hidden_from_list=_hidden),
    Route("insights:export", own=_listed, allowed=EVERYONE),
    Route(
        "insights:recompute",
        allowed=DIRECTOR_ONLY,
        method="post",
        ok_status=(302,),
        denied_status=lambda persona: 403,
        done=exists(AnalyticsRun),
    ),
    Route("insights:settings", allowed=DIRECTOR_ONLY, denied_status=lambda persona: 403),
    Route("insights:client_card", own=_own, foreign=_foreign, allowed=DOSSIER_READERS),
    Route("api:analytics_client_list", own=_listed, api=True, hidden_from_list=_hidden),
    Route(
        "api:analytics_client_detail",
        own=_own_api,
        foreign=_foreign_api,
        allowed=DOSSIER_READERS,
        api=True,
        denied_status=lambda persona: 404,
    ),
    Route("api:analytics_run_latest", own=_listed, api=True),
]
