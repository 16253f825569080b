import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kam.clients.models import Client, ClientStatus
from kam.qualification import services
from kam.qualification.models import KeyDecision, Qualification
from kam.qualification.norms import DEFAULT_SERVICE_NORMS, norm_for

from ..factories import add_member, make_analytics, make_client, make_scoring, make_user

ALL_CONFIRMED = {
    "need_status": "confirmed",
    "need_evidence": "Asked for a quote for 200 t",
    "solvency_status": "confirmed",
    "solvency_evidence": "Audited accounts, no arrears",
    "authority_status": "confirmed",
    "authority_evidence": "The CEO signs supply contracts",
}


@pytest.fixture
def prospect(world):
    return make_client(world.kam, name="New Prospect", status=ClientStatus.PROSPECT)


def analytics(client, score=72.5, suggested_type="breadwinner"):
    return make_analytics(client, score=score, suggested_type=suggested_type)


# --- three P's -------------------------------------------------------------------------------


def test_evidence_is_required_for_a_confirmed_or_not_met_p(world, prospect):
    with pytest.raises(ValidationError) as error:
        services.qualification_save(
            by=world.kam,
            client=prospect,
            need_status="confirmed",
            solvency_status="not_met",
            solvency_evidence="  ",
        )
    assert set(error.value.message_dict) == {"need_evidence", "solvency_evidence"}
    assert not Qualification.objects.exists()


def test_qualification_stamps_who_and_when_and_is_audited(world, prospect):
    q = services.qualification_save(
        by=world.assistant, client=prospect, need_status="confirmed", need_evidence="Tender plan"
    )
    assert q.need_by == world.assistant and q.need_at is not None
    assert q.solvency_by is None and not q.is_fully_qualified
    assert q.missing == ["solvency", "authority"]
    q = services.qualification_save(by=world.kam, client=prospect, **ALL_CONFIRMED)
    assert q.is_fully_qualified
    assert q.need_by == world.kam  # evidence changed: re-stamped
    assert Qualification.audit.filter(client_id=prospect.pk).count() == 2
    q = services.qualification_save(by=world.kam, client=prospect, need_status="unknown")
    assert q.need_by is None and q.need_at is None


def test_only_editors_qualify(world, prospect):
    with pytest.raises(PermissionDenied):
        services.qualification_save(by=world.member, client=world.own, **ALL_CONFIRMED)
    with pytest.raises(PermissionDenied):
        services.qualification_save(by=world.outsider, client=prospect, **ALL_CONFIRMED)


# --- key decisions ---------------------------------------------------------------------------


def test_a_prospect_cannot_become_key_until_all_three_ps_are_confirmed(world, prospect):
    with pytest.raises(ValidationError) as error:
        services.decide_key(by=world.kam, client=prospect, is_key=True, reason="Big budget")
    assert "need, solvency, authority to decide" in error.value.messages[0]

    services.qualification_save(
        by=world.kam, client=prospect, need_status="confirmed", need_evidence="Asked for a quote"
    )
    with pytest.raises(ValidationError) as error:
        services.decide_key(by=world.kam, client=prospect, is_key=True, reason="Big budget")
    message = error.value.messages[0]
    assert "solvency" in message and "authority to decide" in message and "need," not in message
    prospect.refresh_from_db()
    assert not prospect.is_key and not KeyDecision.objects.exists()

    services.qualification_save(by=world.kam, client=prospect, **ALL_CONFIRMED)
    services.decide_key(by=world.kam, client=prospect, is_key=True, reason="Big budget")
    prospect.refresh_from_db()
    assert prospect.is_key


def test_a_prospect_may_be_removed_from_key_without_qualification(world, prospect):
    services.decide_key(by=world.kam, client=prospect, is_key=False, reason="Not now")
    assert KeyDecision.objects.get().is_key is False


def test_reason_is_required(world):
    with pytest.raises(ValidationError) as error:
        services.decide_key(by=world.kam, client=world.own, is_key=False, reason="  ")
    assert "reason" in error.value.message_dict
    assert Client.objects.get(pk=world.own.pk).is_key


