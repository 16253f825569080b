"""Issue 8, defect 1: an edit never loses what the editor cannot see.

Each test edits through the page as a browser does (tests/browser_form.py): it loads the form,
changes one field and posts back everything the page rendered. On the old code the parent
select offered only the KAM's clients, the browser sent its first option, and the parent was
cleared (2 → null); the same for a deactivated owner or assistant and for a relationship owner
no longer on the team.
"""

import importlib
import inspect
import pkgutil

import pytest
from django import forms
from django.urls import reverse

import kam
from kam.clients.forms import TenderForm
from kam.clients.models import Client, Contact, Tender
from kam.core.forms import KEPT, KeepUnseenChoicesMixin
from kam.core.models import Role

from ..browser_form import changed, load, options
from ..factories import add_member, make_client, make_competitor, make_contact, make_user


@pytest.fixture
def foreign_parent(world):
    """``world.own`` belongs to a group headed by another KAM's client."""
    Client.objects.filter(pk=world.own.pk).update(parent=world.foreign)
    return world.foreign


def edit_client(client, pk, **changes):
    url = reverse("clients:edit", args=[pk])
    return client.post(url, changed(load(client, url), **changes))


@pytest.mark.parametrize("persona", ["kam", "assistant"])
def test_saving_a_client_keeps_a_parent_company_the_editor_cannot_see(
    persona, world, login, foreign_parent
):
    response = edit_client(login(getattr(world, persona)), world.own.pk, region="Ural")

    assert response.status_code == 302
    world.own.refresh_from_db()
    assert world.own.region == "Ural"
    assert world.own.parent_id == foreign_parent.pk


def test_the_kept_parent_is_shown_without_its_name_or_id(world, login, foreign_parent):
    html = login(world.kam).get(reverse("clients:edit", args=[world.own.pk])).content.decode()

    choices = options(html, "parent")
    assert (KEPT, "kept: a company outside your clients") in choices
    assert foreign_parent.name not in html
    assert f'value="{foreign_parent.pk}"' not in html
    assert f'"{foreign_parent.pk}"' not in html


def test_the_editor_may_still_choose_one_of_their_clients_as_parent(world, login, foreign_parent):
    mine = make_client(world.kam, name="Own Holding")

    edit_client(login(world.kam), world.own.pk, parent=mine.pk)

    world.own.refresh_from_db()
    assert world.own.parent_id == mine.pk


def test_the_editor_may_clear_a_kept_parent_on_purpose(world, login, foreign_parent):
    edit_client(login(world.kam), world.own.pk, parent="")

    world.own.refresh_from_db()
    assert world.own.parent_id is None


def test_the_director_sees_and_keeps_the_parent_by_name(world, login, foreign_parent):
    url = reverse("clients:edit", args=[world.own.pk])
    html = login(world.director).get(url).content.decode()

    assert (str(foreign_parent.pk), foreign_parent.name) in options(html, "parent")
    assert KEPT not in dict(options(html, "parent"))
    edit_client(login(world.director), world.own.pk, region="Volga")
    world.own.refresh_from_db()
    assert world.own.parent_id == foreign_parent.pk


def test_a_deactivated_owner_and_assistant_survive_the_directors_save(world, login):
    world.assistant.assisted_kams.clear()
    Client.objects.filter(pk=world.own.pk).update(assistant=world.assistant)
    for user in (world.kam, world.assistant):
        user.is_active = False
        user.save()

    url = reverse("clients:edit", args=[world.own.pk])
    html = login(world.director).get(url).content.decode()
    response = edit_client(login(world.director), world.own.pk, region="Ural")

    assert response.status_code == 302
    world.own.refresh_from_db()
    assert (world.own.owner_id, world.own.assistant_id) == (world.kam.pk, world.assistant.pk)
    # Colleagues' names are no secret: the kept value says who it is.
    assert any(v == KEPT and "Anna Kamova" in text for v, text in options(html, "owner"))


