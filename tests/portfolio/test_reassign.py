import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kam.clients.models import Client, TeamMembership
from kam.clients.selectors import change_history
from kam.core.models import Role
from kam.portfolio.services import reassign_client

from ..factories import make_user


@pytest.fixture
def target(world):
    """A second KAM with two assistants; the first by username takes over."""
    new_kam = make_user("newkam", Role.KAM, first_name="Nina", last_name="Newkam")
    for username in ("zed_assistant", "amy_assistant"):
        make_user(username, Role.ASSISTANT).assisted_kams.add(new_kam)
    world.own.assistant = world.assistant
    world.own.save()
    return new_kam


def post(client, world, **data):
    return client.post(reverse("portfolio:reassign", args=[world.own.pk]), data)


def test_reassignment_records_history_and_moves_the_assistant(world, login, target):
    response = post(login(world.director), world, owner=target.pk, reason="Load balancing")
    assert response.status_code == 302
    assert response.url == reverse("clients:history", args=[world.own.pk])
    own = Client.objects.get(pk=world.own.pk)
    assert own.owner == target
    assert own.assistant.username == "amy_assistant"
    # The cross-functional team stays with the client.
    assert TeamMembership.objects.filter(client=own, user=world.member).exists()

    event = change_history(own, own.owner)[0]
    assert event["who"] == world.director
    assert event["reason"] == "Load balancing"
    changes = {str(c["field"]): (c["old"], c["new"]) for c in event["changes"]}
    assert changes["owner KAM"] == ("Anna Kamova", "Nina Newkam")
    assert changes["assistant"][1] == "amy_assistant"

    html = login(world.director).get(reverse("clients:history", args=[own.pk])).content.decode()
    assert "Load balancing" in html and "Nina Newkam" in html


def test_assistant_is_cleared_when_the_new_kam_has_none(world):
    world.own.assistant = world.assistant
    world.own.save()
    reassign_client(by=world.director, client=world.own, new_owner=world.outsider, reason="x")
    world.own.refresh_from_db()
    assert world.own.owner == world.outsider and world.own.assistant is None


def test_an_assistant_of_both_kams_stays(world, target):
    world.assistant.assisted_kams.add(target)
    reassign_client(by=world.director, client=world.own, new_owner=target, reason="x")
    world.own.refresh_from_db()
    assert world.own.assistant == world.assistant


def test_an_assistant_not_tied_to_the_old_kam_stays(world, target):
    freelancer = make_user("freelancer", Role.ASSISTANT)
    world.own.assistant = freelancer
    world.own.save()
    reassign_client(by=world.director, client=world.own, new_owner=target, reason="x")
    world.own.refresh_from_db()
    assert world.own.assistant == freelancer


@pytest.mark.parametrize(
    ("owner", "message"),
    [
        ("member", "Choose an active key account manager."),
        ("director", "Choose an active key account manager."),
        ("kam", "The client already belongs to this KAM."),
    ],
)
def test_bad_choice_is_a_field_error(owner, message, world, login):
    response = post(login(world.director), world, owner=getattr(world, owner).pk, reason="r")
    assert response.status_code == 400
    assert message in response.context["form"].errors["owner"]
    world.own.refresh_from_db()
    assert world.own.owner == world.kam


def test_reason_is_required(world, login, target):
    response = post(login(world.director), world, owner=target.pk, reason="")
    assert response.status_code == 400
    assert "reason" in response.context["form"].errors


def test_service_validates_too(world, target):
    with pytest.raises(ValidationError) as error:
        reassign_client(by=world.director, client=world.own, new_owner=world.kam, reason="x")
    assert "owner" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        reassign_client(by=world.kam, client=world.own, new_owner=target, reason="x")


@pytest.mark.parametrize("persona", ["kam", "assistant", "member", "outsider"])
def test_non_director_gets_403(persona, world, login, target):
    client = login(getattr(world, persona))
    assert post(client, world, owner=target.pk, reason="mine now").status_code == 403
    assert client.get(reverse("portfolio:reassign", args=[world.own.pk])).status_code == 403
    world.own.refresh_from_db()
    assert world.own.owner == world.kam


def test_failure_rolls_back(world, target, monkeypatch):
    from kam.clients import services as client_services

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(client_services, "client_update", broken)
    with pytest.raises(RuntimeError):
        reassign_client(by=world.director, client=world.own, new_owner=target, reason="x")
    world.own.refresh_from_db()
    assert world.own.owner == world.kam and world.own.assistant == world.assistant
