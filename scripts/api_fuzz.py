"""Fuzz a running KAM's API with Schemathesis as each role and print what it found, per check.

    KAM_VAR_DIR=/tmp/fuzz .venv/bin/python manage.py migrate && ... manage.py demo
    KAM_VAR_DIR=/tmp/fuzz .venv/bin/python manage.py runserver --noreload 127.0.0.1:8765 &
    KAM_VAR_DIR=/tmp/fuzz .venv/bin/python scripts/api_fuzz.py --url http://127.0.0.1:8765

It issues a token to one demo user of each role in the same database (so run it with the
server's environment), runs ``schemathesis run`` for each role with the given bound and seed,
and prints the failures Schemathesis reports, by code: ST101 server error, ST103 undocumented
status code, ST201 schema-violating request accepted, ST202 schema-valid request rejected, ...
The requests write to that database: use a copy of the demo, never real data.
The in-process variant that CI runs is ``pytest -m schemathesis`` (tests/api/test_schemathesis.py).
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROLES = {"director": "director", "kam": "kam1", "assistant": "assistant1", "member": "member1"}


def tokens() -> dict[str, str]:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    import django

    django.setup()
    from kam.core.models import ApiToken, User

    return {
        role: ApiToken.issue(user=User.objects.get(username=username), name="fuzz")[1]
        for role, username in ROLES.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8765")
    parser.add_argument("--max-examples", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("var/fuzz"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    schemathesis = Path(sys.executable).with_name("schemathesis")
    totals: dict[str, int] = {}
    for role, key in tokens().items():
        report = args.out / f"{role}.json"
        command = [
            str(schemathesis),
            "run",
            f"{args.url}/api/openapi.json",
            "--header",
            f"Authorization: Bearer {key}",
            "--checks",
            "all",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            str(args.max_examples),
            "--seed",
            str(args.seed),
            "--workers",
            "1",
            "--report",
            "json",
            "--report-json-path",
            str(report),
        ]
        with open(args.out / f"{role}.log", "w") as log:
            subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False)
        data = json.loads(report.read_text())
        print(f"{role}: {data['test_cases']['generated']} test cases")
        for failure in data["failures"]:
            name = f"{failure['code']} {failure['title']}"
            totals[name] = totals.get(name, 0) + failure["count"]
            print(f"  {name}: {failure['count']}  ({', '.join(failure['operations'])})")
        if not data["failures"]:
            print("  no failures")
    print("all roles:")
    for name, count in sorted(totals.items()):
        print(f"  {name}: {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
