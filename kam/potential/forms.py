from django import forms

from kam.core.forms import EditFormMixin

from . import services
from .models import ClientPotential, ClientStrategy


class PotentialForm(EditFormMixin, forms.ModelForm):
    class Meta:
        model = ClientPotential
        fields = list(services.POTENTIAL_FIELDS)
        widgets = {"basis": forms.Textarea(attrs={"rows": 3})}


class StrategyForm(EditFormMixin, forms.ModelForm):
    lock_blank = True  # one record per client: the first to save creates it, the second is told

    class Meta:
        model = ClientStrategy
        fields = list(services.STRATEGY_FIELDS)
        widgets = {name: forms.Textarea(attrs={"rows": 4}) for name in services.STRATEGY_FIELDS}
