import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from kam.clients.models import CompetitorPresence
from kam.competition import services
from kam.competition.models import Assessment, AssessmentStatus, Criterion, SpendHolder

from ..browser_form import changed, load
from ..factories import make_client, make_competitor


@pytest.fixture
def rivals(world):
    alpha, beta = make_competitor(name="Alpha"), make_competitor(name="Beta")
    for c in (alpha, beta):
        CompetitorPresence.objects.create(client=world.own, competitor=c)
    return alpha, beta


def full_rows(rivals, n=10, us=4, them=3):
    return [
        {
            "name": f"Criterion {i}",
            "weight": Decimal(i),
            "source": "client",
            "us": us,
            "them": {c.pk: them for c in rivals},
        }
        for i in range(1, n + 1)
    ]


def make(world, rivals, **kwargs):
    kwargs.setdefault("rows", full_rows(rivals))
    return services.assessment_create(by=world.kam, client=world.own, **kwargs)


# --- the company's criteria


def test_the_company_starts_with_ten_weighted_criteria(db):
    criteria = list(Criterion.objects.company())
    assert len(criteria) == 10
    assert sum(c.weight for c in criteria) == 100
    assert criteria[0].label == "Price"


def test_a_new_assessment_starts_from_the_criteria_in_use(world, rivals):
    made = services.assessment_create(by=world.kam, client=world.own)
    assert made.status == AssessmentStatus.DRAFT
    assert [r["key"] for r in made.grid][:3] == ["price", "quality", "reliability"]
    assert all(r["us"] is None for r in made.grid)
    assert set(made.competitors.all()) == set(rivals)


def test_only_the_director_edits_the_criteria_and_ten_stay_in_use(world):
    rows = [
        {"id": c.pk, "key": c.code, "name": c.label, "weight": c.weight, "is_active": True}
        for c in Criterion.objects.company()
    ]
    with pytest.raises(PermissionDenied):
        services.criteria_save(by=world.kam, rows=rows)
    rows[0]["is_active"] = False
    with pytest.raises(ValidationError) as error:
        services.criteria_save(by=world.director, rows=rows)
    assert "at least 10" in error.value.messages[0] and "have 9" in error.value.messages[0]
    rows[0]["is_active"] = True
    rows[1]["name"] = "Quality of the mix"  # renamed: the director's own from now on
    rows.append({"id": None, "name": "Sustainability", "weight": "3,5", "is_active": True})
    services.criteria_save(by=world.director, rows=rows)
    quality = Criterion.objects.get(name="Quality of the mix")
    assert quality.code == "" and quality.label == "Quality of the mix"
    assert Criterion.objects.get(name="Price").code == "price"  # left as shown: kept
    assert Criterion.objects.get(name="Sustainability").weight == Decimal("3.5")
    assert Criterion.objects.count() == 11


def test_a_criterion_left_as_shown_in_russian_keeps_its_code(world):
    from django.utils import translation

    with translation.override("ru"):
        rows = [
            {"id": c.pk, "key": c.code, "name": c.label, "weight": c.weight, "is_active": True}
            for c in Criterion.objects.company()
        ]
        assert rows[0]["name"] == "Цена"
        services.criteria_save(by=world.director, rows=rows)
    assert Criterion.objects.filter(code="").count() == 0


# --- the ≥ 10 criteria rule and the other checks


def test_a_draft_may_have_fewer_criteria_but_final_names_the_number(world, rivals):
    draft = make(world, rivals, rows=full_rows(rivals, n=7))
    assert draft.status == AssessmentStatus.DRAFT
    with pytest.raises(ValidationError) as error:
        services.assessment_save(
            by=world.kam,
            assessment=draft,
            version=draft.version,
            rows=full_rows(rivals, n=7),
            competitors=rivals,
            final=True,
        )
    text = " ".join(error.value.messages)
    assert "at least 10 criteria" in text and "this one has 7" in text and "Add 3 more" in text
    draft.refresh_from_db()
    assert draft.status == AssessmentStatus.DRAFT and draft.version == 1


