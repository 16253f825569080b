"""Page benchmark: every GET page, export and API read at 1×, 10× and 100× the demo company.

    .venv/bin/python bench/pages.py [--sizes 1,10] [--database-url postgres://…] [--only PATTERN]
                                    [--runs N]
                                    [--check]

Builds (once, cached) the demo company at each size — 150, 1,500 and 15,000 clients, the same
sales lines per client — on SQLite under var/bench/, or with ``--database-url`` in PostgreSQL
databases named after the given one (``<name>_pages_<size>x_<key>``). The cache key is a hash of
the demo generator and of every migration, so a changed generator or schema builds afresh.

Nothing is listed by hand: the pages are every route of the URL configuration (the admin
aside, it is Django's), the API reads every GET operation of the Ninja API (``limit=100``).
Route parameters are filled with a real object the role may see (the biggest client); the model
comes from the path segment before the parameter (``clients/<id:pk>`` → Client) or from
PARAMETERS below. A route no rule can fill stops the run with the list of such routes.

Each URL is opened as director, KAM, assistant and team member (Django's test client in this
process, force_login; the API with a personal token): one warm-up, then the median of 5
(``--runs``; 1 for a first look at 100×, where an export takes seconds). Routes
that answer GET with 405 are forms' POST targets and are listed, not timed. Everything runs in a
transaction that is rolled back, so the cached company stays as built.

Budgets (server time, median), checked by ``--check``:
  page and API read ≤ 200 ms at 10×, ≤ 500 ms at 100×; export ≤ 1 s at 10×;
  growth of a page or API read 1×→10× ≤ 2× (an export holds every row: it may grow), per row
  shown when the 1× page showed fewer rows than the 10× one (rows: each size's count), unless
  both times are under 30 ms (below that the ratio is noise: a 6 ms page taking 13 ms on a
  busy machine says nothing); no server error.

An XLSX export of more than KAM_EXPORT_INLINE_ROWS rows answers with its job's page (a
redirect): the table shows that request's time, and the file is then written in this process
as the worker would write it, timed and listed under the table (no budget: nobody waits on it).
"""

import argparse
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench"
CLIENTS_AT_1X = 150
AS_OF = "2025-12-31"  # fixed, so a cached company does not depend on the day it was built
ROLES = ("director", "kam1", "assistant1", "member1")
RUNS = 5  # medians of 3 moved a 110 ms page past 200 ms on this shared machine

PAGE_MS = {10: 200.0, 100: 500.0}
EXPORT_MS = {10: 1000.0}
MAX_GROWTH = 2.0
NOISE_FLOOR_MS = 30.0

# Path segments (before a parameter) that do not name their model. Everything else is found by
# name: "clients/<id:pk>" → kam.clients.Client, "{client_id}" → Client.
PARAMETERS = {
    "competitors": "clients.CompetitorPresence",
    "team": "clients.TeamMembership",
    "tokens": "core.ApiToken",
    "imports": "imports.ImportJob",
    "exports": "core.ExportJob",
    "mappings": "imports.MappingPreset",
    "kam": "core.User",  # portfolio/kam/<pk>: a KAM
    "reassign": "clients.Client",
    "potential": "potential.ClientPotential",
    "competition": "competition.Assessment",
    "line": "sales.SalesLine",  # the API's {line_id}
}
# Objects of these models are taken from those matching the filter when there are any: a draft
# assessment, whose edit page is the form (a final one redirects to its page, timing nothing).
PREFERRED = {"competition.Assessment": {"status": "draft"}}
# Parameters that are not objects.
VALUES = {"kind": "contacts"}


def cache_key() -> str:
    """The generator, its data and every migration: any change builds the companies afresh."""
    digest = hashlib.sha256()
    files = [ROOT / "kam/demo/generator.py", ROOT / "kam/demo/data.py"]
    files += sorted(ROOT.glob("kam/*/migrations/*.py"))
    for path in files:
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


# ── building the companies ─────────────────────────────────────────────────────────────────────


