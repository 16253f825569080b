from collections import defaultdict
from dataclasses import dataclass

import polars as pl
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.clients.models import Attitude, Client, Contact, DecisionRole
from kam.core.access import can_edit_client
from kam.core.models import Role

from .. import values
from ..columns import Column
from ..models import ImportKind
from . import counterparties
from .base import (
    SAME,
    TEXT_HINT,
    Changes,
    Context,
    Kind,
    blank,
    fetch,
    loops,
    one_of,
    row_values,
)

ROLE_WORDS = {
    "лпр": DecisionRole.DECISION_MAKER,
    "лицо принимающее решение": DecisionRole.DECISION_MAKER,
    "принимает решение": DecisionRole.DECISION_MAKER,
    "экономический покупатель": DecisionRole.ECONOMIC_BUYER,
    "финансовый покупатель": DecisionRole.ECONOMIC_BUYER,
    "влияющий": DecisionRole.INFLUENCER,
    "агент влияния": DecisionRole.INFLUENCER,
    "пользователь": DecisionRole.USER,
    "привратник": DecisionRole.GATEKEEPER,
    "секретарь": DecisionRole.GATEKEEPER,
    "чемпион": DecisionRole.CHAMPION,
    "спонсор": DecisionRole.CHAMPION,
    "champion": DecisionRole.CHAMPION,
    "sponsor": DecisionRole.CHAMPION,
}
ATTITUDE_WORDS = {
    "противник": Attitude.OPPONENT,
    "скептик": Attitude.SCEPTIC,
    "skeptic": Attitude.SCEPTIC,
    "нейтральный": Attitude.NEUTRAL,
    "нейтрален": Attitude.NEUTRAL,
    "лоялен": Attitude.FAVOURABLE,
    "лояльный": Attitude.FAVOURABLE,
    "благосклонный": Attitude.FAVOURABLE,
    "favorable": Attitude.FAVOURABLE,
    "сторонник": Attitude.SUPPORTER,
}
PLAIN = (
    "external_id",
    "full_name",
    "position",
    "department",
    "email",
    "phone",
    "decision_role",
    "influence",
    "attitude",
)


@dataclass
class Plan:
    rows: list[dict]
    existing: dict[tuple, Contact]
    ids: dict[tuple, int]


def _key(row: dict) -> tuple:
    """A contact is the same person by external id, else by full name, within its client."""
    if row["external_id"]:
        return row["client_id"], row["external_id"]
    return row["client_id"], None, row["full_name"]


