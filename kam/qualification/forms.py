from django import forms
from django.utils.translation import gettext_lazy as _

from kam.clients.models import ClientType
from kam.core.forms import BootstrapMixin, DateInput, EditFormMixin
from kam.core.models import Role, User

from .models import Qualification
from .services import QUALIFICATION_FIELDS


class QualificationForm(EditFormMixin, forms.ModelForm):
    lock_blank = True  # one record per client: the first to save creates it, the second is told

    change_reason = forms.CharField(
        label=_("Reason for the change"), max_length=200, required=False
    )

    class Meta:
        model = Qualification
        fields = QUALIFICATION_FIELDS
        widgets = {
            f: forms.Textarea(attrs={"rows": 2}) for f in QUALIFICATION_FIELDS if "evidence" in f
        }


class KeyDecisionForm(EditFormMixin, forms.Form):
    """Key or not, given the client as the decider saw it (``record``): if someone decided
    meanwhile, the decision is shown again with what changed."""

    locked_fields = ("is_key",)
    strict = True
    conflict_labels = {"is_key": _("Key client")}

    is_key = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Make a key client")), ("0", _("Remove from key clients"))],
        coerce=lambda value: value == "1",
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why: the decision is recorded with its reason.")},
    )

    def display(self, name: str, value) -> str:
        if name == "is_key":
            return str(_("key client") if value else _("not a key client"))
        return super().display(name, value)


class TypeForm(EditFormMixin, forms.Form):
    """The client type, given the client as the decider saw it (``record``)."""

    locked_fields = ("client_type",)
    strict = True

    client_type = forms.ChoiceField(
        label=_("Client type"), choices=ClientType.choices, required=False
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the type differs from the suggested one."),
    )


class DecisionFilterForm(BootstrapMixin, forms.Form):
    """Filters of the key-decisions log; every field optional, bad values are ignored."""

    q = forms.CharField(label=_("Client"), required=False, max_length=200)
    direction = forms.ChoiceField(
        label=_("Decision"),
        required=False,
        choices=[
            ("", _("Any decision")),
            ("key", _("Made key")),
            ("not_key", _("Removed from key")),
        ],
    )
    decided_by = forms.ModelChoiceField(
        label=_("Decided by"),
        required=False,
        queryset=User.objects.none(),
        empty_label=_("Anybody"),
    )
    since = forms.DateField(label=_("From"), required=False, widget=DateInput())
    until = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decided_by"].queryset = User.objects.filter(
            role__in=(Role.DIRECTOR, Role.KAM)
        ).order_by("last_name", "first_name", "username")

    def apply(self, decisions):
        if not self.is_valid():
            return decisions
        data = self.cleaned_data
        if data["q"]:
            decisions = decisions.for_client_named(data["q"])
        if data["direction"]:
            decisions = decisions.filter(is_key=data["direction"] == "key")
        if data["decided_by"]:
            decisions = decisions.filter(decided_by=data["decided_by"])
        if data["since"]:
            decisions = decisions.filter(decided_at__date__gte=data["since"])
        if data["until"]:
            decisions = decisions.filter(decided_at__date__lte=data["until"])
        return decisions
