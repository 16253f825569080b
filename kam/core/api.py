"""Shared pieces of the JSON API. ``kam/api.py`` assembles it; routers live beside their apps.

- The error format: ``{"detail": "…"}``; for 422 ``{"detail": [{"field": …, "message": …}]}``,
  whether the request failed schema validation or the model's own validation.
- Pagination: ``limit``/``offset`` with the total ``count``, at most 500 items a page.
- Reference ids in payloads, resolved under the access rule: an id the user cannot see is
  answered exactly like an id that does not exist ("Unknown client.").
- Partial-update (PATCH) schemas derived from the create schemas.
- Output types: money as a string with two decimals, related objects as ``{id, name}``.
- Optimistic locking: a detail GET and every write answer an ``ETag`` (a hash of the
  representation); a write sent with ``If-Match`` is refused with 412 when the object changed
  since (kam.core.locking).
"""

import copy
import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet, TextChoices
from django.http import Http404, HttpResponse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as RequestValidationError
from ninja.pagination import LimitOffsetPagination, PaginationBase
from ninja.params import functions as param
from pydantic import BeforeValidator, ConfigDict, PlainSerializer, create_model

from .ids import Offset
from .locking import IfMatch, PreconditionFailed
from .models import User

MAX_LIMIT = 500
DEFAULT_LIMIT = 100

# --- output types --------------------------------------------------------------------------

Money = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str)]
"""A money amount, serialised as a string with two decimals: ``"1234.50"``."""

Quantity = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.3f}", return_type=str)]
"""A quantity, serialised as a string with three decimals: ``"12.500"``."""


def _iso_text(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("a date is written as text: YYYY-MM-DD")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_text)]
"""A date in a payload, only as ``"YYYY-MM-DD"`` (pydantic would take 0 as 1970-01-01)."""


class UserRef(Schema):
    """A user as it appears inside other objects."""

    id: int
    name: str

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.get_full_name() or obj.username


# --- errors --------------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str


class FieldError(Schema):
    field: str | None = Field(
        description="The payload field or query parameter; null for the object as a whole."
    )
    message: str


class ValidationErrorOut(Schema):
    detail: list[FieldError]


class PreconditionFailedOut(Schema):
    detail: str
    etag: str = Field(
        description="The object's current ETag: read it again (GET) and retry with this one."
    )


ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}
"""Error responses common to the operations, for the OpenAPI description."""

WRITE_ERRORS = {**ERRORS, 412: PreconditionFailedOut}
"""The errors of a change of an existing object: also 412 for a stale ``If-Match``."""

READ_ERRORS = {401: ErrorOut, 404: ErrorOut}
"""The errors of a read: not signed in, or not an object you may see."""

LIST_ERRORS = {**READ_ERRORS, 422: ValidationErrorOut}
"""The errors of a list: also 422 for a bad filter or page."""

_LOCATIONS = {"body", "query", "path", "header", "cookie", "form", "file"}

_UNSAFE = {"post", "put", "patch", "delete"}


def _answer(description: str, schema: type[Schema]) -> dict:
    ref = {"$ref": f"#/components/schemas/{schema.__name__}"}
    return {"description": description, "content": {"application/json": {"schema": ref}}}


def add_common_responses(schema: dict) -> dict:
    """Publish the errors every operation of a shape can answer, whichever router it is in.

    They come from the shared machinery, not from the views, so they are derived here from what
    the operation takes (a route only declares the errors of its own rules, e.g. a 403 for
    a write reserved to the director): a bearer token or session → 401; unsafe methods with a
    session need the CSRF token → 403; any parameter or body can fail validation → 422; a path
    id can name something you cannot see → 404; a body can be malformed JSON, and any query
    string or body can hold NUL characters (kam.core.middleware) → 400; an ``If-Match`` header
    can be stale → 412.
    """
    for operations in schema["paths"].values():
        for method, operation in operations.items():
            params = operation.get("parameters", [])
            places = {p["in"] for p in params}
            headers = {p["name"] for p in params if p["in"] == "header"}
            has_body = "requestBody" in operation
            common = {}
            if operation.get("security"):
                common[401] = _answer(_("No valid bearer token or session."), ErrorOut)
            if method in _UNSAFE:
                common[403] = _answer(_("Refused: a rule or a missing CSRF token."), ErrorOut)
            # Any query string is checked for NUL characters, declared parameters or not.
            common[400] = _answer(_("Malformed JSON, or a NUL character."), ErrorOut)
            if "path" in places:
                common[404] = _answer(_("No such object, or one you may not see."), ErrorOut)
            if params or has_body:
                common[422] = _answer(_("Invalid parameters or payload."), ValidationErrorOut)
            if "If-Match" in headers:
                common[412] = _answer(
                    _("Changed since the ETag in If-Match."), PreconditionFailedOut
                )
            responses = operation["responses"]
            for status, answer in common.items():
                responses.setdefault(status, answer)
            # Keys as the JSON has them, in order, so the published document reads stably.
            operation["responses"] = {
                str(k): responses[k] for k in sorted(responses, key=lambda k: int(k))
            }
    return schema


