"""Input validation and normalisation of transaction frames.

Every public function of the analytics core passes its input through
:func:`validate_transactions`, so a malformed frame fails early with an error naming the column.
"""

from __future__ import annotations

import polars as pl

from kam.analytics import schema as s

_NUMERIC_KINDS = (
    pl.Int8,
    pl.Int16,
    pl.Int32,
    pl.Int64,
    pl.UInt8,
    pl.UInt16,
    pl.UInt32,
    pl.UInt64,
    pl.Float32,
    pl.Float64,
    pl.Decimal,
)


class AnalyticsInputError(ValueError):
    """A frame given to the analytics core lacks a column or has a malformed one.

    Parameters
    ----------
    message
        Human-readable explanation; it always names the column.
    column
        The offending column.
    """

    def __init__(self, message: str, column: str) -> None:
        super().__init__(message)
        self.column = column


def _is_numeric(dtype: pl.DataType) -> bool:
    return any(dtype == kind or isinstance(dtype, kind) for kind in _NUMERIC_KINDS)


def require_columns(frame: pl.DataFrame, columns: tuple[str, ...] | list[str], what: str) -> None:
    """Raise :class:`AnalyticsInputError` naming the first of ``columns`` missing from ``frame``.

    Parameters
    ----------
    frame
        Any frame.
    columns
        Names that must be present.
    what
        What the frame is ("transactions", "client attributes"…), for the message.
    """
    for name in columns:
        if name not in frame.columns:
            raise AnalyticsInputError(
                f"{what}: missing column '{name}' (columns present: {', '.join(frame.columns)})",
                name,
            )


def numeric_column(frame: pl.DataFrame, name: str, what: str = "transactions") -> pl.Expr:
    """Check that ``name`` is numeric and without nulls; return it cast to Float64.

    Raises
    ------
    AnalyticsInputError
        When the column is missing, not numeric, or has nulls.
    """
    require_columns(frame, (name,), what)
    dtype = frame.schema[name]
    if not _is_numeric(dtype):
        raise AnalyticsInputError(f"{what}: column '{name}' must be numeric, got {dtype}", name)
    nulls = frame.get_column(name).null_count()
    if nulls:
        raise AnalyticsInputError(f"{what}: column '{name}' has {nulls} empty value(s)", name)
    return pl.col(name).cast(pl.Float64)


def validate_transactions(frame: pl.DataFrame, *, need_margin: bool = False) -> pl.DataFrame:
    """Check a transactions frame and return it normalised.

    The result has ``client_id`` (type kept as given), ``date`` as ``pl.Date`` (datetimes are
    truncated to their date) and ``amount`` as ``Float64``; ``cost`` and ``margin``, when present,
    become ``Float64`` too. Other columns pass through untouched.

    Parameters
    ----------
    frame
        Transactions: at least ``client_id``, ``date``, ``amount``.
    need_margin
        Also require a margin: a ``margin`` column, or a ``cost`` column (margin = amount − cost).

    Returns
    -------
    pl.DataFrame
        The normalised frame.

    Raises
    ------
    AnalyticsInputError
        Naming the missing or malformed column: a missing column, a date column that is not a
        date, a non-numeric amount/cost/margin, or empty values in a required column.
    """
    if not isinstance(frame, pl.DataFrame):
        raise AnalyticsInputError(
            f"transactions must be a polars DataFrame, got {type(frame).__name__}", s.CLIENT
        )
    require_columns(frame, s.REQUIRED, "transactions")
    if need_margin and s.MARGIN not in frame.columns and s.COST not in frame.columns:
        raise AnalyticsInputError(
            f"transactions: margin basis needs a '{s.MARGIN}' or a '{s.COST}' column "
            f"(columns present: {', '.join(frame.columns)})",
            s.COST,
        )
    client_nulls = frame.get_column(s.CLIENT).null_count()
    if client_nulls:
        raise AnalyticsInputError(
            f"transactions: column '{s.CLIENT}' has {client_nulls} empty value(s)", s.CLIENT
        )

    date_type = frame.schema[s.DATE]
    if date_type == pl.Date:
        date_expr = pl.col(s.DATE)
    elif isinstance(date_type, pl.Datetime):
        date_expr = pl.col(s.DATE).dt.date()
    else:
        raise AnalyticsInputError(
            f"transactions: column '{s.DATE}' must be a date, got {date_type}", s.DATE
        )
    date_nulls = frame.get_column(s.DATE).null_count()
    if date_nulls:
        raise AnalyticsInputError(
            f"transactions: column '{s.DATE}' has {date_nulls} empty value(s)", s.DATE
        )

    exprs = [date_expr.alias(s.DATE), numeric_column(frame, s.AMOUNT)]
    for optional in (s.COST, s.MARGIN):
        if optional in frame.columns:
            exprs.append(numeric_column(frame, optional))
    return frame.with_columns(exprs)


def margin_expr(frame: pl.DataFrame) -> pl.Expr:
    """The per-line margin: the ``margin`` column if present, else ``amount − cost``.

    Raises
    ------
    AnalyticsInputError
        When neither ``margin`` nor ``cost`` is present.
    """
    if s.MARGIN in frame.columns:
        return pl.col(s.MARGIN)
    if s.COST in frame.columns:
        return pl.col(s.AMOUNT) - pl.col(s.COST)
    raise AnalyticsInputError(
        f"transactions: margin basis needs a '{s.MARGIN}' or a '{s.COST}' column", s.COST
    )


def by_value() -> list[pl.Expr]:
    """Sort keys of clients by value, highest first (sort ``descending=[True, False]``): the value
    to the cent, then the id.

    Sums of the same lines differ in their last bits from run to run (Polars adds in parallel):
    two clients equal to the cent swapped places between runs.
    """
    return [pl.col(s.VALUE).round(2), pl.col(s.CLIENT)]
