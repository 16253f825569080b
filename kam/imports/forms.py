from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from kam.core.forms import BootstrapMixin


def _file_help() -> str:
    return _("CSV (UTF-8 or cp1251, separated by ; , or tab) or XLSX, up to %(size)s.") % {
        "size": filesizeformat(settings.KAM_IMPORT_MAX_BYTES)
    }


class UploadForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"))
    file = forms.FileField(
        label=_("File"),
        help_text=lazy(_file_help, str)(),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(kind.name, kind.name.label) for kind in kinds]
