from axes.models import AccessAttempt
from django.conf import settings

from kam.core.models import ApiToken, LoginUnlock, User

from .matrix import DIRECTOR_ONLY, PUBLIC, Route


def signed_in_user(w) -> User | None:
    """The persona's user as the database has it now; None when signed out."""
    user = getattr(w, w.persona)
    if user is None:
        return None
    user = User.objects.get(pk=user.pk)
    return user if user.is_active else None


def own_token(w) -> ApiToken:
    """The persona's own token; signed out (no usable token), the KAM's."""
    return w.tokens.get(w.persona) or w.tokens["kam"]


def logged_out(w, kwargs):
    if w.persona == "anonymous":
        return None  # nothing to end
    return "_auth_user_id" not in w.http.session


def language_switched(w, kwargs):
    cookie = w.http.cookies.get(settings.LANGUAGE_COOKIE_NAME)
    user = signed_in_user(w)
    return bool(cookie and cookie.value == "ru" and (user is None or user.language == "ru"))


def token_named(name):
    def done(w, kwargs):
        return ApiToken.objects.filter(user=getattr(w, w.persona), name=name).exists()

    return done


def token_revoked(kwarg):
    def done(w, kwargs):
        return ApiToken.objects.get(pk=kwargs[kwarg]).revoked_at is not None

    return done


def locked_out(w) -> dict:
    """The KAM's login from 127.0.0.1 is locked after five failures."""
    AccessAttempt.objects.create(
        username="kam",
        ip_address="127.0.0.1",
        user_agent="test",
        http_accept="*/*",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        failures_since_start=5,
    )
    return {}


def unlocked(w, kwargs):
    return (
        LoginUnlock.objects.filter(username="kam", unlocked_by=w.director).exists()
        and not AccessAttempt.objects.filter(username="kam").exists()
    )


ROUTES = [
    Route("home", ok_status=(302,), allowed=PUBLIC),
    Route("favicon", ok_status=(301,), allowed=PUBLIC),
    Route("login", ok_status=(200, 302), allowed=PUBLIC),
    Route("logout", method="post", ok_status=(302,), allowed=PUBLIC, done=logged_out),
    Route(
        "set_language",
        method="post",
        data=lambda w: {"language": "ru"},
        ok_status=(302,),
        allowed=PUBLIC,
        done=language_switched,
    ),
    Route("tokens"),
    Route(
        "tokens",
        method="post",
        data=lambda w: {"name": "script"},
        done=token_named("script"),
    ),
    Route(
        "token_revoke",
        method="post",
        own=lambda w: {"pk": own_token(w).pk},
        ok_status=(302,),
        done=token_revoked("pk"),
        # Someone else's token is a 404 for everyone, the director included.
        foreign=lambda w: {"pk": w.tokens["outsider" if w.persona != "outsider" else "kam"].pk},
        extra={"foreign_for_director": True},
    ),
    # The login throttle's locks: directors only; anyone else is refused outright.
    Route("lockouts", allowed=DIRECTOR_ONLY, denied_status=lambda persona: 403),
    Route(
        "lockout_unlock",
        method="post",
        own=locked_out,
        data=lambda w: {"username": "kam", "ip_address": "127.0.0.1"},
        done=unlocked,
        allowed=DIRECTOR_ONLY,
        ok_status=(302,),
        denied_status=lambda persona: 403,
    ),
]
