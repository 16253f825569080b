"""The director's analytics settings form."""

from django import forms

from kam.core.forms import EditFormMixin

from .models import AnalyticsSettings


class AnalyticsSettingsForm(EditFormMixin, forms.ModelForm):
    class Meta:
        model = AnalyticsSettings
        fields = ["backtest_months"]