def test_decision_records_who_why_and_score_then(world):
    analytics(world.foreign, score=50.0, suggested_type="image_maker")
    make_scoring({world.foreign: 81.0})
    decision = services.decide_key(
        by=world.director, client=world.foreign, is_key=True, reason="Leader of the region"
    )
    assert decision.decided_by == world.director
    assert decision.reason == "Leader of the region"
    assert decision.score == 81.0 and decision.suggested_type == "image_maker"
    assert decision.client_status == ClientStatus.ACTIVE
    make_scoring({world.foreign: 20.0})
    decision.refresh_from_db()
    assert decision.score == 81.0  # the score at the time, not the current one


def test_decision_without_analytics_has_no_score(world):
    decision = services.decide_key(by=world.kam, client=world.own, is_key=False, reason="Shrinking")
    assert decision.score is None and decision.suggested_type == ""


def test_client_history_shows_the_is_key_change_with_the_reason(world, login):
    services.decide_key(by=world.kam, client=world.own, is_key=False, reason="Moved to a rival")
    record = Client.audit.filter(id=world.own.pk).latest("history_date")
    assert record.is_key is False
    assert record.history_change_reason == "Moved to a rival"
    assert record.history_user == world.kam
    page = login(world.kam).get(reverse("clients:history", args=[world.own.pk]))
    assert "Moved to a rival" in page.content.decode()


@pytest.mark.parametrize("persona", ["assistant", "member", "outsider"])
def test_only_director_or_owner_decides(world, persona):
    with pytest.raises(PermissionDenied):
        services.decide_key(by=getattr(world, persona), client=world.own, is_key=False, reason="No")


def test_a_kam_who_only_sits_on_the_team_may_not_decide(world, login):
    add_member(world.own, world.outsider, function="sales")
    with pytest.raises(PermissionDenied):
        services.decide_key(by=world.outsider, client=world.own, is_key=False, reason="No")
    response = login(world.outsider).post(
        reverse("qualification:decide", args=[world.own.pk]), {"is_key": "0", "reason": "No"}
    )
    assert response.status_code == 403
    assert Client.objects.get(pk=world.own.pk).is_key
    # They can see the client, but the card offers no decision form.
    page = login(world.outsider).get(reverse("clients:detail", args=[world.own.pk]))
    assert page.status_code == 200
    assert reverse("qualification:decide", args=[world.own.pk]) not in page.content.decode()


# --- client type -----------------------------------------------------------------------------


def test_confirm_the_suggested_type_without_a_reason(world):
    analytics(world.own, suggested_type="breadwinner")
    services.confirm_type(by=world.kam, client=world.own, client_type="breadwinner")
    record = Client.audit.filter(id=world.own.pk).latest("history_date")
    assert record.client_type == "breadwinner"
    assert "Confirmed the suggested type" in record.history_change_reason


def test_overriding_the_suggestion_needs_a_reason(world):
    analytics(world.own, suggested_type="breadwinner")
    with pytest.raises(ValidationError) as error:
        services.confirm_type(by=world.kam, client=world.own, client_type="expert")
    assert "reason" in error.value.message_dict
    services.confirm_type(
        by=world.kam, client=world.own, client_type="expert", reason="Audits our plants yearly"
    )
    record = Client.audit.filter(id=world.own.pk).latest("history_date")
    assert record.client_type == "expert"
    assert record.history_change_reason == "Audits our plants yearly"


def test_type_must_be_a_known_one(world):
    with pytest.raises(ValidationError):
        services.confirm_type(by=world.kam, client=world.own, client_type="vip", reason="x")


def test_only_director_or_owner_confirms_the_type(world):
    with pytest.raises(PermissionDenied):
        services.confirm_type(
            by=world.assistant, client=world.own, client_type="expert", reason="x"
        )


def test_service_norms_per_type(settings):
    assert norm_for("breadwinner") == {"meeting_days": 14, "review_days": 90}
    assert norm_for("prospective") == {"meeting_days": 30, "review_days": 90}
    assert norm_for("image_maker") == {"meeting_days": 30, "review_days": 180}
    assert norm_for("expert") == {"meeting_days": 21, "review_days": 90}
    assert norm_for("") is None
    settings.KAM_SERVICE_NORMS = {"expert": {"meeting_days": 7}}
    assert norm_for("expert") == {"meeting_days": 7, "review_days": 90}
    assert DEFAULT_SERVICE_NORMS["expert"]["meeting_days"] == 21


