"""One-line mutations of production code, and whether the tests catch them.

    .venv/bin/python scripts/mutants.py                # all, a Markdown table on stdout
    .venv/bin/python scripts/mutants.py access         # those whose id starts with "access"
    .venv/bin/python scripts/mutants.py --check        # only check that every mutation applies
    .venv/bin/python scripts/mutants.py access.edit --tests=tests/core   # other tests than listed

Each mutant replaces one exact text (it must occur once) in one file, runs the named tests with
``-x`` and puts the file back, whatever happens. "caught" names the first failing test. A mutant
whose text is gone from the code is reported "stale": update or drop it. It refuses to run on a
work tree with uncommitted changes under kam/, so that putting files back cannot lose work.
"""

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MATRIX = "tests/access/test_access_matrix.py"
#: Where exports are opened and read back.
EXPORTS = (
    "tests/clients",
    "tests/imports",
    "tests/insights",
    "tests/insights_app",
    "tests/keyprofile",
    "tests/portfolio",
    "tests/potential",
    "tests/qualification",
    "tests/sales",
)


@dataclass(frozen=True)
class Mutant:
    id: str
    path: str
    old: str
    new: str
    what: str
    tests: tuple[str, ...] = (MATRIX,)


ACCESS = "kam/core/access.py"
MUTANTS = [
    # --- the access rule, branch by branch: the matrix alone must catch each -------------------
    Mutant(
        "access.q.director",
        ACCESS,
        "    if user.is_director:\n        return Q()",
        "    if False:\n        return Q()",
        "client_access_q: the director no longer sees every client",
    ),
    Mutant(
        "access.q.owner",
        ACCESS,
        'Q(**{f"{prefix}owner": user})\n',
        "Q(pk__in=[])\n",
        "client_access_q: drop the owner-KAM branch",
    ),
    Mutant(
        "access.q.assistant",
        ACCESS,
        '        | Q(**{f"{prefix}assistant": user})\n',
        "",
        "client_access_q: drop the client's direct-assistant branch",
    ),
    Mutant(
        "access.q.assisted",
        ACCESS,
        '        | Q(**{f"{prefix}owner__in": assisted})\n',
        "",
        "client_access_q: drop the assistant-of-the-owning-KAM branch",
    ),
    Mutant(
        "access.q.team",
        ACCESS,
        '        | Q(**{f"{prefix}pk__in": team})\n',
        "",
        "client_access_q: drop the team-member branch",
    ),
    Mutant(
        "access.q.any-team",
        ACCESS,
        'TeamMembership.objects.filter(user=user).values("client_id")',
        'TeamMembership.objects.values("client_id")',
        "client_access_q: a team member sees every team's clients",
    ),
    Mutant(
        "access.q.inactive",
        ACCESS,
        "if user is None or not user.is_authenticated or not user.is_active:",
        "if user is None or not user.is_authenticated:",
        "client_access_q: forget the is_active check",
        (MATRIX, "tests/core/test_access_rule.py"),
    ),
    Mutant(
        "access.edit.inactive",
        ACCESS,
        "    if not (user.is_authenticated and user.is_active):\n        return False\n"
        "    if user.is_director:\n        return True",
        "    if not user.is_authenticated:\n        return False\n"
        "    if user.is_director:\n        return True",
        "can_edit_client: forget the is_active check",
        (MATRIX, "tests/core/test_access_rule.py"),
    ),
    Mutant(
        "access.edit.director",
        ACCESS,
        "    if user.is_director:\n        return True\n    if client.owner_id",
        "    if False:\n        return True\n    if client.owner_id",
        "can_edit_client: the director may no longer edit",
    ),
    Mutant(
        "access.edit.owner",
        ACCESS,
        "if client.owner_id == user.pk or client.assistant_id == user.pk:",
        "if client.assistant_id == user.pk:",
        "can_edit_client: drop the owner-KAM branch",
    ),
    Mutant(
        "access.edit.assistant",
        ACCESS,
        "if client.owner_id == user.pk or client.assistant_id == user.pk:",
        "if client.owner_id == user.pk:",
        "can_edit_client: drop the client's direct-assistant branch",
    ),
    Mutant(
        "access.edit.assisted",
        ACCESS,
        "    return user.assisted_kams.filter(pk=client.owner_id).exists()",
        "    return False",
        "can_edit_client: drop the assistant-of-the-owning-KAM branch",
    ),
    Mutant(
        "access.edit.anyone",
        ACCESS,
        "    return user.assisted_kams.filter(pk=client.owner_id).exists()",
        "    return True",
        "can_edit_client: everyone who sees a client edits it (team members too)",
    ),
    Mutant(
        "access.create.anyone",
        ACCESS,
        "(user.is_director or user.role == Role.KAM)",
        "True",
        "can_create_clients: any signed-in user creates clients",
    ),
    Mutant(
        "access.create.director",
        ACCESS,
        "(user.is_director or user.role == Role.KAM)",
        "user.role == Role.KAM",
        "can_create_clients: drop the director branch",
    ),
    Mutant(
        "access.company.anyone",
        ACCESS,
        "return user.is_authenticated and user.is_director",
        "return user.is_authenticated",
        "can_manage_company_data: anyone manages products and ERP imports",
    ),
    Mutant(
        "access.user.director-inactive",
        "kam/core/models.py",
        "return self.is_active and (self.role == Role.DIRECTOR or self.is_superuser)",
        "return self.role == Role.DIRECTOR or self.is_superuser",
        "User.is_director: a deactivated director still counts as one",
        (MATRIX, "tests/core/test_access_rule.py"),
    ),
    Mutant(
        "access.token.inactive",
        "kam/core/models.py",
        "revoked_at__isnull=True, user__is_active=True",
        "revoked_at__isnull=True",
        "ApiToken.active: a deactivated user's token keeps working",
    ),
    Mutant(
        "access.token.fallback",
        "kam/core/api_auth.py",
        "            raise AuthenticationError()",
        "            return None",
        "API: a wrong bearer token falls back to the session",
        ("tests/api/test_auth.py",),
    ),
    Mutant(
        "access.login.products",
        "kam/sales/views.py",
        "@login_required\ndef product_list(request):",
        "def product_list(request):",
        "the product list without @login_required (the review's example)",
    ),
    Mutant(
        "access.imports.visible",
        "kam/imports/models.py",
        "return self if user.is_director else self.filter(created_by=user)",
        "return self",
        "ImportJob.visible_to: everyone sees everyone's import files",
    ),
    Mutant(
        "access.decide.assistant",
        "kam/qualification/services.py",
        "return bool(user.is_director or client.owner_id == user.pk)",
        "return bool(user.is_director or user.pk in (client.owner_id, client.assistant_id))",
        "can_decide: the client's assistant decides key / not key",
    ),
    Mutant(
        "access.portfolio.editable",
        "kam/portfolio/services.py",
        "client.owner_id == user.pk or client.assistant_id == user.pk or client.owner_id in",
        "client.owner_id == user.pk or client.owner_id in",
        "portfolio editable_test: the client's direct assistant loses the add-potential link",
        (MATRIX, "tests/core/test_access_rule.py"),
    ),
    Mutant(
        "access.admin.staff",
        "kam/core/admin.py",
        "request.user.is_authenticated and request.user.is_director",
        "request.user.is_authenticated and request.user.is_staff",
        "admin: staff flag instead of the director role",
        ("tests/core/test_admin_and_language.py",),
    ),
    Mutant(
        "access.contacts-import.assistant",
        "kam/imports/kinds/contacts.py",
        "return user.is_director or user.role in (Role.KAM, Role.ASSISTANT)",
        "return user.is_director or user.role == Role.KAM",
        "contacts import: assistants may no longer import contacts",
        (MATRIX, "tests/imports"),
    ),
    # --- what the matrix's effect checks add: a status alone would not see these ----------------
    Mutant(
        "matrix.effect.contact-update",
        "kam/clients/services.py",
        "    _check_edit(by, contact.client)\n    assign_fields(contact, fields, CONTACT_FIELDS)\n"
        "    _check_contact_links(contact)\n    save_audited(contact, by=by, reason=reason)\n",
        "    _check_edit(by, contact.client)\n    assign_fields(contact, fields, CONTACT_FIELDS)\n"
        "    _check_contact_links(contact)\n",
        "contact_update answers success but saves nothing",
    ),
    Mutant(
        "matrix.effect.client-patch",
        "kam/clients/api.py",
        "    client = services.client_update(by=user, client=client, **data)\n",
        "",
        "PATCH /api/clients/{id} answers 200 but changes nothing",
    ),
    Mutant(
        "matrix.unchanged.recompute",
        "kam/insights/views.py",
        "    if not request.user.is_director:\n        raise PermissionDenied\n"
        "    recompute_task.enqueue(request.user.pk)\n",
        "    recompute_task.enqueue(request.user.pk)\n"
        "    if not request.user.is_director:\n        raise PermissionDenied\n",
        "recompute runs before the refusal: the 403 is right, the database is not",
    ),
    # --- services ------------------------------------------------------------------------------
    Mutant(
        "services.client.owner-slip",
        "kam/clients/services.py",
        '        fields["owner"] = by  # a KAM creates clients for themselves',
        "        pass",
        "client_create: a KAM may create a client for another owner",
        ("tests/clients", "tests/api/test_clients.py"),
    ),
    Mutant(
        "services.client.reassign-by-kam",
        "kam/clients/services.py",
        'if ("owner" in fields and fields["owner"] != client.owner) and not by.is_director:',
        'if ("owner" in fields and fields["owner"] != client.owner) and False:',
        "client_update: a KAM may hand a client to another KAM",
        ("tests/clients", "tests/api/test_clients.py"),
    ),
    Mutant(
        "services.people.assistant-role",
        "kam/clients/services.py",
        "if assistant is not None and assistant.role != Role.ASSISTANT:",
        "if False:",
        "client service: any user may be named the client's assistant",
        ("tests/clients", "tests/api/test_clients.py"),
    ),
    Mutant(
        "services.audit.reason",
        "kam/core/services.py",
        "    if reason:\n        instance._change_reason = reason\n",
        "",
        "save_audited: the change reason is not kept in the history",
        ("tests/clients", "tests/portfolio", "tests/qualification"),
    ),
    Mutant(
        "services.audit.full-clean",
        "kam/core/services.py",
        "    instance.full_clean()\n",
        "",
        "save_audited: no model validation before saving",
        ("tests/clients", "tests/api", "tests/potential"),
    ),
    Mutant(
        "services.reassign.same-owner",
        "kam/portfolio/services.py",
        "    elif new_owner.pk == client.owner_id:",
        "    elif False:",
        "reassign_client: reassigning to the current owner is accepted",
        ("tests/portfolio", "tests/api/test_portfolio.py"),
    ),
    Mutant(
        "services.decide.prospect",
        "kam/qualification/services.py",
        "    if is_key and client.status == ClientStatus.PROSPECT:",
        "    if False:",
        "decide_key: an unqualified prospect can be made key",
        ("tests/qualification", "tests/api/test_qualification.py"),
    ),
    Mutant(
        "services.potential.rounding",
        "kam/potential/models.py",
        "return (demand * self.achievable_share / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)",
        "return (demand * self.achievable_share / HUNDRED).quantize(CENT)",
        "potential revenue rounds half to even instead of half up",
        ("tests/potential", "tests/portfolio"),
    ),
    Mutant(
        "services.share.rounding",
        "kam/portfolio/services.py",
        "return (actual * HUNDRED / demand).quantize(CENT, rounding=ROUND_HALF_UP)",
        "return (actual * HUNDRED / demand).quantize(CENT)",
        "share of wallet rounds half to even instead of half up",
        ("tests/portfolio", "tests/api/test_portfolio.py", "tests/potential"),
    ),
    # --- imports -------------------------------------------------------------------------------
    Mutant(
        "imports.claim-running",
        "kam/imports/engine.py",
        "pk=job_id, status__in=[ImportStatus.UPLOADED, ImportStatus.QUEUED]",
        "pk=job_id, status__in=[ImportStatus.UPLOADED, ImportStatus.QUEUED, ImportStatus.RUNNING]",
        "run_import claims a job already running (the review's example; the lead covers it)",
        ("tests/imports",),
    ),
    Mutant(
        "imports.decimal-comma",
        "kam/imports/values.py",
        '.str.replace(",", ".", literal=True)',
        "",
        "decimal cells: the Russian decimal comma is no longer read",
        ("tests/imports",),
    ),
    Mutant(
        "imports.decimal-precision",
        "kam/imports/values.py",
        '            .when(pl.col("fraction") > places)\n'
        "            .then(_message(too_precise))\n",
        "",
        "decimal cells: too many decimal places are silently rounded",
        ("tests/imports",),
    ),
    Mutant(
        "imports.errors-nothing-written",
        "kam/imports/engine.py",
        "    if checked.errors.height:",
        "    if False:",
        "a file with bad rows writes its good rows",
        ("tests/imports",),
    ),
    # --- analytics -----------------------------------------------------------------------------
    Mutant(
        "analytics.minmax",
        "kam/analytics/scoring.py",
        "then((x - low) / (high - low))",
        "then((x - low) / high)",
        "scoring: min-max divides by the maximum instead of the range",
        ("tests/analytics", "tests/keyprofile"),
    ),
    Mutant(
        "analytics.minmax-constant",
        "kam/analytics/scoring.py",
        ".otherwise(0.5).fill_null(0.0)",
        ".otherwise(0.0).fill_null(0.0)",
        "scoring: a constant criterion counts 0 instead of 0.5",
        ("tests/analytics", "tests/keyprofile"),
    ),
    Mutant(
        "analytics.growth-cap",
        "kam/analytics/scoring.py",
        ".then((cur / prev - 1).clip(-1.0, cap))",
        ".then(cur / prev - 1)",
        "scoring: growth is not capped",
        ("tests/analytics", "tests/keyprofile"),
    ),
    Mutant(
        "analytics.xyz-boundary",
        "kam/analytics/abc_xyz.py",
        "        .when(cv <= x_limit + _CV_TOLERANCE)",
        "        .when(cv < x_limit - _CV_TOLERANCE)",
        "XYZ: a CV exactly on the X limit becomes Y",
        ("tests/analytics",),
    ),
    Mutant(
        "analytics.rhythm-floor",
        "kam/analytics/rhythm.py",
        "(silence > config.risk_multiple * gap) & (silence >= config.risk_floor_days)",
        "(silence > config.risk_multiple * gap)",
        "rhythm: at-risk ignores the minimum silence in days",
        ("tests/analytics",),
    ),
    Mutant(
        "analytics.rfm-segment",
        "kam/analytics/rfm.py",
        'return "at_risk" if f <= 4 else "cannot_lose"',
        'return "at_risk" if f <= 5 else "cannot_lose"',
        "RFM: 'cannot lose' never assigned",
        ("tests/analytics",),
    ),
    # --- exports -------------------------------------------------------------------------------
    Mutant(
        "exports.formula-at",
        "kam/core/exports.py",
        'FORMULA_TRIGGERS = ("=", "+", "-", "@", "\\t", "\\r", "\\n")',
        'FORMULA_TRIGGERS = ("=", "+", "-", "\\t", "\\r", "\\n")',
        "exports: a cell starting with @ is not neutralised",
        EXPORTS,
    ),
    Mutant(
        "exports.csv-header",
        "kam/core/exports.py",
        "writer.writerow([neutralise(str(h)) for h in header])",
        "writer.writerow([str(h) for h in header])",
        "CSV: header cells are not neutralised",
        EXPORTS,
    ),
    Mutant(
        "exports.csv-bom",
        "kam/core/exports.py",
        'HttpResponse("\\ufeff" + buffer.getvalue()',
        "HttpResponse(buffer.getvalue()",
        "CSV: no BOM (Excel opens Cyrillic as mojibake)",
        EXPORTS,
    ),
    Mutant(
        "exports.xlsx-money",
        "kam/core/exports.py",
        "worksheet.write_number(row_no, col, float(value), money)",
        "worksheet.write_string(row_no, col, str(value))",
        "XLSX: money written as text, not numbers",
        EXPORTS,
    ),
]