def child_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ, DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="kam.settings")
    env.setdefault("KAM_VAR_DIR", str(CACHE / "var"))
    return env


def manage(database_url: str, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=child_env(database_url), check=True
    )


def build(size: int, base_url: str | None) -> str:
    """The database URL of the company at ``size``×, built now unless cached."""
    key = cache_key()
    clients = str(CLIENTS_AT_1X * size)
    if base_url is None:
        path = CACHE / f"pages-{size}x-{key}.sqlite3"
        if not path.exists():
            print(f"building the {size}× company ({clients} clients) in {path} …", flush=True)
            partial = path.with_suffix(".partial")
            partial.unlink(missing_ok=True)
            url = f"sqlite:///{partial}"
            manage(url, "migrate", "--no-input", "-v", "0")
            manage(url, "demo", "--clients", clients, "--as-of", AS_OF)
            partial.rename(path)  # only a finished build is ever used
        return f"sqlite:///{path}"
    # PostgreSQL: one database per size, built under a temporary name and renamed when done.
    import psycopg

    parsed = urlparse(base_url)
    name = f"{parsed.path.lstrip('/')}_pages_{size}x_{key}"
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", [name]).fetchone()
        if not exists:
            print(f"building the {size}× company ({clients} clients) in {name} …", flush=True)
            conn.execute(f'drop database if exists "{name}_partial"')
            conn.execute(f'create database "{name}_partial"')
            url = parsed._replace(path=f"/{name}_partial").geturl()
            manage(url, "migrate", "--no-input", "-v", "0")
            manage(url, "demo", "--clients", clients, "--as-of", AS_OF)
            conn.execute(f'alter database "{name}_partial" rename to "{name}"')
    return parsed._replace(path=f"/{name}").geturl()


# ── discovery (imported by the test) ───────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Route:
    kind: str  # "page", "export" or "api"
    route: str  # "/clients/<id:pk>/edit/"
    name: str  # "clients:edit"
    params: tuple[tuple[str, str], ...]  # (parameter, what fills it: "app.Model" or a value)


EXPORT = re.compile(r"export|xlsx|csv", re.IGNORECASE)
# The pages of the exports written in the background are pages; their download is an export.
EXPORT_PAGES = re.compile(r"^exports:(?!download$)")
SKIPPED = ("admin/", "api/")  # Django's admin; the API is discovered from Ninja


def discover() -> tuple[list[Route], list[str]]:
    """Every route of the URL configuration and every GET operation of the API, each with how
    its parameters are filled; and the routes no rule can fill (the run must stop on those)."""
    from django.urls import URLPattern, URLResolver, get_resolver

    routes: list[Route] = []
    unfilled: list[str] = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for entry in patterns:
            text = prefix + str(entry.pattern)
            if text.startswith(SKIPPED):
                continue
            if isinstance(entry, URLResolver):
                ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, text, ns)
            elif isinstance(entry, URLPattern):
                name = f"{namespace}{entry.name or ''}"
                exporting = EXPORT.search(f"{text} {name}") and not EXPORT_PAGES.match(name)
                kind = "export" if exporting else "page"
                add(kind, "/" + text, name)

    def add(kind: str, route: str, name: str) -> None:
        params = []
        for match in re.finditer(r"<(?:(\w+):)?(\w+)>|\{(\w+)\}", route):
            converter, param, api_param = match.groups()
            before = route[: match.start()].rstrip("/").rsplit("/", 1)[-1]
            what = fill_rule(converter, param or "", api_param, before)
            if what is None:
                unfilled.append(f"{name} {route}")
                return
            params.append((match.group(0), what))
        routes.append(Route(kind, route, name, tuple(params)))

    walk(get_resolver().url_patterns, "", "")
    from kam.api import api

    for _prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                if "GET" in operation.methods:
                    add("api", "/api" + path, operation.url_name or path)
    return routes, unfilled


