"""The prioritised key-client list (R3) and the director's profile editor (R1, R4)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kam.core.exports import Sheet, Table, exporter
from kam.core.forms import RESOLVE, TAKE_THEIRS, form_status, report_saved, run_service
from kam.qualification.services import can_decide

from . import services
from .forms import (
    CriterionFormSet,
    NoteForm,
    ScoreFilterForm,
    criterion_text,
    initial_for,
    percent_rows,
)
from .models import ClientScore, KeyProfile, Metric, ScoringTrigger

PAGE_SIZE = 100


def _labels(metrics) -> dict[str, str]:
    return {m: str(Metric(m).label) for m in metrics if m in Metric.values}


def _visible_scores(request, run):
    """The run's scores of the clients the reader may see, filtered as the form asks."""
    form = ScoreFilterForm(request.GET or None)
    scores = (
        ClientScore.objects.visible_to(request.user)
        .filter(run=run)
        .select_related("client", "client__owner")
        .order_by("rank")
    )
    return form, form.apply(scores)


def _movers(request, run, limit: int = 5):
    """The visible clients that moved most up and most down since the previous run."""
    moved = (
        ClientScore.objects.visible_to(request.user)
        .filter(run=run, previous_rank__isnull=False)
        .exclude(previous_rank=F("rank"))
        .annotate(change=F("previous_rank") - F("rank"))
        .select_related("client")
    )
    up = moved.filter(change__gt=0).order_by("-change", "rank")[:limit]
    down = moved.filter(change__lt=0).order_by("change", "rank")[:limit]
    return list(up), list(down)


@login_required
def scored_list(request):
    run = services.ensure_scored()
    form, scores = _visible_scores(request, run)
    page = Paginator(scores, PAGE_SIZE).get_page(request.GET.get("page"))
    labels = _labels(Metric.values)
    query = request.GET.copy()
    query.pop("page", None)
    up, down = _movers(request, run)
    active = services.active_profile()
    criteria = list(run.profile.criteria.all())
    shares = services.weight_percents(
        {c.metric: float(c.weight) for c in criteria if c.metric in run.used}
    )
    return render(
        request,
        "keyprofile/list.html",
        {
            "run": run,
            "stale": run.profile_id != active.pk,
            "active": active,
            "criteria": [(c, shares.get(c.metric)) for c in criteria],
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "rows": [
                (
                    row,
                    [row.contributions.get(m) for m in run.used],
                    [labels.get(m, m) for m in row.failures],
                    can_decide(request.user, row.client),
                )
                for row in page
            ],
            "used": [(m, labels.get(m, m)) for m in run.used],
            "dropped": [(m, labels.get(m, m)) for m in run.dropped],
            "moved_up": up,
            "moved_down": down,
            "can_rescore": services.can_rescore(request.user),
            "nav": "keyclients",
        },
    )


@login_required
@require_POST
def rescore(request):
    if not services.can_rescore(request.user):
        raise PermissionDenied
    run = services.rescore(by=request.user, trigger=ScoringTrigger.MANUAL)
    messages.success(
        request,
        _("%(count)s clients scored against profile version %(version)s in %(seconds)s s.")
        % {"count": run.clients, "version": run.profile.version, "seconds": f"{run.seconds:.1f}"},
    )
    return redirect("keyprofile:list")


def _movement_text(row: ClientScore) -> str:
    change = row.rank_change
    if change is None:
        return str(_("new"))
    return f"{change:+d}" if change else "0"


