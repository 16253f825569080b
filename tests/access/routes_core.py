from .matrix import EVERYONE, Route

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
]
