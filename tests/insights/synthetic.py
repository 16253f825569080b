"""Small seeded transaction histories for the `kam analyze` tests and a look at the output."""

import datetime as dt

import numpy as np
import polars as pl

START = dt.date(2023, 1, 1)
END = dt.date(2024, 12, 31)

#: Client ids the tests look for: one stopped buying, one looks like a formula, one is new.
STOPPED = "C-STOP"
FORMULA = "=HYPERLINK(1)"
LEADING_ZERO = "007"
NEWCOMER = "C-NEW"


def history(clients: int = 60, seed: int = 7, end: dt.date = END) -> pl.DataFrame:
    """``client_id, date, amount, cost, product`` — about ``clients`` × 2 years of lines.

    Most clients buy as Poisson processes with their own rate and spend; ``STOPPED`` buys
    weekly until March 2024 and then never again; ``NEWCOMER`` starts in October 2024;
    ``FORMULA`` and ``LEADING_ZERO`` are ordinary buyers with awkward ids.
    """
    rng = np.random.default_rng(seed)
    days = (end - START).days + 1
    ids = [f"C-{i:03d}" for i in range(1, clients - 3)] + [FORMULA, LEADING_ZERO]
    rows: dict[str, list] = {"client_id": [], "date": [], "amount": [], "cost": [], "product": []}

    def buy(client: str, offsets: np.ndarray, scale: float, sigma: float = 0.4) -> None:
        amounts = np.round(rng.lognormal(np.log(scale), sigma, offsets.size), 2)
        rows["client_id"] += [client] * offsets.size
        rows["date"] += [START + dt.timedelta(days=int(d)) for d in offsets]
        rows["amount"] += amounts.tolist()
        rows["cost"] += np.round(amounts * rng.uniform(0.6, 0.85, offsets.size), 2).tolist()
        rows["product"] += [f"P-{int(p)}" for p in rng.integers(1, 40, offsets.size)]

    for i, client in enumerate(ids):
        scale = float(rng.lognormal(9.5, 1.0))
        if i % 3 == 0:  # a steady client: small orders every two or three days
            offsets = np.cumsum(rng.integers(2, 4, days // 2))
            buy(client, offsets[offsets < days], scale / 8, sigma=0.1)
            continue
        per_month = rng.gamma(1.5, 1.5) + 0.2
        start = int(rng.integers(0, 200))
        n = max(1, int(rng.poisson(per_month * (days - start) / 30.4)))
        buy(client, np.sort(rng.integers(start, days, n)), scale)
    stop = (dt.date(2024, 3, 1) - START).days
    buy(STOPPED, np.arange(3, stop, 7), 40_000.0)
    new_from = (dt.date(2024, 10, 1) - START).days
    buy(NEWCOMER, np.sort(rng.integers(new_from, days, 6)), 20_000.0)
    return pl.DataFrame(rows).sort("date", "client_id")


def write_csv(frame: pl.DataFrame, path, *, russian: bool = False) -> None:
    """Write a history as an English CSV, or with Russian headers and number/date formats."""
    if not russian:
        frame.write_csv(path)
        return
    money = [f"{v:,.2f}".replace(",", "\u00a0").replace(".", ",") for v in frame["amount"]]
    cost = [f"{v:,.2f}".replace(",", " ").replace(".", ",") for v in frame["cost"]]
    pl.DataFrame(
        {
            "Код клиента": frame["client_id"],
            "Дата документа": [d.strftime("%d.%m.%Y") for d in frame["date"]],
            "Сумма": money,
            "Себестоимость": cost,
            "Артикул": frame["product"],
        }
    ).write_csv(path, separator=";")
