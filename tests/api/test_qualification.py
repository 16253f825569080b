"""/api/clients/{id}/qualification, key-decisions and type: three P's, the key decision and its
gate, the client type (R5, R8)."""

import pytest

from kam.clients.models import ClientStatus
from kam.core.models import Role
from kam.qualification import services
from kam.qualification.models import KeyDecision, Qualification
from tests.factories import add_member, make_analytics, make_client, make_user

from .conftest import fields

pytestmark = pytest.mark.django_db

ALL_CONFIRMED = {
    "need_status": "confirmed",
    "need_evidence": "Asked for a quote for 200 t",
    "solvency_status": "confirmed",
    "solvency_evidence": "Audited accounts, no arrears",
    "authority_status": "confirmed",
    "authority_evidence": "The CEO signs supply contracts",
}
ALL_UNKNOWN = {
    f"{p}_{part}": "unknown" if part == "status" else ""
    for p in ("need", "solvency", "authority")
    for part in ("status", "evidence")
}


@pytest.fixture
def prospect(world):
    client = make_client(world.kam, name="New Prospect", status=ClientStatus.PROSPECT)
    add_member(client, world.member)
    return client


def analytics(client, suggested_type="breadwinner", score=72.5):
    return make_analytics(client, score=score, suggested_type=suggested_type)


def url(client, what):
    return f"/api/clients/{client.pk}/{what}"


# --- three P's -----------------------------------------------------------------------------


def test_a_client_never_qualified_reads_as_three_unknown_ps(prospect, world, api):
    response = api(world.member).get(url(prospect, "qualification"))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["client"] == {"id": prospect.pk, "name": "New Prospect"}
    assert body["is_prospect"] is True
    assert body["need_status"] == "unknown"
    assert body["need_status_label"] == "Unknown"
    assert body["need_by"] is None and body["need_at"] is None
    assert body["missing"] == ["need", "solvency", "authority"]
    assert body["missing_labels"] == ["need", "solvency", "authority to decide"]
    assert body["is_fully_qualified"] is False
    assert body["updated_at"] is None
    assert not Qualification.objects.exists()


