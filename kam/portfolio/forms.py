from django import forms
from django.utils.translation import gettext_lazy as _

from kam.core.forms import EditFormMixin
from kam.core.models import User

from .services import active_kams


class KamChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return str(obj)


class ReassignForm(EditFormMixin, forms.Form):
    """Move ``client`` (also the ``record`` of the edit) to another KAM: a decision on the client
    as the director saw it, so a reassignment made meanwhile is shown, not overwritten."""

    locked_fields = ("owner", "assistant")
    strict = True

    owner = KamChoiceField(
        label=_("New owner KAM"),
        queryset=User.objects.none(),
        error_messages={"invalid_choice": _("Choose an active key account manager.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the client moves; it is kept in the client's history."),
    )

    def __init__(self, *args, client, **kwargs):
        super().__init__(*args, record=client, **kwargs)
        self.client = client
        self.fields["owner"].queryset = active_kams()

    def clean_owner(self):
        owner = self.cleaned_data["owner"]
        if owner.pk == self.client.owner_id:
            raise forms.ValidationError(_("The client already belongs to this KAM."))
        return owner
