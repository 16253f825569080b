"""Issue 8, defect 3: two editors never overwrite each other silently — every edit form.

Two people (two logged-in test clients) load the same edit form; the first saves; then the
second saves what their browser holds (tests/browser_form.py). On the old code the second save
silently reverted the first one's change. Now:

- the same field changed by both: the second gets the conflict panel (409) with both values and
  the first editor's name, and nothing is overwritten;
- different fields: both changes are kept, and the second is told what the first changed;
- decisions (key or not, the client type, a reassignment) taken on a state that changed since:
  a conflict too, whatever changed.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from kam.clients.models import Client, CompetitorPresence, Contact, TeamMembership, Tender
from kam.core.models import Role
from kam.keyprofile.services import active_profile
from kam.potential.models import ClientPotential, ClientStrategy
from kam.qualification.models import Qualification
from kam.sales.models import Product

from ..browser_form import changed, form_data, load
from ..factories import make_competitor, make_potential, make_user

CONFLICT = "Someone changed this while you were editing"


@dataclass
class Kind:
    """One edit form: where it is, who edits, what each editor changes, how to read it back."""

    url: Any  # world -> URL
    editors: Any  # world -> (first, second)
    first: dict  # the first editor's change
    clash: dict  # the second editor's change of the same field(s)
    other: dict | None  # the second editor's change of another field (None: decisions)
    read: Any  # world -> the stored values of the changed fields
    first_shown: str  # how the first editor's value appears on the page
    clash_shown: str
    merged: dict | None = None  # what ``read`` gives after the first and the other change


def second_director(world):
    return make_user("director2", Role.DIRECTOR, first_name="Boris", last_name="Bossov")


def kam_and_assistant(world):
    world.assistant.first_name, world.assistant.last_name = "Ada", "Assistova"
    world.assistant.save()
    return world.kam, world.assistant


def presence(world):
    return CompetitorPresence.objects.get_or_create(
        client=world.own, competitor=make_competitor(name="Rival Ltd")
    )[0]


def tender(world):
    return Tender.objects.get_or_create(
        client=world.own, subject="Cement supply", defaults={"date": dt.date(2025, 3, 1)}
    )[0]


def potential(world):
    return ClientPotential.objects.filter(client=world.own).first() or make_potential(
        world.own, "1000000", "40"
    )


KINDS = {
    "client": Kind(
        url=lambda w: reverse("clients:edit", args=[w.own.pk]),
        editors=kam_and_assistant,
        first={"region": "Ural"},
        clash={"region": "Volga"},
        other={"industry": "Cement"},
        read=lambda w: Client.objects.values("region", "industry").get(pk=w.own.pk),
        first_shown="Ural",
        clash_shown="Volga",
        merged={"region": "Ural", "industry": "Cement"},
    ),
    "contact": Kind(
        url=lambda w: reverse("clients:contact_edit", args=[w.own_contact.pk]),
        editors=kam_and_assistant,
        first={"phone": "+7 111"},
        clash={"phone": "+7 222"},
        other={"position": "CFO"},
        read=lambda w: Contact.objects.values("phone", "position").get(pk=w.own_contact.pk),
        first_shown="+7 111",
        clash_shown="+7 222",
        merged={"phone": "+7 111", "position": "CFO"},
    ),
    "competitor at client": Kind(
        url=lambda w: reverse("clients:presence_edit", args=[presence(w).pk]),
        editors=kam_and_assistant,
        first={"supplies": "Cement"},
        clash={"supplies": "Dry mixes"},
        other={"notes": "Cheap"},
        read=lambda w: CompetitorPresence.objects.values("supplies", "notes").get(),
        first_shown="Cement",
        clash_shown="Dry mixes",
        merged={"supplies": "Cement", "notes": "Cheap"},
    ),
    "tender": Kind(
        url=lambda w: reverse("clients:tender_edit", args=[tender(w).pk]),
        editors=kam_and_assistant,
        first={"reason": "Price"},
        clash={"reason": "Terms"},
        other={"subject": "Cement and mixes"},
        read=lambda w: Tender.objects.values("reason", "subject").get(),
        first_shown="Price",
        clash_shown="Terms",
        merged={"reason": "Price", "subject": "Cement and mixes"},
    ),
    "team member": Kind(
        url=lambda w: reverse(
            "clients:team_edit", args=[TeamMembership.objects.get(user=w.member).pk]
        ),
        editors=kam_and_assistant,
        first={"function": "finance"},
        clash={"function": "legal"},
        other={"note": "Pays on time"},
        read=lambda w: TeamMembership.objects.values("function", "note").get(user=w.member),
        first_shown="Finance",
        clash_shown="Legal",
        merged={"function": "finance", "note": "Pays on time"},
    ),
    "potential": Kind(
        url=lambda w: reverse("potential:edit", args=[potential(w).pk]),
        editors=kam_and_assistant,
        first={"basis": "Builds 120,000 m²"},
        clash={"basis": "Builds 90,000 m²"},
        other={"achievable_share": "30"},
        read=lambda w: ClientPotential.objects.values("basis", "achievable_share").get(),
        first_shown="Builds 120,000 m²",
        clash_shown="Builds 90,000 m²",
        merged={"basis": "Builds 120,000 m²", "achievable_share": Decimal("30")},
    ),
    "strategy (first save)": Kind(
        url=lambda w: reverse("potential:strategy_edit", args=[w.own.pk]),
        editors=kam_and_assistant,
        first={"strategy": "Grow in the Urals"},
        clash={"strategy": "Export to Kazakhstan"},
        other={"needs": "Fast delivery"},
        read=lambda w: ClientStrategy.objects.values("strategy", "needs").get(),
        first_shown="Grow in the Urals",
        clash_shown="Export to Kazakhstan",
        merged={"strategy": "Grow in the Urals", "needs": "Fast delivery"},
    ),
    "qualification (first save)": Kind(
        url=lambda w: reverse("qualification:edit", args=[w.own.pk]),
        editors=kam_and_assistant,
        first={"need_status": "confirmed", "need_evidence": "Tender plan 2026"},
        clash={"need_status": "confirmed", "need_evidence": "Their CFO said so"},
        other={"solvency_status": "confirmed", "solvency_evidence": "Audited accounts"},
        read=lambda w: Qualification.objects.values("need_evidence", "solvency_evidence").get(),
        first_shown="Tender plan 2026",
        clash_shown="Their CFO said so",
        merged={"need_evidence": "Tender plan 2026", "solvency_evidence": "Audited accounts"},
    ),
    "product": Kind(
        url=lambda w: reverse("products:edit", args=[w.product.pk]),
        editors=lambda w: (w.director, second_director(w)),
        first={"list_price": "12.50"},
        clash={"list_price": "13.00"},
        other={"category": "Cement"},
        read=lambda w: Product.objects.values("list_price", "category").get(pk=w.product.pk),
        first_shown="12.50",
        clash_shown="13.00",
        merged={"list_price": Decimal("12.50"), "category": "Cement"},
    ),
    "key-client profile": Kind(
        url=lambda w: reverse("keyprofile:edit"),
        editors=lambda w: (w.director, second_director(w)),
        first={"c-0-weight": "0.5", "action": "save"},
        clash={"c-0-weight": "0.7", "action": "save"},
        other={"c-1-weight": "0.4", "action": "save"},
        read=lambda w: {
            c.metric: c.weight
            for c in active_profile().criteria.filter(metric__in=["revenue", "margin"])
        },
        first_shown="0.5",
        clash_shown="0.7",
        merged={"revenue": Decimal("0.5"), "margin": Decimal("0.4")},
    ),
    "client type (decision)": Kind(
        url=lambda w: reverse("qualification:type", args=[w.own.pk]),
        editors=lambda w: (w.director, w.kam),
        first={"client_type": "breadwinner", "reason": "Pays the bills"},
        clash={"client_type": "expert", "reason": "Knows better"},
        other=None,
        read=lambda w: Client.objects.values("client_type").get(pk=w.own.pk),
        first_shown="Breadwinner",
        clash_shown="Expert",
    ),
    "key decision": Kind(
        url=lambda w: reverse("qualification:decide", args=[w.own.pk]),
        editors=lambda w: (w.director, w.kam),
        first={"is_key": "0", "reason": "Lost the tender"},
        clash={"is_key": "0", "reason": "Moved abroad"},
        other=None,
        read=lambda w: {"decisions": w.own.key_decisions.count()},
        first_shown="not a key client",
        clash_shown="not a key client",
    ),
    "reassignment (decision)": Kind(
        url=lambda w: reverse("portfolio:reassign", args=[w.own.pk]),
        editors=lambda w: (w.director, second_director(w)),
        first={"owner": "kam-b", "reason": "Load balancing"},
        clash={"owner": "kam-c", "reason": "Region change"},
        other=None,
        read=lambda w: {"owner": Client.objects.get(pk=w.own.pk).owner.username},
        first_shown="Bella Second",
        clash_shown="Cyril Third",
    ),
}

KAMS = {"kam-b": ("Bella", "Second"), "kam-c": ("Cyril", "Third")}


def resolve(world, values: dict) -> dict:
    """Stand-ins of the change tables that need objects (KAMs for a reassignment)."""
    out = {}
    for name, value in values.items():
        if value in KAMS:
            first, last = KAMS[value]
            user = make_user_once(value, first, last)
            value = user.pk
        out[name] = value
    return out


def make_user_once(username, first, last):
    from kam.core.models import User

    return User.objects.filter(username=username).first() or make_user(
        username, Role.KAM, first_name=first, last_name=last
    )


def open_twice(world, login, kind: Kind):
    first_user, second_user = kind.editors(world)
    first, second = login(first_user), login(second_user)
    url = kind.url(world)
    return url, (first, load(first, url)), (second, load(second, url)), first_user


@pytest.mark.parametrize("name", list(KINDS))
def test_the_second_save_of_the_same_field_shows_both_values_and_overwrites_nothing(
    name, world, login
):
    kind = KINDS[name]
    url, (first, first_form), (second, second_form), first_user = open_twice(world, login, kind)
    assert first.post(url, changed(first_form, **resolve(world, kind.first))).status_code == 302
    saved = kind.read(world)

    response = second.post(url, changed(second_form, **resolve(world, kind.clash)))

    html = response.content.decode()
    assert response.status_code == 409, html[:3000]
    assert CONFLICT in html
    panel = html[html.index('id="edit-conflict"') :]
    assert kind.first_shown in panel and kind.clash_shown in panel
    assert str(first_user) in panel
    assert kind.read(world) == saved  # nothing overwritten


@pytest.mark.parametrize("name", [n for n, k in KINDS.items() if k.other is not None])
def test_changes_to_different_fields_are_both_kept_and_the_second_editor_is_told(
    name, world, login
):
    kind = KINDS[name]
    url, (first, first_form), (second, second_form), first_user = open_twice(world, login, kind)
    first.post(url, changed(first_form, **resolve(world, kind.first)))

    response = second.post(url, changed(second_form, **kind.other), follow=True)

    assert response.redirect_chain, response.content.decode()[:3000]
    told = [str(m) for m in response.context["messages"]]
    assert any(str(first_user) in m and "those changes are kept" in m for m in told), told
    assert kind.read(world) == kind.merged


# --- resolving a conflict ---------------------------------------------------------------------


def clash_on_client(world, login):
    """Anna (KAM) set the region to Ural while Ada (assistant) set it to Volga and the industry
    to Cement; Ada's save is refused. Returns Ada's client and the conflict page's form."""
    kind = KINDS["client"]
    url, (first, first_form), (second, second_form), _ = open_twice(world, login, kind)
    first.post(url, changed(first_form, region="Ural", description="Long-standing client"))
    response = second.post(url, changed(second_form, region="Volga", industry="Cement"))
    assert response.status_code == 409
    return url, second, response.content.decode()