def fill_rule(converter: str | None, param: str, api_param: str | None, before: str) -> str | None:
    """What fills one parameter: "app.Model" or a literal value; None when nothing does."""
    if api_param:  # the API's "{client_id}": the model is in the name
        stem = api_param.removesuffix("_id")
        return PARAMETERS.get(stem) or model_named(stem)
    if converter in ("id", "int") and param == "pk":
        return PARAMETERS.get(before) or model_named(before.removesuffix("s"))
    return VALUES.get(param)


def model_named(name: str) -> str | None:
    from django.apps import apps

    for model in apps.get_models():
        if model.__module__.startswith("kam.") and model._meta.model_name == name.replace("-", ""):
            return model._meta.label
    return None


# ── measuring (in a child process per size, Django set up on that company) ─────────────────────


def visible(label: str, user):
    """The object of model ``label`` that ``user`` may see and that is the most work to show:
    the client with the most sales lines; otherwise the first."""
    from django.apps import apps
    from django.db.models import Count

    from kam.clients.models import Client
    from kam.core.access import client_access_q
    from kam.core.models import Role, User

    model = apps.get_model(label)
    if model is Client:
        return (
            Client.objects.filter(client_access_q(user))
            .annotate(lines=Count("sales_lines"))
            .order_by("-lines", "pk")
            .first()
        )
    if model is User:
        return user if user.role == Role.KAM else User.objects.filter(role=Role.KAM).first()
    manager = model._default_manager
    if hasattr(manager.all(), "visible_to"):
        rows = manager.all().visible_to(user).order_by("pk")
        preferred = PREFERRED.get(label)
        return (preferred and rows.filter(**preferred).first()) or rows.first()
    if any(f.name == "user" for f in model._meta.fields):
        return manager.filter(user=user).order_by("pk").first()
    if any(f.name == "client" for f in model._meta.fields):
        return manager.filter(client_access_q(user, "client__")).order_by("pk").first()
    return manager.order_by("pk").first()


def url_for(route: Route, user, memo: dict | None = None) -> str | None:
    """``route`` with its parameters filled for ``user``; None when the user may see nothing
    that fills it. ``memo`` keeps the objects found (finding the biggest client at 100× counts
    five million lines)."""
    memo = {} if memo is None else memo
    url = route.route
    for placeholder, what in route.params:
        if "." in what:
            if (what, user.pk) not in memo:
                memo[what, user.pk] = visible(what, user)
            obj = memo[what, user.pk]
            if obj is None:
                return None
            what = str(obj.pk)
        url = url.replace(placeholder, what, 1)
    return url


def rows_shown(response) -> int | None:
    kind = response.get("Content-Type", "")
    body = response.content if not response.streaming else b"".join(response.streaming_content)
    if "json" in kind:
        data = json.loads(body or b"null")
        if isinstance(data, dict) and isinstance(data.get("items"), list):
            return len(data["items"])
        return len(data) if isinstance(data, list) else None
    if "html" in kind:
        text = body.decode("utf-8", "replace")
        return sum(part.count("<tr") for part in re.findall(r"<tbody.*?</tbody>", text, re.S))
    if "csv" in kind:
        return max(0, body.count(b"\n") - 1)
    if "spreadsheet" in kind:
        from openpyxl import load_workbook

        book = load_workbook(BytesIO(body), read_only=True)
        return sum(max(0, (sheet.max_row or 1) - 1) for sheet in book.worksheets)
    return None