def test_an_assistant_qualifies_a_prospect_and_each_p_is_stamped(prospect, world, api):
    response = api(world.assistant).put(
        url(prospect, "qualification"),
        ALL_UNKNOWN
        | {
            "need_status": "confirmed",
            "need_evidence": "Tender plan for 2026",
            "solvency_status": "not_met",
            "solvency_evidence": "Arrears with two suppliers",
            "reason": "Call with the CFO",
        },
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["need_status"] == "confirmed"
    assert body["need_status_label"] == "Confirmed"
    assert body["need_evidence"] == "Tender plan for 2026"
    assert body["need_by"] == {"id": world.assistant.pk, "name": "assistant"}
    assert body["need_at"] is not None
    assert body["solvency_status_label"] == "Not met"
    assert body["authority_by"] is None
    assert body["missing"] == ["solvency", "authority"]
    assert body["is_fully_qualified"] is False
    assert body["updated_at"] is not None
    record = Qualification.audit.get(client_id=prospect.pk)
    assert record.history_user == world.assistant
    assert record.history_change_reason == "Call with the CFO"


def test_a_fully_qualified_client_reads_as_such(prospect, world, api):
    api(world.kam).put(url(prospect, "qualification"), ALL_CONFIRMED)

    body = api(world.director).get(url(prospect, "qualification")).json()

    assert body["is_fully_qualified"] is True
    assert body["missing"] == body["missing_labels"] == []
    assert body["authority_by"] == {"id": world.kam.pk, "name": "Anna Kamova"}


def test_evidence_is_required_for_a_confirmed_or_not_met_p(prospect, world, api):
    response = api(world.kam).put(
        url(prospect, "qualification"),
        ALL_UNKNOWN | {"need_status": "confirmed", "solvency_status": "not_met"},
    )

    errors = fields(response)
    assert set(errors) == {"need_evidence", "solvency_evidence"}
    assert errors["need_evidence"] == ["Give the evidence: what shows it is confirmed or not met."]
    assert not Qualification.objects.exists()


def test_a_qualification_put_needs_every_p_and_valid_statuses(prospect, world, api):
    errors = fields(
        api(world.kam).put(
            url(prospect, "qualification"),
            {"need_status": "probably", "need_evidence": "x", "reason": "r" * 201, "extra": 1},
        )
    )

    assert set(errors) == {
        "need_status",
        "solvency_status",
        "solvency_evidence",
        "authority_status",
        "authority_evidence",
        "reason",
        "extra",
    }


def test_a_team_member_reads_the_qualification_but_may_not_change_it(prospect, world, api):
    response = api(world.member).put(url(prospect, "qualification"), ALL_CONFIRMED)

    assert response.status_code == 403
    assert response.json() == {"detail": "You may not change this client."}
    assert not Qualification.objects.exists()


@pytest.mark.parametrize("persona", ["kam", "assistant", "member", "outsider"])
def test_the_qualification_of_a_foreign_client_is_404(persona, world, api):
    hidden = world.own if persona == "outsider" else world.foreign
    caller = api(getattr(world, persona))

    read = caller.get(url(hidden, "qualification"))
    write = caller.put(url(hidden, "qualification"), ALL_CONFIRMED)

    assert read.status_code == write.status_code == 404
    assert read.json() == write.json() == {"detail": "Not found."}
    assert not Qualification.objects.exists()


# --- key decisions: the three-P gate ---------------------------------------------------------


def test_a_prospect_cannot_be_made_key_before_it_is_fully_qualified(prospect, world, api):
    api(world.kam).put(
        url(prospect, "qualification"),
        ALL_UNKNOWN | {"need_status": "confirmed", "need_evidence": "Quote requested"},
    )

    response = api(world.kam).post(
        url(prospect, "key-decisions"), {"is_key": True, "reason": "Big potential"}
    )

    assert fields(response) == {
        None: [
            "A prospect can be made key only when fully qualified. "
            "Not confirmed yet: solvency, authority to decide."
        ]
    }
    prospect.refresh_from_db()
    assert prospect.is_key is False
    assert not KeyDecision.objects.exists()


def test_once_all_three_ps_are_confirmed_the_kam_makes_the_prospect_key(prospect, world, api):
    analytics(prospect, score=81.0)
    caller = api(world.kam)
    caller.put(url(prospect, "qualification"), ALL_CONFIRMED)

    response = caller.post(
        url(prospect, "key-decisions"), {"is_key": True, "reason": "Fully qualified, big plans"}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["client"] == {"id": prospect.pk, "name": "New Prospect"}
    assert body["decided_by"] == {"id": world.kam.pk, "name": "Anna Kamova"}
    assert body["is_key"] is True
    assert body["reason"] == "Fully qualified, big plans"
    assert body["suggested_type"] == "breadwinner"
    assert body["suggested_type_label"] == "Breadwinner"
    assert body["client_status"] == "prospect"
    assert body["client_status_label"] == "Prospect"
    assert body["score"] is None or isinstance(body["score"], float)
    prospect.refresh_from_db()
    assert prospect.is_key is True
    assert prospect.audit.first().history_change_reason == "Fully qualified, big plans"
    assert KeyDecision.objects.get().pk == body["id"]


def test_removing_a_prospect_from_key_clients_needs_no_qualification(prospect, world, api):
    response = api(world.director).post(
        url(prospect, "key-decisions"), {"is_key": False, "reason": "Not now"}
    )

    assert response.status_code == 201, response.content
    assert response.json()["is_key"] is False
    assert response.json()["suggested_type"] is None


def test_an_active_client_is_made_key_without_a_qualification(world, api):
    client = make_client(world.kam, name="Active")

    response = api(world.kam).post(url(client, "key-decisions"), {"is_key": True, "reason": "Big"})

    assert response.status_code == 201, response.content
    client.refresh_from_db()
    assert client.is_key is True


def test_a_decision_needs_a_reason(world, api):
    caller = api(world.kam)

    blank = caller.post(url(world.own, "key-decisions"), {"is_key": False, "reason": "  "})
    missing = caller.post(url(world.own, "key-decisions"), {"reason": "x"})

    assert fields(blank) == {"reason": ["Say why: the decision is recorded with its reason."]}
    assert set(fields(missing)) == {"is_key"}
    assert not KeyDecision.objects.exists()


@pytest.mark.parametrize("persona", ["assistant", "member", "team_kam"])
def test_only_the_director_or_the_clients_kam_decide(persona, prospect, world, api):
    if persona == "team_kam":
        user = make_user("team_kam", Role.KAM)
        add_member(world.own, user)
    else:
        user = getattr(world, persona)

    response = api(user).post(url(world.own, "key-decisions"), {"is_key": False, "reason": "x"})

    assert response.status_code == 403
    assert response.json() == {"detail": "Only the director or the client's KAM may decide this."}
    world.own.refresh_from_db()
    assert world.own.is_key is True
    assert not KeyDecision.objects.exists()


@pytest.mark.parametrize("persona", ["kam", "assistant", "member", "outsider"])
def test_deciding_on_a_foreign_client_is_404(persona, world, api):
    hidden = world.own if persona == "outsider" else world.foreign

    response = api(getattr(world, persona)).post(
        url(hidden, "key-decisions"), {"is_key": True, "reason": ""}
    )

    assert response.status_code == 404
    assert not KeyDecision.objects.exists()


# --- key decisions: history ----------------------------------------------------------------


def test_the_decisions_are_listed_newest_first(world, api):
    services.decide_key(by=world.kam, client=world.own, is_key=False, reason="Shrinking")
    services.decide_key(by=world.director, client=world.own, is_key=True, reason="Back")
    services.decide_key(by=world.outsider, client=world.foreign, is_key=True, reason="Other")

    response = api(world.member).get(url(world.own, "key-decisions"))

    assert response.status_code == 200, response.content
    assert response.json()["count"] == 2
    items = response.json()["items"]
    assert [(d["reason"], d["is_key"], d["decided_by"]["id"]) for d in items] == [
        ("Back", True, world.director.pk),
        ("Shrinking", False, world.kam.pk),
    ]
    assert items[0]["client_status"] == "active"


def test_a_decision_keeps_the_figures_of_its_time(world, api):
    KeyDecision.objects.create(
        client=world.own,
        decided_by=world.kam,
        is_key=True,
        reason="Old",
        score=64.25,
        suggested_type="expert",
        client_status="",
    )

    item = api(world.kam).get(url(world.own, "key-decisions")).json()["items"][0]

    assert item["score"] == 64.25
    assert (item["suggested_type"], item["suggested_type_label"]) == ("expert", "Expert")
    assert (item["client_status"], item["client_status_label"]) == (None, "")


def test_listing_decisions_takes_a_fixed_number_of_queries(
    world, api, django_assert_max_num_queries
):
    deciders = [world.kam, world.director, make_user("second_director", Role.DIRECTOR)]
    for n in range(30):
        services.decide_key(
            by=deciders[n % 3], client=world.own, is_key=bool(n % 2), reason=f"Decision {n}"
        )
    caller = api(world.member)

    # token lookup + last_used_at update + the client + count + page
    with django_assert_max_num_queries(5):
        response = caller.get(url(world.own, "key-decisions"), {"limit": 500})

    assert response.json()["count"] == len(response.json()["items"]) == 30


@pytest.mark.parametrize("persona", ["kam", "assistant", "member", "outsider"])
def test_the_decisions_of_a_foreign_client_are_404(persona, world, api):
    hidden = world.own if persona == "outsider" else world.foreign
    services.decide_key(by=hidden.owner, client=hidden, is_key=True, reason="Secret")

    response = api(getattr(world, persona)).get(url(hidden, "key-decisions"))

    assert response.status_code == 404
    assert "Secret" not in response.content.decode()


# --- client type ---------------------------------------------------------------------------


def test_confirming_the_suggested_type_records_a_standard_reason(world, api):
    analytics(world.own, suggested_type="breadwinner")

    response = api(world.kam).post(url(world.own, "type"), {"client_type": "breadwinner"})

    assert response.status_code == 200, response.content
    assert response.json() == {
        "client": {"id": world.own.pk, "name": "Own Client"},
        "client_type": "breadwinner",
        "client_type_label": "Breadwinner",
        "suggested_type": "breadwinner",
        "suggested_type_label": "Breadwinner",
        "reason": "Confirmed the suggested type: Breadwinner.",
    }
    world.own.refresh_from_db()
    assert world.own.client_type == "breadwinner"
    assert world.own.audit.first().history_user == world.kam


def test_overriding_the_suggested_type_needs_a_reason(world, api):
    analytics(world.own, suggested_type="breadwinner")
    caller = api(world.director)

    refused = caller.post(url(world.own, "type"), {"client_type": "expert"})
    accepted = caller.post(
        url(world.own, "type"), {"client_type": "expert", "reason": "Demanding on quality"}
    )

    assert fields(refused) == {"reason": ["Say why: the type differs from the suggested one."]}
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["client_type"] == "expert"
    assert accepted.json()["reason"] == "Demanding on quality"
    world.own.refresh_from_db()
    assert world.own.client_type == "expert"


def test_a_type_outside_the_list_is_refused(world, api):
    errors = fields(api(world.kam).post(url(world.own, "type"), {"client_type": "whale"}))

    assert list(errors) == ["client_type"]


def test_without_a_suggestion_any_type_needs_a_reason(world, api):
    response = api(world.kam).post(url(world.own, "type"), {"client_type": "prospective"})

    assert list(fields(response)) == ["reason"]


@pytest.mark.parametrize("persona", ["assistant", "member"])
def test_only_the_director_or_the_clients_kam_confirm_the_type(persona, world, api):
    analytics(world.own, suggested_type="breadwinner")

    response = api(getattr(world, persona)).post(
        url(world.own, "type"), {"client_type": "breadwinner"}
    )

    assert response.status_code == 403
    world.own.refresh_from_db()
    assert world.own.client_type == ""


@pytest.mark.parametrize("persona", ["kam", "assistant", "member", "outsider"])
def test_typing_a_foreign_client_is_404(persona, world, api):
    hidden = world.own if persona == "outsider" else world.foreign

    response = api(getattr(world, persona)).post(
        url(hidden, "type"), {"client_type": "expert", "reason": "x"}
    )

    assert response.status_code == 404
