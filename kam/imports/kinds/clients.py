from dataclasses import dataclass
from decimal import Decimal
from typing import cast

import polars as pl
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.clients.inn import inn_problem, kpp_problem
from kam.clients.models import Client, ClientStatus, ClientType
from kam.clients.services import inn_holders
from kam.core.access import can_manage_company_data
from kam.core.models import Role, User

from .. import values
from ..columns import Column
from ..models import ImportKind
from ..reading import ROW
from .base import (
    CODE_HINT,
    NUMBER_HINT,
    SAME,
    TEXT_HINT,
    YES_NO_HINT,
    Changes,
    Context,
    Kind,
    blank,
    fetch,
    loops,
    one_of,
    row_values,
)

STATUS_WORDS = {
    "потенциальный": ClientStatus.PROSPECT,
    "проспект": ClientStatus.PROSPECT,
    "активный": ClientStatus.ACTIVE,
    "действующий": ClientStatus.ACTIVE,
    "под угрозой": ClientStatus.AT_RISK,
    "в зоне риска": ClientStatus.AT_RISK,
    "риск": ClientStatus.AT_RISK,
    "потерян": ClientStatus.LOST,
    "потерянный": ClientStatus.LOST,
    "ушел": ClientStatus.LOST,
}
TYPE_WORDS = {
    "кормилец": ClientType.BREADWINNER,
    "перспективный": ClientType.PROSPECTIVE,
    "имиджмейкер": ClientType.IMAGE_MAKER,
    "эксперт": ClientType.EXPERT,
    "без типа": ClientType.NONE,
}
# Columns the ORM writes as they come; owner and parent are resolved to ids first.
PLAIN = (
    "erp_code",
    "name",
    "legal_name",
    "inn",
    "kpp",
    "industry",
    "region",
    "employees",
    "annual_revenue",
    "website",
    "status",
    "client_type",
    "is_key",
    "is_industry_leader",
    "is_reference_customer",
    "is_expert",
    "payment_on_time_pct",
)


@dataclass
class Plan:
    rows: pl.DataFrame
    existing: dict[str, Client]
    ids: dict[str, int]


