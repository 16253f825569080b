from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “ERP sync”."),
    )


class BootstrapMixin:
    """Give widgets Bootstrap classes and mark invalid fields for field-level errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs["class"] = "form-check-input"
            elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
                widget.attrs["class"] = "form-select"
            else:
                widget.attrs["class"] = "form-control"

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["class"] += " is-invalid"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def apply_service_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field if the form has it."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def run_service(form, call):
    """Call a service with the form's data; return its result, or None with errors on the form."""
    try:
        return call()
    except ValidationError as error:
        apply_service_errors(form, error)
        return None


class UnlockForm(forms.Form):
    """Which lock to lift: an account from an address, or (no username) the whole address."""

    username = forms.CharField(max_length=255, required=False, strip=False)
    ip_address = forms.GenericIPAddressField(required=False)
