from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompetitionConfig(AppConfig):
    name = "kam.competition"
    label = "competition"
    verbose_name = _("Competitive analysis")
