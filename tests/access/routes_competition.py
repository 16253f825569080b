from django.utils import timezone

from kam.clients.models import CompetitorPresence
from kam.competition import services
from kam.competition.models import Assessment, AssessmentStatus, Criterion, Holder, SpendHolder

from ..factories import make_competitor
from .matrix import (
    DIRECTOR_ONLY,
    DOSSIER_EDITORS,
    DOSSIER_READERS,
    EVERYONE,
    Route,
    client_api_route,
    dossier_editor_route,
    field_is,
    foreign_client,
    gone,
    own_client,
)


def assessment(client, status=AssessmentStatus.DRAFT):
    """A one-criterion draft (or a final one, written straight: the matrix tests access, not the
    ≥ 10 criteria rule)."""
    return Assessment.objects.create(
        client=client,
        assessed_on=timezone.localdate(),
        status=status,
        grid=[{"key": "price", "name": "Price", "weight": "10", "source": "client", "us": 3}],
    )


def own_assessment(w):
    w.assessment_pk = assessment(w.own).pk
    return {"pk": w.assessment_pk}


def foreign_assessment(w):
    w.assessment_pk = assessment(w.foreign).pk
    return {"pk": w.assessment_pk}


def edit_data(w):
    """The edit page's forms as a browser sends them, with a new note."""
    found = Assessment.objects.get(pk=w.assessment_pk)
    return {
        "assessed_on": found.assessed_on.isoformat(),
        "note": "Posted note",
        "version": found.version,
        "row-TOTAL_FORMS": "1",
        "row-INITIAL_FORMS": "1",
        "row-MIN_NUM_FORMS": "0",
        "row-MAX_NUM_FORMS": "40",
        "row-0-key": "price",
        "row-0-name": "Price",
        "row-0-weight": "10",
        "row-0-source": "client",
        "row-0-us": "4",
        "action": "draft",
    }


def created(w, kwargs):
    return Assessment.objects.filter(client_id=kwargs["pk"], note="Posted start").exists()


def create_data(w):
    return {
        "assessed_on": timezone.localdate().isoformat(),
        "start": "defaults",
        "note": "Posted start",
    }


def spend_data(w):
    return {
        "spend-TOTAL_FORMS": "1",
        "spend-INITIAL_FORMS": "0",
        "spend-MIN_NUM_FORMS": "0",
        "spend-MAX_NUM_FORMS": "60",
        "spend-0-category": "Posted category",
        "spend-0-holder": Holder.NOBODY,
    }


def spend_saved(w, kwargs):
    return SpendHolder.objects.filter(client_id=kwargs["pk"], category="Posted category").exists()


def criteria_data(w):
    rows = list(Criterion.objects.company())
    data = {
        "criterion-TOTAL_FORMS": str(len(rows)),
        "criterion-INITIAL_FORMS": str(len(rows)),
        "criterion-MIN_NUM_FORMS": "0",
        "criterion-MAX_NUM_FORMS": "40",
    }
    for n, c in enumerate(rows):
        name = "Posted criterion" if n == 0 else c.label
        data |= {
            f"criterion-{n}-id": "" if c.pk is None else str(c.pk),
            f"criterion-{n}-key": c.code,
            f"criterion-{n}-name": name,
            f"criterion-{n}-weight": str(c.weight),
            f"criterion-{n}-is_active": "on",
        }
    return data


def criteria_saved(w, kwargs):
    return Criterion.objects.filter(name="Posted criterion").exists()


def with_competitor(w):
    """Spend held by a competitor present at ``own``: the export's second sheet has a row.
    (Called once per request: the second call finds it done.)"""
    if not SpendHolder.objects.filter(client=w.own).exists():
        rival = make_competitor(name="Matrix Rival")
        CompetitorPresence.objects.create(client=w.own, competitor=rival)
        services.spend_save(
            by=w.director,
            client=w.own,
            rows=[{"category": "Pipes", "holder": Holder.COMPETITOR, "competitor": rival.pk}],
        )
    return {}


