from .matrix import DOSSIER_EDITORS, Route

#: Key decisions and type confirmation: the director and the client's own KAM only.
DECIDERS = frozenset({"director", "kam"})


def own(w):
    return {"pk": w.own.pk}


def foreign(w):
    return {"pk": w.foreign.pk}


def post(name, allowed, data):
    return Route(
        name,
        own=own,
        foreign=foreign,
        allowed=allowed,
        method="post",
        data=data,
        ok_status=(302,),
    )


ROUTES = [
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
    ),
    Route("qualification:decide", own=own, foreign=foreign, allowed=DECIDERS),
    post("qualification:decide", DECIDERS, lambda w: {"is_key": "0", "reason": "Review"}),
    Route("qualification:type", own=own, foreign=foreign, allowed=DECIDERS),
    post(
        "qualification:type",
        DECIDERS,
        lambda w: {"client_type": "expert", "reason": "Demanding on quality"},
    ),
]
