from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.core.forms import BootstrapMixin, EditBaseMixin
from kam.core.models import Role, User

from .models import KeyProfile, Metric, Normalisation, default_normalisation, parse_bands
from .services import CriterionSpec, field_label, weight_percents


class CriterionForm(forms.Form):
    metric = forms.ChoiceField(choices=Metric.choices, widget=forms.HiddenInput)
    weight = forms.DecimalField(
        label=_("weight"),
        min_value=0,
        max_digits=6,
        decimal_places=3,
        widget=forms.NumberInput(attrs={"step": "any", "data-weight": ""}),
    )
    normalisation = forms.ChoiceField(label=_("normalisation"), choices=Normalisation.choices)
    bands = forms.CharField(label=_("band edges"), required=False, max_length=300)
    min_value = forms.DecimalField(
        label=_("threshold (minimum)"), required=False, max_digits=20, decimal_places=4
    )

    def clean(self):
        data = super().clean()
        if data.get("normalisation") == Normalisation.BANDS or data.get("bands"):
            try:
                data["edges"] = parse_bands(data.get("bands") or "")
            except ValidationError as error:
                self.add_error("bands", error)
        return data

    def spec(self) -> CriterionSpec | None:
        data = self.cleaned_data
        if not data["weight"] and data.get("min_value") is None:
            return None
        return CriterionSpec(
            metric=data["metric"],
            weight=float(data["weight"]),
            normalisation=data["normalisation"],
            bands=tuple(float(e) for e in data.get("edges", ())),
            min_value=None if data.get("min_value") is None else float(data["min_value"]),
        )

    def label(self) -> str:
        metric = self["metric"].value()
        return str(Metric(metric).label) if metric in Metric.values else ""

    def weight_value(self) -> float:
        """The weight as shown (posted or initial); 0 when it is not a number."""
        try:
            return max(float(self["weight"].value() or 0), 0.0)
        except (TypeError, ValueError):
            return 0.0


def percent_rows(formset) -> list[tuple]:
    """Each criterion form with its share of the score in per cent (None without weight)."""
    shares = weight_percents({str(i): form.weight_value() for i, form in enumerate(formset)})
    return [(form, shares.get(str(i))) for i, form in enumerate(formset)]


CriterionFormSet = forms.formset_factory(CriterionForm, extra=0, min_num=0, max_num=len(Metric))


class NoteForm(EditBaseMixin, forms.Form):
    """The version's note; it also carries the base of the edit: the version the director
    started from (kam.keyprofile.services.profile_base)."""

    note = forms.CharField(
        label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def _label(self, name: str) -> str:
        return field_label(name) if "." in name else super()._label(name)

    def display(self, name: str, value) -> str:
        if name.endswith(".normalisation"):
            return str(Normalisation(value).label)
        return criterion_text(value) or "—"


def criterion_text(value) -> str:
    """A criterion setting as the editor types it: ``0.15``, ``10, 100``, or "" for none."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(f"{float(e):g}" for e in value)
    if isinstance(value, (int, float)):
        return f"{float(value):g}"
    return str(value)


def initial_for(profile: KeyProfile) -> list[dict]:
    """One row per metric, filled from the profile (weight 0 when the profile does not use it)."""
    by_metric = {c.metric: c for c in profile.criteria.all()}
    rows = []
    for metric in Metric.values:
        c = by_metric.get(metric)
        rows.append(
            {
                "metric": metric,
                "weight": c.weight if c else 0,
                "normalisation": c.normalisation if c else default_normalisation(metric),
                "bands": c.bands if c else "",
                "min_value": c.min_value if c else None,
            }
        )
    return rows


class ScoreFilterForm(BootstrapMixin, forms.Form):
    """Filters of the prioritised list; every field optional, bad values are ignored."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    key = forms.ChoiceField(
        label=_("Key client"),
        required=False,
        choices=[
            ("", pgettext_lazy("filter", "All clients")),
            ("yes", _("Key clients")),
            ("no", _("Not key")),
        ],
    )
    candidates = forms.BooleanField(label=_("Passes every threshold"), required=False)
    movement = forms.ChoiceField(
        label=_("Movement"),
        required=False,
        choices=[
            ("", _("Any movement")),
            ("up", _("Moved up")),
            ("down", _("Moved down")),
            ("new", _("New in the list")),
        ],
    )
    owner = forms.ModelChoiceField(
        label=_("Owner KAM"), required=False, queryset=User.objects.none(), empty_label=_("Any KAM")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(role=Role.KAM).order_by(
            "last_name", "first_name", "username"
        )

    def apply(self, scores):
        if not self.is_valid():
            return scores
        data = self.cleaned_data
        if data["q"]:
            scores = scores.for_client_named(data["q"])
        return scores.matching(
            key={"yes": True, "no": False}.get(data["key"]),
            candidates=data["candidates"],
            owner=data["owner"],
        ).moved(data["movement"])