def test_save_my_version_overwrites_knowingly_and_keeps_the_others_other_changes(world, login):
    url, second, html = clash_on_client(world, login)
    data = form_data(html)
    # The form already holds the first editor's description, and Ada's own values elsewhere.
    assert data["description"] == ["Long-standing client"]
    assert data["region"] == ["Volga"]

    response = second.post(url, changed(data, edit_resolve="mine"))

    assert response.status_code == 302
    stored = Client.objects.values("region", "industry", "description").get(pk=world.own.pk)
    assert stored == {
        "region": "Volga",
        "industry": "Cement",
        "description": "Long-standing client",
    }


def test_take_their_values_keeps_the_conflicting_field_and_saves_the_rest(world, login):
    url, second, html = clash_on_client(world, login)

    response = second.post(url, changed(form_data(html), edit_take_theirs="region"))

    assert response.status_code == 302
    stored = Client.objects.values("region", "industry").get(pk=world.own.pk)
    assert stored == {"region": "Ural", "industry": "Cement"}


def test_a_third_change_during_the_resolution_is_caught_again(world, login):
    url, second, html = clash_on_client(world, login)
    first = login(world.kam)
    first.post(url, changed(load(first, url), region="Siberia"))

    response = second.post(url, changed(form_data(html), edit_resolve="mine"))

    assert response.status_code == 409
    assert Client.objects.get(pk=world.own.pk).region == "Siberia"


