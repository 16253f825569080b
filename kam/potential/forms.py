from django import forms

from kam.core.forms import BootstrapMixin

from . import services
from .models import ClientPotential, ClientStrategy


class PotentialForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = ClientPotential
        fields = list(services.POTENTIAL_FIELDS)
        widgets = {"basis": forms.Textarea(attrs={"rows": 3})}


class StrategyForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = ClientStrategy
        fields = list(services.STRATEGY_FIELDS)
        widgets = {name: forms.Textarea(attrs={"rows": 4}) for name in services.STRATEGY_FIELDS}
