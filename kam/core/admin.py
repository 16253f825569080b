from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

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


class DirectorHistoryAdmin(DirectorAdmin, SimpleHistoryAdmin):
    """Admin edits are audited like any other: the history view shows who changed what."""


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
