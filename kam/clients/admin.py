from django.contrib import admin

from kam.core.access import client_access_q
from kam.core.admin import DirectorHistoryAdmin

from .models import Client, Competitor, CompetitorPresence, Contact, TeamMembership, Tender


class VisibleClientsMixin:
    """Even in the admin, lists go through the one access rule."""

    client_path = "client__"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(client_access_q(request.user, self.client_path))


class TeamInline(admin.TabularInline):
    model = TeamMembership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Client)
class ClientAdmin(VisibleClientsMixin, DirectorHistoryAdmin):
    client_path = ""
    list_display = ("name", "erp_code", "inn", "status", "client_type", "is_key", "owner", "region")
    list_filter = (
        "status",
        "client_type",
        "is_key",
        "is_industry_leader",
        "is_reference_customer",
        "is_expert",
        "owner",
        "region",
    )
    search_fields = ("name", "legal_name", "erp_code", "inn")
    autocomplete_fields = ("owner", "assistant", "parent")
    inlines = [TeamInline]


@admin.register(Contact)
class ContactAdmin(VisibleClientsMixin, DirectorHistoryAdmin):
    list_display = (
        "full_name",
        "client",
        "position",
        "decision_role",
        "influence",
        "attitude",
        "has_left",
    )
    list_filter = ("decision_role", "attitude", "has_left")
    search_fields = ("full_name", "email", "client__name")
    autocomplete_fields = ("client", "reports_to", "relationship_owner")


@admin.register(Competitor)
class CompetitorAdmin(DirectorHistoryAdmin):
    list_display = ("name", "website")
    search_fields = ("name",)


@admin.register(CompetitorPresence)
class CompetitorPresenceAdmin(VisibleClientsMixin, DirectorHistoryAdmin):
    list_display = ("competitor", "client", "strength", "supplies")
    list_filter = ("strength", "competitor")
    autocomplete_fields = ("client", "competitor")


@admin.register(Tender)
class TenderAdmin(VisibleClientsMixin, DirectorHistoryAdmin):
    list_display = ("date", "subject", "client", "value", "result")
    list_filter = ("result",)
    search_fields = ("subject", "client__name")
    autocomplete_fields = ("client", "competitors")