@exporter
def export(asked) -> Table:
    run = services.ensure_scored()
    _form, scores = _visible_scores(asked, run)
    labels = _labels(Metric.values)
    metrics = [c.metric for c in run.profile.criteria.all()]
    header = [
        _("Rank"),
        _("Previous rank"),
        _("Places moved"),
        _("Client"),
        _("ERP code"),
        _("Owner KAM"),
        _("Score"),
        _("Previous score"),
        *[_("Contribution: %(name)s") % {"name": labels.get(m, m)} for m in run.used],
        *[_("Value: %(name)s") % {"name": labels.get(m, m)} for m in metrics],
        _("Thresholds failed"),
        _("Key candidate"),
        _("Key client"),
    ]
    body = (
        [
            row.rank,
            row.previous_rank,
            _movement_text(row),
            row.client.name,
            row.client.erp_code,
            str(row.client.owner),
            round(row.score, 2),
            None if row.previous_score is None else round(row.previous_score, 2),
            *[_rounded(row.contributions.get(m)) for m in run.used],
            *[_rounded(row.values.get(m)) for m in metrics],
            ", ".join(labels.get(m, m) for m in row.failures),
            _("yes") if row.candidate else _("no"),
            _("yes") if row.client.is_key else _("no"),
        ]
        for row in scores.iterator(chunk_size=2000)
    )
    return Table(
        f"key-clients-v{run.profile.version}-{run.as_of:%Y-%m-%d}",
        [Sheet(_("Key clients"), header, body)],
        rows=scores.count(),
    )


def _rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request):
    """Edit the profile: ``preview`` shows who enters and leaves the key list, ``save`` saves.

    The page is based on the version active when it was loaded: if another version was saved
    meanwhile, its changes are kept and a setting both changed is shown as a conflict (409)."""
    if not request.user.is_director:
        raise PermissionDenied
    active = services.active_profile()
    preview = None
    if request.method == "POST":
        formset = CriterionFormSet(request.POST, prefix="c")
        note = NoteForm(request.POST)
        saving = request.POST.get("action") == "save" or {RESOLVE, TAKE_THEIRS} & set(request.POST)
        if formset.is_valid() and note.is_valid():
            specs = [spec for form in formset.forms if (spec := form.spec()) is not None]
            if saving:
                specs = _take_theirs(specs, request.POST.get(TAKE_THEIRS, ""), active)
                profile = run_service(
                    note,
                    lambda: services.save_version(
                        by=request.user,
                        criteria=specs,
                        note=note.cleaned_data["note"],
                        base=note.base,
                    ),
                )
                if profile is not None:
                    report_saved(
                        request,
                        note,
                        _("Profile version %(version)s saved and active.")
                        % {"version": profile.version},
                    )
                    return redirect("keyprofile:list")
                if note.conflict:
                    formset = CriterionFormSet(
                        _with_values(request.POST, note.conflict.theirs), prefix="c"
                    )
            elif any(spec.weight > 0 for spec in specs):
                preview = services.preview(specs)
            else:
                note.add_error(None, _("Give at least one criterion a weight above zero."))
    else:
        formset = CriterionFormSet(initial=initial_for(active), prefix="c")
        note = NoteForm(base=services.profile_base(active))
    rows = percent_rows(formset)
    return render(
        request,
        "keyprofile/edit.html",
        {
            "active": active,
            "versions": KeyProfile.objects.select_related("created_by")[:20],
            "formset": formset,
            "rows": rows,
            "rows_weighted": any(share for _form, share in rows),
            "note_form": note,
            "preview": preview,
            "nav": "keyclients",
        },
        status=form_status(note),
    )


def _take_theirs(specs, names: str, active) -> list:
    """``specs`` with the settings ``names`` (the conflict panel's "take theirs") as saved now."""
    if not names:
        return specs
    values = services.profile_values(specs)
    current = services.profile_values(services.specs(active))
    values |= {name: current[name] for name in names.split(",") if name in current}
    return services.criteria_of(values)


def _with_values(data, values: dict):
    """The posted criteria with ``values`` (``metric.part`` → value) put in their rows."""
    data = data.copy()
    rows = {data.get(f"c-{i}-metric"): i for i in range(int(data.get("c-TOTAL_FORMS") or 0))}
    for name, value in values.items():
        metric, part = name.split(".", 1)
        if metric in rows:
            data[f"c-{rows[metric]}-{part}"] = criterion_text(value)
    return data