def measure(only: str | None, runs: int = RUNS) -> list[dict]:
    from django.core.files.base import ContentFile
    from django.db import connection, transaction
    from django.test import Client as HttpClient
    from django.test.utils import CaptureQueriesContext

    from kam.core.exports import Sheet, write_xlsx
    from kam.core.models import ApiToken, ExportJob, ExportStatus, User
    from kam.imports.models import ImportJob, ImportStatus, MappingPreset

    routes, unfilled = discover()
    if unfilled:
        sys.exit("bench/pages.py cannot fill these routes:\n  " + "\n  ".join(unfilled))
    results: list[dict] = []
    memo: dict = {}
    written: list = []  # files the run wrote: the rollback does not remove them
    with transaction.atomic():
        users = [User.objects.get(username=name) for name in ROLES]
        # The demo imports nothing: a finished import of each user's (only its author sees an
        # import) and saved mappings, so that their pages are measured too.
        for user in users:
            ImportJob.objects.create(
                kind="contacts",
                original_name="bench.csv",
                file="imports/bench.csv",
                created_by=user,
                status=ImportStatus.FAILED,
            )
        for kind in ("sales", "contacts"):
            MappingPreset.objects.create(kind=kind, name="bench", created_by=users[0])
        # And a finished background export of each (only its author sees it), with its file.
        for user in users:
            done = ExportJob(
                name="bench", title="bench", created_by=user, status=ExportStatus.SUCCEEDED
            )
            content = BytesIO()
            write_xlsx(content, [Sheet("bench", ["bench"], [["bench"]])])
            done.file.save("bench.xlsx", ContentFile(content.getvalue()), save=False)
            done.save()
            written.append(done.file)
        for user in users:
            http = HttpClient(raise_request_exception=False)
            http.force_login(user)
            _token, key = ApiToken.issue(user=user, name="bench")
            for route in routes:
                if only and not re.search(only, f"{route.route} {route.name}"):
                    continue
                url = url_for(route, user, memo)
                row = {"kind": route.kind, "route": route.route, "role": user.username}
                if url is None:
                    results.append(row | {"status": "none visible"})
                    continue
                headers = {}
                if route.kind == "api":
                    url += "?limit=100"
                    headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
                first = http.get(url, **headers)
                rows_shown(first)  # consume a streamed response
                if first.status_code == 405:
                    results.append(row | {"status": "POST only"})
                    continue
                times = []
                for _ in range(runs):
                    with CaptureQueriesContext(connection) as queries:
                        start = time.perf_counter()
                        response = http.get(url, **headers)
                        rows = rows_shown(response)
                        times.append((time.perf_counter() - start) * 1000)
                result = {
                    "status": response.status_code,
                    "ms": statistics.median(times),
                    "queries": len(queries),
                    "rows": rows,
                }
                if route.kind == "export" and response.status_code == 302:
                    result |= background(response["Location"], written)
                results.append(row | result)
        transaction.set_rollback(True)
    for file in written:
        file.delete(save=False)
    return results


def background(location: str, written: list) -> dict:
    """An export answered with its job's page: write the file as the worker would, timed."""
    from django.urls import resolve

    from kam.core.exports import run_export
    from kam.core.models import ExportJob

    match = resolve(urlparse(location).path)
    if match.view_name != "exports:detail":
        return {}
    start = time.perf_counter()
    run_export(match.kwargs["pk"])
    ms = (time.perf_counter() - start) * 1000
    job = ExportJob.objects.get(pk=match.kwargs["pk"])
    written.append(job.file)
    return {"job_ms": ms, "job_status": job.status, "rows": job.total_rows}


# ── the table ──────────────────────────────────────────────────────────────────────────────────


def page_growth(ms_a: float, ms_b: float, rows_a: int | None, rows_b: int | None) -> float:
    """How much a page's time grew between two sizes of the company: per row shown when the
    smaller company filled less of the page (a member sees 12 clients at 1×, a full page of 100
    at 10×: the page filling up is not the page growing with the company)."""
    if rows_a and rows_b and rows_b > rows_a:
        return (ms_b / rows_b) / (ms_a / rows_a)
    return ms_b / ms_a


