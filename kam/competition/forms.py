"""The grid as forms: a header (date, competitors compared, note) and one row form per criterion,
each with a score per compared competitor. Types are checked here; the rules that span rows (names
unique, at least 10 criteria for a final grid, every score given) by the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kam.clients.models import Competitor
from kam.core.forms import (
    BootstrapMixin,
    DateInput,
    KeepUnseenChoicesMixin,
    LocalizedNumbersMixin,
)
from kam.core.models import Role, User

from .models import Holder, WeightSource, criterion_label

SCORE_CHOICES = [("", "—"), *((str(n), str(n)) for n in range(1, 6))]


class AssessmentForm(KeepUnseenChoicesMixin, BootstrapMixin, forms.Form):
    assessed_on = forms.DateField(label=_("Assessed on"), widget=DateInput())
    competitors: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("Competitors compared"),
        queryset=Competitor.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Those present at the client. A competitor added here gets its column after saving."
        ),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, competitors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["competitors"].queryset = competitors
        self.fields["competitors"].widget.attrs["class"] = "form-check-input"


class NewAssessmentForm(AssessmentForm):
    start = forms.ChoiceField(label=_("Start from"), widget=forms.RadioSelect)

    def __init__(self, *args, latest=None, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["version"]
        choices = [("defaults", _("The company's default criteria, unscored"))]
        if latest is not None:
            choices.insert(
                0,
                (
                    "latest",
                    _("The assessment of %(date)s, to revise") % {"date": latest.assessed_on},
                ),
            )
        self.fields["start"].choices = choices
        self.fields["start"].widget.attrs["class"] = "form-check-input"


class RowForm(LocalizedNumbersMixin, BootstrapMixin, forms.Form):
    key = forms.CharField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("Criterion"), max_length=120, required=False)
    weight = forms.DecimalField(
        label=_("Weight"), required=False, min_value=0, max_value=1000, decimal_places=2
    )
    source = forms.ChoiceField(
        label=_("Where the weight comes from"),
        choices=WeightSource.choices,
        initial=WeightSource.ESTIMATE,
    )
    us = forms.ChoiceField(label=_("Us"), choices=SCORE_CHOICES, required=False)

    def __init__(self, *args, competitors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.competitors = list(competitors)
        for competitor in self.competitors:
            self.fields[f"c{competitor.pk}"] = forms.ChoiceField(
                label=competitor.name,
                choices=SCORE_CHOICES,
                required=False,
                widget=forms.Select(attrs={"class": "form-select"}),
            )

    def score_fields(self):
        return [self[f"c{c.pk}"] for c in self.competitors]

    def as_row(self) -> dict | None:
        """The service's row, or None for a row marked for removal. A built-in criterion whose
        name was left as shown keeps its code (and so its translations)."""
        data = self.cleaned_data
        if data.get("DELETE"):
            return None
        key, name = data.get("key") or "", data.get("name") or ""
        if key and name.strip() == criterion_label(key, "").strip():
            name = self.initial.get("stored_name") or name
        elif key:
            key = ""
        return {
            "key": key,
            "name": name,
            "weight": data.get("weight"),
            "source": data.get("source"),
            "us": data.get("us") or None,
            "them": {c.pk: data.get(f"c{c.pk}") or None for c in self.competitors},
        }


RowFormSet = forms.formset_factory(RowForm, extra=3, can_delete=True, max_num=40, absolute_max=60)


class CriterionForm(LocalizedNumbersMixin, BootstrapMixin, forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    key = forms.CharField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("Criterion"), max_length=120, required=False)
    weight = forms.DecimalField(
        label=_("Default weight"), required=False, min_value=0, max_value=1000, decimal_places=2
    )
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)


CriterionFormSet = forms.formset_factory(
    CriterionForm, extra=3, can_delete=True, max_num=40, absolute_max=60
)


class SpendForm(LocalizedNumbersMixin, BootstrapMixin, forms.Form):
    """One holder of one category. The competitor is chosen by id from choices the view reads
    once for every row (a model choice would query per row); they include the competitors
    already holding a category, so a saved row never loses its competitor."""

    category = forms.CharField(label=_("Product category"), max_length=120, required=False)
    holder = forms.ChoiceField(
        label=_("Held by"), choices=[("", "—"), *Holder.choices], required=False
    )
    competitor = forms.TypedChoiceField(
        label=_("Competitor"), coerce=int, empty_value=None, required=False
    )
    share = forms.DecimalField(
        label=_("Share, %"), required=False, min_value=0, max_value=100, decimal_places=2
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, competitors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["competitor"].choices = [("", "—"), *((c.pk, c.name) for c in competitors)]


SpendFormSet = forms.formset_factory(
    SpendForm, extra=3, can_delete=True, max_num=200, absolute_max=250
)


class OverviewFilterForm(BootstrapMixin, forms.Form):
    """Filters of the key clients' competitive position; bad values are ignored."""

    kam = forms.ModelChoiceField(
        label=_("KAM"), required=False, queryset=User.objects.none(), empty_label=_("Every KAM")
    )
    state = forms.ChoiceField(
        label=_("Where we stand"),
        required=False,
        choices=[
            ("", _("Every key client")),
            ("behind", _("A competitor rated above us")),
            ("ahead", _("We are rated first")),
            ("missing", _("Never assessed")),
            ("stale", _("Assessed over a year ago")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kam"].queryset = User.objects.filter(
            role__in=(Role.DIRECTOR, Role.KAM), is_active=True
        ).order_by("last_name", "first_name", "username")

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {"kam": self.cleaned_data["kam"], "state": self.cleaned_data["state"]}
