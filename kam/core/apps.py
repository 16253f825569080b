from django.apps import AppConfig
from django.urls import register_converter
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kam.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from .exports import sweep
        from .ids import IdConverter
        from .jobs import register

        register(sweep)

        # Before any URLconf is read: page URLs spell their ids `<id:pk>` (kam.core.ids).
        register_converter(IdConverter, "id")
