"""Small builders for hand-computable transaction fixtures."""

from __future__ import annotations

import datetime as dt

import polars as pl


def d(text: str) -> dt.date:
    """``"2024-01-31"`` → a date."""
    return dt.date.fromisoformat(text)


def tx(rows: list[tuple[object, str, float]], **extra: list[float]) -> pl.DataFrame:
    """A transactions frame from ``(client_id, "YYYY-MM-DD", amount)`` tuples."""
    frame = pl.DataFrame(
        {
            "client_id": [r[0] for r in rows],
            "date": [d(r[1]) for r in rows],
            "amount": [float(r[2]) for r in rows],
        }
    )
    if extra:
        frame = frame.with_columns(pl.Series(k, v, dtype=pl.Float64) for k, v in extra.items())
    return frame


def monthly(client: object, start: str, amounts: list[float]) -> list[tuple[object, str, float]]:
    """One line on the 15th of each consecutive month from ``start`` ("YYYY-MM"); zero skipped."""
    year, month = (int(p) for p in start.split("-"))
    rows: list[tuple[object, str, float]] = []
    for amount in amounts:
        if amount:
            rows.append((client, f"{year:04d}-{month:02d}-15", amount))
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return rows
