"""A snapshot of every table, to prove that a request changed nothing."""

from django.apps import apps
from django.contrib.sessions.models import Session

from kam.core.models import ApiToken

#: What any request may change without changing data: the session store, and when a token was
#: last used (authentication writes it, at most once a minute).
IGNORED_TABLES = {Session}
IGNORED_COLUMNS = {ApiToken: {"last_used_at"}}


def db_state() -> dict[str, list[tuple]]:
    """Every row of every table (in primary-key order), by model label."""
    state = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if model in IGNORED_TABLES or not meta.managed or meta.proxy:
            continue
        skip = IGNORED_COLUMNS.get(model, set())
        columns = [f.attname for f in meta.concrete_fields if f.name not in skip]
        state[meta.label] = list(model._base_manager.order_by("pk").values_list(*columns))
    return state


def changed_tables(before: dict, after: dict) -> dict[str, tuple[list, list]]:
    """The tables whose rows differ, with the rows only before / only after."""
    diff = {}
    for label in before.keys() | after.keys():
        old, new = before.get(label, []), after.get(label, [])
        if old != new:
            diff[label] = ([r for r in old if r not in new], [r for r in new if r not in old])
    return diff
