"""Key-client list and profile: everyone reads the rows of the clients they may see; the director
and KAMs rescore; the director edits the profile. The same in the API."""

from .matrix import DIRECTOR_ONLY, DOSSIER_READERS, EVERYONE, Route

RESCORERS = frozenset({"director", "kam", "outsider"})  # the outsider is another KAM
JSON = "application/json"


def hidden_client(w):
    """A client name the current persona must not see in the list."""
    return w.own.name if w.persona == "outsider" else w.foreign.name


def _criteria(action):
    def data(w):
        return {
            "c-TOTAL_FORMS": "1",
            "c-INITIAL_FORMS": "0",
            "c-0-metric": "revenue",
            "c-0-weight": "1",
            "c-0-normalisation": "minmax",
            "note": "Revenue only",
            "action": action,
        }

    return data


def _api_criteria(w):
    return {"criteria": [{"metric": "revenue", "weight": 1}], "note": "Revenue only"}


def director_only(name, **kwargs):
    return Route(name, allowed=DIRECTOR_ONLY, denied_status=lambda p: 403, **kwargs)


ROUTES = [
    Route("keyprofile:list", allowed=EVERYONE, hidden_from_list=hidden_client),
    Route("keyprofile:export", allowed=EVERYONE),
    Route(
        "keyprofile:rescore",
        method="post",
        allowed=RESCORERS,
        ok_status=(302,),
        denied_status=lambda p: 403,
    ),
    director_only("keyprofile:edit"),
    director_only("keyprofile:edit", method="post", data=_criteria("preview")),
    director_only("keyprofile:edit", method="post", data=_criteria("save"), ok_status=(302,)),
    # --- API ------------------------------------------------------------------------------------
    Route("api:keyprofile_active", api=True),
    Route("api:keyprofile_versions", api=True),
    director_only(
        "api:keyprofile_preview", api=True, method="post", content_type=JSON, data=_api_criteria
    ),
    director_only(
        "api:keyprofile_save",
        api=True,
        method="post",
        content_type=JSON,
        data=_api_criteria,
        ok_status=(201,),
    ),
    Route("api:score_list", api=True, hidden_from_list=hidden_client),
    Route(
        "api:score_run_latest",
        api=True,
        own=lambda w: _scored(w),
    ),
    Route(
        "api:client_score_history",
        api=True,
        own=lambda w: {"client_id": w.own.pk},
        foreign=lambda w: {"client_id": w.foreign.pk},
        allowed=DOSSIER_READERS,
    ),
    Route(
        "api:score_rescore",
        api=True,
        method="post",
        content_type=JSON,
        allowed=RESCORERS,
        ok_status=(201,),
        denied_status=lambda p: 403,
    ),
]


def _scored(w):
    """The latest scoring exists (made on first use) so the route answers 200."""
    from kam.keyprofile.services import ensure_scored

    ensure_scored()
    return {}
