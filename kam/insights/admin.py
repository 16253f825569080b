from django.contrib import admin

from .models import AnalyticsRun, ClientAnalytics


@admin.register(AnalyticsRun)
class AnalyticsRunAdmin(admin.ModelAdmin):
    list_display = ["started_at", "status", "as_of", "clients", "lines", "triggered_by"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in AnalyticsRun._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ClientAnalytics)
class ClientAnalyticsAdmin(admin.ModelAdmin):
    list_display = ["client", "abc", "xyz", "rfm_segment", "risk", "value", "computed_at"]
    list_filter = ["abc", "xyz", "risk", "rfm_segment"]
    list_select_related = ["client"]
    search_fields = ["client__name", "client__erp_code"]
    readonly_fields = [f.name for f in ClientAnalytics._meta.fields]

    def has_add_permission(self, request):
        return False
