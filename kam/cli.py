"""The `kam` command: Django's management commands with KAM's settings and a few short names.

kam demo                    build the demo company
kam import sales FILE       import a CSV/XLSX file (clients, contacts, products, sales)
kam migrate / runserver …   any Django command
"""

import os
import sys

ALIASES = {"import": "import_data"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ALIASES:
        args[0] = ALIASES[args[0]]
    execute_from_command_line(["kam", *args])


if __name__ == "__main__":
    main()
