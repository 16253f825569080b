"""The shape of the demo company: people, clients, contacts, sales, history."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db.models import Max, Sum
from django.test import Client as HttpClient
from django.utils import timezone

from kam.clients.inn import inn_problem, kpp_problem
from kam.clients.models import (
    Client,
    ClientStatus,
    ClientType,
    Competitor,
    CompetitorPresence,
    Contact,
    DecisionRole,
    TeamMembership,
    Tender,
)
from kam.core.models import Role, User
from kam.demo.data import REGION_TAX_CODES
from kam.sales.models import Product, SalesLine

from .conftest import AS_OF

pytestmark = pytest.mark.django_db


def test_there_is_one_director_who_may_use_the_admin(small_company):
    director = User.objects.get(role=Role.DIRECTOR)
    assert director.username == "director"
    assert director.is_staff and director.first_name and director.last_name and director.email


def test_there_are_three_kams_each_with_an_assistant(small_company):
    kams = list(User.objects.filter(role=Role.KAM).order_by("username"))
    assert [k.username for k in kams] == ["kam1", "kam2", "kam3"]
    for n, kam in enumerate(kams, start=1):
        assistant = User.objects.get(username=f"assistant{n}")
        assert assistant.role == Role.ASSISTANT
        assert list(assistant.assisted_kams.all()) == [kam]


def test_team_members_sit_on_key_clients_teams(small_company):
    members = User.objects.filter(role=Role.MEMBER)
    assert members.count() == 5
    memberships = TeamMembership.objects.all()
    assert memberships.exists()
    assert all(m.client.is_key and m.user.role == Role.MEMBER for m in memberships)


def test_every_demo_user_logs_in_with_the_password_demo(small_company):
    for user in small_company.users:
        browser = HttpClient()
        browser.post("/accounts/login/", {"username": user.username, "password": "demo"})
        assert "_auth_user_id" in browser.session, user.username


def test_every_kam_owns_key_clients_and_their_assistant_is_on_them(small_company):
    key = Client.objects.filter(is_key=True).select_related("owner", "assistant")
    per_kam = defaultdict(int)
    for client in key:
        per_kam[client.owner.username] += 1
        assert client.assistant.assisted_kams.filter(pk=client.owner_id).exists()
        assert client.client_type != ClientType.NONE
    assert sorted(per_kam) == ["kam1", "kam2", "kam3"]
    assert max(per_kam.values()) - min(per_kam.values()) <= 1


def test_clients_have_unique_erp_codes_and_realistic_dossiers(small_company):
    codes = list(Client.objects.values_list("erp_code", flat=True))
    assert len(codes) == len(set(codes)) == 30
    assert all(code.startswith("CL-") for code in codes)
    for client in Client.objects.all():
        assert client.name and client.legal_name and client.industry and client.region
        assert client.employees > 0 and client.annual_revenue > 0 and client.description
        assert bool(client.org_structure) == client.is_key


def test_a_group_of_companies_has_a_parent(small_company):
    child = Client.objects.filter(parent__isnull=False).select_related("parent").first()
    assert child is not None and child.parent.parent_id is None


def test_each_key_client_has_a_decision_maker_at_the_top_of_a_contact_tree(small_company):
    for client in Client.objects.filter(is_key=True):
        contacts = {c.pk: c for c in client.contacts.all()}
        assert 4 <= len(contacts) <= 8
        tops = [c for c in contacts.values() if c.reports_to_id is None]
        assert len(tops) == 1 and tops[0].decision_role == DecisionRole.DECISION_MAKER
        for contact in contacts.values():
            seen, boss = set(), contact
            while boss.reports_to_id is not None:  # the chain stays in the client and ends
                assert boss.reports_to_id in contacts and boss.pk not in seen
                seen.add(boss.pk)
                boss = contacts[boss.reports_to_id]
            assert boss == tops[0]
            assert contact.motivation and contact.bonus_drivers and contact.relationship_owner


def test_some_contacts_have_left_their_company(small_company):
    left = Contact.objects.filter(has_left=True)
    assert left.exists()
    assert all(c.left_on and c.left_on <= AS_OF for c in left)


def test_prospects_have_no_sales(small_company):
    prospects = Client.objects.filter(status=ClientStatus.PROSPECT)
    assert prospects.exists()
    assert not SalesLine.objects.filter(client__in=prospects).exists()


def test_a_few_clients_carry_strategic_flags(small_company):
    leaders = Client.objects.filter(is_industry_leader=True)
    assert leaders.count() == 3
    assert leaders.filter(is_key=True).exists()
    references = Client.objects.filter(is_reference_customer=True)
    assert references.count() == 5
    assert not references.filter(is_key=False).exists()
    assert Client.objects.filter(is_expert=True).count() == 2


def test_most_buyers_have_a_payment_share_and_key_clients_mostly_pay_on_time(small_company):
    buyers = Client.objects.filter(sales_lines__isnull=False).distinct()
    shares = buyers.exclude(payment_on_time_pct=None)
    assert shares.count() >= 0.8 * buyers.count()
    prospects = Client.objects.filter(status=ClientStatus.PROSPECT)
    assert not prospects.exclude(payment_on_time_pct=None).exists()  # no invoices yet
    key = list(shares.filter(is_key=True).values_list("payment_on_time_pct", flat=True))
    assert key and all(50 <= v <= 100 for v in key)
    assert sum(v >= 80 for v in key) > len(key) / 2


def test_some_clients_stopped_buying_months_before_as_of(small_company):
    last = Client.objects.annotate(last=Max("sales_lines__date")).filter(last__isnull=False)
    stopped = [c for c in last if 80 <= (AS_OF - c.last).days <= 290]
    assert stopped
    lost = last.filter(status=ClientStatus.LOST)
    assert lost.exists()
    assert all((AS_OF - c.last).days >= 80 for c in lost)


def test_sales_cover_the_months_up_to_as_of(small_company):
    first = SalesLine.objects.order_by("date").first().date
    last = SalesLine.objects.order_by("-date").first().date
    assert dt.date(2025, 1, 1) <= first <= dt.date(2025, 1, 31)
    assert dt.date(2025, 12, 1) <= last <= AS_OF


def test_monthly_sales_follow_the_construction_season(small_company):
    by_month = defaultdict(Decimal)
    for date, amount in SalesLine.objects.values_list("date", "amount"):
        by_month[date.month] += amount
    summer = by_month[6] + by_month[7] + by_month[8]
    winter = by_month[1] + by_month[2] + by_month[12]
    assert summer > winter * Decimal("1.3")
    assert len(set(by_month.values())) == 12


def test_a_fifth_of_the_clients_bring_most_of_the_sales(small_company):
    totals = sorted(
        (
            t or 0
            for t in Client.objects.annotate(t=Sum("sales_lines__amount")).values_list(
                "t", flat=True
            )
        ),
        reverse=True,
    )
    assert sum(totals[:6]) / sum(totals) > Decimal("0.6")
    assert small_company.top20_share > 0.6


def test_amount_is_quantity_times_price_less_the_discount_and_cost_is_quantity_times_unit_cost(
    small_company,
):
    by_client = defaultdict(list)
    # Lines after the last price change carry today's list prices and unit costs.
    for line in SalesLine.objects.filter(date__gte=dt.date(2025, 10, 1)).select_related("product"):
        by_client[line.client_id].append(line)
    for lines in by_client.values():
        biggest = max(lines, key=lambda x: x.amount)
        # discounts are whole half-percents; the biggest line pins the client's one down
        ratio = biggest.amount / (biggest.quantity * biggest.product.list_price)
        discount = round((1 - ratio) * 200) / Decimal(200)
        assert 0 <= discount <= Decimal("0.12")
        for line in lines:
            expected = line.quantity * line.product.list_price * (1 - discount)
            assert abs(line.amount - expected) <= Decimal("0.01"), line
            assert abs(line.cost - line.quantity * line.product.unit_cost) <= Decimal("0.01")


def test_products_have_a_margin_of_15_to_45_percent(small_company):
    assert Product.objects.count() == 300
    for product in Product.objects.all():
        margin = 1 - product.unit_cost / product.list_price
        assert Decimal("0.14") <= margin <= Decimal("0.46"), product


def test_document_numbers_are_shared_by_the_lines_of_one_order(small_company):
    numbers = SalesLine.objects.values_list("document_number", "client_id", "date").distinct()
    per_number = defaultdict(set)
    for number, client, date in numbers:
        per_number[number].add((client, date))
    assert all(len(v) == 1 for v in per_number.values())
    assert len(per_number) < SalesLine.objects.count()


def test_competitors_court_key_clients_and_tenders_name_them(small_company):
    assert Competitor.objects.count() == 8
    assert CompetitorPresence.objects.filter(client__is_key=True).exists()
    tenders = Tender.objects.all()
    assert tenders.count() >= 3
    assert all(t.client.is_key and t.competitors.exists() for t in tenders)


def test_key_clients_have_their_competitive_position_and_what_moved(small_company):
    from kam.competition import selectors
    from kam.competition.models import Assessment, Holder, SpendHolder
    from kam.core.figures import Window
    from kam.potential.selectors import whitespace

    courted = Client.objects.filter(is_key=True, competitor_presence__isnull=False).distinct()
    assert courted.exists()
    ours = 0
    for client in courted:
        first, second = [a for a in selectors.assessments(client) if a.is_final][::-1]
        assert first.is_final and second.is_final and first.assessed_on < second.assessed_on
        assert second.assessed_on <= AS_OF and len(second.grid) >= 10
        present = set(client.competitor_presence.values_list("competitor_id", flat=True))
        assert set(second.competitors.values_list("pk", flat=True)) == present
        assert selectors.show(second).changes_from(selectors.show(first))["any"]
        held = SpendHolder.objects.filter(client=client)
        known = whitespace(client, Window.ending(AS_OF))
        bought = {r.category for r in known.rows if r.amount}
        assert set(held.filter(holder=Holder.US).values_list("category", flat=True)) == bought
        ours += len(bought)
        assert set(held.exclude(competitor=None).values_list("competitor_id", flat=True)) == present
    assert ours and not Assessment.objects.exclude(client__in=courted).exists()
    drafts = Assessment.objects.filter(status="draft")
    assert drafts.exists() and all(len(d.grid) >= 10 and d.note for d in drafts)


def test_every_record_has_a_creation_entry_in_the_history(small_company):
    for model in (Client, Contact, Product, Competitor, TeamMembership, CompetitorPresence):
        created = model.audit.filter(history_type="+").values("id").distinct().count()
        assert created == model.objects.count(), model


def test_the_history_shows_later_changes_by_different_people(small_company):
    client_editors = set(
        Client.audit.filter(history_type="~").values_list("history_user__username", flat=True)
    )
    contact_editors = set(
        Contact.audit.filter(history_type="~").values_list("history_user__username", flat=True)
    )
    assert "director" in client_editors
    assert client_editors & {"kam1", "kam2", "kam3"}
    assert contact_editors & {"assistant1", "assistant2", "assistant3"}
    assert Product.audit.filter(history_type="~", history_user__username="director").exists()
    assert Client.audit.filter(history_type="~").exclude(history_change_reason="").exists()


def test_history_entries_follow_each_other_and_end_by_as_of(small_company):
    end = timezone.make_aware(dt.datetime.combine(AS_OF, dt.time.max))
    for model in (Client, Contact, Tender, Product):
        entries = defaultdict(list)
        for pk, kind, at in model.audit.order_by("history_id").values_list(
            "id", "history_type", "history_date"
        ):
            entries[pk].append((kind, at))
        for pk, history in entries.items():
            assert history[0][0] == "+", (model, pk)
            dates = [at for _, at in history]
            assert dates == sorted(dates) and dates[-1] <= end, (model, pk, history)


def test_the_demos_key_decisions_record_the_score_and_suggested_type_they_were_taken_on(
    small_company,
):
    """The new key clients became key after scoring: the log shows what the director saw."""
    from kam.qualification.models import KeyDecision

    decisions = list(KeyDecision.objects.all())
    assert decisions
    assert all(d.score is not None for d in decisions)
    assert any(d.suggested_type for d in decisions)
    assert all(d.decided_at.date() <= AS_OF for d in decisions)  # when the story has it


def test_every_client_has_a_valid_inn_of_its_region_and_a_kpp_of_the_same_office(small_company):
    clients = list(Client.objects.values_list("inn", "kpp", "region"))
    assert len({inn for inn, _kpp, _region in clients}) == len(clients)
    for inn, kpp, region in clients:
        assert inn_problem(inn) is None and kpp_problem(kpp, inn) is None
        assert inn[:2] == REGION_TAX_CODES[region] and kpp[:4] == inn[:4]