# --- pages -----------------------------------------------------------------------------------


def test_prospect_gating_through_the_page_names_the_missing_ps(world, prospect, login):
    client = login(world.kam)
    url = reverse("qualification:decide", args=[prospect.pk])
    response = client.post(url, {"is_key": "1", "reason": "Big budget"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Not confirmed yet: need, solvency, authority to decide" in body
    assert not Client.objects.get(pk=prospect.pk).is_key


def test_edit_page_shows_evidence_errors(world, prospect, login):
    response = login(world.assistant).post(
        reverse("qualification:edit", args=[prospect.pk]),
        {"need_status": "confirmed", "solvency_status": "unknown", "authority_status": "unknown"},
    )
    assert response.status_code == 400
    assert "Give the evidence" in response.content.decode()


def test_card_on_the_overview(world, prospect, login):
    analytics(prospect, score=50.0, suggested_type="prospective")
    make_scoring({prospect: 64.0})
    services.qualification_save(by=world.kam, client=prospect, **ALL_CONFIRMED)
    services.decide_key(by=world.kam, client=prospect, is_key=True, reason="Competitor's client")
    body = login(world.kam).get(reverse("clients:detail", args=[prospect.pk])).content.decode()
    assert "Three-P qualification" in body
    assert "The CEO signs supply contracts" in body
    assert "Fully qualified." in body
    assert "Competitor&#x27;s client" in body
    assert "score then 64/100" in body
    assert "Remove from key" in body
    assert "meet every" not in body  # no confirmed type yet
    services.confirm_type(by=world.kam, client=prospect, client_type="prospective")
    body = login(world.kam).get(reverse("clients:detail", args=[prospect.pk])).content.decode()
    assert "meet every 30 days" in body and "review the account every 90 days" in body


def test_card_for_a_member_is_read_only(world, login):
    body = login(world.member).get(reverse("clients:detail", args=[world.own.pk])).content.decode()
    assert "Key client decision" in body
    assert reverse("qualification:decide", args=[world.own.pk]) not in body
    assert "Three-P qualification" not in body  # active client with no qualification


def test_member_post_is_403_and_outsider_404(world, login):
    url = reverse("qualification:edit", args=[world.own.pk])
    assert login(world.member).post(url, ALL_CONFIRMED).status_code == 403
    assert login(world.outsider).post(url, ALL_CONFIRMED).status_code == 404
    type_url = reverse("qualification:type", args=[world.own.pk])
    data = {"client_type": "expert", "reason": "x"}
    assert login(world.member).post(type_url, data).status_code == 403
    assert login(world.outsider).post(type_url, data).status_code == 404
    assert not Qualification.objects.exists()


def test_decide_page_marks_key(world, login):
    other = make_client(world.kam, name="Steady Buyer")
    response = login(world.kam).post(
        reverse("qualification:decide", args=[other.pk]), {"is_key": "1", "reason": "30 % of sales"}
    )
    assert response.status_code == 302
    assert Client.objects.get(pk=other.pk).is_key
    assert KeyDecision.objects.get(client=other).decided_by == world.kam


def test_director_decides_for_any_client(world):
    director = make_user("boss2", "director")
    services.decide_key(by=director, client=world.foreign, is_key=True, reason="Strategic")
    assert Client.objects.get(pk=world.foreign.pk).is_key


def test_the_key_flag_cannot_be_set_around_the_recorded_decision(world):
    """Neither the client service nor the API takes is_key: only decide_key sets it."""
    import json

    from kam.clients import services as client_services
    from kam.core.models import ApiToken

    with pytest.raises(TypeError, match="is_key"):
        client_services.client_update(by=world.kam, client=world.own, is_key=False)
    _token, key = ApiToken.issue(user=world.director, name="t")
    from django.test import Client as HttpClient

    response = HttpClient().patch(
        f"/api/clients/{world.own.pk}",
        json.dumps({"is_key": False}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 422
    assert Client.objects.get(pk=world.own.pk).is_key
    assert not KeyDecision.objects.exists()
