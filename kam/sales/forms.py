from django import forms

from kam.core.forms import BootstrapMixin

from .models import Product


class ProductForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Product
        fields = ["sku", "name", "category", "unit", "list_price", "unit_cost", "is_active"]
