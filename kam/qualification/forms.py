from django import forms
from django.utils.translation import gettext_lazy as _

from kam.clients.models import ClientType
from kam.core.forms import BootstrapMixin

from .models import Qualification
from .services import QUALIFICATION_FIELDS


class QualificationForm(BootstrapMixin, forms.ModelForm):
    change_reason = forms.CharField(
        label=_("Reason for the change"), max_length=200, required=False
    )

    class Meta:
        model = Qualification
        fields = QUALIFICATION_FIELDS
        widgets = {
            f: forms.Textarea(attrs={"rows": 2}) for f in QUALIFICATION_FIELDS if "evidence" in f
        }


class KeyDecisionForm(BootstrapMixin, forms.Form):
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


class TypeForm(BootstrapMixin, forms.Form):
    client_type = forms.ChoiceField(
        label=_("Client type"), choices=ClientType.choices, required=False
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the type differs from the suggested one."),
    )
