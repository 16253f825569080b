from django import forms
from django.db.models import Q

from kam.core.forms import EditFormMixin

from .models import Product


class ProductForm(EditFormMixin, forms.ModelForm):
    class Meta:
        model = Product
        fields = ["sku", "name", "category", "unit", "list_price", "unit_cost", "is_active"]


class ProductFilterForm(forms.Form):
    """The list's filters; validation drops what a database cannot take (e.g. NUL bytes)."""

    q = forms.CharField(required=False, max_length=200)
    category = forms.CharField(required=False, max_length=120)

    def apply(self, products):
        if not self.is_valid():
            return products
        q, category = self.cleaned_data["q"], self.cleaned_data["category"]
        if q:
            products = products.filter(Q(name__icontains=q) | Q(sku__icontains=q))
        if category:
            products = products.filter(category=category)
        return products