def django_error_detail(exc: DjangoValidationError) -> list[dict]:
    if hasattr(exc, "error_dict"):
        return [
            {"field": None if field == NON_FIELD_ERRORS else field, "message": message}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    return [{"field": None, "message": message} for message in exc.messages]


def request_error_detail(exc: RequestValidationError) -> list[dict]:
    """Ninja's pydantic errors (``loc=("body", "payload", "name")``) in the one error format."""
    detail = []
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", ())]
        if loc and loc[0] in _LOCATIONS:
            location, loc = loc[0], loc[1:]
            if location == "body" and loc:
                loc = loc[1:]  # the name of the view's body parameter
        detail.append({"field": ".".join(loc) or None, "message": error.get("msg", "")})
    return detail


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(request, status: int, detail, **headers):
        response = api.create_response(request, {"detail": detail}, status=status)
        for name, value in headers.items():
            response[name] = value
        return response

    def unauthorized(request, exc):
        return respond(
            request,
            401,
            _("Authentication required: send “Authorization: Bearer <token>”."),
            **{"WWW-Authenticate": 'Bearer realm="api"'},
        )

    def forbidden(request, exc):
        return respond(request, 403, str(exc) or _("You may not do this."))

    def not_found(request, exc):
        return respond(request, 404, _("Not found."))

    def http_error(request, exc: HttpError):
        # Ninja raises HttpError for exactly these two; say it in the user's language.
        message = {
            400: _("The request body is not valid JSON."),
            403: _("CSRF check failed: send the CSRF token, or use a bearer token."),
        }.get(exc.status_code, str(exc))
        return respond(request, exc.status_code, message)

    def precondition_failed(request, exc: PreconditionFailed):
        if exc.last is not None and exc.last.when is not None:
            detail = _(
                "Changed since you read it: last by %(who)s at %(when)s. Read it again and "
                "send your change with its new ETag."
            ) % {
                "who": exc.last.who or _("someone"),
                "when": formats.date_format(
                    timezone.localtime(exc.last.when), "SHORT_DATETIME_FORMAT"
                ),
            }
        else:
            detail = _(
                "Changed since you read it. Read it again and send your change with its new ETag."
            )
        response = api.create_response(request, {"detail": detail, "etag": exc.etag}, status=412)
        response["ETag"] = exc.etag
        return response

    # Ninja types a handler's argument as `Exc | type[Exc]`; it is always passed an instance.
    api.add_exception_handler(PreconditionFailed, precondition_failed)  # type: ignore[arg-type]
    api.add_exception_handler(AuthenticationError, unauthorized)
    api.add_exception_handler(HttpError, http_error)  # type: ignore[arg-type]
    api.add_exception_handler(PermissionDenied, forbidden)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(
        DjangoValidationError,
        lambda r, exc: respond(r, 422, django_error_detail(exc)),  # type: ignore[arg-type]
    )
    api.add_exception_handler(
        RequestValidationError,
        lambda r, exc: respond(r, 422, request_error_detail(exc)),  # type: ignore[arg-type]
    )


def choice_label(choices: type[TextChoices], value: str) -> str:
    """The label of ``value`` as ``get_FOO_display()`` gives it, without its cost per row: that
    rebuilds the field's choices and translates every label on each call (a page of 100 rows
    spent ~30 ms on three labels). An unknown value is its own label, as there."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


# --- pagination ----------------------------------------------------------------------------


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page.")
    offset: Offset = Field(0, description="Items to skip.")


def last_page_total(offset: int, limit: int, items: list) -> int | None:
    """The total of a list whose page at ``offset`` holds ``items``, when the page tells it: a
    page that is not full is the last one, so nothing needs counting every row again."""
    if len(items) < limit and (items or offset == 0):
        return offset + len(items)
    return None


class Pagination(LimitOffsetPagination):
    """``?limit=&offset=``; the response carries ``items`` and the total ``count``."""

    Input = PageParams  # type: ignore[assignment]  # ninja accepts any Schema as Input

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=MAX_LIMIT, **kwargs)

    def paginate_queryset(self, queryset, pagination, request, **params):
        start, limit = pagination.offset, pagination.limit
        items = list(queryset[start : start + limit])
        total = last_page_total(start, limit, items)
        return {"items": items, "count": self._items_count(queryset) if total is None else total}


class NextPagePagination(PaginationBase):
    """``?limit=&offset=`` without a total: the response carries ``items`` and ``next_offset``
    (``null`` on the last page), found by reading one row more than the page. For lists that
    grow with the company (sales lines): counting every matching row costs more than the page."""

    Input = PageParams  # type: ignore[assignment]  # ninja accepts any Schema as Input

    class Output(Schema):
        items: list[Any]
        next_offset: int | None = Field(
            description="The offset of the next page; null when this page is the last."
        )

    def paginate_queryset(self, queryset, pagination, request, **params):
        start, limit = pagination.offset, pagination.limit
        rows = list(queryset[start : start + limit + 1])
        more = len(rows) > limit
        return {"items": rows[:limit], "next_offset": start + limit if more else None}


# --- payloads ------------------------------------------------------------------------------


class Payload(Schema):
    """Base of request bodies: a misspelt field is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")

    def changes(self) -> dict:
        """The fields the client actually sent."""
        return self.model_dump(exclude_unset=True)


def patch_schema(schema: type[Payload], name: str, *, exclude: AbstractSet[str] = frozenset()):
    """``schema`` with every field optional: PATCH changes only the fields it sends.

    A field that may not be null in ``schema`` may not be null in the patch either: leaving it
    out keeps the value, sending ``null`` is a validation error.
    """
    fields: dict[str, Any] = {}  # (annotation, FieldInfo) pairs for create_model
    for field_name, info in schema.model_fields.items():
        if field_name in exclude:
            continue
        optional = copy.copy(info)
        optional.default = None
        optional.default_factory = None
        fields[field_name] = (info.annotation, optional)
    return create_model(
        name,
        __base__=Payload,
        __doc__=f"Partial update: send only the fields to change ({schema.__name__}).",
        **fields,
    )


def resolve_refs(data: dict, refs: Mapping[str, tuple[QuerySet, str]]) -> dict:
    """Replace the ids in ``data`` by objects; ``refs`` maps field → (queryset, message).

    Each queryset holds what the acting user may see, so an id outside it is reported with the
    same message as an id that does not exist. ``None`` (clearing a link) is kept as is.
    """
    errors = {}
    for field, (queryset, message) in refs.items():
        pk = data.get(field)
        if pk is None:
            continue
        obj = queryset.filter(pk=pk).first()
        if obj is None:
            errors[field] = DjangoValidationError(message, code="unknown")
        else:
            data[field] = obj
    if errors:
        raise DjangoValidationError(errors)
    return data


def known_users() -> QuerySet:
    """Users a payload may name (owner, assistant, relationship owner): active accounts."""
    return User.objects.filter(is_active=True)


def require(allowed: bool, message: str) -> None:
    """Refuse with 403 before looking at the payload; the services check again when writing."""
    if not allowed:
        raise PermissionDenied(message)


# --- optimistic locking: ETag and If-Match --------------------------------------------------------

IfMatchHeader = Annotated[
    str | None,
    param.Header(
        None,
        alias="If-Match",
        description=(
            "The ETag you last read (from a GET or a previous change). If the object changed "
            "since, nothing is written and the answer is 412 with the current ETag. Without it "
            "only the fields you send change."
        ),
    ),
]


def etag(request, schema: type[Schema], obj) -> str:
    """A strong ETag of ``obj`` as ``schema`` shows it to this request (user, language)."""
    body = schema.from_orm(obj, context={"request": request}).model_dump_json()
    return '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'


def tagged(request, response: HttpResponse, schema: type[Schema], obj):
    """Return ``obj`` with its ETag in the (temporal) ``response``'s headers."""
    response["ETag"] = etag(request, schema, obj)
    return obj


def if_match(
    request, header: str | None, schema: type[Schema], shown: Callable[[Any], Any]
) -> IfMatch | None:
    """The service's ``base`` from an ``If-Match`` ``header`` (None without one).
    ``shown(locked)`` reads the locked object as the GET shows it, for its current ETag."""
    if not header:
        return None
    return IfMatch(header, lambda locked: etag(request, schema, shown(locked)))
