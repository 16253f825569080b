"""``kam demo``: build the deterministic demo company (see docs/demo.md)."""

import datetime as dt

from django.core.management.base import CommandError
from django.db import transaction
from django.utils.translation import gettext_lazy

from kam.core.commands import KamCommand
from kam.demo import DemoError, build_demo, default_as_of, wipe_demo
from kam.demo.generator import (
    DEFAULT_CLIENTS,
    DEFAULT_MONTHS,
    DEMO_PASSWORD,
    demo_data_exists,
)
from kam.keyprofile.models import ScoringTrigger
from kam.keyprofile.services import recompute_and_rescore, rescore


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--as-of: expected a date like 2025-06-30, got {value!r}") from exc


def _positive(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError(value)
    return number


class Command(KamCommand):
    help = gettext_lazy(  # type: ignore[assignment]  # KamCommand translates it
        "Build the demo company «СтройСнабКомплект»: users, clients with dossiers, products, "
        "sales history, contacts, competitors and tenders. The same seed gives the same data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42, help="Random seed (default 42).")
        parser.add_argument(
            "--as-of",
            type=_date,
            default=None,
            help="Last day of the sales history, YYYY-MM-DD "
            "(default: the last day of the previous month).",
        )
        parser.add_argument(
            "--clients",
            type=_positive,
            default=DEFAULT_CLIENTS,
            help=f"Number of clients, at least 10 (default {DEFAULT_CLIENTS}).",
        )
        parser.add_argument(
            "--months",
            type=_positive,
            default=DEFAULT_MONTHS,
            help=f"Months of sales history, at least 3 (default {DEFAULT_MONTHS}).",
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already has clients (or products, competitors "
            "or demo users); used by `make run`.",
        )
        mode.add_argument(
            "--reset",
            action="store_true",
            help="First delete ALL clients, sales, products, competitors (with their audit "
            "history) and the demo users. Destroys real data too.",
        )

    def handle(self, *args, seed, as_of, clients, months, if_empty, reset, **options):
        if if_empty:
            found = demo_data_exists()
            if found:
                self.stdout.write(
                    f"The database already has {', '.join(found)}: the demo company was not built."
                )
                return
        as_of = as_of or default_as_of()
        verbose = options["verbosity"] > 1
        try:
            with transaction.atomic():
                if reset:
                    self.stdout.write("Deleting clients, sales, products, competitors, demo users…")
                    wipe_demo()
                self.stdout.write(
                    f"Building the demo company: seed {seed}, {clients} clients, "
                    f"{months} months of sales up to {as_of:%Y-%m-%d}…"
                )
                summary = build_demo(
                    seed=seed,
                    as_of=as_of,
                    clients=clients,
                    months=months,
                    stdout=self.stdout if verbose else None,
                )
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("Analysing the sales and scoring the clients…")
        # First a scoring one month back (its 12-month window ends a month earlier), so the
        # prioritised list shows movement.
        month_before = as_of.replace(day=1) - dt.timedelta(days=1)
        rescore(
            trigger=ScoringTrigger.RECOMPUTE,
            today=month_before.replace(day=1) - dt.timedelta(days=1),
        )
        recompute_and_rescore()

        self.stdout.write("")
        width = max(len(k) for k in summary.counts)
        for label, count in summary.counts.items():
            self.stdout.write(f"  {label.capitalize():<{width}}  {count:>8,}")
        self.stdout.write(
            f"  Sales {summary.sales_amount:,.0f} RUB; the top 20 % of clients bring "
            f"{summary.top20_share:.0%} of it."
        )
        self.stdout.write("")
        self.stdout.write(f"Logins (password for every demo user: {DEMO_PASSWORD}):")
        rows = [("Username", "Role", "Name", "Who")] + [
            (u.username, u.role, u.full_name, u.description) for u in summary.users
        ]
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        for i, (username, role, name, who) in enumerate(rows):
            self.stdout.write(
                f"  {username:<{widths[0]}}  {role:<{widths[1]}}  {name:<{widths[2]}}  {who}"
            )
            if i == 0:
                self.stdout.write("  " + "  ".join("-" * w for w in widths) + "  " + "-" * 3)
        self.stdout.write(self.style.SUCCESS(f"Done in {summary.seconds:.1f} s."))