def test_the_same_editor_in_two_windows_is_told_it_was_them(world, login):
    one, two = login(world.kam), login(world.kam)
    url = reverse("clients:edit", args=[world.own.pk])
    a, b = load(one, url), load(two, url)
    one.post(url, changed(a, region="Ural"))

    html = two.post(url, changed(b, region="Volga")).content.decode()

    assert "you, in another window" in html


def test_a_conflict_on_a_parent_outside_the_editors_clients_does_not_name_it(world, login):
    """The director moves the client under another KAM's company while its KAM picks one of
    their own: the KAM's conflict panel says what the parent is without naming it."""
    from ..factories import make_client

    holding = make_client(world.outsider, name="Secret Holding")
    mine = make_client(world.kam, name="My Holding")
    url = reverse("clients:edit", args=[world.own.pk])
    boss, kam = login(world.director), login(world.kam)
    boss_form, kam_form = load(boss, url), load(kam, url)
    boss.post(url, changed(boss_form, parent=holding.pk))

    html = kam.post(url, changed(kam_form, parent=mine.pk)).content.decode()

    assert "a company outside your clients" in html and "My Holding" in html
    assert "Secret Holding" not in html
    assert Client.objects.get(pk=world.own.pk).parent == holding


def test_a_damaged_base_is_a_clear_form_error_not_a_server_error(world, login):
    client = login(world.kam)
    url = reverse("clients:edit", args=[world.own.pk])

    response = client.post(url, changed(load(client, url), edit_base="garbage", region="X"))

    assert response.status_code == 400
    assert "Reload the page" in response.content.decode()
    assert Client.objects.get(pk=world.own.pk).region == ""


