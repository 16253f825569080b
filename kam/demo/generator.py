"""The deterministic demo company (``kam demo``).

``build_demo`` creates users, clients with their dossiers, products, 24 months of sales, contacts,
competitors and tenders for «СтройСнабКомплект», an invented distributor of building materials.
All randomness comes from ``random.Random`` instances seeded from ``seed`` (one per concern), and
nothing iterates over a set, so the same seed, size and as-of date give the same data.

The work is done in two phases: a plan in plain Python (who the clients are, how much and how
regularly they buy, who works there), then the writes — bulk inserts with a creation entry in
the audit history for every record that keeps one, and a few later edits through the service
functions so that the history shows changes by different people.
"""

import calendar
import datetime as dt
import math
import random
import re
import time
from array import array
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, TypeVar, cast

import polars as pl
from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from kam.clients import services as client_services
from kam.clients.inn import complete_inn
from kam.clients.models import (
    Client,
    ClientStatus,
    ClientType,
    Competitor,
    CompetitorPresence,
    Contact,
    TeamMembership,
    Tender,
    TenderResult,
)
from kam.competition import services as competition_services
from kam.competition.models import Assessment, Holder, SpendHolder, WeightSource
from kam.core.bulk import insert_rows
from kam.core.figures import Window
from kam.core.models import Role, User
from kam.imports.models import ImportJob
from kam.insights.models import AnalyticsRun
from kam.keyprofile.models import ScoringRun
from kam.keyprofile.services import recompute_and_rescore
from kam.potential import selectors as potential_selectors
from kam.potential import services as potential_services
from kam.potential.models import ClientPotential, ClientStrategy
from kam.qualification import services as qualification_services
from kam.qualification.models import KeyDecision, Qualification
from kam.sales import services as sales_services
from kam.sales.models import Product, SalesLine

from . import data as D

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

DEMO_PASSWORD = "demo"
CHANGE_REASON = "demo"
DEFAULT_CLIENTS = 150
DEFAULT_MONTHS = 24
MEMBER_USERNAMES = [m[0] for m in D.MEMBERS]
DEMO_USERNAMES = [
    D.DIRECTOR[0],
    *(k[0] for k in D.KAMS),
    *(a[0] for a in D.ASSISTANTS),
    *MEMBER_USERNAMES,
]
CENT = Decimal("0.01")
BATCH = 1000
# Size of the biggest client (annual purchases at the current run-rate, RUB) and the slope of
# the rank-size curve: client r buys about TOP_CLIENT · r^-SIZE_SLOPE.
TOP_CLIENT = 420e6
SIZE_SLOPE = 1.15
# Lines of sales per month: LINES_FACTOR · (annual purchases in millions)^LINES_SLOPE.
LINES_FACTOR = 5.5
LINES_SLOPE = 0.6
# Regularity classes (for XYZ analysis): X buys every month in steady volumes, Y most months
# with the construction season, Z now and then. How much of the season each class feels:
SEASON_BY_CLASS = {"X": 0.25, "Y": 0.8, "Z": 1.0}


class DemoError(Exception):
    """The demo cannot be built here (e.g. the database already has data)."""


@dataclass
class DemoUser:
    username: str
    role: str
    full_name: str
    description: str


@dataclass
class DemoSummary:
    seed: int
    as_of: dt.date
    months: int
    users: list[DemoUser] = field(default_factory=list)
    clients: int = 0
    key_clients: int = 0
    products: int = 0
    sales_lines: int = 0
    contacts: int = 0
    competitors: int = 0
    tenders: int = 0
    sales_amount: Decimal = Decimal("0")
    top20_share: float = 0.0
    seconds: float = 0.0

    @property
    def counts(self) -> dict[str, int]:
        return {
            "users": len(self.users),
            "clients": self.clients,
            "key clients": self.key_clients,
            "products": self.products,
            "sales lines": self.sales_lines,
            "contacts": self.contacts,
            "competitors": self.competitors,
            "tenders": self.tenders,
        }


def default_as_of(today: dt.date | None = None) -> dt.date:
    """The last day of the month before ``today``."""
    today = today or timezone.localdate()
    return today.replace(day=1) - dt.timedelta(days=1)


def translit(text: str) -> str:
    out = []
    for ch in text.lower():
        if ch in D.TRANSLIT:
            out.append(D.TRANSLIT[ch])
        elif ch.isascii() and ch.isalnum():
            out.append(ch)
        elif ch in " -":
            out.append("-")
    return "".join(out).strip("-")


def female_surname(surname: str) -> str:
    if surname.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return surname + "а"
    if surname.endswith(("ский", "цкий")):
        return surname[:-2] + "ая"
    return surname


def demo_data_exists() -> list[str]:
    """What would stop ``build_demo``: a list such as ["clients", "demo users"]."""
    found = []
    if Client.objects.exists():
        found.append("clients")
    if Product.objects.exists():
        found.append("products")
    if Competitor.objects.exists():
        found.append("competitors")
    if User.objects.filter(username__in=DEMO_USERNAMES).exists():
        found.append("demo users")
    return found


@transaction.atomic
def wipe_demo() -> None:
    """Delete all clients (with everything that belongs to them), sales, products, competitors,
    their audit history, and the demo users. Other users are kept."""
    SalesLine.objects.all().delete()
    Client.objects.all().delete()
    Product.objects.all().delete()
    Competitor.objects.all().delete()
    audited = (
        Client,
        Contact,
        TeamMembership,
        CompetitorPresence,
        Tender,
        Competitor,
        Product,
        ClientPotential,
        ClientStrategy,
        Qualification,
        Assessment,
        SpendHolder,
    )
    for model in audited:
        model.audit.model.objects.all().delete()
    # The analyses of the deleted sales (the build itself scores the clients it makes key).
    ScoringRun.objects.all().delete()
    AnalyticsRun.objects.all().delete()
    demo_users = User.objects.filter(username__in=DEMO_USERNAMES)
    ImportJob.objects.filter(created_by__in=demo_users).delete()
    demo_users.delete()


def build_demo(
    *,
    seed: int = 42,
    as_of: dt.date | None = None,
    stdout=None,
    clients: int = DEFAULT_CLIENTS,
    months: int = DEFAULT_MONTHS,
) -> DemoSummary:
    """Build the demo company in one transaction and return what was made.

    Raises DemoError when clients, products, competitors or demo users already exist.
    """
    if clients < 10:
        raise DemoError("The demo needs at least 10 clients.")
    if months < 3:
        raise DemoError("The demo needs at least 3 months of history.")
    as_of = as_of or default_as_of()
    with transaction.atomic():
        found = demo_data_exists()
        if found:
            raise DemoError(
                f"The database already has {', '.join(found)}; "
                "reset it first (kam demo --reset) to build the demo company."
            )
        return _Builder(
            seed=seed, as_of=as_of, n_clients=clients, n_months=months, out=stdout
        ).run()


# ── The plan ───────────────────────────────────────────────────────────────────────────────────


@dataclass
class _ProductPlan:
    sku: str
    name: str
    category: str
    code: str
    unit: str
    price: Decimal
    cost: Decimal
    old_price: Decimal | None = None  # before the price rise, if any
    old_cost: Decimal | None = None
    digits: int = 0
    popularity: float = 1.0
    obj: Product | None = None


@dataclass
class _ContactPlan:
    slot: str
    female: bool
    full_name: str
    short_name: str
    position: str
    department: str
    decision_role: str
    influence: int
    attitude: int
    parent: int | None  # index within the client's contacts
    level: int
    email: str
    phone: str
    motivation: str
    bonus: str
    owner_function: str | None
    last_contact_on: dt.date
    created: dt.datetime
    notes: str = ""
    obj: Contact | None = None


@dataclass
class _ClientPlan:
    idx: int
    kam: int
    key: bool
    story: str  # established | new_key | prospect | normal
    status: str = ClientStatus.ACTIVE
    initial_status: str = ClientStatus.ACTIVE
    client_type: str = ClientType.NONE
    initial_type: str = ClientType.NONE
    initial_key: bool = False  # always set by plan_clients
    industry: str = ""
    region: str = ""
    city: str = ""
    prefixes: list = field(default_factory=list)
    root: str = ""
    name: str = ""
    legal_name: str = ""
    slug: str = ""
    erp_code: str = ""
    inn: str = ""
    kpp: str = ""
    parent: int | None = None
    size: float = 0.0
    regularity: str = "Y"
    p_buy: float = 1.0
    sigma: float = 0.3
    growth: float = 0.0
    start: int = 0
    stop: int | None = None  # index of the last month with purchases
    decline_from: int | None = None  # at-risk: purchases fall from this month on
    discount: float = 0.0
    risk: str = ""  # "" | at_risk | stopped | lost
    created: dt.datetime | None = None
    contacts: list[_ContactPlan] = field(default_factory=list)
    team: list[int] = field(default_factory=list)  # indices into D.MEMBERS
    presence: list[tuple[int, str, int, str]] = field(default_factory=list)
    description: str = ""
    history: str = ""
    org_structure: str = ""
    revenue: Decimal | None = None
    employees: int | None = None
    website: str = ""
    industry_leader: bool = False
    reference_customer: bool = False
    expert: bool = False
    paid_on_time: Decimal | None = None
    total: Decimal = Decimal("0")
    last_sale: dt.date | None = None
    obj: Client | None = None


