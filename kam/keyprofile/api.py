"""API: the key-client profile (read by all, versions saved by the director) and the stored
scorings, filtered by the access rule like the prioritised list."""

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from kam.clients.api import visible_client_or_404
from kam.core.api import (
    ERRORS,
    READ_ERRORS,
    IfMatchHeader,
    Pagination,
    PreconditionFailedOut,
    if_match,
    require,
    tagged,
)
from kam.core.ids import Id

from . import services
from .models import (
    ClientScore,
    ClientScoreQuerySet,
    KeyProfile,
    Normalisation,
    ScoringTrigger,
    default_normalisation,
)
from .schemas import (
    PreviewOut,
    ProfileIn,
    ProfileOut,
    ScoreFilter,
    ScoreHistoryOut,
    ScoreOut,
    ScoringRunOut,
)

router = Router(tags=["key clients"])

WRITE_ERRORS = {401: ERRORS[401], 403: ERRORS[403], 422: ERRORS[422]}


def _specs(payload: ProfileIn) -> list[services.CriterionSpec]:
    metrics = [c.metric.value for c in payload.criteria]
    if len(set(metrics)) != len(metrics):
        raise ValidationError({"criteria": _("Each metric may appear only once.")})
    specs = [
        services.CriterionSpec(
            metric=c.metric.value,
            weight=c.weight,
            normalisation=(
                c.normalisation.value if c.normalisation else default_normalisation(c.metric.value)
            ),
            bands=tuple(c.bands),
            min_value=c.min_value,
        )
        for c in payload.criteria
    ]
    if any(s.normalisation == Normalisation.BANDS and not s.bands for s in specs):
        raise ValidationError({"criteria": _("Band normalisation needs band edges.")})
    if not any(s.weight > 0 for s in specs):
        raise ValidationError({"criteria": _("Give at least one criterion a weight above zero.")})
    return specs


@router.get(
    "/key-profile",
    response={200: ProfileOut, 401: ERRORS[401]},
    url_name="keyprofile_active",
    summary="The active key-client profile",
)
def keyprofile_active(request, response: HttpResponse):
    """Criteria, weights, normalisation and thresholds every client is scored by (R1, R4). The
    ``ETag`` header identifies this version: send it as ``If-Match`` when saving a new one."""
    return tagged(request, response, ProfileOut, services.active_profile())


@router.get(
    "/key-profile/versions",
    response={200: list[ProfileOut], 401: ERRORS[401], 422: ERRORS[422]},
    url_name="keyprofile_versions",
    summary="All profile versions",
)
@paginate(Pagination)
def keyprofile_versions(request):
    """Saved versions, newest first; a saved version never changes."""
    services.active_profile()
    return KeyProfile.objects.select_related("created_by").prefetch_related("criteria")


@router.post(
    "/key-profile/preview",
    response={200: PreviewOut, **WRITE_ERRORS},
    url_name="keyprofile_preview",
    summary="Preview a profile change",
)
def keyprofile_preview(request, payload: ProfileIn):
    """Director only. Which clients would enter and leave the top-N key candidates (N = the number
    of key clients now) if these criteria replaced the active ones. Nothing is saved."""
    require(request.auth.is_director, _("Only the director changes the key-client profile."))
    return services.preview(_specs(payload))


@router.post(
    "/key-profile/versions",
    response={201: ProfileOut, **WRITE_ERRORS, 412: PreconditionFailedOut},
    url_name="keyprofile_save",
    summary="Save a new profile version",
)
def keyprofile_save(
    request, payload: ProfileIn, response: HttpResponse, if_match_header: IfMatchHeader = None
):
    """Director only. The criteria become the next active version and every client is rescored.
    With ``If-Match`` (the ETag of GET /key-profile), a profile saved meanwhile by someone else
    is refused (412) instead of being replaced."""
    require(request.auth.is_director, _("Only the director changes the key-client profile."))
    base = if_match(request, if_match_header, ProfileOut, lambda profile: profile)
    profile = services.save_version(
        by=request.auth, criteria=_specs(payload), note=payload.note, base=base
    )
    return Status(201, tagged(request, response, ProfileOut, profile))


# --- scorings ----------------------------------------------------------------------------------


def _scores(user) -> ClientScoreQuerySet:
    return ClientScore.objects.visible_to(user).select_related("client", "client__owner")


@router.get(
    "/scores/runs/latest",
    response={200: ScoringRunOut, **READ_ERRORS},
    url_name="score_run_latest",
    summary="The latest scoring",
)
def score_run_latest(request):
    """When, against which profile version and with which criteria the clients were last scored;
    404 before the first scoring."""
    run = services.latest_run()
    if run is None:
        raise Http404
    return run


@router.get(
    "/scores",
    response={200: list[ScoreOut], 401: ERRORS[401], 422: ERRORS[422]},
    url_name="score_list",
    summary="The prioritised list",
)
@paginate(Pagination)
def score_list(request, filters: Query[ScoreFilter]):
    """The latest scores of the clients you may see, by rank. Ranks are company-wide."""
    scores = _scores(request.auth).filter(run=services.ensure_scored()).order_by("rank")
    return scores.matching(
        key=filters.key, candidates=bool(filters.candidates), owner=filters.owner
    ).moved(filters.movement or "")


@router.get(
    "/clients/{client_id}/scores",
    response={200: list[ScoreHistoryOut], **READ_ERRORS},
    url_name="client_score_history",
    summary="A client's scores over the kept scorings",
)
def client_score_history(request, client_id: Id):
    """Newest first; the first item is the current score."""
    client = visible_client_or_404(request.auth, client_id)
    return (
        ClientScore.objects.filter(client=client)
        .select_related("run", "run__profile", "run__created_by")
        .order_by("-run_id")
    )


@router.post(
    "/scores/rescore",
    response={201: ScoringRunOut, 401: ERRORS[401], 403: ERRORS[403]},
    url_name="score_rescore",
    summary="Rescore every client now",
)
def score_rescore(request):
    """Director and KAMs: score every client against the active profile (e.g. after entering
    potentials) and keep the result as the newest scoring."""
    require(services.can_rescore(request.auth), _("You may not rescore clients."))
    return Status(201, services.rescore(by=request.auth, trigger=ScoringTrigger.MANUAL))
