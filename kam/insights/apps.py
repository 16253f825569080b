from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "kam.insights"
    label = "insights"
    verbose_name = _("Insights")

    def ready(self) -> None:
        from kam.core.jobs import register

        from .sweep import sweep

        register(sweep)
