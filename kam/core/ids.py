"""Ids, offsets and dates as a request may carry them: bounded where they enter, not in the
database. A number the database cannot hold (2^63 and up: every key is a 64-bit BigAutoField,
DEFAULT_AUTO_FIELD, on SQLite and PostgreSQL alike) used to reach the query and fail there with
a server error; here it is refused before anything is looked up.

- API: :data:`Id` and :data:`Offset` publish their range in the OpenAPI schema; an out-of-range
  value is a 422 naming the parameter. :data:`Date` accepts only ``YYYY-MM-DD`` (pydantic alone
  also takes a number as seconds since 1970, so ``date_to=0`` meant 1 January 1970).
- Pages: the ``<id:pk>`` path converter matches only ids in range (anything else is a 404), and
  :func:`query_id` reads an id from a query string, refusing what is not one.
"""

import datetime as dt
import re
from typing import Annotated

from django.http import QueryDict
from django.utils.translation import gettext as _
from pydantic import BeforeValidator, Field

MAX_ID = 2**63 - 1
"""The largest key the database holds (a signed 64-bit integer)."""

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
"""An object id in a path, a query or a payload."""

Offset = Annotated[int, Field(ge=0, le=MAX_ID)]
"""Items to skip: the database's OFFSET is a signed 64-bit integer too."""

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value):
    if isinstance(value, dt.date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value  # pydantic checks that the day exists
    raise ValueError(_("Enter a date as YYYY-MM-DD."))


Date = Annotated[dt.date, BeforeValidator(_iso_date)]
"""A calendar date written ``YYYY-MM-DD``; a number or any other spelling is a 422."""


def parse_id(value: str | None) -> int | None:
    """``value`` as an id when it is one (ASCII digits, in range), else None."""
    if value is None or not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


class BadQueryId(ValueError):
    """A query-string parameter that should name an object by id does not."""

    def __init__(self, name: str, value: str) -> None:
        self.name, self.value = name, value
        super().__init__(
            _("“%(value)s” is not a valid id for “%(name)s”.") % {"value": value, "name": name}
        )


def query_id(query: QueryDict, name: str) -> int | None:
    """The id in ``?name=``: None when absent or blank; :class:`BadQueryId` when it is not an
    id the database could hold (the view answers 400 saying which parameter)."""
    value = query.get(name, "").strip()
    if not value:
        return None
    number = parse_id(value)
    if number is None:
        raise BadQueryId(name, value)
    return number


class IdConverter:
    """``<id:pk>`` in page URLs: like ``<int:…>`` but only ids the database can hold, so a huge
    number in the address bar is a 404 instead of an overflow in the query."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValueError(value)  # Django tries the next pattern, then answers 404
        return number

    def to_url(self, value) -> str:
        return str(int(value))
