"""The Russian catalogue is complete and compiled (scripts/check_translations.py in CI also
checks that the code has no string missing from it)."""

from pathlib import Path

import polib
from django.utils import translation

LOCALE = Path(__file__).resolve().parents[2] / "kam" / "locale" / "ru" / "LC_MESSAGES"


def test_every_russian_entry_is_translated_and_none_is_fuzzy():
    catalogue = polib.pofile(str(LOCALE / "django.po"))
    missing = [e.msgid for e in catalogue if not e.translated()]
    assert not missing
    assert len(catalogue) > 400


def test_the_compiled_catalogue_matches_the_source():
    source = {
        (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural[0]
        for e in polib.pofile(str(LOCALE / "django.po"))
    }
    compiled = {
        (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural[0]
        for e in polib.mofile(str(LOCALE / "django.mo"))
    }
    assert compiled == source


def test_pages_speak_russian(world, login):
    world.kam.language = "ru"
    world.kam.save()
    page = login(world.kam).get("/clients/").content.decode()
    assert "Выгрузить в Excel" in page
    assert "Активный" in page  # a model choice label, translated through the lazy label
    with translation.override("ru"):
        assert str(world.own.get_status_display()) == "Активный"
