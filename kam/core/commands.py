"""What KAM's management commands share: their help in the active language, and the list `kam`
shows of them."""

import os
import re
from typing import Any

from django.core.management import get_commands, load_command_class
from django.core.management.base import BaseCommand

from kam.cli import ALIASES


class KamCommand(BaseCommand):
    """A command whose ``help`` may be a lazy translation.

    The class attribute has to be lazy (it is read at import, before any language is active), but
    argparse wraps the description with regular expressions, which fail on a lazy string
    (TypeError on ``--help``): it is translated here, when the parser is built. Options' help
    texts are built in ``add_arguments`` with ``gettext`` for the same reason.
    """

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.description = str(self.help) if self.help else None
        # "usage: kam import …", as the user typed it, not the module's name import_data
        shown = {command: alias for alias, command in ALIASES.items()}.get(subcommand, subcommand)
        parser.prog = f"{os.path.basename(prog_name)} {shown}"
        return parser


def kam_commands() -> dict[str, BaseCommand]:
    """KAM's own commands (those of the kam.* apps) by name, sorted."""
    found = {name: app for name, app in get_commands().items() if app.startswith("kam.")}
    return {name: load_command_class(found[name], name) for name in sorted(found)}


def summary(command: BaseCommand) -> str:
    """The first clause of a command's help: what it does, in one line."""
    text = " ".join(str(command.help).split())
    return re.split(r"(?<=\S)[.:;](?:\s|$)", text, maxsplit=1)[0]