class Clients(Kind):
    name = ImportKind.CLIENTS
    columns = [
        Column(
            "erp_code",
            gettext_lazy("code"),
            ("code", "erp code", "код", "код erp", "client code", "код клиента", "erp"),
            values.text(64),
            CODE_HINT,
            "C-0001",
            required=True,
        ),
        Column(
            "name",
            gettext_lazy("name"),
            ("name", "client name", "наименование", "название", "клиент"),
            values.text(200),
            TEXT_HINT,
            "СтройИнвест",
            required=True,
        ),
        Column(
            "legal_name",
            gettext_lazy("legal name"),
            ("legal name", "юридическое название", "юридическое наименование", "юрлицо"),
            values.text(300),
            TEXT_HINT,
            "ООО «СтройИнвест»",
        ),
        Column(
            "inn",
            gettext_lazy("INN"),
            ("инн", "inn", "tax id", "taxpayer number", "инн контрагента", "инн клиента"),
            values.checked(inn_problem, squeeze=True),
            gettext_lazy("10 digits for a company, 12 for a sole trader."),
            "7742186531",
        ),
        Column(
            "kpp",
            gettext_lazy("KPP"),
            ("кпп", "kpp", "кпп контрагента", "кпп клиента"),
            values.text(64),  # its shape is checked with the INN it belongs to
            gettext_lazy("9 characters, a company's only: 774301001."),
            "774301001",
        ),
        Column(
            "industry",
            gettext_lazy("industry"),
            ("industry", "отрасль"),
            values.text(120),
            TEXT_HINT,
            "Строительство",
        ),
        Column(
            "region",
            gettext_lazy("region"),
            ("region", "регион"),
            values.text(120),
            TEXT_HINT,
            "Москва",
        ),
        Column(
            "employees",
            gettext_lazy("employees"),
            ("employees", "сотрудники", "численность", "численность сотрудников", "headcount"),
            values.integer(0, 2_147_483_647),
            NUMBER_HINT,
            250,
        ),
        Column(
            "annual_revenue",
            gettext_lazy("annual revenue"),
            ("annual revenue", "revenue", "выручка", "годовая выручка"),
            values.decimal(16, 2, negative=False),
            NUMBER_HINT,
            Decimal("125000000.00"),
        ),
        Column(
            "website",
            gettext_lazy("website"),
            ("website", "site", "web", "сайт", "веб-сайт"),
            values.url(200),
            TEXT_HINT,
            "https://example.ru",
        ),
        Column(
            "status",
            gettext_lazy("status"),
            ("status", "статус"),
            values.choice(
                values.choice_words(ClientStatus, STATUS_WORDS), ClientStatus.labels, pl.String
            ),
            one_of(ClientStatus),
            "active",
            keep_when_empty=True,
        ),
        Column(
            "client_type",
            gettext_lazy("type"),
            ("type", "client type", "тип", "тип клиента"),
            values.choice(
                values.choice_words(ClientType, TYPE_WORDS), ClientType.labels, pl.String
            ),
            one_of(ClientType),
            "breadwinner",
        ),
        Column(
            "is_key",
            gettext_lazy("key"),
            ("key", "key client", "ключевой", "ключевой клиент"),
            values.boolean(),
            YES_NO_HINT,
            "да",
            keep_when_empty=True,
        ),
        Column(
            "is_industry_leader",
            gettext_lazy("industry leader"),
            ("industry leader", "leader", "лидер отрасли", "лидер", "лидер рынка"),
            values.boolean(),
            YES_NO_HINT,
            "нет",
            keep_when_empty=True,
        ),
        Column(
            "is_reference_customer",
            gettext_lazy("reference customer"),
            (
                "reference customer",
                "reference client",
                "reference",
                "референтный клиент",
                "референтный",
                "референс",
            ),
            values.boolean(),
            YES_NO_HINT,
            "да",
            keep_when_empty=True,
        ),
        Column(
            "is_expert",
            gettext_lazy("demanding expert"),
            (
                "expert",
                "expert client",
                "demanding client",
                "требовательный эксперт",
                "эксперт",
                "требовательный клиент",
            ),
            values.boolean(),
            YES_NO_HINT,
            "нет",
            keep_when_empty=True,
        ),
        Column(
            "payment_on_time_pct",
            gettext_lazy("paid on time, %"),
            (
                "payment on time",
                "payment on time %",
                "on time payments",
                "payment discipline",
                "оплата в срок",
                "оплата в срок %",
                "оплачено в срок",
                "платежная дисциплина",
            ),
            values.percent(),
            gettext_lazy("Invoices paid by their due date, last 12 months: 0–100, e.g. 97,5."),
            Decimal("97.5"),
        ),
        Column(
            "owner",
            gettext_lazy("owner"),
            ("owner", "kam", "менеджер", "ответственный", "key account manager"),
            values.text(150),
            gettext_lazy("Username of the key account manager; empty: you."),
            "kam",
            keep_when_empty=True,
        ),
        Column(
            "parent",
            gettext_lazy("parent code"),
            ("parent code", "parent", "parent company", "головная компания", "код головной"),
            values.text(64),
            gettext_lazy("Code of the parent company, in the database or in this file."),
            "",
        ),
    ]

    def may_import(self, user) -> bool:
        return can_manage_company_data(user)

    def plan(self, rows: pl.DataFrame, ctx: Context):
        present = ctx.mapping.present
        errors = [ctx.duplicates(rows, ["erp_code"], _("code"))]
        if "owner" in present:
            owners = User.objects.filter(is_active=True, role__in=[Role.KAM, Role.DIRECTOR])
            known = {
                u.username: u.pk
                for u in fetch(owners, "username", rows["owner"].drop_nulls().unique())
            }
            reason = _("No active key account manager with this username.")
            rows, unknown = ctx.lookup(rows, "owner", known, "owner_id", reason)
            errors.append(unknown)
        codes = rows["erp_code"].drop_nulls().to_list()
        existing = {c.erp_code: c for c in fetch(Client.objects, "erp_code", codes)}
        # The whole tree is small: its links decide whether the file's parents make a loop.
        stored = Client.objects.values_list("erp_code", "pk", "parent__erp_code")
        ids, tree = {}, {}
        for code, pk, parent in stored:
            ids[code], tree[code] = pk, parent
        if "parent" in present:
            errors.append(self._check_parents(rows, tree, ctx))
        if "inn" in present:
            errors += [
                ctx.duplicates(rows, ["inn"], _("INN")),
                self._check_inns_free(rows, existing, ctx),
            ]
        if present & {"inn", "kpp"}:
            errors.append(self._check_kpps(rows, existing, ctx))
        return Plan(rows, existing, ids), pl.concat(errors)

    def _check_inns_free(
        self, rows: pl.DataFrame, existing: dict[str, Client], ctx: Context
    ) -> pl.DataFrame:
        """An ИНН another stored client holds is refused, naming that client as far as the user
        may know it — also when the file gives that client a new one: the database refuses a
        swap midway, so the file must free an ИНН before another client takes it."""
        kept = {code: c.inn for code, c in existing.items() if c.inn}
        mine = [
            (row, inn)
            for row, code, inn in rows.select(ROW, "erp_code", "inn").iter_rows()
            if inn is not None and kept.get(code) != inn
        ]
        taken = inn_holders(cast(User, ctx.user), [inn for _row, inn in mine])
        return ctx.flag_rows((row, "inn", inn, taken[inn]) for row, inn in mine if inn in taken)

    def _check_kpps(
        self, rows: pl.DataFrame, existing: dict[str, Client], ctx: Context
    ) -> pl.DataFrame:
        """Each client's КПП as the file leaves it: its shape, and an ИНН of a company."""
        present = ctx.mapping.present
        blamed = "kpp" if "kpp" in present else "inn"
        problems = []
        for row in rows.iter_rows(named=True):
            stored = existing.get(row["erp_code"])
            kpp = row["kpp"] if "kpp" in present else (stored.kpp if stored else "")
            inn = row["inn"] if "inn" in present else (stored.inn if stored else "")
            if kpp and (problem := kpp_problem(kpp, inn or "")):
                problems.append((row[ROW], blamed, row[blamed], problem))
        return ctx.flag_rows(problems)

    def _check_parents(self, rows: pl.DataFrame, tree: dict, ctx: Context) -> pl.DataFrame:
        mine = rows.filter(pl.col("erp_code").is_not_null())
        links = tree | dict(zip(mine["erp_code"], mine["parent"], strict=True))
        looping = loops(links, mine["erp_code"])
        problems = []
        for row, code, parent in rows.select(ROW, "erp_code", "parent").iter_rows():
            if parent is None:
                continue
            if parent not in links:
                reason = _("No client with this code in the database or in this file.")
            elif parent == code:
                reason = _("A company cannot be its own parent.")
            elif code in looping:
                reason = _("This parent would make a loop of companies.")
            else:
                continue
            problems.append((row, "parent", parent, reason))
        return ctx.flag_rows(problems)

    def changes(self, plan: Plan, ctx: Context) -> tuple[Changes, dict]:
        present = ctx.mapping.present
        changes = Changes(Client, link="parent_id")
        for row in plan.rows.iter_rows(named=True):
            fields = self._fields(row, present)
            client = plan.existing.get(row["erp_code"])
            if client is None:
                fields["owner_id"] = row.get("owner_id") or ctx.user.pk
                changes.create(fields, key=row["erp_code"], target=row.get("parent"))
                continue
            if row.get("owner_id"):
                fields["owner_id"] = row["owner_id"]
            target = row["parent"] if "parent" in present else SAME
            changes.update(client, fields, target, ids=plan.ids)
        return changes, plan.ids

    def _fields(self, row: dict, present: set[str]) -> dict:
        plain = [c for c in self.columns if c.field in PLAIN]
        return blank(Client, row_values(row, plain, present))
