from django.contrib import admin

from kam.clients.admin import VisibleClientsMixin
from kam.core.admin import DirectorAdmin, DirectorHistoryAdmin, LockedAdminMixin

from .models import Product, SalesLine


@admin.register(Product)
class ProductAdmin(DirectorHistoryAdmin):
    list_display = ("sku", "name", "category", "unit", "list_price", "unit_cost", "is_active")
    list_filter = ("category", "is_active")
    search_fields = ("sku", "name")


@admin.register(SalesLine)
class SalesLineAdmin(VisibleClientsMixin, LockedAdminMixin, DirectorAdmin):
    list_display = ("date", "document_number", "client", "product", "quantity", "amount", "cost")
    list_filter = ("date",)
    search_fields = ("document_number", "client__name", "product__sku")
    autocomplete_fields = ("client", "product")
    list_select_related = ("client", "product")
    show_full_result_count = False
