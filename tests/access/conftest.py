import pytest

from kam.core.models import Role

from ..factories import add_member, make_user


@pytest.fixture
def world(world):
    """The shared world plus the personas the matrix needs for every branch of the access rule
    (see matrix.py): ``own`` gets a direct assistant, and a deactivated director sits on its
    team. ``anonymous`` has no user."""
    world.client_assistant = make_user("client_assistant", Role.ASSISTANT)
    world.own.assistant = world.client_assistant
    world.own.save(update_fields=["assistant"])
    world.inactive = make_user("inactive", Role.DIRECTOR)
    add_member(world.own, world.inactive, "finance")
    world.anonymous = None
    return world