def api_assessment(client_of):
    def kwargs(w):
        w.assessment_pk = assessment(client_of(w)).pk
        return {"assessment_id": w.assessment_pk}

    return kwargs


def api_created(w, kwargs):
    return Assessment.objects.filter(client_id=kwargs["client_id"], note="Posted start").exists()


def api_spend_saved(w, kwargs):
    return SpendHolder.objects.filter(
        client_id=kwargs["client_id"], category="Posted category"
    ).exists()


def both_key(w):
    """Both clients key, so the overview has a row to hide from each side."""
    w.foreign.is_key = True
    w.foreign.save(update_fields=["is_key"])
    return {}


def hidden_client(w):
    """What the overview must not show: the other side's key client."""
    return w.own.name if w.persona == "outsider" else w.foreign.name


ROUTES = [
    # Every key client's position: each reader gets the rows of their own clients.
    Route("competition:overview", own=both_key, allowed=EVERYONE, hidden_from_list=hidden_client),
    Route("competition:tab", own=own_client, foreign=foreign_client, allowed=DOSSIER_READERS),
    Route(
        "competition:assessment",
        own=own_assessment,
        foreign=foreign_assessment,
        allowed=DOSSIER_READERS,
    ),
    dossier_editor_route("competition:create", own_client, foreign_client),
    dossier_editor_route(
        "competition:create",
        own_client,
        foreign_client,
        method="post",
        data=create_data,
        done=created,
    ),
    dossier_editor_route("competition:spend", own_client, foreign_client),
    dossier_editor_route(
        "competition:spend",
        own_client,
        foreign_client,
        method="post",
        data=spend_data,
        done=spend_saved,
    ),
    dossier_editor_route("competition:edit", own_assessment, foreign_assessment),
    dossier_editor_route(
        "competition:edit",
        own_assessment,
        foreign_assessment,
        method="post",
        data=edit_data,
        done=field_is(Assessment, "pk", "note", "Posted note"),
    ),
    dossier_editor_route(
        "competition:delete",
        own_assessment,
        foreign_assessment,
        method="post",
        done=gone(Assessment),
    ),
    # Everyone reads the company's criteria; only the director changes them.
    Route("competition:criteria", allowed=EVERYONE),
    Route(
        "competition:criteria",
        allowed=DIRECTOR_ONLY,
        method="post",
        data=criteria_data,
        ok_status=(302,),
        denied_status=lambda persona: 403,  # a company page: nobody is told it does not exist
        done=criteria_saved,
    ),
    # Each reader gets the assessments and holders of their own clients.
    Route("competition:export", own=with_competitor, allowed=EVERYONE),
    # --- JSON API (bearer token) -------------------------------------------------------------
    client_api_route("api:assessment_list", DOSSIER_READERS),
    client_api_route(
        "api:assessment_create",
        DOSSIER_EDITORS,
        method="post",
        data=lambda w: {"note": "Posted start"},
        ok_status=(201,),
        done=api_created,
    ),
    client_api_route(
        "api:assessment_detail",
        DOSSIER_READERS,
        own=api_assessment(lambda w: w.own),
        foreign=api_assessment(lambda w: w.foreign),
    ),
    client_api_route(
        "api:assessment_update",
        DOSSIER_EDITORS,
        method="put",
        own=api_assessment(lambda w: w.own),
        foreign=api_assessment(lambda w: w.foreign),
        data=lambda w: {
            "competitors": [],
            "criteria": [{"key": "price", "weight": "10", "us": 4}],
            "note": "Posted note",
        },
        done=field_is(Assessment, "assessment_id", "note", "Posted note"),
    ),
    client_api_route("api:spend_list", DOSSIER_READERS),
    client_api_route(
        "api:spend_update",
        DOSSIER_EDITORS,
        method="put",
        data=lambda w: {"holders": [{"category": "Posted category", "holder": "nobody"}]},
        done=api_spend_saved,
    ),
    Route("api:criteria_list", api=True, allowed=EVERYONE),
]
