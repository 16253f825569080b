"""Which client a sales line or a contact is for: by ERP code, else ИНН, else exact name.

ERP exports name the counterparty in different ways: a code, the ИНН, the name as the ERP
writes it. A row may give any of them; the first that finds one of the user's clients wins, in
that order. The lookup is set-based: the clients the user sees are read once into three dicts
and each column is mapped through them with Polars, so a million lines cost no query per row.
A row that finds no client is reported naming every key it gave, in one message — the same for
"no such client" and "a client you may not see", which must not be told apart.
"""

import polars as pl
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import values
from ..columns import Column
from .base import Context, fill

CODE, INN, NAME = "client", "client_inn", "client_name"
KEYS = (CODE, INN, NAME)
SHOWN = "__client_given"  # the key the row gave first, as written: for messages
AMBIGUOUS = -1  # a name several clients share: it tells no client


def columns(code_synonyms: tuple[str, ...]) -> list[Column]:
    """The client's code, ИНН and name; a file needs one of them (the code's synonyms differ
    between kinds)."""
    return [
        Column(
            CODE,
            gettext_lazy("client code"),
            code_synonyms,
            values.text(64),
            gettext_lazy("A code as in your ERP; or give the client's INN or name instead."),
            "C-0001",
            required=True,
            alternatives=(INN, NAME),
        ),
        Column(
            INN,
            gettext_lazy("client INN"),
            (
                "инн",
                "инн контрагента",
                "инн клиента",
                "инн покупателя",
                "inn",
                "client inn",
                "customer inn",
                "tax id",
            ),
            values.text(64),
            gettext_lazy("10 or 12 digits; used when the code is not given or not found."),
            "7742186531",
        ),
        Column(
            NAME,
            gettext_lazy("client name"),
            (
                "контрагент",
                "покупатель",
                "клиент",
                "наименование клиента",
                "наименование контрагента",
                "client name",
                "customer name",
                "counterparty",
            ),
            values.text(300),
            gettext_lazy(
                "The client's name or legal name exactly as stored; used when neither the code "
                "nor the INN finds the client."
            ),
            "ООО «СтройИнвест»",
        ),
    ]


def match(ctx: Context, rows: pl.DataFrame, clients: QuerySet) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``rows`` with ``client_id`` (and :data:`SHOWN`) added, and the errors of rows that find
    no client among ``clients``."""
    present = [key for key in KEYS if key in ctx.mapping.present]
    by_code: dict[str, int] = {}
    by_inn: dict[str, int] = {}
    by_name: dict[str, int] = {}
    for pk, code, inn, *names in clients.values_list("pk", "erp_code", "inn", "name", "legal_name"):
        by_code[code] = pk
        if inn:
            by_inn[inn] = pk
        for name in set(names) - {""}:
            by_name[name] = pk if by_name.get(name, pk) == pk else AMBIGUOUS
    given = {
        CODE: (pl.col(CODE), by_code),
        # 1C writes an ИНН as it is; a spreadsheet may group its digits with spaces.
        INN: (pl.col(INN).str.replace_all(r"\s", ""), by_inn),
        NAME: (pl.col(NAME), by_name),
    }
    rows = rows.with_columns(
        given[key][0]
        .replace_strict(given[key][1], default=None, return_dtype=pl.Int64)
        .alias(f"__{key}")
        for key in present
    )
    found = [pl.when(pl.col(f"__{key}") != AMBIGUOUS).then(pl.col(f"__{key}")) for key in present]
    rows = rows.with_columns(
        pl.coalesce(found).alias("client_id"),
        pl.coalesce(pl.col(present)).alias(SHOWN),
    )
    errors = _errors(ctx, rows.filter(pl.col("client_id").is_null()), present)
    return rows.drop(f"__{key}" for key in present), errors


def _errors(ctx: Context, unmatched: pl.DataFrame, present: list[str]) -> pl.DataFrame:
    """One error per row without a client, blamed on the first key column the row fills."""
    parts = {
        CODE: fill(_("ERP code “%(code)s”"), code=pl.col(CODE)),
        INN: fill(_("INN %(inn)s"), inn=pl.col(INN)),
        NAME: pl.when(pl.col(f"__{NAME}").fill_null(0) != AMBIGUOUS).then(
            fill(_("name “%(name)s”"), name=pl.col(NAME))
        ),
    }
    tried = pl.concat_list([parts[key] for key in present]).list.drop_nulls()
    count = tried.list.len()
    keys = (
        pl.when(count == 1)
        .then(tried.list.first())
        .otherwise(
            fill(
                _("%(first)s or %(last)s"),
                first=tried.list.head(count - 1).list.join(", "),
                last=tried.list.last(),
            )
        )
    )
    not_found = pl.when(count > 0).then(
        fill(_("No client with %(keys)s among the clients you can see."), keys=keys)
    )
    reason: pl.Expr = not_found
    if NAME in present:
        shared = pl.when(pl.col(f"__{NAME}") == AMBIGUOUS).then(
            fill(
                _("Several of your clients are named “%(name)s”; give the ERP code or the INN."),
                name=pl.col(NAME),
            )
        )
        reason = pl.concat_str([not_found, shared], separator=" ", ignore_nulls=True)
    unmatched = unmatched.with_columns(
        pl.when(pl.col(SHOWN).is_null())
        .then(pl.lit(_("The row names no client: give its ERP code, INN or name.")))
        .otherwise(reason)
        .alias("__reason")
    )
    errors = [ctx.flag(unmatched, pl.col(SHOWN).is_null(), present[0], pl.col("__reason"))]
    before: list[str] = []
    for key in present:
        first = pl.col(key).is_not_null() & pl.all_horizontal(
            [pl.col(b).is_null() for b in before] or [pl.lit(True)]
        )
        errors.append(ctx.flag(unmatched, first, key, pl.col("__reason")))
        before.append(key)
    return pl.concat(errors)


def blamed(ctx: Context) -> str:
    """The key column errors about a row's client point at: the first the file has."""
    return next(key for key in KEYS if key in ctx.mapping.present)
