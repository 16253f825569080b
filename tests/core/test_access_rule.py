"""The one access rule (R38), branch by branch."""

import pytest
from django.contrib.auth.models import AnonymousUser

from kam.clients.models import Client, Contact, Tender
from kam.core.access import (
    can_create_clients,
    can_edit_client,
    can_manage_company_data,
    client_access_q,
)
from kam.core.models import ApiToken, Role
from kam.imports.models import ImportJob
from kam.portfolio.services import editable_test
from kam.qualification.services import can_decide
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


def test_a_deactivated_user_may_do_nothing_whatever_their_role_and_ties(world):
    """Signing in already refuses them; these checks also hold where no request is made (a
    background job run with its author's rights)."""
    director = make_user("former_director", Role.DIRECTOR)
    ImportJob.objects.create(
        kind="contacts", file="x.csv", original_name="x.csv", created_by=world.kam
    )
    for user in (director, world.kam, world.assistant):
        user.is_active = False
        user.save()
        assert not user.is_director
        assert not Client.objects.filter(client_access_q(user)).exists()
        assert not can_edit_client(user, world.own)
        assert not editable_test(user)(world.own)
        assert not can_decide(user, world.own)
        assert not can_create_clients(user)
        assert not can_manage_company_data(user)
        assert not ImportJob.objects.visible_to(user).exists()
        token, _key = ApiToken.issue(user=user, name="old")
        assert not ApiToken.objects.active().filter(pk=token.pk).exists()


#: Who edits which client's dossier: the director, the owner, the owner's assistants, the
#: client's own assistant; not a team member, not another KAM.
EDITORS = {
    "own": {"director", "kam", "assistant", "client_assistant"},
    "foreign": {"director", "outsider"},
}


@pytest.mark.parametrize(
    "persona", ["director", "kam", "assistant", "client_assistant", "member", "outsider"]
)
def test_both_edit_checks_answer_who_edits_a_dossier(world, persona):
    """can_edit_client for one client, and portfolio.services.editable_test for a page of them:
    the same answers, whichever branch of the rule gives them."""
    world.client_assistant = make_user("client_assistant", Role.ASSISTANT)
    world.own.assistant = world.client_assistant
    world.own.save()
    user = getattr(world, persona)
    for name, client in (("own", world.own), ("foreign", world.foreign)):
        expected = persona in EDITORS[name]
        assert can_edit_client(user, client) is expected, name
        assert editable_test(user)(client) is expected, name