def test_final_needs_every_score_and_a_competitor(world, rivals):
    rows = full_rows(rivals)
    rows[2]["us"] = None
    rows[4]["them"][rivals[1].pk] = None
    with pytest.raises(ValidationError) as error:
        make(world, rivals, rows=rows, final=True)
    assert "2 are missing" in " ".join(error.value.messages)
    with pytest.raises(ValidationError) as error:
        make(world, rivals, competitors=[], rows=full_rows([]), final=True)
    assert "at least one competitor" in " ".join(error.value.messages)
    assert not Assessment.objects.exists()


def test_a_final_assessment_is_kept_as_it_was(world, rivals):
    final = make(world, rivals, final=True)
    assert final.is_final
    with pytest.raises(ValidationError) as error:
        services.assessment_save(
            by=world.kam,
            assessment=final,
            version=final.version,
            rows=full_rows(rivals, us=5),
            competitors=rivals,
        )
    assert "start a new one" in error.value.messages[0]
    revised = services.assessment_create(by=world.kam, client=world.own, start_from=final)
    assert revised.grid == final.grid and revised.status == AssessmentStatus.DRAFT


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"us": 6}, "Row 2 «Criterion 2»: the score of us must be a whole number from 1 to 5."),
        ({"us": "4.5"}, "Row 2 «Criterion 2»: the score of us"),
        ({"weight": "-1"}, "Row 2 «Criterion 2»: the weight must be a number from 0 to 1000."),
        ({"weight": "NaN"}, "the weight must be a number"),
        ({"name": "criterion  1"}, "Row 2: «criterion 1» is already row 1."),
        ({"source": "rumour"}, "unknown source of the weight «rumour»"),
        ({"name": ""}, "Row 2: the criterion needs a name."),
    ],
)
def test_bad_rows_are_named_and_nothing_is_written(world, rivals, change, message):
    draft = make(world, rivals)
    before = list(draft.grid)
    rows = full_rows(rivals)
    rows[1] |= change
    with pytest.raises(ValidationError) as error:
        services.assessment_save(
            by=world.kam, assessment=draft, version=1, rows=rows, competitors=rivals
        )
    assert any(message in m for m in error.value.messages), error.value.messages
    draft.refresh_from_db()
    assert draft.grid == before and draft.version == 1


def test_a_competitor_score_out_of_range_names_the_competitor(world, rivals):
    rows = full_rows(rivals)
    rows[0]["them"][rivals[1].pk] = 0
    with pytest.raises(ValidationError) as error:
        make(world, rivals, rows=rows)
    assert "Row 1 «Criterion 1»: the score of Beta must be" in error.value.messages[0]


def test_only_competitors_present_at_the_client_are_compared(world, rivals):
    stranger = make_competitor(name="Gamma")
    with pytest.raises(ValidationError) as error:
        make(world, rivals, competitors=[*rivals, stranger])
    assert "competitors" in error.value.message_dict


def test_a_stale_version_is_refused_with_who_saved_it(world, rivals):
    draft = make(world, rivals)
    services.assessment_save(
        by=world.assistant,
        assessment=draft,
        version=1,
        rows=full_rows(rivals, us=5),
        competitors=rivals,
    )
    mine = Assessment.objects.get(pk=draft.pk)
    with pytest.raises(ValidationError) as error:
        services.assessment_save(
            by=world.kam,
            assessment=mine,
            version=1,
            rows=full_rows(rivals, us=1),
            competitors=rivals,
        )
    assert "assistant saved this assessment" in error.value.messages[0]
    mine.refresh_from_db()
    assert mine.grid[0]["us"] == 5 and mine.version == 2


def test_team_members_read_but_do_not_write(world, rivals):
    with pytest.raises(PermissionDenied):
        services.assessment_create(by=world.member, client=world.own)
    draft = make(world, rivals)
    with pytest.raises(PermissionDenied):
        services.assessment_delete(by=world.member, assessment=draft)