def test_tender_competitors_changed_by_both_are_a_conflict(world, login):
    kind = KINDS["tender"]
    a, b, c = make_competitor(name="Alpha"), make_competitor(name="Beta"), make_competitor()
    url, (first, first_form), (second, second_form), first_user = open_twice(world, login, kind)
    first.post(url, changed(first_form, competitors=[a.pk]))

    response = second.post(url, changed(second_form, competitors=[b.pk, c.pk]))

    assert response.status_code == 409
    html = response.content.decode()
    row = html[html.index('id="conflict-table"') :]
    assert "Alpha" in row and "Beta" in row and str(first_user) in row
    assert list(Tender.objects.get().competitors.all()) == [a]


@pytest.mark.parametrize(
    ("url_name", "data"),
    [
        ("qualification:decide", {"reason": "Moved abroad"}),
        ("qualification:type", {"client_type": "expert", "reason": "Knows better"}),
    ],
)
def test_a_decision_from_the_overview_card_is_checked_against_what_the_card_showed(
    url_name, data, world, login
):
    """The overview's card posts the decisions too: one taken meanwhile is shown, not repeated."""
    overview = reverse("clients:detail", args=[world.own.pk])
    action = reverse(url_name, args=[world.own.pk])
    kam, boss = login(world.kam), login(world.director)
    kam_card = form_data(kam.get(overview).content.decode(), action)
    boss_card = form_data(boss.get(overview).content.decode(), action)
    assert boss.post(action, changed(boss_card, **data)).status_code == 302
    stored = Client.objects.values("is_key", "client_type").get(pk=world.own.pk)

    response = kam.post(action, changed(kam_card, **data))

    assert response.status_code == 409
    assert CONFLICT in response.content.decode()
    assert Client.objects.values("is_key", "client_type").get(pk=world.own.pk) == stored
    assert world.own.key_decisions.count() == (1 if url_name == "qualification:decide" else 0)