def test_a_relationship_owner_who_left_the_team_survives_a_contact_edit(world, login):
    colleague = make_user("colleague", Role.MEMBER, first_name="Oleg", last_name="Sidorov")
    contact = make_contact(world.own, full_name="Boss", relationship_owner=colleague)
    url = reverse("clients:contact_edit", args=[contact.pk])
    client = login(world.kam)

    html = client.get(url).content.decode()
    response = client.post(url, changed(load(client, url), phone="+7 900 000-00-00"))

    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.phone == "+7 900 000-00-00"
    assert contact.relationship_owner == colleague
    assert any(
        v == KEPT and "Oleg Sidorov" in text for v, text in options(html, "relationship_owner")
    )


def test_a_kept_relationship_owner_can_be_replaced_by_a_team_member(world, login):
    colleague = make_user("colleague", Role.MEMBER)
    contact = make_contact(world.own, full_name="Boss", relationship_owner=colleague)
    url = reverse("clients:contact_edit", args=[contact.pk])
    client = login(world.kam)

    client.post(url, changed(load(client, url), relationship_owner=world.member.pk))

    contact.refresh_from_db()
    assert contact.relationship_owner == world.member


def test_editing_a_team_member_keeps_the_person(world, login):
    membership = world.own.team.get(user=world.member)
    url = reverse("clients:team_edit", args=[membership.pk])
    client = login(world.kam)

    response = client.post(url, changed(load(client, url), function="finance", note="Budgets"))

    assert response.status_code == 302
    membership.refresh_from_db()
    assert (membership.user, membership.function, membership.note) == (
        world.member,
        "finance",
        "Budgets",
    )


class NarrowTenderForm(TenderForm):
    """A tender form whose competitor choices leave one stored competitor out (a many-to-many
    field with a value the editor's choices do not offer)."""

    def __init__(self, *args, hide, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["competitors"]
        field.queryset = field.queryset.exclude(pk=hide.pk)


def test_a_many_to_many_field_keeps_values_it_does_not_offer_unless_dropped(world):
    seen, unseen, other = make_competitor(), make_competitor(), make_competitor()
    tender = Tender.objects.create(client=world.own, date="2025-03-01", subject="Supply")
    tender.competitors.set([seen, unseen])
    form = NarrowTenderForm(instance=tender, hide=unseen)
    assert form["competitors"].value() == [seen.pk, KEPT]
    base = {"date": "2025-03-01", "subject": "Supply", "result": "pending"}

    kept = NarrowTenderForm(base | {"competitors": [other.pk, KEPT]}, instance=tender, hide=unseen)
    dropped = NarrowTenderForm(base | {"competitors": [other.pk]}, instance=tender, hide=unseen)

    assert kept.is_valid() and dropped.is_valid()
    assert {c.pk for c in kept.cleaned_data["competitors"]} == {other.pk, unseen.pk}
    assert {c.pk for c in dropped.cleaned_data["competitors"]} == {other.pk}


def test_a_contact_form_offers_no_kept_choice_when_everything_stored_is_offered(world, login):
    contact = make_contact(world.own, relationship_owner=world.kam)
    add_member(world.own, make_user())
    html = login(world.kam).get(reverse("clients:contact_edit", args=[contact.pk]))

    assert KEPT not in html.content.decode()
    assert Contact.objects.get(pk=contact.pk).relationship_owner == world.kam


def _forms():
    for module in pkgutil.walk_packages(kam.__path__, "kam."):
        if module.name.endswith(".forms"):
            for _name, cls in inspect.getmembers(importlib.import_module(module.name)):
                if inspect.isclass(cls) and issubclass(cls, forms.BaseForm):
                    yield cls


def test_every_edit_form_with_a_model_choice_keeps_what_it_does_not_offer():
    """The mechanism is on every form of every app that edits something with a model choice;
    only the list filters (which store nothing) go without."""
    missing = [
        f"{cls.__module__}.{cls.__name__}"
        for cls in _forms()
        if any(isinstance(f, forms.ModelChoiceField) for f in cls.base_fields.values())
        or issubclass(cls, forms.ModelForm)
        and any(
            isinstance(field.formfield(), forms.ModelChoiceField)
            for field in cls._meta.model._meta.get_fields()
            if getattr(field, "name", None) in (cls._meta.fields or ())
            and hasattr(field, "formfield")
        )
        if not issubclass(cls, KeepUnseenChoicesMixin) and "Filter" not in cls.__name__
    ]
    assert not missing, missing
