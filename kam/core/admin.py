from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .forms import BASE, EditBaseMixin
from .locking import EditConflict, check, lock
from .models import ApiToken, LoginUnlock, User


def director_only(request) -> bool:
    return request.user.is_active and request.user.is_authenticated and request.user.is_director


# The admin is the directors' tool: no one else reaches it, whatever their staff flag says.
admin.site.has_permission = director_only  # type: ignore[method-assign]  # deliberate override
admin.site.site_header = _("KAM administration")
admin.site.site_title = _("KAM administration")


class DirectorAdmin(admin.ModelAdmin):
    """Directors may do everything here; nobody else gets in (see director_only)."""

    def has_module_permission(self, request):
        return director_only(request)

    def has_view_permission(self, request, obj=None):
        return director_only(request)

    def has_add_permission(self, request):
        return director_only(request)

    def has_change_permission(self, request, obj=None):
        return director_only(request)

    def has_delete_permission(self, request, obj=None):
        return director_only(request)


class LockedAdminForm(EditBaseMixin, forms.ModelForm):
    """An admin change form with the base of the edit (kam.core.locking), checked with the row
    locked: the admin saves inside a transaction, so the lock holds until the save. Fields only
    someone else changed keep their values; a field both changed is a form error naming who,
    when and both values, and nothing is saved (saving again keeps the editor's values)."""

    edit_base = forms.CharField(widget=forms.HiddenInput, required=False)  # shown by the admin

    def clean(self):
        data = super().clean()
        if self.base is None or not self.instance.pk:
            return data
        lock(self.instance)  # read afresh; the form's values are put on it after clean()
        submitted = {name: data[name] for name in self.base.fingerprints if name in data}
        try:
            check(self.base, self.instance, submitted)
        except EditConflict as conflict:
            self.data = self.data.copy()
            self.data[self.add_prefix(BASE)] = conflict.base.token()
            raise ValidationError(self._conflict_text(conflict)) from None
        for name in self.base.outcome.theirs if self.base.outcome else ():
            if name in data:
                data[name] = self._stored(name)
        return data

    def _stored(self, name: str):
        field = self.instance._meta.get_field(name)
        if field.many_to_many:
            return list(getattr(self.instance, name).all())
        return getattr(self.instance, name)

    def _conflict_text(self, conflict: EditConflict) -> str:
        lines = []
        for c in conflict.conflicts:
            change = conflict.changed_by(c.name)
            lines.append(
                _("%(field)s: now “%(theirs)s” (%(who)s, %(when)s), yours “%(yours)s”.")
                % {
                    "field": self._label(c.name),
                    "theirs": self.display(c.name, c.theirs),
                    "yours": self.display(c.name, c.yours),
                    "who": (change.who if change else None) or _("someone"),
                    "when": formats.date_format(
                        timezone.localtime(change.when), "SHORT_DATETIME_FORMAT"
                    )
                    if change and change.when
                    else "—",
                }
            )
        return " ".join(
            [
                str(_("Someone changed this while you were editing; nothing was saved.")),
                *lines,
                str(_("Save again to keep your values, or reload the page to take theirs.")),
            ]
        )


class LockedAdminMixin:
    """Admin change forms of this model carry and check the base of the edit."""

    form: type[forms.ModelForm] = LockedAdminForm


class DirectorHistoryAdmin(LockedAdminMixin, DirectorAdmin, SimpleHistoryAdmin):
    """Admin edits are audited like any other: the history view shows who changed what; two
    directors editing at once do not overwrite each other (LockedAdminForm)."""


@admin.register(User)
class UserAdmin(DirectorAdmin, BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),  # Optional in the stubs; always set by Django
        (_("KAM"), {"fields": ("role", "language", "assisted_kams")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("KAM"), {"fields": ("role", "first_name", "last_name", "email")}),
    )
    filter_horizontal = ("assisted_kams", "groups", "user_permissions")


@admin.register(ApiToken)
class ApiTokenAdmin(DirectorAdmin):
    list_display = ("name", "user", "hint", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    readonly_fields = ("key_hash", "hint", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False  # a token's secret is shown once, to its owner, on their tokens page


@admin.register(LoginUnlock)
class LoginUnlockAdmin(DirectorAdmin):
    """The record of unlocks: read-only; unlocking itself is on the Locked logins page."""

    list_display = ("unlocked_at", "unlocked_by", "username", "ip_address", "failures")
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
