from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KeyProfileConfig(AppConfig):
    name = "kam.keyprofile"
    label = "keyprofile"
    verbose_name = _("Key-client profile")
