"""SQLite with Unicode-aware LIKE, so a search for «цемент» finds «Цемент», and exact money sums.

SQLite's built-in LIKE folds case for ASCII only, which breaks every case-insensitive search
(`icontains`) on Cyrillic text. SQLite also sums decimals as binary floats. PostgreSQL needs
nothing of this.
"""

import decimal
import re
from functools import lru_cache

from django.db.backends.sqlite3 import base, operations
from django.db.models.expressions import Col


@lru_cache(maxsize=256)
def _like_regex(pattern: str, escape: str | None) -> re.Pattern:
    parts, chars = [], iter(pattern)
    for char in chars:
        if escape and char == escape:
            parts.append(re.escape(next(chars, "")))
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL | re.IGNORECASE)


def unicode_like(pattern, value, escape=None):
    if pattern is None or value is None:
        return None
    return _like_regex(str(pattern).casefold(), escape).fullmatch(str(value).casefold()) is not None


class DatabaseOperations(operations.DatabaseOperations):
    def get_decimalfield_converter(self, expression):
        """Round computed decimals (sums, subqueries, Coalesce…) to their field's places.

        SQLite adds decimals as floats: 87 × 0.07 comes back as 6.090000000000005. Django rounds
        that to 15 significant digits, 6.09000000000001, and rounds to the field's places only
        for plain columns; so a sum of money reached exports and sums with float noise. Every
        addend has at most the field's places, so the rounded float is the exact decimal sum.
        """
        places = expression.output_field.decimal_places
        if isinstance(expression, Col) or places is None:
            return super().get_decimalfield_converter(expression)
        create_decimal = decimal.Context(prec=15).create_decimal_from_float
        quantum = decimal.Decimal(1).scaleb(-places)

        def converter(value, expression, connection):
            if value is not None:
                return create_decimal(value).quantize(quantum, context=decimal.Context(prec=40))

        return converter


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        connection.create_function("like", 2, unicode_like, deterministic=True)
        connection.create_function("like", 3, unicode_like, deterministic=True)
        return connection
