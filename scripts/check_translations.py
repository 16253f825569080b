"""Fail when the code has a user-facing string the Russian catalogue lacks (or marks fuzzy).

Runs Django's makemessages (needs GNU gettext) against a copy of the catalogue, so the working
tree is left as it was, and lists every missing string with where it is used.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
IGNORE = ["--ignore=tests", "--ignore=bench", "--ignore=scripts", "--ignore=docs", "--ignore=var"]
PO = ROOT / "kam" / "locale" / "ru" / "LC_MESSAGES" / "django.po"


def main() -> int:
    backup = PO.read_bytes() if PO.exists() else None
    try:
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "makemessages",
                "-l",
                "ru",
                "--no-obsolete",
                "-v0",
                *IGNORE,
            ],
            cwd=ROOT,
            check=True,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "kam.settings"},
        )
        catalogue = polib.pofile(str(PO))
        missing = [e for e in catalogue if not e.translated() and not e.obsolete]
    finally:
        if backup is None:
            PO.unlink(missing_ok=True)
        else:
            PO.write_bytes(backup)
    for entry in missing:
        where = ", ".join(f"{f}:{n}" if n else f for f, n in entry.occurrences[:3])
        state = "fuzzy" if entry.fuzzy else "untranslated"
        print(f"{state}: {entry.msgid!r} ({where})")
    print(
        f"{len(missing)} string(s) missing from the Russian catalogue"
        if missing
        else f"Russian catalogue complete: {len(catalogue)} strings"
    )
    return 1 if missing else 0


if __name__ == "__main__":
    shutil.which("msgfmt") or sys.exit("GNU gettext (msgfmt, xgettext) is required")
    sys.exit(main())
