"""The `kam` command: Django's management commands with KAM's settings and a few short names.

kam                         KAM's own commands, one line each (`kam help --all`: Django's too)
kam demo                    build the demo company
kam import sales FILE       import a CSV/XLSX file (clients, contacts, products, sales)
kam COMMAND --help          a command's options
kam migrate / runserver …   any Django command
"""

import os
import sys

ALIASES = {"import": "import_data"}
#: Commands that read and write files only, by the module of their class: they start on
#: kam.settings_files, without KAM's apps.
FILE_COMMANDS = {"analyze": "kam.insights.management.commands.analyze"}
HELP = (["help"], ["--help"], ["-h"])


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in FILE_COMMANDS and "DJANGO_SETTINGS_MODULE" not in os.environ:
        os.environ["DJANGO_SETTINGS_MODULE"] = "kam.settings_files"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    # KAM's optimisations run on vectors of three or four parameters: OpenBLAS threads only
    # contend with Polars' pool there (the model fits of `kam analyze` ran 2x slower). Set before
    # numpy is first imported; an explicit setting wins.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from django.core.management import execute_from_command_line

    if not args or args in HELP:
        sys.stdout.write(overview())
        return
    if args == ["help", "--all"]:
        args = ["help"]  # Django's own list of every command
    elif args[0] == "help" and len(args) > 1:
        args[1] = ALIASES.get(args[1], args[1])
    args[0] = ALIASES.get(args[0], args[0])
    if os.environ["DJANGO_SETTINGS_MODULE"] == "kam.settings_files":
        run_file_command(args)
        return
    execute_from_command_line(["kam", *args])


def run_file_command(args: list[str]) -> None:
    """A command of :data:`FILE_COMMANDS`: without installed apps Django would not find it."""
    import importlib

    import django

    django.setup()
    command = importlib.import_module(FILE_COMMANDS[args[0]]).Command()
    command.run_from_argv(["kam", *args])


def overview() -> str:
    """KAM's commands first, one line each, then where Django's commands are."""
    import django
    from django.utils.translation import gettext as _

    django.setup()
    from kam.core.commands import kam_commands, summary

    names = {command: alias for alias, command in ALIASES.items()}
    commands = {names.get(name, name): command for name, command in kam_commands().items()}
    width = max(map(len, commands))
    lines = [
        _("Usage: kam COMMAND [options]; kam COMMAND --help shows a command's options."),
        "",
        _("KAM's commands:"),
        *(f"  {name:<{width}}  {summary(command)}" for name, command in sorted(commands.items())),
        "",
        _("Django's commands (migrate, createsuperuser, check and others): kam help --all"),
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