class _Builder:
    def __init__(
        self,
        *,
        seed: int,
        as_of: dt.date,
        n_clients: int,
        n_months: int,
        out: "SupportsWrite[str] | None",
    ) -> None:
        self.seed, self.as_of, self.n, self.m, self.out = seed, as_of, n_clients, n_months, out
        self.months = _month_list(as_of, n_months)
        self.start_date = dt.date(*self.months[0], 1)
        self.tz = timezone.get_current_timezone()
        self.started = time.monotonic()

    def rng(self, name: str) -> random.Random:
        # A string seed is hashed with SHA-512: stable across processes and Python versions.
        return random.Random(f"kam-demo/{self.seed}/{name}")

    def say(self, text: str) -> None:
        if self.out is not None:
            self.out.write(f"[{time.monotonic() - self.started:5.1f}s] {text}\n")

    def moment(self, day: dt.date, rng: random.Random) -> dt.datetime:
        day = min(max(day, self.start_date), self.as_of)
        at = dt.datetime.combine(day, dt.time(rng.randint(9, 18), rng.randint(0, 59)))
        return timezone.make_aware(at, self.tz)

    def run(self) -> DemoSummary:
        self.say("Users")
        self.make_users()
        self.say("Products")
        self.plan_products()
        self.say("Clients")
        self.plan_clients()
        self.plan_sales()
        self.plan_texts()
        self.plan_flags()
        self.plan_people()
        self.write_products()
        self.write_competitors()
        self.write_clients()
        self.write_team()
        self.say("Contacts")
        self.write_contacts()
        self.write_presence()
        self.say(f"Sales lines ({self.lines.height})")
        self.write_sales()
        self.say("Tenders")
        self.write_tenders()
        self.say("Later edits (audit history)")
        self.later_edits()
        self.say("Potential, strategy and qualification")
        self.write_potential_and_qualification()
        self.say("Competitive position")
        self.write_competitive_position()
        return self.summary()

    # ── users ──────────────────────────────────────────────────────────────────────────────────

    def make_users(self) -> None:
        password = make_password(DEMO_PASSWORD)  # hashed once: the slow part of creating users
        self.demo_users: list[DemoUser] = []

        def user(username, role, first, last, description, **extra):
            email = f"{translit(first)[0]}.{translit(last)}@{D.COMPANY_DOMAIN}"
            u = User.objects.create(
                username=username,
                password=password,
                role=role,
                first_name=first,
                last_name=last,
                email=email,
                language="ru",
                **extra,
            )
            self.demo_users.append(DemoUser(username, role, f"{first} {last}", description))
            return u

        username, first, last, _title = D.DIRECTOR
        self.director = user(
            username,
            Role.DIRECTOR,
            first,
            last,
            "Director of key accounts: sees every client and KAM; admin access",
            is_staff=True,
        )
        self.kams, self.assistants, self.members = [], [], []
        for (username, first, last), territory in zip(D.KAMS, D.TERRITORIES_EN, strict=True):
            self.kams.append(user(username, Role.KAM, first, last, f"KAM, {territory}"))
        for (username, first, last), kam in zip(D.ASSISTANTS, self.kams, strict=True):
            assistant = user(
                username, Role.ASSISTANT, first, last, f"Assistant to {kam.username} ({kam})"
            )
            assistant.assisted_kams.add(kam)
            self.assistants.append(assistant)
        for username, first, last, function, _note in D.MEMBERS:
            label = function.replace("_", " ")
            self.members.append(
                user(
                    username, Role.MEMBER, first, last, f"Team member: {label}, key clients' teams"
                )
            )

    # ── products ───────────────────────────────────────────────────────────────────────────────

    def plan_products(self) -> None:
        rng = self.rng("products")
        self.products: list[_ProductPlan] = []
        self.by_category: dict[str, list[int]] = {}
        # The director raises prices of some categories a quarter to half a year before as-of.
        self.rise_month = max(1, self.m - 1 - max(1, self.m // 4))
        self.rise_date = dt.date(*self.months[self.rise_month], 1)
        for code, category, (lo, hi), items in D.CATEGORIES:
            order = list(range(len(items)))
            rng.shuffle(order)  # popularity within the category does not follow the list order
            for n, (name, unit, base_price) in enumerate(items, start=1):
                price = _money(base_price * rng.uniform(0.93, 1.07), 2 if base_price < 100 else 0)
                margin = rng.uniform(lo, hi)
                p = _ProductPlan(
                    sku=f"{code}-{n:04d}",
                    name=name,
                    category=category,
                    code=code,
                    unit=unit,
                    price=price,
                    cost=(price * Decimal(1 - margin)).quantize(CENT, ROUND_HALF_UP),
                    digits=D.FRACTIONAL_UNITS.get(unit, 0),
                    popularity=1 / (order.index(n - 1) + 1) ** 0.8,
                )
                if code in D.PRICE_RISE_CATEGORIES:
                    rise = Decimal(1 + rng.uniform(0.05, 0.09))
                    p.old_price = (p.price / rise).quantize(CENT, ROUND_HALF_UP)
                    p.old_cost = (p.cost / rise).quantize(CENT, ROUND_HALF_UP)
                self.by_category.setdefault(code, []).append(len(self.products))
                self.products.append(p)

    # ── clients ────────────────────────────────────────────────────────────────────────────────

    def plan_clients(self) -> None:
        rng = self.rng("clients")
        n, m = self.n, self.m
        n_key = max(3, round(n / 5.3))
        key_per_kam = [n_key // 3 + (1 if i < n_key % 3 else 0) for i in range(3)]
        n_prospects = max(1, round(n * 0.08))
        key_prospects = 2 if n_key >= 12 else 1
        key_new = max(1, round(n_key * 0.1))

        # Key slots: each KAM's quota; then the stories are dealt out at random.
        key_kams = [k for k, q in enumerate(key_per_kam) for _ in range(q)]
        rng.shuffle(key_kams)
        plans: list[_ClientPlan] = []
        for i, kam in enumerate(key_kams):
            story = (
                "prospect"
                if i < key_prospects
                else "new_key"
                if i < key_prospects + key_new
                else "established"
            )
            plans.append(_ClientPlan(idx=0, kam=kam, key=True, story=story))
        n_rest = n - n_key
        non_key_kams = [i % 3 for i in range(n_rest)]
        rng.shuffle(non_key_kams)
        for i, kam in enumerate(non_key_kams):
            story = "prospect" if i < n_prospects - key_prospects else "normal"
            plans.append(_ClientPlan(idx=0, kam=kam, key=False, story=story))
        rng.shuffle(plans)
        for i, p in enumerate(plans):
            p.idx = i
        self.clients = plans

        # Sizes: a rank-size (Pareto-like) curve over the buying clients.
        buying = [p for p in plans if p.story != "prospect"]
        # A bigger company has proportionally more clients of every size (rank r stands where
        # rank 1 + (r - 1)·150/n stands in the default company), so the sales lines per client
        # stay about constant; a smaller company is the top of the default one.
        stretch = min(1.0, DEFAULT_CLIENTS / n)
        sizes = sorted(
            (
                TOP_CLIENT * (1 + (r - 1) * stretch) ** -SIZE_SLOPE * rng.lognormvariate(0, 0.15)
                for r in range(1, len(buying) + 1)
            ),
            reverse=True,
        )
        ranks = list(range(len(sizes)))
        established = [p for p in buying if p.story == "established"]
        top = ranks[: min(len(ranks), math.ceil(len(established) * 1.3))]
        taken = sorted(rng.sample(top, len(established)))
        for p, r in zip(established, taken, strict=True):
            p.size = sizes[r]
        free = [r for r in ranks if r not in taken]
        new_keys = [p for p in buying if p.story == "new_key"]
        middle = [r for r in free if len(sizes) * 0.1 <= r <= len(sizes) * 0.45]
        for p, r in zip(new_keys, rng.sample(middle, len(new_keys)), strict=True):
            p.size = sizes[r]
            free.remove(r)
        others = [p for p in buying if p.story == "normal"]
        rng.shuffle(free)
        for p, r in zip(others, free, strict=True):
            p.size = sizes[r]
        for p in plans:
            if p.story == "prospect":  # potential, not purchases; key prospects are big ones
                lo, hi = (
                    (len(sizes) // 20, len(sizes) // 6)
                    if p.key
                    else (len(sizes) // 10, len(sizes) // 2)
                )
                p.size = sizes[rng.randint(lo, hi)]

        # Where they are and what they do.
        for p in plans:
            territory = D.TERRITORIES[p.kam][1]
            p.region, p.city, p.prefixes = rng.choice(territory)
            weights: Sequence[int] = [
                ind["weight"][1 if p.key else 0] for ind in D.INDUSTRIES.values()
            ]
            p.industry = rng.choices(list(D.INDUSTRIES), weights)[0]

        # Key clients' types.
        big_first = sorted(established, key=lambda p: -p.size)
        n_bread = max(1, round(len(big_first) * 0.3))
        for i, p in enumerate(big_first):
            if i < n_bread:
                p.client_type = ClientType.BREADWINNER
            else:
                p.client_type = rng.choices(
                    [ClientType.IMAGE_MAKER, ClientType.EXPERT, ClientType.PROSPECTIVE],
                    [35, 40, 25],
                )[0]
        for p in plans:
            if p.key and p.story in ("prospect", "new_key"):
                p.client_type = ClientType.PROSPECTIVE
            if p.story == "prospect":
                p.status = ClientStatus.PROSPECT

        # Buying behaviour.
        small_cut = sorted((p.size for p in buying), reverse=True)[len(buying) * 3 // 10]
        for p in buying:
            if p.story == "established":
                weights = (60, 35, 5)
            elif p.story == "new_key":
                weights = (0, 100, 0)
            elif p.size >= small_cut:
                weights = (40, 40, 20)
            else:
                weights = (15, 35, 50)
            p.regularity = rng.choices("XYZ", weights)[0]
            if p.regularity == "Z" and p.industry in ("retail", "dealer", "plant"):
                p.regularity = "Y"  # shops and plants restock regularly
            p.p_buy = {"X": 1.0, "Y": rng.uniform(0.88, 1.0), "Z": rng.uniform(0.25, 0.55)}[
                p.regularity
            ]
            p.sigma = {"X": 0.07, "Y": 0.18, "Z": 0.6}[p.regularity]
            if p.key:
                p.discount = round(rng.uniform(0.05, 0.12) * 200) / 200
            elif p.size >= small_cut:
                p.discount = round(rng.uniform(0.03, 0.07) * 200) / 200
            else:
                p.discount = round(rng.uniform(0.0, 0.04) * 200) / 200
            if p.client_type == ClientType.PROSPECTIVE:
                p.growth = rng.uniform(0.2, 0.5)
            elif p.regularity == "X":  # steady contracts: flat volumes
                p.growth = rng.uniform(-0.06, 0.06)
            elif p.key:
                p.growth = rng.uniform(-0.05, 0.2)
            else:
                p.growth = rng.uniform(-0.2, 0.25)
            if p.story == "new_key":
                p.start = max(1, m - rng.randint(4, 8))
            elif p.story == "normal" and m >= 8 and rng.random() < 0.15:
                p.start = rng.randint(2, m - 4)

        # Trouble: lost clients, clients who recently stopped buying, clients at risk.
        normal = [p for p in others if p.start == 0]
        rng.shuffle(normal)
        key_pool = big_first[3:]  # the biggest stay healthy; [1:3] change type later
        rng.shuffle(key_pool)
        n_lost = max(1, round(n * 0.027))
        n_stopped = max(1, round(n * 0.02))
        n_risk = max(1, round(n * 0.04))
        lost: list[_ClientPlan] = []
        stopped: list[_ClientPlan] = []
        if m >= 5:  # room for 3+ months of silence
            for group, count in ((lost, n_lost), (stopped, n_stopped)):
                if n_key >= 10 and key_pool:  # one key client in each group
                    group.append(key_pool.pop())
                while len(group) < count and normal:
                    group.append(normal.pop())
        half = n_risk // 2
        at_risk = key_pool[:half] + normal[: n_risk - half]
        for p in lost:
            p.risk, p.status = "lost", ClientStatus.LOST
            p.stop = m - 1 - min(rng.randint(6, 9), m - 2)
        for p in stopped:
            p.risk = "stopped"
            p.stop = m - 1 - min(rng.randint(3, 5), m - 2)
            p.status = ClientStatus.AT_RISK if p.key else ClientStatus.ACTIVE  # unnoticed
        for p in at_risk:
            p.risk, p.status = "at_risk", ClientStatus.AT_RISK
            p.decline_from = max(1, m - rng.randint(6, 9))

        # What the bulk insert writes first; later edits through the services bring it up to date.
        for p in plans:
            p.initial_status = (
                ClientStatus.PROSPECT if p.story == "prospect" else ClientStatus.ACTIVE
            )
            p.initial_type, p.initial_key = p.client_type, p.key
            if p.story == "new_key":  # became key after scoring, by the director
                p.initial_type, p.initial_key = ClientType.NONE, False
        self.type_changes = [p for p in big_first[1:3] if p.client_type == ClientType.BREADWINNER]
        for p in self.type_changes:
            p.initial_type = ClientType.PROSPECTIVE

        # Groups of companies: a key client heads a group with one or two subsidiaries.
        self.plan_groups(rng, established)
        self.plan_names(rng)

        # ERP codes and creation moments.
        codes = sorted(rng.sample(range(1, n * 4), n))
        for p, code in zip(plans, codes, strict=True):
            p.erp_code = f"CL-{code:05d}"
            if p.story == "prospect":
                first = self.as_of - dt.timedelta(days=rng.randint(20, 300))
            elif p.start:
                first = dt.date(*self.months[p.start], 1) - dt.timedelta(days=rng.randint(5, 25))
            else:
                first = self.start_date
            p.created = self.moment(first, rng)
        self.plan_tax_numbers()

    def plan_tax_numbers(self) -> None:
        """Every demo client is a company: a 10-digit ИНН of its region with valid control
        digits, and a КПП of the same tax office; distinct, and the same for the same seed."""
        rng = self.rng("clients/tax-numbers")
        used: set[str] = set()
        for p in self.clients:
            office = D.REGION_TAX_CODES[p.region] + f"{rng.randint(1, 51):02d}"
            inn = complete_inn(office + f"{rng.randrange(100_000):05d}")
            while inn in used:
                inn = complete_inn(office + f"{rng.randrange(100_000):05d}")
            used.add(inn)
            p.inn, p.kpp = inn, f"{office}01001"

    def plan_groups(self, rng: random.Random, established: list[_ClientPlan]) -> None:
        n_groups = max(1, round(self.n / 50))
        heads = [p for p in established if p.industry in ("developer", "contractor") and not p.risk]
        heads = heads or [p for p in established if not p.risk]
        subs_pool = [p for p in self.clients if p.story == "normal" and not p.risk]
        sub_industries = ["contractor", "plant", "roofing", "dealer", "finishing"]
        for head in rng.sample(heads, min(n_groups, len(heads))):
            head.industry = "developer"
            pool = [p for p in subs_pool if p.kam == head.kam and p.parent is None]
            for sub, industry in zip(
                rng.sample(pool, min(len(pool), rng.randint(1, 2))),
                rng.sample(sub_industries, 2),
                strict=False,
            ):
                sub.parent, sub.industry = head.idx, industry
                sub.region, sub.city, sub.prefixes = head.region, head.city, head.prefixes

    def plan_names(self, rng: random.Random) -> None:
        used_roots: set[str] = set()
        for p in self.clients:
            if p.parent is not None:
                continue
            for _ in range(1000):
                if rng.random() < 0.5:
                    root = rng.choice(D.NAME_ROOTS)
                else:
                    root = rng.choice(p.prefixes) + rng.choice(D.NAME_CORES)
                if root not in used_roots:
                    break
            used_roots.add(root)
            p.root = root
        heads = {p.parent for p in self.clients if p.parent is not None}
        for p in self.clients:
            if p.parent is not None:
                p.root = self.clients[p.parent].root
        names: set[str] = set()
        for p in self.clients:
            industry = D.INDUSTRIES[p.industry]
            variant = rng.randrange(len(industry["name"]))
            if p.idx in heads:
                p.name, p.legal_name = f"ГК «{p.root}»", f"АО «Группа компаний „{p.root}“»"
            else:
                p.name = industry["name"][variant].format(r=p.root)
                p.legal_name = industry["legal"][variant].format(r=p.root)
            if p.name in names:  # a subsidiary in the same line of business as a sibling
                p.name = f"{p.name} ({p.city})"
            names.add(p.name)
            p.slug = translit(p.root)

    # ── sales ──────────────────────────────────────────────────────────────────────────────────

    def plan_sales(self) -> None:
        as_of, m = self.as_of, self.m
        days = [_working_days(y, mo, as_of) for y, mo in self.months]
        # One entry per line in typed arrays (8 bytes a value): at 100× the demo there are ~5 M
        # lines, which as tuples of Decimals would take gigabytes. Quantities in thousandths,
        # money in kopecks; the order of a line is (date, client, its number for the client).
        cols: dict[str, array] = {name: array("q") for name in _LINE_COLUMNS}
        for p in self.clients:
            if p.story == "prospect":
                continue
            rng = self.rng(f"sales/{p.idx}")
            lines_month = min(250, max(1, round(LINES_FACTOR * (p.size / 1e6) ** LINES_SLOPE)))
            per_order = rng.randint(3, 9) if lines_month >= 6 else rng.randint(1, 3)
            cum, total_w, picks = self.assortment(
                rng, p, min(180, max(6, round(6 + 2.2 * lines_month)))
            )
            amp = D.INDUSTRIES[p.industry]["season"] * SEASON_BY_CLASS[p.regularity]
            net = Decimal(1) - Decimal(str(p.discount))
            seq = 0
            for i, (_y, month) in enumerate(self.months):
                if i < p.start or (p.stop is not None and i > p.stop):
                    continue
                if rng.random() > p.p_buy and i != p.stop:
                    continue
                f = (1 + amp * (D.SEASON[month - 1] - 1)) * (1 + p.growth) ** ((i - (m - 1)) / 12)
                f *= self.ramp(p, i) * rng.lognormvariate(0, p.sigma)
                revenue = p.size / 12 * f / p.p_buy  # what the client buys this month
                n_lines = max(1, round(lines_month * (f / p.p_buy) ** 0.7))
                n_orders = max(1, round(n_lines / per_order))
                month_orders = []
                for _ in range(n_orders):
                    k = max(1, round(n_lines / n_orders + rng.uniform(-1.5, 1.5)))
                    chosen: list[int] = []
                    for _ in range(k * 4):
                        j = picks[bisect(cum, rng.random() * total_w)]
                        if j not in chosen:
                            chosen.append(j)
                            if len(chosen) == k:
                                break
                    month_orders.append((rng.choice(days[i]), chosen))
                # Split the month's purchases over its lines: uneven lines, exact month total.
                shares = [
                    [rng.lognormvariate(0, 0.6) for _ in chosen] for _, chosen in month_orders
                ]
                unit = revenue / sum(map(sum, shares))
                for (date, chosen), weights in zip(month_orders, shares, strict=True):
                    for j, w in zip(chosen, weights, strict=True):
                        prod = self.products[j]
                        if (
                            prod.old_price is not None
                            and prod.old_cost is not None  # set together with old_price
                            and date < self.rise_date
                        ):
                            price, cost = prod.old_price, prod.old_cost
                        else:
                            price, cost = prod.price, prod.cost
                        qty = _quantity(unit * w / float(price * net), prod.digits)
                        amount = (qty * price * net).quantize(CENT, ROUND_HALF_UP)
                        line_cost = (qty * cost).quantize(CENT, ROUND_HALF_UP)
                        p.total += amount
                        for name, value in zip(
                            _LINE_COLUMNS,
                            (
                                date.toordinal(),
                                p.idx,
                                seq,
                                j,
                                int(qty.scaleb(3)),
                                int(amount.scaleb(2)),
                                int(line_cost.scaleb(2)),
                            ),
                            strict=True,
                        ):
                            cols[name].append(value)
                    seq += 1
                    if p.last_sale is None or date > p.last_sale:
                        p.last_sale = date
        self.lines = _number_orders(pl.DataFrame({name: cols[name] for name in _LINE_COLUMNS}))

    def ramp(self, p: _ClientPlan, i: int) -> float:
        """Level of purchases in month ``i``: start-up, decline before leaving, at-risk slump."""
        f = 1.0
        if p.start and i - p.start < 3:
            f *= (0.4, 0.7, 1.0)[i - p.start]
        if p.stop is not None and p.stop - i < 4:
            f *= 0.5 + 0.125 * (p.stop - i)
        if p.decline_from is not None and i >= p.decline_from:
            span = max(1, self.m - 1 - p.decline_from)
            f *= 1 - 0.65 * (i - p.decline_from) / span
        return f

    def assortment(self, rng: random.Random, p: _ClientPlan, size: int):
        """The products a client buys, with weights: (cumulative weights, total, indices)."""
        cats = D.INDUSTRIES[p.industry]["cats"]
        candidates, weights = [], []
        for code, w in cats.items():
            for j in self.by_category[code]:
                candidates.append(j)
                weights.append(w * self.products[j].popularity * rng.lognormvariate(0, 0.5))
        picked = _weighted_sample(rng, candidates, weights, size)
        cum, total = [], 0.0
        for j in picked:
            total += weights[candidates.index(j)]
            cum.append(total)
        return cum, total, picked

    # ── texts: descriptions, history, revenue, staff ───────────────────────────────────────────

    def plan_texts(self) -> None:
        rng = self.rng("texts")
        competitor_names = [c[0] for c in D.COMPETITORS]
        for p in self.clients:
            industry = D.INDUSTRIES[p.industry]
            founded = rng.randint(1993, 2014)
            fill = {
                "city": p.city,
                "area": rng.randint(6, 40) * 10,
                "n": rng.randint(3, 12)
                if p.industry in ("retail", "housing")
                else rng.randint(2, 8),
                "vol": rng.choice(["1,5", "2", "3,5", "5", "8"]),
                "cap": rng.randint(6, 30) * 10,
                "wh": rng.randint(4, 25),
                "y2": founded + rng.randint(3, 8),
            }
            if p.industry == "housing":
                fill["n"] = rng.randint(40, 260)
            for name, forms in D.PLURALS.items():
                fill[name] = _plural(cast(int, fill["n"]), forms)
            p.description = industry["description"].format(**fill)
            origin = industry["origin"].format(**fill)
            milestone = rng.choice(D.HISTORY_MILESTONES).format(
                y=rng.randint(founded + 3, self.as_of.year - 1)
            )
            if p.story == "prospect":
                relation = (
                    f"Пока не покупает у нас: ведём переговоры, основной поставщик — "
                    f"«{rng.choice(competitor_names)}»."
                )
            else:
                assert p.created is not None  # set by plan_clients
                since = (
                    p.created.year
                    if p.start
                    else rng.randint(max(founded + 1, self.as_of.year - 10), self.start_date.year)
                )
                start = rng.choice(D.RELATIONSHIP_STARTS).format(city=p.city, k=rng.randint(3, 7))
                relation = f"Работаем с {since} года: {start}."
            p.history = f"Компания основана в {founded} году {origin}. {milestone} {relation}"
            # Their revenue: our sales ÷ our share of their purchases ÷ materials' share.
            if p.story == "prospect":  # size is the potential if they buy from us
                wallet = rng.uniform(0.2, 0.5)
            elif p.client_type == ClientType.BREADWINNER:
                wallet = rng.uniform(0.35, 0.6)
            elif p.client_type in (ClientType.PROSPECTIVE, ClientType.IMAGE_MAKER):
                wallet = rng.uniform(0.03, 0.12)  # big names that buy little from us (yet)
            elif p.key:
                wallet = rng.uniform(0.1, 0.3)
            else:
                wallet = rng.uniform(0.08, 0.5)
            revenue = p.size / wallet / industry["materials_share"]
            p.revenue = Decimal(round(revenue, -5)).quantize(Decimal("1"))
            p.employees = max(
                rng.randint(6, 15),
                round(revenue / industry["per_employee"] * rng.uniform(0.7, 1.3)),
            )
            p.website = f"https://{p.slug}.example" if p.key or rng.random() < 0.7 else ""

    # ── strategic flags and payment discipline ─────────────────────────────────────────────────

    def plan_flags(self) -> None:
        """Three industry leaders (at least one key), five reference customers among the healthy
        key clients, two demanding experts; most buying clients get a share of invoices paid on
        time (key clients mostly 80–100 %, some 50–70 %)."""
        rng = self.rng("flags")
        healthy_key = [p for p in self.clients if p.key and p.story != "prospect" and not p.risk]
        not_breadwinners = [p for p in healthy_key if p.client_type != ClientType.BREADWINNER]
        # Leaders: key image-makers first (big names that buy little from us yet), else another
        # key client that is not a breadwinner; then big non-key companies among those that buy
        # less than the median from us.
        leaders = [p for p in not_breadwinners if p.client_type == ClientType.IMAGE_MAKER][:2]
        leaders = leaders or not_breadwinners[:1] or healthy_key[:1]
        others = [p for p in self.clients if not p.key and p.story == "normal" and not p.risk]
        median = sorted(p.size for p in others)[len(others) // 2] if others else 0.0
        big_names = sorted(
            (p for p in others if p.size <= median),
            key=lambda p: (-(p.revenue or 0), p.idx),
        )
        leaders += big_names[: max(0, 3 - len(leaders))]
        experts = [
            p for p in not_breadwinners if p.client_type == ClientType.EXPERT and p not in leaders
        ]
        experts += [p for p in not_breadwinners if p not in leaders and p not in experts]
        experts += [p for p in big_names if p not in leaders]  # a small demo: few key clients
        references = rng.sample(healthy_key, min(5, len(healthy_key)))
        for p in leaders:
            p.industry_leader = True
        for p in experts[:2]:
            p.expert = True
        for p in references:
            p.reference_customer = True
        for p in self.clients:
            if p.story == "prospect":
                continue  # no invoices yet
            if p.key:
                late = rng.random() < (0.5 if p.risk else 0.15)
                share = rng.uniform(50, 70) if late else rng.uniform(80, 100)
            elif rng.random() < 0.12:
                continue  # the ERP has no figure for this one
            else:
                share = rng.triangular(45, 100, 95)
            p.paid_on_time = Decimal(f"{share:.1f}")

    # ── people: team, contacts, competitors at clients ─────────────────────────────────────────

    def plan_people(self) -> None:
        rng = self.rng("people")
        functions = [mem[3] for mem in D.MEMBERS]
        for p in self.clients:
            if not p.key:
                continue
            want = {
                "logistics": 3,
                "finance": 2,
                "category_management": 2,
                "trade_marketing": 1,
                "legal": 1,
            }
            if p.industry in ("retail", "dealer"):
                want.update(trade_marketing=4, category_management=4)
            picked = _weighted_sample(
                rng, functions, [want[f] for f in functions], rng.randint(1, 3)
            )
            p.team = sorted(functions.index(f) for f in picked)
            # Competitors courting the client (R12).
            if rng.random() < 0.88:
                weights = []
                cats = D.INDUSTRIES[p.industry]["cats"]
                for _name, _slug, _notes, territories, _supplies, codes in D.COMPETITORS:
                    fit = 0.2 + sum(cats.get(code, 0) for code in codes)
                    near = 1 if not territories else 3 if p.kam in territories else 0
                    weights.append(fit * near)
                chosen = _weighted_sample(
                    rng, list(range(len(D.COMPETITORS))), weights, rng.randint(1, 3)
                )
                for c in chosen:
                    strength = rng.choices([1, 2, 3, 4], [2, 4, 3, 1])[0]
                    if p.risk:
                        strength = min(4, strength + 1)
                    p.presence.append(
                        (
                            c,
                            rng.choice(D.COMPETITORS[c][4]),
                            strength,
                            rng.choice(D.COMPETITOR_OFFERS),
                        )
                    )
        for p in self.clients:
            self.plan_contacts(rng, p)

    def plan_contacts(self, rng: random.Random, p: _ClientPlan) -> None:
        assert p.created is not None  # set by plan_clients
        if p.key:
            layout = D.LAYOUTS[D.INDUSTRIES[p.industry]["layout"]]
            n = rng.randint(4, min(8, len(layout)))
            chosen = sorted(rng.sample(range(1, len(layout)), n - 1))
            slots = [layout[0]] + [layout[i] for i in chosen]
        else:
            n = (
                rng.randint(1, 2)
                if p.story == "prospect"
                else rng.choices([0, 1, 2], [30, 45, 25])[0]
            )
            slots = D.SMALL_CONTACTS[:n]
        keys = [s[0] for s in slots]
        by_key = {
            s[0]: s for s in (D.LAYOUTS[D.INDUSTRIES[p.industry]["layout"]] if p.key else slots)
        }
        emails: set[str] = set()
        surnames: set[str] = set()
        for slot in slots:
            key, position, department, role, (lo, hi), parent_key, p_female = slot
            while parent_key is not None and parent_key not in keys:
                parent_key = by_key[parent_key][5]  # up the chain to someone we know
            if key == keys[0]:
                parent = None
            else:
                parent = keys.index(parent_key) if parent_key is not None else 0
            level = 0 if parent is None else p.contacts[parent].level + 1
            female = rng.random() < p_female
            for _ in range(10):  # no two people of one family in a client's contact map
                full, short, first, last = self.person(rng, p.region, female)
                if last.rstrip("а") not in surnames:
                    break
            surnames.add(last.rstrip("а"))
            email = f"{translit(first)[0]}.{translit(last)}@{p.slug}.example"
            if email in emails:
                email = email.replace("@", f"{len(emails)}@")
            emails.add(email)
            if role == "champion":
                attitude = 2
            else:
                attitude = rng.choices([-2, -1, 0, 1, 2], [5, 15, 35, 30, 15])[0]
                if p.risk and level == 0:
                    attitude = min(attitude, -1)
            stale = rng.random() < 0.15 or (p.risk and level == 0)
            last_contact = self.as_of - dt.timedelta(
                days=rng.randint(120, 300) if stale else rng.randint(2, 75)
            )
            created = p.created + dt.timedelta(days=rng.randint(0, 60), minutes=rng.randint(1, 600))
            created = min(created, self.moment(self.as_of, rng))
            last_contact = max(last_contact, created.date())
            notes = rng.choice(D.CONTACT_NOTES) if rng.random() < 0.35 else ""
            if attitude == -2 and p.presence:
                rival = D.COMPETITORS[p.presence[0][0]][0]
                notes = D.OPPONENT_NOTE.replace("{competitor}", rival)
            motivations, bonuses = D.MOTIVATION[key]
            phone_code = rng.choice(
                ["903", "905", "910", "915", "916", "921", "926", "950", "977", "985"]
            )
            p.contacts.append(
                _ContactPlan(
                    slot=key,
                    female=female,
                    full_name=full,
                    short_name=short,
                    position=position,
                    department=department,
                    decision_role=role,
                    influence=rng.randint(lo, hi),
                    attitude=attitude,
                    parent=parent,
                    level=level,
                    email=email,
                    phone=f"+7 ({phone_code}) {rng.randint(200, 999)}-{rng.randint(10, 99)}-"
                    f"{rng.randint(10, 99)}",
                    motivation=_gender(rng.choice(motivations), female)
                    if p.key or rng.random() < 0.5
                    else "",
                    bonus=_gender(rng.choice(bonuses), female)
                    if p.key or rng.random() < 0.5
                    else "",
                    owner_function=D.OWNER_FUNCTION.get(key),
                    last_contact_on=last_contact,
                    created=created,
                    notes=_gender(notes, female),
                )
            )
        if p.key:
            dm = p.contacts[0]
            direct = [c for c in p.contacts[1:] if c.parent == 0]
            people = "; ".join(f"{_lower_first(c.position)} — {c.short_name}" for c in direct)
            parts = [f"{dm.position} — {dm.short_name}"]
            if people:
                parts.append(f"Прямые подчинённые в контуре решений: {people}")
            parts.append(D.PROCUREMENT[D.INDUSTRIES[p.industry]["layout"]])
            p.org_structure = " ".join(_sentence(part) for part in parts)
        else:
            p.org_structure = ""

    def person(self, rng: random.Random, region: str, female: bool):
        tatar = region in D.TATAR_REGIONS and rng.random() < 0.5
        if tatar:
            first = rng.choice(D.TATAR_FEMALE_NAMES if female else D.TATAR_MALE_NAMES)
            patronymic = rng.choice(D.TATAR_PATRONYMICS)[1 if female else 0]
            last = rng.choice(D.TATAR_SURNAMES)
        else:
            first = rng.choice(D.FEMALE_NAMES if female else D.MALE_NAMES)
            patronymic = rng.choice(D.PATRONYMICS)[1 if female else 0]
            last = rng.choice(D.SURNAMES)
        if female:
            last = female_surname(last)
        return f"{last} {first} {patronymic}", f"{last} {first[0]}. {patronymic[0]}.", first, last

    # ── writes ─────────────────────────────────────────────────────────────────────────────────

    def bulk(self, objs: list, model) -> list:
        return bulk_create_with_history(
            objs,
            model,
            batch_size=BATCH,
            default_user=self.director,
            default_change_reason=CHANGE_REASON,
        )

    def write_products(self) -> None:
        rng = self.rng("products/write")
        objs = []
        for p in self.products:
            obj = Product(
                sku=p.sku,
                name=p.name,
                category=p.category,
                unit=p.unit,
                list_price=p.old_price or p.price,
                unit_cost=p.old_cost or p.cost,
            )
            _backdate(obj, self.moment(self.start_date, rng))
            objs.append(obj)
        for p, obj in zip(self.products, self.bulk(objs, Product), strict=True):
            p.obj = obj

    def write_competitors(self) -> None:
        rng = self.rng("competitors/write")
        objs = []
        for name, slug, notes, *_rest in D.COMPETITORS:
            obj = Competitor(name=name, website=f"https://{slug}.example", notes=notes)
            _backdate(obj, self.moment(self.start_date, rng))
            objs.append(obj)
        self.competitors = self.bulk(objs, Competitor)

    def write_clients(self) -> None:
        for top_level in (True, False):
            batch = [p for p in self.clients if (p.parent is None) == top_level]
            objs = []
            for p in batch:
                obj = Client(
                    name=p.name,
                    legal_name=p.legal_name,
                    erp_code=p.erp_code,
                    inn=p.inn,
                    kpp=p.kpp,
                    industry=D.INDUSTRIES[p.industry]["label"],
                    region=p.region,
                    employees=p.employees,
                    annual_revenue=p.revenue,
                    website=p.website,
                    description=p.description,
                    history=p.history,
                    org_structure=p.org_structure,
                    status=p.initial_status,
                    client_type=p.initial_type,
                    is_key=p.initial_key,
                    is_industry_leader=p.industry_leader,
                    is_reference_customer=p.reference_customer,
                    is_expert=p.expert,
                    payment_on_time_pct=p.paid_on_time,
                    owner=self.kams[p.kam],
                    assistant=self.assistants[p.kam] if p.initial_key else None,
                    parent=None if p.parent is None else self.clients[p.parent].obj,
                )
                _backdate(obj, p.created)
                objs.append(obj)
            for p, obj in zip(batch, self.bulk(objs, Client), strict=True):
                p.obj = obj

    def write_team(self) -> None:
        objs = []
        for p in self.clients:
            for m in p.team:
                _username, _first, _last, function, note = D.MEMBERS[m]
                obj = TeamMembership(
                    client=p.obj, user=self.members[m], function=function, note=note
                )
                _backdate(obj, p.created)
                objs.append(obj)
        self.bulk(objs, TeamMembership)

    def write_contacts(self) -> None:
        # keyed by str, looked up with a contact's owner_function, which may be None
        by_function: dict[str | None, int] = {mem[3]: i for i, mem in enumerate(D.MEMBERS)}
        for level in range(4):
            objs, plans = [], []
            for p in self.clients:
                for c in p.contacts:
                    if c.level != level:
                        continue
                    owner = self.kams[p.kam]
                    member = by_function.get(c.owner_function)
                    if member is not None and member in p.team:
                        owner = self.members[member]
                    obj = Contact(
                        client=p.obj,
                        full_name=c.full_name,
                        position=c.position,
                        department=c.department,
                        email=c.email,
                        phone=c.phone,
                        decision_role=c.decision_role,
                        influence=c.influence,
                        attitude=c.attitude,
                        reports_to=None if c.parent is None else p.contacts[c.parent].obj,
                        motivation=c.motivation,
                        bonus_drivers=c.bonus,
                        relationship_owner=owner,
                        last_contact_on=c.last_contact_on,
                        notes=c.notes,
                    )
                    _backdate(obj, c.created)
                    objs.append(obj)
                    plans.append(c)
            if objs:
                for c, obj in zip(plans, self.bulk(objs, Contact), strict=True):
                    c.obj = obj

    def write_presence(self) -> None:
        objs = []
        for p in self.clients:
            for c, supplies, strength, notes in p.presence:
                obj = CompetitorPresence(
                    client=p.obj,
                    competitor=self.competitors[c],
                    supplies=supplies,
                    strength=strength,
                    notes=notes,
                )
                _backdate(obj, p.created)
                objs.append(obj)
        self.bulk(objs, CompetitorPresence)

    def write_sales(self) -> None:
        clients = pl.Series([_written(p.obj).pk for p in self.clients], dtype=pl.Int64)
        products = pl.Series([_written(p.obj).pk for p in self.products], dtype=pl.Int64)
        rows = self.lines.select(
            pl.col("date").cast(pl.Utf8),
            pl.col("client").map_batches(lambda idx: clients.gather(idx), return_dtype=pl.Int64),
            pl.col("product").map_batches(lambda j: products.gather(j), return_dtype=pl.Int64),
            _decimal("quantity", 3),
            _decimal("amount", 2),
            _decimal("cost", 2),
            "document_number",
        )
        # Database-ready text and numbers, written in slices: never a model instance per line.
        insert_rows(SalesLine, rows.columns, rows.iter_rows(buffer_size=BATCH * 10))

    def write_tenders(self) -> None:
        rng = self.rng("tenders")
        key = [p for p in self.clients if p.key]
        count = max(3, round(len(key) * 1.4))
        weights = [max(p.size, 1.0) ** 0.5 for p in key]
        layouts = {"construction": "construction", "retail": "retail", "plant": "plant"}
        plans = []
        for _ in range(count):
            p = rng.choices(key, weights)[0]
            assert p.created is not None  # set by plan_clients
            first = min(max(p.created.date() + dt.timedelta(days=1), self.start_date), self.as_of)
            day = first + dt.timedelta(days=rng.randint(0, max(0, (self.as_of - first).days)))
            layout = layouts.get(D.INDUSTRIES[p.industry]["layout"], "small")
            subject = rng.choice(D.TENDER_SUBJECTS[layout]).format(
                jk=rng.choice(D.HOUSING_ESTATES),
                n=(n := rng.randint(1, 9)),
                n2=n + rng.randint(1, 3),
                obj=rng.choice(D.OBJECTS),
                year=day.year if day.month < 10 else day.year + 1,
                q=(day.month - 1) // 3 + 1,
            )
            value = Decimal(max(300_000, round(p.size * rng.uniform(0.02, 0.2), -4)))
            present = [c for c, *_ in p.presence] or rng.sample(range(len(self.competitors)), 2)
            rivals = rng.sample(present, min(len(present), rng.randint(1, 3)))
            if (self.as_of - day).days < 40 or (p.story == "prospect" and rng.random() < 0.4):
                result = TenderResult.PENDING
            else:
                result = rng.choices(
                    [
                        TenderResult.WON,
                        TenderResult.LOST,
                        TenderResult.CANCELLED,
                        TenderResult.PENDING,
                    ],
                    [45, 35, 12, 8],
                )[0]
            if p.story == "prospect" and result == TenderResult.WON:
                result = TenderResult.LOST  # a prospect has not bought from us yet
            reason = rng.choice(D.TENDER_REASONS[result]).format(
                comp=self.competitors[rivals[0]].name
            )
            plans.append((day, p, subject, value, rivals, result, reason))
        plans.sort(key=lambda t: (t[0], t[1].idx))
        for day, p, subject, value, rivals, result, reason in plans:
            kam, assistant = self.kams[p.kam], self.assistants[p.kam]
            tender = Tender(client=p.obj)
            _backdate(tender, self.moment(day, rng))
            opened = result == TenderResult.PENDING
            tender = client_services.tender_save(
                by=kam,
                client=_written(p.obj),
                tender=tender,
                competitors=[self.competitors[c] for c in rivals],
                date=day,
                subject=subject,
                value=value,
                result=TenderResult.PENDING,
                reason=reason if opened else "",
            )
            if not opened:
                decided = min(self.as_of, day + dt.timedelta(days=rng.randint(14, 40)))
                _backdate(tender, self.moment(decided, rng))
                client_services.tender_save(
                    by=rng.choice([kam, assistant]),
                    client=_written(p.obj),
                    tender=tender,
                    result=result,
                    reason=reason,
                )

    def later_edits(self) -> None:
        rng = self.rng("edits")
        fmt = "%d.%m.%Y"

        def rival(p: _ClientPlan) -> str:
            c = p.presence[0][0] if p.presence else rng.randrange(len(D.COMPETITORS))
            return D.COMPETITORS[c][0]

        def when(day: dt.date, not_before: dt.datetime | None = None) -> dt.datetime:
            """A moment on ``day`` (at most as-of), after ``not_before`` (e.g. the creation)."""
            if not_before is not None:
                day = max(day, not_before.date() + dt.timedelta(days=1))
            return self.moment(min(day, self.as_of), rng)

        # Prices (R39): the director raises cement and metal prices.
        for prod in self.products:
            if prod.old_price is None:
                continue
            product = _written(prod.obj)
            _backdate(product, when(self.rise_date - dt.timedelta(days=rng.randint(1, 5))))
            sales_services.product_update(
                by=self.director,
                product=product,
                list_price=prod.price,
                unit_cost=prod.cost,
                reason=D.PRICE_RISE_REASON.format(date=self.rise_date.strftime(fmt)),
            )

        # The new key clients became key after scoring (plan_flags): analyse and score first, so
        # each decision records the score and the suggested type it was taken on.
        if any(p.story == "new_key" for p in self.clients):
            recompute_and_rescore()
        # Clients: scoring, types, risk, loss.
        for p in self.clients:
            client, kam = _written(p.obj), self.kams[p.kam]
            if p.story == "new_key":
                assert p.created is not None  # set by plan_clients
                moment = when(p.created.date() + dt.timedelta(days=rng.randint(30, 60)))
                _backdate(client, moment)
                decision = qualification_services.decide_key(
                    by=self.director, client=client, is_key=True, reason=D.MADE_KEY_REASON
                )
                KeyDecision.objects.filter(pk=decision.pk).update(decided_at=moment)
                client_services.client_update(
                    by=self.director,
                    client=client,
                    reason=D.MADE_KEY_REASON,
                    client_type=ClientType.PROSPECTIVE,
                    assistant=self.assistants[p.kam],
                )
            if p in self.type_changes:
                # after the first full year of history, when last year's results are known
                year = self.start_date.year + (0 if self.start_date.month == 1 else 1)
                day = dt.date(year + 1, 1, rng.randint(20, 31))
                if day > self.as_of:  # a short history: "last year" is the one before as-of
                    day, year = self.as_of - dt.timedelta(days=rng.randint(10, 30)), 0
                _backdate(client, when(day))
                client_services.client_update(
                    by=self.director,
                    client=client,
                    reason=D.TYPE_CHANGE_REASON.format(year=year or self.as_of.year - 1),
                    client_type=ClientType.BREADWINNER,
                )
            if p.risk == "at_risk":
                _backdate(client, when(self.as_of - dt.timedelta(days=rng.randint(10, 60))))
                client_services.client_update(
                    by=kam,
                    client=client,
                    reason=rng.choice(
                        [
                            *D.AT_RISK_REASONS,
                            D.AT_RISK_BY_LAYOUT[D.INDUSTRIES[p.industry]["layout"]],
                        ]
                    ).format(comp=rival(p)),
                    status=ClientStatus.AT_RISK,
                )
            if p.risk == "stopped" and p.status == ClientStatus.AT_RISK:
                assert p.last_sale is not None  # stopped and lost clients bought before
                _backdate(client, when(p.last_sale + dt.timedelta(days=rng.randint(45, 70))))
                client_services.client_update(
                    by=kam,
                    client=client,
                    reason=D.STOPPED_AT_RISK_REASON.format(date=p.last_sale.strftime(fmt)),
                    status=ClientStatus.AT_RISK,
                )
            if p.risk == "lost":
                assert p.last_sale is not None
                since = p.last_sale.strftime(fmt)
                noticed = p.last_sale + dt.timedelta(days=rng.randint(35, 50))
                _backdate(client, when(min(noticed, self.as_of - dt.timedelta(days=1))))
                client_services.client_update(
                    by=kam,
                    client=client,
                    reason=D.STOPPED_AT_RISK_REASON.format(date=since),
                    status=ClientStatus.AT_RISK,
                )
                _backdate(client, when(p.last_sale + dt.timedelta(days=rng.randint(95, 130))))
                client_services.client_update(
                    by=self.director if p.key else kam,
                    client=client,
                    reason=rng.choice(D.LOST_REASONS).format(date=since, comp=rival(p)),
                    status=ClientStatus.LOST,
                )

        # Contacts: attitudes change, people leave, phones change.
        key = [p for p in self.clients if p.key and p.contacts]
        n_key = len(key)
        changed: list[_ContactPlan] = []
        for p in rng.sample(key, min(n_key, max(2, round(n_key * 0.3)))):
            troubled = bool(p.risk)
            contact = p.contacts[0] if troubled else rng.choice(p.contacts)
            old = contact.attitude
            new = max(-2, old - 1) if troubled else min(2, old + 1)
            if new == old:
                continue
            day = self.as_of - dt.timedelta(days=rng.randint(5, 200))
            _backdate(_written(contact.obj), when(day, not_before=contact.created))
            reasons = D.ATTITUDE_DOWN_REASONS if troubled else D.ATTITUDE_UP_REASONS
            client_services.contact_update(
                by=self.kams[p.kam],
                contact=_written(contact.obj),
                reason=_gender(rng.choice(reasons), contact.female),
                attitude=new,
            )
            contact.attitude = new
            changed.append(contact)
        # Who leaves: people nobody reports to, whose attitude we did not just record.
        leaves = [
            (p, c)
            for p in key
            for i, c in enumerate(p.contacts)
            if i > 0 and not any(o.parent == i for o in p.contacts) and c not in changed
        ]
        for p, c in rng.sample(leaves, min(len(leaves), max(2, round(n_key * 0.15)))):
            left_on = self.as_of - dt.timedelta(days=rng.randint(20, 250))
            left_on = max(left_on, c.created.date() + dt.timedelta(days=30))
            if left_on >= self.as_of:
                continue
            _backdate(_written(c.obj), when(left_on + dt.timedelta(days=rng.randint(1, 10))))
            client_services.contact_update(
                by=self.assistants[p.kam],
                contact=_written(c.obj),
                reason=_gender(rng.choice(D.LEFT_REASONS), c.female),
                has_left=True,
                left_on=left_on,
                last_contact_on=min(c.last_contact_on, left_on),
            )
        for p in rng.sample(key, min(n_key, 2)):
            c = rng.choice(p.contacts)
            if _written(c.obj).has_left:
                continue
            day = self.as_of - dt.timedelta(days=rng.randint(5, 90))
            _backdate(_written(c.obj), when(day, not_before=c.created))
            client_services.contact_update(
                by=self.assistants[p.kam],
                contact=_written(c.obj),
                reason=_gender(D.PHONE_CHANGE_REASON, c.female),
                phone=f"+7 (9{rng.randint(10, 99)}) {rng.randint(200, 999)}-{rng.randint(10, 99)}-"
                f"{rng.randint(10, 99)}",
            )

    # ── summary ────────────────────────────────────────────────────────────────────────────────

    def write_potential_and_qualification(self) -> None:
        """Key clients get this and next year's potential and a strategy; prospects a three-P
        qualification at various stages — written by their KAMs through the services."""
        rng = self.rng("potential")
        year = self.as_of.year
        for p in self.clients:
            client, kam = _written(p.obj), _written(p.obj).owner
            if p.key:
                # a year of their purchases, or for a newcomer a modest guess; kept within money
                yearly = float(p.total) / max(len(self.months), 1) * 12 or 5e6
                yearly = min(yearly, 1e11)
                for offset, growth in ((0, 1.0), (1, 1.0 + rng.uniform(0.05, 0.25))):
                    share_of_wallet = rng.uniform(0.25, 0.7)
                    demand = _money(yearly / share_of_wallet * growth, 0)
                    potential_services.potential_save(
                        by=kam,
                        client=client,
                        year=year + offset,
                        total_demand=demand,
                        achievable_share=Decimal(rng.choice((50, 60, 70, 80))),
                        basis=rng.choice(D.POTENTIAL_BASES).format(
                            industry=_lower_first(D.INDUSTRIES[p.industry]["label"])
                        ),
                    )
                texts: dict[str, Any] = dict(
                    zip(("strategy", "needs", "how_we_help"), rng.choice(D.STRATEGIES), strict=True)
                )
                potential_services.strategy_save(by=kam, client=client, **texts)
            elif p.story == "prospect":
                stage = rng.randrange(4)  # how many of the three P's are confirmed so far
                fields: dict[str, Any] = {}
                for n, (letter, evidence) in enumerate(D.THREE_P_EVIDENCE):
                    if n < stage:
                        fields[f"{letter}_status"] = "confirmed"
                        fields[f"{letter}_evidence"] = evidence
                qualification_services.qualification_save(by=kam, client=client, **fields)

    def write_competitive_position(self) -> None:
        """Key clients with competitors get two final assessments half a year apart (the page
        shows what moved), some a draft revision on top, and who holds their spend per product
        category — written by their KAMs through the services."""
        rng = self.rng("competition")
        criteria = competition_services.default_rows()
        sources = (WeightSource.CLIENT, WeightSource.TENDER, WeightSource.ESTIMATE)
        for p in self.clients:
            if not (p.key and p.presence):
                continue
            client = _written(p.obj)
            kam = client.owner
            rivals = [_written(self.competitors[c]) for c, *_ in p.presence]
            rows: list[dict[str, Any]] = [
                {
                    "key": row.key,
                    "name": row.name,
                    "weight": max(1, round(float(row.weight) * rng.uniform(0.4, 2.2))),
                    "source": rng.choices(sources, (5, 2, 3))[0],
                    "us": rng.choice((2, 3, 3, 4, 4, 5)),
                    "them": {r.pk: rng.choice((2, 3, 3, 4, 4, 5)) for r in rivals},
                }
                for row in criteria
            ]
            earlier = self.as_of - dt.timedelta(days=rng.randint(150, 210))
            competition_services.assessment_create(
                by=kam, client=client, assessed_on=earlier, rows=rows, final=True
            )
            # Half a year on: a few scores moved by a point, one weight changed.
            for row in rng.sample(rows, 3):
                row["us"] = min(5, max(1, row["us"] + rng.choice((-1, 1))))
            rival = rivals[0].pk
            for row in rng.sample(rows, 2):
                row["them"][rival] = min(5, max(1, row["them"][rival] + rng.choice((-1, 1))))
            rng.choice(rows)["weight"] += rng.randint(3, 10)
            latest = competition_services.assessment_create(
                by=kam,
                client=client,
                assessed_on=self.as_of - dt.timedelta(days=rng.randint(3, 40)),
                rows=rows,
                final=True,
            )
            if rng.random() < 0.3:  # a revision under way: a draft started from the latest
                competition_services.assessment_create(
                    by=kam,
                    client=client,
                    assessed_on=self.as_of,
                    start_from=latest,
                    note=rng.choice(D.ASSESSMENT_DRAFT_NOTES),
                )
            known = potential_selectors.whitespace(client, Window.ending(self.as_of))
            bought = {r.category for r in known.rows if r.amount}
            competition_services.spend_save(
                by=kam, client=client, rows=self.spend_rows(rng, p, bought)
            )

    def spend_rows(self, rng: random.Random, p: _ClientPlan, bought: set[str]) -> list[dict]:
        """We hold the ``bought`` categories (the client buys them from us), sharing one when a
        competitor supplies it too; each competitor holds one of the categories it supplies;
        one category nobody supplies is the client's own or not bought at all."""
        names = {code: name for code, name, *_ in D.CATEGORIES}
        held: dict[str, list[tuple[str, int | None]]] = {
            code: [(Holder.US, None)] for code, name in names.items() if name in bought
        }
        for c, *_ in p.presence:
            held.setdefault(rng.choice(D.COMPETITORS[c][5]), []).append(
                (Holder.COMPETITOR, _written(self.competitors[c]).pk)
            )
        spare = [code for code in names if code not in held]
        if spare:
            held[rng.choice(spare)] = [(rng.choice((Holder.OWN_STAFF, Holder.NOBODY)), None)]
        rows = []
        for code, holders in held.items():
            # Alone, a holder's share is often not known; shared, we have the larger part.
            left = 100 if len(holders) > 1 else rng.choice((None, 100, rng.randrange(60, 95, 5)))
            for n, (holder, competitor) in enumerate(holders):
                share = left
                if left is not None and n < len(holders) - 1:
                    share = min(left, rng.randrange(40, 85, 5) if n == 0 else 30)
                    left -= share
                rows.append(
                    {"category": names[code], "holder": holder, "competitor": competitor,
                     "share": share}
                )  # fmt: skip
        return rows

    def summary(self) -> DemoSummary:
        totals = sorted((float(p.total) for p in self.clients), reverse=True)
        top = max(1, round(len(totals) * 0.2))
        grand = sum(totals)
        return DemoSummary(
            seed=self.seed,
            as_of=self.as_of,
            months=self.m,
            users=self.demo_users,
            clients=Client.objects.count(),
            key_clients=Client.objects.filter(is_key=True).count(),
            products=Product.objects.count(),
            sales_lines=SalesLine.objects.count(),
            contacts=Contact.objects.count(),
            competitors=Competitor.objects.count(),
            tenders=Tender.objects.count(),
            sales_amount=sum((p.total for p in self.clients), Decimal("0")),
            top20_share=sum(totals[:top]) / grand if grand else 0.0,
            seconds=time.monotonic() - self.started,
        )


# ── helpers ────────────────────────────────────────────────────────────────────────────────────


_M = TypeVar("_M", bound=models.Model)


def _written(obj: _M | None) -> _M:
    """The record of a plan: the write_* steps make it before anything reads it."""
    assert obj is not None, "read before it was written"
    return obj


def _backdate(obj: models.Model, moment: dt.datetime | None) -> None:
    """Date the audit-history entry that obj's next save (or bulk insert) makes."""
    # simple_history reads this attribute off the instance; the model does not declare it.
    obj._history_date = moment  # type: ignore[attr-defined]


def _month_list(as_of: dt.date, months: int) -> list[tuple[int, int]]:
    """The ``months`` (year, month) pairs ending with as-of's month, oldest first."""
    y, m, out = as_of.year, as_of.month, []
    for _ in range(months):
        out.append((y, m))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out[::-1]


def _working_days(year: int, month: int, as_of: dt.date) -> list[dt.date]:
    """Working days of a month up to as-of (no weekends, no New Year holidays)."""
    last = calendar.monthrange(year, month)[1]
    days = [dt.date(year, month, d) for d in range(1, last + 1)]
    days = [d for d in days if d <= as_of] or [min(dt.date(year, month, 1), as_of)]
    work = [d for d in days if d.weekday() < 5 and not (d.month == 1 and d.day <= 8)]
    return work or days


def _money(value: float, digits: int) -> Decimal:
    return Decimal(str(round(value, digits))).quantize(CENT, ROUND_HALF_UP)


def _quantity(value: float, digits: int) -> Decimal:
    if digits:
        step = 10**-digits
        return Decimal(str(round(max(value, 100 * step if digits == 3 else 5 * step), digits)))
    return Decimal(max(1, round(value)))


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _sentence(text: str) -> str:
    return text if text.endswith(".") else text + "."


_GENDERED = re.compile(r"\{([^{}|]*)\|([^{}|]*)\}")


def _gender(text: str, female: bool) -> str:
    """Resolve ``{masculine|feminine}`` alternatives in a text about one person."""
    return _GENDERED.sub(lambda m: m.group(2 if female else 1), text)


def _plural(n: int, forms: tuple[str, str, str]) -> str:
    """The Russian form for ``n``: (1, 2–4, 5+), e.g. 1 магазин, 3 магазина, 11 магазинов."""
    if n % 10 == 1 and n % 100 != 11:
        return forms[0]
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return forms[1]
    return forms[2]


def _weighted_sample(rng: random.Random, items: list, weights: list[float], k: int) -> list:
    """``k`` distinct items, each draw proportional to the remaining weights."""
    items, weights, out = list(items), list(weights), []
    for _ in range(min(k, len(items))):
        total = sum(weights)
        if total <= 0:
            break
        cumulative, acc = [], 0.0
        for w in weights:
            acc += w
            cumulative.append(acc)
        j = min(bisect(cumulative, rng.random() * total), len(items) - 1)
        out.append(items.pop(j))
        weights.pop(j)
    return out


_LINE_COLUMNS = ("date", "client", "seq", "product", "quantity", "amount", "cost")
_EPOCH = dt.date(1970, 1, 1).toordinal()


def _number_orders(lines: pl.DataFrame) -> pl.DataFrame:
    """Lines in the order of their documents (date, client, the client's order), each with its
    document's number: УПД-<year>-<the year's running count of documents>."""
    lines = lines.with_columns(date=(pl.col("date") - _EPOCH).cast(pl.Int32).cast(pl.Date)).sort(
        "date", "client", "seq", maintain_order=True
    )
    new = pl.any_horizontal(
        pl.col(c).ne_missing(pl.col(c).shift()) for c in ("date", "client", "seq")
    )
    year = pl.col("date").dt.year()
    count = new.cast(pl.Int64).cum_sum().over(year)
    return lines.with_columns(
        document_number=pl.concat_str(
            pl.lit("УПД-"), year.cast(pl.Utf8), pl.lit("-"), count.cast(pl.Utf8).str.zfill(6)
        )
    ).drop("seq")


def _decimal(column: str, places: int) -> pl.Expr:
    """An integer column counted in 10^-places as decimal text (all the demo's values are ≥ 0)."""
    whole = pl.col(column) // 10**places
    part = (pl.col(column) % 10**places).cast(pl.Utf8).str.zfill(places)
    return pl.concat_str(whole.cast(pl.Utf8), pl.lit("."), part).alias(column)