def pytest_run(tests: tuple[str, ...]) -> tuple[bool, str]:
    command = [str(ROOT / ".venv/bin/pytest"), "-x", "-q", "-p", "no:xdist", "-p", "no:randomly"]
    result = subprocess.run(
        [*command, "-p", "no:cacheprovider", *tests], cwd=ROOT, capture_output=True, text=True
    )
    if result.returncode == 0:
        return False, ""
    for line in result.stdout.splitlines():
        if line.startswith(("FAILED tests/", "ERROR tests/")):  # not a captured log's ERROR
            return True, line.split(" - ")[0].split(" ", 1)[1]
    return True, f"pytest exit {result.returncode}"


def main(argv: list[str]) -> int:
    check_only = "--check" in argv
    override = tuple(a.split("=", 1)[1].split(",") for a in argv if a.startswith("--tests="))
    prefixes = [a for a in argv if not a.startswith("--")]
    chosen = [m for m in MUTANTS if not prefixes or m.id.startswith(tuple(prefixes))]
    dirty = subprocess.run(["git", "status", "--porcelain", "kam"], cwd=ROOT, capture_output=True)
    if dirty.stdout and not check_only:
        print("uncommitted changes under kam/: commit or stash them first", file=sys.stderr)
        return 2
    print("| mutant | what | result |\n|---|---|---|")
    survivors = 0
    for mutant in chosen:
        path = ROOT / mutant.path
        original = path.read_text()
        if original.count(mutant.old) != 1:
            result = f"stale: the text occurs {original.count(mutant.old)} times"
        elif check_only:
            result = "applies"
        else:
            try:
                path.write_text(original.replace(mutant.old, mutant.new))
                caught, by = pytest_run(override[0] if override else mutant.tests)
            finally:
                path.write_text(original)
            result = f"caught by `{by}`" if caught else "**survived**"
            survivors += not caught
        print(f"| {mutant.id} | {mutant.what} | {result} |", flush=True)
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
