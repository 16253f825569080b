import pytest
from hypothesis import given
from hypothesis import strategies as st

from kam.core.sqlite.base import unicode_like

from ..factories import make_client


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("%цемент%", "Цемент М500", True),
        ("%ЦЕМЕНТ%", "цемент", True),
        ("ёлка%", "Ёлка зелёная", True),
        ("%50\\%%", "скидка 50%", True),
        ("%50\\%%", "скидка 500", False),
        ("a_c", "abc", True),
        ("a\\_c", "abc", False),
        ("%x%", "line\nx", True),
    ],
)
def test_like_folds_case_for_every_alphabet_and_honours_escapes(pattern, value, expected):
    assert unicode_like(pattern, value, "\\") is expected


def test_like_with_null_is_null():
    assert unicode_like(None, "x") is None
    assert unicode_like("%", None) is None


@given(st.text(alphabet=st.characters(blacklist_characters="%_\\"), max_size=20))
def test_a_literal_pattern_matches_itself_in_any_case(text):
    assert unicode_like(text.upper(), text.lower(), "\\") is (
        text.upper().casefold() == text.lower().casefold()
    )


def test_searching_clients_in_russian_ignores_case_on_every_database(world):
    make_client(world.kam, name="ООО «Цементная Компания»")
    from kam.clients.models import Client

    assert Client.objects.filter(name__icontains="цементная").count() == 1
    assert Client.objects.filter(name__icontains="ЦЕМЕНТНАЯ").count() == 1
