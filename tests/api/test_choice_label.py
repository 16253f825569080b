"""choice_label gives what get_FOO_display gives, without rebuilding the choices per row."""

import pytest
from django.utils import translation

from kam.clients.models import Client, ClientStatus, ClientType
from kam.core.api import choice_label
from kam.insights.models import ClientAnalytics, Risk


@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_label_is_the_models_display(language):
    cases = [
        (ClientStatus, Client, "status"),
        (ClientType, Client, "client_type"),
        (Risk, ClientAnalytics, "risk"),
    ]
    with translation.override(language):
        for choices, model, name in cases:
            for value in [*choices.values, "unknown"]:
                display = getattr(model(**{name: value}), f"get_{name}_display")()
                assert choice_label(choices, value) == display, (name, value)
