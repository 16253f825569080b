"""How the API knows who is calling, and the endpoints to manage one's own tokens.

Two ways in, tried in order:

1. ``Authorization: Bearer kam_…`` — a personal token (kam.core.models.ApiToken). Only the hash is
   looked up; revoked tokens and tokens of deactivated users do not work. A header that is present
   but wrong is a 401 even when a session cookie comes along: explicit credentials never fall back.
2. The Django session, so that /api/docs works in the browser of a logged-in user. Unsafe methods
   need the CSRF token, as everywhere else on the site.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from ninja import Router, Schema
from ninja.errors import AuthenticationError
from ninja.responses import Status
from ninja.security import HttpBearer, django_auth

from .api import ERRORS, ErrorOut, Payload, ValidationErrorOut
from .db import unless_busy
from .forms import ApiTokenForm
from .ids import Id
from .models import ApiToken

LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class ApiTokenAuth(HttpBearer):
    """A personal API token sent as ``Authorization: Bearer <token>``."""

    def __call__(self, request: HttpRequest):
        user = super().__call__(request)
        if user is None and "Authorization" in request.headers:
            # A header was sent and did not authenticate: do not try the session instead.
            raise AuthenticationError()
        return user

    def authenticate(self, request: HttpRequest, token: str):
        if not token:
            return None
        api_token = (
            ApiToken.objects.active()
            .select_related("user")
            .filter(key_hash=ApiToken.hash_key(token))
            .first()
        )
        if api_token is None:
            return None
        now = timezone.now()
        if api_token.last_used_at is None or now - api_token.last_used_at >= LAST_USED_RESOLUTION:
            # At most one write a minute per token, whatever the request rate, and never a wait:
            # a read must not queue behind another user's long write for this bookkeeping.
            unless_busy(lambda: ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now))
        user = api_token.user
        request.user = user  # for code that reads request.user (audit middleware, templates)
        request.api_token = api_token  # type: ignore[attr-defined]  # for this request's views
        if user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return user


api_auth = [ApiTokenAuth(), django_auth]
"""The ``auth`` of every operation: a bearer token, else the session (with CSRF)."""


# --- token endpoints -----------------------------------------------------------------------


class TokenOut(Schema):
    id: int
    name: str
    hint: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    is_active: bool


class TokenCreatedOut(TokenOut):
    key: str


class TokenIn(Payload):
    name: str


router = Router(tags=["tokens"])


@router.get(
    "/tokens",
    response={200: list[TokenOut], 401: ErrorOut},
    url_name="token_list",
    summary="List your API tokens",
)
def token_list(request):
    """Your own tokens, newest first, revoked ones included. Keys are never shown again."""
    return request.auth.api_tokens.all()


@router.post(
    "/tokens",
    response={201: TokenCreatedOut, 401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut},
    url_name="token_create",
    summary="Create an API token",
)
def token_create(request, payload: TokenIn):
    """Returns the new token with its ``key``: copy it now, it is shown only once."""
    form = ApiTokenForm({"name": payload.name})
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    token, key = ApiToken.issue(user=request.auth, name=form.cleaned_data["name"])
    token.key = key  # type: ignore[attr-defined]  # not a field: TokenCreatedOut shows it once
    return Status(201, token)


@router.post(
    "/tokens/{token_id}/revoke",
    response={200: TokenOut, **{k: v for k, v in ERRORS.items() if k != 422}},
    url_name="token_revoke",
    summary="Revoke one of your API tokens",
)
def token_revoke(request, token_id: Id):
    """Revoked tokens stop working at once. Someone else's token, or a revoked one, is a 404."""
    token = get_object_or_404(request.auth.api_tokens.filter(revoked_at__isnull=True), pk=token_id)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    return token
