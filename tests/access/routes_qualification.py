from kam.clients.models import Client
from kam.qualification.models import KeyDecision, Qualification

from .matrix import DOSSIER_EDITORS, DOSSIER_READERS, EVERYONE, Route

JSON = "application/json"

#: Key decisions and type confirmation: the director and the client's own KAM only.
DECIDERS = frozenset({"director", "kam"})


def own(w):
    return {"pk": w.own.pk}


def foreign(w):
    return {"pk": w.foreign.pk}


def post(name, allowed, data, done):
    return Route(
        name,
        own=own,
        foreign=foreign,
        allowed=allowed,
        method="post",
        data=data,
        ok_status=(302,),
        done=lambda w, kwargs: done(kwargs["pk"]),
    )


def need_confirmed(client_id) -> bool:
    return Qualification.objects.filter(client_id=client_id, need_status="confirmed").exists()


def reviewed(client_id) -> bool:
    return KeyDecision.objects.filter(client_id=client_id, reason="Review").exists()


def an_expert(client_id) -> bool:
    return Client.objects.get(pk=client_id).client_type == "expert"


def api_route(name, allowed, method="get", data=lambda w: {}, ok_status=(200,), done=None):
    """A JSON API route (bearer token) on ``own`` / ``foreign``: a persona that sees the client
    but may not act gets 403, the outsider 404."""
    return Route(
        name,
        api=True,
        own=lambda w: {"client_id": w.own.pk},
        foreign=lambda w: {"client_id": w.foreign.pk},
        allowed=allowed,
        method=method,
        content_type=None if method == "get" else JSON,
        data=data,
        ok_status=ok_status,
        done=done and (lambda w, kwargs: done(kwargs["client_id"])),
    )


def qualification_data(w):
    return {
        "need_status": "confirmed",
        "need_evidence": "Asked for a quote",
        "solvency_status": "unknown",
        "solvency_evidence": "",
        "authority_status": "unknown",
        "authority_evidence": "",
    }


def _decisions(w):
    """A recorded decision on each client: the log must show only the reader's ones."""
    from kam.qualification.models import KeyDecision

    if not KeyDecision.objects.exists():
        for client, by in ((w.own, w.kam), (w.foreign, w.outsider)):
            KeyDecision.objects.create(
                client=client, decided_by=by, is_key=True, reason=f"Reason for {client.name}"
            )
    return {}


def _hidden_decision(w):
    return "Reason for " + (w.own.name if w.persona == "outsider" else w.foreign.name)


ROUTES = [
    Route("qualification:log", own=_decisions, allowed=EVERYONE, hidden_from_list=_hidden_decision),
    Route("qualification:log_export", own=_decisions, allowed=EVERYONE),
    Route("qualification:edit", own=own, foreign=foreign, allowed=DOSSIER_EDITORS),
    post(
        "qualification:edit",
        DOSSIER_EDITORS,
        lambda w: {
            "need_status": "confirmed",
            "need_evidence": "Asked for a quote",
            "solvency_status": "unknown",
            "authority_status": "unknown",
        },
        need_confirmed,
    ),
    Route("qualification:decide", own=own, foreign=foreign, allowed=DECIDERS),
    post("qualification:decide", DECIDERS, lambda w: {"is_key": "0", "reason": "Review"}, reviewed),
    Route("qualification:type", own=own, foreign=foreign, allowed=DECIDERS),
    post(
        "qualification:type",
        DECIDERS,
        lambda w: {"client_type": "expert", "reason": "Demanding on quality"},
        an_expert,
    ),
    # --- JSON API (bearer token) -------------------------------------------------------------
    api_route("api:qualification_detail", DOSSIER_READERS),
    api_route(
        "api:qualification_update",
        DOSSIER_EDITORS,
        method="put",
        data=qualification_data,
        done=need_confirmed,
    ),
    api_route("api:key_decision_list", DOSSIER_READERS),
    api_route(
        "api:key_decision_create",
        DECIDERS,
        method="post",
        data=lambda w: {"is_key": False, "reason": "Review"},
        ok_status=(201,),
        done=reviewed,
    ),
    api_route(
        "api:client_type_confirm",
        DECIDERS,
        method="post",
        data=lambda w: {"client_type": "expert", "reason": "Demanding on quality"},
        done=an_expert,
    ),
]