def table(sizes: list[int], by_size: dict[int, list[dict]]) -> tuple[list[str], list[str]]:
    """The printed lines and the budget breaches."""
    keyed: dict[tuple, dict[int, dict]] = {}
    post_only: set[str] = set()
    for size in sizes:
        for r in by_size[size]:
            if r["status"] == "POST only":
                post_only.add(r["route"])
                continue
            keyed.setdefault((r["kind"], r["route"], r["role"]), {})[size] = r
    head = ["kind", "route", "role", "status"]
    head += [f"{s}× ms" for s in sizes] + ["queries", "rows"]
    head += [f"{a}→{b}×" for a, b in zip(sizes, sizes[1:], strict=False)]
    lines, breaches, background = [head], [], []
    for (kind, route, role), at in keyed.items():
        last = at.get(sizes[-1], {})
        ms = {s: at[s].get("ms") for s in sizes if s in at}
        line = [kind, route, role, str(last.get("status", ""))]
        line += [f"{ms[s]:.0f}" if ms.get(s) is not None else "-" for s in sizes]
        rows = {s: at[s].get("rows") for s in sizes if s in at}
        line += [
            str(last.get("queries", "-")),
            "/".join("-" if rows.get(s) is None else str(rows[s]) for s in sizes),
        ]
        for a, b in zip(sizes, sizes[1:], strict=False):
            if ms.get(a) and ms.get(b):
                growth = page_growth(ms[a], ms[b], rows.get(a), rows.get(b))
                shown = f"×{ms[b] / ms[a]:.1f}"
                line.append(shown if growth == ms[b] / ms[a] else f"{shown} (×{growth:.1f}/row)")
                grew = growth > MAX_GROWTH and max(ms[a], ms[b]) >= NOISE_FLOOR_MS
                # An export holds every row, so it grows with the company: time budget only.
                if a == 1 and b == 10 and grew and kind != "export":
                    breaches.append(f"{route} as {role}: grows ×{growth:.1f} from 1× to 10×")
            else:
                line.append("-")
        budget = EXPORT_MS if kind == "export" else PAGE_MS
        for size, limit in budget.items():
            if ms.get(size) is not None and ms[size] > limit:
                breaches.append(f"{route} as {role}: {ms[size]:.0f} ms at {size}× > {limit:.0f} ms")
        if isinstance(last.get("status"), int) and last["status"] >= 500:
            breaches.append(f"{route} as {role}: server error {last['status']}")
        for size in sizes:
            if size in at and "job_ms" in at[size]:
                job = at[size]
                background.append(
                    f"  {route} as {role} at {size}×: {job['job_ms'] / 1000:.1f} s, "
                    f"{job['rows']} rows, {job['job_status']}"
                )
                if job["job_status"] != "succeeded":
                    breaches.append(f"{route} as {role}: background export {job['job_status']}")
        lines.append(line)
    widths = [max(len(str(row[i])) for row in lines) for i in range(len(head))]
    text = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) for row in lines]
    if post_only:
        text.append("POST only (not timed): " + ", ".join(sorted(post_only)))
    if background:
        # The request queued the export (its time is in the table); a worker writes the file.
        text.append("Written by the worker (the request answered with the export's page):")
        text += background
    return text, breaches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10", help="multiples of the demo: 1,10 or 1,10,100")
    parser.add_argument("--database-url", help="postgres://… (default: SQLite under var/bench)")
    parser.add_argument("--only", help="a regular expression on the route or its name")
    parser.add_argument("--check", action="store_true", help="exit 1 on a budget breach")
    parser.add_argument("--runs", type=int, default=RUNS, help="timed requests per URL (median)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the child: measure, print JSON
    args = parser.parse_args()
    if args.measure:
        import django

        django.setup()
        print(json.dumps(measure(args.only, args.runs)))
        return
    sizes = sorted(int(s) for s in args.sizes.split(","))
    by_size = {}
    for size in sizes:
        url = build(size, args.database_url)
        print(f"measuring the {size}× company …", flush=True)
        command = [sys.executable, __file__, "--measure", "1", "--runs", str(args.runs)]
        if args.only:
            command += ["--only", args.only]
        done = subprocess.run(
            command, cwd=ROOT, env=child_env(url), check=True, capture_output=True, text=True
        )
        by_size[size] = json.loads(done.stdout.strip().splitlines()[-1])
    lines, breaches = table(sizes, by_size)
    print("\n".join(lines))
    print(f"\n{len(breaches)} budget breach(es)" + (":" if breaches else "."))
    for breach in breaches:
        print(f"  {breach}")
    if args.check and breaches:
        sys.exit(1)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