def test_drafts_are_deleted_by_editors_finals_by_the_director_only(world, rivals):
    draft, final = make(world, rivals), make(world, rivals, final=True)
    services.assessment_delete(by=world.kam, assessment=draft)
    with pytest.raises(PermissionDenied):
        services.assessment_delete(by=world.kam, assessment=final)
    services.assessment_delete(by=world.director, assessment=final)
    assert not Assessment.objects.exists()


def test_an_assessment_is_not_dated_in_the_future(world, rivals):
    with pytest.raises(ValidationError):
        make(world, rivals, assessed_on=dt.date.today() + dt.timedelta(days=400))


# --- who holds the spend


def test_spend_holders_are_checked_and_updated_in_place(world, rivals):
    alpha = rivals[0]
    rows = [
        {"category": "Cement", "holder": "us", "share": "60"},
        {"category": "Cement", "holder": "competitor", "competitor": alpha, "share": "40"},
        {"category": "Admixtures", "holder": "own", "note": "their own lab"},
    ]
    services.spend_save(by=world.kam, client=world.own, rows=rows)
    cement_alpha = SpendHolder.objects.get(category="Cement", competitor=alpha)
    rows[1]["share"] = "35"
    services.spend_save(by=world.kam, client=world.own, rows=rows)
    assert SpendHolder.objects.get(pk=cement_alpha.pk).share == Decimal("35")
    assert SpendHolder.objects.count() == 3

    bad = [
        ({"category": "Cement", "holder": "competitor"}, "Row 1 «Cement»: choose the competitor."),
        (
            {"category": "Cement", "holder": "competitor", "competitor": make_competitor(name="Z")},
            "not present at the client",
        ),
        ({"category": "Cement", "holder": "us", "competitor": alpha}, "a competitor is named only"),
        ({"category": "Cement", "holder": "martians"}, "say who holds the spend"),
        ({"holder": "us"}, "Row 1: name the product category."),
    ]
    for row, message in bad:
        with pytest.raises(ValidationError) as error:
            services.spend_save(by=world.kam, client=world.own, rows=[row])
        assert message in error.value.messages[0]
    with pytest.raises(ValidationError) as error:
        services.spend_save(
            by=world.kam,
            client=world.own,
            rows=[
                {"category": "Cement", "holder": "us", "share": "70"},
                {"category": "cement", "holder": "own", "share": "40"},
            ],
        )
    assert "add up to 110" in error.value.messages[0]
    assert SpendHolder.objects.count() == 3
    with pytest.raises(PermissionDenied):
        services.spend_save(by=world.member, client=world.own, rows=[])


# --- pages


