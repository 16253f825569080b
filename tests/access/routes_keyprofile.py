"""Key-client list and profile: director and KAMs read (own rows only); the director edits."""

from .matrix import DIRECTOR_ONLY, Route

READERS = frozenset({"director", "kam", "outsider"})


def hidden_client(w):
    """A client name the current persona must not see in the list."""
    return w.own.name if w.persona == "outsider" else w.foreign.name


def _criteria(action):
    def data(w):
        body = {
            "c-TOTAL_FORMS": "1",
            "c-INITIAL_FORMS": "0",
            "c-0-metric": "revenue",
            "c-0-weight": "1",
            "c-0-normalisation": "minmax",
            "note": "Revenue only",
            "action": action,
        }
        return body

    return data


def director_only(name, **kwargs):
    return Route(name, allowed=DIRECTOR_ONLY, denied_status=lambda p: 403, **kwargs)


ROUTES = [
    Route(
        "keyprofile:list",
        allowed=READERS,
        denied_status=lambda p: 403,
        hidden_from_list=hidden_client,
    ),
    Route("keyprofile:export", allowed=READERS, denied_status=lambda p: 403),
    director_only("keyprofile:edit"),
    director_only("keyprofile:edit", method="post", data=_criteria("preview")),
    director_only("keyprofile:edit", method="post", data=_criteria("save"), ok_status=(302,)),
]
