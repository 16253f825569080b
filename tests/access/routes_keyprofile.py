"""Key-client list and profile: everyone reads the rows of the clients they may see; the director
and KAMs rescore; the director edits the profile. The same in the API."""

from kam.keyprofile import services
from kam.keyprofile.models import KeyProfile, ScoringRun

from .matrix import DIRECTOR_ONLY, DOSSIER_READERS, EVERYONE, READ_ONLY, Route, exists

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


def _profiled(w):
    """The default profile exists: its first reader would create it (a write on first read)."""
    services.active_profile()
    return {}


def _scored(w):
    """The latest scoring exists (its first reader would make it) so reading writes nothing."""
    services.ensure_scored()
    return {}


#: A profile version of ``_criteria`` / ``_api_criteria`` was saved and is the active one.
_saved = exists(KeyProfile, note="Revenue only", is_active=True)
#: Someone asked for a scoring by hand (``_profiled`` does not score).
_rescored = exists(ScoringRun, trigger="manual")


ROUTES = [
    Route("keyprofile:list", own=_scored, allowed=EVERYONE, hidden_from_list=hidden_client),
    Route("keyprofile:export", own=_scored, allowed=EVERYONE),
    Route(
        "keyprofile:rescore",
        own=_profiled,
        method="post",
        allowed=RESCORERS,
        ok_status=(302,),
        denied_status=lambda p: 403,
        done=_rescored,
    ),
    director_only("keyprofile:edit", own=_profiled),
    director_only(
        "keyprofile:edit",
        own=_profiled,
        method="post",
        data=_criteria("preview"),
        done=READ_ONLY,
    ),
    director_only(
        "keyprofile:edit",
        own=_profiled,
        method="post",
        data=_criteria("save"),
        ok_status=(302,),
        done=_saved,
    ),
    # --- API ------------------------------------------------------------------------------------
    Route("api:keyprofile_active", own=_profiled, api=True),
    Route("api:keyprofile_versions", own=_profiled, api=True),
    director_only(
        "api:keyprofile_preview",
        own=_profiled,
        api=True,
        method="post",
        content_type=JSON,
        data=_api_criteria,
        done=READ_ONLY,
    ),
    director_only(
        "api:keyprofile_save",
        own=_profiled,
        api=True,
        method="post",
        content_type=JSON,
        data=_api_criteria,
        ok_status=(201,),
        done=_saved,
    ),
    Route("api:score_list", own=_scored, api=True, hidden_from_list=hidden_client),
    Route(
        "api:score_run_latest",
        api=True,
        own=_scored,
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
        own=_profiled,
        method="post",
        content_type=JSON,
        allowed=RESCORERS,
        ok_status=(201,),
        denied_status=lambda p: 403,
        done=_rescored,
    ),
]
