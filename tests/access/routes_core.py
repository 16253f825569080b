from .matrix import DIRECTOR_ONLY, EVERYONE, Route

ROUTES = [
    Route("home", ok_status=(302,), allowed=EVERYONE),
    Route("login", ok_status=(200, 302)),
    Route("logout", method="post", ok_status=(302,)),
    Route("set_language", method="post", data=lambda w: {"language": "en"}, ok_status=(302,)),
    Route("tokens"),
    Route(
        "token_revoke",
        method="post",
        own=lambda w: {"pk": w.tokens[w.persona].pk},
        ok_status=(302,),
        # Someone else's token is a 404 for everyone, the director included.
        foreign=lambda w: {"pk": w.tokens["outsider" if w.persona != "outsider" else "kam"].pk},
        extra={"foreign_for_director": True},
    ),
    # The login throttle's locks: directors only; anyone else is refused outright.
    Route("lockouts", allowed=DIRECTOR_ONLY, denied_status=lambda persona: 403),
    Route(
        "lockout_unlock",
        method="post",
        data=lambda w: {"username": "kam", "ip_address": "127.0.0.1"},
        allowed=DIRECTOR_ONLY,
        ok_status=(302,),
        denied_status=lambda persona: 403,
    ),
]