class Contacts(Kind):
    name = ImportKind.CONTACTS
    columns = [
        *counterparties.columns(("client code", "код клиента", "client", "client erp code")),
        Column(
            "external_id",
            gettext_lazy("external id"),
            ("external id", "id", "внешний id", "внешний код", "код контакта", "contact id"),
            values.text(64),
            gettext_lazy("The person's id in your ERP or CRM; optional."),
            "P-17",
        ),
        Column(
            "full_name",
            gettext_lazy("full name"),
            ("full name", "name", "фио", "имя", "контакт", "contact"),
            values.text(200),
            TEXT_HINT,
            "Иванов Иван Иванович",
            required=True,
        ),
        Column(
            "position",
            gettext_lazy("position"),
            ("position", "title", "job title", "должность"),
            values.text(200),
            TEXT_HINT,
            "Директор по закупкам",
        ),
        Column(
            "department",
            gettext_lazy("department"),
            ("department", "отдел", "подразделение"),
            values.text(200),
            TEXT_HINT,
            "Закупки",
        ),
        Column(
            "email",
            gettext_lazy("email"),
            ("email", "e-mail", "почта", "электронная почта"),
            values.email(),
            TEXT_HINT,
            "ivanov@example.ru",
        ),
        Column(
            "phone",
            gettext_lazy("phone"),
            ("phone", "телефон", "тел"),
            values.text(50),
            TEXT_HINT,
            "+7 495 123-45-67",
        ),
        Column(
            "decision_role",
            gettext_lazy("role in decisions"),
            ("role in decisions", "role", "decision role", "роль", "роль в принятии решений"),
            values.choice(
                values.choice_words(DecisionRole, ROLE_WORDS), DecisionRole.labels, pl.String
            ),
            one_of(DecisionRole),
            "decision_maker",
        ),
        Column(
            "influence",
            gettext_lazy("influence"),
            ("influence", "влияние"),
            values.integer(1, 5),
            gettext_lazy("1 = little … 5 = decisive."),
            4,
            keep_when_empty=True,
        ),
        Column(
            "attitude",
            gettext_lazy("attitude"),
            ("attitude", "attitude to us", "отношение", "отношение к нам"),
            values.choice(values.choice_words(Attitude, ATTITUDE_WORDS), Attitude.labels, pl.Int64),
            one_of(Attitude),
            "сторонник",
            keep_when_empty=True,
        ),
        Column(
            "reports_to",
            gettext_lazy("reports to"),
            ("reports to", "reports to (external id)", "подчиняется", "руководитель"),
            values.text(64),
            gettext_lazy("External id of the person's boss at the same client."),
            "",
        ),
    ]

    def may_import(self, user) -> bool:
        # Contacts are dossier data (R11): whoever edits dossiers imports them, row by row.
        if not (user.is_authenticated and user.is_active):
            return False
        return user.is_director or user.role in (Role.KAM, Role.ASSISTANT)

    def plan(self, rows: pl.DataFrame, ctx: Context):
        rows, unknown = counterparties.match(ctx, rows, Client.objects.visible_to(ctx.user))
        matched = fetch(Client.objects, "pk", rows["client_id"].drop_nulls().unique())
        read_only = [c.pk for c in matched if not can_edit_client(ctx.user, c)]
        errors = [
            unknown,
            ctx.flag(
                rows,
                pl.col("client_id").is_in(read_only),
                counterparties.blamed(ctx),
                _("You may not change this client's contacts."),
                pl.col(counterparties.SHOWN),
            ),
        ]
        if "external_id" in ctx.mapping.present:
            with_id = rows.filter(pl.col("external_id").is_not_null())
            errors.append(
                ctx.duplicates(
                    with_id,
                    ["external_id", "client_id"],
                    _("external id"),
                    shown=["external_id", counterparties.SHOWN],
                )
            )
            by_name = rows.filter(pl.col("external_id").is_null())
        else:
            rows = rows.with_columns(external_id=pl.lit(None, pl.String))
            by_name = rows
        errors.append(
            ctx.duplicates(
                by_name,
                ["full_name", "client_id"],
                _("full name"),
                shown=["full_name", counterparties.SHOWN],
            )
        )

        stored = fetch(Contact.objects, "client_id", rows["client_id"].drop_nulls().unique())
        existing, named = {}, defaultdict(list)
        for contact in stored:
            if contact.external_id:
                existing[contact.client_id, contact.external_id] = contact
            else:
                named[contact.client_id, None, contact.full_name].append(contact)
        problems = []
        records = [r for r in rows.iter_rows(named=True) if r["client_id"] is not None]
        for row in records:
            same_name = named.get(_key(row), [])
            if len(same_name) > 1:
                reason = _("Several contacts of this client have this name; give an external id.")
                problems.append((row["__row"], "full_name", row["full_name"], reason))
            elif same_name:
                existing[_key(row)] = same_name[0]
        ids = {key: c.pk for key, c in existing.items() if len(key) == 2}
        if "reports_to" in ctx.mapping.present:
            problems += self._check_bosses(records, stored)
        errors.append(ctx.flag_rows(problems))
        return Plan(records, existing, ids), pl.concat(errors)

    def _check_bosses(self, records: list[dict], stored: list[Contact]) -> list[tuple]:
        # keyed by pk, looked up with reports_to_id, which may be None
        bosses: dict[int | None, str] = {c.pk: c.external_id for c in stored}
        links = {}
        for c in stored:
            if c.external_id:
                boss = bosses.get(c.reports_to_id)
                links[c.client_id, c.external_id] = (c.client_id, boss) if boss else None
        for row in records:
            if row["external_id"]:
                boss = row["reports_to"]
                links[_key(row)] = (row["client_id"], boss) if boss else None
        looping = loops(links, [_key(r) for r in records if r["external_id"]])
        problems = []
        for row in records:
            boss = row["reports_to"]
            if boss is None:
                continue
            if (row["client_id"], boss) not in links:
                reason = _("No contact with this external id at this client.")
            elif boss == row["external_id"]:
                reason = _("A person cannot report to themselves.")
            elif _key(row) in looping:
                reason = _("This would make a reporting loop.")
            else:
                continue
            problems.append((row["__row"], "reports_to", boss, reason))
        return problems

    def changes(self, plan: Plan, ctx: Context) -> tuple[Changes, dict]:
        present = ctx.mapping.present
        plain = [c for c in self.columns if c.field in PLAIN]
        changes = Changes(Contact, link="reports_to_id")
        for row in plan.rows:
            fields = blank(Contact, row_values(row, plain, present))
            boss = row.get("reports_to")
            target = (row["client_id"], boss) if boss else None
            contact = plan.existing.get(_key(row))
            if contact is None:
                changes.create(fields | {"client_id": row["client_id"]}, _key(row), target)
            else:
                link = target if "reports_to" in present else SAME
                changes.update(contact, fields, link, ids=plan.ids)
        return changes, plan.ids
