"""The one access rule (R38), branch by branch."""

from django.contrib.auth.models import AnonymousUser

from kam.clients.models import Client, Contact, Tender
from kam.core.access import can_edit_client
from kam.core.models import Role
from kam.sales.models import SalesLine

from ..factories import add_member, make_client, make_sale, make_user


def visible(user):
    return set(Client.objects.visible_to(user).values_list("name", flat=True))


def test_the_director_sees_every_client(world):
    assert visible(world.director) == {"Own Client", "Foreign Client"}


def test_a_superuser_counts_as_a_director(world):
    admin = make_user("root", Role.MEMBER, is_superuser=True)
    assert visible(admin) == {"Own Client", "Foreign Client"}


def test_a_kam_sees_owned_clients_and_team_clients_only(world):
    assert visible(world.kam) == {"Own Client"}
    add_member(world.foreign, world.kam, "sales")
    assert visible(world.kam) == {"Own Client", "Foreign Client"}


def test_an_assistant_sees_the_clients_of_the_kams_they_assist(world):
    assert visible(world.assistant) == {"Own Client"}
    world.assistant.assisted_kams.add(world.outsider)
    assert visible(world.assistant) == {"Own Client", "Foreign Client"}


def test_an_assistant_named_on_a_client_sees_it_without_assisting_its_kam(world):
    helper = make_user("helper", Role.ASSISTANT)
    make_client(world.outsider, name="Helped", assistant=helper)
    assert visible(helper) == {"Helped"}


def test_a_team_member_sees_only_their_team_clients(world):
    assert visible(world.member) == {"Own Client"}


def test_nobody_else_sees_anything(world):
    stranger = make_user("stranger", Role.MEMBER)
    assert visible(stranger) == set()
    assert visible(AnonymousUser()) == set()
    world.kam.is_active = False
    world.kam.save()
    assert visible(world.kam) == set()


def test_a_client_in_several_teams_is_listed_once(world):
    add_member(world.own, world.kam, "finance")
    assert Client.objects.visible_to(world.kam).count() == 1


def test_every_client_owned_record_follows_its_client(world):
    make_sale(world.foreign, world.product)
    Tender.objects.create(client=world.foreign, date="2025-01-01", subject="x")
    for model in (Contact, SalesLine, Tender):
        assert not model.objects.visible_to(world.kam).filter(client=world.foreign).exists()
        assert model.objects.visible_to(world.outsider).filter(client=world.foreign).exists()


def test_who_may_edit_a_dossier(world):
    assert can_edit_client(world.director, world.own)
    assert can_edit_client(world.kam, world.own)
    assert can_edit_client(world.assistant, world.own)
    assert not can_edit_client(world.member, world.own)
    assert not can_edit_client(world.outsider, world.own)