def test_the_tab_shows_totals_gaps_changes_and_the_radar(
    world, rivals, login, django_assert_max_num_queries
):
    alpha, beta = rivals
    old = make(
        world,
        rivals,
        rows=full_rows(rivals, us=3, them=3),
        final=True,
        assessed_on=dt.date.today() - dt.timedelta(days=90),
    )
    rows = full_rows(rivals)
    rows[9]["them"][alpha.pk] = 5  # the heaviest criterion: Alpha ahead of us
    make(world, rivals, rows=rows, final=True)
    browser = login(world.member)
    with django_assert_max_num_queries(20):
        page = browser.get(reverse("competition:tab", args=[world.own.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="competition-radar"' in html and "radar-data" in html
    assert "Criterion 10</strong>" in html.split('id="gaps"')[1].split("</ol>")[0]
    assert "Changed since the final assessment of" in html
    assert f'href="{reverse("competition:assessment", args=[old.pk])}"' in html
    assert "New assessment" not in html  # a team member reads only


def test_outsiders_get_404_everywhere(world, rivals, login):
    draft = make(world, rivals)
    browser = login(world.outsider)
    for url in (
        reverse("competition:tab", args=[world.own.pk]),
        reverse("competition:assessment", args=[draft.pk]),
        reverse("competition:edit", args=[draft.pk]),
        reverse("competition:spend", args=[world.own.pk]),
        reverse("competition:create", args=[world.own.pk]),
    ):
        assert browser.get(url).status_code == 404, url
    assert browser.post(reverse("competition:delete", args=[draft.pk])).status_code == 404


def grid_post(found, rows, action="draft", **header):
    data = {
        "assessed_on": found.assessed_on.isoformat(),
        "competitors": [c.pk for c in found.competitors.all()],
        "note": "",
        "version": found.version,
        "action": action,
        "row-TOTAL_FORMS": len(rows),
        "row-INITIAL_FORMS": len(found.grid),
        "row-MIN_NUM_FORMS": 0,
        "row-MAX_NUM_FORMS": 40,
    } | header
    for i, r in enumerate(rows):
        data |= {f"row-{i}-{k}": v for k, v in r.items() if v is not None}
    return data


def test_the_grid_is_filled_through_the_page(world, rivals, login):
    alpha, beta = rivals
    draft = services.assessment_create(by=world.kam, client=world.own)
    browser = login(world.kam)
    page = browser.get(reverse("competition:edit", args=[draft.pk]))
    assert page.status_code == 200 and "Delivery reliability" in page.content.decode()
    rows = [
        {
            "key": r["key"],
            "name": label,
            "weight": r["weight"],
            "source": "client",
            "us": "4",
            f"c{alpha.pk}": "3",
            f"c{beta.pk}": "5",
        }
        for r, label in zip(draft.grid, [c.label for c in Criterion.objects.company()], strict=True)
    ]
    rows.append(
        {
            "key": "",
            "name": "<script>alert(1)</script>",
            "weight": "2.5",
            "source": "estimate",
            "us": "5",
            f"c{alpha.pk}": "1",
            f"c{beta.pk}": "1",
        }
    )
    answer = browser.post(
        reverse("competition:edit", args=[draft.pk]), grid_post(draft, rows, "final")
    )
    assert answer.status_code == 302
    draft.refresh_from_db()
    assert draft.is_final and len(draft.grid) == 11
    assert draft.grid[0]["key"] == "price"  # left as shown: still the built-in criterion
    assert draft.grid[10]["weight"] == "2.5"
    html = browser.get(reverse("competition:tab", args=[world.own.pk])).content.decode()
    assert (
        "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    )


def test_a_bad_grid_answers_400_with_the_row_named_and_keeps_what_was_typed(world, rivals, login):
    draft = make(world, rivals, rows=full_rows(rivals, n=3))
    browser = login(world.kam)
    rows = [
        {"name": f"Criterion {i}", "weight": "1", "source": "client", "us": "4"} for i in (1, 2, 3)
    ]
    page = browser.post(
        reverse("competition:edit", args=[draft.pk]), grid_post(draft, rows, "final")
    )
    html = page.content.decode()
    assert page.status_code == 400
    assert "this one has 3" in html and 'value="Criterion 3"' in html
    page = browser.post(
        reverse("competition:edit", args=[draft.pk]),
        grid_post(draft, [{"name": "X", "weight": "heavy", "source": "client"}]),
    )
    assert page.status_code == 400
    draft.refresh_from_db()
    assert len(draft.grid) == 3 and draft.version == 1


def test_a_new_assessment_page_starts_a_draft(world, rivals, login):
    browser = login(world.assistant)
    page = browser.post(
        reverse("competition:create", args=[world.own.pk]),
        {
            "assessed_on": dt.date.today().isoformat(),
            "competitors": [rivals[0].pk],
            "start": "defaults",
            "note": "",
        },
    )
    made = Assessment.objects.get()
    assert page.status_code == 302 and page["Location"] == reverse(
        "competition:edit", args=[made.pk]
    )
    assert list(made.competitors.all()) == [rivals[0]]


def test_the_spend_page_saves_and_reports_errors(world, rivals, login):
    browser = login(world.kam)
    url = reverse("competition:spend", args=[world.own.pk])
    assert browser.get(url).status_code == 200
    base = {
        "spend-TOTAL_FORMS": 2,
        "spend-INITIAL_FORMS": 0,
        "spend-MIN_NUM_FORMS": 0,
        "spend-MAX_NUM_FORMS": 200,
    }
    page = browser.post(url, base | {"spend-0-category": "Cement", "spend-0-holder": "competitor"})
    assert page.status_code == 400 and "choose the competitor" in page.content.decode()
    page = browser.post(
        url,
        base
        | {
            "spend-0-category": "Cement",
            "spend-0-holder": "competitor",
            "spend-0-competitor": rivals[0].pk,
            "spend-0-share": "40",
        },
    )
    assert page.status_code == 302
    assert SpendHolder.objects.get().competitor == rivals[0]
    assert (
        "Alpha (40 %)"
        in browser.get(reverse("competition:tab", args=[world.own.pk])).content.decode()
    )


def test_criteria_page_is_read_by_all_and_changed_by_the_director(world, login):
    url = reverse("competition:criteria")
    page = login(world.member).get(url)
    assert page.status_code == 200 and "Delivery reliability" in page.content.decode()
    assert login(world.kam).post(url, {}).status_code == 403


def test_the_export_holds_every_supplier_score_of_visible_clients(world, rivals, login):
    make(world, rivals, final=True)
    services.spend_save(
        by=world.kam, client=world.own, rows=[{"category": "Cement", "holder": "us"}]
    )
    answer = login(world.kam).get(reverse("competition:export"))
    assert answer.status_code == 200
    book = load_workbook(
        __import__("io").BytesIO(
            b"".join(answer.streaming_content if answer.streaming else [answer.content])
        )
    )
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 1 + 10 * 3
    assert rows[1][0] == "Own Client" and rows[1][9] == "Us" and rows[1][10] == 4
    assert list(book.worksheets[1].iter_rows(values_only=True))[1][2] == "Cement"
    outsider = login(world.outsider).get(reverse("competition:export"))
    book = load_workbook(
        __import__("io").BytesIO(
            b"".join(outsider.streaming_content if outsider.streaming else [outsider.content])
        )
    )
    assert len(list(book.worksheets[0].iter_rows(values_only=True))) == 1


def test_the_client_history_shows_assessment_changes(world, rivals, login):
    draft = make(world, rivals)
    services.assessment_save(
        by=world.kam,
        assessment=draft,
        version=1,
        rows=full_rows(rivals, n=11),
        competitors=rivals,
        final=True,
    )
    html = login(world.kam).get(reverse("clients:history", args=[world.own.pk])).content.decode()
    assert "competitive assessment" in html.lower()
    assert "11 criteria" in html


def test_nothing_is_saved_for_the_criteria_until_the_director_saves_them(db):
    """Reading them writes nothing; an emptied table (a flushed test database, say) still gives
    every assessment its ten built-in criteria."""
    Criterion.objects.all().delete()
    shown = Criterion.objects.company()
    assert [c.code for c in shown][:2] == ["price", "quality"] and len(shown) == 10
    assert all(c.pk is None for c in shown) and not Criterion.objects.exists()
    assert len(services.default_rows()) == 10


def test_the_built_ins_saved_for_the_first_time_keep_their_codes(world):
    Criterion.objects.all().delete()
    rows = [
        {"id": None, "key": c.code, "name": c.label, "weight": c.weight, "is_active": True}
        for c in Criterion.objects.company()
    ]
    rows[1]["name"] = "Quality of the mix"
    services.criteria_save(by=world.director, rows=rows)
    codes = list(Criterion.objects.values_list("code", flat=True))
    assert codes[:3] == ["price", "", "reliability"] and len(codes) == 10


def test_a_draft_with_every_row_removed_is_saved(world, rivals):
    draft = make(world, rivals)
    services.assessment_save(
        by=world.kam, assessment=draft, version=draft.version, rows=[], competitors=rivals
    )
    draft.refresh_from_db()
    assert draft.grid == [] and not draft.is_final


def test_a_competitor_gone_from_the_client_keeps_the_spend_it_holds(world, rivals, login):
    alpha, _beta = rivals
    services.spend_save(
        by=world.kam,
        client=world.own,
        rows=[{"category": "Pipes", "holder": "competitor", "competitor": alpha.pk}],
    )
    CompetitorPresence.objects.filter(competitor=alpha).delete()
    url = reverse("competition:spend", args=[world.own.pk])
    client = login(world.kam)

    response = client.post(url, changed(load(client, url), **{"spend-0-note": "Still theirs"}))

    assert response.status_code == 302
    held = SpendHolder.objects.get()
    assert held.competitor == alpha and held.note == "Still theirs"


@pytest.mark.parametrize("name", ["competition:tab", "competition:spend"])
def test_a_page_reads_as_many_times_with_many_assessments_and_holders(world, rivals, login, name):
    """No query per assessment, competitor or holder: the count stays as the client's history
    grows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        browser = login(world.kam)
        browser.get(reverse(name, args=[world.own.pk]))  # the session's first use writes
        with CaptureQueriesContext(connection) as queries:
            assert browser.get(reverse(name, args=[world.own.pk])).status_code == 200
        return len(queries)

    def spend(n):
        services.spend_save(
            by=world.kam,
            client=world.own,
            rows=[
                {"category": f"Category {i}", "holder": "competitor", "competitor": rivals[i % 2]}
                for i in range(n)
            ],
        )

    make(world, rivals, final=True, assessed_on=dt.date.today() - dt.timedelta(days=9))
    make(world, rivals)
    spend(2)
    few = count()
    gamma = make_competitor(name="Gamma")
    CompetitorPresence.objects.create(client=world.own, competitor=gamma)
    for days in range(10, 16):
        make(world, [*rivals, gamma], final=True, assessed_on=dt.date.today() - dt.timedelta(days))
    spend(12)
    assert count() == few


# --- every key client's position


def test_the_overview_lists_key_clients_most_behind_first_with_the_first_gap(world, rivals, login):
    alpha, _beta = rivals
    ahead = make_client(world.kam, name="Ahead Ltd", is_key=True)
    CompetitorPresence.objects.create(client=ahead, competitor=alpha)
    services.assessment_create(
        by=world.kam, client=ahead, rows=full_rows([alpha], us=5, them=2), final=True
    )
    rows = full_rows(rivals, us=3, them=3)
    rows[9]["them"][alpha.pk] = 5  # the weightiest criterion (10 of 55): Alpha leads by 2
    make(world, rivals, rows=rows, final=True)
    never = make_client(world.kam, name="Never Assessed", is_key=True)
    make_client(world.kam, name="Not Key", is_key=False)
    make_client(world.outsider, name="Other KAM's Key", is_key=True)

    html = login(world.kam).get(reverse("competition:overview")).content.decode()

    table = html[html.index('id="positions"') :]
    order = [table.index(name) for name in ("Own Client", "Ahead Ltd", "Never Assessed")]
    assert order == sorted(order)
    assert "Not Key" not in html and "Other KAM" not in html
    own_row = table[table.index("Own Client") : table.index("Ahead Ltd")]
    assert "Criterion 10" in own_row and "-0.36" in own_row  # 3 − (3 + 2 × 10/55)
    assert "Alpha 3.36" in own_row
    assert never.name in table


@pytest.mark.parametrize(
    ("state", "shown", "hidden"),
    [
        ("behind", ["Own Client"], ["Ahead Ltd", "Never Assessed"]),
        ("ahead", ["Ahead Ltd"], ["Own Client", "Never Assessed"]),
        ("missing", ["Never Assessed"], ["Own Client", "Ahead Ltd"]),
        ("stale", ["Ahead Ltd"], ["Own Client", "Never Assessed"]),
    ],
)
def test_the_overview_filters_by_position(world, rivals, login, state, shown, hidden):
    alpha, _beta = rivals
    ahead = make_client(world.kam, name="Ahead Ltd", is_key=True)
    CompetitorPresence.objects.create(client=ahead, competitor=alpha)
    services.assessment_create(
        by=world.kam,
        client=ahead,
        rows=full_rows([alpha], us=5, them=2),
        final=True,
        assessed_on=dt.date.today() - dt.timedelta(days=400),
    )
    make(world, rivals, rows=full_rows(rivals, us=2, them=4), final=True)
    make_client(world.kam, name="Never Assessed", is_key=True)

    html = login(world.director).get(reverse("competition:overview"), {"state": state})
    table = html.content.decode().split('id="positions"')[1]
    assert all(name in table for name in shown) and not any(n in table for n in hidden)


def test_the_overview_counts_and_reads_as_many_times_for_more_clients(world, rivals, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        browser = login(world.director)
        browser.get(reverse("competition:overview"))
        with CaptureQueriesContext(connection) as queries:
            page = browser.get(reverse("competition:overview"))
        return len(queries), page.content.decode()

    make(world, rivals, rows=full_rows(rivals, us=2, them=4), final=True)
    few, html = count()
    for n in range(6):
        client = make_client(world.kam, name=f"Key {n}", is_key=True)
        CompetitorPresence.objects.create(client=client, competitor=rivals[0])
        services.assessment_create(
            by=world.kam, client=client, rows=full_rows(rivals[:1]), final=True
        )
    more, html = count()
    assert more == few
    start = html.index('id="competition-counts"')
    counts = html[start : html.index("<form", start)]
    assert [int(n) for n in re.findall(r'fs-5[^"]*">(\d+)<', counts)] == [7, 7, 1, 0]


# --- two editors of one list


def test_a_spend_list_changed_since_the_page_was_opened_is_not_overwritten(world, rivals, login):
    url = reverse("competition:spend", args=[world.own.pk])
    kam = login(world.kam)
    form = load(kam, url)  # the KAM opens the page …
    services.spend_save(  # … the assistant saves meanwhile
        by=world.assistant, client=world.own, rows=[{"category": "Pipes", "holder": "us"}]
    )

    response = kam.post(
        url, changed(form, **{"spend-0-category": "Paint", "spend-0-holder": "nobody"})
    )

    assert response.status_code == 400
    assert (
        "assistant" in response.content.decode() and "Nothing of yours" in response.content.decode()
    )
    assert list(SpendHolder.objects.values_list("category", flat=True)) == ["Pipes"]
    # Opened again, the page saves.
    again = load(kam, url)
    response = kam.post(
        url, changed(again, **{"spend-1-category": "Paint", "spend-1-holder": "nobody"})
    )
    assert response.status_code == 302
    assert SpendHolder.objects.count() == 2


def test_criteria_changed_by_another_director_since_the_page_was_opened_are_not_overwritten(
    world, login
):
    from kam.core.models import Role

    from ..factories import make_user

    url = reverse("competition:criteria")
    first = login(world.director)
    form = load(first, url)
    other = make_user("director2", Role.DIRECTOR)
    rows = [
        {"id": c.pk, "key": c.code, "name": c.label, "weight": c.weight, "is_active": True}
        for c in Criterion.objects.company()
    ]
    rows[0]["weight"] = Decimal("33")
    services.criteria_save(by=other, rows=rows)

    response = first.post(url, changed(form, **{"criterion-1-weight": "44"}))

    assert response.status_code == 400 and "Nothing of yours" in response.content.decode()
    weights = list(Criterion.objects.values_list("weight", flat=True))
    assert weights[0] == Decimal("33") and Decimal("44") not in weights
