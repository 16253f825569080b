"""The `kam` command: every command's --help in both languages, and KAM's own commands first."""

import os
import subprocess
import sys

import pytest
from django.core.management import get_commands, load_command_class
from django.utils import translation

from kam import cli
from kam.cli import ALIASES
from kam.core.commands import kam_commands, summary
from tests.processes import ROOT

LANGUAGES = ["en", "ru"]


@pytest.fixture(params=LANGUAGES)
def language(request, settings):
    settings.LANGUAGE_CODE = request.param
    with translation.override(request.param):
        yield request.param


def run(capsys, *args: str) -> str:
    """`kam ARGS` in this process: its standard output (and it must end without error)."""
    try:
        cli.main(list(args))
    except SystemExit as exit:  # argparse ends --help with exit(0)
        assert exit.code in (0, None), capsys.readouterr()
    return capsys.readouterr().out


def squeezed(text: str) -> str:
    """Without whitespace: argparse re-wraps the text, also after hyphens."""
    return "".join(text.split())


@pytest.mark.parametrize("name", sorted(get_commands()))
def test_every_command_prints_its_help_in_both_languages(name, language, capsys):
    output = run(capsys, name, "--help")
    typed = {command: alias for alias, command in ALIASES.items()}.get(name, name)
    assert output.startswith(f"usage: kam {typed} ")
    command = load_command_class(get_commands()[name], name)
    if command.help:
        assert squeezed(str(command.help)) in squeezed(output)


def test_kam_commands_are_described_in_russian(settings):
    settings.LANGUAGE_CODE = "ru"
    with translation.override("en"):
        english = {name: str(command.help) for name, command in kam_commands().items()}
    with translation.override("ru"):
        russian = {name: str(command.help) for name, command in kam_commands().items()}
    assert {"analyze", "demo", "import_data", "serve", "worker"} <= set(english)
    untranslated = [name for name in english if english[name] == russian[name]]
    assert not untranslated


@pytest.mark.parametrize("args", [[], ["help"], ["--help"], ["-h"]])
def test_kam_alone_lists_kam_commands_one_line_each_then_where_djangos_are(args, language, capsys):
    output = run(capsys, *args)
    lines = output.splitlines()
    listed = [line.split()[0] for line in lines if line.startswith("  ")]
    assert listed == sorted(["import" if n == "import_data" else n for n in kam_commands()])
    for name, command in kam_commands().items():
        shown = "import" if name == "import_data" else name
        line = next(line for line in lines if line.split()[:1] == [shown])
        assert line.endswith(summary(command))
        assert "\n" not in summary(command) and len(summary(command)) < 110
    assert "migrate" not in listed and "kam help --all" in lines[-1]
    with translation.override(language):
        assert translation.gettext("KAM's commands:") in output


def test_help_all_is_djangos_list_and_aliases_work_with_help(capsys):
    everything = run(capsys, "help", "--all")
    assert "[django]" in everything and "migrate" in everything and "analyze" in everything
    assert run(capsys, "help", "import").startswith("usage: kam import ")
    assert run(capsys, "import", "--help").startswith("usage: kam import ")


def test_summary_is_the_first_clause():
    class Command:
        help = "Do one thing: and explain it. More."

    assert summary(Command()) == "Do one thing"  # type: ignore[arg-type]


@pytest.mark.slow
@pytest.mark.parametrize("args", [[], ["analyze", "--help"]])
def test_the_console_script_itself(args):
    kam = [os.path.join(os.path.dirname(sys.executable), "kam")]
    if not os.path.exists(kam[0]):
        kam = [sys.executable, "-m", "kam.cli"]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kam.settings"}
    done = subprocess.run(
        [*kam, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert done.stdout.strip()
