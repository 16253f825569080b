from decimal import Decimal

from kam.sales.forms import ProductForm
from kam.sales.models import Product

from ..forms import form_data
from .matrix import DIRECTOR_ONLY, Route, exists, field_is


def company_only(name, **kwargs):
    return Route(name, allowed=DIRECTOR_ONLY, denied_status=lambda p: 403, **kwargs)


ROUTES = [
    Route("products:list"),
    Route("products:detail", own=lambda w: {"pk": w.product.pk}),
    company_only("products:create"),
    company_only(
        "products:create",
        method="post",
        data=lambda w: {"sku": "POSTED-SKU", "name": "Posted", "unit": "pcs", "list_price": "3.50"},
        ok_status=(302,),
        done=exists(Product, sku="POSTED-SKU", list_price=Decimal("3.50")),
    ),
    company_only("products:edit", own=lambda w: {"pk": w.product.pk}),
    company_only(
        "products:edit",
        own=lambda w: {"pk": w.product.pk},
        method="post",
        data=lambda w: form_data(ProductForm(instance=w.product), list_price="12.34"),
        ok_status=(302,),
        done=field_is(Product, "pk", "list_price", Decimal("12.34")),
    ),
]
